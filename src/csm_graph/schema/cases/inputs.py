"""Inputs of the cases domain."""

from __future__ import annotations

from enum import StrEnum

import strawberry
from strawberry.file_uploads import Upload

from csm_graph.schema.cases.types import CaseCategory, CaseChannel, CaseState
from csm_graph.schema.customfields.inputs import CustomFieldFilter, CustomFieldInput
from csm_graph.schema.enums import register_enum


class CaseScope(StrEnum):
    ALL = "ALL"
    MINE = "MINE"


register_enum(
    CaseScope,
    name="CaseScope",
    description="Which cases `cases` lists.",
    values={
        CaseScope.ALL: "Consumers: their own, their households' and represented consumers' "
        "cases. Internal users: every case they may read.",
        CaseScope.MINE: "Consumers: cases they opened or that are about them. Internal users: "
        "cases assigned to them.",
    },
)


@strawberry.input(description="Which cases to list.")
class CaseFilter:
    scope: CaseScope | None = strawberry.field(default=None, description="ALL (default) or MINE.")
    state: list[CaseState] | None = strawberry.field(default=None, description="Only these states.")
    consumer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this consumer's."
    )
    household_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this household's."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the number or short description."
    )
    custom_fields: list[CustomFieldFilter] | None = strawberry.field(
        default=None, description="Only cases meeting every one of these custom field conditions."
    )


@strawberry.input(description="A new case.")
class CaseCreateInput:
    short_description: str = strawberry.field(description="One line, at most 160 characters.")
    description: str = strawberry.field(default="", description="The details.")
    category: CaseCategory = strawberry.field(
        default=CaseCategory.GENERAL_INQUIRY, description="What it is about."
    )
    priority: int = strawberry.field(default=4, description="1 (critical) to 4 (low).")
    channel: CaseChannel | None = strawberry.field(
        default=None, description="Internal users: how it came in (default PHONE); portal: WEB."
    )
    consumer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who it is for (default: the viewer's own record)."
    )
    household_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required when the consumer belongs to several households."
    )
    assignment_team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Internal users: the team to route it to."
    )
    sold_product_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The sold product it is about: the consumer's or their household's.",
    )


@strawberry.input(description="Changes to a case's fields (internal users).")
class CaseUpdateInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    version: int = strawberry.field(description="The version the change is based on.")
    short_description: str | None = strawberry.field(
        default=strawberry.UNSET, description="One line."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="The details.")
    category: CaseCategory | None = strawberry.field(
        default=strawberry.UNSET, description="Category."
    )
    priority: int | None = strawberry.field(default=strawberry.UNSET, description="1 to 4.")
    channel: CaseChannel | None = strawberry.field(default=strawberry.UNSET, description="Channel.")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Custom fields to set (each one's write rules apply); all or none.",
    )


@strawberry.input(description="Move a case to another consumer (internal users).")
class CaseConsumerChangeInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    version: int = strawberry.field(description="The version the change is based on.")
    consumer_id: strawberry.ID = strawberry.field(description="The consumer it is now about.")
    household_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of the consumer's current households: required when they belong to "
        "several; by default their only one, or none.",
    )


@strawberry.input(description="Assign a case; with no assignee, to the viewer.")
class CaseAssignInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    assignee_id: strawberry.ID | None = strawberry.field(default=None, description="The agent.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The team.")


@strawberry.input(description="Ask the consumer for information.")
class CaseRequestInfoInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    body: str = strawberry.field(description="The question, sent as a public comment.")


@strawberry.input(description="A comment on a case.")
class CaseCommentAddInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    body: str = strawberry.field(description="The text.")
    work_note: bool = strawberry.field(default=False, description="Internal users: a work note.")


@strawberry.input(description="Propose a solution (internal users).")
class CaseSolutionProposeInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    resolution_code: str = strawberry.field(description="A short code.")
    resolution_notes: str = strawberry.field(description="The solution, for the consumer.")


@strawberry.input(description="Accept the proposed solution: the case closes.")
class CaseSolutionAcceptInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")


@strawberry.input(description="Reject the proposed solution: the case reopens.")
class CaseSolutionRejectInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    reason: str = strawberry.field(description="Why the solution does not solve it.")


@strawberry.input(description="Close a case (the consumer side).")
class CaseCloseInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")


@strawberry.input(description="Cancel a case (internal users).")
class CaseCancelInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")


@strawberry.input(description="A file to attach to a case (multipart upload).")
class CaseAttachmentAddInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    file: Upload = strawberry.field(description="The file; its type is read from its bytes.")
