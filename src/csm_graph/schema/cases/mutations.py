"""Mutations of the cases domain."""

from __future__ import annotations

from typing import cast

import strawberry
from starlette.datastructures import UploadFile

from csm_graph.cases import services
from csm_graph.cases.models import Case as CaseModel
from csm_graph.cases.services import CaseChanges, CaseDraft
from csm_graph.schema.cases.inputs import (
    CaseAssignInput,
    CaseAttachmentAddInput,
    CaseCancelInput,
    CaseCloseInput,
    CaseCommentAddInput,
    CaseConsumerChangeInput,
    CaseCreateInput,
    CaseRequestInfoInput,
    CaseSolutionAcceptInput,
    CaseSolutionProposeInput,
    CaseSolutionRejectInput,
    CaseUpdateInput,
)
from csm_graph.schema.cases.types import Case, CaseAttachment, CaseComment
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.writes import write_case_fields
from csm_graph.schema.errors import UserError
from csm_graph.schema.inputs import given
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
from csm_graph.schema.permissions import IsAuthenticated, IsInternal, Visible
from csm_graph.transactions import unit_of_work


@strawberry.type(description="A case, or why the change was refused.")
class CasePayload:
    case: Case | None = strawberry.field(
        extensions=[Visible()], default=None, description="The case as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")

    @classmethod
    def of(cls, case: CaseModel) -> CasePayload:
        return cls(case=Case.from_model(case))


@strawberry.type(description="A comment, or why it was refused.")
class CaseCommentPayload:
    comment: CaseComment | None = strawberry.field(
        extensions=[Visible()], default=None, description="The comment."
    )
    case: Case | None = strawberry.field(
        extensions=[Visible()], default=None, description="The case, as it now stands."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="An attachment, or why it was refused.")
class CaseAttachmentPayload:
    attachment: CaseAttachment | None = strawberry.field(
        extensions=[Visible()], default=None, description="The file."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class CasesMutation:
    @mutation(
        "Open a case: internal users for any consumer; a consumer for themselves, "
        "a head of household for a member, a representative for the represented.",
        IsAuthenticated,
    )
    async def case_create(self, info: Info, input: CaseCreateInput) -> CasePayload:
        data = given(input)
        data["consumer_id"] = decode_optional_id("consumerId", input.consumer_id, "Consumer")
        data["household_id"] = decode_optional_id("householdId", input.household_id, "Household")
        data["assignment_team_id"] = decode_optional_id(
            "assignmentTeamId", input.assignment_team_id, "Team"
        )
        data["sold_product_id"] = decode_optional_id(
            "soldProductId", input.sold_product_id, "SoldProduct"
        )
        return CasePayload.of(
            await services.create_case(await info.context.actor(), CaseDraft(**data))
        )

    @mutation("Change a case's fields, at the version last read (internal users).", IsAuthenticated)
    async def case_update(self, info: Info, input: CaseUpdateInput) -> CasePayload:
        data = given(input)
        case_id = decode_id("id", data.pop("id"), "Case")
        version = data.pop("version")
        data.pop("custom_fields", None)
        async with unit_of_work():
            subject = await info.context.actor()
            case = await services.update_case(subject, case_id, version, CaseChanges(**data))
            if input.custom_fields:
                await write_case_fields(info, subject, case, input.custom_fields)
        return CasePayload.of(case)

    @mutation(
        "Move a case to another consumer, at the version last read. The household follows "
        "the rules of opening a case; due times follow the new consumer's SLA level; the "
        "old consumer's side stops reading the case and the new one's starts.",
        IsInternal,
    )
    async def case_consumer_change(self, info: Info, input: CaseConsumerChangeInput) -> CasePayload:
        case = await services.change_consumer(
            await info.context.actor(),
            decode_id("id", input.id, "Case"),
            input.version,
            decode_id("consumerId", input.consumer_id, "Consumer"),
            decode_optional_id("householdId", input.household_id, "Household"),
        )
        return CasePayload.of(case)

    @mutation(
        "Assign a case (to the viewer when no assignee is named); NEW becomes OPEN.",
        IsAuthenticated,
    )
    async def case_assign(self, info: Info, input: CaseAssignInput) -> CasePayload:
        case = await services.assign(
            await info.context.actor(),
            decode_id("id", input.id, "Case"),
            decode_optional_id("assigneeId", input.assignee_id, "User"),
            decode_optional_id("teamId", input.team_id, "Team"),
        )
        return CasePayload.of(case)

    @mutation("Ask the consumer for information: OPEN becomes AWAITING_INFO.", IsAuthenticated)
    async def case_request_info(self, info: Info, input: CaseRequestInfoInput) -> CasePayload:
        case_id = decode_id("id", input.id, "Case")
        return CasePayload.of(
            await services.request_info(await info.context.actor(), case_id, input.body)
        )

    @mutation(
        "Comment on a case; a consumer's comment on a case awaiting information reopens it.",
        IsAuthenticated,
    )
    async def case_comment_add(self, info: Info, input: CaseCommentAddInput) -> CaseCommentPayload:
        case_id = decode_id("caseId", input.case_id, "Case")
        comment = await services.add_comment(
            await info.context.actor(), case_id, input.body, input.work_note
        )
        case = await CaseModel.get(id=case_id)
        return CaseCommentPayload(
            comment=CaseComment.from_model(comment), case=Case.from_model(case)
        )

    @mutation("Propose a solution: OPEN or AWAITING_INFO becomes RESOLVED.", IsAuthenticated)
    async def case_solution_propose(
        self, info: Info, input: CaseSolutionProposeInput
    ) -> CasePayload:
        case = await services.propose_solution(
            await info.context.actor(),
            decode_id("caseId", input.case_id, "Case"),
            input.resolution_code,
            input.resolution_notes,
        )
        return CasePayload.of(case)

    @mutation("Accept the proposed solution: the case closes.", IsAuthenticated)
    async def case_solution_accept(self, info: Info, input: CaseSolutionAcceptInput) -> CasePayload:
        case_id = decode_id("caseId", input.case_id, "Case")
        return CasePayload.of(await services.accept_solution(await info.context.actor(), case_id))

    @mutation("Reject the proposed solution, with a reason: the case reopens.", IsAuthenticated)
    async def case_solution_reject(self, info: Info, input: CaseSolutionRejectInput) -> CasePayload:
        case_id = decode_id("caseId", input.case_id, "Case")
        return CasePayload.of(
            await services.reject_solution(await info.context.actor(), case_id, input.reason)
        )

    @mutation("Close a case (the consumer side).", IsAuthenticated)
    async def case_close(self, info: Info, input: CaseCloseInput) -> CasePayload:
        case_id = decode_id("caseId", input.case_id, "Case")
        return CasePayload.of(await services.close(await info.context.actor(), case_id))

    @mutation("Cancel a case (internal users).", IsAuthenticated)
    async def case_cancel(self, info: Info, input: CaseCancelInput) -> CasePayload:
        case_id = decode_id("caseId", input.case_id, "Case")
        return CasePayload.of(await services.cancel(await info.context.actor(), case_id))

    @mutation(
        "Attach a file to a case (multipart upload); size and type are checked.", IsAuthenticated
    )
    async def case_attachment_add(
        self, info: Info, input: CaseAttachmentAddInput
    ) -> CaseAttachmentPayload:
        upload = cast(UploadFile, input.file)
        try:
            case_id = decode_id("caseId", input.case_id, "Case")
            data = await upload.read(info.context.settings.attachment_max_bytes + 1)
            attachment = await services.add_attachment(
                await info.context.actor(), case_id, upload.filename or "", data
            )
        finally:
            await upload.close()
        return CaseAttachmentPayload(attachment=CaseAttachment.from_model(attachment))
