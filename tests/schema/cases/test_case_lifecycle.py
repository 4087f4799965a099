"""Every transition of SPEC section 4, allowed and refused, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from csm_graph.cases.models import Case, CaseState
from tests.schema.cases.helpers import World, gid, make_world, open_case

ASSIGN = """
mutation($i: CaseAssignInput!) {
  caseAssign(input: $i) { case { state assignedTo { email } } errors { field message code } }
}
"""
REQUEST_INFO = """
mutation($i: CaseRequestInfoInput!) {
  caseRequestInfo(input: $i) { case { state } errors { field message code } }
}
"""
COMMENT = """
mutation($i: CaseCommentAddInput!) {
  caseCommentAdd(input: $i) { case { state } errors { field message code } }
}
"""
PROPOSE = """
mutation($i: CaseSolutionProposeInput!) {
  caseSolutionPropose(input: $i) { case { state resolutionCode } errors { field message code } }
}
"""
ACCEPT = """
mutation($i: CaseSolutionAcceptInput!) {
  caseSolutionAccept(input: $i) { case { state closedAt } errors { field message code } }
}
"""
REJECT = """
mutation($i: CaseSolutionRejectInput!) {
  caseSolutionReject(input: $i) { case { state } errors { field message code } }
}
"""
CLOSE = """
mutation($i: CaseCloseInput!) {
  caseClose(input: $i) { case { state } errors { field message code } }
}
"""
CANCEL = """
mutation($i: CaseCancelInput!) {
  caseCancel(input: $i) { case { state } errors { field message code } }
}
"""


async def run(world: World, who: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    data = await world.client(who).data(document, {"i": variables})
    (payload,) = data.values()
    result: dict[str, Any] = payload
    return result


async def case_in(world: World, state: CaseState) -> Case:
    case = await open_case(world)
    case.state = state
    await case.save()
    return case


async def test_the_happy_path_from_new_to_closed(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    cid = gid("Case", case.id)

    # when / then: an agent takes it
    taken = await run(world, "agent", ASSIGN, {"id": cid})
    assert taken["case"] == {"state": "OPEN", "assignedTo": {"email": "agent@example.com"}}
    # asks for information
    asked = await run(world, "agent", REQUEST_INFO, {"id": cid, "body": "Which model?"})
    assert asked["case"]["state"] == "AWAITING_INFO"
    # the consumer answers: back to OPEN
    answered = await run(world, "member", COMMENT, {"caseId": cid, "body": "Model X"})
    assert answered["case"]["state"] == "OPEN"
    # a solution
    proposed = await run(
        world,
        "agent",
        PROPOSE,
        {"caseId": cid, "resolutionCode": "FIRMWARE", "resolutionNotes": "Update it"},
    )
    assert proposed["case"]["state"] == "RESOLVED"
    # rejected, reopened, proposed again, accepted
    rejected = await run(world, "member", REJECT, {"caseId": cid, "reason": "Still rebooting"})
    assert rejected["case"]["state"] == "OPEN"
    await run(
        world,
        "agent",
        PROPOSE,
        {"caseId": cid, "resolutionCode": "SWAP", "resolutionNotes": "New router"},
    )
    accepted = await run(world, "member", ACCEPT, {"caseId": cid})
    assert accepted["case"]["state"] == "CLOSED"
    assert accepted["case"]["closedAt"] is not None


async def test_an_agent_cancels_and_a_consumer_closes(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    first, second = await open_case(world), await open_case(world)

    cancelled = await run(world, "agent", CANCEL, {"caseId": gid("Case", first.id)})
    closed = await run(world, "member", CLOSE, {"caseId": gid("Case", second.id)})

    assert cancelled["case"]["state"] == "CANCELLED"
    assert closed["case"]["state"] == "CLOSED"


REFUSED = [
    # (state, who, document, extra input, error code)
    (CaseState.NEW, "agent", REQUEST_INFO, {"body": "?"}, "INVALID_STATE"),
    (
        CaseState.NEW,
        "agent",
        PROPOSE,
        {"resolutionCode": "X", "resolutionNotes": "Y"},
        "INVALID_STATE",
    ),
    (CaseState.OPEN, "member", ACCEPT, {}, "INVALID_STATE"),
    (CaseState.OPEN, "member", REJECT, {"reason": "no"}, "INVALID_STATE"),
    (CaseState.AWAITING_INFO, "agent", REQUEST_INFO, {"body": "?"}, "INVALID_STATE"),
    (
        CaseState.RESOLVED,
        "agent",
        PROPOSE,
        {"resolutionCode": "X", "resolutionNotes": "Y"},
        "INVALID_STATE",
    ),
    (CaseState.CLOSED, "agent", ASSIGN, {}, "INVALID_STATE"),
    (CaseState.CLOSED, "member", COMMENT, {"body": "hello?"}, "INVALID_STATE"),
    (CaseState.CLOSED, "member", CLOSE, {}, "INVALID_STATE"),
    (CaseState.CANCELLED, "agent", CANCEL, {}, "INVALID_STATE"),
    (CaseState.CANCELLED, "agent", COMMENT, {"body": "note", "workNote": True}, "INVALID_STATE"),
    # the wrong side
    (
        CaseState.OPEN,
        "member",
        PROPOSE,
        {"resolutionCode": "X", "resolutionNotes": "Y"},
        "FORBIDDEN",
    ),
    (CaseState.OPEN, "member", CANCEL, {}, "FORBIDDEN"),
    (CaseState.RESOLVED, "agent", ACCEPT, {}, "FORBIDDEN"),
    (CaseState.OPEN, "other", CLOSE, {}, "FORBIDDEN"),
    (CaseState.OPEN, "stranger", CLOSE, {}, "NOT_FOUND"),
    (CaseState.OPEN, "outsider", CANCEL, {}, "NOT_FOUND"),
]


@pytest.mark.parametrize(
    ("state", "who", "document", "extra", "code"),
    REFUSED,
    ids=[f"{s.value}-{w}-{d.split('{')[1].split('(')[0].strip()}" for s, w, d, _, _ in REFUSED],
)
async def test_refused_transitions_change_nothing(
    http: httpx.AsyncClient,
    state: CaseState,
    who: str,
    document: str,
    extra: dict[str, Any],
    code: str,
) -> None:
    # given
    world = await make_world(http)
    case = await case_in(world, state)
    key = "id" if document in (ASSIGN, REQUEST_INFO) else "caseId"

    # when
    payload = await run(world, who, document, {key: gid("Case", case.id), **extra})

    # then
    assert payload["case"] is None
    assert [e["code"] for e in payload["errors"]] == [code]
    if code == "INVALID_STATE":
        assert state.value in payload["errors"][0]["message"]
    after = await Case.get(id=case.id)
    assert (after.state, after.version) == (state, case.version)


async def test_propose_requires_code_and_notes(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await case_in(world, CaseState.OPEN)

    payload = await run(
        world,
        "agent",
        PROPOSE,
        {"caseId": gid("Case", case.id), "resolutionCode": "", "resolutionNotes": " "},
    )

    assert sorted(e["field"] for e in payload["errors"]) == ["resolutionCode", "resolutionNotes"]


async def test_reject_requires_a_reason(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await case_in(world, CaseState.RESOLVED)

    payload = await run(world, "member", REJECT, {"caseId": gid("Case", case.id), "reason": ""})

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("reason", "REQUIRED")]
    assert (await Case.get(id=case.id)).state is CaseState.RESOLVED
