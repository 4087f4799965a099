"""What every demo builder shares: one seeded random source, the ids to
hand out, one moment called now, and the one password hash."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from tortoise.models import Model

from csm_graph import clock, db
from csm_graph.access.models import RelatedParty
from csm_graph.accounts import passwords
from csm_graph.accounts.models import Team, User
from csm_graph.cases.models import Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.consumers.models import Consumer
from csm_graph.core.numbering import format_number, take
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.products.models import SoldProduct
from csm_graph.surveys.models import Survey

MODELS: list[type[Model]] = [
    User, Team, Consumer, Household, HouseholdMember, Representation, SoldProduct,
    Case, CaseComment, CaseAttachment, CaseActivity, RelatedParty, Survey,
]  # fmt: skip
"""Every table the demo fills, in the order it writes them."""


class Ids:
    """Primary keys handed out here, after the table's current maximum, so
    related rows can name each other before anything is written."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    async def start(self, model: type[Model]) -> None:
        table = model._meta.db_table
        rows = await db.fetch(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        self.next[table] = int(rows[0][0]) + 1

    def take(self, model: type[Model]) -> int:
        table = model._meta.db_table
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Demo:
    """The state the builders share.

    Every random draw comes from `rng`, in the order the builders run, so
    a seed gives the same rows only while that order stays as it is.
    """

    rng: random.Random
    ids: Ids
    now: dt.datetime
    password_hash: str

    @classmethod
    async def start(cls, seed: int, password: str) -> Demo:
        """Seed the random source, fix now and hash the one password."""
        rng = random.Random(seed)
        now = clock.now().replace(microsecond=0)
        password_hash = await passwords.hash_password(password)
        ids = Ids()
        for model in MODELS:
            await ids.start(model)
        return cls(rng=rng, ids=ids, now=now, password_hash=password_hash)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def ago(self, days_max: float, days_min: float = 0.0) -> dt.datetime:
        """A moment between `days_min` and `days_max` days before now, to the second."""
        delta = dt.timedelta(seconds=int(self.rng.uniform(days_min, days_max) * 86400))
        return self.now - delta


async def numbers(prefix: str, count: int) -> list[str]:
    """`count` human numbers, from `core.numbering.take` as everywhere else."""
    if count == 0:
        return []
    return [format_number(prefix, n) for n in await take(prefix, count)]
