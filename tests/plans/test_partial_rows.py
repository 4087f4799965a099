"""A plan reads a page of cases field by field: only what the document selects
on them and what the access engine decides by (`db.reading_only`,
`rules.page_reads`). A field it left out cannot give a wrong value: reading it
raises, and the plan declines."""

from __future__ import annotations

import dataclasses

import pytest
from graphql import parse

from csm_graph.access.engine import CASE_FIELDS, available, grants, load_subject
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case as CaseModel
from csm_graph.db import fetch_queryset, reading_only
from csm_graph.schema import build_schema
from csm_graph.schema.cases.types import Case
from csm_graph.schema.node import from_partial
from csm_graph.schema.plans.plan import compile_plan
from csm_graph.schema.plans.shipped import shipped_documents
from csm_graph.settings import Settings
from tests.schema.access.test_traversal_property import fixed_world

SOME = frozenset({"id", "number", "state", "created_at", "consumer_id"})


async def _both(fields: frozenset[str]) -> tuple[list[CaseModel], list[CaseModel]]:
    page = CaseModel.all().order_by("-id").limit(100)
    full = await fetch_queryset(page)
    with reading_only({CaseModel: fields}):
        partial = await fetch_queryset(page)
    return full, partial


@pytest.mark.usefixtures("product")
async def test_a_page_read_field_by_field_holds_those_fields_and_no_other() -> None:
    # given
    await fixed_world()

    # when
    full, partial = await _both(SOME)

    # then: the same rows, equal on what was read, and nothing else there
    assert [c.id for c in partial] == [c.id for c in full]
    assert full
    for whole, part in zip(full, partial, strict=True):
        assert part._partial
        assert not whole._partial
        for name in SOME:
            assert getattr(part, name) == getattr(whole, name), name
        assert part.created_at.tzinfo is whole.created_at.tzinfo
        with pytest.raises(AttributeError):
            _ = part.description
        with pytest.raises(AttributeError):
            _ = part.household_id


@pytest.mark.usefixtures("product")
async def test_outside_the_block_pages_are_read_whole_again() -> None:
    # given
    await fixed_world()
    with reading_only({CaseModel: SOME}):
        pass

    # when
    rows = await fetch_queryset(CaseModel.all().limit(5))

    # then
    assert rows
    assert all(not r._partial and r.description is not None for r in rows)


def test_a_field_the_model_does_not_have_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="no_such_column"),
        reading_only({CaseModel: frozenset({"id", "no_such_column"})}),
    ):
        pass


@pytest.mark.usefixtures("product")
async def test_the_access_engine_decides_on_its_fields_alone() -> None:
    # given: every kind of grant (products with parties, households, teams, ...)
    await fixed_world()
    full, partial = await _both(CASE_FIELDS)
    users = await User.all().order_by("id")

    # when / then: every user decides the same on the partial rows as on whole ones
    assert len(users) > 5
    for user in users:
        viewer = await load_viewer(user.id)
        if viewer is None:
            continue
        subject = await load_subject(viewer)
        for whole, part in zip(full, partial, strict=True):
            assert grants(subject, part) == grants(subject, whole), (user.email, whole.number)
            assert available(subject, part) == available(subject, whole)


@pytest.mark.usefixtures("product")
async def test_a_case_from_a_partial_row_equals_the_one_from_the_whole_row_on_its_fields() -> None:
    # given: whole rows, taken as partial ones holding every field
    await fixed_world()
    full, _ = await _both(SOME)

    # when / then: `from_partial` copies what `from_model` copies, unchanged
    for whole in full:
        built = Case.from_model(whole)
        copied = from_partial(Case, whole, id=built.id, model=whole)
        values = [f.name for f in dataclasses.fields(Case) if f.init]
        assert len(values) > 10
        for name in values:
            assert getattr(copied, name) == getattr(built, name), name
        # resolver fields stay the type's methods, even where a column has their name
        assert copied.sla_breached() == whole.sla_breached


def test_the_shipped_pages_read_only_what_they_select_and_what_access_needs(
    settings: Settings,
) -> None:
    # given
    schema = build_schema(settings)
    documents = shipped_documents()

    # when
    reads = {
        name: compile_plan(schema, parse(documents[name]), None).fields[0].reads
        for name in ("AllCases", "MyCases", "AgentQueue", "ConsumerSearch")
    }

    # then
    assert reads["AllCases"] == {
        CaseModel: CASE_FIELDS | {"short_description", "priority", "created_at"}
    }
    assert reads["MyCases"] == {
        CaseModel: CASE_FIELDS | {"short_description", "priority", "created_at", "updated_at"}
    }
    assert reads["AgentQueue"] == {
        CaseModel: CASE_FIELDS
        | {"short_description", "priority", "updated_at", "version", "sla_breached"}
    }
    # consumers have no field-by-field reading: their pages are read whole
    assert reads["ConsumerSearch"] is None


def test_a_page_selecting_a_field_that_does_not_say_what_it_reads_is_read_whole(
    settings: Settings,
) -> None:
    # given: `comments` is answered by its resolver, which may read anything
    document = "{ cases { edges { node { id comments { totalCount } } } } }"

    # when
    plan = compile_plan(build_schema(settings), parse(document), None)

    # then
    assert plan.fields[0].reads is None
