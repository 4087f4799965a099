"""Test set-up: the real product on a real server, database and Redis.

`CSM_TEST_DB=sqlite` (default) runs on a throwaway SQLite file with jobs
in-process; `CSM_TEST_DB=postgres` runs on a throwaway PostgreSQL
database with Redis and a real arq worker, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from arq.worker import Worker
from redis.asyncio import Redis

from csm_graph import clock, db, jobs, ratelimit, runtime
from csm_graph.accounts.models import UserType
from csm_graph.app import create_app
from csm_graph.ratelimit import MemoryLimiter
from csm_graph.settings import Settings, use_settings
from tests.mail import Mailbox, SmtpServer
from tests.processes import start_api_process
from tests.schema.access.traversal_world import WorldClock
from tests.serving import serve
from tests.support import GraphQLClient, login, make_user

BACKEND = os.environ.get("CSM_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("CSM_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CSM_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]

# Reference data that migrations load; kept between tests.
KEEP_TABLES = {"role", "sla_target", "tortoise_migrations", "responsibility", "relationship_type"}


def pytest_report_header() -> str:
    return f"csm-graph backend: {BACKEND} (run {RUN_ID})"


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server; the PostgreSQL run sends all mail to it."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def settings(var_dir: Path, smtp_server: SmtpServer) -> AsyncIterator[Settings]:
    database_url = ""
    redis_url = ""
    smtp_host = ""  # SQLite keeps the embedded default: .eml files
    pg_name = f"csm_test_{RUN_ID}"
    if BACKEND == "postgres":
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{pg_name}"')
        await admin.close()
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        database_url = f"{base}/{pg_name}"
        redis_url = REDIS_URL
        smtp_host = smtp_server.host
    settings = Settings(
        environment="test",
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"csm-test-{RUN_ID}:",
        arq_queue_name=f"csm-test-{RUN_ID}:queue",
        secret_key="test-secret-key-" + "x" * 32,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        log_json=False,
        # Tests run the sweep themselves, at the moments they choose.
        inprocess_periodic_jobs=False,
        smtp_host=smtp_host,
        smtp_port=smtp_server.port,
        smtp_starttls=False,
    )
    use_settings(settings)
    yield settings
    if BACKEND == "postgres":
        admin = await asyncpg.connect(PG_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        await admin.close()


async def _startup_jobs_done(worker: Worker) -> None:
    """Wait for the periodic jobs a worker runs as it starts (the outbox
    sweep), so they cannot land inside the first test that uses the outbox."""
    from csm_graph.workers.catalogue import PERIODIC

    expected = sum(1 for p in PERIODIC if p.at_startup)
    deadline = time.monotonic() + 10
    while worker.jobs_complete + worker.jobs_failed + worker.jobs_retried < expected:
        assert time.monotonic() < deadline, "the worker's start-up jobs did not run"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
async def product(settings: Settings) -> AsyncIterator[runtime.Runtime]:
    """Migrated database, runtime, and (with Redis) a real arq worker."""
    await db.migrate(settings)
    rt = await runtime.start(settings)
    worker: Worker | None = None
    worker_task: asyncio.Task[None] | None = None
    if settings.uses_redis:
        from csm_graph.workers.settings import worker_settings

        options = worker_settings(settings)
        options["poll_delay"] = 0.05
        worker = Worker(**options, handle_signals=False)
        worker_task = asyncio.create_task(worker.async_run())
        await _startup_jobs_done(worker)
    yield rt
    if worker is not None and worker_task is not None:
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()
    await runtime.stop()


@pytest.fixture(scope="session")
async def server_url(product: runtime.Runtime, settings: Settings) -> AsyncIterator[str]:
    """The app served by uvicorn on a free local port, in the test's event loop."""
    app = create_app(settings, manage_runtime=False)
    async with serve(app, ws="websockets-sansio") as url:
        yield url


@pytest.fixture(scope="session")
async def second_server_url(
    product: runtime.Runtime, settings: Settings, var_dir: Path
) -> AsyncIterator[str]:
    """A second API process (`csm-graph serve`) on the test server's database and Redis."""
    if BACKEND != "postgres":
        pytest.skip("a second API process needs PostgreSQL and Redis (CSM_TEST_DB=postgres)")
    api = await start_api_process(settings, var_dir / "second-api")
    yield api.base_url
    await asyncio.to_thread(api.stop)


async def _tables() -> list[str]:
    if BACKEND == "postgres":
        rows = await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    else:
        rows = await db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return [r[0] for r in rows if r[0] not in KEEP_TABLES]


async def _truncate(tables: list[str]) -> None:
    """TRUNCATE every table. A job or request a test left running (the session
    worker, a periodic sweep) may hold a lock the TRUNCATE needs while waiting
    for one it holds; PostgreSQL then ends one of the two as a deadlock. The
    other goes on, so the TRUNCATE is tried again."""
    sql = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
    for attempt in range(1, 6):
        try:
            await db.fetch(sql)
            return
        except asyncpg.exceptions.DeadlockDetectedError:
            if attempt == 5:
                raise
            await asyncio.sleep(0.1 * attempt)


async def wipe(rt: runtime.Runtime) -> None:
    dispatcher = jobs.get_dispatcher()
    if isinstance(dispatcher, jobs.InProcessDispatcher):
        await dispatcher.drain()
    tables = await _tables()
    if BACKEND == "postgres":
        if tables:
            await _truncate(tables)
    else:
        await db.fetch("PRAGMA foreign_keys = OFF")
        for table in tables:
            await db.fetch(f'DELETE FROM "{table}"')
        await db.fetch("PRAGMA foreign_keys = ON")
    if rt.redis is not None:
        keys = [k async for k in rt.redis.scan_iter(match=f"{rt.settings.redis_prefix}rl:*")]
        if keys:
            await rt.redis.delete(*keys)
    else:
        ratelimit.install(MemoryLimiter())


@pytest.fixture(autouse=True)
async def _clean(product: runtime.Runtime) -> AsyncIterator[None]:
    yield
    clock.reset()
    await wipe(product)


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    clock.freeze(clock.now())
    yield
    clock.reset()


@pytest.fixture
def mailbox(settings: Settings, smtp_server: SmtpServer) -> Iterator[Mailbox]:
    """The emails sent during this test (`await mailbox.settle()` waits for the jobs)."""
    box = Mailbox(settings, smtp_server)
    box.clear()
    yield box
    box.clear()


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        yield client


@pytest.fixture
def anon_client(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def admin_client(http: httpx.AsyncClient) -> GraphQLClient:
    await make_user("admin@example.com", roles=("ADMIN",))
    return await login(http, "admin@example.com")


@pytest.fixture
async def agent_client(http: httpx.AsyncClient) -> GraphQLClient:
    await make_user("agent@example.com", roles=("AGENT",))
    return await login(http, "agent@example.com")


@pytest.fixture
async def external_client(http: httpx.AsyncClient) -> GraphQLClient:
    await make_user("ext@example.com", user_type=UserType.EXTERNAL)
    return await login(http, "ext@example.com")


@pytest.fixture
def redis_url(settings: Settings) -> str:
    return settings.redis_url or REDIS_URL


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def world_clock() -> WorldClock:
    """The start of a test over world seeds (`traversal_world.over_world_seeds`)."""
    return WorldClock()
