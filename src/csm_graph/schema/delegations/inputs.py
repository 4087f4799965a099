"""Inputs of the delegations domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.schema.delegations.types import DelegationScope


@strawberry.input(description="Invite someone by email to act for the viewer (a consumer).")
class DelegationInviteInput:
    email: str = strawberry.field(description="The invitee's address; the link goes there.")
    scope: DelegationScope = strawberry.field(description="What the delegate may do.")
    ends_on: dt.date = strawberry.field(
        description="The last day it holds: today at the earliest, at most "
        "DELEGATION_MAX_DAYS from today."
    )


@strawberry.input(description="Accept an invitation, as the login it was sent to.")
class DelegationAcceptInput:
    token: str = strawberry.field(description="The token from the invitation's link.")


@strawberry.input(description="End a delegation (its consumer or its delegate).")
class DelegationEndInput:
    id: strawberry.ID = strawberry.field(description="The delegation.")
