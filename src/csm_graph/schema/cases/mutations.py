"""Mutations of the cases domain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

import strawberry
from starlette.datastructures import UploadFile

from csm_graph.cases import services
from csm_graph.cases.models import Case as CaseModel
from csm_graph.errors import UserErrors
from csm_graph.schema.cases.inputs import (
    CaseAssignInput,
    CaseAttachmentAddInput,
    CaseCancelInput,
    CaseCloseInput,
    CaseCommentAddInput,
    CaseCreateInput,
    CaseRequestInfoInput,
    CaseSolutionAcceptInput,
    CaseSolutionProposeInput,
    CaseSolutionRejectInput,
    CaseUpdateInput,
)
from csm_graph.schema.cases.types import Case, CaseAttachment, CaseComment
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError, user_errors
from csm_graph.schema.inputs import given
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type(description="A case, or why the change was refused.")
class CasePayload:
    case: Case | None = strawberry.field(
        extensions=[Visible()], default=None, description="The case as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="A comment, or why it was refused.")
class CaseCommentPayload:
    comment: CaseComment | None = strawberry.field(
        extensions=[Visible()], default=None, description="The comment."
    )
    case: Case | None = strawberry.field(
        extensions=[Visible()], default=None, description="The case, as it now stands."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


async def _case_payload(change: Callable[[], Awaitable[CaseModel]]) -> CasePayload:
    try:
        case = await change()
    except UserErrors as exc:
        return CasePayload(errors=user_errors(exc))
    return CasePayload(case=Case.from_model(case))


@strawberry.type(description="An attachment, or why it was refused.")
class CaseAttachmentPayload:
    attachment: CaseAttachment | None = strawberry.field(
        extensions=[Visible()], default=None, description="The file."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


def _optional_id(field: str, value: strawberry.ID | None, type_name: str) -> int | None:
    return decode_id(field, value, type_name) if value else None


@strawberry.type
class CasesMutation:
    @strawberry.mutation(
        description="Open a case: internal users for any consumer; a consumer for themselves, "
        "a head of household for a member, a representative for the represented.",
        permission_classes=[IsAuthenticated],
    )
    async def case_create(self, info: Info, input: CaseCreateInput) -> CasePayload:
        async def change() -> CaseModel:
            data = given(input)
            data["consumer_id"] = _optional_id("consumerId", input.consumer_id, "Consumer")
            data["household_id"] = _optional_id("householdId", input.household_id, "Household")
            data["assignment_team_id"] = _optional_id(
                "assignmentTeamId", input.assignment_team_id, "Team"
            )
            data["sold_product_id"] = _optional_id(
                "soldProductId", input.sold_product_id, "SoldProduct"
            )
            return await services.create_case(info.context.viewer, data)

        return await _case_payload(change)

    @strawberry.mutation(
        description="Change a case's fields, at the version last read (internal users).",
        permission_classes=[IsAuthenticated],
    )
    async def case_update(self, info: Info, input: CaseUpdateInput) -> CasePayload:
        async def change() -> CaseModel:
            data = given(input)
            case_id = decode_id("id", data.pop("id"), "Case")
            version = data.pop("version")
            return await services.update_case(info.context.viewer, case_id, version, data)

        return await _case_payload(change)

    @strawberry.mutation(
        description="Assign a case (to the viewer when no assignee is named); NEW becomes OPEN.",
        permission_classes=[IsAuthenticated],
    )
    async def case_assign(self, info: Info, input: CaseAssignInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.assign(
                info.context.viewer,
                decode_id("id", input.id, "Case"),
                _optional_id("assigneeId", input.assignee_id, "User"),
                _optional_id("teamId", input.team_id, "Team"),
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Ask the consumer for information: OPEN becomes AWAITING_INFO.",
        permission_classes=[IsAuthenticated],
    )
    async def case_request_info(self, info: Info, input: CaseRequestInfoInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.request_info(
                info.context.viewer, decode_id("id", input.id, "Case"), input.body
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Comment on a case; a consumer's comment on a case awaiting information "
        "reopens it.",
        permission_classes=[IsAuthenticated],
    )
    async def case_comment_add(self, info: Info, input: CaseCommentAddInput) -> CaseCommentPayload:
        try:
            case_id = decode_id("caseId", input.case_id, "Case")
            comment = await services.add_comment(
                info.context.viewer, case_id, input.body, input.work_note
            )
        except UserErrors as exc:
            return CaseCommentPayload(errors=user_errors(exc))
        case = await CaseModel.get(id=case_id)
        return CaseCommentPayload(
            comment=CaseComment.from_model(comment), case=Case.from_model(case)
        )

    @strawberry.mutation(
        description="Propose a solution: OPEN or AWAITING_INFO becomes RESOLVED.",
        permission_classes=[IsAuthenticated],
    )
    async def case_solution_propose(
        self, info: Info, input: CaseSolutionProposeInput
    ) -> CasePayload:
        async def change() -> CaseModel:
            return await services.propose_solution(
                info.context.viewer,
                decode_id("caseId", input.case_id, "Case"),
                input.resolution_code,
                input.resolution_notes,
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Accept the proposed solution: the case closes.",
        permission_classes=[IsAuthenticated],
    )
    async def case_solution_accept(self, info: Info, input: CaseSolutionAcceptInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.accept_solution(
                info.context.viewer, decode_id("caseId", input.case_id, "Case")
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Reject the proposed solution, with a reason: the case reopens.",
        permission_classes=[IsAuthenticated],
    )
    async def case_solution_reject(self, info: Info, input: CaseSolutionRejectInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.reject_solution(
                info.context.viewer, decode_id("caseId", input.case_id, "Case"), input.reason
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Close a case (the consumer side).", permission_classes=[IsAuthenticated]
    )
    async def case_close(self, info: Info, input: CaseCloseInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.close(
                info.context.viewer, decode_id("caseId", input.case_id, "Case")
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Cancel a case (internal users).", permission_classes=[IsAuthenticated]
    )
    async def case_cancel(self, info: Info, input: CaseCancelInput) -> CasePayload:
        async def change() -> CaseModel:
            return await services.cancel(
                info.context.viewer, decode_id("caseId", input.case_id, "Case")
            )

        return await _case_payload(change)

    @strawberry.mutation(
        description="Attach a file to a case (multipart upload); size and type are checked.",
        permission_classes=[IsAuthenticated],
    )
    async def case_attachment_add(
        self, info: Info, input: CaseAttachmentAddInput
    ) -> CaseAttachmentPayload:
        upload = cast(UploadFile, input.file)
        try:
            case_id = decode_id("caseId", input.case_id, "Case")
            limit = info.context.settings.attachment_max_bytes
            data = await upload.read(limit + 1)
            attachment = await services.add_attachment(
                info.context.viewer, case_id, upload.filename or "", data
            )
        except UserErrors as exc:
            return CaseAttachmentPayload(errors=user_errors(exc))
        finally:
            await upload.close()
        return CaseAttachmentPayload(attachment=CaseAttachment.from_model(attachment))
