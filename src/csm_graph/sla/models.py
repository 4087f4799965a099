"""SLA targets: how fast a case must be answered and resolved, per level and priority."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from csm_graph.accounts.models import Team
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


class SlaSchedule(Model):
    """Working hours in a time zone, with holidays: the time SLA clocks count.

    A case without one counts every minute (24x7).
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    time_zone = fields.CharField(max_length=64)
    """An IANA zone name (`Europe/Berlin`): the hours are wall-clock times there."""
    hours: list[list[int]] = fields.JSONField(default=list)
    """[weekday (0 Monday to 6 Sunday), opens, closes] in minutes after midnight."""
    holiday_country = fields.CharField(max_length=8, default="")
    """An ISO 3166 country code whose public holidays are closed ("" for none)."""
    holiday_subdivision = fields.CharField(max_length=16, default="")
    """A region of the country with its own holidays (`BY`, `CA`), or ""."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sla_schedule"


class SlaHoliday(Model):
    """A day an administrator closed on one schedule, beside the country's holidays."""

    id = fields.IntField(primary_key=True)
    schedule: fields.ForeignKeyRelation[SlaSchedule] = fields.ForeignKeyField(
        "sla.SlaSchedule", related_name="holidays", on_delete=fields.CASCADE
    )
    schedule_id: int
    day = fields.DateField()
    name = fields.CharField(max_length=100)

    class Meta:
        table = "sla_holiday"
        unique_together = (("schedule_id", "day"),)


class SlaScheduleUse(Model):
    """Which schedule an SLA level or a team works by: one row each, a level or a team."""

    id = fields.IntField(primary_key=True)
    schedule: fields.ForeignKeyRelation[SlaSchedule] = fields.ForeignKeyField(
        "sla.SlaSchedule", related_name="uses", on_delete=fields.CASCADE
    )
    schedule_id: int
    team_id: int | None
    level = fields.CharEnumField(SlaLevel, max_length=16, null=True, unique=True)
    team: fields.OneToOneNullableRelation[Team] = fields.OneToOneField(
        "accounts.Team", related_name="sla_schedule_use", on_delete=fields.CASCADE, null=True
    )

    class Meta:
        table = "sla_schedule_use"
        indexes = (("schedule_id", "id"),)
