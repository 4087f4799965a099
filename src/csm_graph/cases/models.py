"""Cases, their comments, attachments and activity stream."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.accounts.models import Team, User
    from csm_graph.consumers.models import Consumer
    from csm_graph.households.models import Household
    from csm_graph.products.models import SoldProduct


class CaseState(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    AWAITING_INFO = "AWAITING_INFO"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.CANCELLED})


class CaseCategory(StrEnum):
    GENERAL_INQUIRY = "GENERAL_INQUIRY"
    BILLING = "BILLING"
    TECHNICAL = "TECHNICAL"
    COMPLAINT = "COMPLAINT"
    ACCOUNT = "ACCOUNT"
    PASSWORD_REQUEST = "PASSWORD_REQUEST"
    OTHER = "OTHER"


class CaseChannel(StrEnum):
    WEB = "WEB"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CHAT = "CHAT"
    SOCIAL = "SOCIAL"
    WALK_IN = "WALK_IN"


class Case(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    short_description = fields.CharField(max_length=160)
    description = fields.TextField(default="")
    state = fields.CharEnumField(CaseState, max_length=16, default=CaseState.NEW, db_index=True)
    priority = fields.SmallIntField(default=4)
    category = fields.CharEnumField(
        CaseCategory, max_length=24, default=CaseCategory.GENERAL_INQUIRY
    )
    channel = fields.CharEnumField(CaseChannel, max_length=16, default=CaseChannel.WEB)
    consumer: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="cases", on_delete=fields.RESTRICT
    )
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "households.Household", related_name="cases", null=True, on_delete=fields.RESTRICT
    )
    opened_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="cases_opened", null=True, on_delete=fields.SET_NULL
    )
    assigned_to: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="cases_assigned", null=True, on_delete=fields.SET_NULL
    )
    assignment_team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "accounts.Team", related_name="cases", null=True, on_delete=fields.SET_NULL
    )
    sold_product: fields.ForeignKeyNullableRelation[SoldProduct] = fields.ForeignKeyField(
        "products.SoldProduct", related_name="cases", null=True, on_delete=fields.SET_NULL
    )
    resolution_code = fields.CharField(max_length=40, default="")
    resolution_notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    first_response_at = fields.DatetimeField(null=True)
    """The first public reply by an internal user: it stops the response clock."""
    response_due_at = fields.DatetimeField(null=True)
    resolution_due_at = fields.DatetimeField(null=True)
    sla_paused_at = fields.DatetimeField(null=True)
    """Set while the case awaits the consumer: the SLA clocks stand still."""
    sla_breached = fields.BooleanField(default=False)
    sla_breach_notified_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    """Raised by every change; a write naming an older version is refused."""

    consumer_id: int
    household_id: int | None
    opened_by_id: int | None
    assigned_to_id: int | None
    assignment_team_id: int | None
    sold_product_id: int | None

    class Meta:
        table = "case"
        # Each access grant is one of these columns: "newest first" over a
        # viewer's grants reads one index range per grant, not the whole table.
        indexes = (
            ("consumer_id", "state"),
            ("assigned_to_id", "state"),
            ("consumer_id", "id"),
            ("assigned_to_id", "id"),
            ("household_id", "id"),
            ("opened_by_id", "id"),
            ("assignment_team_id", "id"),
            ("sold_product_id", "id"),
        )


class CaseComment(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="comments", on_delete=fields.CASCADE
    )
    body = fields.TextField()
    work_note = fields.BooleanField(default=False)
    """Internal only: never shown to, listed for, or emailed to the consumer side."""
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="case_comments", null=True, on_delete=fields.SET_NULL
    )
    on_behalf_of: fields.ForeignKeyNullableRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="case_comments_for", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    case_id: int
    author_id: int | None
    on_behalf_of_id: int | None

    class Meta:
        table = "case_comment"
        indexes = (("case_id", "work_note", "id"),)


class CaseAttachment(Model):
    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="attachments", on_delete=fields.CASCADE
    )
    file_name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    storage_key = fields.CharField(max_length=100, unique=True)
    uploaded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="case_attachments", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    case_id: int
    uploaded_by_id: int | None

    class Meta:
        table = "case_attachment"
        indexes = (("case_id", "id"),)


class ActivityKind(StrEnum):
    CREATED = "CREATED"
    STATE_CHANGED = "STATE_CHANGED"
    FIELD_CHANGED = "FIELD_CHANGED"
    ASSIGNED = "ASSIGNED"
    COMMENTED = "COMMENTED"
    WORK_NOTE_ADDED = "WORK_NOTE_ADDED"
    ATTACHMENT_ADDED = "ATTACHMENT_ADDED"
    CONSUMER_MERGED = "CONSUMER_MERGED"
    """The case's consumer record was merged into another; the case moved with it."""


class CaseActivity(Model):
    """One entry of a case's activity stream: who did what, on whose behalf."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="activity", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ActivityKind, max_length=24)
    internal = fields.BooleanField(default=False)
    """Entries the consumer side must not see (work notes, internal fields)."""
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="case_activity", null=True, on_delete=fields.SET_NULL
    )
    on_behalf_of: fields.ForeignKeyNullableRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="case_activity_for", null=True, on_delete=fields.SET_NULL
    )
    field = fields.CharField(max_length=40, default="")
    old_value = fields.TextField(default="")
    new_value = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    case_id: int
    actor_id: int | None
    on_behalf_of_id: int | None

    class Meta:
        table = "case_activity"
        indexes = (("case_id", "id"),)
