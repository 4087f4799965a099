"""Erasure (the right to be forgotten): a consumer's personal data goes, the
service's history stays.

`erase` works in one unit of work, under a lock on the consumer record. It
anonymises rather than deletes what other records rely on: the consumer
record keeps its id and number (cases, surveys and reports point at it) and
takes a pseudonym ("Erased consumer CON0001234"); every personal field is
cleared. The same happens to the tombstones merged into it, which still hold
the person's old values. Their logins are deleted, their files go from
storage (after the commit), what they wrote is replaced by "[erased]", and
every grant they had or gave ends today, the rows staying as history. Case
states, SLA times and breach flags and survey ratings are left as they are,
so reports still add up.

Where the person may be named in text that others wrote (a case's
description, an agent's reply, an email waiting in the outbox, an imported
CSV), the values that identify them (names, addresses, phone numbers, email
addresses, social accounts, external id, date of birth) are replaced by
"[erased]" wherever they occur.

Running it again changes nothing more: every step only touches what is not
erased yet. The ErasureRequest in state DONE is the marker that a consumer
was erased (`is_erased`). A consumer under a legal hold is refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import html
import logging
import re
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tortoise.expressions import F, Q

from csm_graph import clock, storage
from csm_graph.access.engine import Subject
from csm_graph.access.models import RelatedParty
from csm_graph.access.policy import can_see
from csm_graph.accounts import sessions
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.consumers.models import Consumer, ConsumerMerge, ImportJob, ImportRowError
from csm_graph.consumers.services import merged_away
from csm_graph.core.partial import ADDRESS_FIELDS
from csm_graph.customfields import services as customfields
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.errors import AccessDenied, ErrorCode, UserErrors
from csm_graph.exports.models import DataExport, ExportState
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.mailin import services as mailin
from csm_graph.notifications.mailer import recipients, write_atomically, written_emails
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.privacy.models import ErasureRequest, ErasureState
from csm_graph.settings import get_settings
from csm_graph.surveys.models import Survey
from csm_graph.transactions import after_commit, unit_of_work
from csm_graph.validation import fits
from csm_graph.webhooks import services as webhooks

log = logging.getLogger(__name__)

ERASED = "[erased]"
"""What replaces text written by or about an erased person."""
CONSUMER_ASKED = "Asked for by the consumer."
"""The reason of a request a consumer made for themselves (they give no text of their own)."""
MIN_NEEDLE = 4
"""Shorter identifying values (a two-letter country, a three-letter name) are
not searched for in other people's text: they would erase ordinary words."""
OPEN_OUTBOX = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)
"""Outbox rows that still hold their template's context (a SENT row's is cleared)."""


def pseudonym(number: str) -> dict[str, str]:
    """The name an erased record carries: "Erased consumer CON0001234"."""
    return {
        "prefix": "",
        "first_name": "Erased consumer",
        "middle_name": "",
        "last_name": number,
        "suffix": "",
    }


def anonymous_values(consumer: Consumer) -> dict[str, Any]:
    """Every personal column of a consumer record as erasure leaves it. The
    service level, the last survey date, the legal hold, the merge pointer
    and the timestamps are not personal and stay."""
    return {
        **pseudonym(consumer.number),
        "external_id": None,
        "email": "",
        "phone": "",
        "mobile_phone": "",
        **dict.fromkeys(ADDRESS_FIELDS, ""),
        "date_of_birth": None,
        "preferred_language": "en",
        "notify_email": True,
        "notify_sms": False,
        "twitter_handle": "",
        "facebook_url": "",
        "linkedin_url": "",
        "personal_email": "",
        "is_active": False,
        "review_reason": "",
        "user_id": None,
        "identity_changed_at": None,
    }


async def is_erased(consumer_id: int) -> bool:
    return await ErasureRequest.filter(consumer_id=consumer_id, state=ErasureState.DONE).exists()


def _require_admin(actor: Viewer | None) -> None:
    """Administrators erase; `None` is the system (the retention job)."""
    if actor is not None and not actor.is_admin:
        raise AccessDenied("Only administrators may do this.")


def _reason(value: str, field: str = "reason") -> str:
    text = (value or "").strip()
    if not fits(ErasureRequest, "reason", text):
        raise UserErrors.one(field, "At most 500 characters.", ErrorCode.INVALID)
    return text


async def _locked_consumer(consumer_id: int, field: str) -> Consumer:
    consumer = await Consumer.filter(id=consumer_id).select_for_update().first()
    if consumer is None:
        raise UserErrors.one(field, "No such consumer.", ErrorCode.NOT_FOUND)
    if consumer.merged_into_id is not None:
        raise merged_away(consumer, field)
    return consumer


# --- the requests -------------------------------------------------------------------


async def request_erasure(subject: Subject, consumer_id: int) -> ErasureRequest:
    """A consumer asks for their own record to be erased; an administrator then
    confirms it (`erase`) or rejects it (`reject`). Asking again while a request
    waits returns that request."""
    viewer = subject.viewer
    field = "consumer_id"
    if viewer.is_internal:
        raise UserErrors.one(
            field,
            "Only the consumer may ask for their own erasure; administrators erase directly.",
            ErrorCode.FORBIDDEN,
        )
    async with unit_of_work():
        consumer = await Consumer.filter(id=consumer_id).select_for_update().first()
        if consumer is None or consumer.user_id != viewer.user_id:
            if consumer is not None and await can_see(subject, consumer):
                raise UserErrors.one(
                    field, "Only the consumer may ask for their own erasure.", ErrorCode.FORBIDDEN
                )
            raise UserErrors.one(field, "No such consumer.", ErrorCode.NOT_FOUND)
        if consumer.merged_into_id is not None:
            raise merged_away(consumer, field)
        waiting = await ErasureRequest.filter(
            consumer_id=consumer.id, state=ErasureState.REQUESTED
        ).first()
        if waiting is not None:
            return waiting
        request = await ErasureRequest.create(
            consumer_id=consumer.id,
            state=ErasureState.REQUESTED,
            reason=CONSUMER_ASKED,
            requested_by_id=viewer.user_id,
        )
        await record(
            AuditKind.ERASURE_REQUESTED,
            viewer,
            user_id=viewer.user_id,
            consumer_id=consumer.id,
            target=("ErasureRequest", request.id),
        )
    return request


async def reject(actor: Viewer, request_id: int, reason: str) -> ErasureRequest:
    """Refuse a waiting request, saying why (the consumer is told this)."""
    _require_admin(actor)
    field = "erasure_request_id"
    text = _reason(reason)
    if not text:
        raise UserErrors.one("reason", "Say why the request is rejected.", ErrorCode.REQUIRED)
    async with unit_of_work():
        request = await ErasureRequest.filter(id=request_id).select_for_update().first()
        if request is None:
            raise UserErrors.one(field, "No such erasure request.", ErrorCode.NOT_FOUND)
        if request.state is not ErasureState.REQUESTED:
            raise UserErrors.one(
                field,
                f"The request is {request.state.value}: only a waiting request can be rejected.",
                ErrorCode.INVALID_STATE,
            )
        request.state = ErasureState.REJECTED
        request.decided_by_id = actor.login_id
        request.decided_at = clock.now()
        request.decision_reason = text
        await request.save(
            update_fields=["state", "decided_by_id", "decided_at", "decision_reason"]
        )
        await record(
            AuditKind.ERASURE_REJECTED,
            actor,
            consumer_id=request.consumer_id,
            target=("ErasureRequest", request.id),
        )
    return request


async def set_legal_hold(actor: Viewer, consumer_id: int, hold: bool) -> Consumer:
    """Place or lift a legal hold: a held record is neither erased nor merged away."""
    _require_admin(actor)
    async with unit_of_work():
        consumer = await _locked_consumer(consumer_id, "consumer_id")
        if consumer.legal_hold != hold:
            await Consumer.filter(id=consumer.id).update(legal_hold=hold)
            consumer.legal_hold = hold
            await record(
                AuditKind.LEGAL_HOLD_CHANGED,
                actor,
                consumer_id=consumer.id,
                old=not hold,
                new=hold,
            )
    return consumer


# --- erasure --------------------------------------------------------------------------


@dataclasses.dataclass
class Erasure:
    """What one run of `erase` did: the record, the request marking it erased,
    and how many rows of each kind it changed (empty when it was erased already)."""

    consumer: Consumer
    request: ErasureRequest
    counts: dict[str, int]


async def erase(
    actor: Viewer | None, consumer_id: int, reason: str = "", *, field: str = "consumer_id"
) -> Erasure:
    """Erase consumer `consumer_id` (administrators; `actor=None` for the system).

    A waiting request of the consumer is confirmed (DONE); without one, a
    `reason` (a legal basis or a ticket reference) is required and a DONE
    request is written with it. Refused while the record is under a legal
    hold. Files are deleted from storage once the change has committed.
    """
    _require_admin(actor)
    text = _reason(reason)
    async with unit_of_work():
        consumer = await _locked_consumer(consumer_id, field)
        if consumer.legal_hold:
            raise UserErrors.one(
                field,
                f"Consumer {consumer.number} is under a legal hold: it cannot be erased "
                "until the hold is lifted.",
                ErrorCode.INVALID_STATE,
            )
        requests = await ErasureRequest.filter(consumer_id=consumer.id).order_by("id")
        waiting = [r for r in requests if r.state is ErasureState.REQUESTED]
        done = next((r for r in reversed(requests) if r.state is ErasureState.DONE), None)
        if not waiting and done is None and not text:
            raise UserErrors.one(
                "reason",
                "Say why the consumer is erased (a legal basis or a ticket reference).",
                ErrorCode.REQUIRED,
            )
        counts = await _erase_person(consumer)
        if done is not None and not waiting and not counts:
            return Erasure(consumer, done, {})
        now = clock.now()
        decided_by = actor.login_id if actor is not None else None
        if waiting:
            for request in waiting:
                request.state = ErasureState.DONE
                request.decided_by_id = decided_by
                request.decided_at = now
                request.decision_reason = text
                await request.save(
                    update_fields=["state", "decided_by_id", "decided_at", "decision_reason"]
                )
            marker = waiting[0]
        elif done is not None:
            marker = done  # erased before; a record merged into it since was erased now
        else:
            marker = await ErasureRequest.create(
                consumer_id=consumer.id,
                state=ErasureState.DONE,
                reason=text,
                requested_by_id=decided_by,
                decided_by_id=decided_by,
                decided_at=now,
            )
        await record(
            AuditKind.CONSUMER_ERASED,
            actor,
            consumer_id=consumer.id,
            target=("ErasureRequest", marker.id),
            counts=counts,
        )
        await webhooks.consumer_erased(consumer)
        await consumer.refresh_from_db()
    return Erasure(consumer, marker, counts)


@dataclasses.dataclass
class _Counts:
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n


async def _erase_person(consumer: Consumer) -> dict[str, int]:
    """Every step of an erasure, each touching only what is not erased yet."""
    done = _Counts()
    people = [consumer, *await Consumer.filter(merged_into_id=consumer.id).order_by("id")]
    ids = [p.id for p in people]
    users = await _users_of(people)
    logins = [u.id for u in users if u.user_type is UserType.EXTERNAL]
    needles = _needles(people, users)
    addresses = _addresses(people, users)

    for person in people:
        values = anonymous_values(person)
        changed = {k: v for k, v in values.items() if getattr(person, k) != v}
        if changed:
            await Consumer.filter(id=person.id).update(**changed)
            done.add("records", 1)

    found: list[Any] = await Case.filter(consumer_id__in=ids).values_list("id", flat=True)
    case_ids = [int(i) for i in found]
    # Files first: their activity entries are found by the file's name as written.
    await _erase_files(ids, logins, case_ids, done)
    await _erase_writing(ids, logins, case_ids, needles, done)
    await _erase_contacts_elsewhere(case_ids, _contacts(people, users), done)
    await _end_grants(ids, logins, consumer.id, done)
    await _erase_households(ids, done)
    done.add(
        "survey_comments",
        await Survey.filter(consumer_id__in=ids).exclude(comment="").update(comment=""),
    )
    await _erase_outbox(addresses, needles, done)
    await _erase_mail_files(addresses, needles, done)
    await _erase_inbound(addresses, done)
    done.add("custom_field_values", await customfields.forget(CustomFieldEntity.CONSUMER, ids))
    done.add("webhook_deliveries", await webhooks.forget_consumers(ids))
    await _erase_imports(needles, done)
    for user_id in logins:
        # Open sockets hear of it after the commit; the tokens die with the row.
        await sessions.end_sessions(user_id)
        await User.filter(id=user_id).delete()
        done.add("logins", 1)
    return done.counts


async def _users_of(people: Sequence[Consumer]) -> list[User]:
    """The logins of the record and its tombstones, and those a merge of them closed."""
    ids = [p.id for p in people]
    user_ids = {p.user_id for p in people if p.user_id is not None}
    closed: list[Any] = await ConsumerMerge.filter(
        Q(survivor_id__in=ids) | Q(merged_id__in=ids), closed_user_id__isnull=False
    ).values_list("closed_user_id", flat=True)
    user_ids |= {int(i) for i in closed}
    return list(await User.filter(id__in=sorted(user_ids))) if user_ids else []


def _needles(people: Sequence[Consumer], users: Sequence[User]) -> list[str]:
    """The values that identify the person, longest first, as searched for in
    text that others wrote."""
    values: set[str] = set()
    for p in people:
        if p.first_name and p.last_name:
            values.add(f"{p.first_name} {p.last_name}")
        if len([part for part in (p.first_name, p.middle_name, p.last_name) if part]) >= 2:
            values.add(p.full_name)
        values.update(
            (
                p.email,
                p.personal_email,
                p.phone,
                p.mobile_phone,
                p.twitter_handle,
                p.facebook_url,
                p.linkedin_url,
                p.address_line1,
                p.address_line2,
                p.external_id or "",
                p.date_of_birth.isoformat() if p.date_of_birth else "",
            )
        )
    for u in users:
        if u.first_name and u.last_name:
            values.add(f"{u.first_name} {u.last_name}")
        values.update((u.email, u.pending_email or "", u.phone))
    pseudonyms = {f"Erased consumer {p.number}" for p in people}
    kept = {v.strip() for v in values} - pseudonyms
    return sorted((v for v in kept if len(v) >= MIN_NEEDLE), key=lambda v: (-len(v), v))


def _contacts(people: Sequence[Consumer], users: Sequence[User]) -> list[str]:
    """The needles that reach this person and nobody else, longest first."""
    values = set(_addresses(people, users))
    for p in people:
        values.update(
            (p.twitter_handle, p.facebook_url, p.linkedin_url, (p.external_id or "").strip())
        )
    return sorted((v for v in values if len(v) >= MIN_NEEDLE), key=lambda v: (-len(v), v))


def _addresses(people: Sequence[Consumer], users: Sequence[User]) -> list[str]:
    found = {p.email for p in people} | {p.personal_email for p in people}
    found |= {u.email for u in users} | {u.pending_email or "" for u in users}
    return sorted(a.strip().lower() for a in found if a.strip())


def scrub(text: str, needles: Iterable[str]) -> str:
    """`text` with every needle (case-insensitively) replaced by "[erased]"."""
    for needle in needles:
        if needle.lower() in text.lower():
            text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def scrub_value(value: Any, needles: Sequence[str]) -> Any:
    """`scrub` through a JSON value (an email's context)."""
    if isinstance(value, str):
        return scrub(value, needles)
    if isinstance(value, list):
        return [scrub_value(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v, needles) for k, v in value.items()}
    return value


def _mentions(column: str, needles: Sequence[str]) -> Q:
    """Rows whose `column` holds any of the needles (a LIKE per needle)."""
    return Q(*(Q(**{f"{column}__icontains": n}) for n in needles), join_type=Q.OR)


async def _erase_writing(
    ids: list[int], logins: list[int], case_ids: list[int], needles: list[str], done: _Counts
) -> None:
    """Comments by them or on their behalf become "[erased]"; in the rest of the
    text of their cases (descriptions, replies, work notes, activity) the values
    that identify them do."""
    mine = Q(on_behalf_of_id__in=ids)
    if logins:
        mine |= Q(author_id__in=logins)
    done.add("comments", await CaseComment.filter(mine).exclude(body=ERASED).update(body=ERASED))
    if not case_ids or not needles:
        return
    await _scrub_cases(
        Q(id__in=case_ids), Q(case_id__in=case_ids), needles, done, "", read_all=True
    )


CASE_TEXTS = ("short_description", "description", "resolution_notes")
ACTIVITY_TEXTS = ("old_value", "new_value")


async def _erase_contacts_elsewhere(
    case_ids: list[int], contacts: list[str], done: _Counts
) -> None:
    """In everybody else's cases, the values that reach the person and nobody
    else (email addresses, social accounts, the external id) are replaced too.
    Names, phone numbers, postal addresses and dates of birth are not: a
    namesake, a household's shared line or address, a shared birthday would
    lose theirs."""
    if not contacts:
        return
    await _scrub_cases(
        ~Q(id__in=case_ids) if case_ids else Q(),
        ~Q(case_id__in=case_ids) if case_ids else Q(),
        contacts,
        done,
        "other_",
    )


async def _scrub_cases(
    cases: Q,
    of_cases: Q,
    needles: list[str],
    done: _Counts,
    counted_as: str,
    *,
    read_all: bool = False,
) -> None:
    """`needles` replaced in the texts, replies and activity entries of the cases
    `cases` selects (`of_cases`: the same cases, for rows that name their case).
    Replies are found by the database (`LIKE`); with `read_all`, every case text
    and activity entry is read and searched here, where letter case is folded
    beyond ASCII too (SQLite's `LIKE` folds ASCII only). A case whose text
    changes gets a new version."""
    any_text = Q(*(_mentions(column, needles) for column in CASE_TEXTS), join_type=Q.OR)
    for case in await Case.filter(cases, Q() if read_all else any_text).only("id", *CASE_TEXTS):
        changed = _scrubbed(case, CASE_TEXTS, needles)
        if changed:
            await Case.filter(id=case.id).update(version=F("version") + 1, **changed)
            done.add(f"{counted_as}case_texts", 1)
    replies = CaseComment.filter(of_cases, _mentions("body", needles))
    for comment in await replies.only("id", "body"):
        changed = _scrubbed(comment, ("body",), needles)
        if changed:
            await CaseComment.filter(id=comment.id).update(**changed)
            done.add(f"{counted_as}comment_mentions", 1)
    any_value = Q(*(_mentions(column, needles) for column in ACTIVITY_TEXTS), join_type=Q.OR)
    entries = CaseActivity.filter(of_cases, Q() if read_all else any_value)
    for entry in await entries.only("id", *ACTIVITY_TEXTS):
        changed = _scrubbed(entry, ACTIVITY_TEXTS, needles)
        if changed:
            await CaseActivity.filter(id=entry.id).update(**changed)
            done.add(f"{counted_as}activity_mentions", 1)


def _scrubbed(row: Any, columns: Sequence[str], needles: Sequence[str]) -> dict[str, str]:
    changed = {}
    for column in columns:
        value = getattr(row, column) or ""
        clean = scrub(value, needles)
        if clean != value:
            changed[column] = clean
    return changed


async def _erase_files(
    ids: list[int], logins: list[int], case_ids: list[int], done: _Counts
) -> None:
    """Attachments on their cases and those they uploaded anywhere: the rows go
    now, the files once the change commits (a rolled-back erasure keeps them).
    The activity entry that a file was added stays, without its name. Their
    data exports' archives go too."""
    which = [Q(case_id__in=case_ids)] if case_ids else []
    if logins:
        which.append(Q(uploaded_by_id__in=logins))
    attachments = (
        await CaseAttachment.filter(Q(*which, join_type=Q.OR)).only(
            "id", "case_id", "file_name", "storage_key"
        )
        if which
        else []
    )
    keys = [a.storage_key for a in attachments]
    if attachments:
        names = sorted({a.file_name for a in attachments})
        on_cases = sorted({a.case_id for a in attachments})
        await CaseActivity.filter(
            kind=ActivityKind.ATTACHMENT_ADDED, case_id__in=on_cases, new_value__in=names
        ).update(new_value=ERASED)
        await CaseAttachment.filter(id__in=[a.id for a in attachments]).delete()
        done.add("attachments", len(attachments))
    exports = await DataExport.filter(consumer_id__in=ids).exclude(storage_key="")
    for export in exports:
        keys.append(export.storage_key)
        state = ExportState.EXPIRED if export.state is ExportState.READY else export.state
        await DataExport.filter(id=export.id).update(storage_key="", state=state)
        done.add("export_archives", 1)
    await _delete_after_commit(keys)


async def _end_grants(ids: list[int], logins: list[int], survivor_id: int, done: _Counts) -> None:
    """Memberships end today; representations (both ways) and related parties
    end yesterday, their last day. Rows that would only have started today or
    later granted nothing yet and are deleted. A related party on their login
    is moved to their record first, so it outlives the login as history."""
    today = clock.today()
    yesterday = today - dt.timedelta(days=1)
    if logins:
        done.add(
            "related_parties_moved",
            await RelatedParty.filter(user_id__in=logins).update(
                user_id=None, consumer_id=survivor_id
            ),
        )
    done.add(
        "memberships_ended",
        await HouseholdMember.filter(
            consumer_id__in=ids, end_date__isnull=True, start_date__lte=today
        ).update(end_date=today),
    )
    done.add(
        "memberships_dropped",
        await HouseholdMember.filter(consumer_id__in=ids, start_date__gt=today).delete(),
    )
    either = Q(representative_id__in=ids) | Q(consumer_id__in=ids)
    done.add(
        "representations_dropped",
        await Representation.filter(either, valid_from__gte=today).delete(),
    )
    done.add(
        "representations_ended",
        await Representation.filter(
            either, Q(valid_until__isnull=True) | Q(valid_until__gt=yesterday)
        ).update(valid_until=yesterday),
    )
    done.add(
        "related_parties_dropped",
        await RelatedParty.filter(consumer_id__in=ids, valid_from__gte=today).delete(),
    )
    done.add(
        "related_parties_ended",
        await RelatedParty.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=yesterday), consumer_id__in=ids
        ).update(valid_until=yesterday),
    )


async def _erase_households(ids: list[int], done: _Counts) -> None:
    """A household nobody else ever belonged to is theirs alone: its name,
    address and notes go too (the household and its cases stay)."""
    household_ids: list[Any] = await (
        HouseholdMember.filter(consumer_id__in=ids)
        .distinct()
        .values_list("household_id", flat=True)
    )
    for household_id in sorted({int(h) for h in household_ids}):
        shared = (
            await HouseholdMember.filter(household_id=household_id)
            .exclude(consumer_id__in=ids)
            .exists()
        )
        if shared:
            continue
        household = await Household.get(id=household_id)
        values = {
            "name": f"Erased household {household.number}",
            **dict.fromkeys(ADDRESS_FIELDS, ""),
            "notes": "",
        }
        changed = {k: v for k, v in values.items() if getattr(household, k) != v}
        if changed:
            await Household.filter(id=household_id).update(**changed)
            done.add("households", 1)


async def _erase_outbox(addresses: list[str], needles: list[str], done: _Counts) -> None:
    """Emails to them lose their address and content (one not sent yet never
    will be); emails to others that still hold content lose the values that
    identify them."""
    if addresses:
        to_them = Q(*(Q(recipient__iexact=a) for a in addresses), join_type=Q.OR)
        unsent = await OutboxEmail.filter(
            to_them, state__in=[OutboxState.PENDING, OutboxState.SENDING]
        ).update(
            state=OutboxState.FAILED,
            next_attempt_at=None,
            last_error="Not sent: the recipient was erased.",
        )
        done.add("emails_cancelled", unsent)
        done.add(
            "emails_to_them",
            await OutboxEmail.filter(to_them).update(recipient=ERASED, context={}),
        )
    if not needles:
        return
    for email in await OutboxEmail.filter(state__in=OPEN_OUTBOX).only(
        "id", "context", "last_error"
    ):
        context = scrub_value(email.context, needles)
        error = scrub(email.last_error, needles)
        if context != email.context or error != email.last_error:
            await OutboxEmail.filter(id=email.id).update(context=context, last_error=error)
            done.add("email_mentions", 1)


async def _erase_mail_files(addresses: list[str], needles: list[str], done: _Counts) -> None:
    """The embedded mailer's copies (`.eml` files under MAIL_DIR, written when no
    SMTP server is set; an SMTP server's mail is the recipients'): emails to
    them are deleted, emails to others lose the values that identify them in
    their subject and text. Found now, changed once the erasure commits."""
    settings = get_settings()
    if settings.smtp_host:
        return
    changes = await asyncio.to_thread(_mail_changes, settings.mail_dir, addresses, needles)
    done.add("email_files_deleted", sum(1 for _, data in changes if data is None))
    done.add("email_file_mentions", sum(1 for _, data in changes if data is not None))
    if not changes:
        return

    async def apply() -> None:
        await asyncio.to_thread(_apply_mail_changes, changes)

    await after_commit(apply)


def _mail_changes(
    directory: Path, addresses: Sequence[str], needles: Sequence[str]
) -> list[tuple[Path, bytes | None]]:
    """Each email file to delete (None) or to write again scrubbed (its bytes)."""
    theirs = set(addresses)
    changes: list[tuple[Path, bytes | None]] = []
    for path, message in written_emails(directory):
        if recipients(message) & theirs:
            changes.append((path, None))
            continue
        try:
            if needles and _scrub_email(message, needles):
                changes.append((path, bytes(message)))
        except (LookupError, ValueError) as error:
            # Not an email the product wrote (an unknown charset, a broken part).
            log.warning("erasure could not read %s: %s", path.name, error)
    return changes


def _scrub_email(message: EmailMessage, needles: Sequence[str]) -> bool:
    """`scrub` through an email's subject and text parts (HTML with the needles as
    HTML writes them); True when anything changed."""
    changed = False
    subject = str(message.get("subject", ""))
    if (clean := scrub(subject, needles)) != subject:
        message.replace_header("subject", clean)
        changed = True
    escaped = [*needles, *(html.escape(n) for n in needles)]
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        text = str(part.get_content())
        subtype = part.get_content_subtype()
        scrubbed = scrub(text, escaped if subtype == "html" else needles)
        if scrubbed != text:
            part.set_content(scrubbed, subtype=subtype)
            changed = True
    return changed


def _apply_mail_changes(changes: Sequence[tuple[Path, bytes | None]]) -> None:
    for path, data in changes:
        if data is None:
            path.unlink(missing_ok=True)
        elif path.exists():
            write_atomically(path, data)


async def _erase_inbound(addresses: list[str], done: _Counts) -> None:
    """Emails they sent in keep their outcome (the case, the comment) and lose
    their sender, subject and bytes; the bytes go once the change commits."""
    keys = await mailin.forget_senders(addresses)
    done.add("inbound_emails", len(keys))
    await _delete_after_commit(keys)


async def _delete_after_commit(keys: list[str]) -> None:
    """Delete these stored files once the erasure has committed (a rolled-back
    one keeps them)."""
    if not keys:
        return

    async def delete_files() -> None:
        for key in keys:
            if storage.KEY.fullmatch(key):
                await storage.delete(key)

    await after_commit(delete_files)


async def _erase_imports(needles: list[str], done: _Counts) -> None:
    """Consumer imports keep their uploaded CSV: their line in it loses the
    values that identify them."""
    if not needles:
        return
    for job in await ImportJob.filter(_mentions("source", needles)).only("id", "source"):
        changed = _scrubbed(job, ("source",), needles)
        if changed:
            await ImportJob.filter(id=job.id).update(**changed)
            done.add("import_files", 1)
    for error in await ImportRowError.filter(_mentions("message", needles)).only("id", "message"):
        changed = _scrubbed(error, ("message",), needles)
        if changed:
            await ImportRowError.filter(id=error.id).update(**changed)
            done.add("import_errors", 1)
