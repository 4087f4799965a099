"""Case events for live updates: published after the change commits."""

from __future__ import annotations

from csm_graph import clock, pubsub

CHANNEL = "cases"


async def case_changed(case_id: int, kind: str, actor_id: int | None) -> None:
    """Tell subscribers that `case_id` changed (after the surrounding commit)."""
    await pubsub.publish(
        CHANNEL,
        {"caseId": case_id, "kind": kind, "actorId": actor_id, "at": clock.now().isoformat()},
    )
