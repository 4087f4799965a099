"""A webhook receiver in the test process: a small Starlette app served by
uvicorn on a free local port, recording every request it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from tests.serving import serve
from tests.webhooks.helpers import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    box = Receiver()
    app = Starlette(routes=[Route("/{path:path}", box.handle, methods=["POST"])])
    async with serve(app) as url:
        box.url = url
        yield box
