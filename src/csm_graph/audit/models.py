"""The audit trail: an append-only record of who changed access, and when.

Rows are written in the same transaction as the change they record (so a
rolled-back change leaves none) and never updated or deleted by the API.
They name people by id only, never by name or address: erasing a consumer
leaves the trail intact and free of their personal data. The ids are plain
integers rather than foreign keys, so no deletion elsewhere can cascade
into the trail.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditKind(StrEnum):
    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOGIN_FAILED = "LOGIN_FAILED"
    """A wrong password for a known user (an unknown address is not recorded)."""
    LOGIN_LOCKED_OUT = "LOGIN_LOCKED_OUT"
    USER_CREATED = "USER_CREATED"
    USER_DEACTIVATED = "USER_DEACTIVATED"
    USER_REACTIVATED = "USER_REACTIVATED"
    ROLE_GRANTED = "ROLE_GRANTED"
    ROLE_REVOKED = "ROLE_REVOKED"
    TEAM_JOINED = "TEAM_JOINED"
    TEAM_LEFT = "TEAM_LEFT"
    MANAGER_CHANGED = "MANAGER_CHANGED"
    CONSUMER_USER_LINKED = "CONSUMER_USER_LINKED"
    CONSUMER_USER_UNLINKED = "CONSUMER_USER_UNLINKED"
    RESPONSIBILITY_CHANGED = "RESPONSIBILITY_CHANGED"
    RELATIONSHIP_TYPE_CHANGED = "RELATIONSHIP_TYPE_CHANGED"
    RELATED_PARTY_ADDED = "RELATED_PARTY_ADDED"
    RELATED_PARTY_CHANGED = "RELATED_PARTY_CHANGED"
    RELATED_PARTY_REMOVED = "RELATED_PARTY_REMOVED"
    REPRESENTATIVE_ADDED = "REPRESENTATIVE_ADDED"
    REPRESENTATIVE_REMOVED = "REPRESENTATIVE_REMOVED"
    DELEGATION_INVITED = "DELEGATION_INVITED"
    DELEGATION_ACCEPTED = "DELEGATION_ACCEPTED"
    DELEGATION_ENDED = "DELEGATION_ENDED"
    CONSUMERS_MERGED = "CONSUMERS_MERGED"
    DATA_EXPORT_REQUESTED = "DATA_EXPORT_REQUESTED"
    DATA_EXPORT_DOWNLOADED = "DATA_EXPORT_DOWNLOADED"
    ERASURE_REQUESTED = "ERASURE_REQUESTED"
    ERASURE_REJECTED = "ERASURE_REJECTED"
    CONSUMER_ERASED = "CONSUMER_ERASED"
    LEGAL_HOLD_CHANGED = "LEGAL_HOLD_CHANGED"
    RETENTION_CONFIGURED = "RETENTION_CONFIGURED"
    """The retention settings a worker runs with changed since the last record."""
    RETENTION_APPLIED = "RETENTION_APPLIED"
    SERVICE_ACCOUNT_CREATED = "SERVICE_ACCOUNT_CREATED"
    API_TOKEN_CREATED = "API_TOKEN_CREATED"
    API_TOKEN_REVOKED = "API_TOKEN_REVOKED"
    API_TOKENS_ALLOWED_CHANGED = "API_TOKENS_ALLOWED_CHANGED"
    WEBHOOK_ENDPOINT_CREATED = "WEBHOOK_ENDPOINT_CREATED"
    WEBHOOK_ENDPOINT_CHANGED = "WEBHOOK_ENDPOINT_CHANGED"
    WEBHOOK_SECRET_ROTATED = "WEBHOOK_SECRET_ROTATED"
    WEBHOOK_ENDPOINT_DELETED = "WEBHOOK_ENDPOINT_DELETED"
    USER_TYPE_CHANGED = "USER_TYPE_CHANGED"
    USER_EMAIL_CHANGED = "USER_EMAIL_CHANGED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    USER_DEPARTMENT_CHANGED = "USER_DEPARTMENT_CHANGED"
    DEPARTMENT_CREATED = "DEPARTMENT_CREATED"
    HOUSEHOLD_MEMBER_ADDED = "HOUSEHOLD_MEMBER_ADDED"
    HOUSEHOLD_MEMBER_ENDED = "HOUSEHOLD_MEMBER_ENDED"


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    kind = fields.CharEnumField(AuditKind, max_length=40)
    actor_id = fields.IntField(null=True)
    """The user who made the change; None for the system (a job, a migration)."""
    user_id = fields.IntField(null=True)
    """The user the change is about (their roles, teams, login), if any."""
    consumer_id = fields.IntField(null=True)
    """The consumer the change is about (their link, representatives, data), if any."""
    target_type = fields.CharField(max_length=40, default="")
    """What else the change is about: `Team`, `Role`, `RelatedParty`, `Case`, ..."""
    target_id = fields.IntField(null=True)
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    """Details by id and code (old and new values, the role's name): never a
    person's name, address or message text."""

    class Meta:
        table = "audit_event"
        indexes = (
            ("user_id", "id"),
            ("consumer_id", "id"),
            ("kind", "id"),
            ("at", "id"),
        )
