"""Case notification emails: who on the consumer side hears of a change.

Called by the case services inside their unit of work, so each email is an
outbox row written with the change that causes it (`queue_email`), keyed
per (event, recipient) so a repeated call writes nothing.

Recipients are the people who read the case on the consumer side, as the
access engine answers it (`consumer_side_readers`): its consumer, the
current heads of its household while the consumer belongs to it, and the
consumer's current representatives. Each honours their consumer record's
`notify_email`; a deactivated login gets nothing. Internal users get no
case emails here, and work notes never reach this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from csm_graph.access.engine import consumer_side_readers_of
from csm_graph.accounts.models import User, UserType
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.mailin.replyaddress import reply_address
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings


@dataclass(frozen=True)
class Recipient:
    key: str
    """Stable per person: `c<consumer id>` or `u<user id>`."""
    email: str
    name: str
    user_id: int | None


async def recipients(case: Case, *, exclude_user_id: int | None = None) -> list[Recipient]:
    """The consumer-side readers of `case` who want email (the access engine's
    `consumer_side_readers`), without `exclude_user_id`; one each per address."""
    return (await recipients_of([case], exclude_user_id=exclude_user_id))[case.id]


async def recipients_of(
    cases: Sequence[Case], *, exclude_user_id: int | None = None
) -> dict[int, list[Recipient]]:
    """`recipients` of many cases, by case id, in four queries whatever their number."""
    readers = await consumer_side_readers_of(cases)
    wanted = sorted({r.consumer_id for found in readers.values() for r in found})
    consumers = {
        c.id: c
        for c in (
            await Consumer.filter(id__in=wanted, is_active=True).order_by("id") if wanted else []
        )
    }
    logins = [c.user_id for c in consumers.values() if c.user_id is not None]
    active: list[Any] = (
        await User.filter(id__in=logins, is_active=True).values_list("id", flat=True)
        if logins
        else []
    )
    out: dict[int, list[Recipient]] = {}
    for case in cases:
        ids = sorted({r.consumer_id for r in readers[case.id]})
        found: list[Recipient] = []
        seen_emails: set[str] = set()
        for consumer in (consumers[i] for i in ids if i in consumers):
            if consumer.user_id is not None and (
                consumer.user_id == exclude_user_id or consumer.user_id not in active
            ):
                continue
            if not consumer.notify_email or not consumer.email or consumer.email in seen_emails:
                continue
            seen_emails.add(consumer.email)
            found.append(
                Recipient(
                    f"c{consumer.id}",
                    consumer.email,
                    consumer.first_name or consumer.email,
                    consumer.user_id,
                )
            )
        out[case.id] = found
    return out


async def _send(
    case: Case,
    template: str,
    event: str,
    extra: dict[str, Any] | None = None,
    *,
    exclude_user_id: int | None = None,
    to: list[Recipient] | None = None,
) -> int:
    """Queue `template` for the case's recipients (`to`, when the caller found
    them already)."""
    settings = get_settings()
    sent = 0
    base = {
        "number": case.number,
        "short_description": case.short_description,
        "link": f"{settings.portal_url}/cases/{case.number}",
        # Replies to it find the case (`mailin`); empty without MAIL_IN_ADDRESSES.
        "reply_address": reply_address(settings, case.id) or "",
        **(extra or {}),
    }
    if to is None:
        to = await recipients(case, exclude_user_id=exclude_user_id)
    for person in to:
        written = await queue_email(
            template=template,
            to=person.email,
            context={**base, "name": person.name},
            key=f"case:{case.id}:{event}:{person.key}",
        )
        sent += int(written)
    return sent


async def case_created(case: Case) -> int:
    consumer = await Consumer.get(id=case.consumer_id)
    return await _send(case, "case_created", "created", {"consumer_name": consumer.full_name})


async def comment_added(
    case: Case, comment_id: int, body: str, author_id: int | None, *, by_record: int | None = None
) -> int:
    """A public comment: everyone but its author (work notes never come here).
    `by_record`: the consumer record that wrote it without a login (an email)."""
    author = await User.get_or_none(id=author_id) if author_id is not None else None
    record = await Consumer.get_or_none(id=by_record) if by_record is not None else None
    if record is not None:
        author_name = record.full_name or record.email
    elif author is None or author.user_type is UserType.INTERNAL:
        author_name = ""  # the template says "our service team" in the recipient's language
    else:
        author_name = author.full_name or author.email
    to = await recipients(case, exclude_user_id=author_id)
    return await _send(
        case,
        "case_commented",
        f"comment:{comment_id}",
        {"body": body, "author": author_name},
        to=[r for r in to if r.key != f"c{by_record}"],
    )


async def info_requested(case: Case, comment_id: int, body: str) -> int:
    return await _send(case, "case_info_requested", f"info:{comment_id}", {"body": body})


async def solution_proposed(case: Case, to: list[Recipient] | None = None) -> int:
    return await _send(
        case,
        "case_solution_proposed",
        f"solution:{case.version}",
        {"notes": case.resolution_notes, "auto_close_days": get_settings().auto_close_days},
        to=to,
    )


async def solutions_proposed(cases: Sequence[Case]) -> int:
    """`solution_proposed` for each case of a bulk change, their recipients found
    together (then one outbox row per email, as always)."""
    found = await recipients_of(cases)
    return sum([await solution_proposed(case, found[case.id]) for case in cases])


async def case_closed(case: Case) -> int:
    return await _send(case, "case_closed", f"closed:{case.version}")
