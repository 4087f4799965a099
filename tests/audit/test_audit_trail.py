"""The audit trail: every change to logins and access leaves one event, in the
change's own transaction, naming people by id only; administrators read it
with `auditEvents`, and nothing changes or deletes it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType

from csm_graph import clock, db
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.accounts.users import create_admin
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.audit.services import record
from csm_graph.consumers.models import Consumer
from csm_graph.demo import ADMIN_EMAIL, AGENT_EMAIL, generate
from csm_graph.households import services as households
from csm_graph.households.models import Representation
from csm_graph.privacy.models import ErasureRequest, ErasureState
from csm_graph.schema import build_schema
from csm_graph.schema.node import from_global_id
from csm_graph.settings import Settings, get_settings
from csm_graph.transactions import unit_of_work
from tests.mail import Mailbox
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import STAFF, link_token, make_consumer
from tests.support import LOGIN, PASSWORD, GraphQLClient, login, make_user

AUDIT_EVENTS = """
query Audit($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id at kind targetType targetId details
      actor { id } user { id } consumer { id }
    } }
  }
}
"""
USER_CREATE = """
mutation($input: UserCreateInput!) {
  userCreate(input: $input) { user { id } errors { field code } }
}
"""
USER_UPDATE = """
mutation($input: UserUpdateInput!) {
  userUpdate(input: $input) { user { id } errors { field code } }
}
"""
DEPARTMENT_CREATE = """
mutation($input: DepartmentCreateInput!) {
  departmentCreate(input: $input) { department { id } errors { field code } }
}
"""
HOUSEHOLD_CREATE = """
mutation($input: HouseholdCreateInput!) {
  householdCreate(input: $input) { household { id } errors { field code } }
}
"""
MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) { errors { field code } }
}
"""
MEMBER_END = """
mutation($input: HouseholdMemberEndInput!) {
  householdMemberEnd(input: $input) { errors { field code } }
}
"""
TEAM_CREATE = """
mutation($input: TeamCreateInput!) {
  teamCreate(input: $input) { team { id } errors { field code } }
}
"""
TEAM_MEMBER_ADD = """
mutation($input: TeamMemberAddInput!) {
  teamMemberAdd(input: $input) { team { id } errors { field code } }
}
"""
ASSOCIATE = """
mutation($input: ConsumerUserAssociateInput!) {
  consumerUserAssociate(input: $input) { consumer { id } errors { field code } }
}
"""
DISSOCIATE = """
mutation($input: ConsumerUserDissociateInput!) {
  consumerUserDissociate(input: $input) { consumer { id } errors { field code } }
}
"""
CONSUMER_USER_CREATE = """
mutation($input: ConsumerUserCreateInput!) {
  consumerUserCreate(input: $input) { consumer { id user { id } } errors { field code } }
}
"""
SIGNUP = """
mutation($input: ConsumerSignupInput!) { consumerSignup(input: $input) { errors { code } } }
"""
VERIFY = """
mutation($input: EmailVerifyInput!) {
  emailVerify(input: $input) { consumer { id } errors { field code } }
}
"""
RESPONSIBILITY_CREATE = """
mutation($input: ResponsibilityCreateInput!) {
  responsibilityCreate(input: $input) { responsibility { id } errors { field code } }
}
"""
RELATIONSHIP_TYPE_CREATE = """
mutation($input: RelationshipTypeCreateInput!) {
  relationshipTypeCreate(input: $input) { relationshipType { id } errors { field code } }
}
"""
PARTY_ADD = """
mutation($input: RelatedPartyAddInput!) {
  relatedPartyAdd(input: $input) { relatedParty { id } errors { field code } }
}
"""
PARTY_UPDATE = """
mutation($input: RelatedPartyUpdateInput!) {
  relatedPartyUpdate(input: $input) { relatedParty { id } errors { field code } }
}
"""
PARTY_REMOVE = """
mutation($input: RelatedPartyRemoveInput!) {
  relatedPartyRemove(input: $input) { relatedParty { id } errors { field code } }
}
"""
CASE_MOVE = """
mutation($input: CaseConsumerChangeInput!) {
  caseConsumerChange(input: $input) { case { id } errors { field code } }
}
"""
REPRESENTATIVE_ADD = """
mutation($input: RepresentativeAddInput!) {
  representativeAdd(input: $input) { representation { id } errors { field code } }
}
"""
REPRESENTATIVE_REMOVE = """
mutation($input: RepresentativeRemoveInput!) {
  representativeRemove(input: $input) { representation { id } errors { field code } }
}
"""
MERGE = """
mutation($input: ConsumerMergeInput!) {
  consumerMerge(input: $input) { survivor { id } errors { field code } }
}
"""


async def events(kind: AuditKind, **where: Any) -> list[AuditEvent]:
    return list(await AuditEvent.filter(kind=kind, **where).order_by("id"))


async def one(kind: AuditKind, **where: Any) -> AuditEvent:
    found = await events(kind, **where)
    assert len(found) == 1, [(e.kind, e.user_id, e.consumer_id, e.data) for e in found]
    return found[0]


async def payload(client: GraphQLClient, document: str, **input: Any) -> dict[str, Any]:
    data = await client.data(document, {"input": input})
    (result,) = data.values()
    assert result["errors"] == [], result
    value: dict[str, Any] = result
    return value


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]


# --- logins -------------------------------------------------------------------------------


async def _attempt(client: GraphQLClient, email: str, password: str) -> list[str]:
    data = await client.data(LOGIN, {"input": {"email": email, "password": password}})
    return [e["code"] for e in data["login"]["errors"]]


async def test_a_login_records_its_user_and_a_wrong_password_its_failure(
    anon_client: GraphQLClient,
) -> None:
    # given
    user = await make_user("lena@example.com", roles=("AGENT",))

    # when
    assert await _attempt(anon_client, "lena@example.com", "not the password") == [
        "INVALID_CREDENTIALS"
    ]
    assert await _attempt(anon_client, "nobody@example.com", "not the password") == [
        "INVALID_CREDENTIALS"
    ]
    assert await _attempt(anon_client, "LENA@example.com", PASSWORD) == []

    # then: the failure and the success name the user; the unknown address is not recorded
    failed = await one(AuditKind.LOGIN_FAILED)
    assert (failed.user_id, failed.actor_id, failed.data) == (user.id, None, {"reason": "password"})
    succeeded = await one(AuditKind.LOGIN_SUCCEEDED)
    assert (succeeded.user_id, succeeded.actor_id, succeeded.data) == (user.id, user.id, {})


@pytest.mark.parametrize(
    ("state", "reason"),
    [({"is_active": False}, "inactive"), ({"email_verified": False}, "unverified")],
)
async def test_a_refused_login_with_the_right_password_says_why(
    anon_client: GraphQLClient, state: dict[str, bool], reason: str
) -> None:
    # given
    user = await make_user("ext@example.com", user_type=UserType.EXTERNAL)
    await User.filter(id=user.id).update(**state)

    # when
    assert await _attempt(anon_client, "ext@example.com", PASSWORD) != []

    # then
    failed = await one(AuditKind.LOGIN_FAILED)
    assert (failed.user_id, failed.data) == (user.id, {"reason": reason})
    assert not await events(AuditKind.LOGIN_SUCCEEDED)


async def test_a_lockout_is_recorded_once_and_nothing_typed_is_stored(
    anon_client: GraphQLClient,
) -> None:
    # given
    user = await make_user("target@example.com", roles=("AGENT",))
    limit = get_settings().login_max_failures
    guesses = [f"guess number {n} secret" for n in range(limit + 3)]

    # when: every guess is wrong; past the limit they are refused unchecked
    codes = [await _attempt(anon_client, "Target@Example.com", g) for g in guesses]
    await _attempt(anon_client, "ghost@example.com", "ghost password")

    # then
    assert codes[:limit] == [["INVALID_CREDENTIALS"]] * limit
    assert codes[limit:] == [["THROTTLED"]] * 3
    assert len(await events(AuditKind.LOGIN_FAILED, user_id=user.id)) == limit
    locked = await one(AuditKind.LOGIN_LOCKED_OUT)
    assert (locked.user_id, locked.actor_id, locked.data) == (user.id, None, {"reason": "account"})
    rows = await db.fetch("SELECT * FROM audit_event")
    stored = json.dumps([list(row) for row in rows], default=str)
    for text in ("example.com", "target", "ghost", "guess number", PASSWORD):
        assert text not in stored.lower()


# --- users, roles, teams, managers -----------------------------------------------------------


async def test_user_creation_records_the_user_roles_teams_and_manager(
    admin_client: GraphQLClient,
) -> None:
    # given
    assert admin_client.user is not None
    boss = await make_user("boss@example.com", roles=("MANAGER",))
    team = await Team.create(name="Care")

    # when
    created = await payload(
        admin_client,
        USER_CREATE,
        email="new@example.com",
        lastName="New",
        userType="INTERNAL",
        roles=["AGENT", "MANAGER"],
        teamIds=[gid("Team", team.id)],
        managerId=gid("User", boss.id),
        password=PASSWORD,
    )

    # then
    user_id = pk(created["user"]["id"])
    admin_id = admin_client.user.id
    created_event = await one(AuditKind.USER_CREATED, user_id=user_id)
    assert (created_event.actor_id, created_event.data) == (admin_id, {"user_type": "INTERNAL"})
    granted = await events(AuditKind.ROLE_GRANTED, user_id=user_id)
    assert [(e.actor_id, e.data, e.target_type) for e in granted] == [
        (admin_id, {"role": "AGENT"}, ""),
        (admin_id, {"role": "MANAGER"}, ""),
    ]
    joined = await one(AuditKind.TEAM_JOINED, user_id=user_id)
    assert (joined.target_type, joined.target_id, joined.actor_id) == ("Team", team.id, admin_id)
    manager = await one(AuditKind.MANAGER_CHANGED, user_id=user_id)
    assert manager.data == {"old": None, "new": boss.id}


async def test_user_changes_record_one_event_per_role_and_team_added_or_removed(
    admin_client: GraphQLClient,
) -> None:
    # given
    assert admin_client.user is not None
    care, sales, ops = [await Team.create(name=n) for n in ("Care", "Sales", "Ops")]
    boss = await make_user("boss@example.com", roles=("MANAGER",))
    user = await make_user("pat@example.com", roles=("AGENT",), team_ids=[care.id, sales.id])
    before = await AuditEvent.filter(user_id=user.id).count()
    assert before == 4  # created, one role, two teams
    uid = gid("User", user.id)

    # when
    await payload(
        admin_client,
        USER_UPDATE,
        id=uid,
        roles=["MANAGER", "ADMIN"],
        teamIds=[gid("Team", sales.id), gid("Team", ops.id)],
        managerId=gid("User", boss.id),
    )
    await payload(admin_client, USER_UPDATE, id=uid, isActive=False)
    await payload(admin_client, USER_UPDATE, id=uid, isActive=True)

    # then
    admin_id = admin_client.user.id
    shapes = [
        (e.kind, e.actor_id, e.target_type, e.target_id, e.data)
        for e in (await AuditEvent.filter(user_id=user.id).order_by("id"))[before:]
    ]
    assert shapes == [
        (AuditKind.ROLE_GRANTED, admin_id, "", None, {"role": "ADMIN"}),
        (AuditKind.ROLE_GRANTED, admin_id, "", None, {"role": "MANAGER"}),
        (AuditKind.ROLE_REVOKED, admin_id, "", None, {"role": "AGENT"}),
        (AuditKind.TEAM_JOINED, admin_id, "Team", ops.id, {}),
        (AuditKind.TEAM_LEFT, admin_id, "Team", care.id, {}),
        (AuditKind.MANAGER_CHANGED, admin_id, "", None, {"old": None, "new": boss.id}),
        (AuditKind.USER_DEACTIVATED, admin_id, "", None, {}),
        (AuditKind.USER_REACTIVATED, admin_id, "", None, {}),
    ]


async def test_a_users_type_email_password_and_department_changes_are_recorded(
    admin_client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given an external user, a department, and the user logged in
    assert admin_client.user is not None
    admin_id = admin_client.user.id
    finance = await payload(admin_client, DEPARTMENT_CREATE, name="Finance")
    finance_id = pk(finance["department"]["id"])
    user = await make_user("kim@example.com", user_type=UserType.EXTERNAL)
    kim = await login(http, "kim@example.com")
    before = await AuditEvent.filter(user_id=user.id).count()
    uid = gid("User", user.id)

    # when the user changes their own password, and an administrator their type,
    # address and department, then their department again to one that is no department
    new_password = "a new passphrase 42"
    await payload(kim, USER_UPDATE, id=uid, password=new_password, currentPassword=PASSWORD)
    await payload(admin_client, USER_UPDATE, id=uid, userType="INTERNAL")
    await payload(admin_client, USER_UPDATE, id=uid, email="kim.new@example.com")
    await payload(admin_client, USER_UPDATE, id=uid, department=" finance ")
    await payload(admin_client, USER_UPDATE, id=uid, department="Unlisted")
    # and a change that changes none of them records none of them
    await payload(admin_client, USER_UPDATE, id=uid, department="unlisted", userType="INTERNAL")

    # then each change is one event, by whoever made it, naming no address or department
    shapes = [
        (e.kind, e.actor_id, e.data)
        for e in (await AuditEvent.filter(user_id=user.id).order_by("id"))[before:]
    ]
    assert shapes == [
        (AuditKind.PASSWORD_CHANGED, user.id, {"via": "user_update"}),
        (AuditKind.USER_TYPE_CHANGED, admin_id, {"old": "EXTERNAL", "new": "INTERNAL"}),
        (AuditKind.USER_EMAIL_CHANGED, admin_id, {"via": "user_update"}),
        (AuditKind.USER_DEPARTMENT_CHANGED, admin_id, {"old": None, "new": finance_id}),
        (AuditKind.USER_DEPARTMENT_CHANGED, admin_id, {"old": finance_id, "new": None}),
    ]
    created = await one(AuditKind.DEPARTMENT_CREATED)
    assert (created.actor_id, created.target_type, created.target_id, created.data) == (
        admin_id,
        "Department",
        finance_id,
        {},
    )


async def test_household_memberships_added_and_ended_are_recorded(
    agent_client: GraphQLClient,
) -> None:
    # given a household with a head
    assert agent_client.user is not None
    head = await make_consumer(first_name="Hedda")
    kid = await make_consumer(first_name="Kit")
    made = await payload(agent_client, HOUSEHOLD_CREATE, name="The Lanes")
    household = made["household"]["id"]
    await payload(
        agent_client,
        MEMBER_ADD,
        householdId=household,
        consumerId=gid("Consumer", head.id),
        relationship="HEAD",
    )

    # when a member joins, and the head leaves making them head
    await payload(
        agent_client,
        MEMBER_ADD,
        householdId=household,
        consumerId=gid("Consumer", kid.id),
        relationship="CHILD",
    )
    await payload(
        agent_client,
        MEMBER_END,
        householdId=household,
        consumerId=gid("Consumer", head.id),
        newHeadConsumerId=gid("Consumer", kid.id),
    )

    # then each membership change is recorded for its consumer, on the household
    today = clock.today().isoformat()
    shapes = [
        (e.kind, e.actor_id, e.consumer_id, e.target_type, e.target_id, e.data)
        for e in await AuditEvent.filter(
            kind__in=[AuditKind.HOUSEHOLD_MEMBER_ADDED, AuditKind.HOUSEHOLD_MEMBER_ENDED]
        ).order_by("id")
    ]
    agent, hid = agent_client.user.id, pk(household)
    added = {"start_date": today, "is_head": True, "relationship": "HEAD"}
    assert shapes == [
        (AuditKind.HOUSEHOLD_MEMBER_ADDED, agent, head.id, "Household", hid, added),
        (
            AuditKind.HOUSEHOLD_MEMBER_ADDED,
            agent,
            kid.id,
            "Household",
            hid,
            {"start_date": today, "is_head": False, "relationship": "CHILD"},
        ),
        (
            AuditKind.HOUSEHOLD_MEMBER_ENDED,
            agent,
            head.id,
            "Household",
            hid,
            {"end_date": today, "new_head_id": kid.id},
        ),
    ]


async def test_createadmin_on_an_external_user_records_the_new_type_and_password() -> None:
    # given an external user
    user = await make_user("ext@example.com", user_type=UserType.EXTERNAL)

    # when the command makes them an administrator
    await create_admin("ext@example.com", "another passphrase 7")

    # then the system changed their type and password
    changed = await one(AuditKind.USER_TYPE_CHANGED, user_id=user.id)
    password = await one(AuditKind.PASSWORD_CHANGED, user_id=user.id)
    assert (changed.actor_id, changed.data) == (None, {"old": "EXTERNAL", "new": "INTERNAL"})
    assert (password.actor_id, password.data) == (None, {"via": "createadmin"})


async def test_team_creation_and_membership_record_each_member(
    admin_client: GraphQLClient,
) -> None:
    # given
    ann = await make_user("ann@example.com", roles=("AGENT",))
    bob = await make_user("bob@example.com", roles=("AGENT",))

    # when
    team = await payload(admin_client, TEAM_CREATE, name="Care", memberIds=[gid("User", ann.id)])
    team_id = pk(team["team"]["id"])
    await payload(
        admin_client, TEAM_MEMBER_ADD, teamId=gid("Team", team_id), userId=gid("User", bob.id)
    )

    # then
    joined = await events(AuditKind.TEAM_JOINED, target_id=team_id)
    assert [(e.user_id, e.target_type, e.data) for e in joined] == [
        (ann.id, "Team", {}),
        (bob.id, "Team", {}),
    ]


async def test_createadmin_records_the_user_and_the_role_as_the_system() -> None:
    # when
    admin = await create_admin("root@example.com", PASSWORD)
    await create_admin("root@example.com", PASSWORD)

    # then: the second run changes nothing and records nothing
    created = await one(AuditKind.USER_CREATED, user_id=admin.id)
    granted = await one(AuditKind.ROLE_GRANTED, user_id=admin.id)
    assert await AuditEvent.filter(user_id=admin.id).count() == 2
    assert (created.actor_id, granted.actor_id, granted.data) == (None, None, {"role": "ADMIN"})


async def test_the_demo_loader_records_the_staffs_roles_teams_and_managers() -> None:
    # when
    await generate(40, seed=2)

    # then: as of each account's creation, by the system
    admin = await User.get(email=ADMIN_EMAIL)
    granted = await one(AuditKind.ROLE_GRANTED, user_id=admin.id)
    assert (granted.actor_id, granted.at, granted.data) == (
        None,
        admin.created_at,
        {"role": "ADMIN"},
    )
    agent = await User.get(email=AGENT_EMAIL)
    (team_id,) = await agent.teams.all().values_list("id", flat=True)
    joined = await one(AuditKind.TEAM_JOINED, user_id=agent.id)
    assert (joined.target_type, joined.target_id) == ("Team", team_id)
    managed = await one(AuditKind.MANAGER_CHANGED, user_id=agent.id)
    assert managed.data == {"old": None, "new": agent.manager_id}


# --- consumers and their logins -----------------------------------------------------------------


async def test_linking_and_unlinking_a_login_records_both_sides(
    admin_client: GraphQLClient,
) -> None:
    # given
    consumer = await make_consumer(email="cleo@example.com")
    user = await make_user("cleo@example.com", user_type=UserType.EXTERNAL)
    cid = gid("Consumer", consumer.id)

    # when
    await payload(admin_client, ASSOCIATE, consumerId=cid, userId=gid("User", user.id))
    await payload(admin_client, DISSOCIATE, consumerId=cid)

    # then
    assert admin_client.user is not None
    for kind in (AuditKind.CONSUMER_USER_LINKED, AuditKind.CONSUMER_USER_UNLINKED):
        event = await one(kind)
        assert (event.actor_id, event.user_id, event.consumer_id) == (
            admin_client.user.id,
            user.id,
            consumer.id,
        )


async def test_a_login_made_for_a_consumer_is_created_and_linked(
    admin_client: GraphQLClient,
) -> None:
    # given
    consumer = await make_consumer(email="dora@example.com")

    # when
    made = await payload(
        admin_client,
        CONSUMER_USER_CREATE,
        consumerId=gid("Consumer", consumer.id),
        password=PASSWORD,
    )

    # then
    user_id = pk(made["consumer"]["user"]["id"])
    created = await one(AuditKind.USER_CREATED, user_id=user_id)
    linked = await one(AuditKind.CONSUMER_USER_LINKED, user_id=user_id)
    assert created.consumer_id == linked.consumer_id == consumer.id


async def test_a_verified_signup_that_claims_a_record_is_linked_by_its_owner(
    anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: a record made before its owner signed up
    imported = await make_consumer(email="sam@example.com")
    signup = {"email": "sam@example.com", "password": PASSWORD, "firstName": "S", "lastName": "D"}
    await payload(anon_client, SIGNUP, **signup)
    (message,) = await mailbox.settle()

    # when
    await payload(anon_client, VERIFY, token=link_token(message))

    # then
    user = await User.get(email="sam@example.com")
    created = await one(AuditKind.USER_CREATED, user_id=user.id)
    assert (created.actor_id, created.data) == (user.id, {"user_type": "EXTERNAL", "via": "signup"})
    linked = await one(AuditKind.CONSUMER_USER_LINKED)
    assert (linked.actor_id, linked.user_id, linked.consumer_id, linked.data) == (
        user.id,
        user.id,
        imported.id,
        {"claimed": True},
    )


async def test_a_merge_records_itself_and_the_logins_it_moves_and_closes(
    admin_client: GraphQLClient,
) -> None:
    # given: both records have a login; the merged record's login is kept
    survivor = await make_consumer(first_name="Ann", email="ann@example.com")
    merged = await make_consumer(first_name="Ann", email="ann.other@example.com")
    kept = await make_user("ann.other@example.com", user_type=UserType.EXTERNAL)
    closed = await make_user("ann@example.com", user_type=UserType.EXTERNAL)
    await Consumer.filter(id=survivor.id).update(user_id=closed.id)
    await Consumer.filter(id=merged.id).update(user_id=kept.id)

    # when
    await payload(
        admin_client,
        MERGE,
        survivorId=gid("Consumer", survivor.id),
        mergedId=gid("Consumer", merged.id),
        keepLogin="MERGED",
    )

    # then
    event = await one(AuditKind.CONSUMERS_MERGED)
    assert (event.consumer_id, event.data["merged_id"]) == (survivor.id, merged.id)
    assert (event.target_type, event.target_id) == ("Consumer", merged.id)
    unlinked = await events(AuditKind.CONSUMER_USER_UNLINKED)
    assert {(e.user_id, e.consumer_id) for e in unlinked} == {
        (kept.id, merged.id),
        (closed.id, survivor.id),
    }
    linked = await one(AuditKind.CONSUMER_USER_LINKED)
    assert (linked.user_id, linked.consumer_id) == (kept.id, survivor.id)
    deactivated = await one(AuditKind.USER_DEACTIVATED)
    assert (deactivated.user_id, deactivated.data) == (closed.id, {"reason": "merged"})


# --- access: responsibilities, relationship types, related parties, representatives -------------


async def test_access_configuration_records_what_was_created(admin_client: GraphQLClient) -> None:
    # when
    duty = await payload(admin_client, RESPONSIBILITY_CREATE, name="reader", caseActions=["READ"])
    duty_id = pk(duty["responsibility"]["id"])
    kind = await payload(
        admin_client,
        RELATIONSHIP_TYPE_CREATE,
        name="neighbour",
        defaultResponsibilityId=gid("Responsibility", duty_id),
    )
    kind_id = pk(kind["relationshipType"]["id"])

    # then
    changed = await one(AuditKind.RESPONSIBILITY_CHANGED)
    assert (changed.target_type, changed.target_id) == ("Responsibility", duty_id)
    assert changed.data["change"] == "created"
    assert changed.data["case_actions"] == ["READ"]
    assert "name" in changed.data["fields"]
    typed = await one(AuditKind.RELATIONSHIP_TYPE_CHANGED)
    assert (typed.target_type, typed.target_id) == ("RelationshipType", kind_id)
    assert typed.data["change"] == "created"
    assert typed.data["default_responsibility_id"] == duty_id
    stored = json.dumps([changed.data, typed.data])
    assert "reader" not in stored
    assert "neighbour" not in stored


async def test_a_related_partys_grant_is_recorded_when_added_changed_and_removed(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    admin = world.client("admin")
    case = await open_case(world)
    guarantor = await RelationshipType.get(name="guarantor")
    viewer = await Responsibility.get(name="case viewer")

    # when
    added = await payload(
        admin,
        PARTY_ADD,
        caseId=gid("Case", case.id),
        consumerId=gid("Consumer", world.stranger.id),
        relationshipTypeId=gid("RelationshipType", guarantor.id),
        responsibilityId=gid("Responsibility", viewer.id),
        validFrom="2026-01-01",
    )
    party_id = added["relatedParty"]["id"]
    await payload(admin, PARTY_UPDATE, id=party_id, validUntil="2030-12-31")
    await payload(admin, PARTY_REMOVE, id=party_id)

    # then
    grant = {
        "case_id": case.id,
        "relationship_type_id": guarantor.id,
        "responsibility_id": viewer.id,
        "valid_from": "2026-01-01",
    }
    kinds = (
        AuditKind.RELATED_PARTY_ADDED,
        AuditKind.RELATED_PARTY_CHANGED,
        AuditKind.RELATED_PARTY_REMOVED,
    )
    recorded = [await one(kind) for kind in kinds]
    for event in recorded:
        assert (event.actor_id, event.consumer_id, event.user_id) == (
            world.ids["admin"],
            world.stranger.id,
            None,
        )
        assert (event.target_type, event.target_id) == ("RelatedParty", pk(party_id))
    assert recorded[0].data == {**grant, "valid_until": None}
    assert recorded[1].data == {**grant, "valid_until": "2030-12-31", "fields": ["valid_until"]}
    assert recorded[2].data == {**grant, "valid_until": "2030-12-31"}


async def test_a_case_moved_to_another_consumer_records_the_parties_it_drops(
    http: httpx.AsyncClient,
) -> None:
    # given: a user related to the member's case
    world = await make_world(http)
    case = await open_case(world)
    party = await RelatedParty.create(
        case_id=case.id,
        user_id=world.ids["manager"],
        relationship_type_id=(await RelationshipType.get(name="attorney")).id,
    )

    # when
    await payload(
        world.client("agent"),
        CASE_MOVE,
        id=gid("Case", case.id),
        version=case.version,
        consumerId=gid("Consumer", world.stranger.id),
    )

    # then
    removed = await one(AuditKind.RELATED_PARTY_REMOVED)
    assert (removed.actor_id, removed.user_id, removed.target_id) == (
        world.ids["agent"],
        world.ids["manager"],
        party.id,
    )


async def test_representatives_added_and_removed_are_recorded_for_the_represented(
    agent_client: GraphQLClient,
) -> None:
    # given
    assert agent_client.user is not None
    grandma = await make_consumer(first_name="Grand")
    helper = await make_consumer(first_name="Helper")

    # when
    added = await payload(
        agent_client,
        REPRESENTATIVE_ADD,
        representativeId=gid("Consumer", helper.id),
        consumerId=gid("Consumer", grandma.id),
    )
    await payload(agent_client, REPRESENTATIVE_REMOVE, id=added["representation"]["id"])

    # then
    for kind in (AuditKind.REPRESENTATIVE_ADDED, AuditKind.REPRESENTATIVE_REMOVED):
        event = await one(kind)
        assert (event.actor_id, event.consumer_id, event.data["representative_id"]) == (
            agent_client.user.id,
            grandma.id,
            helper.id,
        )
        assert (event.target_type, event.target_id) == (
            "Representation",
            pk(added["representation"]["id"]),
        )


# --- a change rolled back leaves no event --------------------------------------------------------


async def test_a_mutation_refused_after_its_changes_leaves_no_event(
    admin_client: GraphQLClient,
) -> None:
    # given: an agent in a team
    team = await Team.create(name="Care")
    user = await make_user("pat@example.com", roles=("AGENT",), team_ids=[team.id])
    before = await AuditEvent.all().count()

    # when: made external without leaving the team: the roles go, then the call is refused
    data = await admin_client.data(
        USER_UPDATE,
        {"input": {"id": gid("User", user.id), "userType": "EXTERNAL", "roles": []}},
    )

    # then
    assert [e["code"] for e in data["userUpdate"]["errors"]] == ["INVALID"]
    assert await AuditEvent.all().count() == before
    assert await user.roles.all().values_list("name", flat=True) == ["AGENT"]


async def _represent_then_fail(representative: Consumer, consumer: Consumer) -> list[int]:
    """Adds a representation in a unit of work that then fails; the counts seen inside."""
    seen: list[int] = []
    async with unit_of_work():
        await households.add_representative(STAFF, representative.id, consumer.id)
        seen.append(await AuditEvent.all().count())
        raise RuntimeError(f"after the change: {seen}")


async def test_a_service_call_in_a_unit_of_work_that_fails_leaves_no_event() -> None:
    # given
    ann, bob = await make_consumer(first_name="Ann"), await make_consumer(first_name="Bob")
    before = await AuditEvent.all().count()

    # when
    with pytest.raises(RuntimeError, match=rf"after the change: \[{before + 1}\]"):
        await _represent_then_fail(ann, bob)

    # then: the event was written inside, and went with the change
    assert await AuditEvent.all().count() == before
    assert not await Representation.filter(consumer_id=bob.id).exists()


# --- reading the trail ---------------------------------------------------------------------------


async def _trail(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.data(AUDIT_EVENTS, variables)
    trail: dict[str, Any] = data["auditEvents"]
    return trail


async def test_pages_run_newest_first(admin_client: GraphQLClient) -> None:
    # given: five events and nothing else
    await AuditEvent.all().delete()
    for _ in range(5):
        await record(AuditKind.TEAM_JOINED, None, user_id=1)
    ids = sorted(await AuditEvent.all().values_list("id", flat=True), reverse=True)

    # when
    first = await _trail(admin_client, first=2)
    second = await _trail(admin_client, first=2, after=first["pageInfo"]["endCursor"])
    third = await _trail(admin_client, first=2, after=second["pageInfo"]["endCursor"])

    # then
    pages = [[pk(e["node"]["id"]) for e in page["edges"]] for page in (first, second, third)]
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, third)] == [True, True, False]
    assert first["totalCount"] == 5


async def test_each_filter_narrows_the_trail(admin_client: GraphQLClient) -> None:
    # given
    assert admin_client.user is not None
    await AuditEvent.all().delete()
    ann = await make_user("ann@example.com", roles=("AGENT",))
    consumer = await make_consumer()
    await AuditEvent.all().delete()
    moments = [dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3)]
    rows = [
        (AuditKind.ROLE_GRANTED, admin_client.user.id, ann.id, None),
        (AuditKind.LOGIN_SUCCEEDED, ann.id, ann.id, None),
        (AuditKind.REPRESENTATIVE_ADDED, ann.id, None, consumer.id),
    ]
    made = [
        await AuditEvent.create(at=at, kind=k, actor_id=a, user_id=u, consumer_id=c)
        for at, (k, a, u, c) in zip(moments, rows, strict=True)
    ]
    cases = [
        ({"kinds": ["LOGIN_SUCCEEDED", "ROLE_GRANTED"]}, [made[1], made[0]]),
        ({"userId": gid("User", ann.id)}, [made[1], made[0]]),
        ({"consumerId": gid("Consumer", consumer.id)}, [made[2]]),
        ({"actorId": gid("User", admin_client.user.id)}, [made[0]]),
        ({"since": "2026-01-02T00:00:00Z"}, [made[2], made[1]]),
        ({"until": "2026-01-02T00:00:00Z"}, [made[0]]),
        ({"since": "2026-01-02T00:00:00Z", "userId": gid("User", ann.id)}, [made[1]]),
    ]

    for filter_, expected in cases:
        # when
        trail = await _trail(admin_client, filter=filter_)

        # then
        found = [pk(e["node"]["id"]) for e in trail["edges"]]
        assert found == [e.id for e in expected], filter_


async def test_people_resolve_by_id_and_erased_or_deleted_ones_to_null(
    admin_client: GraphQLClient,
) -> None:
    # given
    assert admin_client.user is not None
    await AuditEvent.all().delete()
    ann = await make_user("ann@example.com", roles=("AGENT",))
    kept, erased = await make_consumer(first_name="Kept"), await make_consumer(first_name="Gone")
    team = await Team.create(name="Care")
    await AuditEvent.all().delete()
    await record(
        AuditKind.TEAM_JOINED,
        admin_client.user.id,
        user_id=ann.id,
        consumer_id=kept.id,
        target=("Team", team.id),
    )
    await record(
        AuditKind.CONSUMER_USER_UNLINKED,
        ann.id,
        user_id=987654,
        consumer_id=erased.id,
        target=("Nothing", 1),
    )
    await ErasureRequest.create(consumer_id=erased.id, state=ErasureState.DONE)

    # when
    newest, oldest = [e["node"] for e in (await _trail(admin_client))["edges"]]

    # then
    assert oldest["actor"] == {"id": gid("User", admin_client.user.id)}
    assert oldest["user"] == {"id": gid("User", ann.id)}
    assert oldest["consumer"] == {"id": gid("Consumer", kept.id)}
    assert (oldest["kind"], oldest["targetType"], oldest["targetId"]) == (
        "TEAM_JOINED",
        "Team",
        gid("Team", team.id),
    )
    assert (newest["user"], newest["consumer"]) == (None, None)
    assert (newest["targetType"], newest["targetId"]) == ("Nothing", None)
    assert json.loads(newest["details"]) == {}


async def test_details_are_the_events_data_as_json(admin_client: GraphQLClient) -> None:
    # given
    await AuditEvent.all().delete()
    await record(AuditKind.ROLE_GRANTED, None, user_id=1, role="ADMIN")

    # when
    (edge,) = (await _trail(admin_client, filter={"kinds": ["ROLE_GRANTED"]}))["edges"]

    # then
    assert json.loads(edge["node"]["details"]) == {"role": "ADMIN"}
    assert (edge["node"]["actor"], edge["node"]["targetType"]) == (None, None)


async def test_non_admins_get_null_and_forbidden(
    agent_client: GraphQLClient, anon_client: GraphQLClient
) -> None:
    for client, code in ((agent_client, "FORBIDDEN"), (anon_client, "UNAUTHENTICATED")):
        # when
        result = await client.execute(AUDIT_EVENTS)

        # then
        assert result["data"] == {"auditEvents": None}
        assert [e["extensions"]["code"] for e in result["errors"]] == [code]


def test_no_mutation_changes_the_trail(settings: Settings) -> None:
    # given
    schema = build_schema(settings)._schema
    mutation = schema.mutation_type
    assert isinstance(mutation, GraphQLObjectType)

    # when
    touching = [
        name
        for name, field in mutation.fields.items()
        if "audit" in name.lower()
        or "audit" in str(field.type).lower()
        or any("audit" in str(arg.type).lower() for arg in field.args.values())
    ]

    # then: the trail is append-only, written by the services alone
    assert "auditEvents" in schema.query_type.fields  # type: ignore[union-attr]
    assert touching == []
