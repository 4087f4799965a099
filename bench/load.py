"""Load benchmark: csm-graph as a user runs it, against a hand-written reference.

For each backend (SQLite embedded default; PostgreSQL with Redis when
reachable), on a fresh database and VAR_DIR: `csm-graph demo` loads the
demo data, `csm-graph serve --workers 2` serves it (with
`SQL_COUNT_HEADER=true`, so each response says how many SQL statements it
ran), and `bench/reference.py` serves the "All cases" page the same way.
This process is the load generator: asyncio + httpx at a fixed
concurrency, one operation at a time. It prints requests/s, p50 and p99
latency, errors and SQL statements per request, and the headline: the
throughput of csm-graph's "All cases" over the reference's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
CSM_GRAPH = str(Path(sys.executable).with_name("csm-graph"))
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "demo passphrase 4 csm-graph"

ALL_CASES = """
query AllCases($first: Int!) {
  cases(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id number shortDescription state priority createdAt
      consumer { id fullName }
      household { id number name }
      lastPublicComment { id body createdAt }
      attachmentCount
      viewerCan { read comment attach acceptSolution rejectSolution close }
    } }
  }
}
"""
CASE_DETAIL = """
query CaseDetail($id: ID!) {
  node(id: $id) { ... on Case {
    id number shortDescription description state priority category channel createdAt version
    consumer { id fullName } household { id name } openedBy { fullName } assignedTo { fullName }
    attachments { id fileName size }
    comments(first: 50) { edges { node { id body createdAt author { fullName } } } }
    activity(first: 50) { totalCount edges { node {
      kind field oldValue newValue createdAt actor { fullName } onBehalfOf { fullName }
    } } }
    viewerCan { read comment attach close }
  } }
}
"""
QUEUE = """
query Queue($state: [CaseState!], $first: Int = 100) {
  cases(filter: {scope: MINE, state: $state}, first: $first) {
    totalCount
    edges { node { id number shortDescription state priority updatedAt version
      consumer { id fullName } assignmentTeam { name } } }
  }
}
"""
SEARCH = """
query Search($term: String!, $first: Int = 20) {
  consumers(first: $first, filter: {search: $term}) {
    totalCount edges { node { id number fullName email phone } }
  }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { message } }
}
"""
COMMENT = """
mutation Comment($id: ID!, $body: String!) {
  caseCommentAdd(input: {caseId: $id, body: $body}) { comment { id } errors { code message } }
}
"""
PROPOSE = """
mutation Propose($id: ID!) {
  caseSolutionPropose(input: {caseId: $id, resolutionCode: "FIXED", resolutionNotes: "Done."}) {
    case { state } errors { code message }
  }
}
"""
REJECT = """
mutation Reject($id: ID!) {
  caseSolutionReject(input: {caseId: $id, reason: "Still broken."}) {
    case { state } errors { code message }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stats:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statements: list[int] = field(default_factory=list)
    elapsed: float = 0.0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def row(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = lat[len(lat) // 2] * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        sql = f"{statistics.mean(self.statements):6.1f}" if self.statements else "     -"
        return (
            f"  {self.name:<24} {self.rate:>9.1f} {p50:>8.1f} {p99:>8.1f} {self.errors:>7} {sql:>7}"
        )


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(name: str, base: str, request: Request, concurrency: int, duration: float) -> Stats:
    """`concurrency` workers send `request` back to back for `duration` seconds
    (after a one-second warm-up that is not counted)."""
    stats = Stats(name)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        warm_until = start + 1.0
        stop_at = warm_until + duration

        async def worker(index: int) -> None:
            n = 0
            while (now := time.perf_counter()) < stop_at:
                try:
                    response = await request(http, index * 1_000_000 + n)
                    ok = response.status_code == 200 and b'"errors"' not in response.content
                    if b'"errors":[]' in response.content:
                        ok = response.status_code == 200
                except httpx.HTTPError:
                    response, ok = None, False
                done = time.perf_counter()
                n += 1
                if now < warm_until:
                    continue
                stats.latencies.append(done - now)
                if not ok:
                    stats.errors += 1
                    if not stats.first_error:
                        stats.first_error = response.text[:300] if response else "HTTP error"
                if response is not None and "x-sql-statements" in response.headers:
                    stats.statements.append(int(response.headers["x-sql-statements"]))

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        stats.elapsed = time.perf_counter() - warm_until
    return stats


def gql(query: str, variables: dict[str, Any], token: str) -> Request:
    body = {"query": query, "variables": variables}

    def send(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        return http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})

    return send


async def call(base: str, query: str, variables: dict[str, Any], token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    return response


async def login(base: str, email: str) -> str:
    data = (await call(base, LOGIN, {"email": email, "password": PASSWORD})).json()
    token = data["data"]["login"]["accessToken"]
    assert token, data
    return str(token)


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own commands
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


async def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(600):
            if process.poll() is not None:
                tail = (await asyncio.to_thread(log.read_text))[-3000:]
                raise RuntimeError(f"{url} exited:\n{tail}")
            try:
                await http.get(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        VAR_DIR=str(tmp / "var"),
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        SECRET_KEY="bench-secret-" + "z" * 40,
        ENVIRONMENT="production",
        SQL_COUNT_HEADER="true" if args.count_sql else "false",
        ACCESS_TOKEN_MINUTES="120",
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    )
    pg_name = ""
    load_demo = True
    if backend == "postgres":
        admin = await asyncpg.connect(PG_ADMIN)
        if args.database:
            # A kept database: loaded once, migrated by `serve`, never dropped.
            exists = await admin.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", args.database
            )
            if not exists:
                await admin.execute(f'CREATE DATABASE "{args.database}"')
            load_demo = not exists
            name = args.database
        else:
            pg_name = name = f"csm_bench_{uuid.uuid4().hex[:8]}"
            await admin.execute(f'CREATE DATABASE "{pg_name}"')
        # Planner settings of docker-compose.yml's PostgreSQL, for this database only.
        await admin.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
        await admin.close()
        env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        env["REDIS_URL"] = REDIS_URL
        env["REDIS_PREFIX"] = f"csm-bench-{name}:"
        env["ARQ_QUEUE_NAME"] = f"csm-bench-{name}:queue"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        if load_demo:
            await asyncio.to_thread(
                subprocess.run,
                [CSM_GRAPH, "demo", "--consumers", str(args.consumers)],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        loaded = time.perf_counter() - t0
        api_port, ref_port = free_port(), free_port()
        api_log, ref_log = tmp / "api.log", tmp / "reference.log"
        processes.append(
            start(
                [CSM_GRAPH, "serve", "--workers", str(args.workers), "--port", str(api_port)],
                env,
                api_log,
            )
        )
        processes.append(
            start(
                [
                    UVICORN,
                    "bench.reference:app",
                    "--port",
                    str(ref_port),
                    "--workers",
                    str(args.workers),
                    "--loop",
                    "uvloop",
                    "--http",
                    "httptools",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env,
                ref_log,
            )
        )
        api = f"http://127.0.0.1:{api_port}"
        ref = f"http://127.0.0.1:{ref_port}"
        await wait_ready(f"{api}/healthz", processes[0], api_log)
        await wait_ready(f"{ref}/all-cases", processes[1], ref_log)
        head = await login(api, "demo.head@example.com")
        agent = await login(api, "demo.agent@example.com")
        admin_token = await login(api, "demo.admin@example.com")

        # The two answers must agree before their speeds are compared.
        ours = (await call(api, ALL_CASES, {"first": 50}, head)).json()
        async with httpx.AsyncClient(base_url=ref) as http:
            theirs = (
                await http.post("/all-cases", headers={"Authorization": f"Bearer {head}"})
            ).json()
        assert ours == theirs, "the reference and csm-graph disagree on All cases"
        first_case = ours["data"]["cases"]["edges"][0]["node"]["id"]
        # Statements per request must not grow with the page size.
        statements: dict[str, list[str]] = {}
        for label, query, variables, token, sizes in (
            ("All cases", ALL_CASES, {}, head, (10, 50)),
            ("agent queue", QUEUE, {}, agent, (10, 100)),
            ("consumer search", SEARCH, {"term": "nov"}, agent, (5, 20)),
        ):
            statements[label] = []
            for size in sizes:
                response = await call(api, query, {**variables, "first": size}, token)
                count = response.headers.get("x-sql-statements", "-")
                statements[label].append(f"first {size} -> {count}")
        queue = (await call(api, QUEUE, {"state": ["OPEN"]}, agent)).json()
        open_cases = [e["node"]["id"] for e in queue["data"]["cases"]["edges"]]

        def reference(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            return http.post("/all-cases", headers={"Authorization": f"Bearer {head}"})

        def comment(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            case_id = open_cases[(n // 1_000_000) % len(open_cases)]
            body = {"query": COMMENT, "variables": {"id": case_id, "body": f"Update {n}."}}
            return http.post("/graphql", json=body, headers={"Authorization": f"Bearer {agent}"})

        def state_change(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            # Each worker owns one case and moves it OPEN -> RESOLVED -> OPEN.
            case_id = open_cases[(n // 1_000_000) % len(open_cases)]
            query = PROPOSE if n % 2 == 0 else REJECT
            body = {"query": query, "variables": {"id": case_id}}
            headers = {"Authorization": f"Bearer {admin_token}"}
            return http.post("/graphql", json=body, headers=headers)

        write_concurrency = min(args.concurrency, len(open_cases))
        plan: list[tuple[str, str, Request, int]] = [
            ("all cases (csm-graph)", api, gql(ALL_CASES, {"first": 50}, head), args.concurrency),
            ("all cases (reference)", ref, reference, args.concurrency),
            ("case detail", api, gql(CASE_DETAIL, {"id": first_case}, head), args.concurrency),
            ("agent queue", api, gql(QUEUE, {}, agent), args.concurrency),
            ("consumer search", api, gql(SEARCH, {"term": "nov"}, agent), args.concurrency),
            ("comment (write)", api, comment, write_concurrency),
            ("state change (write)", api, state_change, write_concurrency),
        ]
        results = []
        for name, base, request, concurrency in plan:
            results.append(await drive(name, base, request, concurrency, args.duration))
        ratio = results[0].rate / results[1].rate if results[1].rate else 0.0
        load = os.getloadavg()
        data = (
            f"{args.consumers} consumers loaded in {loaded:.1f}s"
            if load_demo
            else f"the demo data kept in {args.database}"
        )
        lines = [
            f"{backend}: {data}; "
            f"{args.workers} API processes; concurrency {args.concurrency}; "
            f"{os.cpu_count()} cores; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            f"  {'operation':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'SQL/req':>7}",
            *(r.row() for r in results),
            *(f"  first error of {r.name}: {r.first_error}" for r in results if r.first_error),
            *(f"  SQL statements, {label}: {', '.join(s)}" for label, s in statements.items()),
            f"  ratio (All cases, csm-graph / reference): {ratio:.3f}",
        ]
        return lines
    finally:
        for process in processes:
            stop(process)
        if pg_name:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()


def postgres_available() -> bool:
    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(PG_ADMIN, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    if not asyncio.run(probe()):
        return False
    try:
        return bool(Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--consumers", type=int, default=int(os.environ.get("BENCH_CONSUMERS", "2000"))
    )
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("BENCH_CONCURRENCY", "64"))
    )
    parser.add_argument(
        "--duration", type=float, default=float(os.environ.get("BENCH_SECONDS", "10"))
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database",
        help="PostgreSQL: keep the demo data in this database, loading it only when the "
        "database does not exist yet (for repeated runs on a large data set)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--no-count-sql",
        dest="count_sql",
        action="store_false",
        help="leave statement counting off (it costs a little time per statement)",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgres" and not postgres_available():
            print("postgres: PostgreSQL or Redis not reachable: skipped", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for line in asyncio.run(run_backend(backend, args, Path(tmp))):
                print(line, flush=True)


if __name__ == "__main__":
    main()
