"""Email jobs: send one outbox email, and sweep up what is due."""

from __future__ import annotations

from typing import Any

from csm_graph.notifications import services


async def send_email(ctx: dict[str, Any], outbox_id: int) -> str:
    """Send outbox email `outbox_id` if it is still due (enqueued after its commit)."""
    return await services.send_outbox_email(outbox_id)


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    """Enqueue due and stalled outbox emails (every minute, and when a worker starts).

    A backlog larger than one batch is drained within this run, for up to
    `SWEEP_BUDGET_SECONDS`, as fast as the send jobs claim it.
    """
    return await services.sweep_outbox(budget_seconds=SWEEP_BUDGET_SECONDS)


send_email.timeout = 120  # type: ignore[attr-defined]
"""One SMTP conversation (SMTP_TIMEOUT_SECONDS) with room to spare; retries live on the row."""
send_email.max_tries = 3  # type: ignore[attr-defined]
sweep_outbox.timeout = 60  # type: ignore[attr-defined]
sweep_outbox.max_tries = 1  # type: ignore[attr-defined]
SWEEP_BUDGET_SECONDS = 50.0
"""Within the sweep's timeout, and ended before the next minute's sweep starts."""
