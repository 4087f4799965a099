"""Account jobs."""

from __future__ import annotations

from typing import Any

from csm_graph.accounts import sessions


async def purge_expired_tokens(ctx: dict[str, Any]) -> int:
    """Delete expired refresh tokens (hourly)."""
    return await sessions.purge_expired_tokens()
