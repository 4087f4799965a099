"""Mutations of the accounts domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.accounts import models, sessions, users
from csm_graph.accounts.users import UserChanges, UserDraft
from csm_graph.accounts.viewer import load_viewer
from csm_graph.schema.accounts.inputs import (
    LoginInput,
    LogoutInput,
    TeamCreateInput,
    TeamMemberAddInput,
    TokenRefreshInput,
    UserCreateInput,
    UserUpdateInput,
)
from csm_graph.schema.accounts.types import Team, User
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.inputs import given
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
from csm_graph.schema.permissions import IsAdmin, IsAuthenticated, Visible


@strawberry.type(description="A session: tokens and the user, or why there is none.")
class AuthPayload:
    access_token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`; short-lived."
    )
    access_token_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="When the access token stops working."
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="Exchange with `tokenRefresh`; single use."
    )
    user: User | None = strawberry.field(
        extensions=[Visible()], default=None, description="The logged-in user."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why no session was opened."
    )

    @classmethod
    async def of(cls, info: Info, session: sessions.Session) -> AuthPayload:
        # From here on this request speaks for the user who just logged in,
        # so the payload's user shows what the user may see of themselves.
        info.context.act_as(await load_viewer(session.user.id))
        return cls(
            access_token=session.access_token,
            access_token_expires_at=session.access_expires_at,
            refresh_token=session.refresh_token,
            user=User.from_model(session.user),
        )


@strawberry.type(description="The outcome of `logout`.")
class LogoutPayload:
    revoked: bool = strawberry.field(description="Whether a live session was ended.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="A user, or why the change was refused.")
class UserPayload:
    user: User | None = strawberry.field(
        extensions=[Visible()], default=None, description="The user as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")

    @classmethod
    def of(cls, user: models.User) -> UserPayload:
        return cls(user=User.from_model(user))


@strawberry.type(description="A team, or why the change was refused.")
class TeamPayload:
    team: Team | None = strawberry.field(
        extensions=[Visible()], default=None, description="The team as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")

    @classmethod
    def of(cls, team: models.Team) -> TeamPayload:
        return cls(team=Team.from_model(team))


def _ids(field: str, values: list[strawberry.ID], type_name: str) -> list[int]:
    return [decode_id(field, v, type_name) for v in values]


@strawberry.type
class AccountsMutation:
    @mutation("Log in with email and password.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        session = await sessions.login(input.email, input.password, info.context.client_address)
        return await AuthPayload.of(info, session)

    @mutation("Exchange a refresh token for a new session (rotation).")
    async def token_refresh(self, info: Info, input: TokenRefreshInput) -> AuthPayload:
        return await AuthPayload.of(info, await sessions.refresh(input.refresh_token))

    @mutation(
        "End a session: its refresh and access tokens stop working; with "
        "`everywhere`, every session of the user."
    )
    async def logout(self, info: Info, input: LogoutInput) -> LogoutPayload:
        revoked = await sessions.logout(input.refresh_token, everywhere=input.everywhere)
        return LogoutPayload(revoked=revoked)

    @mutation("Create a user.", IsAdmin)
    async def user_create(self, info: Info, input: UserCreateInput) -> UserPayload:
        data = given(input)
        data["team_ids"] = _ids("teamIds", input.team_ids, "Team")
        data["manager_id"] = decode_optional_id("managerId", input.manager_id, "User")
        return UserPayload.of(await users.create_user(info.context.viewer, UserDraft(**data)))

    @mutation(
        "Change a user: administrators any field; a user their own name, phone and password.",
        IsAuthenticated,
    )
    async def user_update(self, info: Info, input: UserUpdateInput) -> UserPayload:
        user_id = decode_id("id", input.id, "User")
        data = given(input)
        data.pop("id")
        if isinstance(data.get("team_ids"), list):
            data["team_ids"] = _ids("teamIds", data["team_ids"], "Team")
        if data.get("manager_id"):
            data["manager_id"] = decode_id("managerId", data["manager_id"], "User")
        return UserPayload.of(
            await users.update_user(info.context.viewer, user_id, UserChanges(**data))
        )

    @mutation("Create a team.", IsAdmin)
    async def team_create(self, info: Info, input: TeamCreateInput) -> TeamPayload:
        member_ids = _ids("memberIds", input.member_ids, "User")
        return TeamPayload.of(await users.create_team(info.context.viewer, input.name, member_ids))

    @mutation("Add an internal user to a team.", IsAdmin)
    async def team_member_add(self, info: Info, input: TeamMemberAddInput) -> TeamPayload:
        team_id = decode_id("teamId", input.team_id, "Team")
        user_id = decode_id("userId", input.user_id, "User")
        return TeamPayload.of(await users.add_team_member(info.context.viewer, team_id, user_id))
