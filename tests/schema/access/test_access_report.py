"""`accessReport`: who can see a consumer now, and why; and a property that the
report agrees with the access engine and the contact field rule.

Property budget: EXAMPLES = 12 random worlds (`traversal_world.build_world`,
the worlds of the traversal property; Hypothesis derandomized, so every run
builds the same worlds and takes the same time), each with 3 to 6 consumers
and 5 to 11 logins: one report per consumer, each checked against every
login's own subject. About 3 s on SQLite and 7 s on PostgreSQL on two cores;
worlds drawn past `traversal_world.WORLDS_TIME_CAP` are not built.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

from csm_graph import runtime
from csm_graph.access import engine
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.access.report import ReportScope, access_report
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.products.models import SoldProduct
from csm_graph.schema.consumers.types import Consumer as ConsumerObject
from csm_graph.schema.policy import consumer_contact
from tests.conftest import wipe
from tests.schema.access.helpers import add_party
from tests.schema.access.traversal_world import WorldClock, build_world, over_world_seeds
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.support import login, make_user

REPORT = """
query($id: ID!) {
  accessReport(consumerId: $id) {
    consumer { number }
    entries {
      internal
      user { id }
      consumer { number }
      grants { scope kind description actions validUntil cases { number } team { name } }
    }
  }
}
"""

EXAMPLES = 12

Entries = dict[str, list[dict[str, Any]]]


async def _scene(http: httpx.AsyncClient) -> tuple[World, Case]:
    """The case world, with the member's case on a loan assigned to the agent,
    a guarantor on the case and a finance contact on the loan."""
    world = await make_world(http)
    loan = await SoldProduct.create(name="Loan", owner_id=world.member.id)
    case = await open_case(world, sold_product_id=loan.id)
    await Case.filter(id=case.id).update(assigned_to_id=world.ids["agent"])
    for name in ("guarantor", "broker"):
        user = await make_user(f"{name}@example.com", user_type=UserType.EXTERNAL)
        consumer = await make_consumer(first_name=name.title(), last_name="Doe")
        await Consumer.filter(id=consumer.id).update(user_id=user.id)
        world.clients[name] = await login(http, f"{name}@example.com")
        world.ids[name] = consumer.id
    added = await add_party(
        world.client("agent"),
        caseId=gid("Case", case.id),
        consumerId=gid("Consumer", world.ids["guarantor"]),
        relationshipType="guarantor",
    )
    assert added["errors"] == []
    await RelatedParty.create(
        sold_product_id=loan.id,
        consumer_id=world.ids["broker"],
        relationship_type_id=(await RelationshipType.get(name="finance contact")).id,
        responsibility_id=(await Responsibility.get(name="case viewer")).id,
    )
    return world, case


async def _by_name(report: dict[str, Any]) -> Entries:
    """The grants of each entry whose login the viewer sees, by the login's name
    (its email's local part)."""
    names = {gid("User", u.id): u.email.split("@")[0] for u in await User.all()}
    return {names[e["user"]["id"]]: e["grants"] for e in report["entries"] if e["user"]}


def _kinds(grants: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(g["scope"], g["kind"]) for g in grants}


async def test_the_report_names_everyone_who_sees_the_consumer_and_why(
    http: httpx.AsyncClient,
) -> None:
    # given
    world, case = await _scene(http)

    # when
    data = await world.client("admin").data(REPORT, {"id": gid("Consumer", world.member.id)})

    # then
    report = data["accessReport"]
    assert report["consumer"] == {"number": world.member.number}
    seen = await _by_name(report)
    contact, cases = "CONTACT_DETAILS", "CASES"
    assert _kinds(seen["member"]) == {
        (contact, "CONSUMER"),
        (cases, "CONSUMER"),
        (cases, "HOUSEHOLD_MEMBER"),
    }
    assert _kinds(seen["head"]) == {
        (contact, "HEAD_OF_HOUSEHOLD"),
        (cases, "HEAD_OF_HOUSEHOLD"),
        (cases, "HOUSEHOLD_MEMBER"),
    }
    assert _kinds(seen["other"]) == {(cases, "HOUSEHOLD_MEMBER")}
    assert _kinds(seen["rep"]) == {(contact, "REPRESENTATIVE"), (cases, "REPRESENTATIVE")}
    (guarantor,) = seen["guarantor"]
    assert (guarantor["kind"], guarantor["cases"]) == ("RELATED_PARTY", [{"number": case.number}])
    assert "case collaborator" in guarantor["description"]
    (broker,) = seen["broker"]
    assert broker["kind"] == "SOLD_PRODUCT_PARTY"
    assert (
        (broker["description"])
        == "finance contact on sold product Loan via responsibility case viewer"
    )
    assert broker["actions"] == ["READ"]
    agent = {g["kind"]: g for g in seen["agent"]}
    assert set(agent) == {"INTERNAL_USER", "TEAM", "ASSIGNEE"}
    assert agent["TEAM"]["team"] == {"name": "Care"}
    assert agent["TEAM"]["cases"] == [{"number": case.number}]
    assert _kinds(seen["manager"]) == {(contact, "INTERNAL_USER"), (cases, "MANAGER")}
    assert _kinds(seen["admin"]) == {(contact, "INTERNAL_USER"), (cases, "ADMIN")}
    assert _kinds(seen["intake"]) == {
        (contact, "INTERNAL_USER"),
        (cases, "ADMIN"),
        (cases, "OPENER"),
    }
    # an internal user reads contact details, and nothing of the cases
    assert _kinds(seen["outsider"]) == {(contact, "INTERNAL_USER")}
    assert "stranger" not in seen
    assert [e["internal"] for e in report["entries"]] == sorted(
        e["internal"] for e in report["entries"]
    )


async def test_the_consumer_sees_their_own_report_through_the_object_rules(
    http: httpx.AsyncClient,
) -> None:
    # given
    world, _ = await _scene(http)

    # when
    mine = await world.client("member").execute(REPORT, {"id": gid("Consumer", world.member.id)})

    # then: the same people, but the logins, consumers and teams they may not see
    # come back null (listed in redactedFields)
    report = mine["data"]["accessReport"]
    assert report["consumer"] == {"number": world.member.number}
    by_admin = await world.client("admin").data(REPORT, {"id": gid("Consumer", world.member.id)})
    assert len(report["entries"]) == len(by_admin["accessReport"]["entries"])
    seen = await _by_name(report)
    assert "agent" in seen  # the assignee is shown on the case
    assert "manager" not in seen  # a staff member the consumer cannot see
    assert all(g["team"] is None for g in seen["agent"])  # teams are for internal users
    assert all(e["grants"] for e in report["entries"])
    assert mine["extensions"]["redactedFields"]


async def test_anyone_else_gets_the_answer_of_a_missing_consumer(
    http: httpx.AsyncClient,
) -> None:
    # given
    world, _ = await _scene(http)
    member = gid("Consumer", world.member.id)
    missing: dict[str, Any] = {"consumer": None, "entries": []}

    # when
    by_stranger = await world.client("stranger").data(REPORT, {"id": member})
    by_head = await world.client("head").data(REPORT, {"id": member})
    by_agent = await world.client("agent").data(REPORT, {"id": member})
    unknown = await world.client("admin").data(REPORT, {"id": gid("Consumer", 10**6)})
    not_an_id = await world.client("admin").data(REPORT, {"id": "nonsense"})
    anonymous = await world.client("anonymous").execute(
        "query($id: ID!) { accessReport(consumerId: $id) { entries { internal } } }",
        {"id": member},
    )

    # then
    assert by_stranger["accessReport"] == by_head["accessReport"] == missing
    assert by_agent["accessReport"] == unknown["accessReport"] == missing
    assert not_an_id["accessReport"] == missing
    assert anonymous.get("data") is None
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


# --- the property -----------------------------------------------------------------------------


async def _expected(consumer: Consumer) -> dict[int, tuple[set[int], bool]]:
    """For every active login, asked as a request would: the consumer's cases
    its subject's SQL filter lists, and whether the contact field rule lets it
    read the consumer's contact details (only logins with one or the other)."""
    out = {}
    user_ids: list[Any] = await User.filter(is_active=True).values_list("id", flat=True)
    for user_id in user_ids:
        viewer = await load_viewer(int(user_id))
        assert viewer is not None
        subject = await engine.load_subject(viewer)
        listed = await Case.filter(engine.case_filter(subject), consumer_id=consumer.id)
        shown = ConsumerObject.from_model(consumer, acts_for=consumer.id in subject.reach.acts_for)
        contact = consumer_contact(viewer, shown)
        if listed or contact:
            out[viewer.user_id] = ({c.id for c in listed}, contact)
    return out


async def _check_reports() -> None:
    for consumer in await Consumer.all().order_by("id"):
        expected = await _expected(consumer)
        report = await access_report(consumer, consumer_contact)
        found = {
            e.user_id: (
                {c for g in e.grants if g.scope is ReportScope.CASES for c in g.case_ids},
                any(g.scope is ReportScope.CONTACT_DETAILS for g in e.grants),
            )
            for e in report
        }
        assert found == expected, (consumer.number, found, expected)


@over_world_seeds(EXAMPLES)
async def test_a_person_is_in_the_report_exactly_when_the_rules_let_them_see_the_consumer(
    product: runtime.Runtime, world_clock: WorldClock, seed: int
) -> None:
    if not world_clock.in_time():
        return
    await wipe(product)
    await build_world(random.Random(seed))
    await _check_reports()
