"""`csm-graph persisted register` says which documents the API will answer from a plan."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from csm_graph.persisted import document_hash
from csm_graph.schema.plans.extension import PLAN_HEADER, PLANS
from csm_graph.schema.plans.shipped import shipped_documents
from csm_graph.settings import Settings
from tests.schema.test_persisted_queries import register

UNPLANNED = "query WhoAmI { viewer { id email } }"


@pytest.mark.usefixtures("product")
async def test_register_names_the_plan_of_each_document_or_why_it_has_none(
    settings: Settings, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    # given: a shipped document and one selecting a root field no plan covers
    (tmp_path / "AllCases.graphql").write_text(shipped_documents()["AllCases"] + "\n")
    (tmp_path / "WhoAmI.graphql").write_text(UNPLANNED + "\n")
    PLANS.forget()

    # when
    output = await register(settings, tmp_path)
    answered = await http.post("/graphql", json={"query": UNPLANNED})

    # then
    lines = {line.split()[0]: line for line in output.splitlines()}
    planned = lines[document_hash(shipped_documents()["AllCases"])]
    unplanned = lines[document_hash(UNPLANNED)]
    assert planned.endswith("planned: AllCases")
    assert "generic path: Query.viewer" in unplanned
    assert unplanned.endswith("no plan-side rule")
    assert PLAN_HEADER not in answered.headers
    assert answered.json() == {"data": {"viewer": None}}
