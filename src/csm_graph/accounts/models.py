"""Users, roles, teams and refresh tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from csm_graph.core.names import PersonName


class UserType(StrEnum):
    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"


class RoleName(StrEnum):
    """The shipped roles. Roles are rows in `role`; these names are their keys."""

    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    AGENT = "AGENT"


class Role(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32, unique=True)
    description = fields.CharField(max_length=200, default="")

    class Meta:
        table = "role"


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    members: fields.ManyToManyRelation[User]

    class Meta:
        table = "team"


class User(PersonName):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    """Stored lower-cased, so uniqueness is case-insensitive on every database."""
    password_hash = fields.CharField(max_length=200, null=True)
    user_type = fields.CharEnumField(UserType, max_length=16, default=UserType.EXTERNAL)
    phone = fields.CharField(max_length=20, default="")
    is_active = fields.BooleanField(default=True)
    email_verified = fields.BooleanField(default=False)
    last_login_at = fields.DatetimeField(null=True)
    department = fields.CharField(max_length=100, default="")
    title = fields.CharField(max_length=100, default="")
    employee_id = fields.CharField(max_length=40, null=True, unique=True)
    manager: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="reports", null=True, on_delete=fields.SET_NULL
    )
    roles: fields.ManyToManyRelation[Role] = fields.ManyToManyField(
        "accounts.Role", related_name="users", through="user_role"
    )
    teams: fields.ManyToManyRelation[Team] = fields.ManyToManyField(
        "accounts.Team", related_name="members", through="team_member"
    )
    identity_changed_at = fields.DatetimeField(null=True)
    """When name, email or phone last changed here: the newer side wins a consumer sync."""
    session_epoch = fields.IntField(default=0)
    """Moves on when every session must end (see `accounts.sessions`); access
    tokens carry the epoch they were issued in."""
    is_service_account = fields.BooleanField(default=False)
    """An internal user that scripts and other systems act as, through API tokens
    only: it has no password and cannot log in (see `accounts.api_tokens`)."""
    api_tokens_allowed = fields.BooleanField(default=False)
    """Whether an administrator lets this person make personal API tokens."""
    pending_email = fields.CharField(max_length=254, null=True)
    """An address someone else gave this login's consumer record, waiting for the
    owner to confirm it from the link sent there; until then the login keeps `email`."""
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    manager_id: int | None

    class Meta:
        table = "user"
        indexes = (("manager_id", "id"),)


class RefreshToken(Model):
    """A refresh token, stored as its SHA-256 only.

    Tokens of one login form a family; using a token rotates it (marks it
    used and issues the next one in the family). Presenting a used token
    again means it leaked, and revokes the whole family.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    family = fields.CharField(max_length=32, db_index=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "refresh_token"
        indexes = (("user_id", "id"),)


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    PASSWORD_RESET = "PASSWORD_RESET"
    EMAIL_CHANGE = "EMAIL_CHANGE"


class EmailToken(Model):
    """A single-use token sent by email (verification, password reset), stored hashed."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="email_tokens", on_delete=fields.CASCADE
    )
    purpose = fields.CharEnumField(TokenPurpose, max_length=20)
    email = fields.CharField(max_length=254, null=True)
    """The address the link was sent to, for an email change."""
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "email_token"
        indexes = (("user_id", "id"),)


class ApiToken(Model):
    """A long-lived bearer token for a script or another system, stored as its
    SHA-256 only (see `accounts.api_tokens`)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16)
    """The token's first characters, kept to tell tokens apart (not a secret)."""
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by_id = fields.IntField(null=True)
    """Who made it: the owner, or the administrator who issued it."""
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    """When a request last came with it, to the minute (not written on every request)."""
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "api_token"
        indexes = (("user_id", "id"),)
