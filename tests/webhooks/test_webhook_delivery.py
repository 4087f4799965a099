"""Webhooks on the wire: signed per Standard Webhooks, written with the change
(so a rolled-back change sends nothing), work notes only to internal
endpoints, and every attempt recorded."""

from __future__ import annotations

import json

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from csm_graph.consumers import services as consumers
from csm_graph.consumers.services import ConsumerDraft
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work
from csm_graph.webhooks.models import DeliveryState, WebhookDelivery
from csm_graph.webhooks.services import sweep_webhooks
from tests.schema.cases.helpers import make_world, open_case
from tests.schema.consumers.helpers import STAFF
from tests.support import GraphQLClient
from tests.webhooks.helpers import Receiver, register, settle

DELIVERIES = """
query($endpoint: ID) {
  webhookDeliveries(first: 20, endpointId: $endpoint) {
    totalCount
    edges {
      node {
        id event webhookId state attemptCount payload deliveredAt
        endpoint { id }
        attempts { statusCode responseExcerpt error at durationMs }
      }
    }
  }
}
"""
CASE = "query($n: String!) { caseByNumber(number: $n) { id consumer { id } } }"
COMMENT = """
mutation($input: CaseCommentAddInput!) {
  caseCommentAdd(input: $input) { comment { id } errors { code } }
}
"""
REDELIVER = """
mutation($input: WebhookDeliveryRedeliverInput!) {
  webhookDeliveryRedeliver(input: $input) { delivery { id state } errors { field code } }
}
"""


async def test_a_case_created_webhook_verifies_with_the_reference_code(
    http: httpx.AsyncClient, receiver: Receiver, settings: Settings
) -> None:
    # given: an endpoint for new cases
    world = await make_world(http)
    admin = world.client("admin")
    endpoint_id, secret = await register(admin, f"{receiver.url}/crm", ["CASE_CREATED"])

    # when: a case is opened
    case = await open_case(world)
    await settle(settings)

    # then: one signed request, verified by the Standard Webhooks reference code
    assert len(receiver.received) == 1
    request = receiver.received[0]
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "case.created"
    shown = (await admin.data(CASE, {"n": case.number}))["caseByNumber"]
    assert payload["data"]["case"]["id"] == shown["id"]
    assert payload["data"]["case"]["consumerId"] == shown["consumer"]["id"]
    assert payload["data"]["case"]["number"] == case.number
    # a wrong secret does not verify
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)
    # and the delivery, with its attempt, is queryable
    deliveries = (await admin.data(DELIVERIES, {"endpoint": endpoint_id}))["webhookDeliveries"]
    (edge,) = deliveries["edges"]
    node = edge["node"]
    assert node["webhookId"] == request.headers["webhook-id"]
    assert (node["event"], node["state"], node["attemptCount"]) == ("CASE_CREATED", "DELIVERED", 1)
    assert node["endpoint"] == {"id": endpoint_id}
    assert json.loads(node["payload"]) == payload
    assert [(a["statusCode"], a["responseExcerpt"], a["error"]) for a in node["attempts"]] == [
        (200, "thanks", "")
    ]


async def test_a_rolled_back_change_sends_nothing(
    admin_client: GraphQLClient, receiver: Receiver, settings: Settings
) -> None:
    # given
    await register(admin_client, f"{receiver.url}/crm", ["CONSUMER_CREATED"])

    # when: a consumer is created in a unit of work that then fails
    written: list[int] = []

    async def fail_after_writing() -> None:
        async with unit_of_work():
            await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))
            written.append(await WebhookDelivery.all().count())
            raise RuntimeError("the change fails after the consumer was written")

    with pytest.raises(RuntimeError, match="the change fails"):
        await fail_after_writing()
    assert written == [1]  # the delivery was written with the change
    await settle(settings)
    await sweep_webhooks()
    await settle(settings)

    # then: no delivery row, no request
    assert await WebhookDelivery.all().count() == 0
    assert receiver.received == []

    # and a committed one is sent
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Bea", last_name="Lee"))
    await settle(settings)
    (request,) = receiver.received
    assert json.loads(request.body)["data"]["consumer"]["firstName"] == "Bea"


async def test_a_work_note_reaches_internal_endpoints_only(
    http: httpx.AsyncClient, receiver: Receiver, settings: Settings
) -> None:
    # given: a consumer-side system and an internal one
    world = await make_world(http)
    admin = world.client("admin")
    await register(admin, f"{receiver.url}/portal", ["CASE_COMMENT_ADDED"])
    await register(admin, f"{receiver.url}/bi", ["CASE_COMMENT_ADDED"], internal=True)
    case = (await admin.data(CASE, {"n": (await open_case(world)).number}))["caseByNumber"]

    # when: the agent writes a work note, then a public comment
    agent = world.client("agent")
    for body, note in (("Checked the logs", True), ("Please restart it", False)):
        result = await agent.data(
            COMMENT, {"input": {"caseId": case["id"], "body": body, "workNote": note}}
        )
        assert result["caseCommentAdd"]["errors"] == []
    await settle(settings)

    # then
    def comments(path: str) -> list[tuple[str, bool]]:
        bodies = [json.loads(r.body) for r in receiver.at(path)]
        assert {b["type"] for b in bodies} == {"case.comment_added"}
        return [(b["data"]["comment"]["body"], b["data"]["comment"]["workNote"]) for b in bodies]

    assert comments("/portal") == [("Please restart it", False)]
    assert sorted(comments("/bi")) == [("Checked the logs", True), ("Please restart it", False)]


async def test_redelivery_sends_again_with_the_same_webhook_id(
    admin_client: GraphQLClient, receiver: Receiver, settings: Settings
) -> None:
    # given: a delivered webhook
    await register(admin_client, f"{receiver.url}/crm", ["CONSUMER_CREATED"])
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))
    await settle(settings)
    delivery = (await admin_client.data(DELIVERIES))["webhookDeliveries"]["edges"][0]["node"]

    # when
    data = await admin_client.data(REDELIVER, {"input": {"id": delivery["id"]}})
    await settle(settings)

    # then
    assert data["webhookDeliveryRedeliver"]["errors"] == []
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["webhookId"]
    assert first.body == second.body
    again = (await admin_client.data(DELIVERIES))["webhookDeliveries"]["edges"][0]["node"]
    assert (again["state"], again["attemptCount"], len(again["attempts"])) == ("DELIVERED", 1, 2)


async def test_a_delivery_still_waiting_is_not_redelivered(
    admin_client: GraphQLClient, receiver: Receiver, settings: Settings
) -> None:
    # given: a delivery still waiting (its job not run yet)
    _endpoint_id, _ = await register(admin_client, f"{receiver.url}/crm", ["CONSUMER_CREATED"])
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))
    await settle(settings)
    row = await WebhookDelivery.get()
    await WebhookDelivery.filter(id=row.id).update(state=DeliveryState.PENDING)

    # when
    delivery_id = (await admin_client.data(DELIVERIES))["webhookDeliveries"]["edges"][0]["node"]
    data = await admin_client.data(REDELIVER, {"input": {"id": delivery_id["id"]}})

    # then
    assert data["webhookDeliveryRedeliver"]["errors"] == [{"field": "id", "code": "INVALID_STATE"}]
