"""Related parties: consumers related to cases and sold products (a
guarantor, a co-borrower, a finance contact...), with the responsibility
that says what each may do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.demo.people import Staff
from csm_graph.demo.state import Demo
from csm_graph.products.models import SoldProduct

CASE_KINDS = {"co-borrower": 3, "guarantor": 3, "attorney": 2, "listed consumer": 2}
PRODUCT_KINDS = {"co-borrower": 3, "finance contact": 3, "listed consumer": 1}
"""The relationship types the migrations ship, and how often each is drawn."""


@dataclass(frozen=True)
class Vocabulary:
    """The relationship types and responsibilities in the database, by name."""

    kinds: dict[str, RelationshipType]
    responsibilities: dict[str, Responsibility]

    @classmethod
    async def load(cls) -> Vocabulary:
        return cls(
            kinds={k.name: k for k in await RelationshipType.all()},
            responsibilities={r.name: r for r in await Responsibility.all()},
        )

    def party(
        self,
        demo: Demo,
        kind: str,
        *,
        consumer: Consumer,
        added_by: int,
        case: Case | None = None,
        product: SoldProduct | None = None,
        responsibility: str | None = None,
        valid_from: dt.date | None = None,
        valid_until: dt.date | None = None,
        created_at: dt.datetime,
    ) -> RelatedParty:
        """A party row with the type's default responsibility unless one is named."""
        chosen = self.kinds[kind]
        return RelatedParty(
            id=demo.ids.take(RelatedParty),
            case_id=case.id if case else None,
            sold_product_id=product.id if product else None,
            consumer_id=consumer.id,
            relationship_type_id=chosen.id,
            responsibility_id=self.responsibilities[responsibility].id
            if responsibility
            else chosen.default_responsibility_id,
            valid_from=valid_from,
            valid_until=valid_until,
            added_by_id=added_by,
            created_at=created_at,
        )


def build_related_parties(
    demo: Demo,
    vocabulary: Vocabulary,
    staff: Staff,
    consumers: list[Consumer],
    cases: list[Case],
    products: list[SoldProduct],
    *,
    spare_consumers: Collection[int],
    spare_cases: Collection[int],
) -> list[RelatedParty]:
    """A party on about one case in twenty and one sold product in twelve:
    another consumer, related by one of the shipped types, mostly with the
    type's default responsibility, some only for a while or no longer.

    Parties are a grant of their own (`RELATED_PARTY`, `SOLD_PRODUCT_PARTY`),
    so lists and `explainAccess` need rows that grant, rows that grant
    nothing (listed consumer) and rows whose time is over. The spared
    consumers (the demo logins) are nobody's party and the spared cases
    (the one they share) have none, so each demo login sees what its own
    kind of grant gives, and nothing more.
    """
    rng = demo.rng
    others = [c for c in consumers if c.id not in spare_consumers]
    parties: list[RelatedParty] = []

    def relate(
        owner: int,
        since: dt.datetime,
        kinds: dict[str, int],
        case: Case | None = None,
        product: SoldProduct | None = None,
    ) -> None:
        consumer = rng.choice(others)
        kind = rng.choices(list(kinds), list(kinds.values()))[0]
        valid_from, valid_until = _period(demo)
        # A type without a default (listed consumer) stays one that grants nothing.
        narrower = vocabulary.kinds[kind].default_responsibility_id and rng.random() < 0.15
        added = min(demo.now, since + dt.timedelta(hours=rng.uniform(1, 24 * 30)))
        if consumer.id == owner:
            return
        parties.append(
            vocabulary.party(
                demo,
                kind,
                consumer=consumer,
                added_by=rng.choice(staff.agents)[0].id,
                case=case,
                product=product,
                responsibility="case viewer" if narrower else None,
                valid_from=valid_from,
                valid_until=valid_until,
                created_at=added.replace(microsecond=0),
            )
        )

    if not others:
        return parties
    for case in cases:
        if case.id not in spare_cases and rng.random() < 0.05:
            relate(case.consumer_id, case.created_at, CASE_KINDS, case=case)
    for product in products:
        if rng.random() < 0.08:
            relate(product.owner_id, product.created_at, PRODUCT_KINDS, product=product)
    return parties


def _period(demo: Demo) -> tuple[dt.date | None, dt.date | None]:
    """Mostly open-ended; some end later, some have ended."""
    rng = demo.rng
    ending = rng.random()
    if ending < 0.7:
        return None, None
    start = demo.today - dt.timedelta(days=rng.randrange(30, 400))
    if ending < 0.9:
        return start, demo.today + dt.timedelta(days=rng.randrange(1, 365))
    return start, demo.today - dt.timedelta(days=rng.randrange(1, 29))
