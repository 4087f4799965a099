"""Every connection pages both ways: Relay's `loadPrevious`, urql's and GraphQL Code
Generator's pagination helpers expect `first`/`after` and `last`/`before` on every
field that returns a `*Connection`, wherever it sits in the graph."""

from __future__ import annotations

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type
from graphql import build_schema as build_sdl

from csm_graph.schema import build_schema
from csm_graph.settings import Settings

RELAY_ARGUMENTS = ("first", "after", "last", "before")


def one_way_connections(schema: GraphQLSchema) -> list[str]:
    """`Type.field` for each field returning a `*Connection` without all four
    Relay arguments, naming those it lacks."""
    found = []
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in graphql_type.fields.items():
            if not get_named_type(field.type).name.endswith("Connection"):
                continue
            missing = [a for a in RELAY_ARGUMENTS if a not in field.args]
            if missing:
                found.append(f"{name}.{field_name} lacks {', '.join(missing)}")
    return found


def test_every_connection_takes_first_after_last_and_before(settings: Settings) -> None:
    # given
    schema = build_schema(settings)._schema

    # when
    found = one_way_connections(schema)

    # then
    assert found == [], "give these all four Relay arguments:\n" + "\n".join(found)


def test_the_check_names_the_fields_that_page_one_way() -> None:
    # given
    schema = build_sdl(
        """
        type Query {
          both(first: Int, after: String, last: Int, before: String): ThingConnection
          forward(first: Int, after: String): ThingConnection!
          thing: Thing
        }
        type Thing { comments(first: Int): ThingConnection  name(first: Int): String }
        type ThingConnection { edges: [ThingEdge] }
        type ThingEdge { node: Thing }
        """
    )

    # then
    assert one_way_connections(schema) == [
        "Query.forward lacks last, before",
        "Thing.comments lacks after, last, before",
    ]
