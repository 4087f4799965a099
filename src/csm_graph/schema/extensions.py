"""Schema extensions: redaction report, error masking, metrics, limits."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as strawberry_depth_rule
from strawberry.extensions.tracing import OpenTelemetryExtension

from csm_graph import tracing
from csm_graph.observability import (
    GRAPHQL_ERRORS,
    GRAPHQL_LATENCY,
    GRAPHQL_OPERATIONS,
    request_id_var,
)
from csm_graph.schema.cost import QueryCost
from csm_graph.schema.persisted import REGISTERED, PersistedQueries
from csm_graph.schema.plans.base import path_key
from csm_graph.schema.plans.extension import Plans
from csm_graph.settings import Settings

log = logging.getLogger("csm_graph.graphql")


def is_expected(error: GraphQLError) -> bool:
    """Errors clients are meant to see: syntax and validation errors, and ours with a code."""
    original = error.original_error
    if original is None:
        return True
    if isinstance(original, GraphQLError):
        return is_expected(original)
    return isinstance(getattr(original, "extensions", None), dict)


def bad_text(value: str) -> str | None:
    """Why a string may not reach the database, if it may not: a NUL character
    (PostgreSQL refuses it) or a lone surrogate (not Unicode text)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate)"
    return None


def _bad_strings(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if (why := bad_text(value)) is not None:
            yield f"{path} {why}."
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (why := bad_text(key)) is not None:
                yield f"A key of {path} {why}."
            else:
                yield from _bad_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, f"{path}.{index}")


class _StringLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if (why := bad_text(node.value)) is not None:
            self.bad.append(f"A string in the document {why}.")


_LITERALS_CHECKED: OrderedDict[int, tuple[DocumentNode, tuple[str, ...]]] = OrderedDict()


def _bad_literals(document: DocumentNode) -> tuple[str, ...]:
    """The problems of the document's string literals, found once per parsed
    document (the parser cache hands the same node back for the same text)."""
    key = id(document)
    found = _LITERALS_CHECKED.get(key)
    if found is not None and found[0] is document:
        _LITERALS_CHECKED.move_to_end(key)
        return found[1]
    literals = _StringLiterals()
    visit(document, literals)
    _LITERALS_CHECKED[key] = (document, tuple(literals.bad))
    while len(_LITERALS_CHECKED) > DOCUMENT_CACHE_SIZE:
        _LITERALS_CHECKED.popitem(last=False)
    return tuple(literals.bad)


class TextInput(SchemaExtension):
    """Refuses, before execution, text no column can hold: NUL characters and
    lone surrogates, in variables (named by their path) and in the document's
    string literals, with `BAD_USER_INPUT`. Runs after validation, whose
    errors it joins."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        problems = list(_bad_strings(context.variables or {}, "$"))
        if context.graphql_document is not None:
            problems += _bad_literals(context.graphql_document)
        if problems:
            errors = [
                GraphQLError(p.replace("$.", "$", 1), extensions={"code": "BAD_USER_INPUT"})
                for p in problems
            ]
            context.pre_execution_errors = [*(context.pre_execution_errors or []), *errors]
        yield


class Redactions(SchemaExtension):
    """Reports the paths of fields redacted by `Guard` as `extensions.redactedFields`,
    in a stable order (indexes before names, then by value)."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        redacted = getattr(context, "redacted", None)
        return {"redactedFields": sorted(redacted, key=path_key)} if redacted else {}


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected errors with a generic one that carries the request id,
    so support can find the logged original."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not is_expected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message="Unexpected error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id_var.get()},
        )


def _code(error: GraphQLError) -> str:
    if error.extensions and "code" in error.extensions:
        return str(error.extensions["code"])
    return "GRAPHQL_VALIDATION_FAILED" if error.original_error is None else "INTERNAL_SERVER_ERROR"


class OperationMetrics(SchemaExtension):
    """Counts operations and errors, and times them, by operation name: the
    name of a registered document (`csm-graph persisted register`), else
    `other`, or `anonymous` when it has none, so the label set stays bounded
    whatever names clients send."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = context.operation_name
        if not name:
            label = "anonymous"
        elif await REGISTERED.contains(self.settings, context.query):
            label = name[:64]
        else:
            label = "other"
        result = context.result
        errors = list(result.errors or []) if result is not None else []
        if not errors and context.pre_execution_errors:
            errors = list(context.pre_execution_errors)
        GRAPHQL_LATENCY.labels(label).observe(time.perf_counter() - started)
        GRAPHQL_OPERATIONS.labels(label, "error" if errors else "ok").inc()
        for error in errors:
            GRAPHQL_ERRORS.labels(label, _code(error)).inc()


DOCUMENT_CACHE_SIZE = 256
"""Parsed and validated documents kept per process (least recently used go)."""


def _undefined_fragments(document: DocumentNode) -> bool:
    """Whether `document` spreads a fragment it does not define."""
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spread: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            spread.add(node.name.value)

    visit(document, Spreads())
    return not spread <= defined


def max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """Strawberry's depth limit, except on a document that spreads an undefined
    fragment: that one it fails on with a `KeyError`, and graphql-core's own
    rule reports the fragment (`Unknown fragment 'X'.`)."""
    measured = strawberry_depth_rule(max_depth, None)

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if not _undefined_fragments(context.document):
                measured(context)

    return DepthLimit


def _no_args(args: dict[str, Any], info: Any) -> dict[str, Any]:
    return {}


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (Strawberry wants classes or factories, not instances).

    The depth and alias limits are validation rules made once here, not per
    request by `QueryDepthLimiter` / `MaxAliasesLimiter`: the validation
    cache is keyed by the rules, so rules made anew would never hit it.
    """
    limits: list[type[ASTValidationRule]] = [
        max_depth_rule(settings.max_query_depth),
        max_aliases_rule(settings.max_query_aliases),
    ]
    traced: list[Callable[[], SchemaExtension]] = []
    provider = tracing.provider()
    if provider is not None:
        # Spans per operation and per resolver, without argument values: they
        # may hold personal data, tokens or passwords.
        traced.append(
            partial(OpenTelemetryExtension, arg_filter=_no_args, tracer_provider=provider)
        )
    return [
        *traced,
        # First: it may supply the document the others read.
        partial(PersistedQueries, settings=settings),
        partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
        partial(AddValidationRules, limits),
        partial(ParserCache, maxsize=DOCUMENT_CACHE_SIZE),
        partial(ValidationCache, maxsize=DOCUMENT_CACHE_SIZE),
        TextInput,
        partial(QueryCost, settings=settings),
        # Last before execution: a registered document's plan may answer instead.
        partial(Plans, settings=settings),
        Redactions,
        partial(OperationMetrics, settings=settings),
        MaskUnexpectedErrors,
    ]
