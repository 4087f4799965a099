"""Live updates of cases over WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from csm_graph import pubsub
from csm_graph.access.engine import CaseAction, permitted
from csm_graph.cases import events
from csm_graph.cases.events import CaseEventKind
from csm_graph.cases.models import Case as CaseModel
from csm_graph.errors import SessionEnded
from csm_graph.schema.accounts.types import User
from csm_graph.schema.cases.loaders import ActivityByIdLoader, CommentByIdLoader
from csm_graph.schema.cases.types import Case, CaseActivityEntry, CaseComment, _user
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import decode_query_id, to_global_id
from csm_graph.schema.permissions import IsAuthenticated, Visible

log = logging.getLogger(__name__)

register_enum(
    CaseEventKind,
    name="CaseEventKind",
    description="What happened to a case, in a `CaseEvent`.",
    values={
        CaseEventKind.CREATED: "The case was opened.",
        CaseEventKind.UPDATED: "A field changed (one event per field; `activity` says which).",
        CaseEventKind.ASSIGNED: "The case was assigned.",
        CaseEventKind.STATE_CHANGED: "The state changed.",
        CaseEventKind.COMMENTED: "A public comment was added (`comment`).",
        CaseEventKind.WORK_NOTE_ADDED: "A work note was added (`comment`; internal users only).",
        CaseEventKind.ATTACHMENT_ADDED: "A file was attached.",
    },
)


@strawberry.type(
    description="Something happened to a case the viewer may read: one entry of its "
    "activity stream, with the objects it created, so a client can update its cache "
    "without asking again."
)
class CaseEvent:
    actor_id: strawberry.Private[int | None]
    activity_id: strawberry.Private[int]
    comment_id: strawberry.Private[int | None]
    id: strawberry.ID = strawberry.field(
        description="Unique per event, and the same in every subscriber's copy, so normalised "
        "caches can key events by it. A global id of its own type, made from the event's "
        "activity entry (an event is not fetched again by `node`; its `activity` is)."
    )
    kind: CaseEventKind = strawberry.field(description="What happened.")
    case: Case = strawberry.field(description="The case as it is now.", extensions=[Visible()])
    at: dt.datetime = strawberry.field(description="When it happened.")

    @strawberry.field(description="Who caused it (null for the system).", extensions=[Visible()])
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.actor_id)

    @strawberry.field(
        description="The comment or work note added, for COMMENTED and WORK_NOTE_ADDED; null "
        "otherwise, and for whoever may not read it (the same rule as `Case.comments`).",
        extensions=[Visible()],
    )
    async def comment(self, info: Info) -> CaseComment | None:
        if self.comment_id is None:
            return None
        row = await info.context.loaders.get(CommentByIdLoader).load(self.comment_id)
        return CaseComment.from_model(row) if row else None

    @strawberry.field(
        description="The activity entry the change wrote (the same rule as `Case.activity`).",
        extensions=[Visible()],
    )
    async def activity(self, info: Info) -> CaseActivityEntry | None:
        row = await info.context.loaders.get(ActivityByIdLoader).load(self.activity_id)
        return CaseActivityEntry.from_model(row) if row else None


def event_id(activity_id: int) -> strawberry.ID:
    """A `CaseEvent`'s id: distinct from its activity entry's, which Relay's
    store, keyed by id alone, holds as another object."""
    return to_global_id("CaseEvent", activity_id)


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
                if not viewer.is_internal and (
                    event.get("internal") or event.get("kind") == CaseEventKind.WORK_NOTE_ADDED
                ):
                    continue  # an entry the consumer side never sees: no event at all
                kind, activity_id = str(event.get("kind")), event.get("activityId")
                if kind not in CaseEventKind.__members__ or not isinstance(activity_id, int):
                    log.warning("skipping a case event of another shape: %r", event)
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
                    activity_id=activity_id,
                    comment_id=event.get("commentId"),
                    id=event_id(activity_id),
                    kind=CaseEventKind(kind),
                    case=Case.from_model(case),
                    at=dt.datetime.fromisoformat(event["at"]),
                )
