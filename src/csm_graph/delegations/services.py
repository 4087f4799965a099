"""The delegation rules: a consumer invites someone by email to act for them,
the invitee accepts from the emailed link, either side ends it.

An accepted delegation is a `Representation` (read-only for scope READ)
valid up to the delegation's last day, so the access engine decides what the
delegate may do, and an expired delegation grants nothing without any job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.accounts import tokens
from csm_graph.accounts.email_tokens import portal_link
from csm_graph.accounts.models import User
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import iso, record
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import lock_live
from csm_graph.delegations.models import Delegation, DelegationScope, DelegationState
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.households.models import Representation
from csm_graph.jobs import job
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work
from csm_graph.validation import normalize_email

INVALID_LINK = "This invitation link is invalid, used or expired."
PENDING = (DelegationState.INVITED, DelegationState.ACCEPTED)


def _own_consumer(subject: Subject, field: str, what: str) -> int:
    """The viewer's consumer record: only consumers delegate and accept."""
    if subject.viewer.is_internal or subject.consumer_id is None:
        raise UserErrors.one(field, f"Only consumers may {what}.", ErrorCode.FORBIDDEN)
    return subject.consumer_id


def _name(consumer: Consumer) -> str:
    return consumer.full_name or consumer.email


async def invite(
    subject: Subject, email: str, scope: DelegationScope, ends_on: dt.date
) -> Delegation:
    """Invite `email` to act for the viewer's consumer record up to `ends_on`."""
    consumer_id = _own_consumer(subject, "email", "delegate")
    settings = get_settings()
    address = normalize_email("email", email)
    today = clock.today()
    if ends_on < today:
        raise UserErrors.one("ends_on", "The last day cannot be in the past.")
    longest = today + dt.timedelta(days=settings.delegation_max_days)
    if ends_on > longest:
        raise UserErrors.one(
            "ends_on",
            f"A delegation lasts at most {settings.delegation_max_days} days "
            f"(until {longest.isoformat()}).",
        )
    async with unit_of_work():
        consumer = await lock_live(consumer_id, "email")
        own = await User.filter(id=subject.viewer.user_id).values_list("email", flat=True)
        if address in {consumer.email.lower(), *own}:
            raise UserErrors.one("email", "You cannot delegate to yourself.")
        if await Delegation.filter(
            consumer_id=consumer.id, email=address, state__in=PENDING, ends_on__gte=today
        ).exists():
            raise UserErrors.one(
                "email",
                "This address already has a pending or current delegation from you.",
                ErrorCode.CONFLICT,
            )
        token = tokens.new_opaque_token()
        now = clock.now()
        delegation = await Delegation.create(
            consumer_id=consumer.id,
            email=address,
            scope=scope,
            ends_on=ends_on,
            token_hash=tokens.digest(token),
            token_expires_at=now + dt.timedelta(days=settings.delegation_invite_days),
            created_at=now,
        )
        await queue_email(
            template="delegation_invite",
            to=address,
            context={
                "inviter": _name(consumer),
                "scope": scope.value,
                "ends_on": ends_on.isoformat(),
                "expires": iso(delegation.token_expires_at.date()),
                "link": portal_link("accept-delegation", token),
            },
            key=f"delegation_invite:{delegation.id}",
        )
        await record(
            AuditKind.DELEGATION_INVITED,
            subject.viewer,
            consumer_id=consumer.id,
            target=("Delegation", delegation.id),
            scope=scope.value,
            ends_on=iso(ends_on),
        )
    return delegation


async def accept(subject: Subject, token: str) -> Delegation:
    """Accept an invitation with its token, as the login the invitation was sent to.

    The token works once: it is spent by one conditional UPDATE, so two
    acceptances at the same moment make one delegation.
    """
    delegate_id = _own_consumer(subject, "token", "accept a delegation")
    invalid = UserErrors.one("token", INVALID_LINK, ErrorCode.EXPIRED)
    now = clock.now()
    today = clock.today()
    async with unit_of_work():
        delegation = await Delegation.get_or_none(token_hash=tokens.digest(token or ""))
        if (
            delegation is None
            or delegation.state is not DelegationState.INVITED
            or delegation.token_expires_at <= now
            or delegation.ends_on < today
        ):
            raise invalid
        user = await User.get(id=subject.viewer.user_id)
        if user.email != delegation.email or not user.email_verified:
            # Checked before the token is spent: the invitee can still use it.
            raise UserErrors.one(
                "token",
                "This invitation was sent to another address: log in with that one.",
                ErrorCode.FORBIDDEN,
            )
        if delegate_id == delegation.consumer_id:
            raise UserErrors.one("token", "You cannot act for yourself.")
        # Locked in id order, like a representation made by an agent.
        for consumer_id in sorted({delegate_id, delegation.consumer_id}):
            await lock_live(consumer_id, "token")
        overlapping = await Representation.filter(
            Q(representative_id=delegate_id, consumer_id=delegation.consumer_id),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            valid_from__lte=delegation.ends_on,
        ).exists()
        if overlapping:
            raise UserErrors.one(
                "token", "You already act for this consumer in this period.", ErrorCode.CONFLICT
            )
        claimed = await Delegation.filter(
            id=delegation.id, state=DelegationState.INVITED, token_hash=delegation.token_hash
        ).update(state=DelegationState.ACCEPTED, token_hash=None, accepted_at=now)
        if not claimed:
            raise invalid
        representation = await Representation.create(
            representative_id=delegate_id,
            consumer_id=delegation.consumer_id,
            valid_from=today,
            valid_until=delegation.ends_on,
            read_only=delegation.scope is DelegationScope.READ,
            created_by_id=user.id,
        )
        delegation.state = DelegationState.ACCEPTED
        delegation.token_hash = None
        delegation.accepted_at = now
        delegation.delegate_id = delegate_id
        delegation.representation_id = representation.id
        await delegation.save(update_fields=["delegate_id", "representation_id"])
        await record(
            AuditKind.DELEGATION_ACCEPTED,
            subject.viewer,
            consumer_id=delegation.consumer_id,
            target=("Delegation", delegation.id),
            delegate_id=delegate_id,
            representation_id=representation.id,
        )
        await _tell_the_consumer(delegation)
    return delegation


async def _tell_the_consumer(delegation: Delegation) -> None:
    """Someone now reads the consumer's cases: the consumer is told, whatever their
    notification preferences (as with any change to who may see their data), so
    an invitation they did not send is noticed and ended."""
    consumer = await Consumer.get(id=delegation.consumer_id)
    delegate = await Consumer.get(id=delegation.delegate_id)
    if not consumer.email:
        return
    await queue_email(
        template="delegation_accepted",
        to=consumer.email,
        context={
            "name": _name(consumer),
            "delegate": _name(delegate),
            "scope": delegation.scope.value,
            "ends_on": delegation.ends_on.isoformat(),
        },
        key=f"delegation_accepted:{delegation.id}",
    )


async def end(subject: Subject, delegation_id: int) -> Delegation:
    """End a delegation (its consumer or its delegate), pending or current.

    Its representation stops holding today: it is cut to yesterday, or
    deleted when it began today.
    """
    today = clock.today()
    async with unit_of_work():
        delegation = await policy.require_visible(
            subject,
            await Delegation.filter(id=delegation_id).select_for_update().first(),
            "id",
            "delegation",
        )
        me = subject.consumer_id
        if me is None or me not in {delegation.consumer_id, delegation.delegate_id}:
            raise UserErrors.one(
                "id", "Only the consumer or the delegate ends a delegation.", ErrorCode.FORBIDDEN
            )
        if delegation.state is DelegationState.ENDED or delegation.ends_on < today:
            raise UserErrors.one(
                "id", "This delegation has already ended.", ErrorCode.INVALID_STATE
            )
        if delegation.representation_id is not None:
            representation = await Representation.get_or_none(id=delegation.representation_id)
            if representation is not None:
                if representation.valid_from < today:
                    representation.valid_until = today - dt.timedelta(days=1)
                    await representation.save(update_fields=["valid_until"])
                else:
                    await representation.delete()
                    delegation.representation_id = None
        delegation.state = DelegationState.ENDED
        delegation.token_hash = None
        delegation.ended_at = clock.now()
        delegation.ended_by_id = subject.viewer.user_id
        await delegation.save(
            update_fields=["state", "token_hash", "ended_at", "ended_by_id", "representation_id"]
        )
        await record(
            AuditKind.DELEGATION_ENDED,
            subject.viewer,
            consumer_id=delegation.consumer_id,
            target=("Delegation", delegation.id),
            delegate_id=delegation.delegate_id,
            by_delegate=me == delegation.delegate_id,
        )
    return delegation


def listed_for(subject: Subject) -> Q:
    """The delegations a consumer gave or holds (none for internal users: they
    reach them through `node`)."""
    if subject.viewer.is_internal or subject.consumer_id is None:
        return Q(id=-1)
    return Q(consumer_id=subject.consumer_id) | Q(delegate_id=subject.consumer_id)


@job(name="remind_delegations", timeout=300, max_tries=3)
async def remind_delegations() -> int:
    """Email both sides of each current delegation whose last day is within
    `DELEGATION_REMINDER_DAYS`, once: the row is claimed by a conditional
    UPDATE and each email has its own outbox key. Returns how many were claimed."""
    today = clock.today()
    horizon = today + dt.timedelta(days=get_settings().delegation_reminder_days)
    due: list[Any] = await Delegation.filter(
        state=DelegationState.ACCEPTED,
        reminded_at__isnull=True,
        ends_on__gte=today,
        ends_on__lte=horizon,
    ).values_list("id", flat=True)
    claimed = 0
    for delegation_id in due:
        async with unit_of_work():
            if not await Delegation.filter(id=delegation_id, reminded_at__isnull=True).update(
                reminded_at=clock.now()
            ):
                continue
            claimed += 1
            delegation = await Delegation.get(id=delegation_id)
            consumer = await Consumer.get(id=delegation.consumer_id)
            delegate = await Consumer.get_or_none(id=delegation.delegate_id)
            context = {
                "consumer": _name(consumer),
                "delegate": _name(delegate) if delegate else delegation.email,
                "scope": delegation.scope.value,
                "ends_on": delegation.ends_on.isoformat(),
            }
            recipients = {"consumer": consumer.email, "delegate": delegation.email}
            for role, address in recipients.items():
                if address:
                    await queue_email(
                        template="delegation_reminder",
                        to=address,
                        context={**context, "name": context[role]},
                        key=f"delegation_reminder:{delegation.id}:{role}",
                    )
    return claimed
