"""A root field only some logged-in users may use (administrators, managers,
internal users) is nullable: refusing it nulls that field alone, its error
beside the rest of the response. An agent asking `{ viewer { email } users {
totalCount } }` still gets `viewer`, not `"data": null`.

The fields are found by walking `Query` for a permission narrower than
`IsAuthenticated`, so a new restricted root field is covered without a change
here."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)
from strawberry.permission import PermissionExtension

from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import load_viewer
from csm_graph.schema import build_schema
from csm_graph.schema.permissions import IsAuthenticated
from csm_graph.settings import Settings
from tests.support import GraphQLClient

SCHEMA = build_schema(Settings())._schema
QUERY = SCHEMA.query_type
assert QUERY is not None


def _permissions(field: GraphQLField) -> list[IsAuthenticated]:
    definition = field.extensions["strawberry-definition"]
    return [
        permission
        for extension in definition.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
        if isinstance(permission, IsAuthenticated)
    ]


RESTRICTED = {
    name: permissions[0]
    for name, field in QUERY.fields.items()
    if (permissions := [p for p in _permissions(field) if type(p) is not IsAuthenticated])
}
"""Query fields whose permission admits only some logged-in users, by name."""

PLACEHOLDERS = {"ID": '"none"', "String": '""', "Int": "1", "Boolean": "false"}


def _document(name: str) -> str:
    """The field beside `viewer`, with placeholders for required arguments
    (the permission answers before any argument is read)."""
    field = QUERY.fields[name]
    arguments = ", ".join(
        f"{arg_name}: {PLACEHOLDERS[get_named_type(arg.type).name]}"
        for arg_name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    )
    named = get_named_type(field.type)
    composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
    selection = " { __typename }" if isinstance(named, composite) else ""
    return f"{{ viewer {{ email }} {name}{f'({arguments})' if arguments else ''}{selection} }}"


def test_the_walk_finds_the_restricted_root_fields() -> None:
    assert {"users", "consumers", "surveys", "slaTargets"} <= set(RESTRICTED)
    assert not {"viewer", "cases", "households", "node"} & set(RESTRICTED)


@pytest.mark.parametrize("name", sorted(RESTRICTED))
def test_a_restricted_root_field_is_nullable(name: str) -> None:
    assert not isinstance(QUERY.fields[name].type, GraphQLNonNull), (
        f"Query.{name} is restricted: make it nullable, so refusing it keeps the rest"
    )


async def _admitted(name: str, email: str) -> bool:
    user = await User.get(email=email)
    viewer = await load_viewer(user.id)
    assert viewer is not None
    return RESTRICTED[name].admits(viewer)


@pytest.mark.parametrize("name", sorted(RESTRICTED))
async def test_refusing_a_restricted_root_field_keeps_the_rest_of_the_response(
    name: str,
    admin_client: GraphQLClient,
    agent_client: GraphQLClient,
    external_client: GraphQLClient,
    anon_client: GraphQLClient,
) -> None:
    # given
    clients = {
        "admin@example.com": admin_client,
        "agent@example.com": agent_client,
        "ext@example.com": external_client,
        None: anon_client,
    }
    document = _document(name)
    refused = 0

    for email, client in clients.items():
        # when
        result = await client.execute(document)

        # then: `viewer` always answers; the field answers, or is null with its error
        viewer = {"email": email} if email else None
        if email is not None and await _admitted(name, email):
            assert "errors" not in result, (email, result)
            assert result["data"]["viewer"] == viewer
            assert result["data"][name] is not None
            continue
        refused += 1
        code = "FORBIDDEN" if email else "UNAUTHENTICATED"
        assert result["data"] == {"viewer": viewer, name: None}, (email, result)
        errors: list[dict[str, Any]] = result["errors"]
        assert [(e["path"], e["extensions"]["code"]) for e in errors] == [([name], code)]

    # every field refuses the consumer and the anonymous client; administrators may use it
    assert refused >= 2
    assert await _admitted(name, "admin@example.com")
