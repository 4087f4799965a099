from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.privacy.models import ErasureState


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="ErasureRequest",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("consumer_id", fields.IntField()),
                (
                    "state",
                    fields.CharEnumField(
                        default=ErasureState.REQUESTED,
                        description="REQUESTED: REQUESTED\nDONE: DONE\nREJECTED: REJECTED",
                        enum_type=ErasureState,
                        max_length=16,
                    ),
                ),
                ("reason", fields.CharField(default="", max_length=500)),
                ("requested_by_id", fields.IntField(null=True)),
                ("decided_by_id", fields.IntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "erasure_request",
                "app": "privacy",
                "indexes": [Index(fields=["consumer_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
