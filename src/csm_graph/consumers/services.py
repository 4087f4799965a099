"""The consumer rules: records, association with users, signup with claim, sync.

Resolvers, jobs and the import call these; nothing else writes consumers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from csm_graph import clock
from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.accounts import passwords, tokens
from csm_graph.accounts.email_tokens import (
    INVALID_LINK,
    send_set_password_email,
    send_token_email,
    spend_email_token,
)
from csm_graph.accounts.models import TokenPurpose, User, UserType
from csm_graph.accounts.viewer import Viewer, require_admin
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.consumers.validation import (
    IDENTITY_FIELDS,
    NAME_FIELDS,
    clean,
    require_name,
)
from csm_graph.core.numbering import next_number
from csm_graph.core.partial import ADDRESS_FIELDS, KEEP, AddressParts, Keep, NameParts, Partial
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.jobs import job
from csm_graph.notifications.services import queue_email
from csm_graph.ratelimit import throttle
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work
from csm_graph.validation import (
    check_password,
    normalize_email,
    normalize_phone,
    require_text,
    search_term,
)
from csm_graph.webhooks import services as webhooks

NUMBER_PREFIX = "CON"

SELF_EDITABLE = frozenset(
    {
        *NAME_FIELDS,
        "full_name",
        "phone",
        "mobile_phone",
        *ADDRESS_FIELDS,
        "preferred_language",
        "notify_email",
        "notify_sms",
        "twitter_handle",
        "facebook_url",
        "linkedin_url",
        "personal_email",
    }
)
"""What a consumer may change on their own record (SPEC section 2 and 6)."""


def _not_found(field: str = "id") -> UserErrors:
    return UserErrors.one(field, "No such consumer.", ErrorCode.NOT_FOUND)


def visible_consumers(viewer: Viewer | None) -> QuerySet[Consumer]:
    """The consumers `viewer` may list: every one for internal users (the list is
    theirs) but merged records (tombstones); nobody else lists consumers, they
    reach them through their own records."""
    if viewer is None or not viewer.is_internal:
        return Consumer.filter(id__in=[])
    return Consumer.filter(merged_into_id=None)


def search(queryset: QuerySet[Consumer], term: str) -> QuerySet[Consumer]:
    """Consumers whose name, email, phone or number contains `term`."""
    term = search_term(term)
    if not term:
        return queryset
    condition = (
        Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(email__icontains=term)
        | Q(number__icontains=term)
    )
    digits = "".join(c for c in term if c.isdigit())
    if len(digits) >= 4:
        condition |= Q(phone__contains=digits) | Q(mobile_phone__contains=digits)
    parts = term.split()
    if len(parts) >= 2:
        condition |= Q(first_name__icontains=parts[0]) & Q(last_name__icontains=parts[-1])
    return queryset.filter(condition)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConsumerDraft(NameParts, AddressParts):
    """A new consumer: what `create_consumer` accepts (KEEP: not given).

    A `full_name` is parsed into the name parts; explicit parts win."""

    full_name: str | Keep | None = KEEP
    email: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    mobile_phone: str | Keep | None = KEEP
    date_of_birth: dt.date | Keep | None = KEEP
    preferred_language: str | Keep | None = KEEP
    notify_email: bool | Keep | None = KEEP
    notify_sms: bool | Keep | None = KEEP
    sla_level: SlaLevel | Keep | None = KEEP
    twitter_handle: str | Keep | None = KEEP
    facebook_url: str | Keep | None = KEEP
    linkedin_url: str | Keep | None = KEEP
    personal_email: str | Keep | None = KEEP
    external_id: str | Keep | None = KEEP


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConsumerChanges(ConsumerDraft):
    """Changes to a consumer: what `update_consumer` accepts (KEEP: leave as is;
    None leaves a field as is too, except `date_of_birth`, which it clears)."""

    is_active: bool | Keep | None = KEEP


async def create_consumer(viewer: Viewer | None, draft: ConsumerDraft) -> Consumer:
    """A new consumer record (internal users)."""
    data = draft.given()
    if viewer is None or not viewer.is_internal:
        raise AccessDenied("Only internal users may create consumers.")
    values = clean(data, get_settings().default_phone_region)
    require_name(values)
    async with unit_of_work():
        if (
            values.get("external_id")
            and await Consumer.filter(external_id=values["external_id"]).exists()
        ):
            raise UserErrors.one(
                "external_id", "A consumer with this external id exists.", ErrorCode.CONFLICT
            )
        try:
            created = await Consumer.create(
                number=await next_number(NUMBER_PREFIX),
                identity_changed_at=clock.now(),
                **values,
            )
        except IntegrityError:
            raise UserErrors.one(
                "external_id", "A consumer with this external id exists.", ErrorCode.CONFLICT
            ) from None
        return await webhooks.consumer_created(created)


async def get_visible(subject: Subject, consumer_id: int, field: str = "id") -> Consumer:
    """The consumer when the subject may see it (`access.policy`), else NOT_FOUND."""
    consumer = await Consumer.get_or_none(id=consumer_id)
    if consumer is not None and consumer.merged_into_id is not None and subject.viewer.is_internal:
        raise merged_away(consumer, field)
    return await policy.require_visible(subject, consumer, field, "consumer")


def merged_away(consumer: Consumer, field: str) -> UserErrors:
    """The refusal for a merged record's id in a change (internal users are told why)."""
    return UserErrors.one(
        field,
        f"Consumer {consumer.number} was merged into another record: use the survivor's id "
        "(node(id:) of this id answers it).",
        ErrorCode.NOT_FOUND,
    )


async def lock_live(consumer_id: int, field: str) -> Consumer:
    """The consumer, locked for the unit of work, unless merged away (then, or
    when missing, NOT_FOUND on `field`). A merge locks both of its records, so
    whatever a caller then attaches to this one cannot land on a record being
    merged (PostgreSQL; SQLite has one writer)."""
    consumer = (
        await Consumer.filter(id=consumer_id, merged_into_id=None).select_for_update().first()
    )
    if consumer is None:
        raise _not_found(field)
    return consumer


async def _live(consumer_id: int, field: str) -> Consumer:
    """A consumer record that is not a tombstone, for administrators' changes."""
    consumer = await Consumer.get_or_none(id=consumer_id)
    if consumer is None:
        raise _not_found(field)
    if consumer.merged_into_id is not None:
        raise merged_away(consumer, field)
    return consumer


async def update_consumer(subject: Subject, consumer_id: int, changes: ConsumerChanges) -> Consumer:
    """Change a consumer: internal users any field, a consumer their own allowed fields."""
    data = changes.given()
    sent = {k: v for k, v in data.items() if v is not None or k == "date_of_birth"}
    async with unit_of_work():
        consumer = await get_visible(subject, consumer_id)
        viewer = subject.viewer
        if not viewer.is_internal and consumer.user_id != viewer.user_id:
            # Heads and representatives read the record; only its owner edits it.
            raise UserErrors.one("id", "You may only change your own record.", ErrorCode.FORBIDDEN)
        if not viewer.is_internal:
            refused = sorted(set(sent) - SELF_EDITABLE)
            if refused:
                errors = ErrorList()
                for key in refused:
                    errors.add(key, "You may not change this field.", ErrorCode.FORBIDDEN)
                errors.raise_if_any()
        values = clean(sent, get_settings().default_phone_region)
        merged = {**{f: getattr(consumer, f) for f in NAME_FIELDS}, **values}
        require_name(merged)
        identity_changed = any(
            key in values and values[key] != getattr(consumer, key) for key in IDENTITY_FIELDS
        )
        for key, value in values.items():
            setattr(consumer, key, value)
        if identity_changed:
            consumer.identity_changed_at = clock.now()
        try:
            await consumer.save()
        except IntegrityError:
            raise UserErrors.one(
                "external_id", "A consumer with this external id exists.", ErrorCode.CONFLICT
            ) from None
        await webhooks.consumer_updated(consumer)
        if identity_changed and consumer.user_id is not None:
            await sync_identity.later(consumer.id)
    return consumer


# --- association ---------------------------------------------------------------


def _identity(record: Consumer | User) -> dict[str, Any]:
    return {f: getattr(record, f) or "" for f in IDENTITY_FIELDS}


async def _copy_identity(source: Consumer | User, target: Consumer | User) -> list[str]:
    """Make `target`'s name, email and phone equal to `source`'s; return what changed.

    A login's email never changes here: a new address from the consumer record
    waits for its owner to confirm it (`_propose_email`), and an address already
    used by another login is not proposed at all (the consumer is flagged for an
    agent). Meanwhile the record keeps the address it was given.
    """
    changed = []
    for field in IDENTITY_FIELDS:
        value = getattr(source, field) or ""
        if value == (getattr(target, field) or ""):
            continue
        if field == "email" and isinstance(target, User):
            assert isinstance(source, Consumer)
            if not value:
                continue
            if await User.filter(email=value).exclude(id=target.id).exists():
                source.review_reason = (
                    f"Email {value} is another login's; the linked user keeps {target.email}."
                )
                await source.save(update_fields=["review_reason"])
            else:
                await _propose_email(target, value)
            continue
        if field == "email" and isinstance(source, User) and source.pending_email == target.email:
            continue  # the record's address waits for the login's owner to confirm it
        setattr(target, field, value)
        changed.append(field)
    target.identity_changed_at = source.identity_changed_at
    await target.save()
    return changed


async def _link(consumer: Consumer, user: User) -> None:
    """Link, then make the two identities equal: the consumer record wins,
    its empty fields first filled from the user."""
    for field in IDENTITY_FIELDS:
        if not getattr(consumer, field) and getattr(user, field):
            setattr(consumer, field, getattr(user, field))
    consumer.user_id = user.id
    consumer.identity_changed_at = clock.now()
    try:
        await consumer.save()
    except IntegrityError:
        raise UserErrors.one(
            "user_id", "This user is already linked to a consumer.", ErrorCode.CONFLICT
        ) from None
    await _copy_identity(consumer, user)


async def _propose_email(user: User, address: str) -> None:
    """The login's consumer record got a new address from someone else (an
    agent, an import, a link): the login keeps its own until the owner confirms
    the new one from a link sent there, and the old address is told. Asking
    again for the same address sends nothing more."""
    if user.pending_email == address:
        return
    user.pending_email = address
    await user.save(update_fields=["pending_email"])
    name = user.first_name or user.full_name or user.email
    ttl = dt.timedelta(hours=get_settings().verify_token_hours)
    await send_token_email(
        user, TokenPurpose.EMAIL_CHANGE, ttl, "email_change_confirm", "verify-email", to=address
    )
    await queue_email(
        template="email_change_notice",
        to=user.email,
        context={
            "name": name,
            "new_email": address,
            "link": f"{get_settings().portal_url.rstrip('/')}/login",
        },
        key=f"email-change-notice:{user.id}:{tokens.digest(address)}:{clock.now().isoformat()}",
    )


async def _confirm_email_change(user: User, address: str | None) -> Consumer:
    """The owner opened the link sent to the new address: the login takes it."""
    consumer = await Consumer.get_or_none(user_id=user.id)
    if address is None or user.pending_email != address or consumer is None:
        raise UserErrors.one("token", INVALID_LINK, ErrorCode.EXPIRED)
    if await User.filter(email=address).exclude(id=user.id).exists():
        raise UserErrors.one(
            "token", "This address belongs to another account.", ErrorCode.CONFLICT
        )
    user.email = address
    user.pending_email = None
    user.email_verified = True
    await user.save(update_fields=["email", "pending_email", "email_verified"])
    await record(AuditKind.USER_EMAIL_CHANGED, user.id, user_id=user.id, via="confirmed_link")
    if consumer.email != address:
        consumer.email = address
        await consumer.save(update_fields=["email"])
    return consumer


async def _check_unlinked(consumer: Consumer, user: User | None) -> None:
    if consumer.user_id is not None:
        other = await User.get(id=consumer.user_id)
        raise UserErrors.one(
            "consumer_id",
            f"Consumer {consumer.number} is already linked to user {other.email}.",
            ErrorCode.CONFLICT,
        )
    if user is not None:
        linked = await Consumer.get_or_none(user_id=user.id)
        if linked is not None:
            raise UserErrors.one(
                "user_id",
                f"User {user.email} is already linked to consumer {linked.number}.",
                ErrorCode.CONFLICT,
            )


async def associate(viewer: Viewer | None, consumer_id: int, user_id: int) -> Consumer:
    """Link an existing user to a consumer (administrators)."""
    require_admin(viewer)
    async with unit_of_work():
        consumer = await _live(consumer_id, "consumer_id")
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise UserErrors.one("user_id", "No such user.", ErrorCode.NOT_FOUND)
        await _check_unlinked(consumer, user)
        await _link(consumer, user)
        await record(
            AuditKind.CONSUMER_USER_LINKED, viewer, user_id=user.id, consumer_id=consumer.id
        )
    return consumer


async def dissociate(viewer: Viewer | None, consumer_id: int) -> Consumer:
    require_admin(viewer)
    async with unit_of_work():
        consumer = await _live(consumer_id, "consumer_id")
        if consumer.user_id is None:
            raise UserErrors.one(
                "consumer_id", "This consumer has no linked user.", ErrorCode.INVALID_STATE
            )
        linked_user = consumer.user_id
        consumer.user_id = None
        await consumer.save(update_fields=["user_id"])
        await record(
            AuditKind.CONSUMER_USER_UNLINKED,
            viewer,
            user_id=linked_user,
            consumer_id=consumer.id,
        )
    return consumer


async def create_user_for_consumer(
    viewer: Viewer | None,
    consumer_id: int,
    *,
    user_type: UserType = UserType.EXTERNAL,
    password: str | None = None,
) -> Consumer:
    """Make a login from the consumer's name, email and phone, and link it (administrators).

    Without an initial password the user gets an email to set one.
    """
    require_admin(viewer)
    if password is not None:
        check_password("password", password)
    async with unit_of_work():
        consumer = await _live(consumer_id, "consumer_id")
        await _check_unlinked(consumer, None)
        if not consumer.email:
            raise UserErrors.one(
                "consumer_id", "The consumer needs an email to get a login.", ErrorCode.REQUIRED
            )
        existing = await User.get_or_none(email=consumer.email)
        if existing is not None:
            raise UserErrors.one(
                "consumer_id",
                f"User {existing.email} already has this email; associate it instead.",
                ErrorCode.CONFLICT,
            )
        try:
            user = await User.create(
                email=consumer.email,
                password_hash=await passwords.hash_password(password) if password else None,
                user_type=user_type,
                email_verified=True,
                identity_changed_at=consumer.identity_changed_at,
                **{f: getattr(consumer, f) for f in NAME_FIELDS},
                phone=consumer.phone,
            )
        except IntegrityError:
            raise UserErrors.one(
                "consumer_id", "A user with this email exists.", ErrorCode.CONFLICT
            ) from None
        consumer.user_id = user.id
        await consumer.save(update_fields=["user_id"])
        await record(
            AuditKind.USER_CREATED,
            viewer,
            user_id=user.id,
            consumer_id=consumer.id,
            user_type=user_type.value,
        )
        await record(
            AuditKind.CONSUMER_USER_LINKED, viewer, user_id=user.id, consumer_id=consumer.id
        )
        if password is None:
            await send_set_password_email(user)
    return consumer


# --- sync ------------------------------------------------------------------------


@job(name="sync_consumer_identity")
async def sync_identity(consumer_id: int) -> str:
    """Carry the newer side's name, email and phone to the other side.

    Idempotent: equal records are left alone ("equal"). The copy is written
    directly, not through the update services, so it starts no further
    sync: no ping-pong.
    """
    async with unit_of_work():
        consumer = await Consumer.get_or_none(id=consumer_id)
        if consumer is None or consumer.user_id is None:
            return "unlinked"
        user = await User.get(id=consumer.user_id)
        if _identity(consumer) == _identity(user):
            return "equal"
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        if (consumer.identity_changed_at or floor) >= (user.identity_changed_at or floor):
            await _copy_identity(consumer, user)
            return "consumer-to-user"
        await _copy_identity(user, consumer)
        return "user-to-consumer"


@job()
async def sync_user_identity(user_id: int) -> str:
    consumer = await Consumer.get_or_none(user_id=user_id)
    if consumer is None:
        return "unlinked"
    return await sync_identity(consumer.id)


# --- signup ----------------------------------------------------------------------


async def _send_verification(user: User) -> None:
    ttl = dt.timedelta(hours=get_settings().verify_token_hours)
    await send_token_email(user, TokenPurpose.VERIFY_EMAIL, ttl, "verify_email", "verify-email")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignupForm(Partial):
    """A consumer's signup: what `signup` accepts."""

    email: str
    password: str = dataclasses.field(repr=False)
    first_name: str
    last_name: str
    phone: str | None = None


async def signup(form: SignupForm, client_address: str) -> None:
    """Register a consumer login, unverified, and email a verification link.

    When the email already has a login, the answer is the same and the
    owner gets an email saying so: the response never reveals an account.
    """
    data = form.given()
    settings = get_settings()
    errors = ErrorList()
    values: dict[str, Any] = {}
    checks: tuple[tuple[str, Callable[[], Any]], ...] = (
        ("email", lambda: normalize_email("email", data.get("email") or "")),
        ("password", lambda: check_password("password", data.get("password") or "")),
        (
            "first_name",
            lambda: require_text("first_name", data.get("first_name"), max_length=100),
        ),
        ("last_name", lambda: require_text("last_name", data.get("last_name"), max_length=100)),
        (
            "phone",
            lambda: normalize_phone(
                "phone", data.get("phone") or "", settings.default_phone_region
            ),
        ),
    )
    for field, fn in checks:
        try:
            values[field] = fn()
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
    errors.raise_if_any()
    await throttle(
        3600,
        "Too many signups. Try again later.",
        **{f"signup:email:{values['email']}": 5, f"signup:address:{client_address}": 20},
    )
    password_hash = await passwords.hash_password(values.pop("password"))

    async with unit_of_work():
        existing = await User.get_or_none(email=values["email"])
        if existing is None:
            try:
                # A savepoint: losing the race for the email to a concurrent
                # signup must leave this transaction usable, to answer the same.
                async with in_transaction():
                    user = await User.create(
                        user_type=UserType.EXTERNAL,
                        email_verified=False,
                        password_hash=password_hash,
                        identity_changed_at=clock.now(),
                        **values,
                    )
            except IntegrityError:
                existing = await User.get(email=values["email"])
            else:
                # Signed up by themselves: the new user is the actor.
                await record(
                    AuditKind.USER_CREATED,
                    user.id,
                    user_id=user.id,
                    user_type=UserType.EXTERNAL.value,
                    via="signup",
                )
                await _send_verification(user)
                return
        await queue_email(
            template="already_registered",
            to=existing.email,
            context={
                "name": existing.first_name or existing.full_name,
                "login_link": f"{settings.portal_url.rstrip('/')}/login",
                "reset_link": f"{settings.portal_url.rstrip('/')}/forgot-password",
            },
            key=f"already-registered:{existing.id}:{clock.today().isoformat()}",
        )


async def verify_email(token: str) -> Consumer:
    """Confirm the address and give the user their consumer record (or, with a
    link sent for an email change, move the login to the new address).

    A consumer with this email and no login (imported, phoned in) is
    claimed, keeping its cases and history; its empty fields are filled from
    the signup. With several, the most recently updated is linked and
    flagged for an agent. With none, a new record is made.
    """
    async with unit_of_work():
        user, row = await spend_email_token(
            token, frozenset({TokenPurpose.VERIFY_EMAIL, TokenPurpose.EMAIL_CHANGE})
        )
        if row.purpose is TokenPurpose.EMAIL_CHANGE:
            return await _confirm_email_change(user, row.email)
        user.email_verified = True
        await user.save(update_fields=["email_verified"])
        linked = await Consumer.get_or_none(user_id=user.id)
        if linked is not None:
            return linked
        candidates = await Consumer.filter(
            email=user.email, user_id=None, merged_into_id=None
        ).order_by("-updated_at", "-id")
        if not candidates:
            created = await Consumer.create(
                number=await next_number(NUMBER_PREFIX),
                user_id=user.id,
                identity_changed_at=user.identity_changed_at or clock.now(),
                **_identity(user),
            )
            await webhooks.consumer_created(created)
            await record(
                AuditKind.CONSUMER_USER_LINKED,
                user.id,
                user_id=user.id,
                consumer_id=created.id,
                claimed=False,
            )
            return created
        chosen = candidates[0]
        if len(candidates) > 1:
            others = ", ".join(c.number for c in candidates[1:])
            chosen.review_reason = (
                f"Signup by {user.email} matched {len(candidates)} consumers; linked this one, "
                f"the most recently updated. Also matching: {others}."
            )
        await _link(chosen, user)
        await record(
            AuditKind.CONSUMER_USER_LINKED,
            user.id,
            user_id=user.id,
            consumer_id=chosen.id,
            claimed=True,
        )
        return chosen
