"""A corpus of malformed requests: every one gets a GraphQL-shaped JSON error
with a 4xx status (HTTP) or a protocol close code (WebSocket), never a
plain-text 500 or an internal error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from csm_graph import app
from csm_graph.settings import Settings

JSON_TYPE = {"content-type": "application/json"}
DEEP = "[" * 1000 + "]" * 1000
DEEP_VARIABLES = '{"query": "{ __typename }", "variables": ' + '{"a":' * 1000 + "1" + "}" * 1001

BODIES: list[tuple[str, bytes, int]] = [
    ("null", b"null", 400),
    ("a string", b'"x"', 400),
    ("a number", b"123", 400),
    ("true", b"true", 400),
    ("an empty list", b"[]", 400),
    ("a list of operations", b'[{"query": "{ __typename }"}]', 400),
    ("not JSON", b"{query", 400),
    ("empty", b"", 400),
    ("invalid UTF-8", b'{"query": "\xff\xfe"}', 400),
    ("a lone surrogate escape", b'{"query": "{ __typename }", "variables": {"s": "\\ud800"}}', 400),
    ("nested 1,000 deep", DEEP.encode(), 400),
    ("variables nested 1,000 deep", DEEP_VARIABLES.encode(), 400),
    ("query not a string", b'{"query": 1}', 400),
    ("variables not an object", b'{"query": "{ __typename }", "variables": [1]}', 400),
    ("extensions not an object", b'{"query": "{ __typename }", "extensions": "x"}', 400),
    ("no query", b"{}", 400),
    ("an unknown operation name", b'{"query": "{ __typename }", "operationName": "X"}', 400),
]


def _assert_json_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/"), response.headers
    assert response.headers["content-type"].endswith("json; charset=utf-8")
    error = response.json()["errors"][0]
    assert error["message"]
    code: str = error["extensions"]["code"]
    assert code != "INTERNAL_SERVER_ERROR"
    return code


@pytest.mark.parametrize(("name", "body", "status"), BODIES, ids=[b[0] for b in BODIES])
async def test_a_malformed_json_body_is_a_clear_error(
    http: httpx.AsyncClient, name: str, body: bytes, status: int
) -> None:
    response = await http.post("/graphql", content=body, headers=JSON_TYPE)

    _assert_json_error(response, status)


def _multipart(operations: str, files_map: str, **files: bytes) -> dict[str, Any]:
    return {
        "data": {"operations": operations, "map": files_map},
        "files": {name: (f"{name}.txt", data, "text/plain") for name, data in files.items()},
    }


UPLOAD = '{"query": "mutation($f: Upload!) { consumerImport(input: {file: $f}) { errors { code } } }", "variables": {"f": null}}'  # noqa: E501

MULTIPARTS: list[tuple[str, dict[str, Any]]] = [
    ("map is a list", _multipart(UPLOAD, "[1]", f=b"x")),
    ("map values are not lists", _multipart(UPLOAD, '{"f": "variables.f"}', f=b"x")),
    ("map paths are integers", _multipart(UPLOAD, '{"f": [1]}', f=b"x")),
    ("map names a missing file", _multipart(UPLOAD, '{"g": ["variables.f"]}', f=b"x")),
    ("map path outside variables", _multipart(UPLOAD, '{"f": ["query"]}', f=b"x")),
    ("map path into a missing object", _multipart(UPLOAD, '{"f": ["variables.x.y.z"]}', f=b"x")),
    ("map path into a list, out of range", _multipart(UPLOAD, '{"f": ["variables.f.9"]}', f=b"x")),
    ("operations not JSON", _multipart("{", '{"f": ["variables.f"]}', f=b"x")),
    ("operations a string", _multipart('"x"', '{"f": ["variables.f"]}', f=b"x")),
    ("map not JSON", _multipart(UPLOAD, "{", f=b"x")),
]


@pytest.mark.parametrize(("name", "parts"), MULTIPARTS, ids=[m[0] for m in MULTIPARTS])
async def test_a_malformed_multipart_request_is_a_clear_error(
    http: httpx.AsyncClient, name: str, parts: dict[str, Any]
) -> None:
    response = await http.post("/graphql", **parts)

    _assert_json_error(response, 400)


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given: a well-formed request, padded past the limit
    padding = " " * settings.max_body_bytes
    body = ('{"query": "{ __typename }"' + padding + "}").encode()

    # when: sent with its length, and chunked without one
    declared = await http.post("/graphql", content=body, headers=JSON_TYPE)

    async def chunks() -> Any:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    streamed = await http.post("/graphql", content=chunks(), headers=JSON_TYPE)

    # then
    assert _assert_json_error(declared, 413) == "PAYLOAD_TOO_LARGE"
    assert _assert_json_error(streamed, 413) == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_subscription_over_http_is_a_clear_error(
    http: httpx.AsyncClient, method: str
) -> None:
    query = "subscription { caseEvents { kind } }"
    if method == "GET":
        response = await http.get("/graphql", params={"query": query})
    else:
        response = await http.post("/graphql", json={"query": query})

    assert _assert_json_error(response, 400) == "BAD_REQUEST"
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_a_database_error_during_authentication_is_a_json_503(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the database is unreachable when the bearer token is checked
    async def unreachable(header: str | None) -> None:
        raise ConnectionRefusedError("the database does not answer")

    monkeypatch.setattr(app, "authenticate", unreachable)

    # when
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Authorization": "Bearer some.token.here"},
    )

    # then: a JSON answer a client can retry on, not a plain-text 500
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["message"] == "Service unavailable; try again."


WS_MESSAGES: list[tuple[str, str]] = [
    ("not JSON", "{nope"),
    ("a JSON string", '"subscribe"'),
    ("a JSON list", "[]"),
    ("no type", '{"id": "1"}'),
    ("a type that is not a string", '{"type": 1}'),
    ("subscribe without payload", '{"id": "1", "type": "subscribe"}'),
    (
        "subscribe with a query that is not a string",
        '{"id": "1", "type": "subscribe", "payload": {"query": 1}}',
    ),
    (
        "subscribe with variables that are not an object",
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }", "variables": 3}}',
    ),
    ("nested 1,000 deep", DEEP),
]


@pytest.mark.parametrize(("name", "message"), WS_MESSAGES, ids=[m[0] for m in WS_MESSAGES])
async def test_a_malformed_socket_message_closes_with_4400(
    server_url: str, name: str, message: str
) -> None:
    url = server_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"

        await ws.send(message)

        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400


async def test_the_legacy_protocol_answers_a_malformed_start_with_an_error(
    server_url: str,
) -> None:
    url = server_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"

        await ws.send('"nonsense"')
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {"query": 1}}))
        await ws.send(
            json.dumps({"id": "2", "type": "start", "payload": {"query": "{ __typename }"}})
        )

        first = json.loads(await ws.recv())
        second = json.loads(await ws.recv())

    assert first["type"] == "error"
    assert first["id"] == "1"
    assert second == {"type": "data", "id": "2", "payload": {"data": {"__typename": "Query"}}}
