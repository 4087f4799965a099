"""Single-use tokens sent by email: verification, password reset, setting a
first password, confirming a new address. Only a token's hash is stored;
spending one is a conditional UPDATE, so it works once.
"""

from __future__ import annotations

import datetime as dt

from csm_graph import clock
from csm_graph.accounts import passwords, sessions, tokens
from csm_graph.accounts.models import EmailToken, TokenPurpose, User
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.notifications.services import queue_email
from csm_graph.ratelimit import throttle
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work
from csm_graph.validation import check_password, normalize_email

INVALID_LINK = "This link is invalid or has expired."


async def issue_email_token(
    user: User, purpose: TokenPurpose, ttl: dt.timedelta, email: str | None = None
) -> str:
    """A new single-use token for `user`; only its hash is stored (with the
    address it was sent to, for an email change)."""
    token = tokens.new_opaque_token()
    now = clock.now()
    await EmailToken.create(
        user_id=user.id,
        purpose=purpose,
        email=email,
        token_hash=tokens.digest(token),
        created_at=now,
        expires_at=now + ttl,
    )
    return token


async def spend_email_token(
    token: str, purposes: frozenset[TokenPurpose]
) -> tuple[User, EmailToken]:
    """The user behind a live token of one of `purposes`, and the token, spent.

    The spend is one conditional UPDATE, so a token works once even when
    presented twice at the same moment.
    """
    invalid = UserErrors.one("token", INVALID_LINK, ErrorCode.EXPIRED)
    now = clock.now()
    row = await EmailToken.get_or_none(
        token_hash=tokens.digest(token or ""), purpose__in=sorted(purposes)
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise invalid
    if not await EmailToken.filter(id=row.id, used_at=None).update(used_at=now):
        raise invalid
    user = await User.get_or_none(id=row.user_id, is_active=True)
    if user is None or user.is_service_account:
        raise invalid
    return user, row


async def consume_email_token(token: str, purpose: TokenPurpose) -> User:
    """The user behind a live token of `purpose`, spending the token."""
    user, _ = await spend_email_token(token, frozenset({purpose}))
    return user


def portal_link(path: str, token: str) -> str:
    return f"{get_settings().portal_url.rstrip('/')}/{path}?token={token}"


async def send_token_email(
    user: User,
    purpose: TokenPurpose,
    ttl: dt.timedelta,
    template: str,
    path: str,
    *,
    to: str | None = None,
) -> None:
    """Issue a single-use token and queue the email carrying its portal link
    (to the user's address, or to `to`, which the token then records)."""
    token = await issue_email_token(user, purpose, ttl, email=to)
    await queue_email(
        template=template,
        to=to or user.email,
        context={
            "name": user.first_name or user.full_name or user.email,
            "link": portal_link(path, token),
        },
        key=f"{template}:{tokens.digest(token)}",
    )


async def request_password_reset(email: str, client_address: str) -> None:
    """Email a reset link when an active account has this email; say nothing either way."""
    address = normalize_email("email", email)
    await throttle(
        3600,
        "Too many requests. Try again later.",
        **{f"reset:email:{address}": 3, f"reset:address:{client_address}": 20},
    )
    async with unit_of_work():
        user = await User.get_or_none(email=address, is_active=True)
        # A service account has no password to reset.
        if user is not None and not user.is_service_account:
            ttl = dt.timedelta(minutes=get_settings().reset_token_minutes)
            await send_token_email(
                user, TokenPurpose.PASSWORD_RESET, ttl, "password_reset", "reset-password"
            )


async def reset_password(token: str, password: str) -> User:
    """Set a new password with a reset link's token; ends every session of the user."""
    check_password("password", password)
    async with unit_of_work():
        user = await consume_email_token(token, TokenPurpose.PASSWORD_RESET)
        user.password_hash = await passwords.hash_password(password)
        # The link reached the mailbox, which proves the address.
        user.email_verified = True
        await user.save(update_fields=["password_hash", "email_verified"])
        await record(AuditKind.PASSWORD_CHANGED, user.id, user_id=user.id, via="reset_link")
        await sessions.end_sessions(user.id)
    return user


async def send_set_password_email(user: User) -> None:
    """For an account made by an administrator without a password."""
    ttl = dt.timedelta(days=get_settings().set_password_token_days)
    await send_token_email(user, TokenPurpose.PASSWORD_RESET, ttl, "set_password", "reset-password")
