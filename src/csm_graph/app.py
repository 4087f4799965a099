"""The Starlette application: GraphQL over HTTP and WebSocket, health, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected as StarletteDisconnected
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from csm_graph import downloads, runtime, sqlcount, tracing
from csm_graph.accounts.viewer import Viewer, authenticate
from csm_graph.db import fetch
from csm_graph.errors import NotAuthenticated
from csm_graph.observability import (
    RequestContextMiddleware,
    configure_logging,
    metrics_endpoint,
    request_id_var,
)
from csm_graph.schema import build_schema
from csm_graph.schema.context import Context
from csm_graph.schema.persisted import NOT_FOUND as PERSISTED_QUERY_NOT_FOUND
from csm_graph.schema.plans.shipped import register_shipped
from csm_graph.settings import Settings, get_settings, use_settings
from csm_graph.sockets import LegacyWSHandler, SocketSession, TransportWSHandler
from csm_graph.transport import (
    ALLOWED_METHODS,
    GRAPHQL_RESPONSE,
    JSON,
    MULTIPART,
    REQUEST_MEDIA_TYPES,
    BodyTooLarge,
    client_address,
    content_type,
    decode_json,
    error_response,
    files_map,
    media_type_of,
    negotiate_media_type,
    read_body,
)

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)
SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions run over a WebSocket on /graphql (graphql-transport-ws or graphql-ws)."
)


class TextFrameWebSocket(ASGIWebSocketAdapter):
    """Sends each graphql-transport-ws message as a text frame, as the
    protocol's clients expect (`graphql-ws` parses only text; a binary frame
    reaches it, or a browser, as a Buffer or Blob it cannot read).
    Strawberry would send bytes, because `encode_json` returns them."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except (WebSocketDisconnect, StarletteDisconnected):
            # The socket closed under it (the client left, or its session ended
            # and the server closed it): a message to nobody, not an error.
            log.debug("dropped a message for a closed socket: %s", message.get("type"))


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI app with our auth, context, encoding and media types."""

    websocket_adapter_class = TextFrameWebSocket
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql",
            multipart_uploads_enabled=True,
            allowed_origins=settings.allowed_origins,
            max_subscriptions_per_connection=settings.ws_max_operations,
        )
        self.settings = settings
        self.ide_html = (STATIC / "graphiql.html").read_text()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            try:
                await super().__call__(scope, receive, send)
            finally:
                session = scope.get("state", {}).get("socket_session")
                if session is not None:
                    session.stop()
            return
        request = Request(scope, receive)
        try:
            response = await self._handle_http(request)
        except Exception:
            # The last line of the error boundary: still JSON, still traceable.
            log.exception("unexpected error in a GraphQL request")
            response = error_response(
                500, "Unexpected error.", code="INTERNAL_SERVER_ERROR", request_id=True
            )
        finally:
            # Closes uploaded files, whether or not a resolver read them.
            await request.close()
        await response(scope, receive, send)

    async def _handle_http(self, request: Request) -> Response:
        """Transport checks in the order GraphQL over HTTP gives them, then
        auth, then Strawberry; every refusal gets a JSON error body."""
        media_type = negotiate_media_type(request.headers.get("accept"))
        if request.method not in ("GET", "POST"):
            return error_response(
                405,
                "GraphQL only supports GET and POST requests.",
                media_type,
                headers={"Allow": ALLOWED_METHODS},
            )
        wants_ide = self.should_render_graphql_ide(self.request_adapter_class(request))
        if media_type is None and not wants_ide:
            return error_response(406, f"Acceptable media types: {GRAPHQL_RESPONSE}, {JSON}.", JSON)
        if request.method == "POST":
            sent = media_type_of(request)
            if sent not in REQUEST_MEDIA_TYPES:
                return error_response(
                    415, f"Send the request as {JSON} (or {MULTIPART}).", media_type
                )
            limit = self.settings.max_body_bytes
            if sent == MULTIPART:
                limit = self.settings.max_upload_bytes
            try:
                await read_body(request, limit)
            except BodyTooLarge:
                return error_response(413, f"The request body is over {limit} bytes.", media_type)
        try:
            viewer = await authenticate(request.headers.get("authorization"))
        except NotAuthenticated as exc:
            return error_response(
                401,
                str(exc),
                media_type,
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
            )
        except Exception:
            log.exception("authentication failed: the database is unreachable")
            return error_response(
                503,
                "Service unavailable; try again.",
                media_type,
                request_id=True,
                headers={"Retry-After": "5"},
            )
        state = request.scope.setdefault("state", {})
        state["viewer"] = viewer
        state["media_type"] = media_type or JSON
        try:
            return await self.run(request)
        except HTTPException as exc:
            refused = exc.__cause__
            if isinstance(refused, InvalidOperationTypeError):
                if refused.operation_type is OperationType.SUBSCRIPTION:
                    return error_response(400, SUBSCRIPTIONS_OVER_WEBSOCKET, media_type)
                if request.method == "GET":
                    # Only queries may run over GET (GraphQL over HTTP: 405).
                    return error_response(405, exc.reason, media_type, headers={"Allow": "POST"})
            return error_response(exc.status_code, exc.reason, media_type)

    def decode_json(self, data: str | bytes) -> object:
        return decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The request must be a JSON object.")
        return value

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """The GraphQL multipart request spec: `map` names, for each file field,
        paths into `variables`; anything else is a 400, never a crash."""
        form = await request.get_form_data()
        if files_map(self.parse_json(form.form.get("map", "{}"))) is None:
            raise HTTPException(400, "`map` must be an object of file field -> variable paths.")
        try:
            return await super().parse_multipart(request)
        except (AttributeError, IndexError, TypeError, ValueError) as exc:
            raise HTTPException(400, "`map` names a path the operation does not have.") from exc

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        viewer: Viewer | None = None
        if isinstance(request, Request):
            viewer = request.scope.get("state", {}).get("viewer")
            if response is not None:
                response.media_type = request.scope.get("state", {}).get("media_type", JSON)
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            viewer=viewer,
            request_id=request_id_var.get(),
            client_address=client_address(request),
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        websocket = context.request
        assert isinstance(websocket, WebSocket)

        async def close(code: int, reason: str) -> None:
            await websocket.close(code, reason)

        try:
            session, viewer = await SocketSession.open(authorization, close)
        except NotAuthenticated as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from None
        context.viewer = viewer
        context.socket = session
        websocket.scope.setdefault("state", {})["socket_session"] = session
        session.watch()
        return None

    async def operation_context(self, connection: Context) -> Context:
        """A fresh context for the next operation on a socket, its viewer checked
        again; raises SessionEnded (the socket is closing) once the session is over."""
        socket = connection.socket
        viewer = await socket.viewer() if socket is not None else None
        return Context(
            request=connection.request,
            response=connection.response,
            settings=self.settings,
            viewer=viewer,
            request_id=connection.request_id,
            client_address=connection.client_address,
            connection_params=connection.connection_params,
            socket=socket,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET carrying only a persisted-query hash is an operation, not a visit.
        return super().should_render_graphql_ide(request) and (
            request.query_params.get("extensions") is None
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self.ide_html)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        request_error = isinstance(response_data, dict) and _is_request_error(response_data)
        if request_error and isinstance(response_data, dict):
            # Raised before execution began: the result has no `data` entry
            # (GraphQL spec, "Response Format").
            response_data = cast(
                GraphQLHTTPResponse, {k: v for k, v in response_data.items() if k != "data"}
            )
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "media_type", None) or JSON
        response.headers["content-type"] = content_type(media_type)
        if (
            media_type == GRAPHQL_RESPONSE
            and request_error
            and not _asks_for_document(response_data)
        ):
            # Under this media type a request that never reached execution
            # (parse, validation or variable coercion failure) is a client error.
            response.status_code = 400
        return response


def _asks_for_document(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    """An unknown persisted-query hash: Apollo clients expect a 200 and resend
    with the document."""
    errors = response_data.get("errors") if isinstance(response_data, dict) else None
    return any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == PERSISTED_QUERY_NOT_FOUND
        for e in errors or []
    )


def _is_request_error(response_data: GraphQLHTTPResponse) -> bool:
    """Errors without a path and no data: the operation never executed."""
    errors = [e for e in response_data.get("errors") or [] if isinstance(e, dict)]
    return (
        response_data.get("data") is None
        and bool(errors)
        and not any(e.get("path") for e in errors)
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        await fetch("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    rt = runtime.get_runtime()
    if rt.redis is not None:
        try:
            await rt.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


class TracedHttp:
    """A span per HTTP request (continuing a client's `traceparent`), around
    everything else. WebSocket connections get none: one would last as long
    as the connection; their operations have their own spans."""

    UNTRACED = "/healthz,/readyz,/metrics,/static"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.traced = OpenTelemetryMiddleware(
            app,
            excluded_urls=self.UNTRACED,
            exclude_spans=["receive", "send"],
            tracer_provider=tracing.provider(),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.traced(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, manage_runtime: bool = True) -> Starlette:
    """The ASGI app. With `manage_runtime` its lifespan opens and closes the
    database, Redis and job dispatch; tests that share a runtime turn it off."""
    settings = use_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start(settings)
            await register_shipped(settings)
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    tracing.configure()
    graphql = GraphQLApp(settings)
    middleware = [Middleware(RequestContextMiddleware)]
    if tracing.provider() is not None:
        middleware.insert(0, Middleware(TracedHttp))
    if settings.sql_count_header:
        sqlcount.install()
        middleware.insert(0, Middleware(sqlcount.SqlCountMiddleware))
    if settings.allowed_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.allowed_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type", "x-request-id"],
            )
        )
    return Starlette(
        routes=[
            # No `methods`: GraphQLApp answers other methods with a JSON 405.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/files/attachments/{id}", downloads.attachment),
            Route("/exports/{token}", downloads.data_export),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )


def asgi() -> Starlette:
    """Factory for `uvicorn --factory csm_graph.app:asgi`."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.logs_as_json)
    return create_app(settings)
