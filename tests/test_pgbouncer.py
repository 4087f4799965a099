"""Two API processes and a worker through PgBouncer in transaction pooling.

Behind a transaction-pooling PgBouncer, a client connection gets a server
connection for one transaction at a time, so session state does not follow
it from one transaction to the next. The product keeps none (no SET, LISTEN,
advisory locks, temporary tables or hand-prepared statements: pub/sub and
locks live in Redis and in row updates), except asyncpg's cache of named
prepared statements. `?statement_cache_size=0` on `DATABASE_URL` (Tortoise
hands URL options to asyncpg) turns that off: asyncpg then uses the unnamed
statement, parsed and run in the same round trip, on one server connection.

The first test shows the cache breaking, deterministically; the second runs
real processes, real mutations, concurrent requests and a worker's jobs
through the pooler with the option. PostgreSQL only; skipped when no
`pgbouncer` binary is installed (`make pgbouncer`).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from tortoise.backends.asyncpg import AsyncpgDBClient
from tortoise.backends.base.config_generator import expand_db_url

from csm_graph import db
from csm_graph.accounts.models import User
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.settings import Settings
from tests.conftest import BACKEND
from tests.mail import SmtpServer
from tests.processes import (
    START_TIMEOUT_SECONDS,
    ApiProcess,
    free_port,
    start_api_process,
    terminate,
)
from tests.support import GraphQLClient, login, make_user
from tests.workers.test_worker_process import spawn_worker, stop

SERVER_CONNECTIONS = 2
"""PgBouncer's server connections to the test database: fewer than the clients
(two API pools, a worker's pool), so their transactions take turns on them."""
NO_STATEMENT_CACHE = "statement_cache_size=0"
COMMENTS_PER_PROCESS = 20

CONSUMER_CREATE = """
mutation($i: ConsumerCreateInput!) {
  consumerCreate(input: $i) { consumer { id number } errors { field message } }
}
"""
CONSUMER_UPDATE = """
mutation($i: ConsumerUpdateInput!) {
  consumerUpdate(input: $i) { consumer { firstName } errors { field message } }
}
"""
CONSUMER_USER_CREATE = """
mutation($i: ConsumerUserCreateInput!) {
  consumerUserCreate(input: $i) { consumer { user { email } } errors { field message } }
}
"""
CASE_CREATE = """
mutation($i: CaseCreateInput!) {
  caseCreate(input: $i) { case { id number } errors { field message } }
}
"""
COMMENT = """
mutation($i: CaseCommentAddInput!) {
  caseCommentAdd(input: $i) { comment { body } errors { field message } }
}
"""
CASE = "query($n: String!) { caseByNumber(number: $n) { number comments { totalCount } } }"


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(p, os.X_OK)), None
    )


pytestmark = [
    pytest.mark.skipif(
        BACKEND != "postgres", reason="PgBouncer pools PostgreSQL (CSM_TEST_DB=postgres)"
    ),
    pytest.mark.skipif(
        pgbouncer_binary() is None,
        reason="no pgbouncer binary found (`make pgbouncer` installs it)",
    ),
]


@dataclass
class PgBouncer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def url(self, database_url: str, *options: str) -> str:
        """`database_url` pointed at the pooler, with `options` as its query."""
        parts = urlsplit(database_url)
        netloc = f"{parts.username}@127.0.0.1:{self.port}"
        query = "&".join(options)
        return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
async def pgbouncer(settings: Settings, tmp_path: Path) -> AsyncIterator[PgBouncer]:
    """A PgBouncer of this test's own in front of the test database:
    transaction pooling, `SERVER_CONNECTIONS` server connections, trust auth."""
    binary = pgbouncer_binary()
    assert binary is not None
    target = urlsplit(settings.database_url)
    database, user = target.path.lstrip("/"), target.username or "postgres"
    # PgBouncer logs in to PostgreSQL as the client's user, with this password if any.
    password = f" password={target.password}" if target.password else ""
    port = free_port()
    work = tmp_path / "pgbouncer"
    work.mkdir()
    (work / "userlist.txt").write_text(f'"{user}" ""\n')
    (work / "pgbouncer.ini").write_text(
        f"""[databases]
{database} = host={target.hostname} port={target.port or 5432} dbname={database}{password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {work / "userlist.txt"}
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_db_connections = {SERVER_CONNECTIONS}
max_client_conn = 200
"""
    )
    command = [binary]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root; it reads its files first, then switches.
        command += ["-u", _unprivileged_user()]
    command.append(str(work / "pgbouncer.ini"))
    log_path = work / "pgbouncer.log"
    process = await asyncio.to_thread(_spawn, command, log_path)
    bouncer = PgBouncer(process, port, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _listening(port):
            assert process.poll() is None, f"pgbouncer exited:\n{bouncer.log()}"
            assert time.monotonic() < deadline, f"pgbouncer did not start:\n{bouncer.log()}"
            await asyncio.sleep(0.05)
        yield bouncer
    finally:
        await asyncio.to_thread(terminate, process)


def _spawn(command: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    pytest.skip("running as root, and no unprivileged user for pgbouncer to switch to")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def _take_turns(settings: Settings, database_url: str) -> list[int]:
    """Three connections of a pool built as the product builds it from
    `database_url`; one runs the same statement twice while the others hold
    and release server connections so that its second run lands on another."""
    url = db.database_url(
        settings.model_copy(update={"database_url": database_url, "db_pool_min": 3})
    )
    client = AsyncpgDBClient(connection_name="pgbouncer-probe", **expand_db_url(url)["credentials"])
    await client.create_connection(with_db=True)
    results = []
    try:
        async with (
            client.acquire_connection() as first,
            client.acquire_connection() as second,
            client.acquire_connection() as third,
        ):
            holding_one = first.transaction()
            await holding_one.start()
            await first.fetchval("SELECT 1")  # server connection A is first's
            # second's statement is prepared on the other one, B
            results.append(await second.fetchval("SELECT $1::int + 1", 1))
            holding_other = third.transaction()
            await holding_other.start()
            await third.fetchval("SELECT 1")  # B is third's; A is let go
            await holding_one.commit()
            try:
                # the same statement again: now on A
                results.append(await second.fetchval("SELECT $1::int + 1", 2))
            finally:
                await holding_other.commit()
    finally:
        await client.close()
    return results


async def test_asyncpg_statement_cache_breaks_under_transaction_pooling_unless_off(
    settings: Settings, pgbouncer: PgBouncer
) -> None:
    # given: the test database's URL, pointed at the pooler
    plain = pgbouncer.url(settings.database_url)

    # when / then: asyncpg's cached (named) statement is missing on the other server connection
    with pytest.raises(asyncpg.InvalidSQLStatementNameError, match="does not exist"):
        await _take_turns(settings, plain)

    # when / then: with the cache off, the same turns work
    assert await _take_turns(settings, pgbouncer.url(plain, NO_STATEMENT_CACHE)) == [2, 3]


async def _until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f}s waiting for {what}"
        await asyncio.sleep(0.1)


async def _payload(client: GraphQLClient, document: str, name: str, i: dict[str, Any]) -> Any:
    data = await client.data(document, {"i": i})
    assert data[name]["errors"] == [], data
    return data[name]


async def test_two_api_processes_and_a_worker_through_transaction_pooling(
    settings: Settings, pgbouncer: PgBouncer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    # given: two API processes and a worker whose DATABASE_URL is the pooler's,
    # with the statement cache off, on a queue of their own
    smtp_server.reset()
    pooled = settings.model_copy(
        update={
            "database_url": pgbouncer.url(settings.database_url, NO_STATEMENT_CACHE),
            "arq_queue_name": f"{settings.arq_queue_name}:pgbouncer",
            "inprocess_periodic_jobs": False,
        }
    )
    await make_user("admin@example.com", roles=("ADMIN",))
    worker = spawn_worker(pooled, tmp_path / "worker")
    started = await asyncio.gather(
        start_api_process(pooled, tmp_path / "one"),
        start_api_process(pooled, tmp_path / "other"),
        return_exceptions=True,
    )
    apis = [api for api in started if isinstance(api, ApiProcess)]
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        one, other = apis
        async with (
            httpx.AsyncClient(base_url=one.base_url, timeout=60) as http_one,
            httpx.AsyncClient(base_url=other.base_url, timeout=60) as http_other,
        ):
            # when: an administrator works through both processes
            admin_one = await login(http_one, "admin@example.com")
            admin_other = GraphQLClient(http_other, token=admin_one.token)
            consumer = (
                await _payload(
                    admin_one,
                    CONSUMER_CREATE,
                    "consumerCreate",
                    {"firstName": "Pat", "lastName": "Doe", "email": "pat@example.com"},
                )
            )["consumer"]
            case = (
                await _payload(
                    admin_other,
                    CASE_CREATE,
                    "caseCreate",
                    {"shortDescription": "Router keeps rebooting", "consumerId": consumer["id"]},
                )
            )["case"]
            # a login for the consumer: a set-password email, sent by the worker
            await _payload(
                admin_one,
                CONSUMER_USER_CREATE,
                "consumerUserCreate",
                {"consumerId": consumer["id"]},
            )

            # and comments and reads, all at once, on both processes
            async def comment(client: GraphQLClient, n: int) -> None:
                i = {"caseId": case["id"], "body": f"Update {n}"}
                await _payload(client, COMMENT, "caseCommentAdd", i)

            async def read(client: GraphQLClient) -> None:
                data = await client.data(CASE, {"n": case["number"]})
                assert data["caseByNumber"]["number"] == case["number"]

            work = [
                *(comment(admin_one, n) for n in range(COMMENTS_PER_PROCESS)),
                *(comment(admin_other, n) for n in range(COMMENTS_PER_PROCESS)),
                *(read(c) for c in (admin_one, admin_other) for _ in range(COMMENTS_PER_PROCESS)),
            ]
            await asyncio.gather(*work)
            # a name change on the consumer: the worker copies it to the login
            await _payload(
                admin_other,
                CONSUMER_UPDATE,
                "consumerUpdate",
                {"id": consumer["id"], "firstName": "Patricia"},
            )

            # then: every comment is there, seen from either process
            for client in (admin_one, admin_other):
                data = await client.data(CASE, {"n": case["number"]})
                assert data["caseByNumber"]["comments"]["totalCount"] == 2 * COMMENTS_PER_PROCESS

            # and the worker ran the jobs: each email sent, the name synced
            async def jobs_done() -> bool:
                user = await User.get(email="pat@example.com")
                unsent = await OutboxEmail.exclude(state=OutboxState.SENT).count()
                return unsent == 0 and user.first_name == "Patricia"

            await _until(jobs_done, "the worker's jobs", 30)
    finally:
        await asyncio.gather(*(asyncio.to_thread(api.stop) for api in apis))
        await asyncio.to_thread(stop, worker)

    # (a long key's header is folded, so it may come back with a leading space)
    keys = Counter(str(m["X-CSM-Outbox-Key"]).strip() for m in smtp_server.received())
    outbox = await OutboxEmail.all().values_list("key", flat=True)
    # the set-password link, and the consumer told of the case and its comments
    assert len(outbox) > 2 * COMMENTS_PER_PROCESS
    assert keys == Counter(str(key) for key in outbox)
    # and no process met a prepared-statement (or any other) error
    for log in (one.log_tail(10_000), other.log_tail(10_000)):
        assert "prepared statement" not in log
        assert "Traceback" not in log, log
    assert "Traceback" not in (tmp_path / "worker" / "worker.log").read_text()
    # and it was pooled: more client connections than server connections, which
    # therefore carried transactions of different clients in turn
    pooler_log = pgbouncer.log()
    clients = len(re.findall(r"login attempt: db=", pooler_log))
    servers = len(re.findall(r"new connection to server", pooler_log))
    assert 0 < servers <= SERVER_CONNECTIONS < clients, (servers, clients)
