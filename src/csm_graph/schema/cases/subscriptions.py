"""Live updates of cases over WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from csm_graph import pubsub
from csm_graph.access.engine import CaseAction, permitted
from csm_graph.cases import events
from csm_graph.cases.models import Case as CaseModel
from csm_graph.errors import SessionEnded
from csm_graph.schema.accounts.types import User
from csm_graph.schema.cases.types import Case, _user
from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_query_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type(description="Something happened to a case the viewer may read.")
class CaseEvent:
    actor_id: strawberry.Private[int | None]
    kind: str = strawberry.field(
        description="CREATED, UPDATED, ASSIGNED, STATE_CHANGED, COMMENTED, WORK_NOTE_ADDED, "
        "ATTACHMENT_ADDED."
    )
    case: Case = strawberry.field(description="The case as it is now.", extensions=[Visible()])
    at: dt.datetime = strawberry.field(description="When it happened.")

    @strawberry.field(description="Who caused it.", extensions=[Visible()])
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.actor_id)


@strawberry.type
class CasesSubscription:
    @strawberry.subscription(
        description="Events of one case, or of every case the viewer may read. Access is "
        "checked again for every event: losing access stops the events.",
        permission_classes=[IsAuthenticated],
    )
    async def case_events(
        self,
        info: Info,
        case_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="One case; omit for every case the viewer may read."),
        ] = None,
    ) -> AsyncGenerator[CaseEvent, None]:
        only = decode_query_id(case_id, "Case") if case_id else None
        if case_id and only is None:
            return
        async with pubsub.subscribe(events.CHANNEL) as stream:
            async for event in stream:
                if only is not None and event.get("caseId") != only:
                    continue
                try:
                    # The viewer again (a socket's session may have ended since the
                    # last event), and nothing kept from the last event.
                    await info.context.renew()
                except SessionEnded:
                    return
                viewer = info.context.viewer
                if viewer is None:
                    return
                if event.get("kind") == "WORK_NOTE_ADDED" and not viewer.is_internal:
                    continue
                case = await CaseModel.get_or_none(id=event["caseId"])
                subject = await info.context.subject()
                if (
                    case is None
                    or subject is None
                    or CaseAction.READ not in permitted(subject, case)
                ):
                    continue
                yield CaseEvent(
                    actor_id=event.get("actorId"),
                    kind=str(event.get("kind")),
                    case=Case.from_model(case),
                    at=dt.datetime.fromisoformat(event["at"]),
                )
