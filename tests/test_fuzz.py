"""A fuzz property: whatever a client sends, the answer is JSON and no error is internal.

Hypothesis generates GraphQL requests from `schema.graphql` (`tests/fuzz_documents.py`:
queries, mutations, now and then a subscription or introspection; selections to a
bounded depth, sometimes past the server's depth, token and alias limits; arguments
and variables mostly of the right type, sometimes not; hostile strings, Int edges,
ids of every shape and of the world's own objects; GET and POST, `Accept` variants,
persisted-query extensions) and sends them over real HTTP to the test server, in a
world of households, consumers, cases and staff (`make_world` and more): as an
administrator, as a consumer (an EXTERNAL login with a linked consumer record) and
anonymously; and, in a sweep, every root field once a round as the administrator and
as the consumer. A last test sends raw transport: random bytes, JSON of any shape,
odd content types, headers and multipart forms.

The property, for every response and any status code: the body parses as JSON, its
content type is a JSON one, the status is below 500, no error anywhere in the body
has `extensions.code == "INTERNAL_SERVER_ERROR"`; and, for the request, the server
logged no unexpected error (an exception that reached the error boundary, masked or
not) and left no unraisable exception (a coroutine never awaited).

Mutations change the world as the examples run; after each one the viewer's login
is put back (active, its type and roles, its consumer record, a live session), so
that every example speaks as the viewer it names.

Budget, derandomized (every run sends the same requests): ADMIN_EXAMPLES =
CONSUMER_EXAMPLES = 450, ANONYMOUS_EXAMPLES = 150, SWEEP_ROUNDS = 4 (of every root
field, in groups of SWEEP_GROUP, for each of the two viewers), RAW_EXAMPLES = 300:
about 2,000 requests. On
two cores with the suite's other users idle, the fuzz tests take about 30 s on
SQLite and 35 s on PostgreSQL (each test under 10 s), plus 3 to 4 s of session
set-up; a test that finds a failure shrinks it for up to SHRINK_SECONDS (15 s).
Past TIME_CAP (40 s) a test sends nothing more, so that a loaded machine ends it
short of pytest's 60 s timeout. `CSM_FUZZ_SCALE=20 pytest -o timeout=0
tests/test_fuzz.py` hunts longer, with new requests each run.

A failure names the viewer and shows the document, the variables, the request and
the response. The regression tests at the end keep the product bugs the fuzzing
found, one minimal request each.
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine as hypothesis_engine

from csm_graph import clock
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts import sessions, tokens
from csm_graph.accounts.models import ApiToken, EmailToken, Role, Team, TokenPurpose, User, UserType
from csm_graph.accounts.viewer import authenticate
from csm_graph.audit.models import AuditEvent
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseComment,
)
from csm_graph.consumers.models import Consumer, ImportJob
from csm_graph.delegations.models import Delegation, DelegationScope
from csm_graph.errors import NotAuthenticated
from csm_graph.exports.models import DataExport
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.mailin.models import InboundEmail
from csm_graph.privacy.models import ErasureRequest
from csm_graph.products.models import SoldProduct
from csm_graph.schema.node import to_global_id
from csm_graph.sla.models import SlaSchedule, SlaTarget
from csm_graph.surveys.models import Survey
from csm_graph.surveys.services import _hash as survey_hash
from csm_graph.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.fuzz_documents import (
    NODE_TYPES,
    ROOT_FIELDS,
    Draft,
    RawRequest,
    Request,
    drafts,
    raw_requests,
)
from tests.schema.cases.helpers import World, make_world, open_case
from tests.support import GraphQLClient

SCALE = float(os.environ.get("CSM_FUZZ_SCALE", "1"))
"""A longer hunt: `CSM_FUZZ_SCALE=20 pytest -o timeout=0 tests/test_fuzz.py` sends 20 times
as many requests, new ones each run (not derandomized)."""
ADMIN_EXAMPLES = round(450 * SCALE)
CONSUMER_EXAMPLES = round(450 * SCALE)
ANONYMOUS_EXAMPLES = round(150 * SCALE)
RAW_EXAMPLES = round(300 * SCALE)
SWEEP_ROUNDS = round(4 * SCALE)
TIME_CAP = 40.0 * SCALE
"""Seconds after which a test sends nothing more (see `_in_time`)."""
SHRINK_SECONDS = 15.0 * SCALE
"""How long Hypothesis may shrink a failure (its default, 5 minutes, is past
pytest's timeout); it then reports the smallest failing request found so far."""

JSON_MEDIA_TYPE = re.compile(r"application/(graphql-response\+)?json\s*(;|$)")
SURVEY_TOKEN = "fuzz-survey-token"
VERIFY_TOKEN = "fuzz-verify-token"
RESET_TOKEN = "fuzz-reset-token"
DELEGATION_TOKEN = "fuzz-delegation-token"

MODELS: dict[str, Any] = {
    "ApiToken": ApiToken,
    "Case": Case,
    "CaseActivity": CaseActivity,
    "CaseAttachment": CaseAttachment,
    "CaseComment": CaseComment,
    "Consumer": Consumer,
    "AuditEvent": AuditEvent,
    "DataExport": DataExport,
    "Delegation": Delegation,
    "Department": Department,
    "ErasureRequest": ErasureRequest,
    "Household": Household,
    "HouseholdMember": HouseholdMember,
    "ImportJob": ImportJob,
    "InboundEmail": InboundEmail,
    "RelatedParty": RelatedParty,
    "RelationshipType": RelationshipType,
    "Representation": Representation,
    "Responsibility": Responsibility,
    "SlaSchedule": SlaSchedule,
    "SlaTarget": SlaTarget,
    "SoldProduct": SoldProduct,
    "Survey": Survey,
    "Team": Team,
    "User": User,
    "WebhookDelivery": WebhookDelivery,
    "WebhookEndpoint": WebhookEndpoint,
}


def fuzz_settings(examples: int, *, shrink: bool = True) -> Any:
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        phases=phases,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


@pytest.fixture(autouse=True)
def _shrink_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis shrinks a failure for up to 300 s; the suite's budget wants
    less. The limit is an engine constant, not a setting: where a release
    drops it, the default applies and the failure is only reported later."""
    monkeypatch.setattr(hypothesis_engine, "MAX_SHRINKING_SECONDS", SHRINK_SECONDS, raising=False)


# --- the world ----------------------------------------------------------------------------


@dataclass
class Viewer:
    """Who sends the requests, and what their login must stay between examples."""

    name: str
    client: GraphQLClient
    user_type: UserType | None = None
    roles: frozenset[str] = frozenset()
    consumer_id: int | None = None

    def describe(self) -> str:
        if self.client.user is None:
            return f"{self.name} (no Authorization header)"
        user = self.client.user
        roles = ", ".join(sorted(self.roles)) or "no roles"
        consumer = f", consumer #{self.consumer_id}" if self.consumer_id else ""
        return f"{self.name} ({user.email}, user #{user.id}, {self.user_type}, {roles}{consumer})"


@dataclass
class FuzzWorld:
    world: World
    pools: dict[str, list[str]]
    started: float
    caplog: pytest.LogCaptureFixture
    unraisable: Unraisable

    def __repr__(self) -> str:
        return f"FuzzWorld({sum(map(len, self.pools.values()))} known values)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints the fixtures with every failing example: briefly."""
        printer.text(repr(self))


async def _more_objects(world: World) -> None:
    """Beyond `make_world`: cases with comments, activity, an attachment, a sold
    product with related parties, a survey with a known token, an import job,
    and email tokens for the member's login."""
    first = await open_case(world)
    second = await open_case(world, consumer_id=world.head.id, short_description="Billing")
    admin_id = world.ids["admin"]
    member_user = world.member.user_id
    for case in (first, second):
        await CaseComment.create(case_id=case.id, body="public", author_id=member_user)
        await CaseComment.create(case_id=case.id, body="note", work_note=True, author_id=admin_id)
        await CaseActivity.create(case_id=case.id, kind=ActivityKind.COMMENTED, actor_id=admin_id)
    await CaseAttachment.create(
        case_id=first.id,
        file_name="a.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        storage_key="fuzz-attachment",
        uploaded_by_id=member_user,
    )
    product = await SoldProduct.create(
        name="Router", owner_id=world.member.id, household_id=world.household.id
    )
    kinds = await RelationshipType.all()
    levels = await Responsibility.all()
    await RelatedParty.create(
        case_id=first.id,
        consumer_id=world.stranger.id,
        relationship_type_id=kinds[0].id,
        responsibility_id=levels[0].id,
    )
    await RelatedParty.create(
        sold_product_id=product.id,
        consumer_id=world.representative.id,
        relationship_type_id=kinds[-1].id,
    )
    now = clock.now()
    await Survey.create(
        case_id=second.id,
        consumer_id=world.head.id,
        token_hash=survey_hash(SURVEY_TOKEN),
        expires_at=now + dt.timedelta(days=30),
        created_at=now,
    )
    await ImportJob.create(file_name="c.csv", source="number\n", created_by_id=admin_id)
    await SlaSchedule.create(name="Office", time_zone="Europe/Berlin", hours=[[0, 540, 1020]])
    await Delegation.create(
        consumer_id=world.member.id,
        email="stranger@example.com",
        scope=DelegationScope.READ_AND_ACT,
        ends_on=clock.today() + dt.timedelta(days=30),
        token_hash=tokens.digest(DELEGATION_TOKEN),
        token_expires_at=now + dt.timedelta(days=1),
        created_at=now,
    )
    assert member_user is not None
    for token, purpose in ((VERIFY_TOKEN, TokenPurpose.VERIFY_EMAIL), (RESET_TOKEN, None)):
        await EmailToken.create(
            user_id=member_user,
            purpose=purpose or TokenPurpose.PASSWORD_RESET,
            token_hash=tokens.digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(days=1),
        )


async def _pools() -> dict[str, list[str]]:
    """The world's values a draft's `Known`s stand for."""
    assert set(MODELS) == set(NODE_TYPES), set(NODE_TYPES) ^ set(MODELS)
    pools: dict[str, list[str]] = {"id": []}
    for type_name, model in MODELS.items():
        pks = await model.all().order_by("id").values_list("id", flat=True)
        ids = [str(to_global_id(type_name, pk)) for pk in pks]
        pools[f"id:{type_name}"] = ids
        pools["id"] += ids
    pools["case_number"] = list(await Case.all().order_by("id").values_list("number", flat=True))
    pools["number"] = [
        *await Consumer.all().order_by("id").values_list("number", flat=True),
        *await Household.all().order_by("id").values_list("number", flat=True),
    ]
    pools["email"] = list(await User.all().order_by("id").values_list("email", flat=True))
    pools["token"] = [SURVEY_TOKEN, VERIFY_TOKEN, RESET_TOKEN, DELEGATION_TOKEN]
    return pools


@pytest.fixture
def started() -> float:
    """When the test began (its setup included: pytest's timeout counts it)."""
    return time.monotonic()


@pytest.fixture
async def fuzz_world(
    http: httpx.AsyncClient,
    started: float,
    caplog: pytest.LogCaptureFixture,
    unraisable: Unraisable,
) -> FuzzWorld:
    caplog.set_level(logging.ERROR, logger="csm_graph")
    world = await make_world(http)
    await _more_objects(world)
    return FuzzWorld(world, await _pools(), started, caplog, unraisable)


def _viewer(fw: FuzzWorld, name: str) -> Viewer:
    world = fw.world
    if name == "admin":
        return Viewer("admin", world.client("admin"), UserType.INTERNAL, frozenset({"ADMIN"}))
    if name == "consumer":
        return Viewer(
            "consumer", world.client("member"), UserType.EXTERNAL, consumer_id=world.member.id
        )
    return Viewer("anonymous", world.client("anonymous"))


async def _restore(viewer: Viewer) -> None:
    """Puts the viewer's login back as it was, if an example changed it: active,
    of its type, with its roles and consumer record, with a live session."""
    user = viewer.client.user
    if user is None:
        return
    try:
        now = await authenticate(f"Bearer {viewer.client.token}")
    except NotAuthenticated:
        now = None
    linked = viewer.consumer_id is None or await Consumer.exists(
        id=viewer.consumer_id, user_id=user.id
    )
    if (
        now is not None
        and linked
        and now.user_type == viewer.user_type
        and set(now.roles) == set(viewer.roles)
    ):
        return
    await User.filter(id=user.id).update(is_active=True, user_type=viewer.user_type)
    fresh = await User.get(id=user.id)
    await fresh.roles.clear()
    for role in await Role.filter(name__in=sorted(viewer.roles)):
        await fresh.roles.add(role)
    if viewer.consumer_id is not None:
        await Consumer.filter(user_id=user.id).exclude(id=viewer.consumer_id).update(user_id=None)
        await Consumer.filter(id=viewer.consumer_id).update(user_id=user.id)
    session = await sessions._issue_session(fresh)
    viewer.client.token = session.access_token
    viewer.client.refresh_token = session.refresh_token


# --- sending and judging ------------------------------------------------------------------


async def _send(http: httpx.AsyncClient, request: Request, token: str | None) -> httpx.Response:
    headers = dict(request.headers)
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await http.request(request.method, request.url, content=request.content, headers=headers)


def _codes(value: Any) -> list[str]:
    """Every `extensions.code` anywhere in a response body."""
    found: list[str] = []
    if isinstance(value, dict):
        extensions = value.get("extensions")
        if isinstance(extensions, dict) and isinstance(extensions.get("code"), str):
            found.append(extensions["code"])
        for item in value.values():
            found += _codes(item)
    elif isinstance(value, list):
        for item in value:
            found += _codes(item)
    return found


def problems_of(response: httpx.Response) -> list[str]:
    """What is wrong with an answer: not JSON, a 5xx, an internal error."""
    found = []
    content_type = response.headers.get("content-type", "")
    if not JSON_MEDIA_TYPE.match(content_type):
        found.append(f"content-type is {content_type!r}, not JSON")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        return [*found, f"the body is not JSON ({exc})"]
    if response.status_code >= 500:
        found.append(f"status {response.status_code}")
    if "INTERNAL_SERVER_ERROR" in _codes(body):
        found.append("an error with code INTERNAL_SERVER_ERROR")
    return found


def _short(value: Any, limit: int = 160) -> Any:
    """`value` with long strings cut, for a readable failure message."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[: limit // 2]}…<{len(value)} chars>…{value[-20:]}"
    if isinstance(value, dict):
        return {k: _short(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v, limit) for v in value[:20]] + (
            [f"…{len(value)} items"] * (len(value) > 20)
        )
    return value


def _short_document(document: str) -> str:
    cut = re.sub(
        r'"((?:[^"\\]|\\.){200,})"', lambda m: json.dumps(_short(json.loads(m.group(0)))), document
    )
    return cut if len(cut) < 6000 else f"{cut[:4000]}\n…<{len(cut)} chars>…\n{cut[-1000:]}"


def report(viewer: str, request: Request, response: httpx.Response, found: list[str]) -> str:
    text = response.text
    return "\n".join(
        [
            "; ".join(found),
            f"viewer: {viewer}",
            f"request: {request.method} {request.url[:200]}, headers {request.headers}",
            f"document:\n{_short_document(request.document)}",
            f"variables: {json.dumps(_short(request.variables), ensure_ascii=False)}",
            f"operationName: {request.operation_name!r}, extensions: {request.extensions}",
            f"response: {response.status_code} {response.headers.get('content-type')!r}",
            text if len(text) < 4000 else text[:4000] + "…",
        ]
    )


def unexpected_logged(caplog: pytest.LogCaptureFixture, since: int) -> list[str]:
    """Errors the product logged since record `since`: an exception that reached the
    error boundary (`unexpected error in ...`), masked or not, or a failed job."""
    return [
        f"the server logged {record.levelname} {record.name}: {record.getMessage()}"
        + (f" ({record.exc_info[1]!r})" if record.exc_info else "")
        for record in caplog.records[since:]
        if record.levelno >= logging.ERROR and record.name.startswith("csm_graph")
    ]


class Unraisable:
    """Exceptions Python could not raise (a coroutine never awaited, an error in a
    finalizer), recorded as they happen and passed on to pytest's own hook, so
    that each is pinned on the request that caused it, not only on the test."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._previous = sys.unraisablehook

    def __call__(self, unraisable: Any) -> None:
        self.seen.append(f"{unraisable.err_msg or 'Exception ignored in'}: {unraisable.object!r}")
        self._previous(unraisable)

    def since(self, mark: int) -> list[str]:
        gc.collect(1)  # finalizes what the request left behind (young objects), now
        return [f"unraisable: {text}" for text in self.seen[mark:]]


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Unraisable:
    hook = Unraisable()
    monkeypatch.setattr(sys, "unraisablehook", hook)
    return hook


async def check(http: httpx.AsyncClient, viewer: Viewer, draft: Draft, fw: FuzzWorld) -> None:
    request = draft.render(fw.pools)
    since, mark = len(fw.caplog.records), len(fw.unraisable.seen)
    response = await _send(http, request, viewer.client.token)
    found = problems_of(response) + unexpected_logged(fw.caplog, since)
    found += fw.unraisable.since(mark)
    if STATS:
        _record(viewer.name, request, response)
    assert not found, report(viewer.describe(), request, response, found)


STATS = os.environ.get("CSM_FUZZ_STATS")
"""A file to append one line per request to (viewer, operation, status, codes), to
see what the generator reaches: `CSM_FUZZ_STATS=/tmp/fuzz.jsonl pytest tests/test_fuzz.py`."""


def _root_fields(document: str) -> list[str]:
    try:
        parsed = parse(document)
    except GraphQLError:
        return []
    return sorted(
        {
            selection.name.value
            for definition in parsed.definitions
            if isinstance(definition, OperationDefinitionNode)
            for selection in definition.selection_set.selections
            if isinstance(selection, FieldNode)
        }
    )


def _record(viewer: str, request: Request, response: httpx.Response) -> None:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    executed = isinstance(body, dict) and "data" in body
    line = {
        "viewer": viewer,
        "seconds": round(response.elapsed.total_seconds(), 3),
        "method": request.method,
        "operation": request.document.split("{", 1)[0].split("(", 1)[0].strip() or "query",
        "fields": _root_fields(request.document) if executed else None,
        "status": response.status_code,
        "codes": sorted(set(_codes(body))),
        "user_errors": sorted(set(re.findall(r'"code":"([A-Z_]+)"', response.text))),
        "first_error": (body.get("errors") or [{}])[0].get("message", "")[:80]
        if isinstance(body, dict)
        else None,
    }
    assert STATS is not None
    with open(STATS, "a") as out:
        out.write(json.dumps(line) + "\n")


# --- the properties -----------------------------------------------------------------------


def _in_time(started: float) -> bool:
    """Whether a test is still within TIME_CAP of its start: past it (a loaded
    machine), the remaining examples send nothing, so that the test ends well
    inside pytest's timeout instead of being cut off mid-example."""
    return time.monotonic() - started < TIME_CAP


async def _fuzz(http: httpx.AsyncClient, fw: FuzzWorld, viewer_name: str, draft: Draft) -> None:
    if not _in_time(fw.started):
        return
    viewer = _viewer(fw, viewer_name)
    await check(http, viewer, draft, fw)
    await _restore(viewer)


@fuzz_settings(ADMIN_EXAMPLES)
@given(draft=drafts())
async def test_no_request_of_an_administrator_gets_an_internal_error(
    http: httpx.AsyncClient, fuzz_world: FuzzWorld, draft: Draft
) -> None:
    await _fuzz(http, fuzz_world, "admin", draft)


@fuzz_settings(CONSUMER_EXAMPLES)
@given(draft=drafts())
async def test_no_request_of_a_consumer_gets_an_internal_error(
    http: httpx.AsyncClient, fuzz_world: FuzzWorld, draft: Draft
) -> None:
    await _fuzz(http, fuzz_world, "consumer", draft)


@fuzz_settings(ANONYMOUS_EXAMPLES)
@given(draft=drafts())
async def test_no_anonymous_request_gets_an_internal_error(
    http: httpx.AsyncClient, fuzz_world: FuzzWorld, draft: Draft
) -> None:
    await _fuzz(http, fuzz_world, "anonymous", draft)


SWEEP_GROUP = 24
"""Root fields per sweep test: one example draws a document for each, and a
round of every root field at once outgrows Hypothesis's per-example buffer
(each overrun is drawn again, so the test would mostly draw)."""
SWEEP_GROUPS = [
    tuple(ROOT_FIELDS)[i : i + SWEEP_GROUP] for i in range(0, len(ROOT_FIELDS), SWEEP_GROUP)
]


@pytest.mark.parametrize("group", range(len(SWEEP_GROUPS)))
@pytest.mark.parametrize("viewer_name", ["admin", "consumer"])
# no shrinking: an example is a round of root fields, whose requests change the world
@fuzz_settings(SWEEP_ROUNDS, shrink=False)
@given(data=st.data())
async def test_every_root_field_answers_without_an_internal_error(
    http: httpx.AsyncClient,
    fuzz_world: FuzzWorld,
    viewer_name: str,
    group: int,
    data: st.DataObject,
) -> None:
    """Each round asks every root field of the group once (alone, with generated
    arguments and selections), so that none goes unasked however the random
    drafts fall; the groups together hold every root field."""
    for root in SWEEP_GROUPS[group]:
        await _fuzz(http, fuzz_world, viewer_name, data.draw(drafts(root=root), label=root))


def _is_the_ide(raw: RawRequest, response: httpx.Response) -> bool:
    """A GET without a document, from a client that takes HTML (httpx sends
    `Accept: */*`), is a browser visit: it gets the GraphiQL page, by design."""
    accept = raw.headers.get("accept", "*/*")
    return (
        raw.method == "GET"
        and "query" not in (raw.params or {})
        and ("text/html" in accept or "*/*" in accept)
        and response.status_code == 200
        and response.headers.get("content-type", "").startswith("text/html")
    )


@fuzz_settings(RAW_EXAMPLES)
@given(raw=raw_requests())
async def test_no_raw_request_gets_an_internal_error_or_a_non_json_answer(
    http: httpx.AsyncClient, started: float, caplog: pytest.LogCaptureFixture, raw: RawRequest
) -> None:
    if not _in_time(started):
        return
    since = len(caplog.records)
    response = await http.request(
        raw.method,
        "/graphql",
        content=raw.content,
        params=raw.params,
        headers=raw.headers,
        files=raw.files,
        data=raw.data,
    )
    found = [] if _is_the_ide(raw, response) else problems_of(response)
    found += unexpected_logged(caplog, since)
    assert not found, f"{'; '.join(found)}\nrequest: {raw}\nresponse: {response.status_code} " + (
        f"{response.headers.get('content-type')!r}\n{response.text[:4000]}"
    )


# --- product bugs the fuzzing found, one minimal request each ----------------------------

IS_ONE_OF = '{ __type(name: "Query") { fields { name type { kind isOneOf } } } }'


async def test_is_one_of_of_a_wrapping_type_is_no_internal_error(http: httpx.AsyncClient) -> None:
    """Introspection's `__Type.isOneOf` on a NON_NULL or LIST type (any field's
    `type` that is `X!` or `[X]`) fails in Strawberry's resolver
    (`'GraphQLNonNull' object has no attribute 'extensions'`), once per such
    type: one small anonymous request, hundreds of logged tracebacks. Found
    by the anonymous fuzz test with
    `{ __schema { types { fields { type { isOneOf } } } } }`."""
    # when: anonymously, as the fuzz test found it
    response = await GraphQLClient(http).post(IS_ONE_OF)

    # then: null (the spec's answer for a wrapping type), never an internal error
    assert not problems_of(response), response.text
    fields = response.json()["data"]["__type"]["fields"]
    wrapping = [f["type"] for f in fields if f["type"]["kind"] in ("NON_NULL", "LIST")]
    assert wrapping
    assert {t["isOneOf"] for t in wrapping} == {None}


CONSUMER_IMPORT = "mutation($f: Upload!) { consumerImport(input: {file: $f}) { errors { code } } }"
ATTACHMENT_ADD = """
mutation($f: Upload!) {
  caseAttachmentAdd(input: {caseId: "Q2FzZTox", file: $f}) { errors { field code } }
}
"""


@pytest.mark.parametrize(
    "document", [CONSUMER_IMPORT, ATTACHMENT_ADD], ids=["consumerImport", "caseAttachmentAdd"]
)
@pytest.mark.parametrize("value", ["x", {"name": "a.csv"}], ids=repr)
async def test_an_upload_that_is_not_a_file_is_no_internal_error(
    admin_client: GraphQLClient, document: str, value: Any
) -> None:
    """`Upload` takes any JSON value in variables (and a string literal in the
    document), so a JSON request, not multipart, with `"file": "x"` reaches
    the resolvers, which call `.read()` / `.close()` on a str: an internal
    error (`AttributeError: 'str' object has no attribute 'read'`). In
    `caseAttachmentAdd` the `finally: await upload.close()` also hides the
    `UserError` a bad `caseId` would have given. Found by the admin fuzz test."""
    # when: a plain JSON request, the file a JSON value
    response = await admin_client.post(document, {"f": value})

    # then: a clear refusal (a UserError or BAD_USER_INPUT), not an internal error
    assert not problems_of(response), response.text


async def test_an_unknown_fragment_is_a_validation_error(
    admin_client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A spread of a fragment the document does not define, inside a field,
    crashes Strawberry's depth limiter (`determine_depth`: `KeyError`) before
    graphql-core's validation reports it: the server logs an unexpected error,
    and the client gets `{"errors": [{"message": "'Missing'"}]}`: the
    exception's text, no `extensions.code`, not the validation error (the
    error masking never sees it). Found by the admin fuzz test (`...F4`, a
    fragment name it did not define)."""
    # given
    caplog.set_level(logging.ERROR, logger="csm_graph")
    since = len(caplog.records)

    # when
    response = await admin_client.post("{ viewer { id ...Missing } }")

    # then: graphql-core's own validation error, and nothing unexpected logged
    assert not problems_of(response) + unexpected_logged(caplog, since), response.text
    assert response.json()["errors"][0]["message"] == "Unknown fragment 'Missing'."


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


PAST_INT4 = 2**31
"""The first id an `integer` (int4) column cannot hold; global ids and cursors
take pks up to 2**62 and 2**63 - 1."""


@pytest.mark.parametrize(
    "document",
    [
        f'{{ node(id: "{_b64(f"Case:{PAST_INT4}")}") {{ id }} }}',
        f'{{ cases(before: "{_b64(f"c:{PAST_INT4}")}") {{ totalCount }} }}',
        f'{{ users(after: "{_b64(f"c:{PAST_INT4}")}") {{ totalCount }} }}',
        f'{{ surveys(after: "{_b64(f"c:{PAST_INT4}")}") {{ totalCount }} }}',
        f'{{ cases(filter: {{consumerId: "{_b64(f"Consumer:{PAST_INT4}")}"}}) {{ totalCount }} }}',
        f'{{ explainAccess(caseId: "{_b64(f"Case:{PAST_INT4}")}") {{ allowed }} }}',
        f'mutation {{ caseSolutionAccept(input: {{caseId: "{_b64(f"Case:{PAST_INT4}")}"}}) '
        "{ errors { code } } }",
    ],
    ids=["node", "cases", "users", "surveys", "casesFilter", "explainAccess", "caseSolutionAccept"],
)
async def test_an_id_past_the_int4_range_is_no_internal_error(
    admin_client: GraphQLClient, document: str
) -> None:
    """On PostgreSQL, a global id or a cursor whose pk is 2**31 or more (which
    `from_global_id` and `decode_cursor` accept) reaches asyncpg as a
    parameter for an int4 column: `OverflowError: value out of int32 range`,
    an internal error. SQLite holds 64-bit integers, so only the PostgreSQL
    run fails. Found by the fuzz tests on PostgreSQL (admin and consumer)."""
    # when
    response = await admin_client.post(document)

    # then: as for an id that does not exist (null, NOT_FOUND or a bad cursor)
    assert not problems_of(response), response.text


@pytest.mark.parametrize("mutation", ["userCreate", "userUpdate"])
async def test_an_employee_id_over_its_column_is_a_user_error(
    admin_client: GraphQLClient, mutation: str
) -> None:
    """Neither `userCreate` nor `userUpdate` checks the length of `employeeId` (a
    40-character column): 41 characters or more reach Tortoise, whose
    `ValidationError` ("employee_id: Length of '…' 41 > 40") is an internal
    error, on either database. Found by the admin sweep on PostgreSQL
    (`userUpdate`, 150 characters); `userCreate` fails the same way."""
    # given
    assert admin_client.user is not None
    me = str(to_global_id("User", admin_client.user.id))
    user_input = {
        "userCreate": {"email": "new@example.com", "lastName": "New"},
        "userUpdate": {"id": me},
    }[mutation]

    # when
    response = await admin_client.post(
        f"mutation($input: {mutation[0].upper()}{mutation[1:]}Input!) {{"
        f" {mutation}(input: $input) {{ errors {{ field code }} }} }}",
        {"input": {**user_input, "employeeId": "E" * 41}},
    )

    # then
    assert not problems_of(response), response.text
    assert response.json()["data"][mutation]["errors"] == [
        {"field": "employeeId", "code": "INVALID"}
    ]
