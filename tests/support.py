"""Test helpers: a GraphQL client over real HTTP, and factories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from csm_graph import db
from csm_graph.accounts import users
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.users import UserDraft
from csm_graph.accounts.viewer import Viewer
from csm_graph.settings import get_settings

PASSWORD = "correct horse battery staple"


@dataclass
class GraphQLClient:
    """Speaks GraphQL over HTTP to the test server, as one user (or anonymously)."""

    http: httpx.AsyncClient
    token: str | None = None
    refresh_token: str | None = None
    user: User | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=self.headers(), **kw)

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response body; fails the test on an HTTP error status."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        result = await self.execute(query, variables)
        assert "errors" not in result, result
        data: dict[str, Any] = result["data"]
        return data


LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken refreshToken accessTokenExpiresAt
    user { id email }
    errors { field message code }
  }
}
"""


async def login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> GraphQLClient:
    client = GraphQLClient(http)
    payload = (await client.data(LOGIN, {"input": {"email": email, "password": password}}))["login"]
    assert payload["errors"] == [], payload
    client.token = payload["accessToken"]
    client.refresh_token = payload["refreshToken"]
    client.user = await User.get(email=email.lower())
    return client


async def make_user(
    email: str,
    *,
    roles: tuple[str, ...] = (),
    user_type: UserType = UserType.INTERNAL,
    password: str = PASSWORD,
    verified: bool = True,
    **fields: Any,
) -> User:
    """A user written straight through the service layer (no HTTP)."""
    admin = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))
    user = await users.create_user(
        admin,
        UserDraft(
            email=email,
            first_name=fields.pop("first_name", "Test"),
            last_name=fields.pop("last_name", email.split("@")[0].title()),
            user_type=user_type,
            roles=list(roles),
            password=password,
            **fields,
        ),
    )
    if not verified:
        user.email_verified = False
        await user.save(update_fields=["email_verified"])
    return user


async def planner_rows(table: str) -> int | None:
    """The row count the query planner believes `table` has (None: no statistics)."""
    if db.is_postgres(get_settings()):
        rows = await db.fetch("SELECT reltuples FROM pg_class WHERE relname = ?", [table])
        return int(rows[0][0]) if rows and rows[0][0] >= 0 else None
    if not await db.fetch("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"):
        return None
    rows = await db.fetch("SELECT stat FROM sqlite_stat1 WHERE tbl = ?", [table])
    return int(str(rows[0][0]).split()[0]) if rows else None
