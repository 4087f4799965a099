from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.consumers.models import SlaLevel


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("accounts", "0004_lookup_indexes"),
        ("accounts", "0005_sessions_and_email_change"),
        ("sla", "0002_default_targets"),
    ]

    initial = False

    operations = [
        ops.CreateModel(
            name="SlaSchedule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("time_zone", fields.CharField(max_length=64)),
                ("hours", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("holiday_country", fields.CharField(default="", max_length=8)),
                ("holiday_subdivision", fields.CharField(default="", max_length=16)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "sla_schedule",
                "app": "sla",
                "pk_attr": "id",
                "table_description": "Working hours in a time zone, with holidays: the time SLA clocks count.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SlaHoliday",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "schedule",
                    fields.ForeignKeyField(
                        "sla.SlaSchedule",
                        source_field="schedule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="holidays",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField()),
                ("name", fields.CharField(max_length=100)),
            ],
            options={
                "table": "sla_holiday",
                "app": "sla",
                "unique_together": (("schedule_id", "day"),),
                "pk_attr": "id",
                "table_description": "A day an administrator closed on one schedule, beside the country's holidays.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SlaScheduleUse",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "schedule",
                    fields.ForeignKeyField(
                        "sla.SlaSchedule",
                        source_field="schedule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="uses",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "level",
                    fields.CharEnumField(
                        null=True,
                        unique=True,
                        description="BRONZE: BRONZE\nSILVER: SILVER\nGOLD: GOLD\nPLATINUM: PLATINUM",
                        enum_type=SlaLevel,
                        max_length=16,
                    ),
                ),
                (
                    "team",
                    fields.OneToOneField(
                        "accounts.Team",
                        source_field="team_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sla_schedule_use",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "sla_schedule_use",
                "app": "sla",
                "indexes": [Index(fields=["schedule_id", "id"])],
                "pk_attr": "id",
                "table_description": "Which schedule an SLA level or a team works by: one row each, a level or a team.",
            },
            bases=["Model"],
        ),
    ]
