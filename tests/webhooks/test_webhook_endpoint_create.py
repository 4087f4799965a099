"""Registering webhook endpoints: administrators only, the secret shown once,
and URLs that are not http(s) (or, where refused, private) turned away."""

from __future__ import annotations

import json

import pytest
from graphql import GraphQLObjectType

from csm_graph.schema import build_schema
from csm_graph.settings import Settings
from csm_graph.webhooks.models import WebhookEndpoint
from tests.support import GraphQLClient
from tests.webhooks.helpers import CREATE, register

ENDPOINTS = "{ webhookEndpoints { id url events enabled createdBy { email } } }"
DELIVERIES = "{ webhookDeliveries(first: 10) { edges { node { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { id url } } }"
UPDATE = """
mutation($input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(input: $input) {
    endpoint { id events enabled } secret errors { field code }
  }
}
"""
ROTATE = """
mutation($input: WebhookEndpointIdInput!) {
  webhookEndpointSecretRotate(input: $input) { endpoint { id } secret errors { field code } }
}
"""
DELETE = """
mutation($input: WebhookEndpointIdInput!) {
  webhookEndpointDelete(input: $input) { endpoint { id url } errors { field code } }
}
"""


async def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(
    admin_client: GraphQLClient,
) -> None:
    # when
    endpoint_id, secret = await register(
        admin_client, "https://crm.example.com/hooks", ["CASE_CREATED", "SURVEY_ANSWERED"]
    )

    # then: a Standard Webhooks secret, stored to sign with
    assert secret.startswith("whsec_")
    assert len(secret) > 30
    stored = await WebhookEndpoint.get()
    assert stored.secret == secret
    assert stored.events == ["case.created", "survey.answered"]
    # and no read gives it back: not the list, not node(id:), not an update
    listed = await admin_client.data(ENDPOINTS)
    assert listed["webhookEndpoints"] == [
        {
            "id": endpoint_id,
            "url": "https://crm.example.com/hooks",
            "events": ["CASE_CREATED", "SURVEY_ANSWERED"],
            "enabled": True,
            "createdBy": {"email": "admin@example.com"},
        }
    ]
    node = await admin_client.data(NODE, {"id": endpoint_id})
    assert node["node"]["id"] == endpoint_id
    update = await admin_client.data(
        UPDATE, {"input": {"id": endpoint_id, "events": ["CASE_ASSIGNED"]}}
    )
    assert update["webhookEndpointUpdate"]["secret"] is None
    assert update["webhookEndpointUpdate"]["endpoint"]["events"] == ["CASE_ASSIGNED"]


def test_no_type_of_the_schema_has_a_field_for_the_secret_but_the_payload() -> None:
    schema = build_schema(Settings())._schema
    holders = sorted(
        f"{t.name}.{name}"
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and t.name.startswith("Webhook")
        for name in t.fields
        if "secret" in name.lower()
    )
    assert holders == ["WebhookEndpointPayload.secret"]


async def test_rotating_gives_a_new_secret_once_and_keeps_the_old_one_signing(
    admin_client: GraphQLClient,
) -> None:
    # given
    endpoint_id, old = await register(admin_client, "https://crm.example.com/h", ["CASE_CREATED"])

    # when
    data = await admin_client.data(ROTATE, {"input": {"id": endpoint_id}})

    # then
    new = data["webhookEndpointSecretRotate"]["secret"]
    assert new.startswith("whsec_")
    assert new != old
    stored = await WebhookEndpoint.get()
    assert (stored.secret, stored.previous_secret) == (new, old)
    assert stored.previous_secret_until is not None


async def test_deleting_an_endpoint_removes_it(admin_client: GraphQLClient) -> None:
    # given
    endpoint_id, _ = await register(admin_client, "https://crm.example.com/h", ["CASE_CREATED"])

    # when
    data = await admin_client.data(DELETE, {"input": {"id": endpoint_id}})

    # then
    assert data["webhookEndpointDelete"]["endpoint"]["id"] == endpoint_id
    assert not await WebhookEndpoint.exists()
    again = await admin_client.data(DELETE, {"input": {"id": endpoint_id}})
    assert again["webhookEndpointDelete"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


@pytest.mark.parametrize(
    "url",
    ["ftp://crm.example.com/hooks", "crm.example.com/hooks", "https://user:pw@crm.example.com/"],
)
async def test_a_url_that_is_not_plain_http_or_https_is_refused(
    admin_client: GraphQLClient, url: str
) -> None:
    # when
    data = await admin_client.data(CREATE, {"input": {"url": url, "events": ["CASE_CREATED"]}})

    # then
    payload = data["webhookEndpointCreate"]
    assert payload["endpoint"] is None
    assert payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("url", "INVALID")]
    assert not await WebhookEndpoint.exists()


async def test_no_events_is_refused(admin_client: GraphQLClient) -> None:
    data = await admin_client.data(
        CREATE, {"input": {"url": "https://crm.example.com/", "events": []}}
    )

    assert [e["field"] for e in data["webhookEndpointCreate"]["errors"]] == ["events"]
    assert not await WebhookEndpoint.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9000/", "http://localhost/", "http://10.1.2.3/", "http://[::1]/"]
)
async def test_private_addresses_are_refused_unless_allowed(
    admin_client: GraphQLClient, settings: Settings, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # given: what production does by default
    monkeypatch.setattr(settings, "webhook_allow_private_addresses", False)

    # when
    data = await admin_client.data(CREATE, {"input": {"url": url, "events": ["CASE_CREATED"]}})

    # then
    assert [e["field"] for e in data["webhookEndpointCreate"]["errors"]] == ["url"]
    assert not await WebhookEndpoint.exists()

    # and allowed when the setting says so
    monkeypatch.setattr(settings, "webhook_allow_private_addresses", True)
    await register(admin_client, url, ["CASE_CREATED"])


def test_private_addresses_are_refused_by_default_in_production_only() -> None:
    production = Settings(_env_file=None, environment="production", secret_key="k" * 40)
    assert not production.webhooks_reach_private_addresses
    assert Settings(_env_file=None, environment="development").webhooks_reach_private_addresses


async def test_a_non_admin_can_neither_list_nor_register(
    agent_client: GraphQLClient, anon_client: GraphQLClient
) -> None:
    for client, code in ((agent_client, "FORBIDDEN"), (anon_client, "UNAUTHENTICATED")):
        # when
        listed = await client.execute(ENDPOINTS)
        deliveries = await client.execute(DELIVERIES)
        created = await client.execute(
            CREATE, {"input": {"url": "https://crm.example.com/", "events": ["CASE_CREATED"]}}
        )

        # then: as every restricted root field answers
        assert listed["data"] == {"webhookEndpoints": None}
        assert deliveries["data"] == {"webhookDeliveries": None}
        assert created["data"] is None
        for result in (listed, deliveries, created):
            assert [e["extensions"]["code"] for e in result["errors"]] == [code]
    assert not await WebhookEndpoint.exists()


async def test_an_endpoint_is_not_visible_by_id_to_a_non_admin(
    admin_client: GraphQLClient, agent_client: GraphQLClient
) -> None:
    # given
    endpoint_id, _ = await register(admin_client, "https://crm.example.com/h", ["CASE_CREATED"])

    # when
    data = await agent_client.data(NODE, {"id": endpoint_id})
    update = await agent_client.execute(UPDATE, {"input": {"id": endpoint_id, "enabled": False}})

    # then
    assert data == {"node": None}
    assert update["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await WebhookEndpoint.get()).enabled


AUDIT = """
query($filter: AuditEventFilter) {
  auditEvents(first: 10, filter: $filter) {
    edges { node { kind targetType targetId details actor { email } } }
  }
}
"""


async def test_each_change_of_an_endpoint_is_in_the_audit_trail_without_its_secret(
    admin_client: GraphQLClient,
) -> None:
    # given
    endpoint_id, secret = await register(
        admin_client, "https://crm.example.com/hooks", ["CASE_CREATED"]
    )

    # when: it is changed, disabled, given a new secret and deleted
    await admin_client.data(UPDATE, {"input": {"id": endpoint_id, "events": ["CASE_ASSIGNED"]}})
    await admin_client.data(UPDATE, {"input": {"id": endpoint_id, "enabled": False}})
    rotated = await admin_client.data(ROTATE, {"input": {"id": endpoint_id}})
    await admin_client.data(DELETE, {"input": {"id": endpoint_id}})

    # then: one event each, newest first, naming the host and events, never a secret
    kinds = ["ENDPOINT_CREATED", "ENDPOINT_CHANGED", "SECRET_ROTATED", "ENDPOINT_DELETED"]
    data = await admin_client.data(
        AUDIT,
        {"filter": {"kinds": [f"WEBHOOK_{k}" for k in kinds]}},
    )
    events = [edge["node"] for edge in data["auditEvents"]["edges"]]
    assert [e["kind"] for e in events] == [
        "WEBHOOK_ENDPOINT_DELETED",
        "WEBHOOK_SECRET_ROTATED",
        "WEBHOOK_ENDPOINT_CHANGED",
        "WEBHOOK_ENDPOINT_CHANGED",
        "WEBHOOK_ENDPOINT_CREATED",
    ]
    assert {(e["targetType"], e["actor"]["email"]) for e in events} == {
        ("WebhookEndpoint", "admin@example.com")
    }
    assert json.loads(events[3]["details"]) == {
        "host": "crm.example.com",
        "events": ["case.assigned"],
        "enabled": True,
        "fields": ["events"],
    }
    assert json.loads(events[2]["details"])["enabled"] is False
    text = str(events)
    for value in (secret, rotated["webhookEndpointSecretRotate"]["secret"]):
        assert value not in text
