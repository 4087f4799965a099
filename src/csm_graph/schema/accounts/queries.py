"""Queries of the accounts domain."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q

from csm_graph.accounts.models import User as UserModel
from csm_graph.schema.accounts.inputs import UserFilter
from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.accounts.types import User
from csm_graph.schema.context import Info
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, Visible, restricted_field
from csm_graph.validation import search_term


@strawberry.type
class AccountsQuery:
    @strawberry.field(
        description="The logged-in user; null when anonymous.", extensions=[Visible()]
    )
    async def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        user = await info.context.loaders.get(UserByIdLoader).load(viewer.user_id)
        return User.from_model(user) if user else None

    @restricted_field(
        "Every user, filtered.",
        IsAdmin,
        extensions=[Visible()],
    )
    async def users(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            UserFilter | None, strawberry.argument(description="Which users to list.")
        ] = None,
    ) -> Connection[User]:
        queryset = UserModel.all()
        if filter is not None:
            if filter.search:
                term = search_term(filter.search)
                queryset = queryset.filter(
                    Q(email__icontains=term)
                    | Q(first_name__icontains=term)
                    | Q(last_name__icontains=term)
                )
            if filter.user_type is not None:
                queryset = queryset.filter(user_type=filter.user_type)
            if filter.role is not None:
                queryset = queryset.filter(roles__name=filter.role.value)
            if filter.is_active is not None:
                queryset = queryset.filter(is_active=filter.is_active)
        return await paginate(
            queryset,
            lambda rows: [User.from_model(u) for u in rows],
            first=first,
            after=after,
            last=last,
            before=before,
        )
