"""Automatic persisted queries over real HTTP, and the registered allow-list."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from csm_graph.app import create_app
from csm_graph.persisted import MemoryStore, RedisStore
from csm_graph.settings import Settings, use_settings
from tests.serving import serve
from tests.support import GraphQLClient

CSM_GRAPH = str(Path(sys.executable).with_name("csm-graph"))
VIEWER_EMAIL = "{ viewer { email } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def unique_document() -> str:
    """A document no other test has stored (the stores outlive a test)."""
    return f"query Q{uuid.uuid4().hex} {{ viewer {{ email }} }}"


def persisted(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(
    client: GraphQLClient, body: dict[str, Any], accept: str = "application/json"
) -> httpx.Response:
    return await client.http.post(
        "/graphql", json=body, headers={**client.headers(), "accept": accept}
    )


def error_code(result: dict[str, Any]) -> str:
    codes = [e["extensions"]["code"] for e in result.get("errors", [])]
    assert len(codes) == 1, result
    return str(codes[0])


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_an_unknown_hash_asks_for_the_document(
    anon_client: GraphQLClient, accept: str
) -> None:
    # when
    response = await post(
        anon_client, {"extensions": persisted(sha256(unique_document()))}, accept=accept
    )

    # then
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["errors"][0]["message"] == "PersistedQueryNotFound"
    assert error_code(result) == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in result


async def test_hash_with_document_is_stored_then_runs_by_hash(
    admin_client: GraphQLClient,
) -> None:
    # given
    document = unique_document()
    extensions = persisted(sha256(document))

    # when
    first = await post(admin_client, {"query": document, "extensions": extensions})
    second = await post(admin_client, {"extensions": extensions})

    # then
    assert first.json() == {"data": {"viewer": {"email": "admin@example.com"}}}
    assert second.status_code == 200
    assert second.json() == {"data": {"viewer": {"email": "admin@example.com"}}}


async def test_a_hash_that_is_not_the_documents_is_refused_and_nothing_stored(
    anon_client: GraphQLClient,
) -> None:
    # given
    claimed = sha256(unique_document())

    # when
    mismatch = await post(anon_client, {"query": VIEWER_EMAIL, "extensions": persisted(claimed)})
    later = await post(anon_client, {"extensions": persisted(claimed)})

    # then
    assert error_code(mismatch.json()) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert error_code(later.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_invalid_document_is_not_stored(anon_client: GraphQLClient) -> None:
    # given
    document = f"query Q{uuid.uuid4().hex} {{ noSuchField }}"
    extensions = persisted(sha256(document))

    # when
    invalid = await post(anon_client, {"query": document, "extensions": extensions})
    later = await post(anon_client, {"extensions": extensions})

    # then
    assert "noSuchField" in invalid.json()["errors"][0]["message"]
    assert error_code(later.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_get_requests_register_and_run_by_hash(http: httpx.AsyncClient) -> None:
    # given
    document = unique_document()
    extensions = json.dumps(persisted(sha256(document)))

    # when
    unknown = await http.get("/graphql", params={"extensions": extensions})
    registered = await http.get("/graphql", params={"query": document, "extensions": extensions})
    by_hash = await http.get("/graphql", params={"extensions": extensions})

    # then
    assert error_code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.json() == {"data": {"viewer": None}}
    assert by_hash.status_code == 200
    assert by_hash.json() == {"data": {"viewer": None}}


async def test_a_persisted_mutation_is_refused_over_get(anon_client: GraphQLClient) -> None:
    # given
    document = (
        f'mutation M{uuid.uuid4().hex} {{ logout(input: {{refreshToken: "x"}}) {{ revoked }} }}'
    )
    extensions = persisted(sha256(document))
    stored = await post(anon_client, {"query": document, "extensions": extensions})
    assert stored.json()["data"] == {"logout": {"revoked": False}}

    # when
    response = await anon_client.http.get("/graphql", params={"extensions": json.dumps(extensions)})

    # then
    assert response.status_code == 405


async def test_an_unsupported_version_is_refused(anon_client: GraphQLClient) -> None:
    # when
    response = await post(
        anon_client,
        {"query": VIEWER_EMAIL, "extensions": {"persistedQuery": {"version": 2}}},
    )

    # then
    assert error_code(response.json()) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_automatic_documents_are_kept_where_the_deployment_shares_them(
    anon_client: GraphQLClient, settings: Settings, redis: Redis
) -> None:
    # given
    document = unique_document()

    # when
    await post(anon_client, {"query": document, "extensions": persisted(sha256(document))})

    # then
    key = f"{settings.redis_prefix}apq:doc:{sha256(document)}"
    if settings.uses_redis:
        assert await redis.get(key) == document.encode()
        assert 0 < await redis.ttl(key) <= settings.apq_ttl_seconds
    else:
        assert await redis.exists(key) == 0


async def test_the_memory_store_keeps_the_most_recently_used(tmp_path: Path) -> None:
    # given
    store = MemoryStore(max_documents=2, ttl_seconds=60, registry_dir=tmp_path)
    await store.put("a" * 64, "A")
    await store.put("b" * 64, "B")
    assert await store.get("a" * 64) == "A"

    # when
    await store.put("c" * 64, "C")

    # then
    assert await store.get("b" * 64) is None
    assert await store.get("a" * 64) == "A"
    assert await store.get("c" * 64) == "C"


async def test_the_memory_store_forgets_expired_documents(tmp_path: Path) -> None:
    # given
    store = MemoryStore(max_documents=2, ttl_seconds=0, registry_dir=tmp_path)
    await store.put("a" * 64, "A")
    await asyncio.sleep(0.01)

    # then
    assert await store.get("a" * 64) is None


async def test_the_redis_store_keeps_the_most_recently_used(redis: Redis) -> None:
    # given
    prefix = f"csm-apq-test-{uuid.uuid4().hex}:"
    store = RedisStore(redis, prefix, max_documents=2, ttl_seconds=60)
    try:
        await store.put("a" * 64, "A")
        await store.put("b" * 64, "B")
        assert await store.get("a" * 64) == "A"

        # when
        await store.put("c" * 64, "C")

        # then
        assert await store.get("b" * 64) is None
        assert await store.get("a" * 64) == "A"
        assert await redis.zcard(f"{prefix}apq:lru") == 2
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)


@pytest.fixture
async def allow_list_url(settings: Settings) -> AsyncIterator[str]:
    """A second server on the same runtime, accepting registered documents only."""
    strict = settings.model_copy(update={"apq_allow_list_only": True})
    app = create_app(strict, manage_runtime=False)
    use_settings(settings)  # create_app made `strict` the process's settings
    async with serve(app) as url:
        yield url


async def register(settings: Settings, *files: Path) -> str:
    """`csm-graph persisted register`, run as its own process against the
    test deployment's registry (VAR_DIR, or Redis and its prefix)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "VAR_", "APQ_"))}
    env.update(
        VAR_DIR=str(settings.var_dir),
        REDIS_URL=settings.redis_url,
        REDIS_PREFIX=settings.redis_prefix,
        DATABASE_URL=settings.database_url,
        ENVIRONMENT="test",
        SECRET_KEY=settings.secret_key,
    )
    process = await asyncio.create_subprocess_exec(
        CSM_GRAPH,
        "persisted",
        "register",
        *map(str, files),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_allow_list_only_runs_registered_documents_alone(
    allow_list_url: str, settings: Settings, tmp_path: Path
) -> None:
    # given
    registered = unique_document()
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "viewer.graphql").write_text(f"# The viewer's email.\n{registered}\n")
    output = await register(settings, tmp_path / "ops")
    ad_hoc = unique_document()

    async with httpx.AsyncClient(base_url=allow_list_url) as http:
        # when
        by_hash = await http.post(
            "/graphql",
            json={"extensions": persisted(sha256(f"# The viewer's email.\n{registered}"))},
        )
        plain = await http.post("/graphql", json={"query": ad_hoc})
        with_hash = await http.post(
            "/graphql", json={"query": ad_hoc, "extensions": persisted(sha256(ad_hoc))}
        )
        unknown = await http.post("/graphql", json={"extensions": persisted(sha256(ad_hoc))})

    # then
    assert sha256(f"# The viewer's email.\n{registered}") in output
    assert by_hash.json() == {"data": {"viewer": None}}
    assert error_code(plain.json()) == "PERSISTED_QUERY_REQUIRED"
    assert error_code(with_hash.json()) == "PERSISTED_QUERY_REQUIRED"
    assert error_code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"


async def test_register_refuses_a_document_the_schema_does_not_validate(
    settings: Settings, tmp_path: Path
) -> None:
    # given
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ viewer { noSuchField } }")

    # when
    process = await asyncio.create_subprocess_exec(
        CSM_GRAPH,
        "persisted",
        "register",
        str(bad),
        env={**os.environ, "VAR_DIR": str(tmp_path / "var"), "REDIS_URL": ""},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)

    # then
    assert process.returncode == 1
    assert "noSuchField" in stderr.decode()
    assert not (tmp_path / "var" / "persisted-queries").exists()
