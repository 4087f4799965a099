from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from csm_graph.consumers.models import SlaLevel


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="SlaTarget",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "level",
                    fields.CharEnumField(
                        description="BRONZE: BRONZE\nSILVER: SILVER\nGOLD: GOLD\nPLATINUM: PLATINUM",
                        enum_type=SlaLevel,
                        max_length=16,
                    ),
                ),
                ("priority", fields.SmallIntField()),
                ("response_minutes", fields.IntField()),
                ("resolution_minutes", fields.IntField()),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "sla_target",
                "app": "sla",
                "unique_together": (("level", "priority"),),
                "pk_attr": "id",
                "table_description": "One row per (SLA level, priority), shipped defaults come with the migration.",
            },
            bases=["Model"],
        ),
    ]
