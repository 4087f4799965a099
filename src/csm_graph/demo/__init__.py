"""A realistic, reproducible demo data set (`csm-graph demo --consumers N`).

Seeded random, so the same seed on a fresh database gives the same rows:
consumers with every field, households of one to six with heads and past
members, authorized representatives, sold products, cases in every state
with comments, work notes, attachments and activity, teams and agents.
Rows go in with `bulk_create` in batches; human numbers come from
`core.numbering.take`, as everywhere else. The benchmarks load it too.

Three demo logins share one known password: a consumer who heads a
household (and represents another consumer), an agent, an administrator.

Each section has its builder, run in a fixed order by `generate`: they
share one random source (`state.Demo`), so reordering builders, or draws
within one, changes the data set a seed gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from csm_graph.demo.cases import build_cases
from csm_graph.demo.households import build_households, build_representations
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
from csm_graph.demo.writing import DataSet, Progress, write

__all__ = [
    "ADMIN_EMAIL",
    "AGENT_EMAIL",
    "DEMO_PASSWORD",
    "HEAD_EMAIL",
    "DemoLogin",
    "DemoResult",
    "Progress",
    "generate",
]

DEMO_PASSWORD = "demo passphrase 4 csm-graph"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    logins: list[DemoLogin]


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
    # RELATED PARTIES: when `access/` ships related parties (cases and sold
    # products linked to consumers or users with a relationship type and a
    # responsibility), generate them here, after cases and sold products.
    data = DataSet(staff, people, households, representations, products, cases)
    await write(data, progress)
    return DemoResult(
        counts=data.counts(),
        logins=[
            DemoLogin("consumer (head of household)", HEAD_EMAIL, password),
            DemoLogin("agent", AGENT_EMAIL, password),
            DemoLogin("admin", ADMIN_EMAIL, password),
        ],
    )
