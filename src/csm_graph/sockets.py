"""GraphQL over WebSocket, each operation authorized on its own.

A token proves who opened a socket, not that they may still act. So every
operation over a socket (query, mutation or subscription, on
graphql-transport-ws or on the legacy graphql-ws protocol) runs in a context
of its own, its viewer loaded again from the token's claims: the token must
not have expired, the user must be active, and the session must hold (its
epoch and refresh-token family, see `accounts.sessions`). Subscriptions
check again before every event (`Context.renew`). Nothing of one operation
(loaders, access decisions, redactions) reaches the next.

When the session ends the server closes the socket with 4403: at the
token's expiry, and at once when the user's sessions change (logout,
deactivation, a password or role change) or its API token is revoked. Clients reconnect with a fresh
token, as graphql-ws and Apollo do on that code.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage, StartMessage

from csm_graph import clock, pubsub
from csm_graph.accounts.sessions import SESSIONS_CHANNEL
from csm_graph.accounts.tokens import AccessClaims
from csm_graph.accounts.viewer import Viewer, bearer_claims, viewer_of
from csm_graph.errors import NotAuthenticated, SessionEnded
from csm_graph.schema.context import Context

if TYPE_CHECKING:
    from csm_graph.app import GraphQLApp

log = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4403
EXPIRY_CHECK_SECONDS = 30.0
"""How often an idle socket looks at its token's expiry (the product clock may jump)."""

Close = Callable[[int, str], Awaitable[None]]


class SocketSession:
    """What a socket proved at `connection_init`, checked again whenever it acts."""

    def __init__(self, claims: AccessClaims | None, close: Close) -> None:
        self.claims = claims
        self._close = close
        self.ended = False
        self._watchers: list[asyncio.Task[None]] = []

    @classmethod
    async def open(cls, authorization: object, close: Close) -> tuple[SocketSession, Viewer | None]:
        """The session of a `connection_init` payload's `authorization`, and its viewer.
        Refused (NotAuthenticated) like a bad bearer token over HTTP."""
        if authorization is not None and not isinstance(authorization, str):
            raise NotAuthenticated("Use `Bearer <accessToken>` as `authorization`.")
        session = cls(await bearer_claims(authorization), close)
        viewer = await session.viewer()
        if session.claims is not None and viewer is None:
            raise NotAuthenticated("The access token is invalid or expired.")
        return session, viewer

    async def viewer(self) -> Viewer | None:
        """The viewer for the next operation or event (None: an anonymous socket).
        Raises SessionEnded, and closes the socket, once the session is over."""
        if self.ended:
            raise SessionEnded()
        if self.claims is None:
            return None
        if self.claims.expires_at <= clock.now():
            await self.end("The access token expired.")
        viewer = await viewer_of(self.claims)
        if viewer is None:
            await self.end("The session ended.")
        return viewer

    async def end(self, reason: str) -> NoReturn:
        """Close the socket with 4403; raises SessionEnded."""
        if not self.ended:
            self.ended = True
            with contextlib.suppress(RuntimeError, WebSocketDisconnected):
                await self._close(CLOSE_SESSION_ENDED, reason)
        raise SessionEnded()

    def watch(self) -> None:
        """Close the socket at the token's expiry, and when the user's sessions change."""
        if self.claims is not None:
            self._watchers = [
                asyncio.create_task(self._until_expiry()),
                asyncio.create_task(self._on_session_events()),
            ]

    def stop(self) -> None:
        for task in self._watchers:
            task.cancel()

    async def _until_expiry(self) -> None:
        assert self.claims is not None
        with contextlib.suppress(SessionEnded):
            while True:
                left = (self.claims.expires_at - clock.now()).total_seconds()
                if left <= 0:
                    await self.end("The access token expired.")
                await asyncio.sleep(min(left, EXPIRY_CHECK_SECONDS))

    async def _on_session_events(self) -> None:
        assert self.claims is not None
        with contextlib.suppress(SessionEnded):
            async with pubsub.subscribe(SESSIONS_CHANNEL) as events:
                async for event in events:
                    if event.get("userId") == self.claims.user_id:
                        await self.viewer()


_operation: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "socket_operation", default=None
)


class _PerOperation:
    """The schema as the protocol handlers see it: each operation runs in the
    context made for it (`operation_scope`), not the socket's; and the legacy
    protocol's `subscribe` runs queries and mutations too, as clients expect."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    @staticmethod
    def _context() -> Context:
        context = _operation.get()
        assert context is not None, "an operation ran outside operation_scope"
        return context

    async def stream(self, query: str | None, **kwargs: Any) -> Any:
        kwargs["context_value"] = self._context()
        return await self._schema.stream(query, **kwargs)

    async def subscribe(self, query: str | None, **kwargs: Any) -> Any:
        kwargs["context_value"] = self._context()
        return await self._schema.stream(query, **kwargs)


@asynccontextmanager
async def operation_scope(view: GraphQLApp, connection: Context) -> AsyncIterator[bool]:
    """Within: the next operation's own context (False: the socket is closing)."""
    try:
        context = await view.operation_context(connection)
    except SessionEnded:
        yield False
        return
    token = _operation.set(context)
    try:
        yield True
    finally:
        _operation.reset(token)


BAD_START = "`start` needs an `id` and a `payload.query`."


def _well_formed(message: Any) -> bool:
    """An operation message with a string id and a payload holding a string query
    (variables an object, if any)."""
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables") or {}, dict)
        and isinstance(payload.get("operationName") or "", str)
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with a context and an authorization check per operation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _PerOperation(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: Message) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("A message is a JSON object with a `type`.")
            return
        if message["type"] == "subscribe" and not _well_formed(message):
            await self.handle_invalid_message("`subscribe` needs an `id` and a `payload.query`.")
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        async with operation_scope(self.view, self.context) as go:  # type: ignore[arg-type]
            if go:
                await super().handle_subscribe(message)

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            return  # the socket closed under a running operation
        await super().handle_task_exception(error)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol (Python's `gql` speaks it by default),
    with the same per-operation context and checks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _PerOperation(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: OperationMessage) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return  # the protocol ignores what it cannot read
        if message["type"] == "start" and not _well_formed(message):
            await self.send_message(
                {"type": "error", "id": str(message.get("id")), "payload": {"message": BAD_START}}
            )
            return
        await super().handle_message(message)

    async def handle_start(self, message: StartMessage) -> None:
        async with operation_scope(self.view, self.context) as go:  # type: ignore[arg-type]
            if go:
                await super().handle_start(message)
