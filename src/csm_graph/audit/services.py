"""Writing the audit trail: one call per recorded change, inside its transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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
    actor_id = actor.login_id if isinstance(actor, Viewer) else actor or None  # 0: no user
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


async def record_roles(
    actor: Viewer | int | None, user_id: int, before: Iterable[str], after: Iterable[str]
) -> None:
    """One ROLE_GRANTED per role in `after` only, one ROLE_REVOKED per role in
    `before` only, each `data={"role": name}`: `explainAccess(at:)` rebuilds a
    user's roles at a past moment from exactly these rows."""
    old, new = set(before), set(after)
    for role in sorted(new - old):
        await record(AuditKind.ROLE_GRANTED, actor, user_id=user_id, role=str(role))
    for role in sorted(old - new):
        await record(AuditKind.ROLE_REVOKED, actor, user_id=user_id, role=str(role))


async def record_teams(
    actor: Viewer | int | None, user_id: int, before: Iterable[int], after: Iterable[int]
) -> None:
    """One TEAM_JOINED or TEAM_LEFT per team the user joined or left, each with
    `target=("Team", id)`, for the same rebuilding as `record_roles`."""
    old, new = set(before), set(after)
    for team_id in sorted(new - old):
        await record(AuditKind.TEAM_JOINED, actor, user_id=user_id, target=("Team", team_id))
    for team_id in sorted(old - new):
        await record(AuditKind.TEAM_LEFT, actor, user_id=user_id, target=("Team", team_id))


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """A date for `data`: ISO 8601 text, or None."""
    return value.isoformat() if value is not None else None
