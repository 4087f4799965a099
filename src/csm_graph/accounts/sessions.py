"""Sessions: login, refresh rotation, logout, and ending sessions.

A session is a family of refresh tokens: each use of one issues the next.
An access token names its session (`sid`) and the user's session epoch
(`sep`) when it was issued, and the viewer is loaded for every operation in
one statement that checks both (`accounts.viewer`). So an access token
stops working on the next request once its session is revoked (logout,
the user changing their password elsewhere) or the epoch moves on (logout
everywhere, a reset or an administrator setting the password, deactivation,
a role change); open WebSockets are told at once and close. Revoking
sessions revokes the user's API tokens too (`revoke_api_tokens`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F

from csm_graph import clock, ratelimit
from csm_graph.accounts import passwords, tokens
from csm_graph.accounts.models import ApiToken, RefreshToken, User, UserType
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.jobs import job
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work
from csm_graph.validation import fits

INVALID_LOGIN = "Invalid email or password."
SESSIONS_CHANNEL = "sessions"
"""Live event `{"userId": …}`: that user's sessions changed; sockets re-check theirs."""


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    access_token: str
    refresh_token: str
    access_expires_at: dt.datetime


async def _issue_session(user: User, family: str | None = None) -> Session:
    settings = get_settings()
    now = clock.now()
    refresh = tokens.new_opaque_token()
    family = family or secrets.token_hex(16)
    await RefreshToken.create(
        user_id=user.id,
        token_hash=tokens.digest(refresh),
        family=family,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.refresh_token_days),
    )
    return Session(
        user=user,
        access_token=tokens.issue_access_token(
            settings, user.id, epoch=user.session_epoch, session_id=family
        ),
        refresh_token=refresh,
        access_expires_at=now + dt.timedelta(minutes=settings.access_token_minutes),
    )


async def login(email: str, password: str, client_address: str) -> Session:
    """Check the credentials and open a session.

    Every failure says the same thing, whether the email exists or not, and
    costs the same time. Each attempt takes its slot per account and per
    client address before the password is checked, so concurrent guesses
    cannot outrun the limit; past it, attempts are refused unchecked. A
    successful login gives its address slot back and clears the account's.

    Attempts on a known user go to the audit trail (`audit`), by user id
    only: never the address or the password typed. An unknown address is
    not recorded. A failure is one row written on its own; a success is
    written with the session it opens.
    """
    settings = get_settings()
    limiter = ratelimit.limiter()
    window = settings.login_failure_window_seconds
    key_email = (email or "").strip().lower()
    account_key = f"login:account:{key_email}"
    address_key = f"login:address:{client_address}"
    attempts = await limiter.hit(account_key, window)
    from_address = await limiter.hit(address_key, window)
    known = bool(key_email) and fits(User, "email", key_email)
    if attempts > settings.login_max_failures or from_address > settings.login_max_failures * 4:
        await _record_lockout(
            key_email if known else "",
            "account" if attempts > settings.login_max_failures else "address",
            window,
        )
        raise UserErrors.one(
            None, "Too many failed attempts. Try again later.", ErrorCode.THROTTLED
        )

    user = await User.get_or_none(email=key_email) if known else None
    valid = await passwords.verify_password(user.password_hash if user else None, password)
    if user is not None and user.is_service_account:
        # No password to check: a service account acts through API tokens only.
        valid = False
    if user is None or not valid or not user.is_active:
        if user is not None:
            reason = "password" if not valid else "inactive"
            await record(AuditKind.LOGIN_FAILED, None, user_id=user.id, reason=reason)
        raise UserErrors.one(None, INVALID_LOGIN, ErrorCode.INVALID_CREDENTIALS)
    # The password is right: this attempt was no guess.
    await limiter.clear(account_key)
    await limiter.release(address_key)
    if user.user_type is UserType.EXTERNAL and not user.email_verified:
        await record(AuditKind.LOGIN_FAILED, None, user_id=user.id, reason="unverified")
        raise UserErrors.one(
            "email", "Verify your email address before logging in.", ErrorCode.INVALID_STATE
        )

    async with unit_of_work():
        assert user.password_hash is not None
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash_password(password)
        user.last_login_at = clock.now()
        await user.save(update_fields=["last_login_at", "password_hash"])
        await record(AuditKind.LOGIN_SUCCEEDED, user.id, user_id=user.id)
        return await _issue_session(user)


async def _record_lockout(key_email: str, reason: str, window: int) -> None:
    """LOGIN_LOCKED_OUT for a known user, once per user and window however many
    attempts are refused, so a flood of guesses cannot flood the trail."""
    if not key_email:
        return
    user = await User.get_or_none(email=key_email)
    if user is None:
        return
    if await ratelimit.limiter().hit(f"login:locked-out:{user.id}", window) == 1:
        await record(AuditKind.LOGIN_LOCKED_OUT, None, user_id=user.id, reason=reason)


async def refresh(refresh_token: str) -> Session:
    """Rotate a refresh token: the presented one is spent, a new one issued.

    A spent token presented again means it was copied: the whole family
    (every token descended from that login) is revoked.
    """
    invalid = UserErrors.one(
        "refresh_token", "The refresh token is invalid or expired.", ErrorCode.INVALID_CREDENTIALS
    )
    now = clock.now()
    async with unit_of_work():
        row = await RefreshToken.get_or_none(token_hash=tokens.digest(refresh_token))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise invalid
        if row.used_at is not None:
            await RefreshToken.filter(family=row.family, revoked_at=None).update(revoked_at=now)
        else:
            # Claim the token with a conditional update, so two concurrent
            # refreshes with one token cannot both succeed.
            claimed = await RefreshToken.filter(id=row.id, used_at=None).update(used_at=now)
            if claimed:
                user = await User.get_or_none(id=row.user_id, is_active=True)
                if user is not None:
                    return await _issue_session(user, family=row.family)
            else:
                await RefreshToken.filter(family=row.family, revoked_at=None).update(revoked_at=now)
    raise invalid


async def logout(refresh_token: str, *, everywhere: bool = False) -> bool:
    """End the token's session (its whole family), or with `everywhere` every
    session of its user. True when a live session was ended."""
    row = await RefreshToken.get_or_none(token_hash=tokens.digest(refresh_token))
    if row is None or row.revoked_at is not None:
        return False
    async with unit_of_work():
        if everywhere:
            await end_sessions(row.user_id)
        else:
            await RefreshToken.filter(family=row.family, revoked_at=None).update(
                revoked_at=clock.now()
            )
            await _tell_sockets(row.user_id)
    return True


async def end_sessions(
    user_id: int, *, keep_session: str | None = None, refresh_tokens: bool = True
) -> None:
    """Void every access token the user holds (a new epoch) and, with
    `refresh_tokens`, revoke their sessions but `keep_session`. Inside the
    caller's unit of work; open sockets hear of it after the commit."""
    await User.filter(id=user_id).update(session_epoch=F("session_epoch") + 1)
    if refresh_tokens:
        await revoke_sessions(user_id, keep_session=keep_session)
    await _tell_sockets(user_id)


async def revoke_sessions(user_id: int, *, keep_session: str | None = None) -> None:
    """Revoke the user's sessions but `keep_session`: their refresh tokens stop
    working, and their access tokens with them (each names its session)."""
    sessions = RefreshToken.filter(user_id=user_id, revoked_at=None)
    if keep_session is not None:
        sessions = sessions.exclude(family=keep_session)
    await sessions.update(revoked_at=clock.now())
    await revoke_api_tokens(user_id)
    await _tell_sockets(user_id)


async def revoke_api_tokens(user_id: int) -> None:
    """Revoke the user's live API tokens with their sessions (each recorded):
    whatever ends a person's sessions ends their tokens too."""
    live: list[Any] = await ApiToken.filter(user_id=user_id, revoked_at=None).values_list(
        "id", flat=True
    )
    if not live:
        return
    await ApiToken.filter(id__in=live).update(revoked_at=clock.now())
    for token_id in live:
        await record(
            AuditKind.API_TOKEN_REVOKED,
            None,
            user_id=user_id,
            target=("ApiToken", token_id),
            reason="sessions_ended",
        )


async def tell_sockets(user_id: int) -> None:
    """Open WebSockets of the user check their session (or API token) again and
    close if it ended; on every process, through pub/sub."""
    await _tell_sockets(user_id)


async def _tell_sockets(user_id: int) -> None:
    """Open WebSockets of the user check their session again and close if it ended."""
    from csm_graph import pubsub

    await pubsub.publish(SESSIONS_CHANNEL, {"userId": user_id})


@job()
async def purge_expired_tokens() -> int:
    """Delete refresh tokens past their expiry (a periodic job)."""
    return await RefreshToken.filter(expires_at__lt=clock.now()).delete()
