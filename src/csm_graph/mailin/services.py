"""The email-in rules: store every message first, then make it a case or a comment.

A message is written (its bytes to storage, an `inbound_email` row) in a
transaction of its own before anything else, so nothing is lost when
processing fails; processing is a job that can run again. It claims the
row with a conditional UPDATE, decides in one transaction (a comment, a
case, or nothing) and records the outcome with it. A failure rolls all of
that back and marks the row FAILED; the periodic sweep tries again.

Processing, in order: machines (auto-replies, bounces, lists), loops (our
own Message-IDs and addresses) and floods (a rate per sender) are IGNORED.
A reply finds its case by `In-Reply-To`/`References` against the emails we
sent, else the `[CS...]` tag of its subject, else a signed reply address;
it becomes a public comment of the consumer whose address sent it when the
access engine lets them comment, else it is PARKED for an agent. Anything
else opens a case (channel EMAIL) for the sender's consumer record, or a
new unverified one (`MAIL_IN_UNKNOWN_SENDERS`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from csm_graph import clock, storage
from csm_graph.access import policy
from csm_graph.access.engine import CaseAction, Subject, case_filter, load_subjects, permitted
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import NO_LOGIN, Viewer, load_viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import (
    FINAL_STATES,
    Case,
    CaseChannel,
)
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import ConsumerDraft, create_consumer
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.households.access import reach_of_consumer
from csm_graph.jobs import job
from csm_graph.mailin import parsing, replyaddress
from csm_graph.mailin.models import PENDING_STATES, InboundEmail, InboundState, Intake
from csm_graph.notifications.models import OutboxEmail
from csm_graph.settings import Settings, get_settings
from csm_graph.transactions import unit_of_work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""Processing runs of a failing message before the sweep leaves it to an agent."""
RETRY_AFTER = dt.timedelta(minutes=5)
"""A FAILED message is tried again this long after its last run, times its runs."""
STALE_AFTER = dt.timedelta(minutes=1)
"""A RECEIVED message whose job has not run this long after arrival is swept."""
SWEEP_BATCH = 200
RATE_WINDOW = dt.timedelta(hours=1)
EMPTY_BODY = "(The email had no text.)"
MAX_TEXT = 20000
"""The longest comment or description: a longer text is cut (the raw message stays)."""


# --- intake ----------------------------------------------------------------------------------


async def store(
    raw: bytes, intake: Intake, *, envelope_from: str = "", envelope_to: list[str] | None = None
) -> InboundEmail:
    """Keep a received message (bytes and row, committed) and start its processing."""
    message = parsing.parse(raw)
    _, sender = parsing.sender_of(message)
    key = await storage.put(raw)
    try:
        async with unit_of_work():
            row = await InboundEmail.create(
                intake=intake,
                envelope_from=envelope_from[:254],
                envelope_to=[a.lower() for a in envelope_to or []],
                sender=sender[:254],
                message_id=parsing.message_id_of(message)[:255],
                subject=parsing.header(message, "Subject")[:500],
                size=len(raw),
                raw_key=key,
                received_at=clock.now(),
            )
            await process_inbound_email.later(row.id)
    except BaseException:
        await storage.delete(key)
        raise
    log.info("inbound email %d stored (%s, %d bytes)", row.id, intake.value, len(raw))
    return row


# --- processing ------------------------------------------------------------------------------


@dataclass
class Decision:
    state: InboundState
    reason: str = ""
    case_id: int | None = None
    comment_id: int | None = None


@dataclass(frozen=True)
class Person:
    """Who a sender's address is: a consumer record, with its login if it has one."""

    consumer_id: int
    user_id: int | None
    subject: Subject


@dataclass
class Attempt:
    """What one processing run wrote to storage (removed again if it rolls back)."""

    stored: list[str] = field(default_factory=list)
    case_id: int | None = None
    """The case the message was found to answer, kept for a refusal's record."""


@job(name="process_inbound_email", timeout=120, max_tries=1)
async def process_inbound_email(inbound_id: int) -> str:
    """Process a RECEIVED or FAILED message once; returns the state it ends in."""
    row = await InboundEmail.get_or_none(id=inbound_id)
    if row is None or row.state not in PENDING_STATES:
        return "SKIPPED"
    attempt = Attempt()
    try:
        raw = await storage.read(row.raw_key)
        decision = await _run(row, raw, attempt)
    except Exception as exc:
        await _discard(attempt)
        log.exception("inbound email %d failed", inbound_id)
        decision = Decision(InboundState.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        async with unit_of_work():
            await _finish(inbound_id, decision)
    return decision.state.value


async def _run(row: InboundEmail, raw: bytes, attempt: Attempt) -> Decision:
    message = parsing.parse(raw)
    try:
        async with unit_of_work():
            claimed = await InboundEmail.filter(id=row.id, state__in=PENDING_STATES).update(
                processed_at=clock.now()
            )
            if not claimed:
                return Decision(row.state)
            decision = await _decide(row, message, get_settings(), attempt)
            await _finish(row.id, decision)
            return decision
    except UserErrors as exc:
        # A case rule refused the change (the case closed or changed meanwhile):
        # nothing of it stays, and an agent looks at the message.
        await _discard(attempt)
        reason = "; ".join(e.message for e in exc.errors)
        parked = Decision(InboundState.PARKED, reason, case_id=attempt.case_id)
        async with unit_of_work():
            await _finish(row.id, parked)
        return parked


async def _finish(inbound_id: int, decision: Decision) -> None:
    await InboundEmail.filter(id=inbound_id, state__in=PENDING_STATES).update(
        state=decision.state,
        reason=decision.reason,
        case_id=decision.case_id,
        comment_id=decision.comment_id,
        processed_at=clock.now(),
        attempts=F("attempts") + 1,
    )


async def _discard(attempt: Attempt) -> None:
    for key in attempt.stored:
        await storage.delete(key)
    attempt.stored.clear()


async def _decide(
    row: InboundEmail, message: EmailMessage, settings: Settings, attempt: Attempt
) -> Decision:
    envelope_from = None if row.intake is Intake.IMAP else row.envelope_from
    machine = parsing.automatic_reason(message, envelope_from)
    if machine is not None:
        return Decision(InboundState.IGNORED, f"Sent automatically ({machine}).")
    if row.message_id and await OutboxEmail.filter(message_id=row.message_id).exists():
        return Decision(InboundState.IGNORED, "One of our own emails came back (mail loop).")
    our_from = parseaddr(settings.mail_from)[1].lower()
    if row.sender == our_from or replyaddress.is_ours(settings, row.sender):
        return Decision(InboundState.IGNORED, "Sent from one of our own addresses (mail loop).")
    if not row.sender:
        return Decision(InboundState.PARKED, "The message names no sender address.")
    earlier = await InboundEmail.filter(
        sender=row.sender, received_at__gte=row.received_at - RATE_WINDOW, id__lt=row.id
    ).count()
    if earlier >= settings.mail_in_rate_limit:
        return Decision(
            InboundState.IGNORED,
            f"More than {settings.mail_in_rate_limit} messages from this sender within an hour.",
        )
    case_id, how = await _thread(row, message, settings)
    text = parsing.text_of(message)
    files = parsing.attachments_of(message)
    if case_id is not None:
        case = await Case.filter(id=case_id).select_for_update().first()
        if case is not None:
            attempt.case_id = case.id
            return await _reply(row, case, how, text, files, attempt)
    display, _ = parsing.sender_of(message)
    return await _open(row, display, text, files, settings, attempt)


async def _thread(
    row: InboundEmail, message: EmailMessage, settings: Settings
) -> tuple[int | None, str]:
    """The case the message answers, and how it was found."""
    refs = parsing.referenced_ids(message)
    if refs:
        sent: list[Any] = await OutboxEmail.filter(message_id__in=refs).values_list(
            "message_id", "key"
        )
        received: list[Any] = await InboundEmail.filter(
            message_id__in=refs, case_id__isnull=False, id__lt=row.id
        ).values_list("message_id", "case_id")
        by_id: dict[str, int] = {}
        for message_id, key in sent:
            parts = str(key).split(":")
            if len(parts) > 2 and parts[0] == "case" and parts[1].isdigit():
                by_id.setdefault(str(message_id), int(parts[1]))
        for message_id, case_id in received:
            by_id.setdefault(str(message_id), int(case_id))
        for ref in refs:
            if ref in by_id:
                return by_id[ref], "In-Reply-To/References"
    tag = parsing.case_tag(row.subject)
    if tag is not None:
        found: list[Any] = await Case.filter(number=tag).values_list("id", flat=True)
        if found:
            return int(found[0]), f"the subject's tag [{tag}]"
    headers = [parsing.header(message, h) for h in ("To", "Cc", "Delivered-To")]
    for _, address in [("", a) for a in row.envelope_to] + getaddresses(headers):
        case_id = replyaddress.case_of_address(settings, address)
        if case_id is not None:
            return case_id, "the reply address"
    return None, ""


async def _reply(
    row: InboundEmail,
    case: Case,
    how: str,
    text: str,
    files: list[parsing.Attachment],
    attempt: Attempt,
) -> Decision:
    people = await _people(row.sender)
    person = next(
        (p for p in people if CaseAction.COMMENT in permitted(p.subject, case)),
        None,
    )
    if person is None:
        return Decision(
            InboundState.PARKED,
            f"A reply to case {case.number} (found by {how}) from an address that may not "
            "comment on it.",
            case_id=case.id,
        )
    if case.state in FINAL_STATES:
        return Decision(
            InboundState.PARKED,
            f"A reply to case {case.number}, which is {case.state.value}.",
            case_id=case.id,
        )
    body = (text or EMPTY_BODY)[:MAX_TEXT]
    comment = await cases.add_comment(person.subject, case.id, body, work_note=False)
    refused = []
    if files:
        if CaseAction.ATTACH in permitted(person.subject, case):
            refused = await _attach(case, person, files, attempt)
        else:
            refused = [f"{f.file_name}: the sender may not attach files" for f in files]
    return Decision(
        InboundState.ATTACHED,
        "; ".join([f"Found by {how}.", *refused]),
        case_id=case.id,
        comment_id=comment.id,
    )


async def _open(
    row: InboundEmail,
    display_name: str,
    text: str,
    files: list[parsing.Attachment],
    settings: Settings,
    attempt: Attempt,
) -> Decision:
    if await User.filter(email=row.sender, user_type=UserType.INTERNAL).exists():
        return Decision(
            InboundState.PARKED, "A new message from an internal user's address: not a case."
        )
    people = await _people(row.sender)
    reason = ""
    if people:
        person = people[0]
    elif not settings.mail_in_unknown_senders:
        return Decision(
            InboundState.PARKED,
            "No consumer record has this address, and unknown senders are refused "
            "(MAIL_IN_UNKNOWN_SENDERS).",
        )
    else:
        person = await _new_consumer(display_name, row.sender)
        reason = "A new consumer record was made for the sender (not verified)."
    case = await _create_case(person, row.subject, text)
    refused = await _attach(case, person, files, attempt) if files else []
    return Decision(
        InboundState.OPENED, "; ".join(r for r in [reason, *refused] if r), case_id=case.id
    )


async def _create_case(person: Person, subject_line: str, text: str) -> Case:
    """A case that came by email, opened by the sender (the case rules of the
    portal apply) for their consumer record."""
    short = " ".join(subject_line.split())[:160] or "(No subject)"
    draft = CaseDraft(
        short_description=short, description=text[:MAX_TEXT], consumer_id=person.consumer_id
    )
    return await cases.create_case(person.subject, draft, channel=CaseChannel.EMAIL)


async def _attach(
    case: Case, person: Person, files: list[parsing.Attachment], attempt: Attempt
) -> list[str]:
    """Store the files on the case through the upload checks (size, type from the
    bytes); returns why each refused one was refused."""
    refused = []
    for file in files:
        try:
            attachment = await cases.add_attachment(
                person.subject, case.id, file.file_name, file.data
            )
        except UserErrors as exc:
            refused.append(f"{file.file_name}: {exc.errors[0].message}")
            continue
        # Removed again if the processing's transaction rolls back.
        attempt.stored.append(attachment.storage_key)
    return refused


async def _people(address: str) -> list[Person]:
    """The consumer records an address belongs to, each with its login, logins
    first, then the most recently changed. None for an internal user's address."""
    if not address:
        return []
    user = await User.get_or_none(email=address, is_active=True)
    if user is not None and user.user_type is UserType.INTERNAL:
        return []
    query = Q(email=address)
    if user is not None:
        query |= Q(user_id=user.id)
    records = await Consumer.filter(query, is_active=True, merged_into_id=None).order_by(
        "-updated_at", "-id"
    )
    records.sort(key=lambda c: c.user_id is None)
    people = []
    for consumer in records:
        viewer: Viewer | None = None
        if consumer.user_id is not None:
            viewer = await load_viewer(consumer.user_id)
            if viewer is None:
                continue  # a deactivated login speaks for nobody
        people.append(await _person(consumer.id, viewer))
    return people


async def _person(consumer_id: int, viewer: Viewer | None) -> Person:
    today = clock.today()
    user_id = viewer.user_id if viewer is not None else None
    if viewer is None:
        viewer = Viewer(user_id=NO_LOGIN, user_type=UserType.EXTERNAL)
    reach = await reach_of_consumer(consumer_id, today)
    (subject,) = await load_subjects([(viewer, reach)], today)
    return Person(consumer_id, user_id, subject)


async def _new_consumer(display_name: str, address: str) -> Person:
    """An unverified consumer record for a sender nobody knew."""
    system = Viewer(user_id=NO_LOGIN, user_type=UserType.INTERNAL)
    name = display_name if display_name and "@" not in display_name else address.split("@")[0]
    try:
        consumer = await create_consumer(system, ConsumerDraft(full_name=name, email=address))
    except UserErrors:
        consumer = await create_consumer(
            system, ConsumerDraft(last_name=address.split("@")[0][:100] or "Unknown", email=address)
        )
    await Consumer.filter(id=consumer.id).update(
        review_reason="Made for an email from an address no record had; not verified."
    )
    return await _person(consumer.id, None)


# --- the sweep, the agents' list and a second run ----------------------------------------------


@job(name="sweep_inbound_emails", timeout=60, max_tries=1)
async def sweep_inbound_emails() -> int:
    """Start processing of messages whose job never ran (Redis away at arrival, a
    worker killed) and of failed ones whose back-off has passed."""
    now = clock.now()
    rows: list[Any] = await (
        InboundEmail.filter(
            Q(state=InboundState.RECEIVED, received_at__lte=now - STALE_AFTER)
            | Q(state=InboundState.FAILED, attempts__lt=MAX_ATTEMPTS)
        )
        .order_by("id")
        .limit(SWEEP_BATCH)
        .values_list("id", "state", "attempts", "processed_at")
    )
    due = [
        int(pk)
        for pk, state, attempts, processed_at in rows
        if state == InboundState.RECEIVED
        or processed_at is None
        or processed_at <= now - RETRY_AFTER * int(attempts)
    ]
    for pk in due:
        await process_inbound_email.later(pk)
    return len(due)


def visible_inbound_emails(subject: Subject | None) -> QuerySet[InboundEmail]:
    """The messages `subject` sees, filtered in SQL (`policy.inbound_emails` per row)."""
    if subject is None or not subject.viewer.is_internal:
        return InboundEmail.filter(id__in=[])
    if subject.viewer.is_admin:
        return InboundEmail.all()
    readable = Subquery(Case.filter(case_filter(subject)).values("id"))
    return InboundEmail.filter(Q(case_id__isnull=True) | Q(case_id__in=readable))


REPROCESSABLE = frozenset({InboundState.FAILED, InboundState.PARKED, InboundState.IGNORED})


async def reprocess(subject: Subject, inbound_id: int) -> InboundEmail:
    """Process a failed, parked or ignored message again (after an agent gave the
    sender access, or fixed what failed)."""
    async with unit_of_work():
        row = await InboundEmail.filter(id=inbound_id).select_for_update().first()
        row = await policy.require_visible(subject, row, "id", "inbound email")
        if row.state not in REPROCESSABLE:
            raise UserErrors.one(
                "id",
                f"The message was processed already ({row.state.value}).",
                ErrorCode.INVALID_STATE,
            )
        await InboundEmail.filter(id=row.id).update(state=InboundState.RECEIVED, reason="")
        row.state = InboundState.RECEIVED
        row.reason = ""
        await process_inbound_email.later(row.id)
    return row


async def text_of(row: InboundEmail) -> str:
    """The message's text as processing reads it ('' when the raw bytes are gone)."""
    try:
        raw = await storage.read(row.raw_key)
    except (FileNotFoundError, ValueError):
        return ""
    return parsing.text_of(parsing.parse(raw))


async def forget_senders(addresses: Sequence[str]) -> list[str]:
    """An erasure: messages from `addresses` keep their outcome and lose who sent
    them, their subject and their bytes. Returns the storage keys of the bytes,
    for the caller to delete once its change has committed."""
    if not addresses:
        return []
    lowered = sorted({a.lower() for a in addresses if a})
    rows: list[Any] = await InboundEmail.filter(
        Q(sender__in=lowered) | Q(envelope_from__in=lowered)
    ).values_list("id", "raw_key")
    if not rows:
        return []
    await InboundEmail.filter(id__in=[int(pk) for pk, _ in rows]).update(
        sender="", envelope_from="", subject="", raw_key=""
    )
    return [str(key) for _, key in rows if key]
