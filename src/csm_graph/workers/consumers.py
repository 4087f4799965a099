"""Consumer jobs: record sync with the linked user, and CSV import."""

from __future__ import annotations

from typing import Any

from csm_graph.consumers import importing, services


async def sync_consumer_identity(ctx: dict[str, Any], consumer_id: int) -> str:
    """A consumer's name, email or phone changed: carry it to the linked user."""
    return await services.sync_identity(consumer_id)


async def sync_user_identity(ctx: dict[str, Any], user_id: int) -> str:
    """A user's name, email or phone changed: carry it to the linked consumer."""
    return await services.sync_user_identity(user_id)


async def import_consumers(ctx: dict[str, Any], job_id: int) -> str:
    job = await importing.run_import(job_id)
    return job.state.value if job else "missing"


import_consumers.max_tries = 1  # type: ignore[attr-defined]
