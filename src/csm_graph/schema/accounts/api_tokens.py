"""Service accounts and API tokens in the schema: their type, inputs, the
listing and the mutations (rules in `accounts.api_tokens`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from csm_graph.accounts import api_tokens
from csm_graph.accounts import models as account_models
from csm_graph.accounts.api_tokens import ServiceAccountDraft
from csm_graph.schema.accounts.types import Role, User
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import (
    Node,
    decode_filter_id,
    decode_id,
    decode_optional_id,
    register_node,
    to_global_id,
)
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, IsAuthenticated, Visible, restricted_field


@strawberry.type(
    name="ApiToken",
    description="A long-lived bearer token of a service account or a person: what it "
    "is called and when it was used, never the secret itself.",
)
class ApiToken(Node):
    model: strawberry.Private[account_models.ApiToken]
    owner_id: strawberry.ID = strawberry.field(description="The id of the user it acts as.")
    name: str = strawberry.field(description="What the token is for.")
    prefix: str = strawberry.field(
        description="The token's first characters (`csm_` and 8 more), to tell it apart."
    )
    created_at: dt.datetime = strawberry.field(description="When it was made.")
    expires_at: dt.datetime | None = strawberry.field(
        description="When it stops working; null: never."
    )
    last_used_at: dt.datetime | None = strawberry.field(
        description="When a request last came with it, to the minute; null: never used."
    )
    revoked_at: dt.datetime | None = strawberry.field(
        description="When it was revoked (by hand, or with its owner's sessions); null: not."
    )

    @classmethod
    def from_model(cls, row: account_models.ApiToken) -> ApiToken:
        return cls(
            id=to_global_id("ApiToken", row.id),
            model=row,
            owner_id=to_global_id("User", row.user_id),
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


async def _api_token_node(info: Info, pk: int) -> ApiToken | None:
    row = await account_models.ApiToken.get_or_none(id=pk)
    return ApiToken.from_model(row) if row else None


register_node("ApiToken", _api_token_node)


@strawberry.input(description="A new service account (administrators).")
class ServiceAccountCreateInput:
    name: str = strawberry.field(description="What the account is for, shown as its name.")
    email: str = strawberry.field(
        description="A unique address for the notifications the account would get "
        "(such as its owner's team mailbox); never used to log in."
    )
    roles: list[Role] = strawberry.field(default_factory=list, description="Roles it holds.")
    team_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Teams it works in."
    )


@strawberry.input(description="A new API token.")
class ApiTokenCreateInput:
    name: str = strawberry.field(description="What the token is for.")
    user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The service account it is for (administrators); without one, a "
        "personal token of the viewer, when an administrator allowed them.",
    )
    expires_at: dt.datetime | None = strawberry.field(
        default=None, description="When it stops working; without one, never."
    )


@strawberry.input(description="The API token to revoke.")
class ApiTokenRevokeInput:
    id: strawberry.ID = strawberry.field(description="The token (administrators, or its owner).")


@strawberry.type(description="A service account, or why none was made.")
class ServiceAccountPayload:
    user: User | None = strawberry.field(
        extensions=[Visible()], default=None, description="The service account as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="An API token, or why the change was refused.")
class ApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(
        extensions=[Visible()], default=None, description="The token as saved."
    )
    token: str | None = strawberry.field(
        default=None,
        description="The secret, from `apiTokenCreate` only: shown this once, never "
        "again. Send as `Authorization: Bearer <token>`.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class ApiTokensQuery:
    @restricted_field(
        "API tokens, newest first: administrators see anyone's, others their own.",
        IsAuthenticated,
        extensions=[Visible()],
    )
    async def api_tokens(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this user's tokens."),
        ] = None,
    ) -> Connection[ApiToken]:
        viewer = info.context.viewer
        assert viewer is not None
        queryset = account_models.ApiToken.all()
        if not viewer.is_admin:
            queryset = queryset.filter(user_id=viewer.user_id)
        if user_id is not None:
            queryset = queryset.filter(user_id=decode_filter_id(user_id, "User"))
        return await paginate(
            queryset,
            lambda rows: [ApiToken.from_model(r) for r in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )


@strawberry.type
class ApiTokensMutation:
    @mutation(
        "Create a service account: an internal user with roles and teams that acts "
        "through API tokens only, never a password.",
        IsAdmin,
    )
    async def service_account_create(
        self, info: Info, input: ServiceAccountCreateInput
    ) -> ServiceAccountPayload:
        draft = ServiceAccountDraft(
            name=input.name,
            email=input.email,
            roles=[r.value for r in input.roles],
            team_ids=[decode_id("teamIds", t, "Team") for t in input.team_ids],
        )
        user = await api_tokens.create_service_account(info.context.viewer, draft)
        return ServiceAccountPayload(user=User.from_model(user))

    @mutation(
        "Make an API token: for a service account (administrators), or a personal "
        "one when an administrator allowed it. The secret is in the payload this once.",
        IsAuthenticated,
    )
    async def api_token_create(self, info: Info, input: ApiTokenCreateInput) -> ApiTokenPayload:
        issued = await api_tokens.create_api_token(
            info.context.viewer,
            input.name,
            user_id=decode_optional_id("userId", input.user_id, "User"),
            expires_at=input.expires_at,
        )
        return ApiTokenPayload(api_token=ApiToken.from_model(issued.row), token=issued.secret)

    @mutation(
        "Revoke an API token (administrators, or its owner): it fails on the next "
        "request, and sockets opened with it close.",
        IsAuthenticated,
    )
    async def api_token_revoke(self, info: Info, input: ApiTokenRevokeInput) -> ApiTokenPayload:
        token_id = decode_id("id", input.id, "ApiToken")
        row = await api_tokens.revoke_api_token(info.context.viewer, token_id)
        return ApiTokenPayload(api_token=ApiToken.from_model(row))
