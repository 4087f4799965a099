"""Queries of customer access management."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from csm_graph.access import services
from csm_graph.access.engine import CaseAction
from csm_graph.access.history import explain_access_at
from csm_graph.access.report import access_report
from csm_graph.consumers.models import Consumer
from csm_graph.errors import AccessDenied
from csm_graph.schema.access.types import (
    AccessExplanation,
    AccessGrant,
    AccessReport,
    AccessReportEntry,
    Department,
    RelationshipType,
    Responsibility,
)
from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_query_id
from csm_graph.schema.permissions import IsAuthenticated, IsInternal, Visible, restricted_field
from csm_graph.schema.policy import consumer_contact


@strawberry.type
class AccessQuery:
    @strawberry.field(
        description="What a user (default: the viewer) may do with a case now, and every grant "
        "that gives it; empty when they may not read it. Administrators may ask about anyone.",
        permission_classes=[IsAuthenticated],
    )
    async def explain_access(
        self,
        info: Info,
        case_id: Annotated[strawberry.ID, strawberry.argument(description="The case.")],
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The user to explain (administrators); default you."),
        ] = None,
        at: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="A past moment to explain instead of now, rebuilt from history "
                "(see `historyComplete`); a moment in the future is refused (BAD_USER_INPUT). "
                "Without administrator rights, only for a case you may read now."
            ),
        ] = None,
    ) -> AccessExplanation:
        viewer = info.context.viewer
        assert viewer is not None
        who = None
        if user_id is not None:
            who = decode_query_id(user_id, "User")
            if who is None:
                if not viewer.is_admin:
                    raise AccessDenied("Only administrators may explain another user's access.")
                return AccessExplanation(allowed=[], grants=[])
        case = decode_query_id(case_id, "Case")
        if at is None:
            allowed, grants = await services.explain_access(viewer, case, who)
            return AccessExplanation(
                allowed=[a for a in CaseAction if a in allowed],
                grants=[AccessGrant.from_grant(g) for g in grants],
            )
        allowed, grants, history = await explain_access_at(viewer, case, who, at)
        return AccessExplanation(
            allowed=[a for a in CaseAction if a in allowed],
            grants=[AccessGrant.from_grant(g) for g in grants],
            history_complete=history.complete,
            history_notes=list(history.notes),
        )

    @strawberry.field(
        description="Who can see a consumer now, and why: everyone the access engine lets "
        "read one of their cases or the field rules let read their contact details, with "
        "every grant (administrators, and a consumer about themselves). For anyone else, "
        "as for an id that is no consumer's: no consumer and no entries.",
        permission_classes=[IsAuthenticated],
    )
    async def access_report(
        self,
        info: Info,
        consumer_id: Annotated[
            strawberry.ID, strawberry.argument(description="The consumer to report on.")
        ],
    ) -> AccessReport:
        viewer = info.context.viewer
        assert viewer is not None
        nothing = AccessReport(consumer_id=None, entries=[])
        pk = decode_query_id(consumer_id, "Consumer")
        consumer = await Consumer.get_or_none(id=pk) if pk is not None else None
        if consumer is None or consumer.merged_into_id is not None:
            return nothing
        if not viewer.is_admin and consumer.user_id != viewer.user_id:
            return nothing
        entries = await access_report(consumer, consumer_contact)
        return AccessReport(
            consumer_id=consumer.id, entries=[AccessReportEntry.of(e) for e in entries]
        )

    @strawberry.field(
        description="The relationship types related parties can have, by name.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def relationship_types(self) -> list[RelationshipType]:
        return [RelationshipType.from_model(t) for t in await services.relationship_types()]

    @strawberry.field(
        description="The responsibilities and what each allows, by name.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def responsibilities(self) -> list[Responsibility]:
        return [Responsibility.from_model(r) for r in await services.responsibilities()]

    @restricted_field(
        "The departments related parties can name, by name.",
        IsInternal,
        extensions=[Visible()],
    )
    async def departments(self) -> list[Department] | None:
        return [Department.from_model(d) for d in await services.departments()]
