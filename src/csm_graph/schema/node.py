"""Relay global ids and the `node(id:)` entry point.

A global id is base64 of `TypeName:pk`. Each domain registers how to load
its types by primary key, with the viewer's access applied: an object the
viewer may not see resolves to null, exactly like one that does not exist.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry

from csm_graph.core import global_ids
from csm_graph.core.global_ids import from_global_id
from csm_graph.errors import BadRequest, ErrorCode, UserErrors
from csm_graph.schema.context import Info
from csm_graph.schema.permissions import Visible

NodeResolver = Callable[[Info, int], Awaitable[Any]]
_resolvers: dict[str, NodeResolver] = {}
T = TypeVar("T")


def register_node(type_name: str, resolver: NodeResolver) -> None:
    _resolvers[type_name] = resolver


def is_node_type(type_name: str) -> bool:
    """Whether `node(id:)` loads objects of `type_name` (its domain registered it)."""
    return type_name in _resolvers


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(global_ids.to_global_id(type_name, pk))


_value_fields: dict[type[Any], frozenset[str]] = {}


def from_partial(cls: type[T], record: Any, **computed: Any) -> T:
    """An object of `cls` from a partial row (`db.reading_only`, a plan's page):
    each value field of the type (not its resolvers) the row holds under the
    same name, then `computed` over them. A field the row left out stays
    unset: reading it raises `AttributeError` (the plan then fails over to the
    generic path), never a wrong value."""
    names = _value_fields.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        names = _value_fields[cls] = frozenset(f.name for f in fields if f.init)
    held = record.__dict__
    values = {name: held[name] for name in names & held.keys()}
    values.update(computed)
    obj = cls.__new__(cls)
    obj.__dict__.update(values)
    return obj


def decode_id(field: str, value: str, *type_names: str) -> int:
    """The pk behind a global id given in an input, which must be of one of `type_names`.

    A malformed id or one of another type is a NOT_FOUND `UserError` on `field`.
    """
    try:
        type_name, pk = from_global_id(value)
    except ValueError:
        raise UserErrors.one(field, "Not a valid id.", ErrorCode.NOT_FOUND) from None
    if type_name not in type_names:
        raise UserErrors.one(
            field, f"Expected the id of a {' or '.join(type_names)}.", ErrorCode.NOT_FOUND
        )
    return pk


def decode_optional_id(field: str, value: str | None, *type_names: str) -> int | None:
    """`decode_id` for an optional input: None stays None."""
    return decode_id(field, value, *type_names) if value else None


def decode_query_id(value: str, *type_names: str) -> int | None:
    """Like `decode_id` for query arguments: None when it is not an id of those types."""
    try:
        type_name, pk = from_global_id(value)
    except ValueError:
        return None
    return pk if type_name in type_names else None


def decode_filter_id(value: str, *type_names: str) -> int:
    """For filter arguments: a malformed id is a bad request, not an empty result."""
    pk = decode_query_id(value, *type_names)
    if pk is None:
        raise BadRequest(f"Not the id of a {' or '.join(type_names)}: {value!r}.")
    return pk


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="The global id of the object.")


async def resolve_node(info: Info, id: strawberry.ID) -> Node | None:
    try:
        type_name, pk = from_global_id(id)
    except ValueError:
        return None
    resolver = _resolvers.get(type_name)
    if resolver is None:
        return None
    result: Node | None = await resolver(info, pk)
    return result


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Fetch any object by its global id; null when not visible.",
        extensions=[Visible(report=False)],
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The object's global id.")],
    ) -> Node | None:
        return await resolve_node(info, id)
