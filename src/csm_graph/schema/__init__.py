"""The GraphQL schema: composed from each domain's Query and Mutation."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from csm_graph.schema.access.mutations import AccessMutation
from csm_graph.schema.access.queries import AccessQuery
from csm_graph.schema.accounts.mutations import AccountsMutation
from csm_graph.schema.accounts.queries import AccountsQuery
from csm_graph.schema.cases.mutations import CasesMutation
from csm_graph.schema.cases.queries import CasesQuery
from csm_graph.schema.cases.subscriptions import CasesSubscription
from csm_graph.schema.consumers.mutations import ConsumersMutation
from csm_graph.schema.consumers.queries import ConsumersQuery
from csm_graph.schema.extensions import is_expected, schema_extensions
from csm_graph.schema.households.mutations import HouseholdsMutation
from csm_graph.schema.households.queries import HouseholdsQuery
from csm_graph.schema.node import NodeQuery
from csm_graph.schema.products.mutations import ProductsMutation
from csm_graph.schema.sla.mutations import SlaMutation
from csm_graph.schema.sla.queries import SlaQuery
from csm_graph.schema.surveys.mutations import SurveysMutation
from csm_graph.schema.surveys.queries import SurveysQuery
from csm_graph.settings import Settings

log = logging.getLogger("csm_graph.graphql")
DEFAULT_OPERATIONS = frozenset(OperationType)


@strawberry.type(description="Everything that can be read.")
class Query(
    NodeQuery,
    AccountsQuery,
    ConsumersQuery,
    HouseholdsQuery,
    CasesQuery,
    AccessQuery,
    SurveysQuery,
    SlaQuery,
):
    pass


@strawberry.type(description="Everything that can be changed.")
class Mutation(
    AccountsMutation,
    ConsumersMutation,
    HouseholdsMutation,
    CasesMutation,
    ProductsMutation,
    AccessMutation,
    SurveysMutation,
    SlaMutation,
):
    pass


@strawberry.type(description="Live updates, over WebSocket (graphql-transport-ws).")
class Subscription(CasesSubscription):
    pass


class Schema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One result for one request (HTTP): a subscription cannot stream here,
        it runs over a WebSocket (`stream`), so it is refused before it starts."""
        allowed = set(allowed_operation_types or DEFAULT_OPERATIONS) - {OperationType.SUBSCRIPTION}
        return await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed,
            operation_extensions=operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log unexpected errors with their traceback; expected ones briefly."""
        for error in errors:
            if is_expected(error):
                log.info("graphql error: %s", error.message, extra={"path": error.path})
            else:
                original = error.original_error
                log.error(
                    "unexpected error in %s",
                    error.path,
                    exc_info=(type(original), original, original.__traceback__)
                    if original
                    else None,
                )


def build_schema(settings: Settings) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=schema_extensions(settings),
    )


def sdl(settings: Settings) -> str:
    return build_schema(settings).as_str() + "\n"
