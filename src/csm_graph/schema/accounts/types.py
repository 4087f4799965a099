"""GraphQL types of the accounts domain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.accounts import models
from csm_graph.schema.accounts.loaders import (
    MembersByTeamIdLoader,
    RolesByUserIdLoader,
    TeamByIdLoader,
    TeamsByUserIdLoader,
    UserByIdLoader,
)
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Guard, Visible
from csm_graph.schema.policy import admin_or_self, internal_or_self

if TYPE_CHECKING:
    from csm_graph.schema.consumers.types import Consumer

# Registered with Strawberry once; annotations use the domain enums themselves.
register_enum(
    models.UserType,
    name="UserType",
    description="INTERNAL users work for the business; EXTERNAL users are consumers.",
    values={
        models.UserType.INTERNAL: "Works for the business: an agent, a manager or an admin.",
        models.UserType.EXTERNAL: "A consumer's login, from the portal or the mobile app.",
    },
)
register_enum(
    models.RoleName,
    name="Role",
    description="A role an internal user holds.",
    values={
        models.RoleName.ADMIN: "Manages users, teams, roles and every record.",
        models.RoleName.MANAGER: "Leads teams and oversees their agents' work.",
        models.RoleName.AGENT: "Works with consumers and their records.",
    },
)
UserType = models.UserType
Role = models.RoleName


@strawberry.type(name="User", description="A login: an agent, a manager, an admin or a consumer.")
class User(Node):
    model: strawberry.Private[models.User]
    db_id: strawberry.Private[int]
    manager_id: strawberry.Private[int | None]
    prefix: str = strawberry.field(description="Name prefix, such as Ms. or Dr.")
    first_name: str = strawberry.field(description="Given name.")
    middle_name: str = strawberry.field(description="Middle name or initial.")
    last_name: str = strawberry.field(description="Family name.")
    suffix: str = strawberry.field(description="Name suffix, such as Jr.")
    full_name: str = strawberry.field(description="The name parts joined; read-only.")
    user_type: UserType = strawberry.field(description="INTERNAL or EXTERNAL.")
    title: str = strawberry.field(description="Job title (internal users).")
    email: str | None = strawberry.field(
        description="Login email (lower-cased). Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    phone: str | None = strawberry.field(
        description="Phone in E.164. Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    is_active: bool | None = strawberry.field(
        description="Whether the user may log in. Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    email_verified: bool | None = strawberry.field(
        description="Whether the email was confirmed. Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    last_login_at: dt.datetime | None = strawberry.field(
        description="When the user last logged in. Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    department: str | None = strawberry.field(
        description="Department (internal users). Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    employee_id: str | None = strawberry.field(
        description="Employee id (internal users; null when none). Internal users and the "
        "user only.",
        extensions=[Guard(internal_or_self)],
    )
    is_service_account: bool | None = strawberry.field(
        description="Whether this is a service account, acting through API tokens only. "
        "Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )
    api_tokens_allowed: bool | None = strawberry.field(
        description="Whether an administrator lets the user make personal API tokens. "
        "Internal users and the user only.",
        extensions=[Guard(internal_or_self)],
    )

    @classmethod
    def from_model(cls, user: models.User) -> User:
        return cls(
            id=to_global_id("User", user.id),
            model=user,
            db_id=user.id,
            manager_id=user.manager_id,
            prefix=user.prefix,
            first_name=user.first_name,
            middle_name=user.middle_name,
            last_name=user.last_name,
            suffix=user.suffix,
            full_name=user.full_name,
            user_type=user.user_type,
            title=user.title,
            email=user.email,
            phone=user.phone,
            is_active=user.is_active,
            email_verified=user.email_verified,
            last_login_at=user.last_login_at,
            department=user.department,
            employee_id=user.employee_id,
            is_service_account=user.is_service_account,
            api_tokens_allowed=user.api_tokens_allowed,
        )

    @strawberry.field(
        description="Roles held. Administrators and the user only.",
        extensions=[Guard(admin_or_self)],
    )
    async def roles(self, info: Info) -> list[Role]:
        names = await info.context.loaders.get(RolesByUserIdLoader).load(self.db_id)
        return [models.RoleName(n) for n in names]

    @strawberry.field(
        description="Teams the user belongs to. Internal users and the user only.",
        extensions=[Guard(internal_or_self), Visible()],
    )
    async def teams(self, info: Info) -> list[Team]:
        teams = await info.context.loaders.get(TeamsByUserIdLoader).load(self.db_id)
        return [Team.from_model(t) for t in teams]

    @strawberry.field(
        description="The user's manager. Internal users and the user only.",
        extensions=[Guard(internal_or_self), Visible()],
    )
    async def manager(self, info: Info) -> User | None:
        if self.manager_id is None:
            return None
        manager = await info.context.loaders.get(UserByIdLoader).load(self.manager_id)
        return User.from_model(manager) if manager else None

    @strawberry.field(
        description="The consumer record linked to this login. Administrators and the user only.",
        extensions=[Guard(admin_or_self), Visible()],
    )
    async def consumer(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.loaders import ConsumerByUserIdLoader
        from csm_graph.schema.consumers.types import consumer_object

        record = await info.context.loaders.get(ConsumerByUserIdLoader).load(self.db_id)
        return await consumer_object(info, record)

    @strawberry.field(
        description="Whom this user may open a case for, themselves first: their own "
        "consumer record, the current members of households they head and the consumers "
        "they represent; with `householdId`, only that household's current members. "
        "Internal users get the household's current members, and nothing without one. "
        "Answered for the viewer only (empty for anyone else).",
        extensions=[Visible()],
    )
    async def case_subjects(
        self,
        info: Info,
        household_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The household chosen first, if any."),
        ] = None,
    ) -> list[Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")]]:
        from csm_graph.cases.subjects import case_subjects
        from csm_graph.schema.consumers.types import consumer_object
        from csm_graph.schema.node import decode_filter_id

        subject = await info.context.subject()
        if subject is None or subject.viewer.user_id != self.db_id:
            return []
        household = decode_filter_id(household_id, "Household") if household_id else None
        found = []
        for record in await case_subjects(subject, household):
            consumer = await consumer_object(info, record)
            assert consumer is not None
            found.append(consumer)
        return found


@strawberry.type(name="Team", description="A group of internal users who work cases together.")
class Team(Node):
    model: strawberry.Private[models.Team]
    db_id: strawberry.Private[int]
    name: str = strawberry.field(description="Unique team name.")

    @classmethod
    def from_model(cls, team: models.Team) -> Team:
        return cls(id=to_global_id("Team", team.id), model=team, db_id=team.id, name=team.name)

    @strawberry.field(description="The team's members.", extensions=[Visible()])
    async def members(self, info: Info) -> list[User]:
        users = await info.context.loaders.get(MembersByTeamIdLoader).load(self.db_id)
        return [User.from_model(u) for u in users]


async def _user_node(info: Info, pk: int) -> User | None:
    user = await info.context.loaders.get(UserByIdLoader).load(pk)
    return User.from_model(user) if user else None


async def _team_node(info: Info, pk: int) -> Team | None:
    team = await info.context.loaders.get(TeamByIdLoader).load(pk)
    return Team.from_model(team) if team else None


register_node("User", _user_node)
register_node("Team", _team_node)
