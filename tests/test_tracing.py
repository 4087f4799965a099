"""Traces through every hop: a request, the jobs it starts, the emails they send.

The spans go to the SDK's in-memory exporter; the app is served by uvicorn
and the jobs run as they do in each mode (arq worker through Redis in the
PostgreSQL run, in-process tasks in the SQLite run), so the trace context
crosses the same boundaries it crosses in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from csm_graph import jobs, runtime, tracing
from csm_graph.app import create_app
from csm_graph.settings import Settings
from tests.mail import Mailbox
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.serving import serve
from tests.support import GraphQLClient

CLOSE = """
mutation($i: CaseCloseInput!) {
  caseClose(input: $i) { case { state } errors { field message code } }
}
"""


class Traced:
    def __init__(self, exporter: InMemorySpanExporter, http: httpx.AsyncClient) -> None:
        self.exporter = exporter
        self.http = http

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@pytest.fixture
async def traced(product: runtime.Runtime, settings: Settings) -> AsyncIterator[Traced]:
    """The app, served with tracing on, its spans kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        app = create_app(settings, manage_runtime=False)
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Traced(exporter, http)
    finally:
        tracing.uninstall()


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> Iterable[ReadableSpan]:
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        yield span


def _request_span(spans: list[ReadableSpan]) -> ReadableSpan:
    [request] = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER and s.name.startswith("POST") and s.parent is None
    ]
    return request


async def test_a_case_closing_is_one_trace_from_the_request_to_the_survey_email(
    traced: Traced, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: a case, its opening emails sent
    world = await make_world(http)
    case = await open_case(world)
    await mailbox.settle()
    mailbox.clear()
    traced.exporter.clear()
    member = GraphQLClient(traced.http, token=world.client("member").token)

    # when
    closed = await member.data(CLOSE, {"i": {"caseId": gid("Case", case.id)}})
    sent = await mailbox.settle()

    # then: the request is the root of one trace holding everything it caused
    assert closed["caseClose"]["case"]["state"] == "CLOSED"
    assert any(m["Subject"].endswith("How did we do?") for m in sent)
    spans = traced.spans()
    request = _request_span(spans)
    trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    by_id = {s.context.span_id: s for s in trace}
    assert all(s is request or request in _ancestors(s, by_id) for s in trace)

    [operation] = [s for s in trace if s.name.startswith("GraphQL Query")]
    assert operation.parent is not None
    assert operation.parent.span_id == request.context.span_id
    [decision] = [s for s in trace if s.name == "survey decision"]
    assert decision.attributes is not None
    assert decision.attributes["csm.survey.outcome"] == "SENT"
    assert decision.attributes["csm.case"] == case.id

    # the survey email: sent by a job whose parent is in the request
    [survey_send] = [
        s
        for s in trace
        if s.name == "email send" and (s.attributes or {}).get("csm.email.template") == "survey"
    ]
    assert survey_send.kind is SpanKind.CLIENT
    assert survey_send.parent is not None
    job = by_id[survey_send.parent.span_id]
    assert job.name == "job send_email"
    assert job.kind is SpanKind.CONSUMER
    assert operation in _ancestors(job, by_id)
    # one send per email the closing queued (the family's closing notices and the survey)
    assert len([s for s in trace if s.name == "email send"]) == len(sent)


async def test_no_span_carries_what_a_request_said(
    traced: Traced, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    await mailbox.settle()
    token = world.client("member").token
    assert token is not None
    traced.exporter.clear()

    # when: a request with personal data in its variables, and its emails
    member = GraphQLClient(traced.http, token=token)
    await member.data(CLOSE, {"i": {"caseId": gid("Case", case.id)}})
    await mailbox.settle()

    # then: neither the variables, the addresses nor the token are in any span
    spans = traced.spans()
    assert spans
    values = [str(v) for s in spans for v in (s.attributes or {}).values()]
    assert not [v for v in values if "@example.com" in v or token in v]
    assert not [v for v in values if gid("Case", case.id) in v]


async def test_a_clients_trace_context_is_the_requests_parent(traced: Traced) -> None:
    # given
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent_id = "00f067aa0ba902b7"

    # when
    response = await traced.http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
    )

    # then
    assert response.status_code == 200
    [request] = [
        s for s in traced.spans() if s.kind is SpanKind.SERVER and s.name.startswith("POST")
    ]
    assert f"{request.context.trace_id:032x}" == trace_id
    assert request.parent is not None
    assert f"{request.parent.span_id:016x}" == parent_id


async def test_a_job_started_outside_any_trace_begins_its_own(traced: Traced) -> None:
    # given: no span is current
    assert tracing.carrier() == {}

    # when
    await jobs.run(jobs.Job(_nothing, "nothing"), ())

    # then
    [span] = [s for s in traced.spans() if s.name == "job nothing"]
    assert span.parent is None
    assert span.kind is SpanKind.CONSUMER


async def _nothing() -> None:
    return None


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "csm"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
    ],
)
def test_tracing_is_off_unless_the_otel_variables_ask_for_it(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing.enabled(environ) is on


def test_with_tracing_off_nothing_is_carried_to_a_job() -> None:
    assert tracing.provider() is None
    assert tracing.carrier() == {}
