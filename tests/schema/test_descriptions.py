"""Everything a client sees in the schema is described: GraphiQL's docs,
generated client code and `schema.graphql` are the clients' reference."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql import build_schema as build_sdl

from csm_graph.schema import build_schema
from csm_graph.schema.mutations import input_description
from csm_graph.settings import Settings

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value without a
    description, named as in SDL (`Type.field(argument)`); a mutation's
    `input` too (`mutation()` describes it from the mutation)."""
    missing: list[str] = []
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not graphql_type.description:
            missing.append(f"type {name}")
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not arg.description:
                        missing.append(f"argument {name}.{field_name}({arg_name})")
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                if not input_field.description:
                    missing.append(f"input field {name}.{field_name}")
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                if not value.description:
                    missing.append(f"enum value {name}.{value_name}")
        elif isinstance(graphql_type, GraphQLUnionType):
            pass  # described as a type above; members are types of their own
    return missing


def test_everything_in_the_schema_is_described(settings: Settings) -> None:
    # given
    schema = build_schema(settings)._schema

    # when
    missing = undescribed(schema)

    # then
    assert missing == [], "describe these:\n" + "\n".join(missing)


def test_the_check_names_what_is_undescribed() -> None:
    # given
    schema = build_sdl(
        """
        "Root." type Query { "Ok." a(x: Int): E  b(input: I): Int }
        type Mutation { "Ok." m(input: I): Int }
        "Ok." enum E { "Ok." ONE TWO }
        input I { "Ok." y: Int  z: Int }
        """
    )

    # then
    assert undescribed(schema) == [
        "enum value E.TWO",
        "type I",
        "input field I.z",
        "type Mutation",
        "argument Mutation.m(input)",
        "argument Query.a(x)",
        "field Query.b",
        "argument Query.b(input)",
    ]


def test_a_mutations_input_is_described_from_the_mutation(settings: Settings) -> None:
    # given
    mutations = build_schema(settings)._schema.mutation_type
    assert mutations is not None

    # when
    described = {name: field.args["input"].description for name, field in mutations.fields.items()}

    # then: its first clause, without the audience, and the input type to read on
    assert described["userCreate"] == "The input to create a user (see `UserCreateInput`)."
    assert described["caseAssign"] == "The input to assign a case (see `CaseAssignInput`)."
    assert described["login"] == ("The input to log in with email and password (see `LoginInput`).")


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        ("End a session: its tokens stop working.", "The input to end a session (see `I`)."),
        ("Comment on a case; it may reopen.", "The input to comment on a case (see `I`)."),
        ("Queue an import. Then wait.", "The input to queue an import (see `I`)."),
        ("SMS a code.", "The input to SMS a code (see `I`)."),
        ("", "The mutation's input (see `I`)."),
    ],
)
def test_the_input_description_takes_the_mutations_first_clause(
    mutation: str, expected: str
) -> None:
    assert input_description(mutation, "I") == expected
