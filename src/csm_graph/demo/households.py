"""Households with their members, now and in the past, and the
representatives who may act for a consumer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from csm_graph.consumers.models import Consumer
from csm_graph.demo.state import Demo, numbers
from csm_graph.demo.vocabulary import (
    CITIES,
    HOUSEHOLD_SIZES,
    HOUSEHOLD_WEIGHTS,
    MEMBER_RELATIONSHIPS,
)
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation


@dataclass
class Households:
    """Households, every membership (current and ended), and who lives where now."""

    households: list[Household] = field(default_factory=list)
    memberships: list[HouseholdMember] = field(default_factory=list)
    current: dict[int, int] = field(default_factory=dict)
    """Consumer id to the id of the household they belong to now."""
    loose: list[Consumer] = field(default_factory=list)
    """Consumers in no household now."""


async def build_households(demo: Demo, people: list[Consumer]) -> Households:
    """Households of one to six, about three for every ten consumers, then
    past memberships for a third of the consumers left over.

    Household views, heads and primary households, and the cases and
    products a household shares need households of every size; ended
    memberships show that leaving a household ends what it shared.
    Consumers fill households in order, largest first, so the demo head
    (the first consumer) heads a full one.
    """
    sizes = _household_sizes(demo, len(people))
    built = Households()
    cursor = 0
    for number, size in zip(await numbers("HOLD", len(sizes)), sizes, strict=True):
        if cursor + size > len(people):
            break
        _household(demo, built, number, people[cursor : cursor + size])
        cursor += size
    built.loose = people[cursor:]
    _past_members(demo, built)
    return built


def _household_sizes(demo: Demo, n: int) -> list[int]:
    """A size for each household, three for every ten consumers, with the
    largest (four or more) first, and the first of at least three."""
    target = max(2, round(n * 0.3))
    sizes: list[int] = []
    while len(sizes) < target:
        sizes.append(demo.rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_WEIGHTS)[0])
    # The largest households come first, so the demo head has a full one: at
    # least the head, the consumer of the case every demo login sees, and a
    # member who only reads it (`demo.viewers`).
    sizes.sort(key=lambda size: -size if size >= 4 else 0)
    sizes[0] = max(sizes[0], 3)
    return sizes


def _household(demo: Demo, built: Households, number: str, members: list[Consumer]) -> None:
    """One household at its head's address; the first member heads it, and
    in a household of four or more the second sometimes heads it too."""
    rng = demo.rng
    size = len(members)
    head = members[0]
    rng.choice(CITIES)  # unused, but drawn: without it a seed would give other data
    household = Household(
        id=demo.ids.take(Household),
        number=number,
        name=f"{head.last_name} household",
        address_line1=head.address_line1,
        city=head.city,
        region=head.region,
        postal_code=head.postal_code,
        country="US",
        notes="Prefers contact after 6pm." if rng.random() < 0.1 else "",
        created_at=head.created_at,
    )
    built.households.append(household)
    started = demo.today - dt.timedelta(days=rng.randrange(30, 2000))
    for position, member in enumerate(members):
        built.memberships.append(
            HouseholdMember(
                id=demo.ids.take(HouseholdMember),
                household_id=household.id,
                consumer_id=member.id,
                relationship=Relationship.HEAD
                if position == 0
                else rng.choice(MEMBER_RELATIONSHIPS),
                is_head=position == 0 or (size >= 4 and position == 1 and rng.random() < 0.3),
                is_primary=True,
                start_date=started,
            )
        )
        built.current[member.id] = household.id


def _past_members(demo: Demo, built: Households) -> None:
    """A third of the consumers without a household now once belonged to one."""
    rng = demo.rng
    for consumer in built.loose[: len(built.loose) // 3]:
        if not built.households:
            break
        household = rng.choice(built.households)
        start = demo.today - dt.timedelta(days=rng.randrange(400, 2000))
        built.memberships.append(
            HouseholdMember(
                id=demo.ids.take(HouseholdMember),
                household_id=household.id,
                consumer_id=consumer.id,
                relationship=rng.choice(MEMBER_RELATIONSHIPS),
                is_head=False,
                is_primary=False,
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randrange(30, 360)),
            )
        )


def build_representations(
    demo: Demo, people: list[Consumer], loose: list[Consumer], created_by: int
) -> list[Representation]:
    """The demo head represents the last consumer (one in no household,
    where there is one) for good; about one consumer in fifty represents
    another at random.

    Acting for someone else is a grant of its own, shown in the demo
    head's view; the random ones are mostly open-ended, some end later
    and some have already ended, so validity has something to decide.
    """
    rng = demo.rng
    representations: list[Representation] = []
    pairs: set[tuple[int, int]] = set()
    candidates = [(people[0], loose[-1] if loose else people[-1])]
    for _ in range(max(1, len(people) // 50)):
        candidates.append((rng.choice(people), rng.choice(people)))
    for representative, represented in candidates:
        if representative.id == represented.id or (representative.id, represented.id) in pairs:
            continue
        pairs.add((representative.id, represented.id))
        valid_from = demo.today - dt.timedelta(days=rng.randrange(10, 700))
        ending = rng.random()
        valid_until = (
            None
            if ending < 0.6 or representative is people[0]
            else demo.today + dt.timedelta(days=rng.randrange(1, 365))
            if ending < 0.85
            else demo.today - dt.timedelta(days=rng.randrange(1, 9))
        )
        representations.append(
            Representation(
                id=demo.ids.take(Representation),
                representative_id=representative.id,
                consumer_id=represented.id,
                valid_from=valid_from,
                valid_until=valid_until,
                created_by_id=created_by,
                created_at=demo.ago(700),
            )
        )
    return representations
