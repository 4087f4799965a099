"""A property: for random worlds of households, representations, sold
products and related parties (consumers, logins, teams and departments, with
staff in and out of those teams and departments), the access engine's faces
agree for every
user and case: the SQL list filter, the single-object decision,
`explainAccess`, and the inverse question (`consumer_side_readers`) that
case emails ask; and a rule whose list filter opens nothing to a user grants
them nothing on any case.

Each example builds a small world straight through the ORM from a seed that
Hypothesis draws (and shrinks), wiping the database before it.
"""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_graph import clock, runtime
from csm_graph.access import engine
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.access.services import explain_access
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.products.models import SoldProduct
from tests.conftest import wipe


async def _build(rng: random.Random) -> tuple[list[int], list[int]]:
    """A random world; returns (user ids, case ids)."""
    today = clock.today()

    def some_days(lo: int, hi: int) -> dt.date:
        return today + dt.timedelta(days=rng.randint(lo, hi))

    user_ids: list[int] = []
    consumers: list[Consumer] = []
    for n in range(rng.randint(3, 5)):
        consumer = await Consumer.create(number=f"CON{n:07d}", first_name=f"C{n}", last_name="X")
        if rng.random() < 0.85:
            user = await User.create(
                email=f"c{n}@example.com", user_type=UserType.EXTERNAL, last_name="X"
            )
            consumer.user_id = user.id
            await consumer.save()
            user_ids.append(user.id)
        consumers.append(consumer)
    teams = [await Team.create(name=f"T{n}") for n in range(2)]
    departments = [
        await Department.create(name=name, key=name.casefold()) for name in ("Finance", "Ops")
    ]
    agents = []
    for n in range(rng.randint(1, 3)):
        agent = await User.create(
            email=f"a{n}@example.com",
            user_type=UserType.INTERNAL,
            last_name="A",
            department=rng.choice(["", "Finance", " FINANCE ", "Ops", "Legal"]),
        )
        for team in teams:
            if rng.random() < 0.5:
                await team.members.add(agent)
        agents.append(agent)
        user_ids.append(agent.id)

    households = [
        await Household.create(number=f"HH{n:07d}", name=f"H{n}") for n in range(rng.randint(1, 2))
    ]
    for consumer in consumers:
        for household in households:
            if rng.random() < 0.5:
                await HouseholdMember.create(
                    household_id=household.id,
                    consumer_id=consumer.id,
                    relationship=Relationship.OTHER,
                    is_head=rng.random() < 0.4,
                    start_date=some_days(-30, 0),
                    end_date=None if rng.random() < 0.8 else some_days(-5, 0),
                )
    for _ in range(rng.randint(0, 3)):
        a, b = rng.sample(consumers, 2)
        await Representation.create(
            representative_id=a.id,
            consumer_id=b.id,
            valid_from=some_days(-30, 3),
            valid_until=rng.choice([None, some_days(-10, 10)]),
        )

    products = [
        await SoldProduct.create(
            name=f"P{n}",
            owner_id=rng.choice(consumers).id,
            household_id=rng.choice([None, *[h.id for h in households]]),
        )
        for n in range(rng.randint(0, 2))
    ]
    case_ids = []
    for n in range(rng.randint(2, 5)):
        case = await Case.create(
            number=f"CS{n:07d}",
            short_description="x",
            consumer_id=rng.choice(consumers).id,
            household_id=rng.choice([None, *[h.id for h in households]]),
            sold_product_id=rng.choice([None, *[p.id for p in products]]),
            opened_by_id=rng.choice([None, *user_ids]),
            assigned_to_id=rng.choice([None, *[a.id for a in agents]]),
            state=rng.choice(list(CaseState)),
        )
        case_ids.append(case.id)

    responsibilities = [None, *await Responsibility.all()]
    kinds = await RelationshipType.all()
    for _ in range(rng.randint(0, 6)):
        on_case = not products or rng.random() < 0.5
        as_user = rng.random() < 0.3
        await RelatedParty.create(
            case_id=rng.choice(case_ids) if on_case else None,
            sold_product_id=None if on_case else rng.choice(products).id,
            consumer_id=None if as_user else rng.choice(consumers).id,
            user_id=rng.choice(user_ids) if as_user else None,
            relationship_type_id=rng.choice(kinds).id,
            responsibility_id=(r.id if (r := rng.choice(responsibilities)) else None),
            valid_from=rng.choice([None, some_days(-10, 3)]),
            valid_until=rng.choice([None, some_days(-3, 10)]),
        )
    for _ in range(rng.randint(0, 4)):
        on_case = not products or rng.random() < 0.5
        as_team = rng.random() < 0.5
        await RelatedParty.create(
            case_id=rng.choice(case_ids) if on_case else None,
            sold_product_id=None if on_case else rng.choice(products).id,
            team_id=rng.choice(teams).id if as_team else None,
            department_id=None if as_team else rng.choice(departments).id,
            relationship_type_id=rng.choice(kinds).id,
            responsibility_id=(r.id if (r := rng.choice(responsibilities)) else None),
            valid_from=rng.choice([None, some_days(-10, 3)]),
            valid_until=rng.choice([None, some_days(-3, 10)]),
        )
    # some staff leave a team or move to another department after the fact
    for agent in agents:
        if rng.random() < 0.3:
            await agent.teams.clear()
        if rng.random() < 0.3:
            agent.department = rng.choice(["", "Ops", "finance"])
            await agent.save()
    return user_ids, case_ids


CONSUMER_SIDE_KINDS = {"CONSUMER", "HEAD_OF_HOUSEHOLD", "REPRESENTATIVE"}


async def _check_agreement(user_ids: list[int], case_ids: list[int]) -> None:
    readers = {
        case_id: {
            (r.consumer_id, r.kind)
            for r in await engine.consumer_side_readers(await Case.get(id=case_id))
        }
        for case_id in case_ids
    }
    for user_id in user_ids:
        viewer = await load_viewer(user_id)
        assert viewer is not None
        subject = await engine.load_subject(viewer)
        listed = set(await Case.filter(engine.case_filter(subject)).values_list("id", flat=True))
        for case_id in case_ids:
            case = await Case.get(id=case_id)
            readable = engine.CaseAction.READ in engine.permitted(subject, case)
            # a rule that opens no case to the subject grants nothing on this one
            # (so `grants` asks only `subject.rules`)
            for rule in engine.RULES:
                if rule not in subject.rules:
                    assert rule.grant(subject, case) is None, (rule.kind, user_id, case_id)
            # the inverse face: the consumer-side readers of the case are exactly
            # those whose own grants say so
            if subject.consumer_id is not None:
                kinds = {g.kind for g in engine.grants(subject, case)} & CONSUMER_SIDE_KINDS
                named = {k for c, k in readers[case_id] if c == subject.consumer_id}
                assert named == kinds, (user_id, case_id, named, kinds)
            allowed, grants = await explain_access(viewer, case_id, None)
            assert (case_id in listed) == readable, (user_id, case_id, subject)
            assert bool(allowed) == readable, (user_id, case_id)
            if readable:
                assert allowed == engine.available(subject, case)
                assert grants == engine.grants(subject, case)
            else:
                assert grants == []


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
async def test_list_object_and_explanation_always_agree(
    product: runtime.Runtime, seed: int
) -> None:
    await wipe(product)
    user_ids, case_ids = await _build(random.Random(seed))
    await _check_agreement(user_ids, case_ids)
