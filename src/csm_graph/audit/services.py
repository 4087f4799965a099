"""Writing the audit trail: one call per recorded change, inside its transaction."""

from __future__ import annotations

from typing import Any

from csm_graph import clock
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditEvent, AuditKind


async def record(
    kind: AuditKind,
    actor: Viewer | int | None,
    *,
    user_id: int | None = None,
    consumer_id: int | None = None,
    target: tuple[str, int | None] | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event. Call it inside the change's unit of work, so the
    event commits or rolls back with the change. `data` holds ids, codes and
    flags only (see `AuditEvent.data`)."""
    actor_id = actor.user_id if isinstance(actor, Viewer) else actor
    target_type, target_id = target if target is not None else ("", None)
    return await AuditEvent.create(
        at=clock.now(),
        kind=kind,
        actor_id=actor_id,
        user_id=user_id,
        consumer_id=consumer_id,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
