"""Case notification emails: who on the consumer side hears of a change.

Called by the case services inside their unit of work, so each email is an
outbox row written with the change that causes it (`queue_email`), keyed
per (event, recipient) so a repeated call writes nothing.

Recipients are the people who read the case on the consumer side: its
consumer, the current heads of its household, the consumer's current
representatives, and an external opener. Everyone with a login is checked
against the access engine (the same rules as the API); each honours their
consumer record's `notify_email`. Internal users get no case emails here,
and work notes never reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csm_graph import clock
from csm_graph.access.engine import CaseAction, load_subject, permitted
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.households.access import current_memberships, current_representations
from csm_graph.households.models import HouseholdMember, Representation
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings


@dataclass(frozen=True)
class Recipient:
    key: str
    """Stable per person: `c<consumer id>` or `u<user id>`."""
    email: str
    name: str
    user_id: int | None


async def _may_read(user_id: int, case: Case) -> bool:
    viewer = await load_viewer(user_id)
    if viewer is None:
        return False
    return CaseAction.READ in permitted(await load_subject(viewer), case)


async def recipients(case: Case, *, exclude_user_id: int | None = None) -> list[Recipient]:
    """The consumer-side readers of `case` who want email, without `exclude_user_id`."""
    today = clock.today()
    consumer_ids: list[int] = [case.consumer_id]
    if case.household_id is not None:
        heads: list[Any] = await HouseholdMember.filter(
            current_memberships(today), household_id=case.household_id, is_head=True
        ).values_list("consumer_id", flat=True)
        consumer_ids += [int(h) for h in heads]
    reps: list[Any] = await Representation.filter(
        current_representations(today), consumer_id=case.consumer_id
    ).values_list("representative_id", flat=True)
    consumer_ids += [int(r) for r in reps]
    opener: User | None = None
    if case.opened_by_id is not None:
        opener = await User.get_or_none(id=case.opened_by_id, user_type=UserType.EXTERNAL)
    consumers = await Consumer.filter(id__in=sorted(set(consumer_ids)), is_active=True)
    if opener is not None:
        consumers += await Consumer.filter(user_id=opener.id, is_active=True).exclude(
            id__in=sorted(set(consumer_ids))
        )
    found: dict[str, Recipient] = {}
    seen_emails: set[str] = set()
    opener_covered = False
    for consumer in sorted(consumers, key=lambda c: c.id):
        if consumer.user_id is not None and consumer.user_id == opener_id(opener):
            opener_covered = True
        if consumer.user_id is not None and consumer.user_id == exclude_user_id:
            continue
        if not consumer.notify_email or not consumer.email or consumer.email in seen_emails:
            continue
        if consumer.user_id is not None and not await _may_read(consumer.user_id, case):
            continue
        seen_emails.add(consumer.email)
        found[f"c{consumer.id}"] = Recipient(
            f"c{consumer.id}",
            consumer.email,
            consumer.first_name or consumer.email,
            consumer.user_id,
        )
    if (
        opener is not None
        and not opener_covered
        and opener.id != exclude_user_id
        and opener.is_active
        and opener.email not in seen_emails
        and await _may_read(opener.id, case)
    ):
        # An external opener with no consumer record: their login's address.
        found[f"u{opener.id}"] = Recipient(
            f"u{opener.id}", opener.email, opener.first_name or opener.email, opener.id
        )
    return list(found.values())


def opener_id(opener: User | None) -> int | None:
    return opener.id if opener is not None else None


async def _send(
    case: Case,
    template: str,
    event: str,
    extra: dict[str, Any] | None = None,
    *,
    exclude_user_id: int | None = None,
) -> int:
    settings = get_settings()
    sent = 0
    base = {
        "number": case.number,
        "short_description": case.short_description,
        "link": f"{settings.portal_url}/cases/{case.number}",
        **(extra or {}),
    }
    for person in await recipients(case, exclude_user_id=exclude_user_id):
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


async def comment_added(case: Case, comment_id: int, body: str, author_id: int | None) -> int:
    """A public comment: everyone but its author (work notes never come here)."""
    author = await User.get_or_none(id=author_id) if author_id is not None else None
    if author is None or author.user_type is UserType.INTERNAL:
        author_name = "our service team"
    else:
        author_name = author.full_name or author.email
    return await _send(
        case,
        "case_commented",
        f"comment:{comment_id}",
        {"body": body, "author": author_name},
        exclude_user_id=author_id,
    )


async def info_requested(case: Case, comment_id: int, body: str) -> int:
    return await _send(case, "case_info_requested", f"info:{comment_id}", {"body": body})


async def solution_proposed(case: Case) -> int:
    return await _send(
        case,
        "case_solution_proposed",
        f"solution:{case.version}",
        {"notes": case.resolution_notes, "auto_close_days": get_settings().auto_close_days},
    )


async def case_closed(case: Case) -> int:
    return await _send(case, "case_closed", f"closed:{case.version}")
