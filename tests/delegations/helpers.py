"""Helpers for delegation tests: consumers with logins, invitations, their links."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

import httpx

from csm_graph import clock
from csm_graph.access.engine import load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.schema.node import to_global_id
from tests.schema.consumers.helpers import link_token, make_consumer
from tests.support import GraphQLClient, login, make_user

INVITE = """
mutation Invite($input: DelegationInviteInput!) {
  delegationInvite(input: $input) {
    delegation { id email scope endsOn status consumer { id } delegate { id } }
    errors { field message code }
  }
}
"""
ACCEPT = """
mutation Accept($input: DelegationAcceptInput!) {
  delegationAccept(input: $input) {
    delegation { id status scope endsOn acceptedAt consumer { id } delegate { id } }
    errors { field message code }
  }
}
"""
END = """
mutation End($input: DelegationEndInput!) {
  delegationEnd(input: $input) {
    delegation { id status endedAt }
    errors { field message code }
  }
}
"""
MINE = "{ delegations { id email status scope endsOn consumer { id } delegate { id } } }"
CASE = """
query Case($id: ID!) {
  node(id: $id) { ... on Case { id number viewerCan { read comment close } } }
}
"""
INVITE_SUBJECT = "asks you to act for them"


def gid(type_name: str, pk: int) -> str:
    return str(to_global_id(type_name, pk))


async def consumer_with_login(http: httpx.AsyncClient, name: str) -> tuple[Consumer, GraphQLClient]:
    """A consumer `name` with a verified login `name@example.com`, logged in."""
    email = f"{name}@example.com"
    user = await make_user(email, user_type=UserType.EXTERNAL)
    consumer = await make_consumer(first_name=name.title(), last_name="Doe", email=email)
    consumer.user_id = user.id
    await consumer.save()
    return consumer, await login(http, email)


async def case_about(consumer: Consumer, short_description: str = "Bill is wrong") -> Case:
    """A case about `consumer`, opened by an administrator."""
    admin = await make_user(f"intake{consumer.id}@example.com", roles=("ADMIN",))
    subject = await load_subject(
        Viewer(user_id=admin.id, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))
    )
    draft = CaseDraft(short_description=short_description, consumer_id=consumer.id)
    return await cases.create_case(subject, draft)


def ends_in(days: int) -> str:
    return (clock.today() + dt.timedelta(days=days)).isoformat()


async def invite(
    client: GraphQLClient, email: str, *, scope: str = "READ_AND_ACT", days: int = 30
) -> dict[str, Any]:
    """The `delegationInvite` payload."""
    variables = {"input": {"email": email, "scope": scope, "endsOn": ends_in(days)}}
    payload: dict[str, Any] = (await client.data(INVITE, variables))["delegationInvite"]
    return payload


def invitation_token(messages: list[EmailMessage], to: str) -> str:
    """The token of the last invitation mailed to `to`."""
    invitations = [m for m in messages if m["To"] == to and INVITE_SUBJECT in m["Subject"]]
    assert invitations, [(m["To"], m["Subject"]) for m in messages]
    return link_token(invitations[-1])


async def accept(client: GraphQLClient, token: str) -> dict[str, Any]:
    """The `delegationAccept` payload."""
    payload: dict[str, Any] = (await client.data(ACCEPT, {"input": {"token": token}}))[
        "delegationAccept"
    ]
    return payload


async def end(client: GraphQLClient, delegation_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await client.data(END, {"input": {"id": delegation_id}}))[
        "delegationEnd"
    ]
    return payload


async def reads(client: GraphQLClient, case: Case) -> dict[str, Any] | None:
    """The case as `client` sees it through `node`; None when it is out of sight."""
    node: dict[str, Any] | None = (await client.data(CASE, {"id": gid("Case", case.id)}))["node"]
    return node
