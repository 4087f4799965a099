"""Who is asking: the viewer behind a bearer token, loaded once per operation.

Every request and every WebSocket operation starts here, so the check is
one statement: the user row, their roles and teams, and whether the
token's session still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csm_graph.accounts import tokens
from csm_graph.accounts.models import RoleName, UserType
from csm_graph.db import fetch
from csm_graph.errors import AccessDenied, NotAuthenticated
from csm_graph.settings import get_settings


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: the user id and what the access rules need to know about them."""

    user_id: int
    user_type: UserType
    roles: frozenset[str] = field(default_factory=frozenset)
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_internal(self) -> bool:
        return self.user_type is UserType.INTERNAL

    @property
    def is_admin(self) -> bool:
        return self.is_internal and RoleName.ADMIN in self.roles

    @property
    def is_manager(self) -> bool:
        return self.is_internal and (RoleName.MANAGER in self.roles or self.is_admin)


async def load_viewer(user_id: int) -> Viewer | None:
    """The active user `user_id` as a Viewer, or None.

    One statement (every request starts here): the user row, their role
    names and their team ids, as one tagged UNION."""
    rows = await fetch(
        "SELECT 'u', user_type FROM \"user\" WHERE id = ? AND is_active = ? "
        "UNION ALL SELECT 'r', r.name FROM role r JOIN user_role ur ON ur.role_id = r.id "
        "WHERE ur.user_id = ? "
        "UNION ALL SELECT 't', CAST(team_id AS VARCHAR(20)) FROM team_member WHERE user_id = ?",
        [user_id, True, user_id, user_id],
    )
    user_type = next((value for tag, value in rows if tag == "u"), None)
    if user_type is None:
        return None
    return Viewer(
        user_id=user_id,
        user_type=UserType(user_type),
        roles=frozenset(str(value) for tag, value in rows if tag == "r"),
        team_ids=frozenset(int(value) for tag, value in rows if tag == "t"),
    )


def require_admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may do this.")
    return viewer


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer behind an `Authorization` value; None when there is none.

    A value that is present but not a live bearer token of an active user is
    refused, not treated as anonymous, so clients learn to refresh.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Use `Authorization: Bearer <accessToken>`.")
    try:
        claims = tokens.read_access_token(get_settings(), token.strip())
    except tokens.InvalidToken:
        raise NotAuthenticated("The access token is invalid or expired.") from None
    viewer = await load_viewer(claims.user_id)
    if viewer is None:
        raise NotAuthenticated("The access token is invalid or expired.")
    return viewer
