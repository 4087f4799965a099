"""One demo login for each kind of viewer, and one case they all see.

An administrator, the agent's manager, the agent, the head of the
household, a member of it, the consumer's authorized representative and a
guarantor on the case: each reaches the shared case through a grant of its
own in the access engine, so `viewerCan` and `explainAccess` on that case
answer differently for each, and `csm-graph demo` prints a login of each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from csm_graph.access.models import RelatedParty
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.demo.cases import CaseRows, build_shared_case
from csm_graph.demo.households import Households
from csm_graph.demo.parties import Vocabulary
from csm_graph.demo.people import (
    ADMIN_EMAIL,
    AGENT_EMAIL,
    GUARANTOR_EMAIL,
    HEAD_EMAIL,
    MANAGER_EMAIL,
    MEMBER_EMAIL,
    REPRESENTATIVE_EMAIL,
    People,
    Staff,
    give_login,
)
from csm_graph.demo.state import Demo
from csm_graph.households.models import Representation

KINDS: dict[str, str] = {
    "admin": ADMIN_EMAIL,
    "manager": MANAGER_EMAIL,
    "agent": AGENT_EMAIL,
    "head of household": HEAD_EMAIL,
    "member": MEMBER_EMAIL,
    "representative": REPRESENTATIVE_EMAIL,
    "guarantor": GUARANTOR_EMAIL,
}
"""Each kind of viewer, with the email of its demo login, in the order they are printed."""


@dataclass(frozen=True)
class Viewers:
    """The shared case, and the consumers who see it from the consumer side."""

    case: Case
    consumer: Consumer
    """The shared case's consumer: a member of the demo head's household, with no demo login."""
    member: Consumer
    representative: Consumer
    guarantor: Consumer

    @property
    def consumer_ids(self) -> set[int]:
        return {self.consumer.id, self.member.id, self.representative.id, self.guarantor.id}


async def build_viewers(
    demo: Demo,
    vocabulary: Vocabulary,
    staff: Staff,
    people: People,
    households: Households,
    representations: list[Representation],
    cases: CaseRows,
    parties: list[RelatedParty],
) -> Viewers:
    """The shared case and the consumer-side demo logins, chosen without a draw.

    The case is of a member of the demo head's household (not the head:
    the head sees it as head, not as its consumer), assigned to the demo
    agent in the team the demo manager leads. Another member who does not
    head the household logs in as the member. Two consumers outside the
    household log in as the representative (who now represents the case's
    consumer) and the guarantor (a related party on the case, with the
    guarantor type's default responsibility); random representations that
    would give the member, representative or guarantor a second grant on
    the case are dropped. The new rows are added to `representations`,
    `cases` and `parties`.
    """
    head = people.demo_head
    by_id = {c.id: c for c in people.consumers}
    household_id = households.current[head.id]
    at_home = [
        m for m in households.memberships if m.household_id == household_id and m.end_date is None
    ]
    # At least two: the demo head's household has three members or more, and
    # only the second of four or more may head it too.
    consumer, member = [by_id[m.consumer_id] for m in at_home if not m.is_head][:2]
    residents = {m.consumer_id for m in at_home}
    represented_by_head = {r.consumer_id for r in representations if r.representative_id == head.id}
    # Consumers in no household come last, so these are mostly people on their own.
    outsiders = [
        c
        for c in reversed(people.consumers)
        if c.id not in residents and c.id not in represented_by_head
    ]
    representative, guarantor = outsiders[:2]
    viewers = Viewers(
        case=await build_shared_case(demo, staff, people, households.current, cases, consumer),
        consumer=consumer,
        member=member,
        representative=representative,
        guarantor=guarantor,
    )
    others = {member.id, representative.id, guarantor.id}
    representations[:] = [
        r
        for r in representations
        if not (r.consumer_id == consumer.id and r.representative_id in others)
    ]
    since = demo.today - dt.timedelta(days=200)
    representations.append(
        Representation(
            id=demo.ids.take(Representation),
            representative_id=representative.id,
            consumer_id=consumer.id,
            valid_from=since,
            valid_until=None,
            created_by_id=staff.admin.id,
            created_at=demo.now - dt.timedelta(days=200),
        )
    )
    parties.append(
        vocabulary.party(
            demo,
            "guarantor",
            consumer=guarantor,
            added_by=staff.demo_agent.id,
            case=viewers.case,
            created_at=min(demo.now, viewers.case.created_at + dt.timedelta(hours=1)),
        )
    )
    give_login(demo, people, member, MEMBER_EMAIL)
    give_login(demo, people, representative, REPRESENTATIVE_EMAIL)
    give_login(demo, people, guarantor, GUARANTOR_EMAIL)
    return viewers
