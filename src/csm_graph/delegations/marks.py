"""The delegation's mark on case activity: written beside each entry a
delegate makes while acting for the consumer under a delegation."""

from __future__ import annotations

from csm_graph import clock
from csm_graph.delegations.models import DelegatedActivity, Delegation, DelegationState


async def mark_activity(activity_id: int, delegate_id: int | None, consumer_id: int) -> None:
    """Mark activity entry `activity_id` with the current delegation under which
    consumer `delegate_id` acts for `consumer_id`, if there is one."""
    if delegate_id is None:
        return
    delegation = (
        await Delegation.filter(
            delegate_id=delegate_id,
            consumer_id=consumer_id,
            state=DelegationState.ACCEPTED,
            ends_on__gte=clock.today(),
        )
        .order_by("-id")
        .first()
        .only("id")
    )
    if delegation is not None:
        await DelegatedActivity.create(activity_id=activity_id, delegation_id=delegation.id)
