"""GraphQL over HTTP on /graphql: media types, status codes and refusals."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.transport import negotiate_media_type

GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}


def _error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
        ("application/*, application/json;q=0", GRAPHQL_RESPONSE),
        ("text/html, */*;q=0.8", "application/json"),
        ("application/xml", None),
        ("application/json;q=0", None),
        ("*/*;q=0", None),
    ],
)
def test_negotiate_media_type(accept: str | None, expected: str | None) -> None:
    assert negotiate_media_type(accept) == expected


async def test_legacy_json_client_gets_200_for_a_validation_error(http: httpx.AsyncClient) -> None:
    # when
    response = await http.post(
        "/graphql", json={"query": "{ noSuchField }"}, headers={"Accept": "application/json"}
    )

    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"]


async def test_graphql_response_client_gets_400_for_a_parse_error(
    http: httpx.AsyncClient,
) -> None:
    # when
    response = await http.post(
        "/graphql", json={"query": "{ __typename"}, headers={"Accept": GRAPHQL_RESPONSE}
    )

    # then
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error")


async def test_graphql_response_client_gets_200_with_data(http: httpx.AsyncClient) -> None:
    # when
    response = await http.post("/graphql", json=TYPENAME, headers={"Accept": GRAPHQL_RESPONSE})

    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_response_client_gets_200_for_a_field_error(
    http: httpx.AsyncClient,
) -> None:
    # given: `users` is for administrators; anonymous reading reaches execution
    query = {"query": "{ users(first: 1) { totalCount } }"}

    # when
    response = await http.post("/graphql", json=query, headers={"Accept": GRAPHQL_RESPONSE})

    # then
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["path"] == ["users"]


async def test_unacceptable_accept_is_406(http: httpx.AsyncClient) -> None:
    # when
    response = await http.post("/graphql", json=TYPENAME, headers={"Accept": "application/xml"})

    # then
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert _error_code(response) == "NOT_ACCEPTABLE"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_unsupported_content_type_is_415(
    http: httpx.AsyncClient, content_type: str | None
) -> None:
    # given
    headers = {"Accept": GRAPHQL_RESPONSE}
    if content_type:
        headers["Content-Type"] = content_type

    # when
    response = await http.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)

    # then
    assert response.status_code == 415
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert _error_code(response) == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405(http: httpx.AsyncClient, method: str) -> None:
    # when
    response = await http.request(method, "/graphql", json=TYPENAME)

    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert _error_code(response) == "METHOD_NOT_ALLOWED"


async def test_mutation_over_get_is_405(http: httpx.AsyncClient) -> None:
    # when
    response = await http.get(
        "/graphql",
        params={
            "query": 'mutation { login(input: {email: "a@b.c", password: "x"}) { accessToken } }'
        },
        headers={"Accept": GRAPHQL_RESPONSE},
    )

    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert _error_code(response) == "METHOD_NOT_ALLOWED"


async def test_query_over_get(http: httpx.AsyncClient) -> None:
    # when
    response = await http.get("/graphql", params=TYPENAME, headers={"Accept": "application/json"})

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_malformed_json_body_is_400_with_a_json_body(http: httpx.AsyncClient) -> None:
    # when
    response = await http.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    # then
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert _error_code(response) == "BAD_REQUEST"


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_bad_bearer_token_is_401(http: httpx.AsyncClient, accept: str) -> None:
    # when
    response = await http.post(
        "/graphql",
        json=TYPENAME,
        headers={"Authorization": "Bearer not-a-token", "Accept": accept},
    )

    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert _error_code(response) == "UNAUTHENTICATED"


async def test_browser_get_renders_graphiql(http: httpx.AsyncClient) -> None:
    # when
    response = await http.get(
        "/graphql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )

    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text
