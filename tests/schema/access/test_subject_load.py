"""The subject a request loads (`load_subject`: one statement for a consumer
and for staff, whose department and reports come with the viewer) equals the
one `load_subjects` builds with the ORM for the access report and
`explainAccess(at:)`, for viewers of every kind: consumers with and without
a household, heads and members, representatives current, read-only, expired
and not yet valid, agents in teams and departments, a manager with reports,
an administrator, and related parties of each grant kind, read at the day of
the request.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_graph import clock, runtime
from csm_graph.access.engine import Subject, load_subject, load_subjects
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import Role, Team, User, UserType
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.households.access import reach_of
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.products.models import SoldProduct
from tests.conftest import wipe
from tests.schema.access.test_access_agreement import _build as random_world
from tests.schema.cases.helpers import make_world, open_case
from tests.support import GraphQLClient

COUNT = "{ cases(first: 1) { totalCount } }"


async def _both(user_id: int) -> tuple[Subject, Subject]:
    """The viewer's subject as a request loads it, and as `load_subjects` does;
    a viewer made without a staff member's department and reports (as the
    access report makes one) gets the same subject."""
    viewer = await load_viewer(user_id)
    assert viewer is not None
    fast = await load_subject(viewer)
    bare = await load_subject(replace(viewer, department=None, report_ids=None))
    assert replace(bare, viewer=viewer) == fast
    (slow,) = await load_subjects([(viewer, await reach_of(viewer))], clock.today())
    return fast, slow


@dataclass
class People:
    users: dict[str, int]
    consumers: dict[str, int]
    household: int
    product: int
    cases: dict[str, int]
    teams: dict[str, int]
    parties: dict[str, int]


@pytest.fixture
async def products_only() -> AsyncIterator[Responsibility]:
    """A responsibility that allows no case action (reference data, kept between tests
    unless removed)."""
    responsibility = await Responsibility.create(
        name="products only", case_actions="", product_actions="READ"
    )
    yield responsibility
    await RelatedParty.filter(responsibility_id=responsibility.id).delete()
    await responsibility.delete()


async def _world(products_only: Responsibility) -> People:
    """Someone of every kind, and related parties of every grant kind, some of
    them dated to start or end around today."""
    today = clock.today()
    day = dt.timedelta(days=1)
    users: dict[str, int] = {}
    consumers: dict[str, int] = {}
    # Consumers with a login: head, member, one who left the household, the
    # member's representatives (current, read-only, expired, not yet valid), and
    # one with no household. `nobody` is an external login with no consumer record.
    for name in ("head", "member", "left", "rep", "reader", "expired", "future", "lone"):
        user = await User.create(email=f"{name}@example.com", user_type=UserType.EXTERNAL)
        consumer = await Consumer.create(
            number=f"C-{name}", first_name=name.title(), last_name="Doe", user_id=user.id
        )
        users[name], consumers[name] = user.id, consumer.id
    users["nobody"] = (await User.create(email="nobody@example.com")).id

    household = await Household.create(number="HH0000001", name="The Does")
    for name, is_head, end in (("head", True, None), ("member", False, None), ("left", False, day)):
        await HouseholdMember.create(
            household_id=household.id,
            consumer_id=consumers[name],
            relationship=Relationship.HEAD if is_head else Relationship.CHILD,
            is_head=is_head,
            start_date=today - 30 * day,
            end_date=None if end is None else today - end,
        )
    for name, start, end, read_only in (
        ("rep", today - 10 * day, today + 5 * day, False),
        ("reader", today - 10 * day, today, True),
        ("expired", today - 10 * day, today - day, False),
        ("future", today + day, None, False),
    ):
        await Representation.create(
            representative_id=consumers[name],
            consumer_id=consumers["member"],
            valid_from=start,
            valid_until=end,
            read_only=read_only,
        )

    teams = {name: (await Team.create(name=name)).id for name in ("Care", "Billing")}
    finance = await Department.create(name="Finance", key="finance")
    manager = await User.create(
        email="manager@example.com", user_type=UserType.INTERNAL, department="FINANCE"
    )
    await manager.roles.add(*await _roles("MANAGER"))
    await manager.teams.add(await Team.get(id=teams["Care"]))
    users["manager"] = manager.id
    for name, department, team_names in (
        ("agent", "  finance ", ("Care", "Billing")),
        ("loner", "Ops", ()),
    ):
        agent = await User.create(
            email=f"{name}@example.com",
            user_type=UserType.INTERNAL,
            department=department,
            manager_id=manager.id,
        )
        await agent.roles.add(*await _roles("AGENT"))
        for team in team_names:
            await agent.teams.add(await Team.get(id=teams[team]))
        users[name] = agent.id
    admin = await User.create(email="admin@example.com", user_type=UserType.INTERNAL)
    await admin.roles.add(*await _roles("ADMIN"))
    users["admin"] = admin.id

    product = await SoldProduct.create(
        name="Router", owner_id=consumers["member"], household_id=household.id
    )
    cases = {
        "home": (
            await Case.create(
                number="CS0000001",
                short_description="x",
                consumer_id=consumers["member"],
                household_id=household.id,
                sold_product_id=product.id,
            )
        ).id,
        "lone": (
            await Case.create(
                number="CS0000002", short_description="y", consumer_id=consumers["lone"]
            )
        ).id,
    }
    viewing, collaborator, manages = [
        await Responsibility.get(name=n)
        for n in ("case viewer", "case collaborator", "case manager")
    ]
    guarantor = await RelationshipType.get(name="guarantor")
    listed = await RelationshipType.get(name="listed consumer")
    parties: dict[str, int] = {}
    for name, values in {
        "consumer on case": dict(case_id=cases["home"], consumer_id=consumers["lone"]),
        "user on case": dict(
            case_id=cases["home"], user_id=users["loner"], responsibility_id=collaborator.id
        ),
        "consumer on product": dict(
            sold_product_id=product.id, consumer_id=consumers["rep"], responsibility_id=manages.id
        ),
        "team on case": dict(case_id=cases["lone"], team_id=teams["Care"]),
        "team on product": dict(
            sold_product_id=product.id, team_id=teams["Billing"], responsibility_id=collaborator.id
        ),
        "department on case": dict(
            case_id=cases["home"], department_id=finance.id, responsibility_id=manages.id
        ),
        "department on product": dict(sold_product_id=product.id, department_id=finance.id),
        "ended": dict(
            case_id=cases["lone"], consumer_id=consumers["head"], valid_until=today - day
        ),
        "not yet": dict(case_id=cases["lone"], user_id=users["agent"], valid_from=today + day),
        "ending": dict(
            case_id=cases["lone"], user_id=users["manager"], valid_until=today + 3 * day
        ),
        "last day": dict(case_id=cases["lone"], user_id=users["loner"], valid_until=today),
        "first day": dict(
            sold_product_id=product.id, consumer_id=consumers["lone"], valid_from=today
        ),
        "no responsibility": dict(
            case_id=cases["lone"], consumer_id=consumers["member"], responsibility_id=None
        ),
        "no case action": dict(
            sold_product_id=product.id,
            consumer_id=consumers["expired"],
            responsibility_id=products_only.id,
        ),
    }.items():
        values.setdefault("responsibility_id", viewing.id)
        kind = listed if values["responsibility_id"] is None else guarantor
        party = await RelatedParty.create(relationship_type_id=kind.id, **values)
        parties[name] = party.id
    return People(users, consumers, household.id, product.id, cases, teams, parties)


async def _roles(name: str) -> list[Role]:
    return list(await Role.filter(name=name))


async def test_a_request_loads_the_subject_the_report_does_for_every_kind_of_viewer(
    products_only: Responsibility,
) -> None:
    # given
    people = await _world(products_only)
    kinds = dict(people.parties)
    subjects: dict[str, Subject] = {}

    # when
    for name, user_id in people.users.items():
        fast, slow = await _both(user_id)
        subjects[name] = fast

        # then
        assert fast == slow, name

    # and each kind of viewer is what its rows make it
    household, member = people.household, people.consumers["member"]
    head = subjects["head"].reach
    assert head.headed_household_ids == {household}
    assert head.members[household] == {people.consumers["head"], member}
    assert subjects["member"].reach.headed_household_ids == frozenset()
    assert subjects["member"].reach.representatives == {
        people.consumers["rep"],
        people.consumers["reader"],
    }
    assert subjects["left"].reach.household_ids == frozenset()
    assert subjects["rep"].reach.represented == {member: clock.today() + dt.timedelta(days=5)}
    assert subjects["rep"].reach.represented_household_ids == {household}
    assert subjects["reader"].reach.reads_only == {member}
    assert subjects["reader"].reach.represented == {member: clock.today()}
    assert subjects["expired"].reach.represented == {}
    assert subjects["future"].reach.represented == {}
    assert subjects["nobody"].consumer_id is None
    assert subjects["manager"].report_ids == {people.users["agent"], people.users["loner"]}
    assert subjects["agent"].department == "finance"
    assert subjects["admin"] == Subject(viewer=subjects["admin"].viewer, today=clock.today())

    def held(name: str) -> set[int]:
        return {p.party_id for p in subjects[name].parties}

    assert held("lone") == {kinds["consumer on case"], kinds["first day"]}
    assert held("loner") == {kinds["user on case"], kinds["last day"]}
    assert held("rep") == {kinds["consumer on product"]}
    assert held("agent") == {
        kinds["team on case"],
        kinds["team on product"],
        kinds["department on case"],
        kinds["department on product"],
    }
    assert held("manager") == {
        kinds["team on case"],
        kinds["department on case"],
        kinds["department on product"],
        kinds["ending"],
    }
    assert held("head") == held("member") == held("expired") == set()


async def test_dated_rows_are_read_at_the_day_of_the_request(
    frozen_clock: None, products_only: Responsibility
) -> None:
    # given
    people = await _world(products_only)

    # when a week has passed
    clock.travel(dt.timedelta(days=7))

    # then
    for name, user_id in people.users.items():
        fast, slow = await _both(user_id)
        assert fast == slow, name
        assert fast.today == clock.today()
    rep, _ = await _both(people.users["rep"])
    future, _ = await _both(people.users["future"])
    agent, _ = await _both(people.users["agent"])
    manager, _ = await _both(people.users["manager"])
    assert rep.reach.represented == {}
    assert future.reach.represented == {people.consumers["member"]: None}
    assert people.parties["not yet"] in {p.party_id for p in agent.parties}
    assert people.parties["ending"] not in {p.party_id for p in manager.parties}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
async def test_both_loads_agree_in_random_worlds(product: runtime.Runtime, seed: int) -> None:
    await wipe(product)
    user_ids, _ = await random_world(random.Random(seed))
    for user_id in user_ids:
        fast, slow = await _both(user_id)
        assert fast == slow, (seed, user_id)


async def test_a_removed_grant_bites_on_the_next_request(http: httpx.AsyncClient) -> None:
    # given a stranger related to a case, and a representative of its consumer
    world = await make_world(http)
    case = await open_case(world)
    party = await RelatedParty.create(
        case_id=case.id,
        consumer_id=world.stranger.id,
        relationship_type_id=(await RelationshipType.get(name="guarantor")).id,
        responsibility_id=(await Responsibility.get(name="case viewer")).id,
    )
    stranger, rep = world.client("stranger"), world.client("rep")
    assert await _total(stranger) == await _total(rep) == 1

    # when the grants are removed
    await RelatedParty.filter(id=party.id).delete()
    await Representation.filter(representative_id=world.representative.id).delete()

    # then the next request sees no case
    assert await _total(stranger) == await _total(rep) == 0


async def _total(client: GraphQLClient) -> int:
    total: int = (await client.data(COUNT))["cases"]["totalCount"]
    return total
