"""What a document costs before it runs, against a budget per request.

Depth, token and alias limits bound a document's size, not its work: a
361-byte query cycling `relatedParties { case { relatedParties ... } } }`
passes them and still asks for millions of objects. So every document gets
a cost before execution: each field that returns objects costs 1 for every
object it is expected to return, times the objects its parents are expected
to return. A page is expected to be as large as its `first`/`last` (20 by
default); other lists by `LIST_SIZES` (what a real record holds, generously).
Scalar fields cost nothing: their work rides on their object's.

A document over `MAX_QUERY_COST` (`MAX_QUERY_COST_ANONYMOUS` for requests
without a viewer) is refused before execution with `QUERY_TOO_COSTLY`,
giving the cost and the budget. The walk over the document is cached with
it; only the page sizes the variables choose are read per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from csm_graph.settings import Settings

DEFAULT_PAGE = 20
DEFAULT_LIST = 10
LIST_SIZES: dict[str, int] = {
    "Case.relatedParties": 5,
    "Case.attachments": 10,
    "Consumer.households": 3,
    "Consumer.representatives": 3,
    "Consumer.represents": 3,
    "Consumer.soldProducts": 5,
    "Household.members": 10,
    "SoldProduct.relatedParties": 5,
    "Team.members": 25,
    "Department.members": 10,  # a deep walk below every department stays in budget
    "Query.departments": 10,
    "User.teams": 3,
    "User.caseSubjects": 3,  # empty but for the viewer: a page of users costs little
    "Query.relationshipTypes": 20,
    "Query.responsibilities": 20,
    "Query.slaTargets": 20,
    "Query.slaSchedules": 10,
    "SlaSchedule.teams": 5,
    "AccessExplanation.grants": 10,
    "ImportJob.errors": 100,
    "Query.webhookEndpoints": 50,
    "WebhookDelivery.attempts": 10,
    "Query.delegations": 10,
    "Consumer.customFields": 20,
    "Case.customFields": 20,
    "Query.customFieldDefinitions": 40,
}
"""Objects a list field is expected to return, where a record has few."""

Cost = Callable[[dict[str, Any]], int]
"""The cost of a selection, given the request's variables."""


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    """`first` or `last` of a page, from a literal or a variable (default 20)."""
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 0)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int) and not isinstance(given, bool):
                return max(given, 0)
    return DEFAULT_PAGE


def _is_list(field_type: GraphQLOutputType) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


class _Compiler:
    """Turns a document into a cost function (done once per document)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def selection(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        node: SelectionSetNode | None,
        seen: frozenset[str] = frozenset(),
        page: FieldNode | None = None,
    ) -> list[Cost]:
        """The costs of a selection set's fields, fragments spread in place.
        `page` is the connection field whose selection this is, if any: its
        `edges`, wherever a fragment puts them, repeat per item."""
        costs: list[Cost] = []
        for selection in node.selections if node else ():
            if isinstance(selection, FieldNode):
                costs.extend(self.field(parent, selection, seen, page))
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                        target = named
                costs.extend(self.selection(target, selection.selection_set, seen, page))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                named = self.schema.get_type(fragment.type_condition.name.value)
                if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                    costs.extend(self.selection(named, fragment.selection_set, seen | {name}, page))
        return costs

    def field(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        node: FieldNode,
        seen: frozenset[str],
        page: FieldNode | None,
    ) -> Iterator[Cost]:
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return  # a scalar or enum: its object pays
        qualified = f"{parent.name}.{node.name.value}"
        if named.name.endswith("Connection"):
            # A page: its `edges` repeat per item; `totalCount` and `pageInfo` once.
            inside = self.selection(named, node.selection_set, seen, page=node)
            yield lambda variables: 1 + sum(c(variables) for c in inside)
            return
        children = self.selection(named, node.selection_set, seen)
        if page is not None and node.name.value == "edges":

            def per_item(variables: dict[str, Any], page: FieldNode = page) -> int:
                return _page_size(page, variables) * sum(c(variables) for c in children)

            yield per_item
        elif _is_list(definition.type):
            size = LIST_SIZES.get(qualified, DEFAULT_LIST)
            yield lambda variables: size * (1 + sum(c(variables) for c in children))
        elif named.name.endswith("Edge"):
            yield lambda variables: sum(c(variables) for c in children)
        else:
            yield lambda variables: 1 + sum(c(variables) for c in children)

    def operation(self, operation: OperationDefinitionNode) -> Cost:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return lambda variables: 0
        costs = self.selection(root, operation.selection_set)
        return lambda variables: sum(c(variables) for c in costs)


class _Document:
    """A parsed document as a cache key: by its text when known (a string hashes
    once), else by the tree (which hashes every node on every lookup)."""

    __slots__ = ("key", "node")

    def __init__(self, node: DocumentNode, text: str | None) -> None:
        self.node = node
        self.key: str | DocumentNode = text if text is not None else node

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Document)
            and type(other.key) is type(self.key)
            and (other.key == self.key)
        )


@lru_cache(maxsize=256)
def _costs_of(schema: GraphQLSchema, document: _Document) -> dict[str | None, Cost]:
    """The cost function of each operation of a document, by name."""
    compiler = _Compiler(schema, document.node)
    return {
        (d.name.value if d.name else None): compiler.operation(d)
        for d in document.node.definitions
        if isinstance(d, OperationDefinitionNode)
    }


def cost_of(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    text: str | None = None,
) -> int:
    """The cost of an operation of `document` with these variables; `text`, the
    document's source when known, keys the compiled cost functions."""
    costs = _costs_of(schema, _Document(document, text))
    cost = costs.get(operation_name) or (next(iter(costs.values())) if len(costs) == 1 else None)
    return cost(variables or {}) if cost is not None else 0


class QueryCost(SchemaExtension):
    """Refuses a document whose cost is over the request's budget, before it runs."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:
            cost = cost_of(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                context.query,
            )
            anonymous = getattr(context.context, "viewer", None) is None
            budget = (
                self.settings.max_query_cost_anonymous
                if anonymous
                else self.settings.max_query_cost
            )
            if cost > budget:
                error = GraphQLError(
                    f"The query would cost {cost}, over the budget of {budget}: "
                    "ask for smaller pages or fewer nested lists.",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
                )
                context.pre_execution_errors = [error]
        yield
