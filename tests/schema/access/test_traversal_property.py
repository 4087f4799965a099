"""A property: whatever a viewer reaches by traversal, `node(id:)` returns to them.

For random worlds (see `traversal_world.build_world`) and every login in
them, each query root field (`viewer`, `cases`, `households`, `consumers`,
`users`, `surveys`, `relationshipTypes`, `responsibilities`; those a viewer
may not use answer null with FORBIDDEN beside it and are skipped) is asked
for every object field (lists and pages alike, such as `Consumer.cases`),
HOPS steps deep, each object with `id` and `__typename`, and
`caseByNumber` for every case of the world. Then `node(id:)` is asked for
every object reached, with every object one step from it when the documents
stopped there, until nothing new turns up. Every object reached must come
back from `node(id:)`, for every Node type. The documents are generated from `schema.graphql`, so a
new object field is traversed without a change here.

Budget: EXAMPLES = 8 worlds per run (Hypothesis, derandomized so every run
asks the same worlds and takes the same time; 6 to 9 logins and 60 to 100
requests a world): about 20 s on SQLite and 25 s on PostgreSQL on two cores.
On a loaded machine the worlds drawn past `WORLDS_TIME_CAP` (40 s) are not
built, so the test ends inside pytest's timeout with the worlds it checked.
Plus one fixed world (about 4 s) in which every Node type is
reached, so a regression shows whatever Hypothesis draws. A failure names
the seed, the viewer, the object (global id and type:pk) and the path that
reached it.
"""

from __future__ import annotations

import datetime as dt
import random

import httpx
import pytest

from csm_graph import clock, runtime
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import ApiToken, Team, User, UserType
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer, ImportJob
from csm_graph.delegations.models import Delegation, DelegationScope, DelegationState
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.privacy.models import ErasureRequest
from csm_graph.products.models import SoldProduct
from csm_graph.sla.models import SlaSchedule
from csm_graph.surveys.models import Survey
from csm_graph.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import wipe
from tests.schema.access.traversal_world import (
    NODE_TYPES,
    NOT_IN_QUERIES,
    Exploration,
    World,
    WorldClock,
    build_world,
    explore,
    hops,
    make_login,
    over_world_seeds,
    root_documents,
)
from tests.support import login

HOPS = 3
"""Steps from the objects a root field returns (5 objects deep, within the depth limit)."""

EXAMPLES = 8

Day = dt.date | None


async def _explore_all(http: httpx.AsyncClient, world: World) -> list[Exploration]:
    out = []
    for email in world.logins:
        client = await login(http, email)
        viewer = f"{world.names[email]} <{email}>" if email in world.names else email
        out.append(await explore(client, viewer, world.case_numbers, HOPS))
    return out


def _assert_subset(explorations: list[Exploration], seed: int | None = None) -> None:
    found = [line for seen in explorations for line in seen.counterexamples()]
    where = f"world of seed {seed}" if seed is not None else "the fixed world"
    assert not found, f"in {where}:\n" + "\n".join(found)


@over_world_seeds(EXAMPLES)
async def test_every_object_reached_is_returned_by_node(
    product: runtime.Runtime, http: httpx.AsyncClient, world_clock: WorldClock, seed: int
) -> None:
    if not world_clock.in_time():
        return
    await wipe(product)
    world = await build_world(random.Random(seed))
    _assert_subset(await _explore_all(http, world), seed)


async def fixed_world() -> World:
    """Every relation the rules look at, once: a household with a head, a member,
    a past member and one not yet joined; a representative and an ended
    representation; products with parties; cases opened by staff, by their
    consumer and by a head for a member, with public comments, work notes,
    internal and public activity, an attachment, a survey, and parties."""
    world = World(logins=[], case_numbers=[])
    team = await Team.create(name="Loans")
    manager = await make_login("manager@example.com", UserType.INTERNAL, ("MANAGER",))
    agent = await make_login(
        "agent@example.com", UserType.INTERNAL, ("AGENT",), manager_id=manager.id
    )
    outsider = await make_login("outsider@example.com", UserType.INTERNAL, ("AGENT",))
    admin = await make_login("admin@example.com", UserType.INTERNAL, ("ADMIN",))
    await team.members.add(agent, manager)
    # administrators reach imports and erasure requests through their lists
    await ImportJob.create(file_name="c.csv", source="number\n", created_by_id=admin.id)

    people: dict[str, Consumer] = {}
    for n, name in enumerate(("head", "member", "past", "rep", "guarantor", "stranger", "nolog")):
        consumer = await Consumer.create(number=f"CON{n:07d}", first_name=name, last_name="Doe")
        if name != "nolog":
            user = await make_login(f"{name}@example.com", UserType.EXTERNAL, first_name=name)
            consumer.user_id = user.id
            await consumer.save()
        people[name] = consumer
    does = await Household.create(number="HH0000001", name="The Does")
    other = await Household.create(number="HH0000002", name="Elsewhere")
    today = clock.today()
    await ErasureRequest.create(consumer_id=people["stranger"].id, requested_by_id=admin.id)

    def days(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    member_rows = [
        (does, "head", True, days(-30), None),
        (does, "member", False, days(-30), None),
        (does, "nolog", False, days(-30), None),
        (does, "past", False, days(-60), days(-10)),
        (does, "stranger", False, days(5), None),
        (other, "member", True, days(-5), None),
        (other, "rep", False, days(-5), None),
    ]
    for household, name, head, start, end in member_rows:
        await HouseholdMember.create(
            household_id=household.id,
            consumer_id=people[name].id,
            relationship=Relationship.HEAD if head else Relationship.CHILD,
            is_head=head,
            is_primary=household is does,
            start_date=start,
            end_date=end,
        )
    delegated = await Representation.create(
        representative_id=people["rep"].id, consumer_id=people["member"].id, valid_from=days(-3)
    )
    # the member's delegation to the rep (accepted), and an invitation to the guarantor
    for state, delegate in ((DelegationState.ACCEPTED, "rep"), (DelegationState.INVITED, None)):
        await Delegation.create(
            consumer_id=people["member"].id,
            delegate_id=people[delegate].id if delegate else None,
            representation_id=delegated.id if delegate else None,
            email=f"{delegate or 'guarantor'}@example.com",
            scope=DelegationScope.READ_AND_ACT,
            ends_on=days(30),
            state=state,
            token_expires_at=clock.now() + dt.timedelta(days=14),
            created_at=clock.now(),
        )
    await Representation.create(
        representative_id=people["stranger"].id,
        consumer_id=people["head"].id,
        valid_from=days(-20),
        valid_until=days(-2),
    )
    loan = await SoldProduct.create(name="Loan", owner_id=people["member"].id, household_id=does.id)
    car = await SoldProduct.create(name="Car", owner_id=people["head"].id)

    def users_of(*names: str) -> list[int | None]:
        return [people[n].user_id for n in names]

    head_user, member_user, rep_user, guarantor_user = users_of(
        "head", "member", "rep", "guarantor"
    )
    specs = [
        # consumer, opened by, assigned, team, product, household, state
        ("member", head_user, agent.id, team.id, loan.id, does.id, CaseState.OPEN),
        ("member", member_user, None, None, None, does.id, CaseState.RESOLVED),
        ("head", agent.id, outsider.id, None, car.id, None, CaseState.CLOSED),
        ("nolog", rep_user, None, team.id, None, does.id, CaseState.NEW),
        ("past", None, agent.id, None, None, does.id, CaseState.CANCELLED),
        ("stranger", manager.id, None, None, loan.id, None, CaseState.AWAITING_INFO),
    ]
    cases: list[Case] = []
    for n, (who, opener, assignee, team_id, product_id, household_id, state) in enumerate(specs):
        case = await Case.create(
            number=f"CS{n:07d}",
            short_description="x",
            consumer_id=people[who].id,
            opened_by_id=opener,
            assigned_to_id=assignee,
            assignment_team_id=team_id,
            sold_product_id=product_id,
            household_id=household_id,
            state=state,
        )
        cases.append(case)
        world.case_numbers.append(case.number)
        await CaseComment.create(
            case_id=case.id,
            body="public",
            author_id=opener,
            on_behalf_of_id=people[who].id if opener not in (agent.id, manager.id) else None,
        )
        await CaseComment.create(case_id=case.id, body="note", work_note=True, author_id=agent.id)
        await CaseActivity.create(
            case_id=case.id, kind=ActivityKind.CREATED, actor_id=opener, on_behalf_of_id=None
        )
        await CaseActivity.create(
            case_id=case.id, kind=ActivityKind.ASSIGNED, internal=True, actor_id=manager.id
        )
    await CaseComment.create(
        case_id=cases[0].id, body="from the rep", author_id=rep_user, on_behalf_of_id=None
    )
    await CaseActivity.create(
        case_id=cases[1].id,
        kind=ActivityKind.COMMENTED,
        actor_id=guarantor_user,
        on_behalf_of_id=people["member"].id,
    )
    await CaseAttachment.create(
        case_id=cases[0].id,
        file_name="a.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        storage_key="fixed-world-attachment",
        uploaded_by_id=member_user,
    )
    await Survey.create(
        case_id=cases[2].id, consumer_id=people["head"].id, rating=4, created_at=clock.now()
    )
    await ApiToken.create(
        user_id=agent.id, name="t", prefix="csm_t", token_hash="1" * 64, created_at=clock.now()
    )
    # email in: a parked message of no case, and one that became a comment
    for case in (None, cases[0]):
        await InboundEmail.create(
            intake=Intake.SMTP,
            state=InboundState.PARKED if case is None else InboundState.ATTACHED,
            sender="member@example.com",
            raw_key="0" * 32,
            received_at=clock.now(),
            case_id=case.id if case else None,
        )
    # administrators reach webhook endpoints and their deliveries
    endpoint = await WebhookEndpoint.create(
        url="https://crm.example.com/hooks",
        events=["case.created"],
        secret="whsec_x",
        created_by_id=admin.id,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    await WebhookDelivery.create(
        endpoint_id=endpoint.id, event="case.created", message_id="msg_1", created_at=clock.now()
    )
    await SlaSchedule.create(name="Office", time_zone="Europe/Berlin", hours=[[0, 540, 1020]])

    kinds = {k.name: k for k in await RelationshipType.all()}
    levels = {r.name: r for r in await Responsibility.all()}
    Party = tuple[
        Case | None, SoldProduct | None, str | None, int | None, str, str | None, Day, Day
    ]
    parties: list[Party] = [
        # case, product, consumer, user, type, responsibility, from, until
        (cases[0], None, "guarantor", None, "guarantor", "case collaborator", None, None),
        (cases[0], None, None, outsider.id, "attorney", "case manager", None, None),
        (cases[1], None, "stranger", None, "listed consumer", None, None, None),
        (cases[2], None, "rep", None, "co-borrower", "case viewer", days(-9), days(-1)),
        (cases[3], None, None, guarantor_user, "attorney", "case manager", days(1), None),
        (None, loan, "guarantor", None, "finance contact", "case viewer", None, None),
        (None, car, "stranger", None, "co-borrower", "case manager", None, days(10)),
        (None, car, None, agent.id, "listed consumer", None, None, None),
    ]
    # a renewals team tracks the car, the operations department the loan
    renewals = await Team.create(name="Renewals")
    await renewals.members.add(outsider)
    operations = await Department.create(name="Operations", key="operations")
    await User.filter(id=manager.id).update(department="Operations")
    await RelatedParty.create(
        sold_product_id=car.id,
        team_id=renewals.id,
        relationship_type_id=kinds["finance contact"].id,
        responsibility_id=levels["case viewer"].id,
    )
    await RelatedParty.create(
        sold_product_id=loan.id,
        department_id=operations.id,
        relationship_type_id=kinds["finance contact"].id,
        responsibility_id=levels["case viewer"].id,
    )
    for on_case, on_product, consumer_name, user_id, kind, level, since, until in parties:
        await RelatedParty.create(
            case_id=on_case.id if on_case else None,
            sold_product_id=on_product.id if on_product else None,
            consumer_id=people[consumer_name].id if consumer_name else None,
            user_id=user_id,
            relationship_type_id=kinds[kind].id,
            responsibility_id=levels[level].id if level else None,
            valid_from=since,
            valid_until=until,
        )
    world.logins = [
        "admin@example.com",
        "manager@example.com",
        "agent@example.com",
        "outsider@example.com",
        *(f"{n}@example.com" for n in ("head", "member", "past", "rep", "guarantor", "stranger")),
    ]
    return world


def test_the_documents_walk_the_case_lists_of_consumers_and_households() -> None:
    # given
    steps = {(t, hop.call) for t in ("Consumer", "Household") for hop in hops(t)}

    # then: the pages of cases below a consumer or a household are traversed too
    assert {("Consumer", "cases(first: 10)"), ("Household", "cases(first: 10)")} <= steps
    documents = "\n".join(document for _, document in root_documents(HOPS))
    assert "fragment Consumer2 on Consumer" in documents
    assert "cases(first: 10) { edges { node { ...Case1 } } }" in documents


@pytest.mark.usefixtures("product")
async def test_in_a_fixed_world_every_object_reached_is_returned_by_node(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await fixed_world()

    # when
    explorations = await _explore_all(http, world)

    # then: nothing reached that node(id:) refuses, and every Node type was reached
    _assert_subset(explorations)
    reached_types = {t for seen in explorations for t in seen.typenames.values()}
    assert reached_types == NODE_TYPES - NOT_IN_QUERIES
    by_viewer = {seen.viewer: seen for seen in explorations}
    admin, member = by_viewer["admin@example.com"], by_viewer["member@example.com"]
    assert admin.forbidden == set()
    assert member.forbidden == {
        "consumers",
        "consumerImports",
        "users",
        "surveys",
        "slaTargets",
        "slaSchedules",
        "auditEvents",
        "erasureRequests",
        "inboundEmails",
        "webhookEndpoints",
        "webhookDeliveries",
        "departments",
    }
    # consumers do not see everything: the property is not trivially true
    assert len(member.reached) < len(admin.reached)
