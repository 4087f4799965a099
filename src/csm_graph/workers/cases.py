"""Case jobs: SLA breaches and auto-close (both periodic)."""

from __future__ import annotations

from typing import Any

from csm_graph.cases import services
from csm_graph.sla import services as sla


async def mark_sla_breaches(ctx: dict[str, Any]) -> int:
    """Mark newly breached cases and notify their teams (every minute)."""
    return await sla.mark_breaches()


async def auto_close_cases(ctx: dict[str, Any]) -> int:
    """Close resolved cases left unanswered for AUTO_CLOSE_DAYS (every 10 minutes)."""
    return await services.auto_close_resolved()


mark_sla_breaches.timeout = 120  # type: ignore[attr-defined]
mark_sla_breaches.max_tries = 1  # type: ignore[attr-defined]
auto_close_cases.timeout = 300  # type: ignore[attr-defined]
auto_close_cases.max_tries = 1  # type: ignore[attr-defined]
