"""Traces through every hop: a request, the jobs it starts and the emails they send.

Off by default. The standard OpenTelemetry variables turn it on: an OTLP
endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT`), or
`OTEL_TRACES_EXPORTER=otlp|console`; `OTEL_SDK_DISABLED=true` keeps it off
whatever else is set. The SDK reads the rest itself (`OTEL_SERVICE_NAME`,
headers, sampler, batch sizes).

When on, each process records:

- an HTTP span per request (and the W3C `traceparent` a client sends is
  its parent), with Strawberry's spans for the operation and its resolvers
  under it; no argument values, which may hold personal data or passwords;
- the PostgreSQL statements (asyncpg, without parameters) and Redis
  commands (arguments replaced by `?`);
- a span per job run whose parent is the span that started it (`Job.later`
  carries the context through arq, or to the in-process task), so a
  mutation, its jobs and their emails are one trace;
- a span per email handed to the mail server.

What each span is called is in `docs/operations.md`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Tracer

SERVICE = "csm-graph"
INSTRUMENTATION = "csm_graph"

_provider: TracerProvider | None = None
_tracer: Tracer = trace.NoOpTracer()


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the `OTEL_*` variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return exporter in {"otlp", "console"} or any(
        environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter(environ: Mapping[str, str]) -> SpanExporter:
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure(environ: Mapping[str, str] = os.environ) -> bool:
    """Start tracing for this process if the environment asks; True if it is on.

    Called by each entry point (the API's app factory, the worker) before
    it builds anything that records spans; a second call changes nothing.
    """
    if _provider is not None:
        return True
    if not enabled(environ):
        return False
    default = {SERVICE_NAME: SERVICE} if not environ.get("OTEL_SERVICE_NAME") else {}
    provider = TracerProvider(resource=Resource.create(default))
    provider.add_span_processor(BatchSpanProcessor(_exporter(environ)))
    trace.set_tracer_provider(provider)
    install(provider)
    return True


def install(provider: TracerProvider) -> None:
    """Record this process's spans with `provider` (the tests pass one with an
    in-memory exporter); instruments the database and Redis clients."""
    global _provider, _tracer
    uninstall()
    _provider = provider
    _tracer = provider.get_tracer(INSTRUMENTATION)
    _asyncpg().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)


def uninstall() -> None:
    """Stop recording (the tests, after a traced test)."""
    global _provider, _tracer
    if _provider is None:
        return
    _asyncpg().uninstrument()
    RedisInstrumentor().uninstrument()
    _provider.force_flush()
    _provider = None
    _tracer = trace.NoOpTracer()


def _asyncpg() -> AsyncPGInstrumentor:
    return AsyncPGInstrumentor()  # type: ignore[no-untyped-call]


def provider() -> TracerProvider | None:
    """The provider spans go to; None when tracing is off."""
    return _provider


def carrier() -> dict[str, str]:
    """The current trace context as W3C headers, for work that runs elsewhere
    (empty when tracing is off, or outside any span)."""
    if _provider is None:
        return {}
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


@contextlib.contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A span around the block, current inside it; `parent` is a `carrier()`
    from another process or task. A no-op when tracing is off."""
    context = propagate.extract(parent) if parent else None
    with _tracer.start_as_current_span(
        name, context=context, kind=kind, attributes=dict(attributes or {})
    ) as current:
        yield current
