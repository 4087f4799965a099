"""Teams and departments as related parties: the engine's triad for each kind
(no grant, grant, membership ended), on every door (the list, `node`,
`viewerCan`, `explainAccess`, `accessReport`), and who may relate them.

A team's members, and the internal users whose `department` is a
department's name, hold the party's responsibility while they are members:
leaving the team or moving to another department ends it on the next
request, with no job."""

from __future__ import annotations

from typing import Any

import httpx

from csm_graph import clock
from csm_graph.products.models import SoldProduct
from tests.schema.access.helpers import (
    PARTY_UPDATE,
    add_party,
    doors,
    explain,
    responsibility_id,
)
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.support import GraphQLClient

TEAM_CREATE = """
mutation($input: TeamCreateInput!) {
  teamCreate(input: $input) { team { id name } errors { field code } }
}
"""

TEAM_MEMBER_ADD = """
mutation($input: TeamMemberAddInput!) {
  teamMemberAdd(input: $input) { team { id } errors { field code } }
}
"""

USER_UPDATE = """
mutation($input: UserUpdateInput!) {
  userUpdate(input: $input) { user { id department } errors { field code } }
}
"""

DEPARTMENT_CREATE = """
mutation($input: DepartmentCreateInput!) {
  departmentCreate(input: $input) {
    department { id name members { email } }
    errors { field message code }
  }
}
"""

PARTY = """
query($id: ID!) {
  node(id: $id) {
    ... on RelatedParty { displayName team { name } department { name } user { id } }
  }
}
"""

DEPARTMENTS = "{ departments { name members { email } } }"

EXPLAIN_AT = """
query($caseId: ID!, $at: DateTime!) {
  explainAccess(caseId: $caseId, at: $at) { allowed grants { kind } historyComplete historyNotes }
}
"""

REPORT = """
query($id: ID!) {
  accessReport(consumerId: $id) {
    entries { user { email } grants { kind description actions cases { number } } }
  }
}
"""


async def _team(admin: GraphQLClient, name: str) -> str:
    data = await admin.data(TEAM_CREATE, {"input": {"name": name}})
    assert data["teamCreate"]["errors"] == []
    team_id: str = data["teamCreate"]["team"]["id"]
    return team_id


async def _department(admin: GraphQLClient, name: str) -> dict[str, Any]:
    data = await admin.data(DEPARTMENT_CREATE, {"input": {"name": name}})
    payload: dict[str, Any] = data["departmentCreate"]
    return payload


async def _set_department(world: World, who: str, department: str) -> None:
    data = await world.client("admin").data(
        USER_UPDATE, {"input": {"id": gid("User", world.ids[who]), "department": department}}
    )
    assert data["userUpdate"]["errors"] == []


async def _loan_case(world: World) -> tuple[str, str, str]:
    """The member's loan and a case about it (routed to the Care team, which the
    outsider is not in): (the loan's global id, the case's, its number)."""
    loan = await SoldProduct.create(
        name="Loan", serial_number="L-1", owner_id=world.member.id, household_id=None
    )
    case = await open_case(world, sold_product_id=loan.id, short_description="Renewal due")
    return gid("SoldProduct", loan.id), gid("Case", case.id), case.number


async def test_a_team_on_a_sold_product_opens_its_cases_to_members_while_they_are(
    http: httpx.AsyncClient,
) -> None:
    # given: a finance team tracks the member's loan; the outsider (an agent of
    # no team of the case) is not in it yet
    world = await make_world(http)
    world.ids["outsider"] = world.client("outsider").user.id  # type: ignore[union-attr]
    admin = world.client("admin")
    loan_gid, case_gid, number = await _loan_case(world)
    finance = await _team(admin, "Finance")
    added = await add_party(
        world.client("agent"),
        soldProductId=loan_gid,
        teamId=finance,
        relationshipType="finance contact",
    )
    assert added["errors"] == []
    outsider = world.client("outsider")

    # when / then: no membership, no grant
    assert await doors(outsider, case_gid) == ([], None)
    assert await explain(outsider, case_gid) == {"allowed": [], "grants": []}

    # when: the outsider joins the team
    joined = await admin.data(
        TEAM_MEMBER_ADD,
        {"input": {"teamId": finance, "userId": gid("User", world.ids["outsider"])}},
    )
    assert joined["teamMemberAdd"]["errors"] == []
    listed, node = await doors(outsider, case_gid)
    explained = await explain(outsider, case_gid)

    # then: the case is theirs to read, as the responsibility says, and explained
    assert listed == [number]
    assert node is not None
    assert node["viewerCan"] == {
        "read": True,
        "comment": False,
        "close": False,
        "manageRelatedParties": False,
    }
    assert explained == {
        "allowed": ["READ"],
        "grants": [
            {
                "kind": "TEAM_PARTY",
                "description": f"member of team Finance, related as finance contact on sold "
                f"product Loan of case {number} via responsibility case viewer",
                "actions": ["READ"],
                "validUntil": None,
            }
        ],
    }

    # when: the membership ends
    left = await admin.data(
        USER_UPDATE, {"input": {"id": gid("User", world.ids["outsider"]), "teamIds": []}}
    )
    assert left["userUpdate"]["errors"] == []

    # then: refused again, at once
    assert await doors(outsider, case_gid) == ([], None)
    assert await explain(outsider, case_gid) == {"allowed": [], "grants": []}


async def test_a_department_on_a_case_opens_it_to_its_people_while_they_are_in_it(
    http: httpx.AsyncClient,
) -> None:
    # given: the operations department is an attorney on the case; the outsider
    # is in no department
    world = await make_world(http)
    world.ids["outsider"] = world.client("outsider").user.id  # type: ignore[union-attr]
    admin = world.client("admin")
    case = await open_case(world, short_description="Maintenance visit")
    case_gid = gid("Case", case.id)
    created = await _department(admin, "Operations")
    assert created["errors"] == []
    added = await add_party(
        world.client("agent"),
        caseId=case_gid,
        departmentId=created["department"]["id"],
        relationshipType="attorney",
        responsibilityId=await responsibility_id("case collaborator"),
    )
    assert added["errors"] == []
    outsider = world.client("outsider")

    # when / then: not in the department, no grant
    assert await doors(outsider, case_gid) == ([], None)

    # when: an administrator puts the outsider in it (written differently)
    await _set_department(world, "outsider", "  operations ")
    listed, node = await doors(outsider, case_gid)
    explained = await explain(outsider, case_gid)

    # then
    assert listed == [case.number]
    assert node is not None
    assert node["viewerCan"]["comment"] is True
    assert node["viewerCan"]["close"] is False
    assert explained == {
        "allowed": ["READ", "COMMENT", "ATTACH"],
        "grants": [
            {
                "kind": "DEPARTMENT_PARTY",
                "description": f"in department Operations, related as attorney on case "
                f"{case.number} via responsibility case collaborator",
                "actions": ["READ", "COMMENT", "ATTACH"],
                "validUntil": None,
            }
        ],
    }
    members = (await admin.data(DEPARTMENTS))["departments"]
    assert members == [{"name": "Operations", "members": [{"email": "outsider@example.com"}]}]
    a_moment_ago = clock.now().isoformat()
    past = (await outsider.data(EXPLAIN_AT, {"caseId": case_gid, "at": a_moment_ago}))[
        "explainAccess"
    ]
    assert past["grants"] == [{"kind": "DEPARTMENT_PARTY"}]
    assert past["historyComplete"] is False
    assert any("department is not dated" in note for note in past["historyNotes"])

    # when: they move to another department
    await _set_department(world, "outsider", "Sales")

    # then: refused again, at once
    assert await doors(outsider, case_gid) == ([], None)
    assert await explain(outsider, case_gid) == {"allowed": [], "grants": []}


async def test_the_access_report_names_the_people_a_team_reaches(
    http: httpx.AsyncClient,
) -> None:
    # given: the outsider is in the finance team that tracks the member's loan
    world = await make_world(http)
    outsider_id = world.client("outsider").user.id  # type: ignore[union-attr]
    admin = world.client("admin")
    loan_gid, _, number = await _loan_case(world)
    finance = await _team(admin, "Finance")
    await add_party(
        world.client("agent"),
        soldProductId=loan_gid,
        teamId=finance,
        relationshipType="finance contact",
    )
    await admin.data(
        TEAM_MEMBER_ADD, {"input": {"teamId": finance, "userId": gid("User", outsider_id)}}
    )

    # when
    data = await admin.data(REPORT, {"id": gid("Consumer", world.member.id)})

    # then: the outsider's entry names the team grant and the case it opens
    entries = {
        e["user"]["email"]: e["grants"] for e in data["accessReport"]["entries"] if e["user"]
    }
    team_grants = [g for g in entries["outsider@example.com"] if g["kind"] == "TEAM_PARTY"]
    assert team_grants == [
        {
            "kind": "TEAM_PARTY",
            "description": f"member of team Finance, related as finance contact on sold "
            f"product Loan of case {number} via responsibility case viewer",
            "actions": ["READ"],
            "cases": [{"number": number}],
        }
    ]


async def test_who_may_relate_a_team_or_a_department(http: httpx.AsyncClient) -> None:
    # given: the agent is in the Care team and the Care department
    world = await make_world(http)
    admin, agent = world.client("admin"), world.client("agent")
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    care = gid("Team", world.team.id)
    department = await _department(admin, "Care")
    care_department = department["department"]["id"]
    await _set_department(world, "agent", "care")

    # when
    own_team = await add_party(agent, caseId=case_gid, teamId=care, relationshipType="attorney")
    own_department = await add_party(
        agent, caseId=case_gid, departmentId=care_department, relationshipType="attorney"
    )
    by_consumer = await add_party(
        world.client("head"), caseId=case_gid, teamId=care, relationshipType="attorney"
    )
    both = await add_party(
        admin,
        caseId=case_gid,
        teamId=care,
        userId=gid("User", world.ids["manager"]),
        relationshipType="attorney",
    )
    duplicate = await _department(admin, " CARE ")
    forbidden = await world.client("member").execute(DEPARTMENTS)

    # then: nobody grants themselves, consumers do not name staff, one party at a time
    assert own_team["errors"] == [
        {
            "field": "teamId",
            "message": "Nobody can give themselves access: you are a member of this team.",
            "code": "FORBIDDEN",
        }
    ]
    assert own_department["errors"][0]["field"] == "departmentId"
    assert own_department["errors"][0]["code"] == "FORBIDDEN"
    assert by_consumer["errors"][0]["code"] in ("NOT_FOUND", "FORBIDDEN")
    assert both["errors"][0]["code"] == "REQUIRED"
    assert duplicate["errors"] == [
        {"field": "name", "message": "A department with this name exists.", "code": "CONFLICT"}
    ]
    assert forbidden["data"]["departments"] is None
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # when: an administrator relates the Care team; a member tries to raise its access
    added = await add_party(admin, caseId=case_gid, teamId=care, relationshipType="attorney")
    assert added["errors"] == []
    raised = await agent.data(
        PARTY_UPDATE,
        {
            "input": {
                "id": added["relatedParty"]["id"],
                "responsibilityId": await responsibility_id("case manager"),
            }
        },
    )
    shown = await agent.data(PARTY, {"id": added["relatedParty"]["id"]})
    hidden = await world.client("member").execute(PARTY, {"id": added["relatedParty"]["id"]})

    # then: refused as their own access; the party names the team to staff only
    assert raised["relatedPartyUpdate"]["errors"][0]["code"] == "FORBIDDEN"
    assert shown["node"] == {
        "displayName": "Care",
        "team": {"name": "Care"},
        "department": None,
        "user": None,
    }
    assert hidden["data"]["node"] == {**shown["node"], "team": None}
