"""GraphiQL's example operations (`static/examples/*.graphql`) and the page
that opens them as tabs, reading a demo link's headers from the fragment."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from csm_graph.schema import build_schema
from csm_graph.settings import Settings

STATIC = Path(__file__).resolve().parents[1] / "src" / "csm_graph" / "static"
EXAMPLES = sorted((STATIC / "examples").glob("*.graphql"))


def listed_on_the_page() -> list[str]:
    """The names in the page's `EXAMPLES = [...]`, in order."""
    found = re.search(r"const EXAMPLES = \[(.*?)\];", (STATIC / "graphiql.html").read_text())
    assert found
    return re.findall(r'"([\w-]+)"', found[1])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_example_is_one_valid_named_operation(path: Path, settings: Settings) -> None:
    # given
    schema = build_schema(settings)._schema

    # when
    document = parse(path.read_text())

    # then
    assert validate(schema, document) == []
    assert len(document.definitions) == 1
    assert getattr(document.definitions[0], "name", None) is not None, "a named tab"


def test_the_page_opens_every_example_and_nothing_else() -> None:
    # then: the first takes no variables (GraphiQL 3 starts its first tab with none)
    assert sorted(listed_on_the_page()) == [p.stem for p in EXAMPLES]
    first = (STATIC / "examples" / f"{listed_on_the_page()[0]}.graphql").read_text()
    assert "$" not in first


async def test_the_page_reads_a_link_from_the_fragment(http: httpx.AsyncClient) -> None:
    # when
    response = await http.get("/graphql", headers={"Accept": "text/html"})

    # then
    assert response.status_code == 200
    page = response.text
    assert "window.location.hash" in page
    assert 'params.has("headers")' in page
    assert "history.replaceState(" in page, "the token leaves the address bar"
    assert "sessionStorage" in page
    assert "defaultTabs" in page
    assert "defaultHeaders: headers" in page
    for name in listed_on_the_page():
        assert (await http.get(f"/static/examples/{name}.graphql")).status_code == 200
