from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.cases.models import ActivityKind, CaseCategory, CaseChannel, CaseState


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("consumers", "0001_initial"),
        ("households", "0001_initial"),
    ]

    initial = True

    operations = [
        ops.CreateModel(
            name="Case",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("number", fields.CharField(unique=True, max_length=16)),
                ("short_description", fields.CharField(max_length=160)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "state",
                    fields.CharEnumField(
                        default=CaseState.NEW,
                        db_index=True,
                        description="NEW: NEW\nOPEN: OPEN\nAWAITING_INFO: AWAITING_INFO\nRESOLVED: RESOLVED\nCLOSED: CLOSED\nCANCELLED: CANCELLED",
                        enum_type=CaseState,
                        max_length=16,
                    ),
                ),
                ("priority", fields.SmallIntField(default=4)),
                (
                    "category",
                    fields.CharEnumField(
                        default=CaseCategory.GENERAL_INQUIRY,
                        description="GENERAL_INQUIRY: GENERAL_INQUIRY\nBILLING: BILLING\nTECHNICAL: TECHNICAL\nCOMPLAINT: COMPLAINT\nACCOUNT: ACCOUNT\nPASSWORD_REQUEST: PASSWORD_REQUEST\nOTHER: OTHER",
                        enum_type=CaseCategory,
                        max_length=24,
                    ),
                ),
                (
                    "channel",
                    fields.CharEnumField(
                        default=CaseChannel.WEB,
                        description="WEB: WEB\nEMAIL: EMAIL\nPHONE: PHONE\nCHAT: CHAT\nSOCIAL: SOCIAL\nWALK_IN: WALK_IN",
                        enum_type=CaseChannel,
                        max_length=16,
                    ),
                ),
                (
                    "consumer",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="consumer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cases",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "households.Household",
                        source_field="household_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="cases",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "opened_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="opened_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="cases_opened",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "assigned_to",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="assigned_to_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="cases_assigned",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "assignment_team",
                    fields.ForeignKeyField(
                        "accounts.Team",
                        source_field="assignment_team_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="cases",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("resolution_code", fields.CharField(default="", max_length=40)),
                ("resolution_notes", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                (
                    "resolved_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("version", fields.IntField(default=1)),
            ],
            options={
                "table": "case",
                "app": "cases",
                "indexes": [
                    Index(fields=["consumer_id", "state"]),
                    Index(fields=["assigned_to_id", "state"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CaseActivity",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "cases.Case",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="activity",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CREATED: CREATED\nSTATE_CHANGED: STATE_CHANGED\nFIELD_CHANGED: FIELD_CHANGED\nASSIGNED: ASSIGNED\nCOMMENTED: COMMENTED\nWORK_NOTE_ADDED: WORK_NOTE_ADDED\nATTACHMENT_ADDED: ATTACHMENT_ADDED",
                        enum_type=ActivityKind,
                        max_length=24,
                    ),
                ),
                ("internal", fields.BooleanField(default=False)),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="case_activity",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "on_behalf_of",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="on_behalf_of_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="case_activity_for",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("field", fields.CharField(default="", max_length=40)),
                ("old_value", fields.TextField(default="", unique=False)),
                ("new_value", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "case_activity",
                "app": "cases",
                "indexes": [Index(fields=["case_id", "id"])],
                "pk_attr": "id",
                "table_description": "One entry of a case's activity stream: who did what, on whose behalf.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CaseAttachment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "cases.Case",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attachments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("file_name", fields.CharField(max_length=255)),
                ("content_type", fields.CharField(max_length=100)),
                ("size", fields.IntField()),
                ("sha256", fields.CharField(max_length=64)),
                ("storage_key", fields.CharField(unique=True, max_length=100)),
                (
                    "uploaded_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="uploaded_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="case_attachments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "case_attachment", "app": "cases", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CaseComment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "cases.Case",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="comments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("body", fields.TextField(unique=False)),
                ("work_note", fields.BooleanField(default=False)),
                (
                    "author",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="author_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="case_comments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "on_behalf_of",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="on_behalf_of_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="case_comments_for",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "case_comment",
                "app": "cases",
                "indexes": [Index(fields=["case_id", "work_note", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
