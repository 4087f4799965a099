"""Who is asking: the viewer behind a bearer token, loaded once per operation.

Every request and every WebSocket operation starts here, so the check is
one statement: the user row, their roles and teams, and whether the
token's session still holds; for staff also their department and reports,
which the access engine's subject needs (`access.engine.load_subject`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.accounts import tokens
from csm_graph.accounts.models import ApiToken, RoleName, UserType
from csm_graph.db import fetch
from csm_graph.errors import AccessDenied, NotAuthenticated
from csm_graph.settings import get_settings

NO_LOGIN = 0
"""The user id of a viewer that is no user: the system, as some commands and
jobs act, or a consumer record without a login (an email from its address),
for which the engine's consumer-side rules alone decide. What it writes names
no user (`Viewer.login_id`)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: the user id and what the access rules need to know about them."""

    user_id: int
    user_type: UserType
    roles: frozenset[str] = field(default_factory=frozenset)
    team_ids: frozenset[int] = field(default_factory=frozenset)
    session_id: str | None = None
    """The session (refresh-token family) the access token belongs to, if any."""
    department: str | None = None
    """An internal user's `department` text, read with the viewer ("" for none);
    None: not read (the access engine reads it then)."""
    report_ids: frozenset[int] | None = None
    """The users whose manager the viewer is, read with the viewer; None: not read."""

    @property
    def is_internal(self) -> bool:
        return self.user_type is UserType.INTERNAL

    @property
    def login_id(self) -> int | None:
        """The user to name as author or actor: None for a record without a login."""
        return None if self.user_id == NO_LOGIN else self.user_id

    @property
    def is_admin(self) -> bool:
        return self.is_internal and RoleName.ADMIN in self.roles

    @property
    def is_manager(self) -> bool:
        return self.is_internal and (RoleName.MANAGER in self.roles or self.is_admin)


_USER = "SELECT 'u', user_type FROM \"user\" WHERE id = ? AND is_active = ?"
_EPOCH = " AND session_epoch = ?"
_ROLES_AND_TEAMS = (
    " UNION ALL SELECT 'r', r.name FROM role r JOIN user_role ur ON ur.role_id = r.id"
    " WHERE ur.user_id = ?"
    " UNION ALL SELECT 't', CAST(team_id AS VARCHAR(20)) FROM team_member WHERE user_id = ?"
)
_STAFF_FACTS = (
    "SELECT 'd', department FROM \"user\" WHERE id = ? AND user_type = ?"
    " UNION ALL SELECT 'm', CAST(id AS VARCHAR(20)) FROM \"user\" WHERE manager_id = ?"
)
"""An internal user's department text and reports, which the access engine's
subject needs: read with the viewer, as fresh as its roles, so the subject
needs no statement of its own for them (`with_staff_facts` reads them alone
for a viewer made without them)."""
_STAFF_UNION = f" UNION ALL {_STAFF_FACTS}"
_LIVE_SESSION = (
    # The family's live refresh token (unused, unrevoked): none once the session ended.
    " UNION ALL SELECT 's', family FROM refresh_token"
    " WHERE family = ? AND user_id = ? AND used_at IS NULL AND revoked_at IS NULL"
)
_LIVE_API_TOKEN = (
    # The API token, unless revoked (its expiry never changes: the claims carry it).
    " UNION ALL SELECT 'k', CAST(id AS VARCHAR(20)) FROM api_token"
    " WHERE id = ? AND user_id = ? AND revoked_at IS NULL"
)
API_TOKEN_PREFIX = "csm_"
"""How every API token begins, so secret scanners can find a leaked one."""
NO_EXPIRY = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
"""The expiry the claims of an API token without one carry."""
LAST_USED_STEP = dt.timedelta(minutes=1)
"""An API token's `last_used_at` is written at most this often, not per request."""


async def load_viewer(
    user_id: int,
    *,
    epoch: int | None = None,
    session_id: str | None = None,
    api_token_id: int | None = None,
) -> Viewer | None:
    """The active user `user_id` as a Viewer, or None.

    With a token's `epoch` and `session_id`, also None once the user's
    sessions were ended since (a new epoch) or that session was revoked.
    With an `api_token_id`, also None once that token was revoked.
    One statement (every operation starts here): the user row, their role
    names, their team ids, an internal user's department and reports, and
    whether the session is live, as one tagged UNION.
    """
    parts = [_USER, _EPOCH if epoch is not None else "", _ROLES_AND_TEAMS, _STAFF_UNION]
    params: list[object] = [user_id, True]
    params += [epoch] if epoch is not None else []
    params += [user_id, user_id, *_staff_params(user_id)]
    if session_id is not None:
        parts.append(_LIVE_SESSION)
        params += [session_id, user_id]
    if api_token_id is not None:
        parts.append(_LIVE_API_TOKEN)
        params += [api_token_id, user_id]
    sql = "".join(parts)
    rows = await fetch(sql, params)
    user_type = next((value for tag, value in rows if tag == "u"), None)
    if user_type is None:
        return None
    if session_id is not None and not any(tag == "s" for tag, _ in rows):
        return None
    if api_token_id is not None and not any(tag == "k" for tag, _ in rows):
        return None
    viewer = Viewer(
        user_id=user_id,
        user_type=UserType(user_type),
        roles=frozenset(str(value) for tag, value in rows if tag == "r"),
        team_ids=frozenset(int(value) for tag, value in rows if tag == "t"),
        session_id=session_id,
    )
    return _with_staff_rows(viewer, rows) if viewer.is_internal else viewer


def _staff_params(user_id: int) -> list[object]:
    return [user_id, UserType.INTERNAL.value, user_id]


def _with_staff_rows(viewer: Viewer, rows: list[tuple[Any, ...]]) -> Viewer:
    """`viewer` with the department and reports that `_STAFF_FACTS` rows give."""
    reports = (int(value) for tag, value in rows if tag == "m")
    return replace(
        viewer,
        department=next((str(value or "") for tag, value in rows if tag == "d"), ""),
        report_ids=frozenset(reports) if viewer.is_manager else frozenset(),
    )


async def with_staff_facts(viewer: Viewer) -> Viewer:
    """An internal viewer with their department and reports, read now if it was
    made without them (`load_viewer` reads them with the viewer); any other
    viewer as it is."""
    if not viewer.is_internal or (viewer.department is not None and viewer.report_ids is not None):
        return viewer
    return _with_staff_rows(viewer, await fetch(_STAFF_FACTS, _staff_params(viewer.user_id)))


async def viewer_of(claims: tokens.AccessClaims) -> Viewer | None:
    """The viewer an access token speaks for, while its session holds (an API
    token: while it is not revoked; its expiry the caller checked)."""
    if claims.api_token_id is not None:
        return await load_viewer(claims.user_id, api_token_id=claims.api_token_id)
    return await load_viewer(claims.user_id, epoch=claims.epoch, session_id=claims.session_id)


def require_admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may do this.")
    return viewer


def claims_of(authorization: str | None) -> tokens.AccessClaims | None:
    """The claims of an `Authorization` value (`Bearer <token>`); None when absent.

    A value that is present but not a live access token is refused, not
    treated as anonymous, so clients learn to refresh.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Use `Authorization: Bearer <accessToken>`.")
    try:
        return tokens.read_access_token(get_settings(), token.strip())
    except tokens.InvalidToken:
        raise NotAuthenticated("The access token is invalid or expired.") from None


async def bearer_claims(authorization: str | None) -> tokens.AccessClaims | None:
    """`claims_of`, also for API tokens (`csm_…`), read from their row.
    Refused like a bad access token when unknown, revoked or expired."""
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip().startswith(API_TOKEN_PREFIX):
            claims = await api_token_claims(token.strip())
            if claims is None:
                raise NotAuthenticated("The API token is invalid, revoked or expired.")
            return claims
    return claims_of(authorization)


async def api_token_claims(token: str) -> tokens.AccessClaims | None:
    """The claims of a live API token, None for any other value. Notes its
    use, at most once per `LAST_USED_STEP` (one conditional UPDATE)."""
    row = await ApiToken.get_or_none(token_hash=tokens.digest(token), revoked_at=None)
    now = clock.now()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_STEP:
        await ApiToken.filter(
            Q(last_used_at=None) | Q(last_used_at__lte=now - LAST_USED_STEP), id=row.id
        ).update(last_used_at=now)
    return tokens.AccessClaims(
        user_id=row.user_id, expires_at=row.expires_at or NO_EXPIRY, api_token_id=row.id
    )


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer behind an `Authorization` value; None when there is none.
    A token whose user or session is gone is refused like a bad one."""
    claims = await bearer_claims(authorization)
    if claims is None:
        return None
    viewer = await viewer_of(claims)
    if viewer is None:
        raise NotAuthenticated("The access token is invalid or expired.")
    return viewer
