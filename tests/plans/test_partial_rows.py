"""A plan reads pages and relations field by field: only what the document selects
on them and what the access engine decides by (`db.reading_only`,
`rules.page_reads`). A field it left out cannot give a wrong value: reading it
raises, and the plan declines."""

from __future__ import annotations

import dataclasses

import pytest
from graphql import parse
from strawberry.types.base import StrawberryObjectDefinition

from csm_graph.access.engine import CASE_FIELDS, available, grants, load_subject
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case as CaseModel
from csm_graph.consumers.models import Consumer as ConsumerModel
from csm_graph.core.names import NAME_PARTS
from csm_graph.db import fetch_by_ids, fetch_queryset, reading_only
from csm_graph.schema import build_schema
from csm_graph.schema.cases.types import Case
from csm_graph.schema.consumers.types import Consumer
from csm_graph.schema.node import from_partial
from csm_graph.schema.plans.base import PlannedField
from csm_graph.schema.plans.plan import Plan, compile_plan
from csm_graph.schema.plans.rules import ROWS
from csm_graph.schema.plans.shipped import shipped_documents
from csm_graph.settings import Settings
from tests.schema.access.test_traversal_property import fixed_world

SOME = frozenset({"id", "number", "state", "created_at", "consumer_id"})
CONSUMER_ALWAYS = {"id", "merged_into_id", "user_id"}


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


@pytest.mark.parametrize("type_name", sorted(ROWS))
@pytest.mark.usefixtures("product")
async def test_an_object_from_a_partial_row_of_every_field_equals_the_one_from_the_whole_row(
    settings: Settings, type_name: str
) -> None:
    # given: every row of the type's model, whole and as partial rows holding
    # every field (what `from_partial` copies must be what `from_model` makes)
    await fixed_world()
    model = ROWS[type_name].model
    definition = build_schema(settings).get_type_by_name(type_name)
    assert isinstance(definition, StrawberryObjectDefinition)
    cls = definition.origin
    whole = await model.all().order_by("id")
    every = frozenset(model._meta.fields_db_projection)
    partial = await fetch_by_ids(model, [r.pk for r in whole], every)

    # when / then: the same value in every value field
    assert len(whole) > 3
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    # and no value field has a class-level default, which an object missing
    # the field would read silently instead of raising
    assert not [name for name in names if hasattr(cls, name)]
    for full_row, part_row in zip(whole, partial, strict=True):
        assert part_row._partial
        built, copied = cls.from_model(full_row), cls.from_model(part_row)
        for name in names:
            assert getattr(copied, name) == getattr(built, name), (type_name, name)


@pytest.mark.usefixtures("product")
async def test_resolvers_stay_methods_where_a_column_has_their_name() -> None:
    # given: `Case.slaBreached` is a resolver method, and `sla_breached` a column
    await fixed_world()
    (whole,) = await CaseModel.all().order_by("id").limit(1)

    # when
    copied = from_partial(Case, whole, id="x", model=whole)

    # then
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
    assert reads["ConsumerSearch"] == {
        ConsumerModel: CONSUMER_ALWAYS | set(NAME_PARTS) | {"number", "email", "phone"}
    }


def _field(plan: Plan, *path: str) -> PlannedField:
    """The planned field at `path` (field names), through each level's one type."""
    fields = plan.fields
    found = None
    for name in path:
        found = next(f for f in fields if f.name == name)
        fields = next(iter(found.children.values())) if found.children else ()
    assert found is not None
    return found


def test_a_relation_reads_only_what_the_document_selects_on_it(settings: Settings) -> None:
    # given
    schema = build_schema(settings)
    documents = shipped_documents()
    on_case = ("cases", "edges", "node")

    # when
    all_cases = compile_plan(schema, parse(documents["AllCases"]), None)
    detail = compile_plan(schema, parse(documents["CaseDetail"]), None)

    # then: `consumer { id fullName }` reads the name and what access needs
    assert _field(all_cases, *on_case, "consumer").reads == {
        ConsumerModel: CONSUMER_ALWAYS | set(NAME_PARTS)
    }
    # relations of types without field-by-field rows go through their loaders
    assert _field(all_cases, *on_case, "household").reads is None
    assert _field(all_cases, *on_case, "lastPublicComment").reads is None
    assert _field(detail, "node", "consumer").reads == {
        ConsumerModel: CONSUMER_ALWAYS | set(NAME_PARTS)
    }


@pytest.mark.usefixtures("product")
async def test_a_consumer_from_a_row_of_some_fields_has_what_they_make_and_no_more() -> None:
    # given
    await fixed_world()
    consumers = await ConsumerModel.all().order_by("id")
    names = frozenset({"id", "merged_into_id", "user_id", *NAME_PARTS})
    partial = await fetch_by_ids(ConsumerModel, [c.id for c in consumers], names)

    # when / then: the full name where the row holds its parts; no address or
    # email where it holds neither
    assert len(partial) == len(consumers) > 3
    for whole, part in zip(consumers, partial, strict=True):
        built = Consumer.from_model(whole, acts_for=True)
        read = Consumer.from_model(part, acts_for=False)
        assert read.full_name == built.full_name
        assert read.db_id == whole.id
        assert read.acts_for is False
        with pytest.raises(AttributeError):
            _ = read.email
        with pytest.raises(AttributeError):
            _ = read.address


def test_a_page_selecting_a_field_that_does_not_say_what_it_reads_is_read_whole(
    settings: Settings,
) -> None:
    # given: `comments` is answered by its resolver, which may read anything
    document = "{ cases { edges { node { id comments { totalCount } } } } }"

    # when
    plan = compile_plan(build_schema(settings), parse(document), None)

    # then
    assert plan.fields[0].reads is None
