from __future__ import annotations

from pathlib import Path

from csm_graph.schema import sdl
from csm_graph.settings import Settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_the_committed_schema_matches_the_code(settings: Settings) -> None:
    assert SCHEMA_FILE.read_text() == sdl(settings), (
        "schema.graphql is out of date: run `make schema` and commit it"
    )
