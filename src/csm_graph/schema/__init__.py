"""The GraphQL schema: composed from each domain's Query and Mutation."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    TypeDefinitionNode,
    parse,
)
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.scalar import scalar

from csm_graph.errors import BadRequest
from csm_graph.schema.access.mutations import AccessMutation
from csm_graph.schema.access.queries import AccessQuery
from csm_graph.schema.accounts.api_tokens import ApiTokensMutation, ApiTokensQuery
from csm_graph.schema.accounts.mutations import AccountsMutation
from csm_graph.schema.accounts.queries import AccountsQuery
from csm_graph.schema.audit.queries import AuditQuery
from csm_graph.schema.cases.bulk import CasesBulkMutation
from csm_graph.schema.cases.mutations import CasesMutation
from csm_graph.schema.cases.queries import CasesQuery
from csm_graph.schema.cases.subscriptions import CasesSubscription
from csm_graph.schema.consumers.duplicates import DuplicatesMutation, DuplicatesQuery
from csm_graph.schema.consumers.merge import ConsumerMergeMutation
from csm_graph.schema.consumers.mutations import ConsumersMutation
from csm_graph.schema.consumers.queries import ConsumersQuery
from csm_graph.schema.customfields.mutations import CustomFieldsMutation
from csm_graph.schema.customfields.queries import CustomFieldsQuery
from csm_graph.schema.delegations.mutations import DelegationsMutation
from csm_graph.schema.delegations.queries import DelegationsQuery
from csm_graph.schema.exports.mutations import ExportsMutation
from csm_graph.schema.exports.queries import ExportsQuery
from csm_graph.schema.extensions import is_expected, schema_extensions
from csm_graph.schema.households.mutations import HouseholdsMutation
from csm_graph.schema.households.queries import HouseholdsQuery
from csm_graph.schema.mailin.mutations import MailinMutation
from csm_graph.schema.mailin.queries import MailinQuery
from csm_graph.schema.node import NodeQuery
from csm_graph.schema.privacy.mutations import PrivacyMutation
from csm_graph.schema.privacy.queries import PrivacyQuery
from csm_graph.schema.products.mutations import ProductsMutation
from csm_graph.schema.scalars import OVERRIDES
from csm_graph.schema.sla.mutations import SlaMutation
from csm_graph.schema.sla.queries import SlaQuery
from csm_graph.schema.surveys.mutations import SurveysMutation
from csm_graph.schema.surveys.queries import SurveysQuery
from csm_graph.schema.webhooks.mutations import WebhooksMutation
from csm_graph.schema.webhooks.queries import WebhooksQuery
from csm_graph.settings import Settings

log = logging.getLogger("csm_graph.graphql")
DEFAULT_OPERATIONS = frozenset(OperationType)


@strawberry.type(description="Everything that can be read.")
class Query(
    NodeQuery,
    AccountsQuery,
    ApiTokensQuery,
    ConsumersQuery,
    DuplicatesQuery,
    HouseholdsQuery,
    CasesQuery,
    AccessQuery,
    AuditQuery,
    SurveysQuery,
    SlaQuery,
    PrivacyQuery,
    ExportsQuery,
    MailinQuery,
    WebhooksQuery,
    CustomFieldsQuery,
    DelegationsQuery,
):
    pass


@strawberry.type(description="Everything that can be changed.")
class Mutation(
    AccountsMutation,
    ApiTokensMutation,
    ConsumersMutation,
    DuplicatesMutation,
    ConsumerMergeMutation,
    HouseholdsMutation,
    CasesMutation,
    CasesBulkMutation,
    ProductsMutation,
    AccessMutation,
    SurveysMutation,
    SlaMutation,
    PrivacyMutation,
    ExportsMutation,
    MailinMutation,
    WebhooksMutation,
    CustomFieldsMutation,
    DelegationsMutation,
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

    def _extend_introspection(self) -> None:
        """`__Type.isOneOf` as the spec has it: true or false for an input
        object, null for every other type. (Strawberry's own resolver reads
        `extensions` of any type, which list and non-null wrappers lack: an
        internal error per wrapped type in an introspection query.)"""

        def is_one_of(type_: Any, _info: Any) -> bool | None:
            if not isinstance(type_, GraphQLInputObjectType):
                return None
            definition = type_.extensions.get("strawberry-definition")
            return bool(getattr(definition, "is_one_of", False))

        introspection = self._schema.type_map["__Type"]
        assert isinstance(introspection, GraphQLObjectType)
        introspection.fields["isOneOf"] = GraphQLField(GraphQLBoolean, resolve=is_one_of)

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


def _file(value: Any) -> UploadFile:
    if isinstance(value, UploadFile):
        return value
    raise BadRequest(
        "Send the file as a part of a multipart request (the GraphQL multipart "
        "request spec), not as a value."
    )


UPLOAD = scalar(
    name="Upload",
    description="Represents a file upload.",
    serialize=lambda value: None,
    parse_value=_file,
)
"""`Upload`, taking only a file a multipart request sent: Strawberry's takes
any value, and a string in its place would reach the resolvers."""


def build_schema(settings: Settings) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=schema_extensions(settings),
        scalar_overrides={**OVERRIDES, Upload: UPLOAD},
    )


def sdl(settings: Settings) -> str:
    """The schema as `schema.graphql` holds it: Strawberry's printing, with the
    named definitions in the order client tooling checks (names compared
    without regard to case, as `localeCompare` does: `CasesBulkPayload`
    before `CaseState`), so a published schema passes their linters."""
    printed = build_schema(settings).as_str()
    spans = [(d, printed[d.loc.start : d.loc.end]) for d in parse(printed).definitions if d.loc]
    head = [text for d, text in spans if not isinstance(d, TypeDefinitionNode)]
    types = sorted(
        ((d.name.value, text) for d, text in spans if isinstance(d, TypeDefinitionNode)),
        key=lambda item: (item[0].casefold(), item[0]),
    )
    return "\n\n".join([*head, *(text for _, text in types)]) + "\n"
