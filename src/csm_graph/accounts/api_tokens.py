"""Service accounts and API tokens: long-lived bearer tokens for scripts and
other systems.

A service account is an internal user with roles and teams like any other,
marked `is_service_account`: it has no password, so login, password reset
and set-password links refuse it, and it acts only through its tokens.
Administrators issue its tokens; a person makes personal tokens when an
administrator allowed it (`User.api_tokens_allowed`).

A token is `csm_` and 43 random characters, shown once: only its SHA-256 is
stored, with its first characters (`prefix`) to tell it apart. It works
wherever an access token does (`accounts.viewer.bearer_claims`), read again
for every operation: a revoked token fails on the next request and open
sockets of its owner are told to check theirs, so the one opened with it
closes. Whatever ends a person's sessions (logout everywhere, a password
change or reset, deactivation) revokes their tokens too
(`sessions.revoke_api_tokens`); a new epoch that keeps sessions (a role
change) does not, since every operation reads the roles afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from csm_graph import clock
from csm_graph.accounts import sessions, tokens
from csm_graph.accounts.models import ApiToken, User
from csm_graph.accounts.users import UserDraft, create_user
from csm_graph.accounts.viewer import API_TOKEN_PREFIX, Viewer, require_admin
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text

PREFIX_LENGTH = len(API_TOKEN_PREFIX) + 8
"""How much of a token is kept in the clear to tell it apart (`csm_` and 8)."""
NO_SUCH_TOKEN = "No such API token."


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceAccountDraft:
    """A new service account (ids decoded)."""

    name: str
    email: str
    roles: list[str] = dataclasses.field(default_factory=list)
    team_ids: list[int] = dataclasses.field(default_factory=list)


async def create_service_account(viewer: Viewer | None, draft: ServiceAccountDraft) -> User:
    """Create a service account (administrators): `create_user` with the same
    checks, role and team assignment and audit events, no password and no
    set-password email, and a SERVICE_ACCOUNT_CREATED event besides."""
    require_admin(viewer)
    name = require_text("name", draft.name, max_length=100)
    return await create_user(
        viewer,
        UserDraft(
            email=draft.email,
            last_name=name,
            roles=list(draft.roles),
            team_ids=list(draft.team_ids),
            service_account=True,
        ),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: the row, and the secret, which is never shown again."""

    row: ApiToken
    secret: str


async def create_api_token(
    viewer: Viewer | None,
    name: str,
    *,
    user_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> IssuedToken:
    """Make a token for `user_id` (administrators, for a service account) or,
    without one, a personal token of the viewer (when an administrator
    allowed it)."""
    if viewer is None:
        raise UserErrors.one(None, "Log in first.", ErrorCode.FORBIDDEN)
    name = require_text("name", name, max_length=100)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise UserErrors.one("expires_at", "The expiry must be in the future.")
    async with unit_of_work():
        if user_id is None or user_id == viewer.user_id:
            owner = await User.get_or_none(id=viewer.user_id, is_active=True)
            # A service account's tokens come from administrators only, so a
            # leaked one cannot mint others that outlive its revocation.
            if owner is None or owner.is_service_account or not owner.api_tokens_allowed:
                raise UserErrors.one(
                    None,
                    "An administrator has not allowed you personal API tokens.",
                    ErrorCode.FORBIDDEN,
                )
        else:
            owner = await User.get_or_none(id=user_id) if viewer.is_admin else None
            if owner is None:
                raise UserErrors.one("user_id", "No such user.", ErrorCode.NOT_FOUND)
            if not owner.is_service_account:
                raise UserErrors.one(
                    "user_id",
                    "Administrators issue tokens for service accounts only; people make their own.",
                )
            if not owner.is_active:
                raise UserErrors.one("user_id", "The service account is inactive.")
        secret = API_TOKEN_PREFIX + tokens.new_opaque_token()
        row = await ApiToken.create(
            user_id=owner.id,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            token_hash=tokens.digest(secret),
            created_by_id=viewer.user_id,
            created_at=now,
            expires_at=expires_at,
        )
        await record(
            AuditKind.API_TOKEN_CREATED,
            viewer,
            user_id=owner.id,
            target=("ApiToken", row.id),
            name=name,
            prefix=row.prefix,
        )
    return IssuedToken(row=row, secret=secret)


async def revoke_api_token(viewer: Viewer | None, token_id: int) -> ApiToken:
    """Revoke a token (administrators, or its owner). It fails on the next
    request; the owner's open sockets check theirs and the one opened with it
    closes. Revoking a revoked token changes nothing."""
    async with unit_of_work():
        row = await ApiToken.get_or_none(id=token_id)
        if row is None or viewer is None or not (viewer.is_admin or viewer.user_id == row.user_id):
            raise UserErrors.one("id", NO_SUCH_TOKEN, ErrorCode.NOT_FOUND)
        if row.revoked_at is None:
            row.revoked_at = clock.now()
            await row.save(update_fields=["revoked_at"])
            await record(
                AuditKind.API_TOKEN_REVOKED,
                viewer,
                user_id=row.user_id,
                target=("ApiToken", row.id),
                reason="revoked",
            )
            await sessions.tell_sockets(row.user_id)
    return row
