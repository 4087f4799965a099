"""GraphQL types of the cases domain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.access.engine import CaseAction, Subject, available
from csm_graph.cases import models
from csm_graph.schema.accounts.loaders import TeamByIdLoader, UserByIdLoader
from csm_graph.schema.accounts.types import Team, User
from csm_graph.schema.cases.loaders import (
    AttachmentCountByCaseIdLoader,
    AttachmentsByCaseIdLoader,
    CaseByIdLoader,
    LastPublicCommentByCaseIdLoader,
)
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.types import CustomFieldEntity, custom_fields_of
from csm_graph.schema.delegations.loaders import activity_delegation_id
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, from_partial, register_node, to_global_id
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import Guard, Visible
from csm_graph.schema.policy import case_service_times

if TYPE_CHECKING:
    from csm_graph.schema.access.types import RelatedParty
    from csm_graph.schema.consumers.types import Consumer
    from csm_graph.schema.households.types import Household
    from csm_graph.schema.products.types import SoldProduct
    from csm_graph.schema.sla.types import SlaClock

register_enum(
    models.CaseState,
    name="CaseState",
    description="Where a case stands.",
    values={
        models.CaseState.NEW: "Opened; nobody has taken it yet.",
        models.CaseState.OPEN: "An agent is working on it.",
        models.CaseState.AWAITING_INFO: "Waiting for the consumer to answer; SLA clocks pause.",
        models.CaseState.RESOLVED: "A solution is proposed; the consumer accepts or rejects it.",
        models.CaseState.CLOSED: "Done. Read-only.",
        models.CaseState.CANCELLED: "Cancelled by an agent. Read-only.",
    },
)
register_enum(
    models.CaseCategory,
    name="CaseCategory",
    description="What a case is about.",
    values={
        models.CaseCategory.GENERAL_INQUIRY: "A question.",
        models.CaseCategory.BILLING: "Bills, charges and payments.",
        models.CaseCategory.TECHNICAL: "Something does not work.",
        models.CaseCategory.COMPLAINT: "A complaint about the service.",
        models.CaseCategory.ACCOUNT: "The consumer's account or records.",
        models.CaseCategory.PASSWORD_REQUEST: "A password request (never surveyed).",
        models.CaseCategory.OTHER: "Anything else.",
    },
)
register_enum(
    models.CaseChannel,
    name="CaseChannel",
    description="How a case came in.",
    values={
        models.CaseChannel.WEB: "The consumer portal.",
        models.CaseChannel.EMAIL: "An email.",
        models.CaseChannel.PHONE: "A phone call.",
        models.CaseChannel.CHAT: "A chat.",
        models.CaseChannel.SOCIAL: "Social media.",
        models.CaseChannel.WALK_IN: "In person.",
    },
)
register_enum(
    models.ActivityKind,
    name="ActivityKind",
    description="What an activity entry records.",
    values={
        models.ActivityKind.CREATED: "The case was opened.",
        models.ActivityKind.STATE_CHANGED: "The state changed (old and new value).",
        models.ActivityKind.FIELD_CHANGED: "A field changed (old and new value).",
        models.ActivityKind.ASSIGNED: "The case was assigned.",
        models.ActivityKind.COMMENTED: "A public comment was added.",
        models.ActivityKind.WORK_NOTE_ADDED: "A work note was added (internal users only).",
        models.ActivityKind.ATTACHMENT_ADDED: "A file was attached.",
        models.ActivityKind.CONSUMER_MERGED: (
            "The case's consumer record was merged into another (old and new number); "
            "internal users only."
        ),
    },
)
strawberry.enum(CaseAction, name="CaseAction", description="Something a viewer may do with a case.")
CaseState = models.CaseState
CaseCategory = models.CaseCategory
CaseChannel = models.CaseChannel
ActivityKind = models.ActivityKind

ConsumerRef = Annotated["Consumer", strawberry.lazy("csm_graph.schema.consumers.types")]
HouseholdRef = Annotated["Household", strawberry.lazy("csm_graph.schema.households.types")]


async def _consumer(info: Info, consumer_id: int | None) -> Consumer | None:
    from csm_graph.schema.consumers.types import consumer_by_id

    return await consumer_by_id(info, consumer_id)


async def _user(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = await info.context.loaders.get(UserByIdLoader).load(user_id)
    return User.from_model(user) if user else None


@strawberry.type(description="What the viewer may do with a case now (its grants and state).")
class CasePermissions:
    read: bool = strawberry.field(description="See the case.")
    comment: bool = strawberry.field(description="Add public comments.")
    attach: bool = strawberry.field(description="Add attachments.")
    accept_solution: bool = strawberry.field(description="Accept the proposed solution.")
    reject_solution: bool = strawberry.field(description="Reject the proposed solution.")
    close: bool = strawberry.field(description="Close the case.")
    manage_related_parties: bool = strawberry.field(description="Add or change related parties.")
    work: bool = strawberry.field(
        description="Internal work: assign, request information, propose, cancel, work notes."
    )


def case_permissions(subject: Subject | None, case: models.Case) -> CasePermissions:
    """`Case.viewerCan`: the engine's per-case face, for the subject (none: nothing)."""
    actions = available(subject, case) if subject else frozenset()
    return CasePermissions(
        read=CaseAction.READ in actions,
        comment=CaseAction.COMMENT in actions,
        attach=CaseAction.ATTACH in actions,
        accept_solution=CaseAction.ACCEPT_SOLUTION in actions,
        reject_solution=CaseAction.REJECT_SOLUTION in actions,
        close=CaseAction.CLOSE in actions,
        manage_related_parties=CaseAction.MANAGE_RELATED_PARTIES in actions,
        work=CaseAction.WORK in actions,
    )


@strawberry.type(description="A comment on a case: public, or a work note for internal users.")
class CaseComment(Node):
    model: strawberry.Private[models.CaseComment]
    db_id: strawberry.Private[int]
    author_id: strawberry.Private[int | None]
    on_behalf_of_id: strawberry.Private[int | None]
    body: str = strawberry.field(description="The text.")
    work_note: bool = strawberry.field(description="True for internal work notes.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_model(cls, c: models.CaseComment) -> CaseComment:
        return cls(
            id=to_global_id("CaseComment", c.id),
            model=c,
            db_id=c.id,
            author_id=c.author_id,
            on_behalf_of_id=c.on_behalf_of_id,
            body=c.body,
            work_note=c.work_note,
            created_at=c.created_at,
        )

    @strawberry.field(description="Who wrote it.", extensions=[Visible()])
    async def author(self, info: Info) -> User | None:
        return await _user(info, self.author_id)

    @strawberry.field(
        description="The consumer the author wrote for, when not themselves.",
        extensions=[Visible()],
    )
    async def on_behalf_of(self, info: Info) -> ConsumerRef | None:
        return await _consumer(info, self.on_behalf_of_id)


@strawberry.type(description="A file attached to a case.")
class CaseAttachment(Node):
    model: strawberry.Private[models.CaseAttachment]
    db_id: strawberry.Private[int]
    file_name: str = strawberry.field(description="The name it was uploaded with.")
    content_type: str = strawberry.field(description="The type found in its bytes.")
    size: int = strawberry.field(description="Size in bytes.")
    created_at: dt.datetime = strawberry.field(description="When it was uploaded.")

    @classmethod
    def from_model(cls, a: models.CaseAttachment) -> CaseAttachment:
        return cls(
            id=to_global_id("CaseAttachment", a.id),
            model=a,
            db_id=a.id,
            file_name=a.file_name,
            content_type=a.content_type,
            size=a.size,
            created_at=a.created_at,
        )

    @strawberry.field(description="Where to download it, with the same bearer token.")
    def download_url(self) -> str:
        return f"/files/attachments/{self.id}"


@strawberry.type(name="CaseActivity", description="An entry of a case's activity stream.")
class CaseActivityEntry(Node):
    model: strawberry.Private[models.CaseActivity]
    db_id: strawberry.Private[int]
    actor_id: strawberry.Private[int | None]
    on_behalf_of_id: strawberry.Private[int | None]
    kind: ActivityKind = strawberry.field(description="What happened.")
    field: str = strawberry.field(description="The field or state that changed, if any.")
    old_value: str = strawberry.field(description="Its value before.")
    new_value: str = strawberry.field(description="Its value after.")
    created_at: dt.datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_model(cls, a: models.CaseActivity) -> CaseActivityEntry:
        return cls(
            id=to_global_id("CaseActivity", a.id),
            model=a,
            db_id=a.id,
            actor_id=a.actor_id,
            on_behalf_of_id=a.on_behalf_of_id,
            kind=a.kind,
            field=a.field,
            old_value=a.old_value,
            new_value=a.new_value,
            created_at=a.created_at,
        )

    @strawberry.field(description="Who acted (null for the system).", extensions=[Visible()])
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.actor_id)

    @strawberry.field(
        description="The consumer the actor acted for, when not themselves.", extensions=[Visible()]
    )
    async def on_behalf_of(self, info: Info) -> ConsumerRef | None:
        return await _consumer(info, self.on_behalf_of_id)

    @strawberry.field(
        description="The delegation the actor acted under (its id), when they acted "
        "for the consumer as a delegate."
    )
    async def delegation_id(self, info: Info) -> strawberry.ID | None:
        return await activity_delegation_id(info, self.db_id)


@strawberry.type(description="A customer service case.")
class Case(Node):
    model: strawberry.Private[models.Case]
    number: str = strawberry.field(description="Human number, such as CS0001001.")
    short_description: str = strawberry.field(description="One line.")
    description: str = strawberry.field(description="The details.")
    state: CaseState = strawberry.field(description="Where the case stands.")
    priority: int = strawberry.field(description="1 (critical) to 4 (low).")
    category: CaseCategory = strawberry.field(description="What it is about.")
    channel: CaseChannel = strawberry.field(description="How it came in.")
    resolution_code: str = strawberry.field(description="The proposed solution's code.")
    resolution_notes: str = strawberry.field(description="The proposed solution.")
    created_at: dt.datetime = strawberry.field(description="When it was opened.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")
    resolved_at: dt.datetime | None = strawberry.field(description="When a solution was proposed.")
    closed_at: dt.datetime | None = strawberry.field(description="When it was closed or cancelled.")
    version: int = strawberry.field(description="Send back with `caseUpdate` (optimistic locking).")

    @classmethod
    def from_model(cls, c: models.Case) -> Case:
        if c._partial:
            return from_partial(cls, c, id=to_global_id("Case", c.id), model=c)
        return cls(
            id=to_global_id("Case", c.id),
            model=c,
            number=c.number,
            short_description=c.short_description,
            description=c.description,
            state=c.state,
            priority=c.priority,
            category=c.category,
            channel=c.channel,
            resolution_code=c.resolution_code,
            resolution_notes=c.resolution_notes,
            created_at=c.created_at,
            updated_at=c.updated_at,
            resolved_at=c.resolved_at,
            closed_at=c.closed_at,
            version=c.version,
        )

    custom_fields = custom_fields_of(
        CustomFieldEntity.CASE,
        "The case's custom fields the viewer may read, by key (others are left out and "
        "listed in `extensions.redactedFields`).",
    )

    @strawberry.field(description="The consumer the case is about.", extensions=[Visible()])
    async def consumer(self, info: Info) -> ConsumerRef | None:
        return await _consumer(info, self.model.consumer_id)

    @strawberry.field(
        description="The household the case belongs to, if any.", extensions=[Visible()]
    )
    async def household(self, info: Info) -> HouseholdRef | None:
        from csm_graph.schema.households.types import household_by_id

        return await household_by_id(info, self.model.household_id)

    @strawberry.field(description="Who opened the case.", extensions=[Visible()])
    async def opened_by(self, info: Info) -> User | None:
        return await _user(info, self.model.opened_by_id)

    @strawberry.field(description="The agent working the case.", extensions=[Visible()])
    async def assigned_to(self, info: Info) -> User | None:
        return await _user(info, self.model.assigned_to_id)

    @strawberry.field(description="The team the case is assigned to.", extensions=[Visible()])
    async def assignment_team(self, info: Info) -> Team | None:
        if self.model.assignment_team_id is None:
            return None
        team = await info.context.loaders.get(TeamByIdLoader).load(self.model.assignment_team_id)
        return Team.from_model(team) if team else None

    @strawberry.field(
        description="When the first response is due (SLA; internal users). Moves on when "
        "the case awaited the consumer.",
        extensions=[Guard(case_service_times)],
    )
    def response_due_at(self) -> dt.datetime | None:
        return self.model.response_due_at

    @strawberry.field(
        description="When a solution is due (SLA; internal users), not counting time "
        "awaiting the consumer.",
        extensions=[Guard(case_service_times)],
    )
    def resolution_due_at(self) -> dt.datetime | None:
        return self.model.resolution_due_at

    @strawberry.field(
        description="True once a due time passed unmet (SLA; internal users).",
        extensions=[Guard(case_service_times)],
    )
    def sla_breached(self) -> bool | None:
        return self.model.sla_breached

    @strawberry.field(
        description="Where the SLA clocks stand, in working time of the case's schedule "
        "(internal users).",
        extensions=[Guard(case_service_times)],
    )
    async def sla_clock(
        self, info: Info
    ) -> Annotated[SlaClock, strawberry.lazy("csm_graph.schema.sla.types")] | None:
        from csm_graph.schema.sla.types import sla_clock

        return await sla_clock(info, self.model)

    @strawberry.field(
        description="When the first public reply by an internal user came (internal users).",
        extensions=[Guard(case_service_times)],
    )
    def first_response_at(self) -> dt.datetime | None:
        return self.model.first_response_at

    @strawberry.field(
        description="The sold product the case is about, if any.", extensions=[Visible()]
    )
    async def sold_product(
        self, info: Info
    ) -> Annotated[SoldProduct, strawberry.lazy("csm_graph.schema.products.types")] | None:
        from csm_graph.schema.products.types import sold_product_by_id

        return await sold_product_by_id(info, self.model.sold_product_id)

    @strawberry.field(
        description="Consumers and users related to the case, oldest first (those of its "
        "sold product are on `soldProduct.relatedParties`).",
        extensions=[Visible()],
    )
    async def related_parties(
        self, info: Info
    ) -> list[Annotated[RelatedParty, strawberry.lazy("csm_graph.schema.access.types")]]:
        from csm_graph.schema.access.types import case_related_parties

        return await case_related_parties(info, self.model.id)

    @strawberry.field(description="What the viewer may do with this case now.")
    async def viewer_can(self, info: Info) -> CasePermissions:
        return case_permissions(await info.context.subject(), self.model)

    @strawberry.field(description="The newest public comment.", extensions=[Visible()])
    async def last_public_comment(self, info: Info) -> CaseComment | None:
        comment = await info.context.loaders.get(LastPublicCommentByCaseIdLoader).load(
            self.model.id
        )
        return CaseComment.from_model(comment) if comment else None

    @strawberry.field(description="How many files are attached.")
    async def attachment_count(self, info: Info) -> int:
        return await info.context.loaders.get(AttachmentCountByCaseIdLoader).load(self.model.id)

    @strawberry.field(
        description="Files attached to the case, oldest first.", extensions=[Visible()]
    )
    async def attachments(self, info: Info) -> list[CaseAttachment]:
        rows = await info.context.loaders.get(AttachmentsByCaseIdLoader).load(self.model.id)
        return [CaseAttachment.from_model(a) for a in rows]

    @strawberry.field(
        description="Comments, oldest first; work notes only for internal users. The "
        "newest are `last: n`; older ones `last: n, before: <startCursor>`.",
        extensions=[Visible()],
    )
    async def comments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CaseComment]:
        viewer = info.context.viewer
        queryset = models.CaseComment.filter(case_id=self.model.id)
        if viewer is None or not viewer.is_internal:
            queryset = queryset.filter(work_note=False)
        return await paginate(
            queryset,
            lambda rows: [CaseComment.from_model(c) for c in rows],
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="The activity stream, oldest first; internal entries only for internal users.",
        extensions=[Visible()],
    )
    async def activity(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CaseActivityEntry]:
        viewer = info.context.viewer
        queryset = models.CaseActivity.filter(case_id=self.model.id)
        if viewer is None or not viewer.is_internal:
            queryset = queryset.filter(internal=False)
        return await paginate(
            queryset,
            lambda rows: [CaseActivityEntry.from_model(a) for a in rows],
            first=first,
            after=after,
            last=last,
            before=before,
        )


async def case_by_id(info: Info, case_id: int | None) -> Case | None:
    """A case's GraphQL object; visibility is the field's to check (the engine)."""
    if case_id is None:
        return None
    record = await info.context.loaders.get(CaseByIdLoader).load(case_id)
    return Case.from_model(record) if record else None


async def _comment_node(info: Info, pk: int) -> CaseComment | None:
    comment = await models.CaseComment.get_or_none(id=pk)
    return CaseComment.from_model(comment) if comment else None


async def _attachment_node(info: Info, pk: int) -> CaseAttachment | None:
    attachment = await models.CaseAttachment.get_or_none(id=pk)
    return CaseAttachment.from_model(attachment) if attachment else None


async def _activity_node(info: Info, pk: int) -> CaseActivityEntry | None:
    entry = await models.CaseActivity.get_or_none(id=pk)
    return CaseActivityEntry.from_model(entry) if entry else None


register_node("Case", case_by_id)
register_node("CaseComment", _comment_node)
register_node("CaseAttachment", _attachment_node)
register_node("CaseActivity", _activity_node)
