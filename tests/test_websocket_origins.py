"""The WebSocket accepts the SPA origins named in settings, and no others."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from csm_graph.app import create_app
from csm_graph.runtime import Runtime
from csm_graph.settings import Settings, use_settings
from tests.serving import serve

PORTAL = "https://portal.example.com"


@pytest.fixture
async def portal_server(product: Runtime, settings: Settings) -> AsyncIterator[str]:
    """The app configured with one allowed SPA origin, on its own port."""
    configured = settings.model_copy(update={"allowed_origins": [PORTAL]})
    app = create_app(configured, manage_runtime=False)
    try:
        async with serve(app) as url:
            yield url.replace("http://", "ws://") + "/graphql"
    finally:
        use_settings(settings)  # create_app made the copy the process's settings


async def handshake(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    try:
        async with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers):  # type: ignore[list-item]
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_the_configured_spa_origin_is_accepted(portal_server: str) -> None:
    assert await handshake(portal_server, PORTAL) == 101


async def test_other_origins_are_refused(portal_server: str) -> None:
    assert await handshake(portal_server, "https://evil.example.net") == 403


async def test_clients_without_an_origin_are_not_browsers_and_are_accepted(
    portal_server: str,
) -> None:
    assert await handshake(portal_server, None) == 101


async def test_with_no_origins_configured_cross_origin_pages_are_refused(server_url: str) -> None:
    url = server_url.replace("http://", "ws://") + "/graphql"

    assert await handshake(url, PORTAL) == 403
