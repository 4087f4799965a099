"""Health, readiness, metrics and request ids."""

from __future__ import annotations

import re

import httpx

from csm_graph import runtime
from csm_graph.persisted import document_hash, store_for
from csm_graph.settings import Settings, use_settings

OPERATION = "query HealthProbe { viewer { id } }"


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0 when it does not exist yet)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_redis_when_used(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # when
    response = await http.get("/readyz")

    # then
    assert response.status_code == 200
    expected = {"database": "ok"}
    if settings.uses_redis:
        expected["redis"] = "ok"
    assert response.json() == {"status": "ok", "checks": expected}


async def _register(settings: Settings, document: str) -> None:
    """As `csm-graph persisted register` does."""
    redis = runtime.get_runtime().redis
    await store_for(settings, redis).register(document_hash(document), document)


async def test_metrics_count_requests_and_operations(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given: a registered operation
    await _register(settings, OPERATION)
    before = (await http.get("/metrics")).text

    # when
    await http.get("/healthz")
    await http.post("/graphql", json={"query": OPERATION})
    await http.post("/graphql", json={"query": "query HealthProbe { nope }"})

    # then
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def moved(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert moved("csm_http_requests_total", method="GET", route="/healthz", status="200") == 1
    assert moved("csm_http_requests_total", method="POST", route="/graphql", status="200") == 2
    assert moved("csm_graphql_operations_total", operation="HealthProbe", outcome="ok") == 1
    # the same name on a document nobody registered counts as `other`
    assert moved("csm_graphql_operations_total", operation="other", outcome="error") == 1
    assert (
        moved("csm_graphql_errors_total", operation="other", code="GRAPHQL_VALIDATION_FAILED") == 1
    )


async def test_names_clients_make_up_do_not_grow_the_metrics(http: httpx.AsyncClient) -> None:
    # given
    await http.post("/graphql", json={"query": "query Warmup { __typename }"})
    before = len((await http.get("/metrics")).text)

    # when: 300 requests, each with a new operation name and a new HTTP method
    for n in range(300):
        await http.post("/graphql", json={"query": f"query Name{n} {{ __typename }}"})
        await http.request(f"VERB{n}", "/graphql")

    # then: the same series, only their counts moved
    after = (await http.get("/metrics")).text
    assert "Name1" not in after
    assert "VERB1" not in after
    assert len(after) < before + 2048


async def test_metrics_need_their_token_when_one_is_set(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    try:
        # given
        use_settings(settings.model_copy(update={"metrics_token": "scrape-me"}))

        # when
        without = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        use_settings(settings.model_copy(update={"environment": "production"}))
        production = await http.get("/metrics")
    finally:
        use_settings(settings)

    # then: refused as JSON, served with the token, off in production without one
    assert (without.status_code, without.json()["errors"][0]["extensions"]["code"]) == (
        401,
        "UNAUTHENTICATED",
    )
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert "csm_http_requests_total" in right.text
    assert production.status_code == 404


async def test_a_callers_request_id_is_echoed(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_a_request_id_is_generated_when_missing_or_unusable(
    http: httpx.AsyncClient,
) -> None:
    # when
    missing = await http.get("/healthz")
    again = await http.get("/healthz")
    too_long = await http.get("/healthz", headers={"X-Request-ID": "x" * 65})

    # then
    for response in (missing, again, too_long):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert missing.headers["x-request-id"] != again.headers["x-request-id"]


async def test_graphql_responses_carry_the_request_id(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": OPERATION}, headers={"X-Request-ID": "trace-me"}
    )

    assert response.headers["x-request-id"] == "trace-me"
