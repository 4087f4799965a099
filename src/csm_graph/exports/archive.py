"""The archive of a data export: everything held about one consumer, as one zip.

`data.json` is the machine-readable copy: a stable structure named by
`FORMAT` and `FORMAT_VERSION` (docs/exports.md describes every key; within a
version keys are only ever added). `summary.html` says the same for a person
to read, rendered with Jinja2 like the emails. `files/` holds the files the
consumer attached themselves, and `messages/` the emails they sent in, as
received.

What the archive leaves out, and why, is listed in `LEFT_OUT` (and written
into `data.json`): other people are named by their role ("agent", "you",
"representative") or by their record's number, never by name or contact;
work notes, internal activity and review flags are the service's own
working notes, and secrets (password hash, tokens) are never copied.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from tortoise.expressions import Q
from tortoise.models import Model

from csm_graph import storage
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import User, UserType
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.consumers.models import Consumer
from csm_graph.customfields import services as customfields
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.mailin.models import InboundEmail
from csm_graph.notifications import rendering
from csm_graph.notifications.models import OutboxEmail
from csm_graph.products.models import SoldProduct
from csm_graph.surveys.models import Survey

FORMAT = "csm-graph.consumer-data-export"
FORMAT_VERSION = 1
TEMPLATE_DIR = Path(__file__).parent / "templates"

LEFT_OUT = (
    "Other people's personal data: people are named by their role (you, agent, "
    "representative, other participant) or by their record's number, never by name, "
    "address or contact details.",
    "Work notes and internal activity entries: the service team's own working notes.",
    "Review flags and legal holds on your record: internal notes about record-keeping.",
    "Secrets: your password (only a one-way hash is held), sign-in and link tokens.",
    "Files other people attached to your cases (they are theirs); the files you "
    "attached are under files/.",
    "The text of emails already sent: it is not kept once sent (emails may carry "
    "single-use links); each email is listed with its kind, address and dates.",
)
"""What the archive does not hold, as written into it."""

EMAIL_KINDS = {
    "verify_email": "Confirm your email address",
    "already_registered": "Someone tried to register with your address",
    "password_reset": "A password reset link",
    "set_password": "A link to set your password",
    "email_change_confirm": "Confirm a new email address",
    "email_change_notice": "Your email address is changing",
    "consumer_login_closed": "A login of yours was closed",
    "case_created": "A case was opened",
    "case_commented": "A new reply on a case",
    "case_info_requested": "A request for more information on a case",
    "case_solution_proposed": "A solution was proposed on a case",
    "case_closed": "A case was closed",
    "survey": "A satisfaction survey",
    "sla_breach": "A service-level alert",
    "data_export_ready": "A data export was ready",
    "delegation_invite": "An invitation to act for someone",
    "delegation_accepted": "Someone accepted your invitation to act for you",
    "delegation_reminder": "A delegation is about to end",
}
"""What each email template is about, for the list of emails sent."""

_CASE_KEY = re.compile(r"case:(\d+):")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Contents:
    """What goes into the zip: `data.json`'s document and the files to copy."""

    data: dict[str, Any]
    files: list[tuple[str, str]] = field(default_factory=list)
    """(path in the zip, storage key) of each attached file and message sent in."""


def _when(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def _by_id(model: type[Model], ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.pk: row for row in await model.filter(id__in=sorted(ids))}


class _Roles:
    """Names the people around a case by their role, relative to the consumer."""

    def __init__(self, consumer: Consumer, users: dict[int, User]) -> None:
        self.consumer = consumer
        self.users = users

    def of(self, user_id: int | None, on_behalf_of_id: int | None) -> str:
        if user_id is None:
            return "system"
        if user_id == self.consumer.user_id:
            return "you"
        user = self.users.get(user_id)
        if user is None:
            return "former user"
        if user.user_type is UserType.INTERNAL:
            return "agent"
        if on_behalf_of_id == self.consumer.id:
            return "representative"
        return "other participant"


def _consumer(c: Consumer) -> dict[str, Any]:
    return {
        "number": c.number,
        "externalId": c.external_id,
        "prefix": c.prefix,
        "firstName": c.first_name,
        "middleName": c.middle_name,
        "lastName": c.last_name,
        "suffix": c.suffix,
        "fullName": c.full_name,
        "email": c.email,
        "personalEmail": c.personal_email,
        "phone": c.phone,
        "mobilePhone": c.mobile_phone,
        "address": {
            "line1": c.address_line1,
            "line2": c.address_line2,
            "city": c.city,
            "region": c.region,
            "postalCode": c.postal_code,
            "country": c.country,
        },
        "dateOfBirth": _when(c.date_of_birth),
        "preferredLanguage": c.preferred_language,
        "notifyEmail": c.notify_email,
        "notifySms": c.notify_sms,
        "slaLevel": c.sla_level.value,
        "lastSurveyAt": _when(c.last_survey_at),
        "twitterHandle": c.twitter_handle,
        "facebookUrl": c.facebook_url,
        "linkedinUrl": c.linkedin_url,
        "isActive": c.is_active,
        "createdAt": _when(c.created_at),
        "updatedAt": _when(c.updated_at),
    }


def _login(u: User | None) -> dict[str, Any] | None:
    """The consumer's login without its secrets (no password hash, no tokens)."""
    if u is None:
        return None
    return {
        "email": u.email,
        "pendingEmail": u.pending_email,
        "prefix": u.prefix,
        "firstName": u.first_name,
        "middleName": u.middle_name,
        "lastName": u.last_name,
        "suffix": u.suffix,
        "phone": u.phone,
        "userType": u.user_type.value,
        "isActive": u.is_active,
        "emailVerified": u.email_verified,
        "lastLoginAt": _when(u.last_login_at),
        "createdAt": _when(u.created_at),
        "updatedAt": _when(u.updated_at),
    }


def _file_path(attachment: CaseAttachment) -> str:
    name = _UNSAFE.sub("_", attachment.file_name).strip("._") or "file"
    return f"files/{attachment.id}-{name[:100]}"


async def collect(consumer_id: int, generated_at: dt.datetime) -> Contents:
    """Everything held about consumer `consumer_id`, as `data.json` holds it."""
    consumer = await Consumer.get(id=consumer_id)
    user_id = consumer.user_id
    login = await User.get_or_none(id=user_id) if user_id is not None else None

    memberships = await HouseholdMember.filter(consumer_id=consumer.id).order_by("start_date", "id")
    represented_by = await Representation.filter(consumer_id=consumer.id).order_by("id")
    represents = await Representation.filter(representative_id=consumer.id).order_by("id")
    mine = Q(consumer_id=consumer.id)
    if user_id is not None:
        mine |= Q(opened_by_id=user_id)
    cases = await Case.filter(mine).order_by("id")
    case_ids = [c.id for c in cases]
    comments = await CaseComment.filter(case_id__in=case_ids, work_note=False).order_by("id")
    activity = await CaseActivity.filter(case_id__in=case_ids, internal=False).order_by("id")
    attached = (
        await CaseAttachment.filter(uploaded_by_id=user_id).order_by("id")
        if user_id is not None
        else []
    )
    surveys = await Survey.filter(consumer_id=consumer.id).order_by("id")
    who = Q(consumer_id=consumer.id)
    if user_id is not None:
        who |= Q(user_id=user_id)
    parties = await RelatedParty.filter(who).order_by("id")
    products = await SoldProduct.filter(owner_id=consumer.id).order_by("id")
    addresses = {a.lower() for a in (consumer.email, consumer.personal_email) if a}
    if login is not None:
        addresses |= {a.lower() for a in (login.email, login.pending_email) if a}
    emails = (
        await OutboxEmail.filter(recipient__in=sorted(addresses)).order_by("id")
        if addresses
        else []
    )
    sent_in = (
        await InboundEmail.filter(sender__in=sorted(addresses)).order_by("id") if addresses else []
    )

    households = await _by_id(
        Household,
        {m.household_id for m in memberships}
        | {c.household_id for c in cases if c.household_id}
        | {p.household_id for p in products if p.household_id},
    )
    people = await _by_id(
        Consumer,
        {r.representative_id for r in represented_by}
        | {r.consumer_id for r in represents}
        | {c.consumer_id for c in cases},
    )
    users = await _by_id(
        User,
        {c.author_id for c in comments if c.author_id}
        | {a.actor_id for a in activity if a.actor_id},
    )
    case_numbers = {c.id: c.number for c in cases}
    other_cases = await _by_id(
        Case,
        {a.case_id for a in attached}
        | {s.case_id for s in surveys}
        | {p.case_id for p in parties if p.case_id}
        | {m.case_id for m in sent_in if m.case_id},
    )
    case_numbers |= {pk: c.number for pk, c in other_cases.items()}
    product_rows = await _by_id(
        SoldProduct,
        {c.sold_product_id for c in cases if c.sold_product_id}
        | {p.sold_product_id for p in parties if p.sold_product_id},
    )
    kinds = await _by_id(RelationshipType, {p.relationship_type_id for p in parties})
    duties = await _by_id(
        Responsibility, {p.responsibility_id for p in parties if p.responsibility_id}
    )
    roles = _Roles(consumer, users)

    def household(pk: int | None) -> dict[str, Any] | None:
        found = households.get(pk) if pk is not None else None
        return {"number": found.number, "name": found.name} if found else None

    def product(pk: int | None) -> dict[str, Any] | None:
        found = product_rows.get(pk) if pk is not None else None
        return {"name": found.name, "serialNumber": found.serial_number} if found else None

    def number_of(pk: int) -> str | None:
        found = people.get(pk)
        return found.number if found else None

    files = [(_file_path(a), a.storage_key) for a in attached]
    messages = [(f"messages/{n:04d}.eml", m.raw_key) for n, m in enumerate(sent_in, start=1)]
    by_case: dict[int, dict[str, list[dict[str, Any]]]] = {
        pk: {"comments": [], "activity": []} for pk in case_ids
    }
    for comment in comments:
        by_case[comment.case_id]["comments"].append(
            {
                "body": comment.body,
                "by": roles.of(comment.author_id, comment.on_behalf_of_id),
                "createdAt": _when(comment.created_at),
            }
        )
    for entry in activity:
        by = roles.of(entry.actor_id, entry.on_behalf_of_id)
        # An assignee is staff (named by role); another person's file name is theirs.
        hide = entry.kind is ActivityKind.ASSIGNED or (
            entry.kind is ActivityKind.ATTACHMENT_ADDED and by != "you"
        )
        by_case[entry.case_id]["activity"].append(
            {
                "kind": entry.kind.value,
                "field": entry.field,
                "oldValue": "" if hide else entry.old_value,
                "newValue": "" if hide else entry.new_value,
                "by": by,
                "createdAt": _when(entry.created_at),
            }
        )

    custom_fields = await customfields.exported(CustomFieldEntity.CONSUMER, consumer.id)
    data: dict[str, Any] = {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "generatedAt": _when(generated_at),
        "consumer": _consumer(consumer),
        "customFields": custom_fields,
        "login": _login(login),
        "households": [
            {
                "household": household(m.household_id),
                "relationship": m.relationship.value,
                "isHead": m.is_head,
                "isPrimary": m.is_primary,
                "startDate": _when(m.start_date),
                "endDate": _when(m.end_date),
                "createdAt": _when(m.created_at),
            }
            for m in memberships
        ],
        "representedBy": [
            {
                "representativeNumber": number_of(r.representative_id),
                "validFrom": _when(r.valid_from),
                "validUntil": _when(r.valid_until),
                "createdAt": _when(r.created_at),
            }
            for r in represented_by
        ],
        "represents": [
            {
                "consumerNumber": number_of(r.consumer_id),
                "validFrom": _when(r.valid_from),
                "validUntil": _when(r.valid_until),
                "createdAt": _when(r.created_at),
            }
            for r in represents
        ],
        "cases": [
            {
                "number": c.number,
                "yourRoles": [
                    role
                    for role, yes in (
                        ("consumer", c.consumer_id == consumer.id),
                        ("opener", user_id is not None and c.opened_by_id == user_id),
                    )
                    if yes
                ],
                "consumerNumber": number_of(c.consumer_id),
                "shortDescription": c.short_description,
                "description": c.description,
                "state": c.state.value,
                "priority": c.priority,
                "category": c.category.value,
                "channel": c.channel.value,
                "household": household(c.household_id),
                "soldProduct": product(c.sold_product_id),
                "resolutionCode": c.resolution_code,
                "resolutionNotes": c.resolution_notes,
                "createdAt": _when(c.created_at),
                "updatedAt": _when(c.updated_at),
                "resolvedAt": _when(c.resolved_at),
                "closedAt": _when(c.closed_at),
                **by_case[c.id],
            }
            for c in cases
        ],
        "files": [
            {
                "path": path,
                "caseNumber": case_numbers.get(a.case_id),
                "fileName": a.file_name,
                "contentType": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "createdAt": _when(a.created_at),
            }
            for a, (path, _) in zip(attached, files, strict=True)
        ],
        "surveys": [
            {
                "caseNumber": case_numbers.get(s.case_id),
                "sent": s.skip_reason is None,
                "skipReason": s.skip_reason.value if s.skip_reason else None,
                "rating": s.rating,
                "comment": s.comment,
                "answeredAt": _when(s.answered_at),
                "expiresAt": _when(s.expires_at),
                "createdAt": _when(s.created_at),
            }
            for s in surveys
        ],
        "relatedParties": [
            {
                "caseNumber": case_numbers.get(p.case_id) if p.case_id else None,
                "soldProduct": product(p.sold_product_id),
                "relationship": kinds[p.relationship_type_id].name,
                "responsibility": (
                    duties[p.responsibility_id].name if p.responsibility_id in duties else None
                ),
                "validFrom": _when(p.valid_from),
                "validUntil": _when(p.valid_until),
                "createdAt": _when(p.created_at),
            }
            for p in parties
        ],
        "soldProducts": [
            {
                "name": p.name,
                "serialNumber": p.serial_number,
                "household": household(p.household_id),
                "createdAt": _when(p.created_at),
                "updatedAt": _when(p.updated_at),
            }
            for p in products
        ],
        "emails": [_email(e, case_numbers) for e in emails],
        "messagesSentIn": [
            {
                "path": path,
                "subject": m.subject,
                "caseNumber": case_numbers.get(m.case_id) if m.case_id else None,
                "state": m.state.value,
                "size": m.size,
                "receivedAt": _when(m.received_at),
            }
            for m, (path, _) in zip(sent_in, messages, strict=True)
        ],
        "leftOut": list(LEFT_OUT),
    }
    return Contents(data=data, files=[*files, *messages])


def _email(row: OutboxEmail, case_numbers: dict[int, str]) -> dict[str, Any]:
    """An email sent (or to be sent) to the consumer: its subject while the
    outbox still holds what it is rendered from (a sent email's is not kept)."""
    subject = None
    if row.context:
        try:
            subject = rendering.render(row.template, dict(row.context)).subject
        except (LookupError, jinja2.TemplateError):
            subject = None
    match = _CASE_KEY.match(row.key)
    return {
        "kind": row.template,
        "about": EMAIL_KINDS.get(row.template, row.template),
        "to": row.recipient,
        "state": row.state.value,
        "caseNumber": case_numbers.get(int(match.group(1))) if match else None,
        "subject": subject,
        "queuedAt": _when(row.created_at),
        "sentAt": _when(row.sent_at),
    }


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def summary(data: dict[str, Any]) -> str:
    """`summary.html`: the archive for a person to read."""
    return _environment().get_template("summary.html").render(data=data)


def _zip(contents: Contents, copies: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(contents.data, indent=2, ensure_ascii=False) + "\n"
        )
        archive.writestr("summary.html", summary(contents.data))
        for path, data in copies:
            archive.writestr(path, data)
    return buffer.getvalue()


async def build(consumer_id: int, generated_at: dt.datetime) -> bytes:
    """The zip of consumer `consumer_id`'s data: `data.json`, `summary.html`, `files/`,
    `messages/`."""
    contents = await collect(consumer_id, generated_at)
    copies = []
    for path, key in contents.files:
        try:
            copies.append((path, await storage.read(key)))
        except (FileNotFoundError, ValueError):
            # The row outlived its file (removed by an operator): listed, not copied.
            for entry in [*contents.data["files"], *contents.data["messagesSentIn"]]:
                if entry["path"] == path:
                    entry["path"] = None
    return await asyncio.to_thread(_zip, contents, copies)
