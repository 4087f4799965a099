from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from csm_graph.consumers.models import ImportState, SlaLevel


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_seed_roles")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Consumer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("number", fields.CharField(unique=True, max_length=16)),
                ("external_id", fields.CharField(null=True, unique=True, max_length=64)),
                ("prefix", fields.CharField(default="", max_length=40)),
                ("first_name", fields.CharField(default="", max_length=100)),
                ("middle_name", fields.CharField(default="", max_length=100)),
                ("last_name", fields.CharField(default="", max_length=100)),
                ("suffix", fields.CharField(default="", max_length=40)),
                ("email", fields.CharField(default="", db_index=True, max_length=254)),
                ("phone", fields.CharField(default="", db_index=True, max_length=20)),
                ("mobile_phone", fields.CharField(default="", max_length=20)),
                ("address_line1", fields.CharField(default="", max_length=200)),
                ("address_line2", fields.CharField(default="", max_length=200)),
                ("city", fields.CharField(default="", max_length=100)),
                ("region", fields.CharField(default="", max_length=100)),
                ("postal_code", fields.CharField(default="", max_length=20)),
                ("country", fields.CharField(default="", max_length=2)),
                ("date_of_birth", fields.DateField(null=True)),
                ("preferred_language", fields.CharField(default="en", max_length=16)),
                ("notify_email", fields.BooleanField(default=True)),
                ("notify_sms", fields.BooleanField(default=False)),
                (
                    "sla_level",
                    fields.CharEnumField(
                        default=SlaLevel.BRONZE,
                        description="BRONZE: BRONZE\nSILVER: SILVER\nGOLD: GOLD\nPLATINUM: PLATINUM",
                        enum_type=SlaLevel,
                        max_length=16,
                    ),
                ),
                (
                    "last_survey_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("twitter_handle", fields.CharField(default="", max_length=64)),
                ("facebook_url", fields.CharField(default="", max_length=300)),
                ("linkedin_url", fields.CharField(default="", max_length=300)),
                ("personal_email", fields.CharField(default="", max_length=254)),
                ("is_active", fields.BooleanField(default=True)),
                ("review_reason", fields.CharField(default="", max_length=500)),
                (
                    "user",
                    fields.OneToOneField(
                        "accounts.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="consumer",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "identity_changed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "consumer", "app": "consumers", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ImportJob",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=ImportState.QUEUED,
                        description="QUEUED: QUEUED\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED",
                        enum_type=ImportState,
                        max_length=16,
                    ),
                ),
                ("file_name", fields.CharField(default="", max_length=200)),
                ("source", fields.TextField(unique=False)),
                ("total", fields.IntField(default=0)),
                ("processed", fields.IntField(default=0)),
                ("created", fields.IntField(default=0)),
                ("updated", fields.IntField(default=0)),
                ("failed", fields.IntField(default=0)),
                ("message", fields.CharField(default="", max_length=500)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="consumer_imports",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "consumer_import",
                "app": "consumers",
                "pk_attr": "id",
                "table_description": "A CSV upload of consumers, processed by a worker in batches.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ImportRowError",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "job",
                    fields.ForeignKeyField(
                        "consumers.ImportJob",
                        source_field="job_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="errors",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("row", fields.IntField()),
                ("message", fields.CharField(max_length=500)),
            ],
            options={"table": "consumer_import_error", "app": "consumers", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
