"""Webhook test helpers: a receiver that records what it is sent, and registering
an endpoint over the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.support import GraphQLClient


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records requests and answers each with `status` and `answer`."""

    url: str = ""
    status: int = 200
    answer: bytes = b"thanks"
    received: list[Received] = field(default_factory=list)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(request.url.path, dict(request.headers), body))
        return Response(self.answer, status_code=self.status, media_type="text/plain")


CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    endpoint { id url events internal enabled }
    secret
    errors { field message code }
  }
}
"""


async def register(
    admin: GraphQLClient, url: str, events: list[str], **extra: Any
) -> tuple[str, str]:
    """(endpoint id, secret) of a new endpoint, registered over the API."""
    data = await admin.data(CREATE, {"input": {"url": url, "events": events, **extra}})
    payload = data["webhookEndpointCreate"]
    assert payload["errors"] == [], payload
    return payload["endpoint"]["id"], payload["secret"]


async def settle(settings: Settings) -> None:
    """Every queued job has run (the deliveries and the jobs they start)."""
    await settle_jobs(settings)
