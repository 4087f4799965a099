"""Running a shipped document both ways over HTTP and comparing the answers.

A registered document is answered by its plan (the response says so in
`X-Plan`); the same text with a comment appended is not registered, so the
generic executor answers it. Both go through the same server, the same
pipeline and the same database state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from csm_graph.observability import PLAN_RUNS
from csm_graph.schema.plans.extension import PLAN_HEADER
from csm_graph.schema.plans.shipped import shipped_documents
from tests.support import GraphQLClient

GENERIC_SUFFIX = "\n# the generic path"

DOCUMENTS = shipped_documents()

PAGE_SIZES = (0, 1, 100)

BAD_VARIABLES: dict[str, list[dict[str, Any]]] = {
    "AllCases": [{"first": -1}, {"first": "ten"}, {"after": "not a cursor"}, {"first": 101}],
    "MyCases": [{"state": ["NOT_A_STATE"]}, {"after": "Yzo="}],
    "AgentQueue": [{"first": 1000}, {"state": "SOMETHING"}, {"after": ""}],
    "ConsumerSearch": [{}, {"term": None}, {"term": "x", "first": -5}],
    "CaseDetail": [{}, {"id": None}, {"id": ["Q2FzZTox"]}],
}
"""Variables that do not coerce, or that the resolvers refuse: the plan
declines, and the generic path reports the error."""

UNUSUAL_VARIABLES: dict[str, list[dict[str, Any]]] = {
    "AllCases": [{"first": None}, {"after": None}],
    "MyCases": [{"state": []}, {"state": ["CLOSED", "NEW"]}, {"first": None}],
    "AgentQueue": [{"state": "OPEN"}, {"first": 2, "after": "Yzox"}],
    "CaseDetail": [{"id": "nonsense"}, {"id": 42}, {"id": "VXNlcjox"}, {"id": "Q2FzZTo5OTk5"}],
    "ConsumerSearch": [{"term": ""}, {"term": "%_\\"}, {"term": "ﬀ" * 3}],
}
"""Variables that are valid but out of the ordinary: nulls, empty lists, a
cursor, search text with wildcards and odd Unicode."""


def plan_failures() -> float:
    """Plans that raised an unexpected error (the generic path then answered, so
    the answers agree): a bug the comparison alone would not show."""
    return sum(
        sample.value
        for metric in PLAN_RUNS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["outcome"] == "failed"
    )


def page_variables(name: str, size: int) -> dict[str, Any]:
    if name == "ConsumerSearch":
        return {"term": "c", "first": size}
    return {"first": size}


@dataclass
class Comparison:
    """What the runs of one world found."""

    differences: list[str] = field(default_factory=list)
    planned: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def assert_equal(self, where: str) -> None:
        assert not self.differences, f"in {where}:\n" + "\n\n".join(self.differences[:5])


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """The response without the request id of masked errors (one per request)."""
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return body


async def compare(
    client: GraphQLClient,
    viewer: str,
    name: str,
    variables: dict[str, Any],
    seen: Comparison,
) -> tuple[dict[str, Any], bool]:
    """Runs document `name` by its plan and generically; records any difference.
    Returns the planned answer and whether the plan answered it."""
    document = DOCUMENTS[name]
    planned = await client.post(document, variables)
    generic = await client.post(document + GENERIC_SUFFIX, variables)
    seen.requests += 2
    assert PLAN_HEADER not in generic.headers, "an unregistered document ran from a plan"
    by_plan = planned.headers.get(PLAN_HEADER) == name
    if by_plan:
        seen.planned[name] = seen.planned.get(name, 0) + 1
    left, right = _comparable(planned.json()), _comparable(generic.json())
    if (planned.status_code, left) != (generic.status_code, right):
        seen.differences.append(
            f"{name} {variables} as {viewer} ({'plan' if by_plan else 'declined'}):\n"
            f"  plan    {planned.status_code} {left}\n  generic {generic.status_code} {right}"
        )
    return left, by_plan
