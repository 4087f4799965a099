"""Compiling a registered document into a plan, and running it.

`compile_plan` walks the operation's selection set once against the schema
and gives every selected field its plan-side rule (`rules.rule_for`): a
plain or guarded attribute, a synchronous method, or an explicit rule of
`rules.py` (relations batched per page, `viewerCan`, root fields). A field
without one makes the document unplannable, and it keeps the generic path.

`Plan.run` answers level by level: each field is resolved for the whole
list of objects at its level at once (one awaitable per field and level,
not one per field and object), leaves are serialized with the schema's own
scalars and enums, and guarded fields are redacted per row from the field
policy with their paths in `redactedFields`, as the generic path does. Anything the
plan does not expect (variables that do not coerce, a null where the schema
promises a value, an object of a type it did not compile for, an error)
raises `Decline`, and the request runs on the generic path instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_variable_values

from csm_graph.schema.plans.base import (
    Decline,
    LevelSerializer,
    NotPlannable,
    Path,
    PlannedField,
    Rule,
    Run,
    Serializer,
)
from csm_graph.schema.plans.rules import (
    TYPE_NAME,
    Related,
    ResolverCall,
    page_reads,
    relation_reads,
    rule_for,
)

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from csm_graph.schema.context import Context

_UNCHANGED: dict[str, type] = {"String": str, "ID": str, "Boolean": bool}
"""Built-in scalars whose serialization returns a value of this exact type as is."""


def _leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Serializer:
    serialize = type_.serialize
    kept = _UNCHANGED.get(type_.name) if isinstance(type_, GraphQLScalarType) else None
    if kept is None:
        return serialize
    return lambda value: value if type(value) is kept else serialize(value)


def serializer_for(type_: GraphQLOutputType) -> Serializer:
    """The schema's own serialization of a leaf type, wrappers included. A null
    where the type is non-null declines (the generic path reports the error)."""
    if isinstance(type_, GraphQLNonNull):
        of_type = type_.of_type
        inner = (
            _leaf(of_type)
            if isinstance(of_type, GraphQLScalarType | GraphQLEnumType)
            else serializer_for(of_type)
        )

        def non_null(value: Any) -> Any:
            if value is None:
                raise Decline("null for a non-null field")
            return inner(value)

        return non_null
    if isinstance(type_, GraphQLList):
        item = serializer_for(type_.of_type)
        return lambda value: None if value is None else [item(v) for v in value]
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        leaf = _leaf(type_)
        return lambda value: None if value is None else leaf(value)
    raise NotPlannable(f"{type_} is not a leaf type")


def level_serializer_for(type_: GraphQLOutputType) -> LevelSerializer:
    """`serializer_for` over all the values of a level at once. A non-null
    scalar or enum, the most common leaf, takes no call of its own per value,
    and none at all for a built-in scalar's value that it keeps as is."""
    if isinstance(type_, GraphQLNonNull) and isinstance(
        type_.of_type, GraphQLScalarType | GraphQLEnumType
    ):
        leaf = type_.of_type
        serialize = leaf.serialize
        kept = _UNCHANGED.get(leaf.name) if isinstance(leaf, GraphQLScalarType) else None

        def non_null(values: list[Any]) -> list[Any]:
            if None in values:
                raise Decline("null for a non-null field")
            if kept is None:
                return [serialize(v) for v in values]
            return [v if type(v) is kept else serialize(v) for v in values]

        return non_null
    one = serializer_for(type_)
    return lambda values: [one(v) for v in values]


@dataclass(frozen=True)
class Plan:
    """A compiled operation of a registered document."""

    name: str
    operation: OperationDefinitionNode
    fields: tuple[PlannedField, ...]
    schema: Schema

    async def run(self, context: Context, variables: dict[str, Any] | None) -> dict[str, Any]:
        """The response's `data`; raises `Decline` for anything unexpected."""
        coerced = get_variable_values(
            self.schema._schema, self.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise Decline("variables do not coerce")
        run = Run(context=context, variables=coerced, schema=self.schema)
        (data,) = await fill(run, self.fields, [None], [[]])
        return data


async def fill(
    run: Run, fields: Sequence[PlannedField], sources: list[Any], paths: list[Path]
) -> list[dict[str, Any]]:
    """The selected fields of every object of one level, in selection order."""
    outs: list[dict[str, Any]] = [{} for _ in sources]
    for planned in fields:
        values = await planned.rule.values(run, planned, sources, paths)
        key = planned.key
        serialize = planned.serialize
        if serialize is not None:
            for out, value in zip(outs, serialize(values), strict=True):
                out[key] = value
            continue
        await _place(run, planned, outs, values, paths)
    return outs


async def _place(
    run: Run,
    planned: PlannedField,
    outs: list[dict[str, Any]],
    values: list[Any],
    paths: list[Path],
) -> None:
    """Object values: filled one level down, all objects of a type at once."""
    assert planned.children is not None
    key = planned.key
    objects: list[Any] = []
    object_paths: list[Path] = []
    slots: list[tuple[Any, Any]] = []
    for out, value, path in zip(outs, values, paths, strict=True):
        if value is None:
            if not planned.nullable:
                raise Decline(f"null for non-null {planned.parent}.{planned.name}")
            out[key] = None
            continue
        if planned.is_list:
            items: list[Any] = [None] * len(value)
            out[key] = items
            for index, item in enumerate(value):
                objects.append(item)
                object_paths.append([*path, key, index])
                slots.append((items, index))
        else:
            out[key] = None
            objects.append(value)
            object_paths.append([*path, key])
            slots.append((out, key))
    if not objects:
        return
    if planned.object_type is not None:
        # One object type: the whole level at once, in order.
        filled = await fill(run, planned.children[planned.object_type], objects, object_paths)
        for (container, slot), value in zip(slots, filled, strict=True):
            container[slot] = value
        return
    by_type: dict[str, list[int]] = {}
    for index, item in enumerate(objects):
        by_type.setdefault(_type_name(item), []).append(index)
    for type_name, indexes in by_type.items():
        children = planned.children.get(type_name)
        if children is None:
            raise Decline(f"{planned.parent}.{planned.name} gave a {type_name}")
        filled = await fill(
            run, children, [objects[i] for i in indexes], [object_paths[i] for i in indexes]
        )
        for i, value in zip(indexes, filled, strict=True):
            container, slot = slots[i]
            container[slot] = value


def _type_name(item: Any) -> str:
    definition = getattr(type(item), "__strawberry_definition__", None)
    if definition is None:
        raise Decline(f"not a GraphQL object: {type(item).__name__}")
    return cast("str", definition.name)


def compile_plan(schema: Schema, document: DocumentNode, operation_name: str | None) -> Plan:
    """The plan of one query operation of `document`; raises `NotPlannable`."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        raise NotPlannable("the document must hold exactly one operation of that name")
    (operation,) = operations
    if operation.operation is not OperationType.QUERY:
        raise NotPlannable("only queries are planned")
    if operation.directives:
        raise NotPlannable("directives on the operation")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    graphql_schema = schema._schema
    query_type = graphql_schema.query_type
    assert query_type is not None
    compiler = _Compiler(schema, graphql_schema, fragments, rule_for)
    fields = compiler.selection(query_type, operation.selection_set)
    name = operation.name.value if operation.name else "anonymous"
    return Plan(name=name, operation=operation, fields=fields, schema=schema)


@dataclass
class _Compiler:
    schema: Schema
    graphql_schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    rule_for: Callable[[Schema, str, str, GraphQLField], Rule]

    def selection(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode
    ) -> tuple[PlannedField, ...]:
        planned: list[PlannedField] = []
        seen: set[str] = set()
        for node in self._collect(parent, selection_set, set()):
            key = node.alias.value if node.alias else node.name.value
            if key in seen:
                raise NotPlannable(f"{parent.name}: `{key}` is selected twice")
            seen.add(key)
            planned.append(self.field(parent, node, key))
        return tuple(planned)

    def _collect(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode, spread: set[str]
    ) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections:
            if selection.directives:
                raise NotPlannable("directives (@include, @skip, ...) are not planned")
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, parent):
                    found += self._collect(parent, selection.selection_set, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    raise NotPlannable(f"fragment {name} is undefined or cyclic")
                if self._applies(fragment.type_condition.name.value, parent):
                    found += self._collect(parent, fragment.selection_set, {*spread, name})
        return found

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        if condition == parent.name:
            return True
        abstract = self.graphql_schema.get_type(condition)
        if isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType):
            return self.graphql_schema.is_sub_type(abstract, parent)
        return False

    def field(self, parent: GraphQLObjectType, node: FieldNode, key: str) -> PlannedField:
        name = node.name.value
        if name == "__typename":
            return PlannedField(
                key=key,
                name=name,
                parent=parent.name,
                node=node,
                definition=GraphQLField(GraphQLNonNull(self.graphql_schema.get_type("String"))),  # type: ignore[arg-type]
                rule=TYPE_NAME,
                serialize=lambda values: values,
            )
        definition = parent.fields.get(name)
        if definition is None:
            raise NotPlannable(f"{parent.name}.{name} does not exist")
        rule = self.rule_for(self.schema, parent.name, name, definition)
        planned = PlannedField(
            key=key,
            name=name,
            parent=parent.name,
            node=node,
            definition=definition,
            rule=rule,
            has_arguments=bool(definition.args),
        )
        type_ = definition.type
        named = get_named_type(type_)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            if node.selection_set is not None:
                raise NotPlannable(f"{parent.name}.{name} is a leaf")
            planned.serialize = level_serializer_for(type_)
            return planned
        if node.selection_set is None:
            raise NotPlannable(f"{parent.name}.{name} needs a selection")
        planned.nullable = not isinstance(type_, GraphQLNonNull)
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            planned.is_list = True
            item = inner.of_type
            if isinstance(item, GraphQLList) or (
                isinstance(item, GraphQLNonNull) and isinstance(item.of_type, GraphQLList)
            ):
                raise NotPlannable(f"{parent.name}.{name}: lists of lists are not planned")
            if not isinstance(item, GraphQLNonNull):
                raise NotPlannable(f"{parent.name}.{name}: lists with nulls are not planned")
        if isinstance(named, GraphQLObjectType):
            planned.object_type = named.name
            planned.children = {named.name: self.selection(named, node.selection_set)}
        elif isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            planned.children = {
                possible.name: self.selection(possible, node.selection_set)
                for possible in self.graphql_schema.get_possible_types(named)
                if self._selects_on(possible, node.selection_set)
            }
        else:
            raise NotPlannable(f"{parent.name}.{name}: {named} is not planned")
        if isinstance(rule, ResolverCall):
            planned.reads = page_reads(planned)
        elif isinstance(rule, Related):
            planned.reads = relation_reads(planned, rule)
        return planned

    def _selects_on(self, possible: GraphQLObjectType, selection_set: SelectionSetNode) -> bool:
        """Whether the selection names `possible` itself (an abstract field's plan
        covers the types the document asks about; others decline at run time)."""
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value == possible.name:
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None and fragment.type_condition.name.value == possible.name:
                    return True
        return False
