"""What each consumer event carries: global ids as the API gives them, the
record as an administrator sees it, and nothing personal once erased."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import httpx

from csm_graph import clock
from csm_graph.consumers import services as consumers
from csm_graph.consumers.services import ConsumerDraft
from csm_graph.settings import Settings
from csm_graph.surveys.models import Survey
from csm_graph.webhooks.models import DeliveryState, WebhookDelivery
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import STAFF
from tests.support import GraphQLClient
from tests.webhooks.helpers import Receiver, register, settle

UPDATE = """
mutation($input: ConsumerUpdateInput!) { consumerUpdate(input: $input) { errors { code } } }
"""
MERGE = """
mutation($input: ConsumerMergeInput!) { consumerMerge(input: $input) { errors { code } } }
"""
ERASE = """
mutation($input: ConsumerEraseInput!) { consumerErase(input: $input) { errors { code } } }
"""
CONSUMER = "query($id: ID!) { node(id: $id) { ... on Consumer { id number } } }"
DELIVERIES = "{ webhookDeliveries(first: 20) { edges { node { id event payload } } } }"
REDELIVER = """
mutation($input: WebhookDeliveryRedeliverInput!) {
  webhookDeliveryRedeliver(input: $input) { errors { field code } }
}
"""
ASSIGN = "mutation($i: CaseAssignInput!) { caseAssign(input: $i) { errors { code } } }"
BULK_ASSIGN = """
mutation($i: CasesBulkAssignInput!) { casesBulkAssign(input: $i) { errors { code } } }
"""
CASE = "query($n: String!) { caseByNumber(number: $n) { id assignedTo { id } } }"
SUBMIT = """
mutation($i: SurveySubmitInput!) { surveySubmit(input: $i) { errors { code } } }
"""
ALL = ["CONSUMER_CREATED", "CONSUMER_UPDATED", "CONSUMER_MERGED", "CONSUMER_ERASED"]


def _bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.received]


async def test_consumer_events_carry_the_api_ids_and_the_record(
    admin_client: GraphQLClient, receiver: Receiver, settings: Settings
) -> None:
    # given
    await register(admin_client, f"{receiver.url}/crm", ALL)
    ann = await consumers.create_consumer(
        STAFF, ConsumerDraft(first_name="Ann", last_name="Lee", email="ann@example.com")
    )
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Le"))
    await settle(settings)
    # Deliveries run side by side: each is found by what it is about, not by
    # the order it arrived in.
    created = {b["data"]["consumer"]["lastName"]: b for b in _bodies(receiver)}
    ann_id = created["Lee"]["data"]["consumer"]["id"]
    dup_id = created["Le"]["data"]["consumer"]["id"]
    shown = (await admin_client.data(CONSUMER, {"id": ann_id}))["node"]

    # when: an update and a merge, over the API
    updated = await admin_client.data(UPDATE, {"input": {"id": ann_id, "lastName": "Lee-Park"}})
    merged = await admin_client.data(MERGE, {"input": {"survivorId": ann_id, "mergedId": dup_id}})
    await settle(settings)

    # then
    assert updated["consumerUpdate"]["errors"] == merged["consumerMerge"]["errors"] == []
    assert shown == {"id": ann_id, "number": ann.number}
    bodies = _bodies(receiver)
    assert sorted(b["type"] for b in bodies) == [
        "consumer.created",
        "consumer.created",
        "consumer.merged",
        "consumer.updated",
    ]
    by_type = {b["type"]: b for b in bodies}
    assert created["Lee"]["data"]["consumer"]["email"] == "ann@example.com"
    assert by_type["consumer.updated"]["data"]["consumer"]["lastName"] == "Lee-Park"
    assert by_type["consumer.merged"]["data"]["consumer"]["id"] == ann_id
    assert by_type["consumer.merged"]["data"]["mergedId"] == dup_id


async def test_an_erased_consumer_leaves_no_personal_data_in_webhooks(
    admin_client: GraphQLClient, receiver: Receiver, settings: Settings
) -> None:
    # given: a consumer whose creation was delivered
    await register(admin_client, f"{receiver.url}/crm", ALL)
    await consumers.create_consumer(
        STAFF,
        ConsumerDraft(first_name="Zelda", last_name="Quist", email="zelda.quist@example.com"),
    )
    await settle(settings)
    consumer_id = _bodies(receiver)[0]["data"]["consumer"]["id"]

    # when
    erased = await admin_client.data(
        ERASE, {"input": {"consumerId": consumer_id, "reason": "Ticket 42"}}
    )
    await settle(settings)

    # then: the erasure event says who, by id, and nothing else
    assert erased["consumerErase"]["errors"] == []
    last = _bodies(receiver)[-1]
    assert last["type"] == "consumer.erased"
    assert last["data"]["consumer"] == {"id": consumer_id}
    assert "Zelda" not in json.dumps(last)
    # and what was stored about them is emptied, and cannot be sent again
    listed = (await admin_client.data(DELIVERIES))["webhookDeliveries"]["edges"]
    stored = [e["node"]["payload"] for e in listed]
    assert not any("Zelda" in p or "zelda" in p for p in stored)
    created = next(e["node"] for e in listed if e["node"]["event"] == "CONSUMER_CREATED")
    assert created["payload"] == "{}"
    again = await admin_client.data(REDELIVER, {"input": {"id": created["id"]}})
    assert again["webhookDeliveryRedeliver"]["errors"] == [{"field": "id", "code": "INVALID_STATE"}]
    states = {d.event.value: d.state for d in await WebhookDelivery.all()}
    assert states == {
        "consumer.created": DeliveryState.DELIVERED,
        "consumer.erased": DeliveryState.DELIVERED,
    }


async def test_assigning_a_new_case_tells_the_assignment_and_the_opening(
    http: httpx.AsyncClient, receiver: Receiver, settings: Settings
) -> None:
    # given: three NEW cases of the agent's team
    world = await make_world(http)
    admin, agent = world.client("admin"), world.client("agent")
    await register(admin, f"{receiver.url}/crm", ["CASE_ASSIGNED", "CASE_STATE_CHANGED"])
    numbers = [(await open_case(world)).number for _ in range(3)]
    ids = [(await admin.data(CASE, {"n": n}))["caseByNumber"]["id"] for n in numbers]

    # when: the agent takes one, then the two others at once
    one = await agent.data(ASSIGN, {"i": {"id": ids[0]}})
    many = await agent.data(BULK_ASSIGN, {"i": {"ids": ids[1:]}})
    await settle(settings)

    # then: for each, the assignment (to whom, from nobody) and NEW to OPEN
    assert one["caseAssign"]["errors"] == many["casesBulkAssign"]["errors"] == []
    agent_id = (await admin.data(CASE, {"n": numbers[0]}))["caseByNumber"]["assignedTo"]["id"]
    bodies = _bodies(receiver)
    assigned = {b["data"]["case"]["id"]: b["data"] for b in bodies if b["type"] == "case.assigned"}
    opened = {
        b["data"]["case"]["id"]: (b["data"]["previousState"], b["data"]["state"])
        for b in bodies
        if b["type"] == "case.state_changed"
    }
    assert set(assigned) == set(opened) == set(ids)
    for data in assigned.values():
        assert data["case"]["assignedToId"] == data["actorId"] == agent_id
        assert data["previousAssigneeId"] is None
    assert set(opened.values()) == {("NEW", "OPEN")}


async def test_an_answered_survey_is_told_once(
    http: httpx.AsyncClient, receiver: Receiver, settings: Settings
) -> None:
    # given: a survey sent for a case
    world = await make_world(http)
    admin = world.client("admin")
    await register(admin, f"{receiver.url}/crm", ["SURVEY_ANSWERED"])
    case = await open_case(world)
    survey = await Survey.create(
        case_id=case.id,
        consumer_id=world.member.id,
        token_hash=hashlib.sha256(b"survey-token").hexdigest(),
        expires_at=clock.now() + dt.timedelta(days=3),
        created_at=clock.now(),
    )
    answer = {"i": {"token": "survey-token", "rating": 4, "comment": "Quick help"}}

    # when: answered, then answered again (refused)
    first = await world.client("anonymous").data(SUBMIT, answer)
    second = await world.client("anonymous").data(SUBMIT, answer)
    await settle(settings)

    # then
    assert first["surveySubmit"]["errors"] == []
    assert [e["code"] for e in second["surveySubmit"]["errors"]] == ["CONFLICT"]
    (body,) = _bodies(receiver)
    shown = (await admin.data(CASE, {"n": case.number}))["caseByNumber"]
    assert body["type"] == "survey.answered"
    assert body["data"]["survey"]["caseId"] == shown["id"]
    assert body["data"]["survey"]["id"] == gid("Survey", survey.id)
    assert (body["data"]["survey"]["rating"], body["data"]["survey"]["comment"]) == (
        4,
        "Quick help",
    )
