"""A realistic, reproducible demo data set (`csm-graph demo --consumers N`).

Seeded random, so the same seed on a fresh database gives the same rows:
consumers with every field, households of one to six with heads and past
members, authorized representatives, sold products, cases in every state
with comments, work notes, attachments and activity, teams and agents,
related parties on cases and sold products, and survey decisions for the
closed cases. Rows go in with `bulk_create` in batches; human numbers come
from `core.numbering.take`, as everywhere else. The benchmarks load it too.

Seven demo logins share one known password, one for each kind of viewer
(`demo.viewers`): an administrator, a manager, an agent, a head of
household, a member, an authorized representative and a guarantor. They
all see one shared case, each through a grant of its own; `demo.table`
signs them in and prints them with a GraphiQL link each.

Each section has its builder, run in a fixed order by `generate`: they
share one random source (`state.Demo`), so reordering builders, or draws
within one, changes the data set a seed gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import User
from csm_graph.demo.cases import build_cases
from csm_graph.demo.households import build_households, build_representations
from csm_graph.demo.parties import Vocabulary, build_related_parties
from csm_graph.demo.people import (
    ADMIN_EMAIL,
    AGENT_EMAIL,
    HEAD_EMAIL,
    build_consumers,
    build_staff,
    give_demo_head_login,
)
from csm_graph.demo.products import build_products
from csm_graph.demo.state import Demo
from csm_graph.demo.surveys import build_surveys
from csm_graph.demo.viewers import KINDS, build_viewers
from csm_graph.demo.writing import DataSet, Progress, write

__all__ = [
    "ADMIN_EMAIL",
    "AGENT_EMAIL",
    "DEMO_PASSWORD",
    "HEAD_EMAIL",
    "KINDS",
    "DemoLogin",
    "DemoResult",
    "Progress",
    "generate",
    "loaded",
]

DEMO_PASSWORD = "demo passphrase 4 csm-graph"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    """The kind of viewer: one of `KINDS`."""
    email: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    logins: list[DemoLogin]
    """One per kind of viewer, in the order of `KINDS`."""
    shared_case_id: int
    """The case every demo login sees (through a different grant)."""
    shared_case_number: str


def _quiet(message: str) -> None:
    pass


async def generate(
    consumers: int = 10_000,
    *,
    seed: int = 1,
    password: str = DEMO_PASSWORD,
    progress: Progress = _quiet,
) -> DemoResult:
    """Write the demo data set for `consumers` consumers (at least 20)."""
    n = max(consumers, 20)
    demo = await Demo.start(seed, password)
    staff = build_staff(demo, n)
    people = await build_consumers(demo, n)
    households = await build_households(demo, people.consumers)
    give_demo_head_login(demo, people)
    representations = build_representations(
        demo, people.consumers, households.loose, staff.admin.id
    )
    products = build_products(demo, people.consumers, households.current)
    cases = await build_cases(demo, staff, people, households.current, products.of)
    vocabulary = await Vocabulary.load()
    parties: list[RelatedParty] = []
    viewers = await build_viewers(
        demo, vocabulary, staff, people, households, representations, cases, parties
    )
    parties += build_related_parties(
        demo,
        vocabulary,
        staff,
        people.consumers,
        cases.cases,
        products.products,
        spare_consumers={people.demo_head.id, *viewers.consumer_ids},
        spare_cases={viewers.case.id},
    )
    surveys = build_surveys(demo, people.consumers, cases.cases)
    data = DataSet(staff, people, households, representations, products, cases, parties, surveys)
    await write(data, progress)
    return DemoResult(
        counts=data.counts(),
        logins=[DemoLogin(kind, email, password) for kind, email in KINDS.items()],
        shared_case_id=viewers.case.id,
        shared_case_number=viewers.case.number,
    )


async def loaded() -> bool:
    """Whether the database already holds a demo world (its logins would clash)."""
    return await User.filter(email__in=list(KINDS.values())).exists()
