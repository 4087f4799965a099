"""Cases in every state, each with the comments, work notes, attachments
and activity a case in that state would have gathered."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from csm_graph.accounts.models import Team, User
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseCategory,
    CaseChannel,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer
from csm_graph.demo.people import People, Staff
from csm_graph.demo.state import Demo, numbers
from csm_graph.demo.vocabulary import NOTES, REPLIES, STATE_WEIGHTS, TOPICS

STATES = list(STATE_WEIGHTS)
WEIGHTS = list(STATE_WEIGHTS.values())
PATHS: dict[CaseState, list[str]] = {
    CaseState.OPEN: [],
    CaseState.AWAITING_INFO: ["AWAITING_INFO"],
    CaseState.RESOLVED: ["RESOLVED"],
    CaseState.CLOSED: ["RESOLVED", "CLOSED"],
    CaseState.CANCELLED: ["CANCELLED"],
}
"""The states an opened case moves through after OPEN to reach its own."""


@dataclass
class CaseRows:
    """The cases and everything that hangs off them, and the attachments' bytes."""

    cases: list[Case] = field(default_factory=list)
    comments: list[CaseComment] = field(default_factory=list)
    attachments: list[CaseAttachment] = field(default_factory=list)
    activity: list[CaseActivity] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    """(storage key, bytes) for each attachment."""


async def build_cases(
    demo: Demo,
    staff: Staff,
    people: People,
    current: dict[int, int],
    products_of: dict[int, list[int]],
) -> CaseRows:
    """Zero to twelve cases per consumer (the demo head at least eight), in
    every state, each with the history that led to its state.

    Case lists, filters, grants through households and products, SLA
    clocks and the activity feed need cases in every state and of every
    age; a third of the demo head's cases go to the demo agent, so both
    demo logins see the same cases from either side.
    """
    rng = demo.rng
    per_consumer = [
        rng.choices((0, 1, 2, 3, 5, 8, 12), (5, 10, 15, 20, 20, 18, 12))[0]
        for _ in people.consumers
    ]
    per_consumer[0] = max(per_consumer[0], 8)
    builder = _CaseBuilder(
        demo, staff, people.demo_head, current, products_of, await numbers("CS", sum(per_consumer))
    )
    for consumer, count in zip(people.consumers, per_consumer, strict=True):
        for _ in range(count):
            builder.build(consumer)
    return builder.rows


async def build_shared_case(
    demo: Demo,
    staff: Staff,
    people: People,
    current: dict[int, int],
    rows: CaseRows,
    consumer: Consumer,
) -> Case:
    """One more case, added to `rows`: the one every demo login sees.

    It is `consumer`'s, in their household, assigned to the demo agent in
    the demo team and RESOLVED within the last three days: resolved, so the
    consumer side may still accept or reject the solution (an open case
    would hide those answers), and recently, so the auto-close job leaves it
    so for days yet. It is about no sold product, so no product's parties
    reach it.
    """
    builder = _CaseBuilder(demo, staff, people.demo_head, current, {}, await numbers("CS", 1), rows)
    return builder.build(
        consumer,
        state=CaseState.RESOLVED,
        worker=(staff.demo_agent, staff.demo_team),
        created=demo.ago(3, 2),
    )


class _Story:
    """One case's timeline: each step moves the moment forward (never past
    now), and each act records activity at that moment."""

    def __init__(self, demo: Demo, rows: CaseRows, case: Case, created: dt.datetime) -> None:
        self.demo = demo
        self.rows = rows
        self.case = case
        self.moment = created

    def step(self, hours: float) -> dt.datetime:
        """Between five minutes and `hours` hours later."""
        minutes = int(self.demo.rng.uniform(5, hours * 60))
        self.moment = min(self.demo.now, self.moment + dt.timedelta(minutes=minutes))
        return self.moment

    def act(self, kind: ActivityKind, actor: int | None, **extra: Any) -> None:
        self.rows.activity.append(
            CaseActivity(
                id=self.demo.ids.take(CaseActivity),
                case_id=self.case.id,
                kind=kind,
                actor_id=actor,
                created_at=self.moment,
                **extra,
            )
        )


class _CaseBuilder:
    """Builds the cases one at a time, numbered in the order they are built."""

    def __init__(
        self,
        demo: Demo,
        staff: Staff,
        demo_head: Consumer,
        current: dict[int, int],
        products_of: dict[int, list[int]],
        case_numbers: list[str],
        rows: CaseRows | None = None,
    ) -> None:
        self.demo = demo
        self.staff = staff
        self.demo_head = demo_head
        self.current = current
        self.products_of = products_of
        self.case_numbers = iter(case_numbers)
        self.rows = CaseRows() if rows is None else rows

    def build(
        self,
        consumer: Consumer,
        *,
        state: CaseState | None = None,
        worker: tuple[User, Team] | None = None,
        created: dt.datetime | None = None,
    ) -> Case:
        """One case for `consumer`: opened, then (unless it is still NEW)
        assigned, discussed, perhaps given a file, and moved to its state.
        Its state, agent and team, and opening moment are drawn unless given."""
        rng = self.demo.rng
        state = state or rng.choices(STATES, WEIGHTS)[0]
        created = created or self.demo.ago(365, 1)
        agent, team = worker or rng.choice(self.staff.agents)
        if consumer is self.demo_head and len(self.rows.cases) % 3 == 0:
            agent, team = self.staff.demo_agent, self.staff.demo_team
        by_consumer = consumer.user_id is not None and rng.random() < 0.6
        opener = consumer.user_id if by_consumer else agent.id
        case = self._case(consumer, state, created, agent, team, opener, by_consumer)
        story = _Story(self.demo, self.rows, case, created)
        story.act(ActivityKind.CREATED, opener)
        if state is CaseState.NEW:
            story.case.updated_at = story.moment
            return case
        self._assign(story, agent)
        self._discuss(story, consumer, agent)
        if rng.random() < 0.15:
            self._attach(story, opener)
        self._settle(story, state, agent)
        return case

    def _case(
        self,
        consumer: Consumer,
        state: CaseState,
        created: dt.datetime,
        agent: User,
        team: Team,
        opener: int | None,
        by_consumer: bool,
    ) -> Case:
        """The case row as opened; consumers open theirs on the web."""
        rng = self.demo.rng
        case = Case(
            id=self.demo.ids.take(Case),
            number=next(self.case_numbers),
            short_description=rng.choice(TOPICS),
            description=" ".join(rng.sample(REPLIES, 3)),
            state=state,
            priority=rng.choices((1, 2, 3, 4), (5, 15, 40, 40))[0],
            category=rng.choice(list(CaseCategory)),
            channel=CaseChannel.WEB if by_consumer else rng.choice(list(CaseChannel)),
            consumer_id=consumer.id,
            household_id=self.current.get(consumer.id),
            opened_by_id=opener,
            assigned_to_id=None if state is CaseState.NEW else agent.id,
            assignment_team_id=team.id,
            sold_product_id=rng.choice(self.products_of[consumer.id])
            if consumer.id in self.products_of and rng.random() < 0.5
            else None,
            created_at=created,
            response_due_at=created + dt.timedelta(hours=8),
            resolution_due_at=created + dt.timedelta(days=3),
            version=1,
        )
        self.rows.cases.append(case)
        return case

    def _assign(self, story: _Story, agent: User) -> None:
        """Within four hours the agent takes the case and opens it: the first response."""
        story.step(4)
        story.act(
            ActivityKind.ASSIGNED,
            agent.id,
            internal=True,
            field="assignedTo",
            new_value=agent.email,
        )
        story.act(
            ActivityKind.STATE_CHANGED,
            agent.id,
            field="state",
            old_value="NEW",
            new_value="OPEN",
        )
        story.case.first_response_at = story.moment

    def _discuss(self, story: _Story, consumer: Consumer, agent: User) -> None:
        """Up to four comments: most public (from the agent, or from a
        consumer who logs in), the rest work notes only staff see."""
        rng = self.demo.rng
        for _ in range(rng.choices((0, 1, 2, 3, 4), (15, 30, 30, 15, 10))[0]):
            public = rng.random() < 0.75
            from_consumer = public and consumer.user_id is not None and rng.random() < 0.5
            author = consumer.user_id if from_consumer else agent.id
            self.rows.comments.append(
                CaseComment(
                    id=self.demo.ids.take(CaseComment),
                    case_id=story.case.id,
                    body=rng.choice(REPLIES if public else NOTES),
                    work_note=not public,
                    author_id=author,
                    created_at=story.step(30),
                )
            )
            story.act(
                ActivityKind.COMMENTED if public else ActivityKind.WORK_NOTE_ADDED,
                author,
                internal=not public,
            )

    def _attach(self, story: _Story, opener: int | None) -> None:
        """A small text file from whoever opened the case, with its bytes
        kept for writing to storage, so downloads work."""
        rng = self.demo.rng
        key = f"{rng.getrandbits(128):032x}"
        body = f"Case {story.case.number}: {rng.choice(TOPICS)}\n".encode()
        attachment = CaseAttachment(
            id=self.demo.ids.take(CaseAttachment),
            case_id=story.case.id,
            file_name=rng.choice(["photo-notes.txt", "error.txt", "readings.txt"]),
            content_type="text/plain",
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            storage_key=key,
            uploaded_by_id=opener,
            created_at=story.step(10),
        )
        self.rows.attachments.append(attachment)
        self.rows.files.append((key, body))
        story.act(ActivityKind.ATTACHMENT_ADDED, opener, new_value=attachment.file_name)

    def _settle(self, story: _Story, state: CaseState, agent: User) -> None:
        """The agent moves the case from OPEN to its state, a step of up to
        two days at a time, resolving and closing it on the way."""
        rng = self.demo.rng
        case = story.case
        path = PATHS[state]
        old = "OPEN"
        for new in path:
            story.step(48)
            story.act(
                ActivityKind.STATE_CHANGED,
                agent.id,
                field="state",
                old_value=old,
                new_value=new,
            )
            old = new
            if new == "RESOLVED":
                case.resolution_code = rng.choice(["FIXED", "CREDITED", "EXPLAINED"])
                case.resolution_notes = rng.choice(REPLIES)
                case.resolved_at = story.moment
            if new in ("CLOSED", "CANCELLED"):
                case.closed_at = story.moment
        case.updated_at = story.moment
        case.version = 1 + len(path) + 1
