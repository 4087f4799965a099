"""Every `DateTime` the API returns has one shape (`2026-11-30T03:38:12.904Z`) and
every `Date` another (`2026-11-30`), whatever the stored value and the backend:
a broad query over a small world, walked with the schema's types."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from graphql import GraphQLSchema

from csm_graph import clock
from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import ApiToken, User
from csm_graph.cases.models import Case, CaseAttachment
from csm_graph.consumers.models import Consumer, ImportJob, ImportState
from csm_graph.customfields.models import CustomField, CustomFieldEntity, CustomFieldType
from csm_graph.delegations.models import Delegation, DelegationScope, DelegationState
from csm_graph.households.models import HouseholdMember, Relationship, Representation
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.privacy.models import ErasureRequest, ErasureState
from csm_graph.products.models import SoldProduct
from csm_graph.schema import build_schema
from csm_graph.settings import Settings
from csm_graph.sla.models import SlaHoliday, SlaSchedule
from csm_graph.surveys.models import Survey
from csm_graph.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import join
from tests.schema.shapes import fields_of, walk
from tests.support import LOGIN, PASSWORD, GraphQLClient

PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
CLOSED_AT = dt.datetime(2026, 11, 30, 4, 38, 12, 904999, tzinfo=PLUS_ONE)
"""Stored with an offset and microseconds: read back as UTC, to the millisecond."""

EVERYTHING = """
query Everything($case: ID!, $party: ID!, $job: ID!, $member: ID!, $delegation: ID!) {
  viewer { lastLoginAt }
  users(first: 50) { edges { node { lastLoginAt } } }
  consumers(first: 20) {
    edges {
      node {
        createdAt updatedAt dateOfBirth lastSurveyAt
        households { createdAt members(includePast: true) { startDate endDate } }
        representatives { validFrom validUntil }
        soldProducts { createdAt }
      }
    }
  }
  cases(first: 20) {
    edges {
      node {
        createdAt updatedAt resolvedAt closedAt responseDueAt resolutionDueAt firstResponseAt
        comments(first: 20) { edges { node { createdAt } } }
        activity(first: 20) { edges { node { createdAt } } }
        attachments { createdAt }
        relatedParties { validFrom validUntil createdAt }
      }
    }
  }
  explainAccess(caseId: $case, userId: $party) { grants { kind validUntil } }
  surveys(first: 20) { edges { node { createdAt expiresAt answeredAt } } }
  slaTargets { updatedAt }
  slaSchedules { createdAt updatedAt holidays { date } }
  customFieldDefinitions(includeRetired: true) { retiredAt updatedAt }
  job: node(id: $job) { __typename ... on ImportJob { createdAt finishedAt } }
  delegation: node(id: $delegation) {
    __typename ... on Delegation { endsOn createdAt acceptedAt endedAt }
  }
  auditEvents(first: 5) { edges { node { at } } }
  erasureRequests(first: 5) { edges { node { createdAt decidedAt } } }
  accessReport(consumerId: $member) { entries { grants { validUntil } } }
  apiTokens(first: 5) { edges { node { createdAt expiresAt lastUsedAt revokedAt } } }
  webhookEndpoints { createdAt updatedAt disabledAt }
  webhookDeliveries(first: 5) {
    edges { node { createdAt nextAttemptAt deliveredAt attempts { at } } }
  }
  inboundEmails(first: 5) { edges { node { receivedAt processedAt } } }
}
"""
SHAPE_OF_EXPORTS = (
    "tests/exports/test_data_export.py: test_the_link_works_once_and_only_for_the_consumer"
)
CHECKED_ELSEWHERE = {
    "CaseEvent.at": "a subscription's: tests/schema/cases/test_case_events.py checks it",
    "DataExport.createdAt": SHAPE_OF_EXPORTS,
    "DataExport.finishedAt": SHAPE_OF_EXPORTS,
    "DataExport.expiresAt": SHAPE_OF_EXPORTS,
    "DataExport.downloadedAt": SHAPE_OF_EXPORTS,
}


async def _world(http: httpx.AsyncClient) -> dict[str, Any]:
    """The case world, with a value in every DateTime and Date field an admin reads."""
    world = await make_world(http)
    today = clock.today()
    await Consumer.filter(id=world.member.id).update(
        date_of_birth=dt.date(1990, 2, 3), last_survey_at=clock.now()
    )
    ex = await make_consumer(first_name="Ex", last_name="Member")
    await join(world.household, ex, Relationship.OTHER)
    await HouseholdMember.filter(consumer_id=ex.id).update(end_date=today)
    await Representation.filter(consumer_id=world.member.id).update(
        valid_until=today + dt.timedelta(days=30)
    )
    loan = await SoldProduct.create(name="Loan", serial_number="L-1", owner_id=world.member.id)
    case = await open_case(world, sold_product_id=loan.id)
    comment = """
    mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }
    """
    await world.client("agent").data(
        comment, {"i": {"caseId": gid("Case", case.id), "body": "On it"}}
    )
    await Case.filter(id=case.id).update(
        resolved_at=clock.now(), closed_at=CLOSED_AT, first_response_at=clock.now()
    )
    await CaseAttachment.create(
        case_id=case.id,
        file_name="a.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        storage_key="datetime-key",
    )
    stranger = await User.get(email="stranger@example.com")
    await RelatedParty.create(
        case_id=case.id,
        user_id=stranger.id,
        relationship_type_id=(await RelationshipType.get(name="guarantor")).id,
        responsibility_id=(await Responsibility.get(name="case collaborator")).id,
        valid_from=today - dt.timedelta(days=1),
        valid_until=today + dt.timedelta(days=10),
    )
    await Survey.create(
        case_id=case.id,
        consumer_id=world.member.id,
        created_at=clock.now(),
        expires_at=clock.now() + dt.timedelta(days=14),
        answered_at=clock.now(),
        rating=5,
    )
    job = await ImportJob.create(
        source="number\n", file_name="c.csv", state=ImportState.DONE, finished_at=clock.now()
    )
    await ErasureRequest.create(
        consumer_id=world.stranger.id,
        state=ErasureState.REJECTED,
        reason="ticket 1",
        decided_at=CLOSED_AT,
    )
    await ApiToken.create(
        user_id=stranger.id,
        name="t",
        prefix="csm_t",
        token_hash="1" * 64,
        created_at=clock.now(),
        expires_at=CLOSED_AT,
        last_used_at=clock.now(),
        revoked_at=clock.now(),
    )
    endpoint = await WebhookEndpoint.create(
        url="https://crm.example.com/",
        events=["case.created"],
        secret="whsec_x",
        enabled=False,
        disabled_at=CLOSED_AT,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    delivery = await WebhookDelivery.create(
        endpoint_id=endpoint.id,
        event="case.created",
        message_id="msg_1",
        created_at=clock.now(),
        next_attempt_at=clock.now(),
        delivered_at=CLOSED_AT,
    )
    await WebhookAttempt.create(delivery_id=delivery.id, at=clock.now(), status_code=200)
    await InboundEmail.create(
        intake=Intake.SMTP,
        state=InboundState.PARKED,
        raw_key="datetime-key",
        received_at=CLOSED_AT,
        processed_at=clock.now(),
    )
    await CustomField.create(
        entity=CustomFieldEntity.CONSUMER,
        key="tier",
        label="Tier",
        type=CustomFieldType.TEXT,
        retired_at=CLOSED_AT,
    )
    schedule = await SlaSchedule.create(name="Office", time_zone="UTC", hours=[[0, 540, 1020]])
    await SlaHoliday.create(schedule_id=schedule.id, day=dt.date(2026, 12, 24), name="Eve")
    delegation = await Delegation.create(
        consumer_id=world.member.id,
        delegate_id=world.representative.id,
        email="rep@example.com",
        scope=DelegationScope.READ,
        ends_on=today + dt.timedelta(days=30),
        state=DelegationState.ENDED,
        token_expires_at=CLOSED_AT,
        created_at=CLOSED_AT,
        accepted_at=CLOSED_AT,
        ended_at=clock.now(),
    )
    return {
        "client": world.client("admin"),
        "variables": {
            "case": gid("Case", case.id),
            "party": gid("User", stranger.id),
            "job": gid("ImportJob", job.id),
            "member": gid("Consumer", world.member.id),
            "delegation": gid("Delegation", delegation.id),
        },
        "case": case,
    }


def _schema(settings: Settings) -> GraphQLSchema:
    return build_schema(settings)._schema


async def test_every_datetime_and_date_the_api_returns_has_one_shape(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    schema = _schema(settings)
    world = await _world(http)
    admin: GraphQLClient = world["client"]

    # when
    data = await admin.data(EVERYTHING, world["variables"])
    login = await GraphQLClient(http).data(
        LOGIN, {"input": {"email": "admin@example.com", "password": PASSWORD}}
    )

    # then: every value has its shape
    found = walk(schema, EVERYTHING, data)
    signed_in = walk(schema, LOGIN, login)
    assert found.wrong == []
    assert signed_in.wrong == []
    # and the walk met every DateTime and Date field of the schema, with a value
    # (`login` for AuthPayload.accessTokenExpiresAt)
    met = set(found.checked) | set(signed_in.checked)
    assert met == fields_of(schema, "DateTime", "Date") - set(CHECKED_ELSEWHERE)
    # a value stored with an offset and microseconds reads as UTC, to the millisecond
    (case,) = data["cases"]["edges"]
    assert case["node"]["closedAt"] == "2026-11-30T03:38:12.904Z"
    assert "1990-02-03" in found.checked["Consumer.dateOfBirth"]


def test_the_walk_finds_a_value_of_the_wrong_shape(settings: Settings) -> None:
    # given: a response as the API wrote it before
    schema = _schema(settings)
    query = "query($id: ID!) { n: node(id: $id) { __typename ... on Case { createdAt } } }"
    data = {"n": {"__typename": "Case", "createdAt": "2026-11-30T03:38:12.904512+00:00"}}

    # when
    found = walk(schema, query, data)

    # then
    assert found.checked == {"Case.createdAt": ["2026-11-30T03:38:12.904512+00:00"]}
    assert found.wrong == [(("n", "createdAt"), "DateTime", "2026-11-30T03:38:12.904512+00:00")]
