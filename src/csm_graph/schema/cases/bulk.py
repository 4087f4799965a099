"""Bulk case work in GraphQL: assign, or change the state of, many cases at once.

The rules are the single mutations' (`cases/bulk.py`); each named case gets
a result in the order named, so a client can show which changed and why the
others did not.
"""

from __future__ import annotations

import strawberry

from csm_graph.cases import bulk
from csm_graph.cases.bulk import BulkResult
from csm_graph.cases.models import CaseState
from csm_graph.errors import FieldError
from csm_graph.schema.cases.types import Case
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_optional_id, decode_query_id
from csm_graph.schema.permissions import IsInternal, Visible

IDS_DESCRIPTION = (
    f"The cases, at most {bulk.MAX_IDS}. Each gets one result, in this order; a case named "
    "again is changed once and its later positions answer CONFLICT."
)


@strawberry.input(description="Assign many cases at once (internal users).")
class CasesBulkAssignInput:
    ids: list[strawberry.ID] = strawberry.field(description=IDS_DESCRIPTION)
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The agent to assign them to (default: the viewer)."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team to route them to (default: each keeps its own)."
    )


@strawberry.input(description="Change the state of many cases at once (internal users).")
class CasesBulkStateChangeInput:
    ids: list[strawberry.ID] = strawberry.field(description=IDS_DESCRIPTION)
    state: CaseState = strawberry.field(
        description="OPEN (from NEW, AWAITING_INFO or RESOLVED), RESOLVED (propose a solution, "
        "from OPEN or AWAITING_INFO; needs `resolutionCode` and `resolutionNotes`) or CANCELLED "
        "(from any state but CLOSED and CANCELLED)."
    )
    resolution_code: str | None = strawberry.field(
        default=None, description="For RESOLVED: a short code, the same for every case."
    )
    resolution_notes: str | None = strawberry.field(
        default=None, description="For RESOLVED: the solution, for the consumers."
    )


@strawberry.type(description="What a bulk change did to one of the cases it named.")
class CaseBulkResult:
    id: strawberry.ID = strawberry.field(description="The id as the input named it.")
    case: Case | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="The case as it now stands; null when it was not found or was named "
        "twice, and when the change took it out of the viewer's sight.",
    )
    changed: bool = strawberry.field(
        default=False,
        description="True when this change was made; false when it was refused (`error`) "
        "or the case already stood as asked (no `error`).",
    )
    error: UserError | None = strawberry.field(
        default=None,
        description="Why this case was not changed: NOT_FOUND (no such case, or one the "
        "viewer may not read, or a malformed id), FORBIDDEN (read but not worked by the "
        "viewer), INVALID_STATE (its state does not allow it), CONFLICT (named twice). Its "
        "`field` is the position in `ids` (`ids.3`).",
    )

    @classmethod
    def of(cls, named: strawberry.ID, result: BulkResult) -> CaseBulkResult:
        return cls(
            id=named,
            case=Case.from_model(result.case) if result.case is not None else None,
            changed=result.changed,
            error=_error(result.error),
        )


def _error(error: FieldError | None) -> UserError | None:
    return UserError.from_domain(error, {}) if error is not None else None


@strawberry.type(
    description="The cases a bulk change named, one result each, or why it was refused."
)
class CasesBulkPayload:
    results: list[CaseBulkResult] = strawberry.field(
        default_factory=list,
        description="One per id named, in the input's order; empty when `errors` refuse "
        "the whole change.",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Refusals of the whole change (too many ids, no such assignee or team, "
        "a state not offered in bulk, a missing resolution): then nothing changed.",
    )

    @classmethod
    def of(cls, ids: list[strawberry.ID], results: list[BulkResult]) -> CasesBulkPayload:
        return cls(results=[CaseBulkResult.of(i, r) for i, r in zip(ids, results, strict=True)])


def _case_ids(ids: list[strawberry.ID]) -> list[int | None]:
    """Each id's case pk; None for one that is malformed or of another type
    (answered NOT_FOUND at its position, like a missing case)."""
    return [decode_query_id(i, "Case") for i in ids]


@strawberry.type
class CasesBulkMutation:
    @mutation(
        "Assign many cases at once (to the viewer when no assignee is named); NEW ones "
        "open. Each case is decided on its own and answered in order.",
        IsInternal,
    )
    async def cases_bulk_assign(self, info: Info, input: CasesBulkAssignInput) -> CasesBulkPayload:
        results = await bulk.assign_cases(
            await info.context.actor(),
            _case_ids(input.ids),
            decode_optional_id("assigneeId", input.assignee_id, "User"),
            decode_optional_id("teamId", input.team_id, "Team"),
        )
        return CasesBulkPayload.of(input.ids, results)

    @mutation(
        "Change the state of many cases at once: open, propose a solution, or cancel. Each "
        "case is decided on its own and answered in order.",
        IsInternal,
    )
    async def cases_bulk_state_change(
        self, info: Info, input: CasesBulkStateChangeInput
    ) -> CasesBulkPayload:
        results = await bulk.change_states(
            await info.context.actor(),
            _case_ids(input.ids),
            input.state,
            input.resolution_code,
            input.resolution_notes,
        )
        return CasesBulkPayload.of(input.ids, results)
