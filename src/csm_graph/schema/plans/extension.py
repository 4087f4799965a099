"""Running plans from Strawberry's execution hook.

`Plans.on_execute` runs after the persisted-query lookup, the allow-list,
parsing, validation, the limits and the cost check, and before the generic
executor: when the document is a registered one with a plan, the plan's
result becomes the operation's result and Strawberry skips its own
execution. Metrics, redactions, error masking and the other extensions see
the result as they see any other, so both paths share one pipeline.

A plan that declines (`Decline`, or any error) leaves no trace: the
context's loaders and redactions are reset and the generic path answers.
With `PLAN_CHECK_RATE` above 0 a sample of planned answers is checked after
the response: the plan and the generic path both answer the request again,
and a difference switches the plan off in this process (logged, counted in
`csm_plan_mismatches_total`). `PLANS_DISABLED` switches plans off by name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, ExecutionResult
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from csm_graph.observability import PLAN_MISMATCHES, PLAN_RUNS
from csm_graph.persisted import document_hash
from csm_graph.schema.persisted import REGISTERED
from csm_graph.schema.plans import cases, consumers  # noqa: F401  (register rules and rows)
from csm_graph.schema.plans.base import Decline, NotPlannable, path_key
from csm_graph.schema.plans.plan import Plan, compile_plan
from csm_graph.settings import Settings

if TYPE_CHECKING:
    from strawberry.schema import Schema

    from csm_graph.schema.context import Context

log = logging.getLogger("csm_graph.plans")

PLAN_HEADER = "X-Plan"
"""Response header naming the plan that answered (absent on the generic path)."""


class PlanBook:
    """The plans of this process, compiled on first use of each registered
    document and operation; documents that cannot be planned are remembered
    as such, with the reason."""

    def __init__(self) -> None:
        self._plans: dict[tuple[str, str | None], Plan | str] = {}
        self.switched_off: set[str] = set()
        self._generic_only: set[int] = set()

    def plan(
        self, schema: Schema, sha256: str, document: DocumentNode, operation_name: str | None
    ) -> Plan | None:
        key = (sha256, operation_name)
        found = self._plans.get(key)
        if found is None:
            try:
                found = compile_plan(schema, document, operation_name)
            except NotPlannable as why:
                found = str(why)
                log.info("registered document %s is not planned: %s", sha256[:12], why)
            self._plans[key] = found
        return found if isinstance(found, Plan) else None

    def switch_off(self, name: str, why: str) -> None:
        if name not in self.switched_off:
            self.switched_off.add(name)
            log.error("plan %s switched off in this process: %s", name, why)

    def forget(self) -> None:
        """Drop compiled plans and switches (tests, and a schema change)."""
        self._plans.clear()
        self.switched_off.clear()


PLANS = PlanBook()
_checks: set[asyncio.Task[bool]] = set()


class Plans(SchemaExtension):
    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request: Context = context.context
        plan = await self._plan()
        if plan is not None:
            data = await answer(plan, request, context.variables)
            if data is not None:
                context.result = ExecutionResult(data=data)
                if isinstance(request.response, Response):
                    request.response.headers[PLAN_HEADER] = plan.name
                if (
                    self.settings.plan_check_rate
                    and random.random() < self.settings.plan_check_rate
                ):
                    schedule_check(self.execution_context.schema, plan, request, context)
        yield

    async def _plan(self) -> Plan | None:
        context = self.execution_context
        settings = self.settings
        if (
            not settings.plans_enabled
            or context.graphql_document is None
            or context.query is None
            or id(context.context) in PLANS._generic_only
            or not await REGISTERED.contains(settings, context.query)
        ):
            return None
        plan = PLANS.plan(
            context.schema,
            document_hash(context.query),
            context.graphql_document,
            context.operation_name,
        )
        if plan is None:
            return None
        if plan.name in settings.plans_disabled or plan.name in PLANS.switched_off:
            PLAN_RUNS.labels(plan.name, "off").inc()
            return None
        return plan


async def answer(plan: Plan, context: Context, variables: dict[str, Any] | None) -> Any:
    """The plan's data, or None when it declined (the context is then as fresh)."""
    outcome = "declined"
    try:
        data = await plan.run(context, variables)
    except Decline as why:
        log.debug("plan %s declined: %s", plan.name, why)
    except Exception as error:
        if isinstance(getattr(error, "extensions", None), dict):
            # A refusal meant for the client (a bad cursor, a page too large):
            # the generic path reports it where the client expects it.
            log.debug("plan %s declined: %s", plan.name, error)
        else:
            # A bug of the plan (a field its partial rows left out, say): the
            # answer is still right, but it is counted apart to be found.
            outcome = "failed"
            log.warning("plan %s failed; the generic path answers", plan.name, exc_info=True)
    else:
        PLAN_RUNS.labels(plan.name, "planned").inc()
        return data
    PLAN_RUNS.labels(plan.name, outcome).inc()
    context.fresh()
    return None


def schedule_check(schema: Schema, plan: Plan, context: Context, execution: Any) -> None:
    task = asyncio.create_task(
        check(schema, plan, context, execution.query, execution.variables, execution.operation_name)
    )
    _checks.add(task)
    task.add_done_callback(_checks.discard)


async def check(
    schema: Schema,
    plan: Plan,
    context: Context,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> bool:
    """Answers the request again by the plan and by the generic path, back to
    back, and switches the plan off when they differ. True when they agree
    (or the plan declined)."""
    planned_context = dataclasses.replace(context, response=None)
    generic_context = dataclasses.replace(context, response=None)
    data = await answer(plan, planned_context, variables)
    if data is None:
        return True
    PLANS._generic_only.add(id(generic_context))
    try:
        generic = await schema.execute(
            query,
            variable_values=variables,
            context_value=generic_context,
            operation_name=operation_name,
        )
    finally:
        PLANS._generic_only.discard(id(generic_context))
    same = (
        not generic.errors
        and generic.data == data
        and sorted(planned_context.redacted, key=path_key)
        == sorted(generic_context.redacted, key=path_key)
    )
    if not same:
        PLAN_MISMATCHES.labels(plan.name).inc()
        PLANS.switch_off(plan.name, "its answer differed from the generic path's")
    return same
