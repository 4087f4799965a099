"""GraphQL types of customer access: responsibilities, relationship types,
related parties, and access explanations."""

from __future__ import annotations

import asyncio
import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.access import models
from csm_graph.access.engine import CaseAction, Grant, GrantKind, parse_case_actions
from csm_graph.access.report import ReportEntry, ReportGrant, ReportKind, ReportScope
from csm_graph.schema.access.loaders import (
    DepartmentByIdLoader,
    MembersByDepartmentNameLoader,
    RelatedPartiesByCaseIdLoader,
    RelatedPartiesBySoldProductIdLoader,
    RelationshipTypeByIdLoader,
    ResponsibilityByIdLoader,
)
from csm_graph.schema.accounts.loaders import TeamByIdLoader, UserByIdLoader
from csm_graph.schema.accounts.types import Team, User
from csm_graph.schema.cases import types as _case_types  # noqa: F401 (registers CaseAction)
from csm_graph.schema.consumers.loaders import ConsumerByIdLoader
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible

if TYPE_CHECKING:
    from csm_graph.schema.cases.types import Case
    from csm_graph.schema.consumers.types import Consumer
    from csm_graph.schema.products.types import SoldProduct


def _describe_values(cls: type[Enum], values: dict[str, str]) -> None:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values.get(value.name)


strawberry.enum(
    models.ProductAction,
    name="SoldProductAction",
    description="Something a responsibility allows on a sold product.",
)
_describe_values(
    models.ProductAction,
    {
        "READ": "See the product.",
        "MANAGE": "Add, change and remove the product's related parties.",
    },
)
SoldProductAction = models.ProductAction
_describe_values(
    CaseAction,
    {
        "READ": "See the case, its comments and files.",
        "COMMENT": "Add public comments.",
        "ATTACH": "Add files.",
        "ACCEPT_SOLUTION": "Accept the proposed solution (while RESOLVED).",
        "REJECT_SOLUTION": "Reject the proposed solution (while RESOLVED).",
        "CLOSE": "Close the case.",
        "MANAGE_RELATED_PARTIES": "Add, change and remove the case's related parties.",
        "WORK": "Internal work: assign, request information, propose, cancel, edit, work notes.",
    },
)

register_enum(
    GrantKind,
    name="GrantKind",
    description="Why a user may act on a case: the kind of an `AccessGrant`.",
    values={
        GrantKind.ADMIN: "An administrator: every case.",
        GrantKind.ASSIGNEE: "The agent the case is assigned to.",
        GrantKind.TEAM: "A member of the case's assignment team.",
        GrantKind.MANAGER: "The manager of the case's assignee.",
        GrantKind.OPENER: "The internal user who opened the case.",
        GrantKind.CONSUMER: "The consumer the case is about.",
        GrantKind.REPRESENTATIVE: "An authorized representative of the case's consumer.",
        GrantKind.HEAD_OF_HOUSEHOLD: "A head of the case's household, while the case's "
        "consumer is a current member.",
        GrantKind.HOUSEHOLD_MEMBER: "A member of the case's household, while the case's "
        "consumer is a current member (read only).",
        GrantKind.RELATED_PARTY: "A related party of the case, with what its "
        "responsibility allows.",
        GrantKind.SOLD_PRODUCT_PARTY: "A related party of the sold product the case is "
        "about, with what its responsibility allows.",
        GrantKind.TEAM_PARTY: "A member of a team that is a related party of the case or of "
        "its sold product, with what the party's responsibility allows, while a member.",
        GrantKind.DEPARTMENT_PARTY: "An internal user in a department that is a related party "
        "of the case or of its sold product, with what the party's responsibility allows, "
        "while in that department.",
    },
)


@strawberry.type(description="A level of access, and what it allows (access configuration).")
class Responsibility(Node):
    model: strawberry.Private[models.Responsibility]
    db_id: strawberry.Private[int]
    name: str = strawberry.field(description="Such as case viewer or case manager.")
    description: str = strawberry.field(description="What it is for.")
    case_actions: list[CaseAction] = strawberry.field(
        description="What it allows on the cases it reaches."
    )
    sold_product_actions: list[SoldProductAction] = strawberry.field(
        description="What it allows on the sold products it reaches."
    )

    @classmethod
    def from_model(cls, r: models.Responsibility) -> Responsibility:
        names = set(r.product_actions.split())
        return cls(
            id=to_global_id("Responsibility", r.id),
            model=r,
            db_id=r.id,
            name=r.name,
            description=r.description,
            case_actions=[a for a in CaseAction if a in parse_case_actions(r.case_actions)],
            sold_product_actions=[a for a in models.ProductAction if a.value in names],
        )


@strawberry.type(description="What a related party is to a case or a sold product.")
class RelationshipType(Node):
    model: strawberry.Private[models.RelationshipType]
    db_id: strawberry.Private[int]
    default_responsibility_id: strawberry.Private[int | None]
    name: str = strawberry.field(description="Such as guarantor or finance contact.")
    description: str = strawberry.field(description="What it means.")
    applies_to_cases: bool = strawberry.field(description="Parties of cases may have it.")
    applies_to_sold_products: bool = strawberry.field(
        description="Parties of sold products may have it."
    )

    @classmethod
    def from_model(cls, t: models.RelationshipType) -> RelationshipType:
        return cls(
            id=to_global_id("RelationshipType", t.id),
            model=t,
            db_id=t.id,
            default_responsibility_id=t.default_responsibility_id,
            name=t.name,
            description=t.description,
            applies_to_cases=t.for_cases,
            applies_to_sold_products=t.for_sold_products,
        )

    @strawberry.field(
        description="The responsibility new parties get; null: they get none.",
        extensions=[Visible()],
    )
    async def default_responsibility(self, info: Info) -> Responsibility | None:
        return await _responsibility(info, self.default_responsibility_id)


async def _responsibility(info: Info, responsibility_id: int | None) -> Responsibility | None:
    if responsibility_id is None:
        return None
    record = await info.context.loaders.get(ResponsibilityByIdLoader).load(responsibility_id)
    return Responsibility.from_model(record) if record else None


@strawberry.type(
    description="A department of the organisation: the internal users whose `department` "
    "reads its name (ignoring case and spacing). A related party can be a department."
)
class Department(Node):
    model: strawberry.Private[models.Department]
    name: str = strawberry.field(description="The department's name, such as Finance.")

    @classmethod
    def from_model(cls, d: models.Department) -> Department:
        return cls(id=to_global_id("Department", d.id), model=d, name=d.name)

    @strawberry.field(
        description="Its active internal users now: those whose `department` is its name.",
        extensions=[Visible()],
    )
    async def members(self, info: Info) -> list[User]:
        users = await info.context.loaders.get(MembersByDepartmentNameLoader).load(self.name)
        return [User.from_model(u) for u in users]


async def _department(info: Info, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    record = await info.context.loaders.get(DepartmentByIdLoader).load(department_id)
    return Department.from_model(record) if record else None


@strawberry.type(
    description="A consumer, a user, a team or a department related to a case or a sold "
    "product. A team's members, and a department's, hold its access while members."
)
class RelatedParty(Node):
    model: strawberry.Private[models.RelatedParty]
    valid_from: dt.date | None = strawberry.field(
        description="First day its access applies; null: from the start."
    )
    valid_until: dt.date | None = strawberry.field(
        description="Last day its access applies; null: open-ended."
    )
    created_at: dt.datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_model(cls, p: models.RelatedParty) -> RelatedParty:
        return cls(
            id=to_global_id("RelatedParty", p.id),
            model=p,
            valid_from=p.valid_from,
            valid_until=p.valid_until,
            created_at=p.created_at,
        )

    @strawberry.field(
        description="The case it is related to, when the viewer may read it.",
        extensions=[Visible()],
    )
    async def case(
        self, info: Info
    ) -> Annotated[Case, strawberry.lazy("csm_graph.schema.cases.types")] | None:
        from csm_graph.schema.cases.types import case_by_id

        return await case_by_id(info, self.model.case_id)

    @strawberry.field(description="The sold product it is related to.", extensions=[Visible()])
    async def sold_product(
        self, info: Info
    ) -> Annotated[SoldProduct, strawberry.lazy("csm_graph.schema.products.types")] | None:
        from csm_graph.schema.products.types import sold_product_by_id

        return await sold_product_by_id(info, self.model.sold_product_id)

    @strawberry.field(description="The related consumer, when it is one.", extensions=[Visible()])
    async def consumer(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.types import consumer_by_id

        return await consumer_by_id(info, self.model.consumer_id)

    @strawberry.field(
        description="The related user, when it is one (an internal user, say).",
        extensions=[Visible()],
    )
    async def user(self, info: Info) -> User | None:
        if self.model.user_id is None:
            return None
        record = await info.context.loaders.get(UserByIdLoader).load(self.model.user_id)
        return User.from_model(record) if record else None

    @strawberry.field(
        description="The related team, when it is one: its members hold the party's access.",
        extensions=[Visible()],
    )
    async def team(self, info: Info) -> Team | None:
        if self.model.team_id is None:
            return None
        record = await info.context.loaders.get(TeamByIdLoader).load(self.model.team_id)
        return Team.from_model(record) if record else None

    @strawberry.field(
        description="The related department, when it is one: its members hold the party's access.",
        extensions=[Visible()],
    )
    async def department(self, info: Info) -> Department | None:
        return await _department(info, self.model.department_id)

    @strawberry.field(
        description="The party's name, for whoever sees the party (its consumer or user "
        "record may stay hidden)."
    )
    async def display_name(self, info: Info) -> str:
        if self.model.consumer_id is not None:
            consumer = await info.context.loaders.get(ConsumerByIdLoader).load(
                self.model.consumer_id
            )
            return consumer.full_name if consumer else ""
        if self.model.team_id is not None:
            team = await info.context.loaders.get(TeamByIdLoader).load(self.model.team_id)
            return team.name if team else ""
        if self.model.department_id is not None:
            loader = info.context.loaders.get(DepartmentByIdLoader)
            department = await loader.load(self.model.department_id)
            return department.name if department else ""
        assert self.model.user_id is not None
        user = await info.context.loaders.get(UserByIdLoader).load(self.model.user_id)
        return user.full_name if user else ""

    @strawberry.field(
        description="What the party is to the case or product.", extensions=[Visible()]
    )
    async def relationship_type(self, info: Info) -> RelationshipType | None:
        loader = info.context.loaders.get(RelationshipTypeByIdLoader)
        record = await loader.load(self.model.relationship_type_id)
        return RelationshipType.from_model(record) if record else None

    @strawberry.field(
        description="The access the party has; null: none (listed only).", extensions=[Visible()]
    )
    async def responsibility(self, info: Info) -> Responsibility | None:
        return await _responsibility(info, self.model.responsibility_id)


async def case_related_parties(info: Info, case_id: int) -> list[RelatedParty]:
    rows = await info.context.loaders.get(RelatedPartiesByCaseIdLoader).load(case_id)
    return [RelatedParty.from_model(p) for p in rows]


async def product_related_parties(info: Info, product_id: int) -> list[RelatedParty]:
    rows = await info.context.loaders.get(RelatedPartiesBySoldProductIdLoader).load(product_id)
    return [RelatedParty.from_model(p) for p in rows]


@strawberry.type(description="One reason a user may act on a case.")
class AccessGrant:
    kind: GrantKind = strawberry.field(description="Why the grant applies.")
    description: str = strawberry.field(description="The reason, in words.")
    actions: list[CaseAction] = strawberry.field(description="What this grant allows.")
    valid_until: dt.date | None = strawberry.field(
        description="Its last valid day; null: it does not expire."
    )

    @classmethod
    def from_grant(cls, g: Grant) -> AccessGrant:
        return cls(
            kind=g.kind,
            description=g.description,
            actions=[a for a in CaseAction if a in g.actions],
            valid_until=g.valid_until,
        )


@strawberry.type(
    description="What a user may do with a case now (or at the moment asked about), and why."
)
class AccessExplanation:
    allowed: list[CaseAction] = strawberry.field(
        description="The actions allowed now, or at the moment asked about (the grants "
        "narrowed by the case's state then); empty when the user may not read the case."
    )
    grants: list[AccessGrant] = strawberry.field(description="Every grant that applies.")
    history_complete: bool = strawberry.field(
        default=True,
        description="False when the history needed to rebuild the moment asked about (`at`) "
        "was not all kept, so the answer is approximated (`historyNotes` says how); always "
        "true without `at`.",
    )
    history_notes: list[str] = strawberry.field(
        default_factory=list,
        description="Notes on the moment asked about, one sentence each: what of its "
        "history was not kept and how the answer approximates it (roles before the audit "
        "trail began, related parties removed since, ...), and facts that explain an empty "
        "answer (the moment is before the case existed). Empty without `at`.",
    )


register_enum(
    ReportScope,
    name="AccessScope",
    description="What an access report grant lets its holder see of the consumer.",
    values={
        ReportScope.CASES: "Some of the consumer's cases (the access engine's grants).",
        ReportScope.CONTACT_DETAILS: "The consumer's contact details: email, phones, "
        "address, date of birth, preferences and social accounts.",
    },
)

register_enum(
    ReportKind,
    name="AccessReportGrantKind",
    description="Why someone sees a consumer: a case grant's kind (as in `GrantKind`), or "
    "INTERNAL_USER for the contact details every internal user reads.",
    values={
        ReportKind.ADMIN: "An administrator: every case.",
        ReportKind.ASSIGNEE: "The agent the cases are assigned to.",
        ReportKind.TEAM: "A member of the cases' assignment team (`team`).",
        ReportKind.MANAGER: "The manager of the cases' assignee.",
        ReportKind.OPENER: "The internal user who opened the cases.",
        ReportKind.CONSUMER: "The consumer: their own cases and contact details.",
        ReportKind.REPRESENTATIVE: "A current authorized representative of the consumer.",
        ReportKind.HEAD_OF_HOUSEHOLD: "A current head of a household the consumer currently "
        "belongs to (of the cases in it, or of the contact details).",
        ReportKind.HOUSEHOLD_MEMBER: "A current member of the cases' household, while the "
        "consumer is one too (read only).",
        ReportKind.RELATED_PARTY: "A related party of the case, with what its responsibility "
        "allows.",
        ReportKind.SOLD_PRODUCT_PARTY: "A related party of the sold product the cases are "
        "about, with what its responsibility allows.",
        ReportKind.TEAM_PARTY: "A member of a team related to the case or its sold product.",
        ReportKind.DEPARTMENT_PARTY: "An internal user in a department related to the case or "
        "its sold product.",
        ReportKind.INTERNAL_USER: "An internal user: internal users read every consumer's "
        "contact details.",
    },
)


@strawberry.type(description="One reason someone sees a consumer, and what it opens.")
class AccessReportGrant:
    grant: strawberry.Private[ReportGrant]
    scope: ReportScope = strawberry.field(
        description="What it opens: some of the consumer's cases, or their contact details."
    )
    kind: ReportKind = strawberry.field(description="Why it applies.")
    description: str = strawberry.field(
        description="The reason, in words: the responsibility and the case or sold product "
        "of a related party, the kind of any other grant."
    )
    actions: list[CaseAction] = strawberry.field(
        description="What it allows on its cases; empty for contact details."
    )
    valid_until: dt.date | None = strawberry.field(
        description="Its last valid day; null: it does not expire."
    )

    @classmethod
    def of(cls, g: ReportGrant) -> AccessReportGrant:
        return cls(
            grant=g,
            scope=g.scope,
            kind=g.kind,
            description=g.description,
            actions=[a for a in CaseAction if a in g.actions],
            valid_until=g.valid_until,
        )

    @strawberry.field(
        description="The consumer's cases it opens, those the viewer may see; empty for "
        "contact details.",
        extensions=[Visible()],
    )
    async def cases(
        self, info: Info
    ) -> list[Annotated[Case, strawberry.lazy("csm_graph.schema.cases.types")]]:
        from csm_graph.schema.cases.types import case_by_id

        found = await asyncio.gather(*(case_by_id(info, pk) for pk in self.grant.case_ids))
        return [c for c in found if c is not None]

    @strawberry.field(
        description="The assignment team of a TEAM grant, when the viewer may see teams.",
        extensions=[Visible()],
    )
    async def team(self, info: Info) -> Team | None:
        if self.grant.team_id is None:
            return None
        record = await info.context.loaders.get(TeamByIdLoader).load(self.grant.team_id)
        return Team.from_model(record) if record else None


@strawberry.type(
    description="Someone who can see the consumer now, and every grant that lets them."
)
class AccessReportEntry:
    entry: strawberry.Private[ReportEntry]
    internal: bool = strawberry.field(
        description="Whether it is an internal user (staff), shown even when `user` is not."
    )
    grants: list[AccessReportGrant] = strawberry.field(
        description="Every grant that lets them see the consumer's cases or contact details."
    )

    @classmethod
    def of(cls, e: ReportEntry) -> AccessReportEntry:
        return cls(entry=e, internal=e.internal, grants=[AccessReportGrant.of(g) for g in e.grants])

    @strawberry.field(
        description="The login that has access, when the viewer may see it.",
        extensions=[Visible()],
    )
    async def user(self, info: Info) -> User | None:
        record = await info.context.loaders.get(UserByIdLoader).load(self.entry.user_id)
        return User.from_model(record) if record else None

    @strawberry.field(
        description="The consumer record of that login, when the person is a consumer.",
        extensions=[Visible()],
    )
    async def consumer(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.types import consumer_by_id

        return await consumer_by_id(info, self.entry.consumer_id)


@strawberry.type(description="Who can see a consumer now, and why.")
class AccessReport:
    consumer_id: strawberry.Private[int | None]
    entries: list[AccessReportEntry] = strawberry.field(
        description="One per login that can see the consumer's cases or contact details: "
        "consumers first, then internal users (every internal user reads contact details)."
    )

    @strawberry.field(
        description="The consumer reported on; null, with no entries, for an id that is no "
        "consumer's or one the viewer may not report on.",
        extensions=[Visible()],
    )
    async def consumer(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.types import consumer_by_id

        return await consumer_by_id(info, self.consumer_id)


async def _party_node(info: Info, pk: int) -> RelatedParty | None:
    record = await models.RelatedParty.get_or_none(id=pk)
    return RelatedParty.from_model(record) if record else None


async def _relationship_type_node(info: Info, pk: int) -> RelationshipType | None:
    record = await info.context.loaders.get(RelationshipTypeByIdLoader).load(pk)
    return RelationshipType.from_model(record) if record else None


register_node("RelatedParty", _party_node)
register_node("Department", _department)
register_node("Responsibility", _responsibility)
register_node("RelationshipType", _relationship_type_node)
