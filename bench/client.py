"""The load generator's HTTP client: aiohttp, one keep-alive connection per
simulated client, each request's body encoded once.

httpx costs the load generator more CPU per request than the hand-written
reference costs the server: at 64 connections on a 2-core machine every
variant came out near the same requests/s, set by the client (93 req/s
where aiohttp reaches about 880 against the same reference). aiohttp is
within a tenth of a bare asyncio-streams client there, so the reference's
figures are at most that much low (see docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]
    """Names in lower case."""
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return orjson.loads(self.content)


class ConnectionLost(Exception):
    """The server closed the connection or did not answer in HTTP."""


@dataclass(frozen=True)
class Prepared:
    """A request, its body encoded once, sent many times."""

    path: str
    data: bytes
    headers: dict[str, str]


def prepare(path: str, body: Any, headers: dict[str, str] | None = None) -> Prepared:
    """A JSON POST to `path`."""
    return Prepared(
        path, orjson.dumps(body), {"Content-Type": "application/json", **(headers or {})}
    )


class Connection:
    """One keep-alive connection to `base`; one request at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session: aiohttp.ClientSession | None = None

    async def send(self, request: Prepared) -> Reply:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                base_url=self.base,
                connector=aiohttp.TCPConnector(limit=1),
                timeout=aiohttp.ClientTimeout(total=120),
            )
        try:
            async with self.session.post(
                request.path, data=request.data, headers=request.headers
            ) as response:
                content = await response.read()
                headers = {name.lower(): value for name, value in response.headers.items()}
                return Reply(response.status, headers, content)
        except aiohttp.ClientError as error:
            raise ConnectionLost(str(error)) from error

    async def close(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()


async def post(base: str, path: str, body: Any, headers: dict[str, str] | None = None) -> Reply:
    """One request on a connection of its own."""
    connection = Connection(base)
    try:
        return await connection.send(prepare(path, body, headers))
    finally:
        await connection.close()
