"""A property: merging a duplicate record gives everyone exactly the access
they would have had if the survivor had held both records' relationships
from the start.

Each example draws a small world (households, representations, products,
cases, related parties, logins) as a plan, builds it, merges one record into
another through the service, and notes every viewer's decisions: the cases
the engine lists, what it permits on each, and which consumers the policy
shows. Then it builds the plan again with the merged record's rows given to
the survivor (the login that a merge keeps on the survivor, the one it
closes deactivated) and checks the decisions are the same.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_graph import clock, runtime
from csm_graph.access import engine, policy
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer, load_viewer
from csm_graph.cases.models import Case, CaseState
from csm_graph.consumers import merging
from csm_graph.consumers.merging import KeepLogin, MergeChoices
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.products.models import SoldProduct
from tests.conftest import wipe

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


@dataclass
class Plan:
    """A world as data: consumers by index, everything else pointing at indexes."""

    consumers: int
    logins: set[int]
    survivor: int
    merged: int
    keep: KeepLogin
    agents: int
    households: int
    memberships: list[tuple[int, int, bool, int, int | None]] = field(default_factory=list)
    """(consumer, household, is head, start offset, end offset or None)."""
    representations: list[tuple[int, int, int, int | None]] = field(default_factory=list)
    """(representative, consumer, from offset, until offset or None)."""
    products: list[tuple[int, int | None]] = field(default_factory=list)
    """(owner, household or None)."""
    cases: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)


def draw(rng: random.Random) -> Plan:
    n = rng.randint(3, 4)
    survivor, merged = rng.sample(range(n), 2)
    plan = Plan(
        consumers=n,
        logins={i for i in range(n) if rng.random() < 0.8},
        survivor=survivor,
        merged=merged,
        keep=rng.choice(list(KeepLogin)),
        agents=rng.randint(1, 2),
        households=rng.randint(1, 2),
    )
    for c in range(n):
        for h in range(plan.households):
            if rng.random() < 0.5:
                end = None if rng.random() < 0.8 else rng.randint(-5, 0)
                plan.memberships.append((c, h, rng.random() < 0.4, rng.randint(-30, 0), end))
    # Both records current members of one household in different roles is a
    # refusal, not a merge: give the merged record the survivor's role there.
    heads = {(c, h): head for c, h, head, _, end in plan.memberships if end is None}
    plan.memberships = [
        (c, h, heads.get((survivor, h), head) if c == merged and end is None else head, s, end)
        for c, h, head, s, end in plan.memberships
    ]
    for _ in range(rng.randint(0, 4)):
        a, b = rng.sample(range(n), 2)
        plan.representations.append(
            (a, b, rng.randint(-30, 3), rng.choice([None, rng.randint(-10, 10)]))
        )
    plan.products = [
        (rng.randrange(n), rng.choice([None, *range(plan.households)]))
        for _ in range(rng.randint(0, 2))
    ]
    users = [f"c{i}" for i in sorted(plan.logins)] + [f"a{i}" for i in range(plan.agents)]
    for _ in range(rng.randint(2, 5)):
        plan.cases.append(
            {
                "consumer": rng.randrange(n),
                "household": rng.choice([None, *range(plan.households)]),
                "product": rng.choice([None, *range(len(plan.products))]),
                "opened_by": rng.choice([None, *users]),
                "assigned_to": rng.choice([None, *(f"a{i}" for i in range(plan.agents))]),
                "state": rng.choice(list(CaseState)),
            }
        )
    for _ in range(rng.randint(0, 6)):
        on_case = not plan.products or rng.random() < 0.5
        as_user = bool(users) and rng.random() < 0.3
        plan.parties.append(
            {
                "case": rng.randrange(len(plan.cases)) if on_case else None,
                "product": None if on_case else rng.randrange(len(plan.products)),
                "consumer": None if as_user else rng.randrange(n),
                "user": rng.choice(users) if as_user else None,
                "kind": rng.random(),
                "responsibility": rng.random(),
                "from": rng.choice([None, rng.randint(-10, 3)]),
                "until": rng.choice([None, rng.randint(-3, 10)]),
            }
        )
    return plan


async def build(plan: Plan, *, merged_from_start: bool) -> list[Consumer]:
    """The plan's world. With `merged_from_start`, the merged record's rows
    belong to the survivor and the record itself is already a tombstone."""
    today = clock.today()

    def day(offset: int | None) -> dt.date | None:
        return None if offset is None else today + dt.timedelta(days=offset)

    def who(i: int) -> int:
        return plan.survivor if merged_from_start and i == plan.merged else i

    consumers = [
        await Consumer.create(number=f"CON{i:07d}", first_name=f"C{i}", last_name="X")
        for i in range(plan.consumers)
    ]
    users: dict[str, int] = {}
    for i in sorted(plan.logins):
        user = await User.create(
            email=f"c{i}@example.com", user_type=UserType.EXTERNAL, last_name="X"
        )
        users[f"c{i}"] = user.id
        owner = i
        if merged_from_start and plan.merged in plan.logins:
            both = plan.survivor in plan.logins
            kept = plan.merged if not both or plan.keep is KeepLogin.MERGED else plan.survivor
            if i in (plan.survivor, plan.merged) and i != kept:
                user.is_active = False
                await user.save()
                continue
            owner = who(i)
        consumers[owner].user_id = user.id
        await consumers[owner].save()
    for i in range(plan.agents):
        agent = await User.create(
            email=f"a{i}@example.com", user_type=UserType.INTERNAL, last_name="A"
        )
        users[f"a{i}"] = agent.id
    if merged_from_start:
        tombstone = consumers[plan.merged]
        tombstone.merged_into_id = consumers[plan.survivor].id
        tombstone.is_active = False
        await tombstone.save()

    households = [
        await Household.create(number=f"HH{i:07d}", name=f"H{i}") for i in range(plan.households)
    ]
    open_ones = set()
    for c, h, head, start, end in sorted(plan.memberships, key=lambda m: m[0] == plan.merged):
        if end is None and (who(c), h) in open_ones:
            continue  # the survivor's own membership stands for both
        if end is None:
            open_ones.add((who(c), h))
        await HouseholdMember.create(
            household_id=households[h].id,
            consumer_id=consumers[who(c)].id,
            relationship=Relationship.OTHER,
            is_head=head,
            start_date=day(start),
            end_date=day(end),
        )
    for a, b, start, until in plan.representations:
        if who(a) == who(b):
            continue
        await Representation.create(
            representative_id=consumers[who(a)].id,
            consumer_id=consumers[who(b)].id,
            valid_from=day(start),
            valid_until=day(until),
        )
    products = [
        await SoldProduct.create(
            name=f"P{i}",
            owner_id=consumers[who(owner)].id,
            household_id=households[h].id if h is not None else None,
        )
        for i, (owner, h) in enumerate(plan.products)
    ]
    cases = []
    for i, spec in enumerate(plan.cases):
        cases.append(
            await Case.create(
                number=f"CS{i:07d}",
                short_description="x",
                consumer_id=consumers[who(spec["consumer"])].id,
                household_id=households[spec["household"]].id
                if spec["household"] is not None
                else None,
                sold_product_id=products[spec["product"]].id
                if spec["product"] is not None
                else None,
                opened_by_id=users.get(spec["opened_by"] or ""),
                assigned_to_id=users.get(spec["assigned_to"] or ""),
                state=spec["state"],
            )
        )
    responsibilities: list[Responsibility | None] = [
        None,
        *await Responsibility.all().order_by("id"),
    ]
    kinds = await RelationshipType.all().order_by("id")
    for p in plan.parties:
        responsibility = responsibilities[int(p["responsibility"] * len(responsibilities))]
        await RelatedParty.create(
            case_id=cases[p["case"]].id if p["case"] is not None else None,
            sold_product_id=products[p["product"]].id if p["product"] is not None else None,
            consumer_id=consumers[who(p["consumer"])].id if p["consumer"] is not None else None,
            user_id=users[p["user"]] if p["user"] is not None else None,
            relationship_type_id=kinds[int(p["kind"] * len(kinds))].id,
            responsibility_id=responsibility.id if responsibility else None,
            valid_from=day(p["from"]),
            valid_until=day(p["until"]),
        )
    return consumers


Decisions = dict[str, Any]


async def decisions() -> Decisions:
    """For every active user, by email: the cases listed, what each case
    permits and allows now, and the consumers the policy shows, by number."""
    cases = await Case.all().order_by("number")
    live = await Consumer.filter(merged_into_id=None).order_by("number")
    out: Decisions = {}
    for user in await User.filter(is_active=True).order_by("email"):
        viewer = await load_viewer(user.id)
        assert viewer is not None
        subject = await engine.load_subject(viewer)
        listed = await Case.filter(engine.case_filter(subject)).values_list("number", flat=True)
        seen = await policy.visible(subject, live)
        out[user.email] = {
            "listed": sorted(str(n) for n in listed),
            "permitted": {c.number: sorted(engine.permitted(subject, c)) for c in cases},
            "available": {c.number: sorted(engine.available(subject, c)) for c in cases},
            "consumers": [c.number for c, ok in zip(live, seen, strict=True) if ok],
        }
    return out


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
async def test_a_merge_equals_having_held_everything_from_the_start(
    product: runtime.Runtime, seed: int
) -> None:
    # given: a world, and its merge
    plan = draw(random.Random(seed))
    await wipe(product)
    consumers = await build(plan, merged_from_start=False)
    survivor, merged = consumers[plan.survivor], consumers[plan.merged]
    both = plan.survivor in plan.logins and plan.merged in plan.logins
    choices = MergeChoices(keep_login=plan.keep if both else None)
    await merging.merge(await engine.load_subject(ADMIN), survivor.id, merged.id, choices)
    after_merge = await decisions()

    # when: the same world, the survivor holding everything from the start
    await wipe(product)
    await build(plan, merged_from_start=True)
    from_start = await decisions()

    # then
    assert after_merge == from_start, plan
