"""Email jobs: send one outbox email, and sweep up what is due."""

from __future__ import annotations

from typing import Any

from csm_graph.notifications import services


async def send_email(ctx: dict[str, Any], outbox_id: int) -> str:
    """Send outbox email `outbox_id` if it is still due (enqueued after its commit)."""
    return await services.send_outbox_email(outbox_id)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    """Enqueue due and stalled outbox emails (every minute)."""
    return await services.sweep_outbox()


send_email.timeout = 120  # type: ignore[attr-defined]
"""One SMTP conversation (SMTP_TIMEOUT_SECONDS) with room to spare; retries live on the row."""
send_email.max_tries = 3  # type: ignore[attr-defined]
sweep_outbox.timeout = 60  # type: ignore[attr-defined]
sweep_outbox.max_tries = 1  # type: ignore[attr-defined]
