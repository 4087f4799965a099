"""Structured logs with a request id, and Prometheus metrics."""

from __future__ import annotations

import contextvars
import hmac
import logging
import sys
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csm_graph.settings import get_settings

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "csm_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "csm_http_request_seconds", "HTTP request latency", ["method", "route"], registry=REGISTRY
)
GRAPHQL_OPERATIONS = Counter(
    "csm_graphql_operations_total",
    "GraphQL operations by name and outcome",
    ["operation", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = Histogram(
    "csm_graphql_operation_seconds", "GraphQL operation latency", ["operation"], registry=REGISTRY
)
JOBS = Counter(
    "csm_jobs_total",
    "Background jobs run, by job and outcome",
    ["job", "outcome"],
    registry=REGISTRY,
)
PLAN_RUNS = Counter(
    "csm_plan_runs_total",
    "Registered documents by plan and outcome: planned (answered by its plan), "
    "declined (the generic path answered), failed (the plan raised an unexpected "
    "error and the generic path answered), off (switched off)",
    ["plan", "outcome"],
    registry=REGISTRY,
)
PLAN_MISMATCHES = Counter(
    "csm_plan_mismatches_total",
    "Checks where a plan and the generic path answered differently (the plan is switched off)",
    ["plan"],
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "csm_graphql_errors_total",
    "GraphQL errors by operation and code",
    ["operation", "code"],
    registry=REGISTRY,
)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Tortoise says INFO at every connect and close ("Tortoise-ORM startup",
    # "... shutdown"): lifecycle chatter, shown only when debugging.
    debugging = logging.getLevelName(level.upper()) == logging.DEBUG
    logging.getLogger("tortoise").setLevel(logging.DEBUG if debugging else logging.WARNING)


HTTP_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
"""Methods counted by name; anything else a client invents is OTHER (labels stay bounded)."""


def _route_of(scope: Scope) -> str:
    path: str = scope.get("path", "")
    known = ("/graphql", "/healthz", "/readyz", "/metrics", "/files", "/graphiql")
    for prefix in known:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return "other"


class RequestContextMiddleware:
    """Gives each request an id (or keeps the caller's `X-Request-ID`), logs it,
    echoes it in the response, and counts the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                route = _route_of(scope)
                method = scope["method"] if scope["method"] in HTTP_METHODS else "OTHER"
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
            request_id_var.reset(token)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics. With `METRICS_TOKEN` set, only for `Authorization: Bearer
    <token>`; in production without one they are not served at all."""
    settings = get_settings()
    token = settings.metrics_token
    if not token:
        if settings.environment == "production":
            return _refused(404, "Metrics are off: set METRICS_TOKEN to serve them.", "NOT_FOUND")
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        return _refused(401, "Send `Authorization: Bearer <METRICS_TOKEN>`.", "UNAUTHENTICATED")
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _refused(status: int, message: str, code: str) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status, headers=headers)
