"""Everything a client sees in the schema is described: GraphiQL's docs,
generated client code and `schema.graphql` are the clients' reference."""

from __future__ import annotations

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
from csm_graph.settings import Settings

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value without a
    description, named as in SDL (`Type.field(argument)`).

    A mutation's lone `input` argument is exempt: by the contract every
    mutation takes exactly one, and its input type carries the description."""
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
                    if graphql_type is schema.mutation_type and arg_name == "input":
                        continue
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
        "argument Query.a(x)",
        "field Query.b",
        "argument Query.b(input)",
    ]
