"""A receiver that fails: retries with exponential back-off, every attempt
recorded, and an endpoint failing too often in a row is disabled and its
owner emailed."""

from __future__ import annotations

import datetime as dt

import pytest

from csm_graph import clock
from csm_graph.consumers import services as consumers
from csm_graph.consumers.services import ConsumerDraft
from csm_graph.settings import Settings
from csm_graph.webhooks import services
from csm_graph.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery
from csm_graph.webhooks.services import sweep_webhooks
from tests.mail import Mailbox, body
from tests.schema.consumers.helpers import STAFF
from tests.support import GraphQLClient
from tests.webhooks.helpers import Receiver, register, settle

ENDPOINTS = "{ webhookEndpoints { enabled consecutiveFailures disabledAt disabledReason } }"
ENABLE = """
mutation($input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(input: $input) { endpoint { enabled consecutiveFailures } errors { code } }
}
"""


@pytest.fixture
def quick_retries(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(settings, "webhook_max_attempts", 3)
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 10)
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 3)
    return settings


async def test_a_failing_receiver_gets_retries_with_back_off_then_the_endpoint_is_disabled(
    admin_client: GraphQLClient,
    receiver: Receiver,
    quick_retries: Settings,
    mailbox: Mailbox,
    frozen_clock: None,
) -> None:
    # given: an endpoint whose receiver answers 500
    receiver.status, receiver.answer = 500, b"database down " + b"x" * 5000
    endpoint_id, _ = await register(admin_client, f"{receiver.url}/crm", ["CONSUMER_CREATED"])
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))

    # when: the first attempt, then each retry once its back-off has passed
    await settle(quick_retries)
    waits = []
    for _ in range(2):
        row = await WebhookDelivery.get()
        assert row.state is DeliveryState.PENDING
        assert row.next_attempt_at is not None
        waits.append(row.next_attempt_at - clock.now())
        assert await sweep_webhooks() == 0  # not due yet
        clock.travel(row.next_attempt_at - clock.now())
        assert await sweep_webhooks() == 1
        await settle(quick_retries)

    # then: three requests with one webhook-id, 10 s then 20 s apart
    assert waits == [dt.timedelta(seconds=10), dt.timedelta(seconds=20)]
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    row = await WebhookDelivery.get()
    assert (row.state, row.attempts, row.next_attempt_at) == (DeliveryState.FAILED, 3, None)
    attempts = await WebhookAttempt.filter(delivery_id=row.id).order_by("id")
    assert [a.status_code for a in attempts] == [500, 500, 500]
    assert all(a.response_excerpt.startswith("database down") for a in attempts)
    assert {len(a.response_excerpt) for a in attempts} == {
        quick_retries.webhook_response_excerpt_bytes
    }
    # and the endpoint is disabled, its owner told once
    (endpoint,) = (await admin_client.data(ENDPOINTS))["webhookEndpoints"]
    assert endpoint["enabled"] is False
    assert endpoint["consecutiveFailures"] == 3
    assert endpoint["disabledReason"] == "3 delivery attempts in a row failed."
    (email,) = await mailbox.settle()
    assert email["To"] == "admin@example.com"
    assert f"{receiver.url}/crm" in body(email, "plain")
    # and nothing more goes to it: new events are not queued
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Bea", last_name="Lee"))
    await settle(quick_retries)
    assert len(receiver.received) == 3
    assert await WebhookDelivery.all().count() == 1

    # when: the receiver is fixed and the endpoint enabled again
    receiver.status = 200
    enabled = await admin_client.data(ENABLE, {"input": {"id": endpoint_id, "enabled": True}})

    # then
    assert enabled["webhookEndpointUpdate"]["endpoint"] == {
        "enabled": True,
        "consecutiveFailures": 0,
    }


async def test_an_unreachable_receiver_records_the_error(
    admin_client: GraphQLClient, receiver: Receiver, quick_retries: Settings
) -> None:
    # given: an endpoint on a port nobody listens on
    await register(admin_client, "http://127.0.0.1:9/hooks", ["CONSUMER_CREATED"])

    # when
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))
    await settle(quick_retries)

    # then
    (attempt,) = await WebhookAttempt.all()
    assert attempt.status_code is None
    assert "ConnectError" in attempt.error
    row = await WebhookDelivery.get()
    assert row.state is DeliveryState.PENDING


def test_back_off_doubles_up_to_its_cap(settings: Settings) -> None:
    delays = [services.retry_delay(settings, n).total_seconds() for n in range(1, 12)]
    assert delays[:3] == [30, 60, 120]
    assert max(delays) == settings.webhook_retry_max_seconds


async def test_a_private_address_is_not_called_where_refused(
    admin_client: GraphQLClient,
    receiver: Receiver,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: an endpoint on a host that resolves to loopback, saved while allowed
    host_url = receiver.url.replace("127.0.0.1", "localhost")
    await register(admin_client, f"{host_url}/crm", ["CONSUMER_CREATED"])
    monkeypatch.setattr(settings, "webhook_allow_private_addresses", False)

    # when
    await consumers.create_consumer(STAFF, ConsumerDraft(first_name="Ann", last_name="Lee"))
    await settle(settings)

    # then: checked before the request, which is never made
    (attempt,) = await WebhookAttempt.all()
    assert attempt.status_code is None
    assert attempt.error == "localhost resolves to a private address"
    assert receiver.received == []
