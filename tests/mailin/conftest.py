from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from csm_graph.mailin import smtp
from csm_graph.settings import Settings
from tests.mailin.helpers import SUPPORT, MailIn


@pytest.fixture
async def mail_in(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MailIn]:
    """`csm-graph mail-in`'s server, taking mail for support@example.com, on a free port."""
    monkeypatch.setattr(settings, "mail_in_addresses", [SUPPORT])
    server = await smtp.start_server(settings, "127.0.0.1", 0)
    yield MailIn(settings, smtp.port_of(server))
    server.close()
    await server.wait_closed()
