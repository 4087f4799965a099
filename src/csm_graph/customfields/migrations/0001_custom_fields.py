from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.customfields.models import CustomFieldEntity, CustomFieldType


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="CustomField",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "entity",
                    fields.CharEnumField(
                        description="CONSUMER: CONSUMER\nCASE: CASE",
                        enum_type=CustomFieldEntity,
                        max_length=16,
                    ),
                ),
                ("key", fields.CharField(max_length=64)),
                ("label", fields.CharField(max_length=120)),
                (
                    "type",
                    fields.CharEnumField(
                        description="TEXT: TEXT\nNUMBER: NUMBER\nDATE: DATE\nBOOLEAN: BOOLEAN\nCHOICE: CHOICE",
                        enum_type=CustomFieldType,
                        max_length=16,
                    ),
                ),
                ("options", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("read_rules", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("write_rules", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("retired_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "custom_field",
                "app": "customfields",
                "unique_together": (("entity", "key"),),
                "pk_attr": "id",
                "table_description": "A field of consumers or of cases. Its key is unique per entity, for good",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CustomFieldValue",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "field",
                    fields.ForeignKeyField(
                        "customfields.CustomField",
                        source_field="field_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="values",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("object_id", fields.IntField()),
                ("text_value", fields.CharField(null=True, max_length=1000)),
                ("number_value", fields.FloatField(null=True)),
                ("date_value", fields.DateField(null=True)),
                ("bool_value", fields.BooleanField(null=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "custom_field_value",
                "app": "customfields",
                "unique_together": (("field", "object_id"),),
                "indexes": [
                    Index(fields=["object_id", "field_id"]),
                    Index(fields=["field_id", "text_value"]),
                    Index(fields=["field_id", "number_value"]),
                    Index(fields=["field_id", "date_value"]),
                    Index(fields=["field_id", "bool_value"]),
                ],
                "pk_attr": "id",
                "table_description": "One field's value on one consumer or case (`object_id`, by the field's",
            },
            bases=["Model"],
        ),
    ]
