"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import jwt

from csm_graph import clock
from csm_graph.settings import Settings

ALGORITHM = "HS256"
CLOCK_SKEW = dt.timedelta(minutes=1)
"""How far ahead of this host's clock another host may issue a token."""


class InvalidToken(Exception):
    """The token is malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    expires_at: dt.datetime
    epoch: int = 0
    """The user's session epoch when the token was issued (`sep`)."""
    session_id: str | None = None
    """The session (refresh-token family) it belongs to (`sid`)."""
    api_token_id: int | None = None
    """The API token it was read from (`accounts.api_tokens`); None for a JWT."""


def issue_access_token(
    settings: Settings, user_id: int, *, epoch: int = 0, session_id: str | None = None
) -> str:
    issued = clock.now()
    claims = {
        "sub": str(user_id),
        "sep": epoch,
        **({"sid": session_id} if session_id else {}),
        "typ": "access",
        "iss": settings.jwt_issuer,
        "iat": int(issued.timestamp()),
        "exp": int((issued + dt.timedelta(minutes=settings.access_token_minutes)).timestamp()),
    }
    return jwt.encode(claims, settings.resolved_secret_key(), algorithm=ALGORITHM)


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.resolved_secret_key(),
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            # Both times are checked below against the product clock (hosts' clocks differ).
            options={
                "require": ["sub", "exp", "iat", "typ"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    try:
        expires_at = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        issued_at = int(claims["iat"])
        user_id = int(claims["sub"])
        epoch = int(claims.get("sep", 0))
    except (TypeError, ValueError, OverflowError, OSError):
        raise InvalidToken("malformed claims") from None
    # Against the product clock, not the system clock.
    now = clock.now()
    if expires_at <= now:
        raise InvalidToken("token expired")
    if issued_at > (now + CLOCK_SKEW).timestamp():
        raise InvalidToken("token issued in the future")
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    session_id = claims.get("sid")
    if session_id is not None and not isinstance(session_id, str):
        raise InvalidToken("bad session")
    return AccessClaims(user_id=user_id, expires_at=expires_at, epoch=epoch, session_id=session_id)


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
