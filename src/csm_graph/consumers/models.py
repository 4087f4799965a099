"""Consumers: the people the service is for, and their bulk imports."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from csm_graph.accounts.models import User
from csm_graph.core.names import PersonName


class SlaLevel(StrEnum):
    BRONZE = "BRONZE"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


class Consumer(PersonName):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    external_id = fields.CharField(max_length=64, null=True, unique=True)
    email = fields.CharField(max_length=254, default="", db_index=True)
    """Lower-cased. Not unique: imported data may repeat an address."""
    phone = fields.CharField(max_length=20, default="", db_index=True)
    mobile_phone = fields.CharField(max_length=20, default="")
    address_line1 = fields.CharField(max_length=200, default="")
    address_line2 = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    region = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    country = fields.CharField(max_length=2, default="")
    date_of_birth = fields.DateField(null=True)
    preferred_language = fields.CharField(max_length=16, default="en")
    notify_email = fields.BooleanField(default=True)
    notify_sms = fields.BooleanField(default=False)
    sla_level = fields.CharEnumField(SlaLevel, max_length=16, default=SlaLevel.BRONZE)
    last_survey_at = fields.DatetimeField(null=True)
    twitter_handle = fields.CharField(max_length=64, default="")
    facebook_url = fields.CharField(max_length=300, default="")
    linkedin_url = fields.CharField(max_length=300, default="")
    personal_email = fields.CharField(max_length=254, default="")
    is_active = fields.BooleanField(default=True)
    review_reason = fields.CharField(max_length=500, default="")
    """Set when something needs an agent's eye (an ambiguous claim at signup)."""
    user: fields.OneToOneNullableRelation[User] = fields.OneToOneField(
        "accounts.User", related_name="consumer", null=True, on_delete=fields.SET_NULL
    )
    identity_changed_at = fields.DatetimeField(null=True)
    """When name, email or phone last changed here: the newer side wins a sync."""
    legal_hold = fields.BooleanField(default=False)
    """Records under a legal hold are neither merged away nor erased."""
    merged_into: fields.ForeignKeyNullableRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="merged_records", null=True, on_delete=fields.RESTRICT
    )
    """Set on a merged record (a tombstone): the survivor that now holds everything."""
    merged_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int | None
    merged_into_id: int | None

    class Meta:
        table = "consumer"
        indexes = (("merged_into_id", "id"),)


class ImportState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class ImportJob(Model):
    """A CSV upload of consumers, processed by a worker in batches."""

    id = fields.IntField(primary_key=True)
    state = fields.CharEnumField(ImportState, max_length=16, default=ImportState.QUEUED)
    file_name = fields.CharField(max_length=200, default="")
    source = fields.TextField()
    """The uploaded CSV, kept in the database so any worker can read it."""
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    created = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    message = fields.CharField(max_length=500, default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="consumer_imports", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consumer_import"


class ImportRowError(Model):
    id = fields.IntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "consumers.ImportJob", related_name="errors", on_delete=fields.CASCADE
    )
    row = fields.IntField()
    message = fields.CharField(max_length=500)

    job_id: int

    class Meta:
        table = "consumer_import_error"
        indexes = (("job_id", "row"),)


class DuplicateDismissal(Model):
    """Two consumer records an agent said are not the same person.

    Stored once per pair (`lower_id < higher_id`), so the candidate list never
    offers the pair again.
    """

    id = fields.IntField(primary_key=True)
    lower: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="dismissals_as_lower", on_delete=fields.CASCADE
    )
    higher: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="dismissals_as_higher", on_delete=fields.CASCADE
    )
    dismissed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="duplicate_dismissals", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    lower_id: int
    higher_id: int

    class Meta:
        table = "consumer_duplicate_dismissal"
        unique_together = (("lower_id", "higher_id"),)
        indexes = (("higher_id", "lower_id"),)


class ConsumerMerge(Model):
    """One merge of a duplicate record into the one that survives, kept as history.

    The merged record stays as a tombstone (`Consumer.merged_into`); this row
    says who merged it, when, which values came from it, which login was
    closed, and how many rows of each kind moved to the survivor.
    """

    id = fields.IntField(primary_key=True)
    survivor: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="merges_received", on_delete=fields.RESTRICT
    )
    merged: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="merges_given", on_delete=fields.RESTRICT
    )
    merged_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="consumer_merges", null=True, on_delete=fields.SET_NULL
    )
    closed_user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="closed_by_merges", null=True, on_delete=fields.SET_NULL
    )
    """The login that was closed because both records had one (None: no login was closed)."""
    fields_taken: fields.Field[list[str]] = fields.JSONField(default=list)
    """The choosable fields whose value came from the merged record (`merging.FIELD_GROUPS`)."""
    moved: fields.Field[dict[str, int]] = fields.JSONField(default=dict)
    """Rows moved to the survivor, by kind (`cases`, `memberships`, ...)."""
    created_at = fields.DatetimeField(auto_now_add=True)

    survivor_id: int
    merged_id: int
    merged_by_id: int | None
    closed_user_id: int | None

    class Meta:
        table = "consumer_merge"
        indexes = (
            ("survivor_id", "id"),
            ("merged_id", "id"),
            ("merged_by_id", "id"),
            ("closed_user_id", "id"),
        )
