"""GraphQL over WebSocket as a client sees it, on either subprotocol.

`open_socket` connects to the test server for a token, and a `Socket` sorts
what the server sends by operation id, so operations, subscription events and
the socket's closing can be awaited one by one. `subscribers` tells how many
listeners this process has on a pub/sub channel, so a test can wait for the
server to listen instead of sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from csm_graph import pubsub

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
WAIT = 5.0
"""The longest any single wait for the server lasts, in seconds."""

Message = dict[str, Any]


class SocketClosed(AssertionError):
    """The server closed the socket while a message was awaited."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"the socket closed ({code}: {reason!r})")
        self.code = code
        self.reason = reason


class Socket:
    """One open, acknowledged socket; its messages sorted by operation id."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.control: asyncio.Queue[Message] = asyncio.Queue()
        """Messages without an operation id (connection_ack, connection_error)."""
        self.seen: dict[str, list[Message]] = defaultdict(list)
        """Every message received so far, by operation id."""
        self._inbox: dict[str, asyncio.Queue[Message | None]] = defaultdict(asyncio.Queue)
        self._closed = asyncio.Event()
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @property
    def legacy(self) -> bool:
        return self.protocol == LEGACY_WS

    @property
    def is_closed(self) -> bool:
        return self._closed.is_set()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message: Message = json.loads(raw)
                if message.get("type") == "ka":  # graphql-ws keep-alive
                    continue
                op = message.get("id")
                if op is None:
                    self.control.put_nowait(message)
                else:
                    self.seen[str(op)].append(message)
                    self._inbox[str(op)].put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            self._closed.set()
            for inbox in self._inbox.values():
                inbox.put_nowait(None)

    async def aclose(self) -> None:
        await self.ws.close()
        with suppress(asyncio.CancelledError):
            await self._reader

    # --- sending --------------------------------------------------------------------

    async def send(self, message: Message) -> None:
        await self.ws.send(json.dumps(message))

    def new_id(self) -> str:
        return f"op{next(self._ids)}"

    async def start(
        self, query: str, variables: dict[str, Any] | None = None, *, op: str | None = None
    ) -> str:
        """Start an operation (`subscribe`, or `start` on graphql-ws); its id."""
        op = op or self.new_id()
        payload: Message = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        kind = "start" if self.legacy else "subscribe"
        await self.send({"id": op, "type": kind, "payload": payload})
        return op

    async def stop(self, op: str) -> None:
        """End an operation from the client (`complete`, or `stop` on graphql-ws)."""
        await self.send({"id": op, "type": "stop" if self.legacy else "complete"})

    # --- receiving ------------------------------------------------------------------

    async def message(self, op: str, wait: float = WAIT) -> Message:
        """The next message of operation `op`; SocketClosed once the socket closed."""
        inbox = self._inbox[op]
        if self.is_closed and inbox.empty():
            inbox.put_nowait(None)
        message = await asyncio.wait_for(inbox.get(), wait)
        if message is None:
            inbox.put_nowait(None)  # later reads end too
            raise SocketClosed(self.ws.close_code, self.ws.close_reason or "")
        return message

    async def result(self, op: str, wait: float = WAIT) -> Message:
        """The payload of the next result of `op` (`next`, or `data` on graphql-ws)."""
        message = await self.message(op, wait)
        assert message["type"] == ("data" if self.legacy else "next"), message
        payload: Message = message["payload"]
        return payload

    async def completed(self, op: str, wait: float = WAIT) -> None:
        message = await self.message(op, wait)
        assert message == {"id": op, "type": "complete"}, message

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> Message:
        """Run a query or mutation: its one result, then `complete`."""
        op = await self.start(query, variables)
        payload = await self.result(op)
        await self.completed(op)
        return payload

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Message:
        """The `data` of a query or mutation that must have no errors."""
        payload = await self.execute(query, variables)
        assert "errors" not in payload, payload
        data: Message = payload["data"]
        return data

    async def acknowledged(self, wait: float = WAIT) -> None:
        """Wait for `connection_ack`; SocketClosed when the server refuses the socket."""
        ack = asyncio.ensure_future(self.control.get())
        closing = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({ack, closing}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            ack.cancel()
        if ack.done() and not ack.cancelled():
            assert ack.result()["type"] == "connection_ack", ack.result()
            return
        if self.is_closed:
            raise SocketClosed(self.ws.close_code, self.ws.close_reason or "")
        raise TimeoutError("no connection_ack")

    async def closed(self, wait: float = WAIT) -> tuple[int | None, str]:
        """The server's close code and reason, once it closes the socket."""
        await asyncio.wait_for(self._closed.wait(), wait)
        return self.ws.close_code, self.ws.close_reason or ""


def ws_url(server_url: str) -> str:
    return server_url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def open_socket(
    server_url: str, token: str | None, protocol: str = TRANSPORT_WS
) -> AsyncIterator[Socket]:
    """A socket on `protocol`, initialised with `Bearer <token>` and acknowledged."""
    async with connect(ws_url(server_url), subprotocols=[Subprotocol(protocol)]) as ws:
        assert ws.subprotocol == protocol
        socket = Socket(ws, protocol)
        try:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            await socket.send({"type": "connection_init", "payload": payload})
            await socket.acknowledged()
            yield socket
        finally:
            await socket.aclose()


def subscribers(channel: str) -> int:
    """Listeners on `channel` in this process (the test server runs in it)."""
    broadcaster = pubsub.get_broadcaster()
    assert isinstance(broadcaster, pubsub.MemoryBroadcaster | pubsub.RedisBroadcaster)
    return broadcaster.subscriber_count(channel)


async def until(condition: Callable[[], bool], wait: float = WAIT) -> None:
    """Return once `condition()` holds; fail after `wait` seconds."""
    async with asyncio.timeout(wait):
        while not condition():  # noqa: ASYNC110 - the server's state has no event to await
            await asyncio.sleep(0.01)
