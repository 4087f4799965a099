"""Load benchmark: the registered documents on their compiled plans, on the
generic path, and against hand-written references.

For each backend (SQLite embedded default; PostgreSQL with Redis when
reachable), on a fresh database and VAR_DIR: `csm-graph demo` loads the demo
data, `csm-graph persisted register` registers the documents shipped in
`src/csm_graph/schema/plans/documents/`, `csm-graph serve --workers 2` serves
them (with `SQL_COUNT_HEADER=true`, so each response says how many SQL
statements it ran), and `bench/reference.py` serves a hand-written
equivalent of each. This process is the load generator (asyncio and the
keep-alive client of `bench/client.py` at a fixed concurrency, one operation
at a time).

Four documents, each three ways:

* `plan`: the registered text, which the server answers from its compiled
  plan, saying so in the `X-Plan` header (a warning when it does not);
* `generic`: the same text with a comment line appended, so another hash,
  no registration and no plan;
* `reference`: the hand-written endpoint, whose JSON (`data` and
  `extensions`) must equal the generic answer before anything is measured.

It prints markdown tables: requests/s, p50 and p99 latency, errors and SQL
statements per request for each run; the throughput ratios plan/reference,
generic/reference and plan/generic of each run and their medians; "All
cases" one request at a time at 10, 50 and 100 cases (the cost of an extra
case, and statements that must not grow); statements of the agent's queue
and consumer search at two page sizes; and the writes (comments, state
changes).
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from client import Connection, ConnectionLost, Reply, prepare
from client import post as post_once
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
CSM_GRAPH = str(Path(sys.executable).with_name("csm-graph"))
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "demo passphrase 4 csm-graph"
DOCUMENTS = ROOT / "src" / "csm_graph" / "schema" / "plans" / "documents"
GENERIC = "\n# generic path"
"""Appended to a registered document: the same operation under another hash,
so the server finds no registration and runs the generic executor."""
VARIANTS = ("plan", "generic", "reference")
WARM_UP = 1.0
SEARCH_TERM = "nov"
"""A surname fragment that matches about 5% of the demo's consumers."""
PAGE_SIZES = (10, 50, 100)
BACKENDS = {"sqlite": "SQLite (embedded)", "postgres": "PostgreSQL + Redis"}

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { message } }
}
"""
VIEWER_CONSUMER = "query ViewerConsumer { viewer { consumer { id } } }"
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


class Disagreement(RuntimeError):
    """A reference and csm-graph answered differently: nothing is measured."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- documents and what the bench asks of them ----------------------------------------------


@dataclass(frozen=True)
class Document:
    """A registered document: its operation name and its text as registered
    (`csm-graph persisted register` strips surrounding whitespace)."""

    name: str
    text: str

    @classmethod
    def load(cls, name: str) -> Document:
        return cls(name, (DOCUMENTS / f"{name}.graphql").read_text(encoding="utf-8").strip())

    def body(self, variant: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The request body: the registered text, or (generic) the unregistered one.
        The reference gets the plan's body and reads only its variables."""
        query = self.text + GENERIC if variant == "generic" else self.text
        return {"query": query, "variables": variables, "operationName": self.name}


@dataclass(frozen=True)
class Operation:
    """A document with its variables and viewer, as measured."""

    label: str
    document: Document
    variables: dict[str, Any]
    token: str

    def with_variables(self, **variables: Any) -> Operation:
        return Operation(self.label, self.document, {**self.variables, **variables}, self.token)

    def path(self, variant: str) -> str:
        return f"/{self.document.name}" if variant == "reference" else "/graphql"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Servers:
    api: str
    reference: str

    def base(self, variant: str) -> str:
        return self.reference if variant == "reference" else self.api


Request = Callable[[Connection, int], Awaitable[Reply]]
"""Sends the `n`th request of a worker (n = worker index * 1,000,000 + its count)."""


def sender(operation: Operation, variant: str) -> Request:
    prepared = prepare(
        operation.path(variant),
        operation.document.body(variant, operation.variables),
        operation.headers(),
    )

    def send(connection: Connection, n: int) -> Awaitable[Reply]:
        return connection.send(prepared)

    return send


async def post(base: str, path: str, body: dict[str, Any], token: str = "") -> Reply:
    return await post_once(base, path, body, {"Authorization": f"Bearer {token}"} if token else {})


async def ask(servers: Servers, operation: Operation, variant: str) -> Reply:
    body = operation.document.body(variant, operation.variables)
    return await post(servers.base(variant), operation.path(variant), body, operation.token)


async def login(base: str, email: str) -> str:
    variables = {"email": email, "password": PASSWORD}
    data = (await post(base, "/graphql", {"query": LOGIN, "variables": variables})).json()
    token = data["data"]["login"]["accessToken"]
    assert token, data
    return str(token)


def planned(response: Reply, operation: Operation) -> bool:
    return response.headers.get("x-plan") == operation.document.name


# --- answers that must agree -------------------------------------------------------------------


def difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """Where two JSON values first differ (key order included), or None."""
    if type(ours) is not type(theirs):
        return f"{path or '.'}: {shorten(ours)} != {shorten(theirs)}"
    if isinstance(ours, dict):
        if list(ours) != list(theirs):
            return f"{path or '.'}: keys {list(ours)} != {list(theirs)}"
        for key in ours:
            if (found := difference(ours[key], theirs[key], f"{path}.{key}")) is not None:
                return found
        return None
    if isinstance(ours, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items != {len(theirs)} items"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if (found := difference(a, b, f"{path}[{index}]")) is not None:
                return found
        return None
    return None if ours == theirs else f"{path}: {shorten(ours)} != {shorten(theirs)}"


def shorten(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 200 else text[:200] + "..."


async def agree(servers: Servers, operation: Operation) -> list[str]:
    """Fails loudly unless the reference answers exactly csm-graph's generic answer
    (`data` and `extensions`, key order included); notes, not failures, when the
    plan answers differently or a plan answers the generic text."""
    generic = await ask(servers, operation, "generic")
    reference = await ask(servers, operation, "reference")
    plan = await ask(servers, operation, "plan")
    ours = generic.json()
    variables = orjson.dumps(operation.variables).decode()
    what = f"{operation.label} ({operation.document.name} {variables})"
    if generic.status_code != 200 or "errors" in ours:
        raise Disagreement(f"{what}: csm-graph's generic path failed: {shorten(ours)}")
    if (found := difference(ours, reference.json())) is not None:
        raise Disagreement(
            f"{what}: the reference and csm-graph's generic path disagree at {found} "
            "(csm-graph's value first)"
        )
    notes = []
    if planned(generic, operation):
        notes.append(f"{what}: the generic text was answered by a plan (`X-Plan`)")
    if (found := difference(ours, plan.json())) is not None:
        notes.append(f"{what}: the plan's answer differs from the generic one at {found}")
    return notes


# --- load --------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statements: list[int] = field(default_factory=list)
    elapsed: float = 0.0
    first_error: str = ""
    planned: int = 0
    """Measured responses that carried an `X-Plan` header."""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        lat = sorted(self.latencies) or [0.0]
        return lat[min(len(lat) - 1, int(len(lat) * share))] * 1000

    def sql(self) -> str:
        return f"{statistics.mean(self.statements):.1f}" if self.statements else "-"

    def cells(self) -> str:
        return (
            f"{self.rate:.1f} | {self.percentile(0.5):.0f} | {self.percentile(0.99):.0f} | "
            f"{self.errors} | {self.sql()}"
        )

    def plan_header(self, variant: str) -> str:
        return plan_column(variant, self.planned, len(self.latencies))


def plan_column(variant: str, planned: int, responses: int) -> str:
    """The `X-Plan` column: every plan response should carry the header, no other."""
    if variant == "reference":
        return "-"
    if variant == "generic":
        return "none" if planned == 0 else f"**{planned} of {responses} (unexpected)**"
    if responses and planned == responses:
        return "yes"
    return "**missing**" if planned == 0 else f"**{planned} of {responses}**"


async def drive(base: str, request: Request, concurrency: int, duration: float) -> Stats:
    """`concurrency` workers send `request` back to back; what completes within
    the `duration` seconds after a warm-up counts. Counting completions (not
    requests started) in a fixed window keeps a slow operation, whose requests
    queue for seconds at this concurrency, from being under-counted against a
    fast one. Requests still running at the end are waited for, uncounted, so
    the next operation starts on idle servers."""
    stats = Stats(elapsed=duration)
    warm_until = time.perf_counter() + WARM_UP
    stop_at = warm_until + duration

    async def worker(index: int) -> None:
        connection = Connection(base)
        n = 0
        response: Reply | None
        try:
            while (started := time.perf_counter()) < stop_at:
                try:
                    response = await request(connection, index * 1_000_000 + n)
                    ok = response.status_code == 200 and b'"errors"' not in response.content
                    if b'"errors":[]' in response.content:
                        ok = response.status_code == 200
                except (ConnectionLost, OSError, asyncio.IncompleteReadError):
                    response, ok = None, False
                done = time.perf_counter()
                n += 1
                if not warm_until <= done < stop_at:
                    continue
                stats.latencies.append(done - started)
                if not ok:
                    stats.errors += 1
                    if not stats.first_error:
                        stats.first_error = response.text[:300] if response else "connection lost"
                if response is not None:
                    if "x-sql-statements" in response.headers:
                        stats.statements.append(int(response.headers["x-sql-statements"]))
                    if "x-plan" in response.headers:
                        stats.planned += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return stats


@dataclass
class OneAtATime:
    """Requests sent one after another: latency without queueing."""

    milliseconds: float
    statements: list[int]
    planned: int
    errors: int


async def one_at_a_time(
    servers: Servers, operation: Operation, variant: str, count: int
) -> OneAtATime:
    send = sender(operation, variant)
    connection = Connection(servers.base(variant))
    times: list[float] = []
    statements: list[int] = []
    hits = errors = 0
    try:
        for n in range(max(3, count // 10)):
            await send(connection, n)
        for n in range(count):
            started = time.perf_counter()
            response = await send(connection, n)
            times.append(time.perf_counter() - started)
            errors += response.status_code != 200 or b'"errors"' in response.content
            hits += planned(response, operation)
            if "x-sql-statements" in response.headers:
                statements.append(int(response.headers["x-sql-statements"]))
    finally:
        await connection.close()
    return OneAtATime(statistics.median(times) * 1000, statements, hits, errors)


def statement_range(statements: Sequence[int]) -> str:
    if not statements:
        return "-"
    low, high = min(statements), max(statements)
    return str(low) if low == high else f"{low}-{high}"


# --- processes -----------------------------------------------------------------------------


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


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the bench ------------------------------------------------------------------------------


@dataclass
class Setup:
    """What the bench measures, picked from the demo data."""

    reads: list[Operation]
    sweep: Operation
    sweep_viewer: str
    queue_size: int
    open_cases: list[str]
    agent: str
    admin: str


async def pick(servers: Servers) -> Setup:
    """The viewers, the case and the pages to measure, from the demo data."""
    api = servers.api
    head = await login(api, "demo.head@example.com")
    agent = await login(api, "demo.agent@example.com")
    admin = await login(api, "demo.admin@example.com")
    docs = {
        name: Document.load(name)
        for name in ("AllCases", "CaseDetail", "AgentQueue", "ConsumerSearch")
    }
    all_cases = Operation("All cases", docs["AllCases"], {"first": 50}, head)

    # Case detail: of the head's own cases (else any they read), the one with the
    # most public comments and activity entries.
    me = (await post(api, "/graphql", {"query": VIEWER_CONSUMER}, head)).json()
    my_id = me["data"]["viewer"]["consumer"]["id"]
    page = (await ask(servers, all_cases.with_variables(first=100), "generic")).json()
    nodes = [e["node"] for e in page["data"]["cases"]["edges"]]
    candidates = [n["id"] for n in nodes if n["consumer"]["id"] == my_id] or [
        n["id"] for n in nodes
    ]
    best, best_score = candidates[0], -1
    for case_id in candidates[:20]:
        detail = Operation("case detail", docs["CaseDetail"], {"id": case_id}, head)
        node = (await ask(servers, detail, "generic")).json()["data"]["node"]
        comments = len(node["comments"]["edges"])
        entries = node["activity"]["totalCount"]
        if comments and entries and comments + entries > best_score:
            best, best_score = case_id, comments + entries
    case_detail = Operation("case detail", docs["CaseDetail"], {"id": best}, head)

    queue = Operation("agent queue", docs["AgentQueue"], {"first": 100}, agent)
    queued = (await ask(servers, queue, "generic")).json()["data"]["cases"]["totalCount"]
    search = Operation("consumer search", docs["ConsumerSearch"], {"term": SEARCH_TERM}, agent)

    # The page-size sweep needs 100 readable cases. A consumer reads their own
    # cases and those of their households and of whom they represent; the demo
    # head heads the largest household, so no consumer login reads many more.
    head_total = int(page["data"]["cases"]["totalCount"])
    if head_total >= max(PAGE_SIZES):
        sweep, viewer = all_cases, f"the demo head (a consumer reading {head_total} cases)"
    else:
        sweep = Operation("All cases", docs["AllCases"], {}, admin)
        viewer = (
            f"the demo admin (every case; the demo head, who heads the largest "
            f"household, reads only {head_total})"
        )

    open_queue = queue.with_variables(state=["OPEN"])
    opened = (await ask(servers, open_queue, "generic")).json()
    open_cases = [e["node"]["id"] for e in opened["data"]["cases"]["edges"]]
    return Setup(
        reads=[all_cases, case_detail, queue, search],
        sweep=sweep,
        sweep_viewer=viewer,
        queue_size=int(queued),
        open_cases=open_cases,
        agent=agent,
        admin=admin,
    )


def writes(setup: Setup) -> list[tuple[str, Request]]:
    open_cases, agent, admin = setup.open_cases, setup.agent, setup.admin

    def comment(connection: Connection, n: int) -> Awaitable[Reply]:
        case_id = open_cases[(n // 1_000_000) % len(open_cases)]
        body = {"query": COMMENT, "variables": {"id": case_id, "body": f"Update {n}."}}
        return connection.send(prepare("/graphql", body, {"Authorization": f"Bearer {agent}"}))

    def state_change(connection: Connection, n: int) -> Awaitable[Reply]:
        # Each worker owns one case and moves it OPEN -> RESOLVED -> OPEN.
        case_id = open_cases[(n // 1_000_000) % len(open_cases)]
        query = PROPOSE if n % 2 == 0 else REJECT
        body = {"query": query, "variables": {"id": case_id}}
        return connection.send(prepare("/graphql", body, {"Authorization": f"Bearer {admin}"}))

    return [("comment (write)", comment), ("state change (write)", state_change)]


def median_cell(values: Sequence[float]) -> str:
    if not values:
        return "-"
    runs = ", ".join(f"{v:.2f}" for v in values)
    middle = f"**{statistics.median(values):.2f}**"
    return middle if len(values) == 1 else f"{middle} ({runs})"


async def measure(backend: str, servers: Servers, setup: Setup, args: argparse.Namespace) -> None:
    """Runs and prints every measurement, table by table."""
    title = BACKENDS[backend]

    def emit(*lines: str) -> None:
        print("\n".join(lines), flush=True)

    # Throughput, RUNS times: each run measures every document's three variants
    # back to back, so a ratio compares figures taken under the same conditions.
    ratios: dict[str, dict[str, list[float]]] = {
        op.label: {"plan / reference": [], "generic / reference": [], "plan / generic": []}
        for op in setup.reads
    }
    warnings: list[str] = []
    for run in range(1, args.runs + 1):
        table = [
            "",
            f"| {title}, run {run} of {args.runs}, load {load_average()} | variant | req/s | "
            "p50 ms | p99 ms | errors | SQL/req | X-Plan |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for op in setup.reads:
            rates: dict[str, float] = {}
            for variant in VARIANTS:
                stats = await drive(
                    servers.base(variant), sender(op, variant), args.concurrency, args.duration
                )
                rates[variant] = stats.rate
                table.append(
                    f"| {op.label} ({op.document.name}) | {variant} | {stats.cells()} | "
                    f"{stats.plan_header(variant)} |"
                )
                if stats.first_error:
                    warnings.append(f"> first error, {op.label} {variant}: {stats.first_error}")
                if variant == "plan" and stats.planned < len(stats.latencies):
                    warnings.append(
                        f"> warning: {len(stats.latencies) - stats.planned} of "
                        f"{len(stats.latencies)} responses to the registered {op.document.name} "
                        "carried no `X-Plan`: they ran the generic path"
                    )
            for name, (a, b) in {
                "plan / reference": ("plan", "reference"),
                "generic / reference": ("generic", "reference"),
                "plan / generic": ("plan", "generic"),
            }.items():
                ratios[op.label][name].append(rates[a] / rates[b] if rates[b] else 0.0)
        emit(*table)
    emit(
        "",
        f"| {title}: throughput ratio, median of {args.runs} "
        f"run{'s' if args.runs > 1 else ''} (then each run) | plan / reference | "
        "generic / reference | plan / generic |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {' | '.join(median_cell(v) for v in by_ratio.values())} |"
            for label, by_ratio in ratios.items()
        ),
    )

    # The cost of an extra case: one request at a time, so no queueing.
    sizes: dict[str, dict[int, OneAtATime]] = {variant: {} for variant in VARIANTS}
    for size in PAGE_SIZES:
        for variant in VARIANTS:
            sizes[variant][size] = await one_at_a_time(
                servers, setup.sweep.with_variables(first=size), variant, args.sweep_requests
            )
    low, high = PAGE_SIZES[0], PAGE_SIZES[-1]
    rows = []
    for variant, by_size in sizes.items():
        slope = (by_size[high].milliseconds - by_size[low].milliseconds) / (high - low) * 1000
        errors = sum(r.errors for r in by_size.values())
        hits = sum(r.planned for r in by_size.values())
        header = plan_column(variant, hits, args.sweep_requests * len(PAGE_SIZES))
        rows.append(
            f"| {variant} | "
            + " | ".join(f"{by_size[s].milliseconds:.1f}" for s in PAGE_SIZES)
            + f" | {slope:.0f} | "
            + " | ".join(statement_range(by_size[s].statements) for s in PAGE_SIZES)
            + f" | {errors} | {header} |"
        )
    emit(
        "",
        f"{title}: All cases (AllCases) one request at a time, median of "
        f"{args.sweep_requests} per size; viewer: {setup.sweep_viewer}.",
        "",
        "| variant | "
        + " | ".join(f"ms at {s}" for s in PAGE_SIZES)
        + f" | µs per extra case ({low} to {high}) | "
        + " | ".join(f"SQL at {s}" for s in PAGE_SIZES)
        + " | errors | X-Plan |",
        "|---|" + "---:|" * (2 * len(PAGE_SIZES) + 2) + "---|",
        *rows,
    )

    # Statements must not grow with the page on the other lists either.
    flat = [
        "",
        f"| {title}: SQL statements per request by page size | plan | generic |",
        "|---|---|---|",
    ]
    queue, search = setup.reads[2], setup.reads[3]
    for op, (small, large) in ((queue, (10, 100)), (search, (5, 20))):
        cells = []
        for variant in ("plan", "generic"):
            counts = []
            for size in (small, large):
                response = await ask(servers, op.with_variables(first=size), variant)
                counts.append(f"{response.headers.get('x-sql-statements', '-')} at {size}")
            cells.append(", ".join(counts))
        flat.append(f"| {op.label} ({op.document.name}) | {' | '.join(cells)} |")
    emit(*flat)

    # Writes last: they change the cases the reads measured.
    concurrency = min(args.concurrency, len(setup.open_cases))
    table = [
        "",
        f"| {title}: writes, concurrency {concurrency} | req/s | p50 ms | p99 ms | errors | "
        "SQL/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, request in writes(setup) if setup.open_cases else []:
        stats = await drive(servers.api, request, concurrency, args.duration)
        table.append(f"| {name} | {stats.cells()} |")
        if stats.first_error:
            warnings.append(f"> first error, {name}: {stats.first_error}")
    emit(*table)
    if setup.queue_size < 100:
        warnings.append(f"> note: the agent's queue holds {setup.queue_size} cases, not 100")
    if warnings:
        emit("", *dict.fromkeys(warnings))


def server_env(tmp: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "PLAN", "APQ_"))
    }
    env.update(
        VAR_DIR=str(tmp / "var"),
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        SECRET_KEY="bench-secret-" + "z" * 40,
        ENVIRONMENT="production",
        SQL_COUNT_HEADER="true" if args.count_sql else "false",
        ACCESS_TOKEN_MINUTES="120",
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        # Plans as shipped, and unregistered documents allowed (the generic variant).
        PLANS_ENABLED="true",
        PLAN_CHECK_RATE="0",
        APQ_ALLOW_LIST_ONLY="false",
    )
    return env


async def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    env = server_env(tmp, args)
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
        await asyncio.to_thread(
            subprocess.run,
            [CSM_GRAPH, "persisted", "register", str(DOCUMENTS)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        api_port, ref_port = free_port(), free_port()
        api_log, ref_log = tmp / "api.log", tmp / "reference.log"
        workers = str(args.workers)
        processes.append(
            start([CSM_GRAPH, "serve", "--workers", workers, "--port", str(api_port)], env, api_log)
        )
        processes.append(
            start(
                [
                    *(UVICORN, "bench.reference:app", "--port", str(ref_port)),
                    *("--workers", workers, "--loop", "uvloop", "--http", "httptools"),
                    *("--no-access-log", "--log-level", "warning"),
                ],
                env,
                ref_log,
            )
        )
        servers = Servers(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ref_port}")
        await wait_ready(f"{servers.api}/healthz", processes[0], api_log)
        await wait_ready(f"{servers.reference}/healthz", processes[1], ref_log)

        setup = await pick(servers)
        # The answers must agree before their speeds are compared.
        notes: list[str] = []
        for op in setup.reads:
            notes += await agree(servers, op)
        for size in PAGE_SIZES:
            notes += await agree(servers, setup.sweep.with_variables(first=size))

        data = (
            f"{args.consumers} consumers loaded in {loaded:.1f} s"
            if load_demo
            else f"the demo data kept in {args.database}"
        )
        print(
            f"\n### {BACKENDS[backend]}\n\n"
            f"{data}; {args.workers} API processes; concurrency {args.concurrency}; "
            f"{args.duration:g} s per operation after {WARM_UP:g} s of warm-up; "
            f"{args.runs} run{'s' if args.runs > 1 else ''}; {os.cpu_count()} cores; "
            f"load average {load_average()}. Every reference answered exactly as csm-graph's "
            "generic path.",
            flush=True,
        )
        for note in notes:
            print(f"\n> warning: {note}", flush=True)
        await measure(backend, servers, setup, args)
    finally:
        for process in processes:
            stop(process)
        if pg_name:
            admin = await asyncpg.connect(PG_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await admin.close()
            # And its keys: documents, queue, rate limits.
            redis = Redis.from_url(REDIS_URL)
            keys = list(redis.scan_iter(match=f"{env['REDIS_PREFIX']}*"))
            if keys:
                redis.delete(*keys)
            redis.close()


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
    environ = os.environ.get
    parser.add_argument("--consumers", type=int, default=int(environ("BENCH_CONSUMERS", "2000")))
    parser.add_argument("--concurrency", type=int, default=int(environ("BENCH_CONCURRENCY", "64")))
    parser.add_argument(
        "--duration",
        type=float,
        default=float(environ("BENCH_SECONDS", "5")),
        help="measured seconds per operation and variant (after one second of warm-up)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=int(environ("BENCH_RUNS", "3")),
        help="throughput runs; the ratios printed are their medians",
    )
    parser.add_argument(
        "--sweep-requests",
        type=int,
        default=int(environ("BENCH_SWEEP_REQUESTS", "50")),
        help="requests per page size and variant, one at a time, for the cost of a case",
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
            try:
                asyncio.run(run_backend(backend, args, Path(tmp)))
            except Disagreement as exc:
                print(f"\n{BACKENDS[backend]}: FAILED: {exc}", file=sys.stderr, flush=True)
                raise SystemExit(1) from None


if __name__ == "__main__":
    main()
