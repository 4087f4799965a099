"""`inboundEmails` and `inboundEmailReprocess`: the agents' view of email taken in."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from csm_graph.access.engine import load_subject
from csm_graph.accounts import users as accounts
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case
from csm_graph.cases.services import CaseDraft
from csm_graph.mailin.models import InboundEmail, InboundState
from tests.mailin.helpers import MailIn, consumer_with_login, email, intake
from tests.schema.cases.helpers import gid
from tests.schema.consumers.helpers import STAFF
from tests.support import GraphQLClient, login, make_user

INBOUND_EMAILS = """
query Inbound($filter: InboundEmailFilter, $first: Int) {
  inboundEmails(filter: $filter, first: $first) {
    totalCount
    edges { node {
      id intake state sender envelopeFrom envelopeTo messageId subject size
      receivedAt processedAt attempts reason text
      case { id number }
    } }
  }
}
"""

NODE = """
query Node($id: ID!) { node(id: $id) { id ... on InboundEmail { state } } }
"""

REPROCESS = """
mutation Reprocess($input: InboundEmailReprocessInput!) {
  inboundEmailReprocess(input: $input) {
    inboundEmail { id state reason }
    errors { field code message }
  }
}
"""


@dataclass
class Inbox:
    """Three messages: a reply on a case the agent's team works, a reply on a case
    out of the agent's sight, and a parked message from an unknown sender."""

    agent: GraphQLClient
    admin: GraphQLClient
    ann: GraphQLClient
    team_case: Case
    other_case: Case
    team_reply: InboundEmail
    other_reply: InboundEmail
    parked: InboundEmail


async def make_inbox(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> Inbox:
    agent = await make_user("agent@example.com", roles=("AGENT",))
    await make_user("admin@example.com", roles=("ADMIN",))
    team = await accounts.create_team(STAFF, "Care", [agent.id])
    ann, _ = await consumer_with_login("ann")
    bo, _ = await consumer_with_login("bo")
    opener = await load_subject(await intake())
    team_case = await cases.create_case(
        opener,
        CaseDraft(short_description="Router", consumer_id=ann.id, assignment_team_id=team.id),
    )
    other_case = await cases.create_case(
        opener, CaseDraft(short_description="Invoice", consumer_id=bo.id)
    )
    monkeypatch.setattr(mail_in.settings, "mail_in_unknown_senders", False)
    await mail_in.send(email("ann@example.com", f"Re: [{team_case.number}]", "R2."))
    await mail_in.send(email("bo@example.com", f"Re: [{other_case.number}]", "Paid."))
    await mail_in.send(email("Cy <cy@example.org>", "Hello there", "Can you help?"))
    team_reply, other_reply, parked = await mail_in.processed()
    assert [team_reply.state, other_reply.state, parked.state] == [
        InboundState.ATTACHED,
        InboundState.ATTACHED,
        InboundState.PARKED,
    ]
    return Inbox(
        agent=await login(http, "agent@example.com"),
        admin=await login(http, "admin@example.com"),
        ann=await login(http, "ann@example.com"),
        team_case=team_case,
        other_case=other_case,
        team_reply=team_reply,
        other_reply=other_reply,
        parked=parked,
    )


def nodes(data: dict[str, object]) -> list[dict[str, object]]:
    page = data["inboundEmails"]
    assert isinstance(page, dict)
    return [edge["node"] for edge in page["edges"]]


async def test_administrators_see_every_message_newest_first(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    inbox = await make_inbox(http, mail_in, monkeypatch)

    # when
    data = await inbox.admin.data(INBOUND_EMAILS)

    # then
    found = nodes(data)
    assert data["inboundEmails"]["totalCount"] == 3
    assert [n["id"] for n in found] == [
        gid("InboundEmail", r.id) for r in (inbox.parked, inbox.other_reply, inbox.team_reply)
    ]
    parked, other, team = found
    assert parked["state"] == "PARKED"
    assert parked["sender"] == "cy@example.org"
    assert parked["case"] is None
    assert "MAIL_IN_UNKNOWN_SENDERS" in parked["reason"]
    assert parked["text"] == "Can you help?"
    assert parked["intake"] == "SMTP"
    assert parked["envelopeTo"] == ["support@example.com"]
    assert parked["envelopeFrom"] == "cy@example.org"
    assert parked["subject"] == "Hello there"
    assert parked["messageId"].startswith("<")
    assert parked["size"] > 0
    assert parked["attempts"] == 1
    assert parked["receivedAt"].endswith("Z")
    assert parked["processedAt"].endswith("Z")
    assert other["case"] == {
        "id": gid("Case", inbox.other_case.id),
        "number": inbox.other_case.number,
    }
    assert team["case"]["number"] == inbox.team_case.number


async def test_agents_see_messages_of_cases_they_read_and_of_no_case(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    inbox = await make_inbox(http, mail_in, monkeypatch)

    # when
    data = await inbox.agent.data(INBOUND_EMAILS)
    hidden = await inbox.agent.data(NODE, {"id": gid("InboundEmail", inbox.other_reply.id)})
    shown = await inbox.agent.data(NODE, {"id": gid("InboundEmail", inbox.team_reply.id)})

    # then
    assert [n["id"] for n in nodes(data)] == [
        gid("InboundEmail", inbox.parked.id),
        gid("InboundEmail", inbox.team_reply.id),
    ]
    assert data["inboundEmails"]["totalCount"] == 2
    assert nodes(data)[1]["case"]["number"] == inbox.team_case.number
    assert hidden["node"] is None
    assert shown["node"] == {"id": gid("InboundEmail", inbox.team_reply.id), "state": "ATTACHED"}


async def test_consumers_and_anonymous_viewers_get_no_messages(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    inbox = await make_inbox(http, mail_in, monkeypatch)

    # when
    as_consumer = await inbox.ann.execute(INBOUND_EMAILS)
    anonymous = await GraphQLClient(http).execute(INBOUND_EMAILS)
    by_id = await inbox.ann.data(NODE, {"id": gid("InboundEmail", inbox.team_reply.id)})

    # then
    assert as_consumer["data"] == {"inboundEmails": None}
    assert as_consumer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["data"] == {"inboundEmails": None}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert by_id["node"] is None


async def test_the_filter_narrows_the_list(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    inbox = await make_inbox(http, mail_in, monkeypatch)

    # when
    parked = await inbox.admin.data(INBOUND_EMAILS, {"filter": {"states": ["PARKED"]}})
    of_case = await inbox.admin.data(
        INBOUND_EMAILS, {"filter": {"caseId": gid("Case", inbox.other_case.id)}}
    )
    of_sender = await inbox.admin.data(INBOUND_EMAILS, {"filter": {"sender": "ANN@example.com"}})
    first = await inbox.admin.data(INBOUND_EMAILS, {"first": 1})

    # then
    assert [n["sender"] for n in nodes(parked)] == ["cy@example.org"]
    assert [n["sender"] for n in nodes(of_case)] == ["bo@example.com"]
    assert [n["sender"] for n in nodes(of_sender)] == ["ann@example.com"]
    assert [n["sender"] for n in nodes(first)] == ["cy@example.org"]


async def test_a_parked_message_is_processed_again_on_request(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: unknown senders are now welcome
    inbox = await make_inbox(http, mail_in, monkeypatch)
    monkeypatch.setattr(mail_in.settings, "mail_in_unknown_senders", True)
    parked_id = gid("InboundEmail", inbox.parked.id)

    # when
    payload = (await inbox.agent.data(REPROCESS, {"input": {"id": parked_id}}))[
        "inboundEmailReprocess"
    ]
    await mail_in.processed()

    # then
    assert payload == {
        "inboundEmail": {"id": parked_id, "state": "RECEIVED", "reason": ""},
        "errors": [],
    }
    row = await InboundEmail.get(id=inbox.parked.id)
    assert row.state is InboundState.OPENED
    assert row.attempts == 2
    assert (await Case.get(id=row.case_id)).short_description == "Hello there"


async def test_a_processed_or_unseen_message_is_not_processed_again(
    http: httpx.AsyncClient, mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    inbox = await make_inbox(http, mail_in, monkeypatch)

    # when
    attached = await inbox.agent.data(
        REPROCESS, {"input": {"id": gid("InboundEmail", inbox.team_reply.id)}}
    )
    unseen = await inbox.agent.data(
        REPROCESS, {"input": {"id": gid("InboundEmail", inbox.other_reply.id)}}
    )
    consumer = await inbox.ann.execute(
        REPROCESS, {"input": {"id": gid("InboundEmail", inbox.parked.id)}}
    )

    # then
    assert attached["inboundEmailReprocess"] == {
        "inboundEmail": None,
        "errors": [
            {
                "field": "id",
                "code": "INVALID_STATE",
                "message": "The message was processed already (ATTACHED).",
            }
        ],
    }
    assert unseen["inboundEmailReprocess"]["errors"][0]["code"] == "NOT_FOUND"
    assert consumer["data"] is None
    assert consumer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await InboundEmail.get(id=inbox.parked.id)).state is InboundState.PARKED
