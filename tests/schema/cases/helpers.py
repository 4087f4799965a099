"""A small world for case tests: one household and the people around it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import httpx

from csm_graph.access.engine import load_subject
from csm_graph.accounts import users as accounts
from csm_graph.accounts.models import Team, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Household, Relationship
from csm_graph.schema.node import to_global_id
from tests.schema.consumers.helpers import STAFF, make_consumer
from tests.schema.households.helpers import join, make_household, represent
from tests.support import GraphQLClient, login, make_user


def gid(type_name: str, pk: int) -> str:
    return str(to_global_id(type_name, pk))


@dataclass
class World:
    household: Household
    team: Team
    head: Consumer
    member: Consumer
    """A non-head member; the consumer most cases here are about."""
    other: Consumer
    """A second non-head member of the household."""
    representative: Consumer
    stranger: Consumer
    clients: dict[str, GraphQLClient]
    ids: dict[str, int]

    def client(self, name: str) -> GraphQLClient:
        return self.clients[name]


async def _consumer_login(name: str, **values: Any) -> tuple[Consumer, str]:
    email = f"{name}@example.com"
    user = await make_user(email, user_type=UserType.EXTERNAL)
    consumer = await make_consumer(first_name=name.title(), last_name="Doe", email=email, **values)
    consumer.user_id = user.id
    await consumer.save()
    return consumer, email


async def make_world(http: httpx.AsyncClient) -> World:
    household = await make_household("The Does")
    head, _ = await _consumer_login("head")
    member, _ = await _consumer_login("member")
    other, _ = await _consumer_login("other")
    representative, _ = await _consumer_login("rep")
    stranger, _ = await _consumer_login("stranger")
    await join(household, head, Relationship.HEAD)
    await join(household, member, Relationship.CHILD)
    await join(household, other, Relationship.SPOUSE)
    await represent(representative, member)

    manager = await make_user("manager@example.com", roles=("MANAGER",))
    agent = await make_user("agent@example.com", roles=("AGENT",), manager_id=manager.id)
    await make_user("outsider@example.com", roles=("AGENT",))
    admin = await make_user("admin@example.com", roles=("ADMIN",))
    # Opens the cases of these tests: an agent keeps the cases they opened, so
    # the viewers under test must not be the opener.
    intake = await make_user("intake@example.com", roles=("ADMIN",))
    team = await accounts.create_team(STAFF, "Care", [agent.id])

    names = ("head", "member", "other", "rep", "stranger", "agent", "outsider", "manager", "admin")
    clients = {name: await login(http, f"{name}@example.com") for name in names}
    clients["anonymous"] = GraphQLClient(http)
    ids = {"agent": agent.id, "manager": manager.id, "admin": admin.id, "intake": intake.id}
    return World(household, team, head, member, other, representative, stranger, clients, ids)


async def open_case(world: World, **values: Any) -> Case:
    """A case about `world.member`, in the household, routed to the team."""
    draft = CaseDraft(
        short_description="Router keeps rebooting",
        consumer_id=world.member.id,
        household_id=world.household.id,
        assignment_team_id=world.team.id,
    )
    intake = Viewer(
        user_id=world.ids["intake"], user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"})
    )
    return await cases.create_case(await load_subject(intake), replace(draft, **values))


CASE_FIELDS = """
  id number state version shortDescription priority category channel
  consumer { number } household { number }
  viewerCan { read comment attach acceptSolution rejectSolution close work }
"""
