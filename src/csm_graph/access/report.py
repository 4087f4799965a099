"""Who can see a consumer, and why: the access report, asked of the engine.

A person is in the report when they may read some of the consumer's cases
(the engine's grants) or the consumer's contact details (the field rule
`consumer_contact`, passed in by the API layer that declares it). Nothing
here restates a rule: the report gathers the
people who might hold a grant, builds each one's `Subject` exactly as a
request would (`load_subjects`), and asks the engine's `grants` for every
case of the consumer and the field rule for the contact details. So the
report and the engine cannot disagree: a rule added to the engine shows
up here as soon as its holders are among the candidates.

The candidates, a superset of everyone a rule can name:

* every active internal user (each reads contact details; the rules of
  administrators, assignees, teams, managers and openers name only them);
* the logins of the consumer's circle: the consumer, everyone who
  represents or represented them, every member (past or present) of a
  household they belong or belonged to or that one of their cases is in;
* the related parties of their cases and of those cases' sold products
  (consumers, through their logins, and logins named directly).

Cost: about ten queries, plus four per external login among the
candidates (their reach, as `reach_of` loads it for a request); then, in
memory, one `grants` call per candidate and case. Internal users are few
and a consumer's circle is small, so a report is a few dozen queries; a
consumer with thousands of cases costs that many rule checks per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.access.engine import (
    CaseAction,
    Grant,
    GrantKind,
    Subject,
    grants,
    load_subjects,
    permitted,
)
from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.households.access import NO_REACH, Reach, reach_of
from csm_graph.households.models import HouseholdMember, Representation


class ReportScope(StrEnum):
    CASES = "CASES"
    CONTACT_DETAILS = "CONTACT_DETAILS"


class ReportKind(StrEnum):
    """A case grant's kind (`GrantKind`), or INTERNAL_USER for contact details."""

    ADMIN = "ADMIN"
    ASSIGNEE = "ASSIGNEE"
    TEAM = "TEAM"
    MANAGER = "MANAGER"
    OPENER = "OPENER"
    CONSUMER = "CONSUMER"
    REPRESENTATIVE = "REPRESENTATIVE"
    HEAD_OF_HOUSEHOLD = "HEAD_OF_HOUSEHOLD"
    HOUSEHOLD_MEMBER = "HOUSEHOLD_MEMBER"
    RELATED_PARTY = "RELATED_PARTY"
    SOLD_PRODUCT_PARTY = "SOLD_PRODUCT_PARTY"
    TEAM_PARTY = "TEAM_PARTY"
    DEPARTMENT_PARTY = "DEPARTMENT_PARTY"
    INTERNAL_USER = "INTERNAL_USER"


@dataclass
class ReportGrant:
    """One reason a person sees the consumer: a case grant over the cases it
    opens, or a reason to read the contact details."""

    scope: ReportScope
    kind: ReportKind
    description: str
    case_ids: list[int] = field(default_factory=list)
    actions: frozenset[CaseAction] = frozenset()
    valid_until: dt.date | None = None
    team_id: int | None = None


@dataclass
class ReportEntry:
    """A login that sees the consumer, with every grant that lets it."""

    user_id: int
    consumer_id: int | None
    internal: bool
    grants: list[ReportGrant]


@dataclass(frozen=True)
class _ContactView:
    """What `consumer_contact` reads of a consumer object, for one viewer."""

    user_id: int | None
    acts_for: bool


ContactRule = Callable[[Viewer | None, Any], bool]
"""The contact details' field rule: (viewer, a consumer object with `user_id`
and `acts_for`) -> may the viewer read them."""


def sees_contact_details(rule: ContactRule, subject: Subject, consumer: Consumer) -> bool:
    """`rule` for `subject`, on the consumer as a request would show it."""
    view = _ContactView(consumer.user_id, consumer.id in subject.reach.acts_for)
    return rule(subject.viewer, view)


async def access_report(consumer: Consumer, contact_rule: ContactRule) -> list[ReportEntry]:
    """Everyone who can see `consumer` now, each with their grants: external
    logins first, then internal users, each by user id. `contact_rule` is the
    field rule of the contact details (`schema.policy.consumer_contact`)."""
    cases = await Case.filter(consumer_id=consumer.id).order_by("id")
    subjects = await _subjects(await _candidates(consumer, cases))
    entries = []
    for subject in subjects:
        contact = _contact_grants(subject, consumer, contact_rule)
        found = contact + _case_grants(subject, cases)
        if found:
            viewer = subject.viewer
            entries.append(
                ReportEntry(viewer.user_id, subject.consumer_id, viewer.is_internal, found)
            )
    entries.sort(key=lambda e: (e.internal, e.user_id))
    return entries


async def _candidates(consumer: Consumer, cases: Sequence[Case]) -> set[int]:
    """The ids of every login a rule could name for the consumer or their cases."""
    internal: list[Any] = await User.filter(
        user_type=UserType.INTERNAL, is_active=True
    ).values_list("id", flat=True)
    users = {int(u) for u in internal}
    own_households: list[Any] = await HouseholdMember.filter(consumer_id=consumer.id).values_list(
        "household_id", flat=True
    )
    household_ids = {int(h) for h in own_households}
    household_ids |= {c.household_id for c in cases if c.household_id is not None}
    people = {consumer.id}
    if household_ids:
        members: list[Any] = await HouseholdMember.filter(
            household_id__in=sorted(household_ids)
        ).values_list("consumer_id", flat=True)
        people |= {int(m) for m in members}
    representatives: list[Any] = await Representation.filter(consumer_id=consumer.id).values_list(
        "representative_id", flat=True
    )
    people |= {int(r) for r in representatives}
    case_ids = [c.id for c in cases]
    product_ids = sorted({c.sold_product_id for c in cases if c.sold_product_id is not None})
    if case_ids:
        on = Q(case_id__in=case_ids)
        if product_ids:
            on |= Q(sold_product_id__in=product_ids)
        parties: list[Any] = await RelatedParty.filter(on).values_list("consumer_id", "user_id")
        people |= {int(c) for c, _ in parties if c is not None}
        users |= {int(u) for _, u in parties if u is not None}
    logins: list[Any] = await Consumer.filter(
        id__in=sorted(people), user_id__isnull=False
    ).values_list("user_id", flat=True)
    return users | {int(u) for u in logins}


async def _subjects(user_ids: Iterable[int]) -> list[Subject]:
    """The subjects of the active users among `user_ids`, as a request loads
    them: three queries for the users, their roles and teams; each external
    login's reach; then `load_subjects` for all at once."""
    users = await User.filter(id__in=sorted(user_ids), is_active=True).prefetch_related(
        "roles", "teams"
    )
    people: list[tuple[Viewer, Reach]] = []
    for user in sorted(users, key=lambda u: u.id):
        viewer = Viewer(
            user_id=user.id,
            user_type=user.user_type,
            roles=frozenset(r.name for r in user.roles),
            team_ids=frozenset(t.id for t in user.teams),
        )
        people.append((viewer, NO_REACH if viewer.is_internal else await reach_of(viewer)))
    return await load_subjects(people, clock.today())


def _contact_grants(subject: Subject, consumer: Consumer, rule: ContactRule) -> list[ReportGrant]:
    """Why the field rule lets `subject` read the contact details (none: it does not)."""
    if not sees_contact_details(rule, subject, consumer):
        return []
    contact = ReportScope.CONTACT_DETAILS
    if subject.viewer.is_internal:
        return [ReportGrant(contact, ReportKind.INTERNAL_USER, "an internal user")]
    if subject.viewer.user_id == consumer.user_id:
        return [ReportGrant(contact, ReportKind.CONSUMER, "the consumer themselves")]
    reach = subject.reach
    out = []
    if consumer.id in reach.represented:
        out.append(
            ReportGrant(
                contact,
                ReportKind.REPRESENTATIVE,
                "an authorized representative of the consumer",
                valid_until=reach.represented[consumer.id],
            )
        )
    if any(consumer.id in reach.members.get(h, frozenset()) for h in reach.headed_household_ids):
        out.append(
            ReportGrant(
                contact,
                ReportKind.HEAD_OF_HOUSEHOLD,
                "a head of a household the consumer belongs to",
            )
        )
    return out


_SUMMARIES = {
    GrantKind.ADMIN: "an administrator: every case",
    GrantKind.ASSIGNEE: "the agent the cases are assigned to",
    GrantKind.TEAM: "a member of the cases' assignment team",
    GrantKind.MANAGER: "the manager of the cases' assignee",
    GrantKind.OPENER: "the internal user who opened the cases",
    GrantKind.CONSUMER: "the consumer of the cases",
    GrantKind.REPRESENTATIVE: "an authorized representative of the cases' consumer",
    GrantKind.HEAD_OF_HOUSEHOLD: "a head of the cases' household",
    GrantKind.HOUSEHOLD_MEMBER: "a member of the cases' household (read only)",
}
"""How a grant over several cases reads; party grants keep the engine's words."""


def _group(kind: GrantKind, subject: Subject, case: Case, grant: Grant) -> tuple[Any, ...]:
    """What makes two grants of a kind one report grant: the team, the
    assignee, the household, the party rows; else the kind alone."""
    if kind is GrantKind.TEAM:
        return (case.assignment_team_id,)
    if kind is GrantKind.MANAGER:
        return (case.assigned_to_id,)
    if kind in (GrantKind.HEAD_OF_HOUSEHOLD, GrantKind.HOUSEHOLD_MEMBER):
        return (case.household_id,)
    if kind in (GrantKind.RELATED_PARTY, GrantKind.TEAM_PARTY, GrantKind.DEPARTMENT_PARTY):
        return (case.id,)
    if kind is GrantKind.SOLD_PRODUCT_PARTY:
        return tuple(
            p.party_id for p in subject.parties_on_product(case.sold_product_id) if p.direct
        )
    return ()


def _case_grants(subject: Subject, cases: Sequence[Case]) -> list[ReportGrant]:
    """The engine's grants on each case `subject` may read, one report grant per
    kind and group, naming the cases it opens."""
    out: dict[tuple[Any, ...], ReportGrant] = {}
    for case in cases:
        if CaseAction.READ not in permitted(subject, case):
            continue
        for grant in grants(subject, case):
            key = (grant.kind, *_group(grant.kind, subject, case, grant))
            found = out.get(key)
            if found is None:
                out[key] = ReportGrant(
                    ReportScope.CASES,
                    ReportKind(grant.kind.value),
                    _describe(subject, case, grant),
                    [case.id],
                    grant.actions,
                    grant.valid_until,
                    case.assignment_team_id if grant.kind is GrantKind.TEAM else None,
                )
                continue
            found.case_ids.append(case.id)
            found.actions |= grant.actions
            ends = (found.valid_until, grant.valid_until)
            found.valid_until = None if None in ends else max(e for e in ends if e)
    return list(out.values())


def _describe(subject: Subject, case: Case, grant: Grant) -> str:
    if grant.kind in (GrantKind.RELATED_PARTY, GrantKind.TEAM_PARTY, GrantKind.DEPARTMENT_PARTY):
        return grant.description
    if grant.kind is GrantKind.SOLD_PRODUCT_PARTY:
        return "; ".join(
            f"{p.relationship} on sold product {p.product_name} via responsibility "
            f"{p.responsibility}"
            for p in subject.parties_on_product(case.sold_product_id)
            if p.direct
        )
    return _SUMMARIES[grant.kind]
