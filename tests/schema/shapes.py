"""The shapes `DateTime` and `Date` values take on the wire, and a walk over a
response that finds every such value by the schema's types, not by field names.

`walk` follows the operation's selections alongside the schema: each field's
definition on its parent type (through fragments, aliases and lists) says
whether its value is a `DateTime` or a `Date`. An abstract field (`node`)
needs `__typename` in its selection to say which object type answered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    parse,
)

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
"""Every `DateTime` the API writes: UTC, milliseconds, `Z`."""
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
"""Every `Date`: an RFC 3339 full-date."""
PATTERNS = {"DateTime": DATETIME, "Date": DATE}


def on_the_wire(value: dt.datetime) -> str:
    """How the API writes `value` (an aware datetime) as a `DateTime`."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Path = tuple[str | int, ...]


@dataclass
class Found:
    checked: dict[str, list[Any]] = field(default_factory=dict)
    """`Type.field` -> the non-null values of that field seen in the response."""
    wrong: list[tuple[Path, str, Any]] = field(default_factory=list)
    """(where in the response, the scalar's name, the value) of each value of the wrong shape."""


def fields_of(schema: GraphQLSchema, *scalars: str) -> set[str]:
    """`Type.field` of every object type's field whose named type is one of `scalars`."""
    found = set()
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            for name, definition in named.fields.items():
                of = definition.type
                while isinstance(of, GraphQLNonNull | GraphQLList):
                    of = of.of_type
                if of.name in scalars:
                    found.add(f"{named.name}.{name}")
    return found


def walk(schema: GraphQLSchema, query: str | DocumentNode, data: dict[str, Any]) -> Found:
    """Every `DateTime` and `Date` value in `data`, the response to `query`'s operation."""
    document = parse(query) if isinstance(query, str) else query
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    root = schema.get_root_type(operation.operation)
    assert root is not None
    found = Found()
    _Walk(schema, fragments, found).object(root, operation.selection_set, data, ())
    return found


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    found: Found

    def fields(
        self, parent: GraphQLObjectType, selections: SelectionSetNode
    ) -> Iterator[FieldNode]:
        """The fields selected on an object of type `parent`, fragments spread."""
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            else:
                assert isinstance(selection, FragmentSpreadNode)
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition, fragment.selection_set
            on = self.schema.get_type(condition.name.value) if condition else parent
            if on is parent or (is_abstract_type(on) and self.schema.is_sub_type(on, parent)):
                yield from self.fields(parent, inner)

    def object(
        self,
        parent: GraphQLObjectType,
        selections: SelectionSetNode,
        value: dict[str, Any],
        path: Path,
    ) -> None:
        for node in self.fields(parent, selections):
            name = node.name.value
            if name.startswith("__"):
                continue
            key = node.alias.value if node.alias else name
            self.value(
                parent.fields[name].type,
                node.selection_set,
                value[key],
                (*path, key),
                f"{parent.name}.{name}",
            )

    def value(
        self,
        of: GraphQLOutputType,
        selections: SelectionSetNode | None,
        value: Any,
        path: Path,
        where: str,
    ) -> None:
        if value is None:
            return
        if isinstance(of, GraphQLNonNull):
            of = of.of_type
        if isinstance(of, GraphQLList):
            for index, item in enumerate(value):
                self.value(of.of_type, selections, item, (*path, index), where)
            return
        if isinstance(of, GraphQLScalarType):
            pattern = PATTERNS.get(of.name)
            if pattern is not None:
                self.found.checked.setdefault(where, []).append(value)
                if not (isinstance(value, str) and pattern.fullmatch(value)):
                    self.found.wrong.append((path, of.name, value))
            return
        runtime: GraphQLNamedType | None = of
        if is_abstract_type(of):
            assert "__typename" in value, f"{path}: select __typename on an abstract field"
            runtime = self.schema.get_type(value["__typename"])
        if isinstance(runtime, GraphQLObjectType) and selections is not None:
            self.object(runtime, selections, value, path)
