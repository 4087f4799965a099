"""Unexpected failures are masked for clients and logged for support."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import pytest

from csm_graph.observability import RequestIdFilter
from csm_graph.schema.accounts import queries
from tests.support import GraphQLClient

USERS = "query Users { users(first: 5) { edges { node { email } } } }"
SECRET = "connection string postgres://admin:hunter2@db"


class Boom(Exception):
    pass


@pytest.fixture
def broken_paginate(monkeypatch: pytest.MonkeyPatch) -> None:
    async def paginate(*args: Any, **kwargs: Any) -> NoReturn:
        raise Boom(SECRET)

    monkeypatch.setattr(queries, "paginate", paginate)


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured logs carrying the request id, as the production log handler does."""
    caplog.set_level(logging.INFO, logger="csm_graph")
    request_ids = RequestIdFilter()
    caplog.handler.addFilter(request_ids)
    return caplog


@pytest.mark.usefixtures("broken_paginate")
async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    admin_client: GraphQLClient, server_log: pytest.LogCaptureFixture
) -> None:
    # when
    response = await admin_client.post(USERS)

    # then: the client sees a generic error it can quote to support
    assert response.status_code == 200
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert body["data"] == {"users": None}
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 15}],
            "path": ["users"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    assert "hunter2" not in response.text
    assert "Boom" not in response.text

    # and the original, with its traceback, is logged under that request id
    logged = [r for r in server_log.records if r.exc_info and r.exc_info[0] is Boom]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].request_id == request_id  # type: ignore[attr-defined]
    assert str(logged[0].exc_info[1]) == SECRET  # type: ignore[index]


@pytest.mark.usefixtures("broken_paginate")
async def test_the_callers_request_id_is_the_one_reported(admin_client: GraphQLClient) -> None:
    response = await admin_client.http.post(
        "/graphql",
        json={"query": USERS},
        headers={**admin_client.headers(), "X-Request-ID": "support-ticket-42"},
    )

    assert response.json()["errors"][0]["extensions"]["requestId"] == "support-ticket-42"


async def test_expected_errors_are_not_masked(
    agent_client: GraphQLClient, server_log: pytest.LogCaptureFixture
) -> None:
    # when
    result = await agent_client.execute(USERS)

    # then
    assert result["errors"][0]["message"] == "Only administrators may do this."
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert not [r for r in server_log.records if r.levelno >= logging.ERROR]
