"""Queries of customer access management."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.access import services
from csm_graph.access.engine import CaseAction
from csm_graph.errors import AccessDenied
from csm_graph.schema.access.types import (
    AccessExplanation,
    AccessGrant,
    RelationshipType,
    Responsibility,
)
from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_query_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


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
        allowed, grants = await services.explain_access(
            viewer, decode_query_id(case_id, "Case"), who
        )
        return AccessExplanation(
            allowed=[a for a in CaseAction if a in allowed],
            grants=[AccessGrant.from_grant(g) for g in grants],
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
