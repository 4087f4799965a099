"""Inputs of the audit trail."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.schema.audit.types import AuditEventKind


@strawberry.input(description="Which audit events to list; every condition given must hold.")
class AuditEventFilter:
    kinds: list[AuditEventKind] | None = strawberry.field(
        default=None, description="Only events of these kinds."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events about this user."
    )
    consumer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events about this consumer."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only changes this user made."
    )
    since: dt.datetime | None = strawberry.field(
        default=None, description="Only events at or after this moment."
    )
    until: dt.datetime | None = strawberry.field(
        default=None, description="Only events before this moment."
    )
