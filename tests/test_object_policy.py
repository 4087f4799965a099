"""The triad for every field that returns an object: anonymous, a viewer the
object's rule lets see it, and one it does not, over HTTP and over a WebSocket.

Every Node type must have a rule (`access/policy.py`) and a `node(id:)`
resolver, and every field returning such objects must carry `Visible`; the
fields are found by walking the schema, so a new type or field without a rule
or a triad here fails the suite.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType, get_named_type

from csm_graph import clock
from csm_graph.access import policy
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import ApiToken, User, UserType
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer, ImportJob
from csm_graph.delegations.models import Delegation, DelegationScope, DelegationState
from csm_graph.households.models import HouseholdMember, Relationship, Representation
from csm_graph.privacy.models import ErasureRequest
from csm_graph.products.models import SoldProduct
from csm_graph.schema import build_schema
from csm_graph.schema.node import _resolvers, to_global_id
from csm_graph.schema.permissions import Visible
from csm_graph.settings import Settings
from csm_graph.sla.models import SlaTarget
from csm_graph.surveys.models import Survey
from tests.schema.cases.helpers import World, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import join, represent
from tests.support import GraphQLClient, login, make_user
from tests.ws import open_socket, subscribers, until

SCHEMA = build_schema(Settings())
NODE_TYPES = sorted(
    t.name
    for t in SCHEMA._schema.type_map.values()
    if isinstance(t, GraphQLObjectType) and SCHEMA._schema.type_map["Node"] in t.interfaces
)


def _object_fields() -> list[str]:
    """`Type.field` for every field returning a Node, a list of them or a page."""
    found = []
    for graphql_type in SCHEMA._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type.name.endswith("Edge"):
            continue  # an edge's node: its page's field carries the rule
        for name, field in graphql_type.fields.items():
            target = get_named_type(field.type)
            if target.name in NODE_TYPES or target.name == "Node" or _pages_nodes(target):
                found.append(f"{graphql_type.name}.{name}")
    return sorted(found)


def _pages_nodes(graphql_type: Any) -> bool:
    """Whether `graphql_type` is a connection whose edges hold Node objects,
    whatever it is called (`CaseConnection`, `ConsumerImportConnection`, ...)."""
    if not isinstance(graphql_type, GraphQLObjectType) or "edges" not in graphql_type.fields:
        return False
    edge = get_named_type(graphql_type.fields["edges"].type)
    assert isinstance(edge, GraphQLObjectType)
    return get_named_type(edge.fields["node"].type).name in NODE_TYPES


OBJECT_FIELDS = _object_fields()


def _extensions(qualified: str) -> list[Any]:
    type_name, field_name = qualified.split(".")
    field = SCHEMA._schema.type_map[type_name].fields[field_name]  # type: ignore[union-attr]
    return list(field.extensions["strawberry-definition"].extensions)


def _model_of(type_name: str) -> type:
    origin = SCHEMA._schema.type_map[type_name].extensions["strawberry-definition"].origin
    hints = typing.get_type_hints(origin, include_extras=True)
    assert "model" in hints, f"{type_name} carries no `model` for its rule"
    model: type = typing.get_args(hints["model"])[0]
    return model


@pytest.mark.parametrize("type_name", NODE_TYPES)
def test_every_node_type_has_a_rule_and_a_node_resolver(type_name: str) -> None:
    assert _model_of(type_name) in policy.RULES, f"no rule in access/policy.py for {type_name}"
    assert type_name in _resolvers, f"`node(id:)` cannot load a {type_name}"


@pytest.mark.parametrize("qualified", OBJECT_FIELDS)
def test_every_object_field_asks_the_rule(qualified: str) -> None:
    assert any(isinstance(e, Visible) for e in _extensions(qualified)), (
        f"{qualified} returns objects without the Visible extension"
    )


# --- the world ------------------------------------------------------------------------


@dataclass
class Scene:
    world: World
    ids: dict[str, str]
    """Global ids of the objects the triads look for, by name."""

    def client(self, name: str) -> GraphQLClient:
        return self.world.client(name)


def _gid(type_name: str, pk: int) -> str:
    return str(to_global_id(type_name, pk))


async def _scene(http: httpx.AsyncClient) -> Scene:
    """The case world (tests/schema/cases/helpers.py) and around it: a product on
    the case and one off it with two parties, a guarantor, a listed user party,
    comments and a work note, activity, a file, a past member, whom the member
    represents, a closed case's survey, a case of the head and an import."""
    world = await make_world(http)
    ids: dict[str, str] = {}
    grandma = await make_consumer(first_name="Grand", last_name="Ma")
    await represent(world.member, grandma)
    ex = await make_consumer(first_name="Ex", last_name="Member")
    await join(world.household, ex, Relationship.OTHER)
    await HouseholdMember.filter(consumer_id=ex.id).update(end_date=clock.today())
    broker_user = await make_user("broker@example.com", user_type=UserType.EXTERNAL)
    broker = await make_consumer(first_name="Bro", last_name="Ker", email="broker@example.com")
    await Consumer.filter(id=broker.id).update(user_id=broker_user.id)
    world.clients["broker"] = await login(http, "broker@example.com")

    loan = await SoldProduct.create(
        name="Loan", serial_number="L-1", owner_id=world.member.id, household_id=world.household.id
    )
    card = await SoldProduct.create(
        name="Card", serial_number="C-1", owner_id=world.member.id, household_id=world.household.id
    )
    case = await open_case(world, sold_product_id=loan.id)
    await Case.filter(id=case.id).update(assigned_to_id=world.ids["agent"])
    kinds = {t.name: t.id for t in await RelationshipType.all()}
    duties = {r.name: r.id for r in await Responsibility.all()}
    guarantor = await RelatedParty.create(
        case_id=case.id,
        consumer_id=world.stranger.id,
        relationship_type_id=kinds["guarantor"],
        responsibility_id=duties["case collaborator"],
    )
    listed = await RelatedParty.create(
        case_id=case.id, user_id=world.ids["manager"], relationship_type_id=kinds["attorney"]
    )
    finance = await RelatedParty.create(
        sold_product_id=card.id,
        consumer_id=broker.id,
        relationship_type_id=kinds["finance contact"],
        responsibility_id=duties["case viewer"],
    )
    other_party = await RelatedParty.create(
        sold_product_id=card.id,
        consumer_id=grandma.id,
        relationship_type_id=kinds["listed consumer"],
    )
    finance_department = await Department.create(name="Finance", key="finance")
    await User.filter(id=world.ids["intake"]).update(department="Finance")
    team_party = await RelatedParty.create(
        sold_product_id=card.id,
        team_id=world.team.id,
        relationship_type_id=kinds["listed consumer"],
    )
    department_party = await RelatedParty.create(
        sold_product_id=card.id,
        department_id=finance_department.id,
        relationship_type_id=kinds["listed consumer"],
    )
    public = await CaseComment.create(
        case_id=case.id,
        body="Try this",
        author_id=world.ids["agent"],
        on_behalf_of_id=world.member.id,
    )
    member_user_id = (await Consumer.get(id=world.member.id)).user_id
    member_comment = await CaseComment.create(
        case_id=case.id, body="Thanks", author_id=member_user_id
    )
    note = await CaseComment.create(
        case_id=case.id, body="Internal", work_note=True, author_id=world.ids["agent"]
    )
    shown = await CaseActivity.create(
        case_id=case.id,
        kind=ActivityKind.COMMENTED,
        actor_id=world.ids["agent"],
        on_behalf_of_id=world.member.id,
    )
    hidden = await CaseActivity.create(
        case_id=case.id,
        kind=ActivityKind.WORK_NOTE_ADDED,
        internal=True,
        actor_id=world.ids["agent"],
    )
    attachment = await CaseAttachment.create(
        case_id=case.id,
        file_name="a.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        storage_key="triad-key",
    )
    closed = await open_case(world, short_description="Done")
    await Case.filter(id=closed.id).update(state=CaseState.CLOSED)
    heads = await open_case(world, consumer_id=world.head.id, short_description="The head's")
    survey = await Survey.create(
        case_id=closed.id, consumer_id=world.member.id, created_at=clock.now(), rating=5
    )
    job = await ImportJob.create(source="number\n", file_name="c.csv")
    member_user = (await Consumer.get(id=world.member.id)).user_id
    erasure = await ErasureRequest.create(consumer_id=world.member.id, requested_by_id=member_user)
    audit_event = await AuditEvent.filter(kind=AuditKind.LOGIN_SUCCEEDED).order_by("id").first()
    assert audit_event is not None, "logging in records an event"
    sla_target = await SlaTarget.all().order_by("id").first()
    assert sla_target is not None, "the migration seeds the SLA targets"
    memberships = {
        m.consumer_id: m.id for m in await HouseholdMember.filter(household_id=world.household.id)
    }
    representations = {
        r.consumer_id: r.id for r in await Representation.filter(representative_id__isnull=False)
    }
    agent_token = await ApiToken.create(
        user_id=world.ids["agent"],
        name="t",
        prefix="csm_t",
        token_hash="1" * 64,
        created_at=clock.now(),
    )
    delegation = await Delegation.create(
        consumer_id=world.member.id,
        delegate_id=world.representative.id,
        representation_id=representations[world.member.id],
        email="rep@example.com",
        scope=DelegationScope.READ_AND_ACT,
        ends_on=clock.today() + dt.timedelta(days=30),
        state=DelegationState.ACCEPTED,
        token_expires_at=clock.now(),
        created_at=clock.now(),
        accepted_at=clock.now(),
    )
    ids.update(
        delegation=_gid("Delegation", delegation.id),
        case=_gid("Case", case.id),
        member=_gid("Consumer", world.member.id),
        stranger=_gid("Consumer", world.stranger.id),
        grandma=_gid("Consumer", grandma.id),
        ex=_gid("Consumer", ex.id),
        representative=_gid("Consumer", world.representative.id),
        household=_gid("Household", world.household.id),
        loan=_gid("SoldProduct", loan.id),
        card=_gid("SoldProduct", card.id),
        guarantor=_gid("RelatedParty", guarantor.id),
        listed=_gid("RelatedParty", listed.id),
        finance=_gid("RelatedParty", finance.id),
        other_party=_gid("RelatedParty", other_party.id),
        team_party=_gid("RelatedParty", team_party.id),
        department_party=_gid("RelatedParty", department_party.id),
        department=_gid("Department", finance_department.id),
        public=_gid("CaseComment", public.id),
        member_comment=_gid("CaseComment", member_comment.id),
        note=_gid("CaseComment", note.id),
        shown=_gid("CaseActivity", shown.id),
        hidden=_gid("CaseActivity", hidden.id),
        attachment=_gid("CaseAttachment", attachment.id),
        survey=_gid("Survey", survey.id),
        job=_gid("ImportJob", job.id),
        erasure=_gid("ErasureRequest", erasure.id),
        audit_event=_gid("AuditEvent", audit_event.id),
        sla_target=_gid("SlaTarget", sla_target.id),
        team=_gid("Team", world.team.id),
        agent=_gid("User", world.ids["agent"]),
        manager=_gid("User", world.ids["manager"]),
        intake=_gid("User", world.ids["intake"]),
        member_user=_gid("User", member_user_id or 0),
        closed=_gid("Case", closed.id),
        heads=_gid("Case", heads.id),
        number=case.number,
        head_membership=_gid("HouseholdMember", memberships[world.head.id]),
        ex_membership=_gid("HouseholdMember", memberships[ex.id]),
        representation=_gid("Representation", representations[world.member.id]),
        grandma_representation=_gid("Representation", representations[grandma.id]),
        guarantor_type=_gid("RelationshipType", kinds["guarantor"]),
        collaborator=_gid("Responsibility", duties["case collaborator"]),
        agent_token=_gid("ApiToken", agent_token.id),
    )
    return Scene(world, ids)


# --- the triads ---------------------------------------------------------------------------

ON = "query($id: ID!) { node(id: $id) { ... on %s { %s } } }"


@dataclass(frozen=True)
class Triad:
    query: str
    path: tuple[str | int, ...]
    """Where the field's value is, in `data`."""
    target: str
    """The object (a key of `Scene.ids`) the field returns."""
    allowed: str
    """A viewer who reaches the field and sees the object."""
    denied: str | None
    """A viewer who reaches the field (or its root) but may not see the object."""
    why_no_denied: str = ""
    on: str = ""
    """The object (a key of `Scene.ids`) passed as `$id`."""


def via(type_name: str, on: str, selection: str, path: tuple[str | int, ...], **kw: Any) -> Triad:
    return Triad(query=ON % (type_name, selection), path=("node", *path), on=on, **kw)


READERS_SEE_IT = "whoever reads the case sees it (its consumer, its people, its product, its files)"
EVERYONE = "every logged-in user reads the access configuration"
INTERNAL = "teams and surveys are shown to internal users, who see every internal user and consumer"
SAME_RULE = "the object is visible to exactly those who see the parent"

TRIADS: dict[str, Triad] = {
    "Query.node": Triad(
        "query($id: ID!) { node(id: $id) { id } }",
        ("node",),
        "case",
        "member",
        "outsider",
        on="case",
    ),
    "Query.viewer": Triad(
        "{ viewer { id } }",
        ("viewer",),
        "member_user",
        "member",
        None,
        why_no_denied="the viewer is always oneself",
    ),
    "Query.users": Triad(
        "{ users(first: 100) { edges { node { id } } } }",
        ("users",),
        "member_user",
        "admin",
        "agent",
    ),
    "Query.apiTokens": Triad(
        "{ apiTokens(first: 100) { edges { node { id } } } }",
        ("apiTokens",),
        "agent_token",
        "agent",
        "manager",
    ),
    "Query.consumers": Triad(
        "{ consumers(first: 100) { edges { node { id } } } }",
        ("consumers",),
        "member",
        "agent",
        "member",
    ),
    "Query.consumerImports": Triad(
        "{ consumerImports(first: 100) { edges { node { id } } } }",
        ("consumerImports",),
        "job",
        "admin",
        "agent",
    ),
    "User.caseSubjects": Triad(
        "{ viewer { caseSubjects { id } } }",
        ("viewer", "caseSubjects"),
        "member",
        "head",
        "stranger",
    ),
    "Query.auditEvents": Triad(
        "{ auditEvents(first: 100) { edges { node { id } } } }",
        ("auditEvents",),
        "audit_event",
        "admin",
        "agent",
    ),
    "Query.erasureRequests": Triad(
        "{ erasureRequests(first: 100) { edges { node { id } } } }",
        ("erasureRequests",),
        "erasure",
        "admin",
        "agent",
    ),
    "Query.households": Triad(
        "{ households(first: 100) { edges { node { id } } } }",
        ("households",),
        "household",
        "member",
        "stranger",
    ),
    "Query.cases": Triad(
        "{ cases(first: 100) { edges { node { id } } } }",
        ("cases",),
        "case",
        "member",
        "outsider",
    ),
    "Query.caseByNumber": Triad(
        "query($id: String!) { caseByNumber(number: $id) { id } }",
        ("caseByNumber",),
        "case",
        "member",
        "outsider",
        on="number",
    ),
    "Query.relationshipTypes": Triad(
        "{ relationshipTypes { id } }",
        ("relationshipTypes",),
        "guarantor_type",
        "member",
        None,
        why_no_denied=EVERYONE,
    ),
    "Query.responsibilities": Triad(
        "{ responsibilities { id } }",
        ("responsibilities",),
        "collaborator",
        "member",
        None,
        why_no_denied=EVERYONE,
    ),
    "Query.slaTargets": Triad(
        "{ slaTargets { id } }",
        ("slaTargets",),
        "sla_target",
        "agent",
        "member",
    ),
    "Query.surveys": Triad(
        "{ surveys(first: 100) { edges { node { id } } } }",
        ("surveys",),
        "survey",
        "manager",
        "agent",
    ),
    "Case.consumer": via(
        "Case",
        "case",
        "consumer { id }",
        ("consumer",),
        target="member",
        allowed="other",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.household": via(
        "Case",
        "case",
        "household { id }",
        ("household",),
        target="household",
        allowed="member",
        denied="stranger",
    ),
    "Case.openedBy": via(
        "Case",
        "case",
        "openedBy { id }",
        ("openedBy",),
        target="intake",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.assignedTo": via(
        "Case",
        "case",
        "assignedTo { id }",
        ("assignedTo",),
        target="agent",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.assignmentTeam": via(
        "Case",
        "case",
        "assignmentTeam { id }",
        ("assignmentTeam",),
        target="team",
        allowed="agent",
        denied="member",
    ),
    "Case.soldProduct": via(
        "Case",
        "case",
        "soldProduct { id }",
        ("soldProduct",),
        target="loan",
        allowed="stranger",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.relatedParties": via(
        "Case",
        "case",
        "relatedParties { id }",
        ("relatedParties",),
        target="guarantor",
        allowed="member",
        denied="other",
    ),
    "Case.lastPublicComment": via(
        "Case",
        "case",
        "lastPublicComment { id }",
        ("lastPublicComment",),
        target="member_comment",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.attachments": via(
        "Case",
        "case",
        "attachments { id }",
        ("attachments",),
        target="attachment",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Case.comments": via(
        "Case",
        "case",
        "comments { edges { node { id } } }",
        ("comments",),
        target="note",
        allowed="agent",
        denied="member",
    ),
    "Case.activity": via(
        "Case",
        "case",
        "activity { edges { node { id } } }",
        ("activity",),
        target="hidden",
        allowed="agent",
        denied="member",
    ),
    "CaseActivity.actor": via(
        "CaseActivity",
        "shown",
        "actor { id }",
        ("actor",),
        target="agent",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "CaseActivity.onBehalfOf": via(
        "CaseActivity",
        "shown",
        "onBehalfOf { id }",
        ("onBehalfOf",),
        target="member",
        allowed="other",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "CaseComment.author": via(
        "CaseComment",
        "public",
        "author { id }",
        ("author",),
        target="agent",
        allowed="member",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "CaseComment.onBehalfOf": via(
        "CaseComment",
        "public",
        "onBehalfOf { id }",
        ("onBehalfOf",),
        target="member",
        allowed="other",
        denied=None,
        why_no_denied=READERS_SEE_IT,
    ),
    "Consumer.user": via(
        "Consumer",
        "member",
        "user { id }",
        ("user",),
        target="member_user",
        allowed="admin",
        denied="agent",
    ),
    "Consumer.primaryHousehold": via(
        "Consumer",
        "member",
        "primaryHousehold { id }",
        ("primaryHousehold",),
        target="household",
        allowed="member",
        denied="stranger",
    ),
    "Consumer.households": via(
        "Consumer",
        "member",
        "households { id }",
        ("households",),
        target="household",
        allowed="member",
        denied="stranger",
    ),
    "Consumer.representatives": via(
        "Consumer",
        "member",
        "representatives { id }",
        ("representatives",),
        target="representation",
        allowed="member",
        denied="stranger",
    ),
    "Consumer.represents": via(
        "Consumer",
        "member",
        "represents { id }",
        ("represents",),
        target="grandma_representation",
        allowed="head",
        denied="other",
    ),
    "Consumer.cases": via(
        "Consumer",
        "member",
        "cases(first: 100) { edges { node { id } } }",
        ("cases",),
        target="closed",
        allowed="head",
        denied="stranger",  # sees the member, as the guarantor of another case of theirs
    ),
    "Household.cases": via(
        "Household",
        "household",
        "cases(first: 100) { edges { node { id } } }",
        ("cases",),
        target="heads",
        allowed="other",
        denied="rep",  # sees the household through the member they represent
    ),
    "Consumer.soldProducts": via(
        "Consumer",
        "member",
        "soldProducts { id }",
        ("soldProducts",),
        target="card",
        allowed="member",
        denied="stranger",
    ),
    "Household.members": via(
        "Household",
        "household",
        "members { id }",
        ("members",),
        target="head_membership",
        allowed="head",
        denied="other",
    ),
    "HouseholdMember.household": via(
        "HouseholdMember",
        "head_membership",
        "household { id }",
        ("household",),
        target="household",
        allowed="head",
        denied=None,
        why_no_denied=SAME_RULE,
    ),
    "HouseholdMember.consumer": via(
        "HouseholdMember",
        "ex_membership",
        "consumer { id }",
        ("consumer",),
        target="ex",
        allowed="agent",
        denied="head",
    ),
    "Representation.representative": via(
        "Representation",
        "representation",
        "representative { id }",
        ("representative",),
        target="representative",
        allowed="member",
        denied="head",
    ),
    "Query.delegations": Triad(
        "{ delegations { id } }",
        ("delegations",),
        "delegation",
        "member",
        "stranger",
    ),
    "Delegation.consumer": via(
        "Delegation",
        "delegation",
        "consumer { id }",
        ("consumer",),
        target="member",
        allowed="rep",
        denied=None,
        why_no_denied="a delegation shows to internal users, its consumer and its "
        "delegate, who represents the consumer while it holds",
    ),
    "Delegation.delegate": via(
        "Delegation",
        "delegation",
        "delegate { id }",
        ("delegate",),
        target="representative",
        allowed="member",
        denied=None,
        why_no_denied="a delegation shows to internal users, its delegate and its "
        "consumer, whom the delegate represents while it holds",
    ),
    "Representation.consumer": via(
        "Representation",
        "grandma_representation",
        "consumer { id }",
        ("consumer",),
        target="grandma",
        allowed="member",
        denied="head",
    ),
    "RelatedParty.case": via(
        "RelatedParty",
        "guarantor",
        "case { id }",
        ("case",),
        target="case",
        allowed="stranger",
        denied=None,
        why_no_denied="a case's party shows only to readers of its case",
    ),
    "RelatedParty.soldProduct": via(
        "RelatedParty",
        "finance",
        "soldProduct { id }",
        ("soldProduct",),
        target="card",
        allowed="broker",
        denied=None,
        why_no_denied="a product's party shows only to its viewers",
    ),
    "RelatedParty.consumer": via(
        "RelatedParty",
        "guarantor",
        "consumer { id }",
        ("consumer",),
        target="stranger",
        allowed="agent",
        denied="member",
    ),
    "RelatedParty.user": via(
        "RelatedParty",
        "listed",
        "user { id }",
        ("user",),
        target="manager",
        allowed="agent",
        denied="member",
    ),
    "RelatedParty.team": via(
        "RelatedParty",
        "team_party",
        "team { id }",
        ("team",),
        target="team",
        allowed="agent",
        denied="member",
    ),
    "RelatedParty.department": via(
        "RelatedParty",
        "department_party",
        "department { id }",
        ("department",),
        target="department",
        allowed="agent",
        denied="member",
    ),
    "Department.members": via(
        "Department",
        "department",
        "members { id }",
        ("members",),
        target="intake",
        allowed="agent",
        denied=None,
        why_no_denied=INTERNAL,
    ),
    "Query.departments": Triad(
        "{ departments { id } }",
        ("departments",),
        "department",
        "agent",
        "member",
    ),
    "RelatedParty.relationshipType": via(
        "RelatedParty",
        "guarantor",
        "relationshipType { id }",
        ("relationshipType",),
        target="guarantor_type",
        allowed="stranger",
        denied=None,
        why_no_denied=EVERYONE,
    ),
    "RelatedParty.responsibility": via(
        "RelatedParty",
        "guarantor",
        "responsibility { id }",
        ("responsibility",),
        target="collaborator",
        allowed="stranger",
        denied=None,
        why_no_denied=EVERYONE,
    ),
    "RelationshipType.defaultResponsibility": via(
        "RelationshipType",
        "guarantor_type",
        "defaultResponsibility { id }",
        ("defaultResponsibility",),
        target="collaborator",
        allowed="member",
        denied=None,
        why_no_denied=EVERYONE,
    ),
    "SoldProduct.owner": via(
        "SoldProduct",
        "card",
        "owner { id }",
        ("owner",),
        target="member",
        allowed="member",
        denied="broker",
    ),
    "SoldProduct.household": via(
        "SoldProduct",
        "card",
        "household { id }",
        ("household",),
        target="household",
        allowed="member",
        denied="broker",
    ),
    "SoldProduct.relatedParties": via(
        "SoldProduct",
        "card",
        "relatedParties { id }",
        ("relatedParties",),
        target="other_party",
        allowed="member",
        denied="broker",
    ),
    "Survey.case": via(
        "Survey",
        "survey",
        "case { id }",
        ("case",),
        target="closed",
        allowed="admin",
        denied="manager",
    ),
    "Survey.consumer": via(
        "Survey",
        "survey",
        "consumer { id }",
        ("consumer",),
        target="member",
        allowed="manager",
        denied=None,
        why_no_denied=INTERNAL,
    ),
    "Team.members": via(
        "Team",
        "team",
        "members { id }",
        ("members",),
        target="agent",
        allowed="agent",
        denied=None,
        why_no_denied=INTERNAL,
    ),
    "User.teams": via(
        "User", "agent", "teams { id }", ("teams",), target="team", allowed="agent", denied="member"
    ),
    "User.manager": via(
        "User",
        "agent",
        "manager { id }",
        ("manager",),
        target="manager",
        allowed="agent",
        denied="member",
    ),
    "User.consumer": via(
        "User",
        "member_user",
        "consumer { id }",
        ("consumer",),
        target="member",
        allowed="member",
        denied="agent",
    ),
}
AUDIT_PEOPLE = (
    "tests/audit/test_audit_trail.py: only administrators reach `auditEvents` "
    "(test_non_admins_get_null_and_forbidden), who see every user and consumer; "
    "test_people_resolve_by_id_and_erased_or_deleted_ones_to_null"
)
OTHERWISE_COVERED = {
    "Query.slaSchedules": "tests/sla/test_sla_schedules.py: "
    "test_schedules_are_listed_for_internal_users_only",
    "SlaSchedule.teams": "tests/sla/test_sla_schedules.py: "
    "test_schedules_are_listed_for_internal_users_only",
    "CaseEvent.case": "test_a_subscription_event_shows_what_the_viewer_may_see",
    "CaseEvent.actor": "test_a_subscription_event_shows_what_the_viewer_may_see",
    "CaseEvent.comment": "tests/schema/cases/test_case_events.py: "
    "test_an_event_naming_a_work_note_shows_it_only_to_internal_users",
    "CaseEvent.activity": "tests/schema/cases/test_case_events.py: "
    "test_a_comment_event_carries_the_comment_and_its_activity_entry_as_queries_show_them",
    "CaseBulkResult.case": "tests/schema/cases/test_bulk.py: test_each_id_gets_its_result_in_order "
    "and test_a_case_assigned_out_of_sight_is_answered_without_it",
    "DuplicateCandidate.consumer": "tests/schema/consumers/test_duplicates.py: "
    "test_the_pairs_show_only_to_internal_users",
    "DuplicateCandidate.candidate": "tests/schema/consumers/test_duplicates.py: "
    "test_the_pairs_show_only_to_internal_users",
    **dict.fromkeys(
        (
            "Query.webhookEndpoints",
            "Query.webhookDeliveries",
            "WebhookEndpoint.createdBy",
            "WebhookDelivery.endpoint",
        ),
        "tests/webhooks/: only administrators reach webhooks "
        "(test_a_non_admin_can_neither_list_nor_register, "
        "test_an_endpoint_is_not_visible_by_id_to_a_non_admin), who see every user; "
        "test_an_admin_registers_an_endpoint_and_sees_the_secret_once and "
        "test_a_case_created_webhook_verifies_with_the_reference_code read them",
    ),
    "Query.dataExports": "tests/exports/test_data_export.py: "
    "test_progress_shows_to_the_consumer_and_administrators_only",
    **dict.fromkeys(
        ("Query.inboundEmails", "InboundEmail.case"),
        "tests/mailin/test_inbound_emails.py: administrators see every message and its "
        "case (test_administrators_see_every_message_newest_first), agents only those of "
        "cases they read or of none (test_agents_see_messages_of_cases_they_read_and_of_no_case), "
        "consumers and anonymous viewers none "
        "(test_consumers_and_anonymous_viewers_get_no_messages)",
    ),
    "AuditEvent.actor": AUDIT_PEOPLE,
    "AuditEvent.user": AUDIT_PEOPLE,
    "AuditEvent.consumer": AUDIT_PEOPLE,
    **dict.fromkeys(
        (
            "AccessReport.consumer",
            "AccessReportEntry.user",
            "AccessReportEntry.consumer",
            "AccessReportGrant.cases",
            "AccessReportGrant.team",
        ),
        "tests/schema/access/test_access_report.py: "
        "test_the_report_names_everyone_who_sees_the_consumer_and_why (an administrator sees "
        "all), test_the_consumer_sees_their_own_report_through_the_object_rules (hidden "
        "logins, consumers and teams come back null) and "
        "test_anyone_else_gets_the_answer_of_a_missing_consumer",
    ),
}
"""Object fields covered by a test of their own rather than this table."""
PAYLOADS = {f for f in OBJECT_FIELDS if f.split(".")[0].endswith("Payload")}
"""A mutation's payload: checked by `Visible` like any field (see above) and by
each mutation's own tests; reaching it needs that mutation."""


def test_every_object_field_has_a_triad() -> None:
    assert set(OBJECT_FIELDS) - PAYLOADS == set(TRIADS) | set(OTHERWISE_COVERED)
    for name, triad in TRIADS.items():
        assert triad.denied or triad.why_no_denied, f"{name}: who may not see it, or why nobody"


def _ids(value: Any) -> set[str]:
    """The ids of the objects in a field's value: one, a list or a page."""
    if value is None:
        return set()
    if isinstance(value, list):
        return {v["id"] for v in value}
    if "edges" in value:
        return {e["node"]["id"] for e in value["edges"]}
    return {value["id"]}


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        if data is None:
            return None
        data = data[key]
    return data


Run = Any
"""(query, variables, viewer name) -> the response body."""


async def _check(scene: Scene, name: str, triad: Triad, run: Run) -> list[str]:
    variables = {"id": scene.ids[triad.on]} if triad.on else {}
    target = scene.ids[triad.target]
    failures = []
    allowed = await run(triad.query, variables, triad.allowed)
    if target not in _ids(_at(allowed.get("data"), triad.path)):
        failures.append(f"{name}: {triad.allowed} does not see {triad.target}: {allowed}")
    if triad.denied is not None:
        denied = await run(triad.query, variables, triad.denied)
        value = _at(denied.get("data"), triad.path)
        refused = [e for e in denied.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
        if target in _ids(value):
            failures.append(f"{name}: {triad.denied} sees {triad.target}: {denied}")
        elif value is None and not refused and triad.path[0] == "node" and len(triad.path) > 1:
            redacted = denied.get("extensions", {}).get("redactedFields", [])
            if list(triad.path) not in redacted:
                failures.append(f"{name}: {triad.denied}: null but not in redactedFields")
    anonymous = await run(triad.query, variables, "anonymous")
    if target in json.dumps(anonymous):
        failures.append(f"{name}: anonymous sees {triad.target}")
    return failures


async def test_every_object_field_over_http(http: httpx.AsyncClient) -> None:
    # given
    scene = await _scene(http)

    async def run(query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
        response = await scene.client(who).post(query, variables)
        body: dict[str, Any] = response.json()
        return body

    # when / then
    failures = [f for name, t in TRIADS.items() for f in await _check(scene, name, t, run)]
    assert failures == []


async def test_every_object_field_over_a_websocket(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given
    scene = await _scene(http)

    async def run(query: str, variables: dict[str, Any], who: str) -> dict[str, Any]:
        async with open_socket(server_url, scene.client(who).token) as socket:
            return await socket.execute(query, variables)

    # when / then
    failures = [f for name, t in TRIADS.items() for f in await _check(scene, name, t, run)]
    assert failures == []


COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"
EVENTS = """
subscription($id: ID) {
  caseEvents(caseId: $id) { case { id household { id } assignmentTeam { id } } actor { id } }
}
"""


async def test_a_subscription_event_shows_what_the_viewer_may_see(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the case's consumer and its guarantor, subscribed
    scene = await _scene(http)
    seen = {}
    for who in ("member", "stranger"):
        async with open_socket(server_url, scene.client(who).token) as socket:
            op = await socket.start(EVENTS, {"id": scene.ids["case"]})
            await until(lambda: subscribers("cases") > 0)

            # when: the agent comments
            comment = await scene.client("agent").data(
                COMMENT, {"i": {"caseId": scene.ids["case"], "body": "Update"}}
            )
            assert comment["caseCommentAdd"]["errors"] == []
            seen[who] = await socket.result(op)

    # then: the case, and the agent who commented; not the team; the household
    # only for the one of its members
    for payload in seen.values():
        event = payload["data"]["caseEvents"]
        assert event["case"]["id"] == scene.ids["case"]
        assert event["actor"] == {"id": scene.ids["agent"]}
        assert event["case"]["assignmentTeam"] is None
    assert seen["member"]["data"]["caseEvents"]["case"]["household"] == {
        "id": scene.ids["household"]
    }
    assert seen["stranger"]["data"]["caseEvents"]["case"]["household"] is None
    assert ["caseEvents", "case", "household"] in seen["stranger"]["extensions"]["redactedFields"]
