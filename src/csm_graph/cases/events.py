"""Case events for live updates: published after the change commits.

Every event is one entry of the case's activity stream: the services record
the entry and publish its event in one call (`services._record`), so an
event's id (the entry's) is unique and a subscriber can load what changed.
A change that writes two entries (an update of two fields, an assignment
that also opens the case) publishes two events.
"""

from __future__ import annotations

from enum import StrEnum

from csm_graph import clock, pubsub
from csm_graph.cases.models import ActivityKind, CaseActivity

CHANNEL = "cases"


class CaseEventKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ASSIGNED = "ASSIGNED"
    STATE_CHANGED = "STATE_CHANGED"
    COMMENTED = "COMMENTED"
    WORK_NOTE_ADDED = "WORK_NOTE_ADDED"
    ATTACHMENT_ADDED = "ATTACHMENT_ADDED"


KIND_OF_ACTIVITY = {
    ActivityKind.CREATED: CaseEventKind.CREATED,
    ActivityKind.FIELD_CHANGED: CaseEventKind.UPDATED,
    ActivityKind.ASSIGNED: CaseEventKind.ASSIGNED,
    ActivityKind.STATE_CHANGED: CaseEventKind.STATE_CHANGED,
    ActivityKind.COMMENTED: CaseEventKind.COMMENTED,
    ActivityKind.WORK_NOTE_ADDED: CaseEventKind.WORK_NOTE_ADDED,
    ActivityKind.ATTACHMENT_ADDED: CaseEventKind.ATTACHMENT_ADDED,
    # The case's consumer field changed: to subscribers, an update like any other.
    ActivityKind.CONSUMER_MERGED: CaseEventKind.UPDATED,
}


async def case_changed(entry: CaseActivity, comment_id: int | None = None) -> None:
    """Tell subscribers that the case of `entry` changed (after the surrounding commit).

    The event carries ids only (subscribers load what they may see): the
    case, the actor, the activity entry and, for a comment or work note, the
    comment. `internal` marks an entry the consumer side never sees, so a
    subscriber can drop the event without a query.
    """
    await pubsub.publish(
        CHANNEL,
        {
            "caseId": entry.case_id,
            "kind": KIND_OF_ACTIVITY[entry.kind].value,
            "actorId": entry.actor_id,
            "activityId": entry.id,
            "commentId": comment_id,
            "internal": entry.internal,
            "at": clock.now().isoformat(),
        },
    )
