"""SLA targets: how fast a case must be answered and resolved, per level and priority."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from csm_graph.consumers.models import SlaLevel


class SlaTarget(Model):
    """One row per (SLA level, priority), shipped defaults come with the migration."""

    id = fields.IntField(primary_key=True)
    level = fields.CharEnumField(SlaLevel, max_length=16)
    priority = fields.SmallIntField()
    """1 (critical) to 4 (low), as on cases."""
    response_minutes = fields.IntField()
    """Minutes from opening to the first public reply by an internal user."""
    resolution_minutes = fields.IntField()
    """Minutes from opening to a proposed solution, not counting time awaiting the consumer."""
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sla_target"
        unique_together = (("level", "priority"),)
