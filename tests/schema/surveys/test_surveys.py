"""`surveys`: managers and administrators list survey decisions."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.cases.models import CaseCategory
from tests.schema.cases.helpers import make_world
from tests.surveys.test_survey_rule import closed_case

SURVEYS = """
query($filter: SurveyFilter) {
  surveys(first: 10, filter: $filter) {
    totalCount
    edges { node { sent skipReason rating caseNumber consumer { number } } }
  }
}
"""


async def test_managers_list_surveys_with_skip_reasons(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    surveyed = await closed_case(world)
    password = await closed_case(world, category=CaseCategory.PASSWORD_REQUEST)

    # when
    everything = await world.client("manager").data(SURVEYS)
    skipped = await world.client("admin").data(SURVEYS, {"filter": {"sent": False}})

    # then
    nodes = [e["node"] for e in everything["surveys"]["edges"]]
    assert everything["surveys"]["totalCount"] == 2
    assert [(n["caseNumber"], n["sent"], n["skipReason"]) for n in nodes] == [
        (password.number, False, "PASSWORD_REQUEST"),
        (surveyed.number, True, None),
    ]
    assert [e["node"]["caseNumber"] for e in skipped["surveys"]["edges"]] == [password.number]


@pytest.mark.parametrize("who", ["agent", "member", "anonymous"])
async def test_others_may_not_list_surveys(http: httpx.AsyncClient, who: str) -> None:
    world = await make_world(http)

    result = await world.client(who).post(SURVEYS)

    code = result.json()["errors"][0]["extensions"]["code"]
    assert code == ("UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN")
