"""`consumerErase`, `consumerErasureRequest`, `erasureRequestReject`,
`erasureRequests` and `consumerLegalHoldSet`: a consumer's personal data
leaves every table and every stored file, and the service's figures stay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.models import RelatedParty, RelationshipType
from csm_graph.accounts.models import User, UserType
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases.models import Case, CaseComment
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import HouseholdMember, Relationship, Representation
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.notifications.services import queue_email
from csm_graph.privacy.models import ErasureRequest, ErasureState
from csm_graph.settings import Settings
from csm_graph.surveys.models import Survey
from tests.mail import Mailbox, body
from tests.privacy.helpers import files, snapshot, where
from tests.schema.cases.test_case_attachment_add import upload
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, join, make_household, represent
from tests.support import GraphQLClient, login, make_user

ERASE = """
mutation Erase($input: ConsumerEraseInput!) {
  consumerErase(input: $input) {
    consumer { id number fullName email phone dateOfBirth address { line1 city } user { id } }
    erasureRequest { id consumerId consumerNumber state reason decisionReason decidedAt }
    errors { field message code }
  }
}
"""
REQUEST = """
mutation Request($input: ConsumerErasureRequestInput!) {
  consumerErasureRequest(input: $input) {
    erasureRequest { id consumerId consumerNumber state reason }
    errors { field message code }
  }
}
"""
REJECT = """
mutation Reject($input: ErasureRequestRejectInput!) {
  erasureRequestReject(input: $input) {
    erasureRequest { id state decisionReason decidedAt }
    errors { field message code }
  }
}
"""
REQUESTS = """
query Requests($state: ErasureRequestState) {
  erasureRequests(state: $state) {
    totalCount edges { node { id consumerId consumerNumber state reason } }
  }
}
"""
HOLD = """
mutation Hold($input: ConsumerLegalHoldSetInput!) {
  consumerLegalHoldSet(input: $input) {
    consumer { id number } legalHold errors { field message code }
  }
}
"""
CASE_CREATE = """
mutation($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { id number } errors { field message code } }
}
"""
COMMENT = """
mutation($input: CaseCommentAddInput!) {
  caseCommentAdd(input: $input) { comment { id } errors { field message code } }
}
"""
MERGE = """
mutation Merge($input: ConsumerMergeInput!) {
  consumerMerge(input: $input) { survivor { id } errors { field message code } }
}
"""
VIEWER = "{ viewer { id email } }"

FIRST, LAST = "Zephyrine", "Quillfeather"
EMAIL = "zephyrine.quill@plant.example"
OLD_EMAIL = "zeph.oldaddress@plant.example"
NEIGHBOUR = "nadia.neighbour@example.com"
COMMENT_TEXT = "Marzipan ledger remark 4471"
ON_BEHALF_TEXT = "Written for her: tangerine voucher 5823"
SURVEY_TEXT = "Survey aside: periwinkle kettle 8812"
FILE_TEXT = b"Scan of passport number QX7719203 belonging to the person"
FILE_NAME = "zephyrine-passport-scan.txt"


@dataclass
class Planted:
    consumer: Consumer
    client: GraphQLClient
    case_id: int
    values: list[str]
    """Every personal value planted, as stored."""


async def plant(http: httpx.AsyncClient, admin: GraphQLClient, mailbox: Mailbox) -> Planted:
    """A consumer with every kind of personal data the product holds, written
    through the API where a client would write it."""
    today = clock.today()
    consumer = await make_consumer(
        first_name=FIRST,
        middle_name="Ottoline",
        last_name=LAST,
        email=EMAIL,
        phone="+1 415 555 0177",
        mobile_phone="+1 415 555 0188",
        address_line1="17 Marzipan Lane",
        address_line2="Flat Zeta",
        city="Quillhaven",
        region="Plumshire",
        postal_code="94999",
        country="US",
        date_of_birth=dt.date(1971, 3, 14),
        twitter_handle="zephquill77",
        facebook_url="https://facebook.com/zephquill77",
        linkedin_url="https://linkedin.com/in/zephquill77",
        personal_email="zq.private@plant.example",
        external_id="EXT-ZQ-9917",
    )
    user = await make_user(EMAIL, user_type=UserType.EXTERNAL, first_name=FIRST, last_name=LAST)
    await Consumer.filter(id=consumer.id).update(
        user_id=user.id, review_reason="Zephyrine claimed two records"
    )
    consumer = await Consumer.get(id=consumer.id)
    client = await login(http, EMAIL)

    # a case she opened, describing herself; her comment; a file she attached
    created = (
        await client.data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": "Billing question",
                    "description": f"Please call {FIRST} {LAST} on {consumer.phone}.",
                }
            },
        )
    )["caseCreate"]
    assert created["errors"] == [], created
    case_id = int((await Case.get(number=created["case"]["number"])).id)
    said = (
        await client.data(
            COMMENT, {"input": {"caseId": gid("Case", case_id), "body": COMMENT_TEXT}}
        )
    )["caseCommentAdd"]
    assert said["errors"] == [], said
    attached = await upload(client, case_id, FILE_NAME, FILE_TEXT)
    assert attached["errors"] == [], attached
    # an agent's reply naming her, and a comment written on her behalf
    agent = await make_user("agent.reply@example.com", roles=("AGENT",))
    await CaseComment.create(
        case_id=case_id, body=f"Dear {FIRST} {LAST}, we are on it.", author_id=agent.id
    )
    await CaseComment.create(case_id=case_id, body=ON_BEHALF_TEXT, on_behalf_of_id=consumer.id)
    await Case.filter(id=case_id).update(sla_breached=True)
    # a survey she answered, with a comment
    await Survey.create(
        case_id=case_id,
        consumer_id=consumer.id,
        created_at=clock.now(),
        rating=2,
        comment=SURVEY_TEXT,
        answered_at=clock.now(),
    )
    # an email sent to her, and one waiting for someone else that names her
    await queue_email(
        template="set_password",
        to=EMAIL,
        context={"name": FIRST, "link": "https://portal.example/x"},
        key="privacy-test:sent",
    )
    await mailbox.settle()
    await OutboxEmail.create(
        key="privacy-test:failed",
        template="case_created",
        recipient="someone.else@example.com",
        context={"name": "Someone", "consumer_name": consumer.full_name},
        state=OutboxState.FAILED,
        message_id="<privacy-test@csm-graph.local>",
        created_at=clock.now(),
    )
    # households, representations and related parties, both ways
    shared = await make_household("The Neighbours")
    others = await make_consumer(first_name="Nadia", last_name="Other")
    await join(shared, others, Relationship.HEAD)
    await join(shared, consumer, Relationship.SPOUSE, start_date=today - dt.timedelta(days=40))
    await represent(others, consumer, valid_from=today - dt.timedelta(days=30))
    await represent(consumer, others, valid_from=today - dt.timedelta(days=30))
    other_case = await Case.create(number="CS7700001", short_description="x", consumer_id=others.id)
    kind = await RelationshipType.all().order_by("id").first()
    assert kind is not None
    await RelatedParty.create(
        case_id=other_case.id,
        consumer_id=consumer.id,
        relationship_type_id=kind.id,
        valid_from=today - dt.timedelta(days=10),
    )
    # a duplicate record merged into hers: the tombstone keeps its old values
    duplicate = await make_consumer(
        first_name=FIRST, last_name="Quillfeather-Old", email=OLD_EMAIL, phone="+1 415 555 0199"
    )
    merged = (
        await admin.data(
            MERGE,
            {
                "input": {
                    "survivorId": gid("Consumer", consumer.id),
                    "mergedId": gid("Consumer", duplicate.id),
                }
            },
        )
    )["consumerMerge"]
    assert merged["errors"] == [], merged
    await mailbox.settle()

    values = [
        FIRST,
        LAST,
        "Ottoline",
        EMAIL,
        consumer.phone,
        consumer.mobile_phone,
        "17 Marzipan Lane",
        "Flat Zeta",
        "Quillhaven",
        "Plumshire",
        "zephquill77",
        "zq.private@plant.example",
        "EXT-ZQ-9917",
        COMMENT_TEXT,
        ON_BEHALF_TEXT,
        SURVEY_TEXT,
        FILE_TEXT.decode(),
        FILE_NAME,
        OLD_EMAIL,
        "Quillfeather-Old",
        (await Consumer.get(id=duplicate.id)).phone,
    ]
    return Planted(consumer, client, case_id, values)


async def figures(consumer_id: int) -> dict[str, Any]:
    """What reports count: cases, their states and SLA times, survey ratings."""
    cases = await Case.filter(consumer_id=consumer_id).order_by("id")
    surveys = await Survey.filter(consumer_id=consumer_id).order_by("id")
    return {
        "cases": [
            (
                c.number,
                c.state,
                c.priority,
                c.created_at,
                c.response_due_at,
                c.resolution_due_at,
                c.first_response_at,
                c.sla_breached,
            )
            for c in cases
        ],
        "ratings": [(s.case_id, s.rating, s.answered_at) for s in surveys],
        "sla_level": (await Consumer.get(id=consumer_id)).sla_level,
    }


def erase_input(consumer: Consumer, reason: str = "GDPR art. 17, ticket PRIV-1") -> dict[str, Any]:
    return {"input": {"consumerId": gid("Consumer", consumer.id), "reason": reason}}


async def test_erasure_leaves_no_personal_value_in_any_table_or_file(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: every planted value is found somewhere (so the search works)
    planted = await plant(http, admin_client, mailbox)
    for value in planted.values:
        assert await where(value), f"{value!r} was not planted"
    before = await figures(planted.consumer.id)
    files_before = files()

    # when
    payload = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    await mailbox.settle()

    # then: none of the values is anywhere
    assert payload["errors"] == []
    number = planted.consumer.number
    assert payload["consumer"] == {
        "id": gid("Consumer", planted.consumer.id),
        "number": number,
        "fullName": f"Erased consumer {number}",
        "email": "",
        "phone": "",
        "dateOfBirth": None,
        "address": {"line1": "", "city": ""},
        "user": None,
    }
    request = payload["erasureRequest"]
    assert (request["state"], request["consumerNumber"], request["reason"]) == (
        "DONE",
        number,
        "GDPR art. 17, ticket PRIV-1",
    )
    for value in planted.values:
        assert await where(value) == [], f"{value!r} is still stored"
    assert len(files_before - files()) == 1  # her attachment's file
    # the records stay, under a pseudonym, and the figures add up as before
    assert await figures(planted.consumer.id) == before
    record = await Consumer.get(id=planted.consumer.id)
    assert (record.date_of_birth, record.user_id, record.external_id) == (None, None, None)
    tombstone = await Consumer.get(merged_into_id=planted.consumer.id)
    assert tombstone.full_name == f"Erased consumer {tombstone.number}"
    # her login is gone, and its token with it
    assert not await User.filter(email=EMAIL).exists()
    refused = await planted.client.post(VIEWER)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # what she wrote is "[erased]"; the agent's reply keeps all but her name
    bodies = {c.body for c in await CaseComment.filter(case_id=planted.case_id)}
    assert bodies == {"[erased]", "Dear [erased], we are on it."}
    case = await Case.get(id=planted.case_id)
    assert case.description == "Please call [erased] on [erased]."
    # grants end, the rows stay as history
    today = clock.today()
    yesterday = today - dt.timedelta(days=1)
    membership = await HouseholdMember.get(consumer_id=planted.consumer.id)
    assert membership.end_date == today
    ends = [r.valid_until for r in await Representation.all()]
    assert ends == [yesterday, yesterday]
    party = await RelatedParty.get(consumer_id=planted.consumer.id)
    assert party.valid_until == yesterday
    # the sent email keeps its row, without address or content
    sent = await OutboxEmail.get(key="privacy-test:sent")
    assert (sent.recipient, sent.context, sent.state) == ("[erased]", {}, OutboxState.SENT)
    # and the audit trail says so, by id only
    [event] = await AuditEvent.filter(kind=AuditKind.CONSUMER_ERASED)
    assert event.consumer_id == planted.consumer.id
    assert event.actor_id == admin_client.user.id  # type: ignore[union-attr]


async def test_the_embedded_mailers_emails_to_her_go_and_others_lose_her_name(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox, settings: Settings
) -> None:
    if settings.smtp_host:
        pytest.skip(
            "an SMTP server's mail is its recipients'; the embedded mailer's files are "
            "checked in the SQLite pass"
        )
    # given emails to her, and one to a neighbour that names her in its subject,
    # its text and its HTML, all written by the embedded mailer
    planted = await plant(http, admin_client, mailbox)
    await queue_email(
        template="case_created",
        to=NEIGHBOUR,
        context={
            "name": "Nadia",
            "number": "CS7700001",
            "consumer_name": f"{FIRST} {LAST}",
            "short_description": f"Call {FIRST} {LAST} back",
            "link": "https://portal.example/c/1",
        },
        key="privacy-test:neighbour",
    )
    before = await mailbox.settle()
    assert any(EMAIL in str(m["To"]) for m in before)
    [sent] = [m for m in before if NEIGHBOUR in str(m["To"])]
    assert f"{FIRST} {LAST}" in str(sent["Subject"])
    assert f"{FIRST} {LAST}" in body(sent, "html")

    # when she is erased
    payload = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    assert payload["errors"] == []

    # then no email to her is left, and the neighbour's keeps all but her name
    after = mailbox.messages()
    assert not [m for m in after if EMAIL in str(m["To"])]
    [kept] = [m for m in after if NEIGHBOUR in str(m["To"])]
    assert kept["Subject"] == "[CS7700001] Your case was opened: Call [erased] back"
    text, page = body(kept, "plain"), body(kept, "html")
    for part in (text, page):
        assert FIRST not in part
        assert LAST not in part
        assert "We opened case CS7700001 for [erased]: Call [erased] back." in part
        assert "Hello Nadia," in part
    assert "https://portal.example/c/1" in page
    # and the erasure's count says so
    [event] = await AuditEvent.filter(kind=AuditKind.CONSUMER_ERASED)
    counts = event.data["counts"]
    assert counts["email_files_deleted"] == len(before) - 1
    assert counts["email_file_mentions"] == 1


async def test_a_mail_file_it_cannot_read_does_not_stop_the_erasure(
    http: httpx.AsyncClient,
    admin_client: GraphQLClient,
    mailbox: Mailbox,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if settings.smtp_host:
        pytest.skip("the embedded mailer's files are checked in the SQLite pass")
    # given a file in the mail folder in a charset nothing can decode
    planted = await plant(http, admin_client, mailbox)
    odd = settings.mail_dir / "00000000T000000000000Z-0.eml"
    odd.write_bytes(
        b"To: someone@example.com\r\nSubject: odd\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nHello\r\n"
    )

    # when she is erased
    payload = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]

    # then the erasure is done, the file is left as it was, and the log says so
    assert payload["errors"] == []
    assert payload["erasureRequest"]["state"] == "DONE"
    assert odd.read_bytes().endswith(b"Hello\r\n")
    assert any(
        "could not read" in r.getMessage() and odd.name in r.getMessage() for r in caplog.records
    )


async def test_her_contacts_leave_other_peoples_cases_and_namesakes_keep_their_names(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given another consumer's case whose text reaches her by email and social
    # account, and names a namesake of hers
    planted = await plant(http, admin_client, mailbox)
    other = await make_consumer(first_name="Olga", last_name="Other")
    agent = await make_user("agent.other@example.com", roles=("AGENT",))
    case = await Case.create(
        number="CS7700002",
        short_description="Neighbour dispute",
        description=f"Olga says to write to {EMAIL.upper()} or @zephquill77... "
        f"not the {FIRST} {LAST} of the bakery.",
        consumer_id=other.id,
    )
    await CaseComment.create(
        case_id=case.id,
        body=f"Tried {EMAIL}; {FIRST} {LAST} (bakery) unrelated.",
        author_id=agent.id,
    )

    # when she is erased
    payload = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    assert payload["errors"] == []

    # then her address and account are gone from it; the namesake's name stays
    await case.refresh_from_db()
    assert case.description == (
        f"Olga says to write to [erased] or @[erased]... not the {FIRST} {LAST} of the bakery."
    )
    assert case.version == 2
    [comment] = await CaseComment.filter(case_id=case.id)
    assert comment.body == f"Tried [erased]; {FIRST} {LAST} (bakery) unrelated."
    [event] = await AuditEvent.filter(kind=AuditKind.CONSUMER_ERASED)
    counts = event.data["counts"]
    assert (counts["other_case_texts"], counts["other_comment_mentions"]) == (1, 1)


async def test_a_person_with_no_case_of_their_own_leaves_other_peoples_cases_too(
    admin_client: GraphQLClient,
) -> None:
    # given a consumer with no case, whose address an agent wrote in someone's case
    quiet = await make_consumer(first_name="Quentin", last_name="Quiet", email="q.q@plant.example")
    other = await make_consumer(first_name="Olga", last_name="Other")
    case = await Case.create(
        number="CS7700003",
        short_description="Call back",
        description="Her cousin Q.Q@plant.example may know more.",
        consumer_id=other.id,
    )

    # when he is erased
    payload = (await admin_client.data(ERASE, erase_input(quiet)))["consumerErase"]

    # then
    assert payload["errors"] == []
    await case.refresh_from_db()
    assert case.description == "Her cousin [erased] may know more."


async def test_erasing_twice_changes_nothing_more(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given
    planted = await plant(http, admin_client, mailbox)
    first = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    await mailbox.settle()
    before = await snapshot()

    # when
    again = (await admin_client.data(ERASE, erase_input(planted.consumer, "again")))[
        "consumerErase"
    ]
    await mailbox.settle()

    # then
    assert again["errors"] == []
    assert again["consumer"] == first["consumer"]
    assert again["erasureRequest"] == first["erasureRequest"]
    assert await snapshot() == before


async def test_a_legal_hold_refuses_erasure_and_nothing_changes(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given
    planted = await plant(http, admin_client, mailbox)
    consumer_id = gid("Consumer", planted.consumer.id)
    held = (await admin_client.data(HOLD, {"input": {"consumerId": consumer_id, "hold": True}}))[
        "consumerLegalHoldSet"
    ]
    assert (held["legalHold"], held["errors"]) == (True, [])
    before = await snapshot()

    # when
    refused = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    await mailbox.settle()

    # then
    assert refused["consumer"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == ("consumerId", "INVALID_STATE")
    assert planted.consumer.number in error["message"]
    assert await snapshot() == before
    [event] = await AuditEvent.filter(kind=AuditKind.LEGAL_HOLD_CHANGED)
    assert (event.consumer_id, event.data) == (planted.consumer.id, {"old": False, "new": True})

    # and once the hold is lifted, it goes through
    await admin_client.data(HOLD, {"input": {"consumerId": consumer_id, "hold": False}})
    done = (await admin_client.data(ERASE, erase_input(planted.consumer)))["consumerErase"]
    assert done["errors"] == []
    assert await AuditEvent.filter(kind=AuditKind.LEGAL_HOLD_CHANGED).count() == 2


async def test_a_consumer_asks_and_an_administrator_confirms(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: she asks, twice (the second answer is the same request)
    planted = await plant(http, admin_client, mailbox)
    consumer_id = gid("Consumer", planted.consumer.id)
    asked = (await planted.client.data(REQUEST, {"input": {"consumerId": consumer_id}}))[
        "consumerErasureRequest"
    ]
    again = (await planted.client.data(REQUEST, {"input": {"consumerId": consumer_id}}))[
        "consumerErasureRequest"
    ]
    assert asked["errors"] == []
    assert asked["erasureRequest"]["state"] == "REQUESTED"
    assert again["erasureRequest"]["id"] == asked["erasureRequest"]["id"]
    pending = (await admin_client.data(REQUESTS, {"state": "REQUESTED"}))["erasureRequests"]
    assert pending["totalCount"] == 1
    assert pending["edges"][0]["node"] == asked["erasureRequest"]
    assert (await Consumer.get(id=planted.consumer.id)).first_name == FIRST  # nothing yet

    # when: an administrator confirms it, without a reason of their own
    done = (await admin_client.data(ERASE, {"input": {"consumerId": consumer_id}}))["consumerErase"]

    # then: the same request is DONE, and she is erased
    assert done["errors"] == []
    assert done["erasureRequest"]["id"] == asked["erasureRequest"]["id"]
    assert done["erasureRequest"]["state"] == "DONE"
    assert done["erasureRequest"]["decidedAt"] is not None
    assert (await admin_client.data(REQUESTS, {"state": "REQUESTED"}))["erasureRequests"][
        "totalCount"
    ] == 0
    assert done["consumer"]["fullName"] == f"Erased consumer {planted.consumer.number}"
    kinds = [
        e.kind for e in await AuditEvent.filter(consumer_id=planted.consumer.id).order_by("id")
    ]
    assert kinds.count(AuditKind.ERASURE_REQUESTED) == 1
    assert kinds.count(AuditKind.CONSUMER_ERASED) == 1


async def test_an_administrator_rejects_a_request_saying_why(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given
    planted = await plant(http, admin_client, mailbox)
    consumer_id = gid("Consumer", planted.consumer.id)
    asked = (await planted.client.data(REQUEST, {"input": {"consumerId": consumer_id}}))[
        "consumerErasureRequest"
    ]["erasureRequest"]
    before = await figures(planted.consumer.id)

    # when
    without = (
        await admin_client.data(REJECT, {"input": {"erasureRequestId": asked["id"], "reason": ""}})
    )["erasureRequestReject"]
    rejected = (
        await admin_client.data(
            REJECT,
            {"input": {"erasureRequestId": asked["id"], "reason": "Open contract, ticket PRIV-2"}},
        )
    )["erasureRequestReject"]
    twice = (
        await admin_client.data(
            REJECT, {"input": {"erasureRequestId": asked["id"], "reason": "again"}}
        )
    )["erasureRequestReject"]

    # then
    assert [(e["field"], e["code"]) for e in without["errors"]] == [("reason", "REQUIRED")]
    assert rejected["errors"] == []
    assert rejected["erasureRequest"]["state"] == "REJECTED"
    assert rejected["erasureRequest"]["decisionReason"] == "Open contract, ticket PRIV-2"
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [
        ("erasureRequestId", "INVALID_STATE")
    ]
    consumer = await Consumer.get(id=planted.consumer.id)
    assert (consumer.first_name, consumer.email) == (FIRST, EMAIL)
    assert await figures(planted.consumer.id) == before
    assert await AuditEvent.filter(kind=AuditKind.ERASURE_REJECTED).count() == 1
    [request] = await ErasureRequest.filter(consumer_id=planted.consumer.id)
    assert request.state is ErasureState.REJECTED
    listed = (await admin_client.data(REQUESTS, {"state": "REJECTED"}))["erasureRequests"]
    assert [e["node"]["id"] for e in listed["edges"]] == [asked["id"]]


async def test_only_administrators_erase_and_only_the_consumer_asks(
    http: httpx.AsyncClient,
    admin_client: GraphQLClient,
    agent_client: GraphQLClient,
    mailbox: Mailbox,
) -> None:
    # given
    planted = await plant(http, admin_client, mailbox)
    stranger = await make_consumer(first_name="Stan", last_name="Ger", email="stan@example.com")
    stranger_user = await make_user("stan@example.com", user_type=UserType.EXTERNAL)
    await Consumer.filter(id=stranger.id).update(user_id=stranger_user.id)
    stranger_client = await login(http, "stan@example.com")
    consumer_id = gid("Consumer", planted.consumer.id)
    before = await snapshot()

    # when
    by_agent = await agent_client.execute(ERASE, erase_input(planted.consumer))
    by_consumer = await planted.client.execute(ERASE, erase_input(planted.consumer))
    listing = await agent_client.execute(REQUESTS)
    for_someone_else = (
        await stranger_client.data(REQUEST, {"input": {"consumerId": consumer_id}})
    )["consumerErasureRequest"]
    by_staff = (await agent_client.data(REQUEST, {"input": {"consumerId": consumer_id}}))[
        "consumerErasureRequest"
    ]
    no_reason = (await admin_client.data(ERASE, {"input": {"consumerId": consumer_id}}))[
        "consumerErase"
    ]

    # then
    for refused in (by_agent, by_consumer):
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert listing["data"]["erasureRequests"] is None
    assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [(e["field"], e["code"]) for e in for_someone_else["errors"]] == [
        ("consumerId", "NOT_FOUND")
    ]
    assert [(e["field"], e["code"]) for e in by_staff["errors"]] == [("consumerId", "FORBIDDEN")]
    assert [(e["field"], e["code"]) for e in no_reason["errors"]] == [("reason", "REQUIRED")]
    assert await snapshot() == before
