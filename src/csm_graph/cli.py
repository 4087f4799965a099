"""The `csm-graph` command: serve, worker, migrate, createadmin, import, demo, schema, persisted."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

from csm_graph.settings import Settings, get_settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from csm_graph import banner, db
    from csm_graph.observability import configure_logging

    configure_logging(settings.log_level, settings.logs_as_json)
    if not args.no_migrate:
        asyncio.run(db.migrate(settings))
    host, port = args.host or settings.host, args.port or settings.port
    has_admin = asyncio.run(banner.admin_exists(settings))
    for line in banner.lines(settings, host, port, has_admin, banner.program_name(sys.argv[0])):
        print(line, file=sys.stderr, flush=True)
    uvicorn.run(
        "csm_graph.app:asgi",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from arq.worker import async_check_health

    from csm_graph.observability import configure_logging
    from csm_graph.workers import supervise
    from csm_graph.workers.settings import worker_settings

    if not settings.redis_url:
        print(
            "csm-graph worker needs REDIS_URL (without it, jobs run inside the API).",
            file=sys.stderr,
        )
        return 2

    def options() -> dict[str, Any]:
        # Fresh for every start: arq's cron jobs keep state between runs.
        built = worker_settings(settings)
        built["redis_settings"] = supervise.without_connect_retries(built["redis_settings"])
        return built

    if args.check:
        checked = options()
        try:
            return asyncio.run(
                async_check_health(
                    checked["redis_settings"], checked["health_check_key"], checked["queue_name"]
                )
            )
        except supervise.CONNECTION_ERRORS as exc:
            print(f"csm-graph worker --check: Redis unreachable: {exc}", file=sys.stderr)
            return 1
    configure_logging(settings.log_level, settings.logs_as_json)
    # Restarts the arq worker after a Redis outage, with back-off (see supervise).
    return asyncio.run(
        supervise.run(
            options, burst=args.burst, stop_grace_seconds=settings.worker_shutdown_grace_seconds
        )
    )


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph import db

    asyncio.run(db.migrate(settings))
    print("migrations applied")
    return 0


def _makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph.migrations_check import write_migrations

    written = asyncio.run(write_migrations(settings, name=args.name))
    for path in written:
        print(f"created {path}")
    if not written:
        print("no changes")
    return 0


def _createadmin(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph import runtime
    from csm_graph.accounts.users import create_admin
    from csm_graph.errors import UserErrors

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("password: ")
            if getpass.getpass("again: ") != password:
                print("error: the passwords differ", file=sys.stderr)
                return 1

    async def run() -> int:
        await runtime.start(settings, with_jobs=False)
        try:
            user = await create_admin(args.email, password)
        except UserErrors as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            await runtime.stop()
        print(f"admin {user.email} ready")
        return 0

    from csm_graph import db

    asyncio.run(db.migrate(settings))
    return asyncio.run(run())


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from csm_graph import db, runtime
    from csm_graph.consumers import importing
    from csm_graph.consumers.models import ImportJob, ImportRowError
    from csm_graph.errors import UserErrors

    path = Path(args.file)

    def show(job: ImportJob) -> None:
        print(
            f"\r{job.processed}/{job.total} rows: {job.created} created, "
            f"{job.updated} updated, {job.failed} failed",
            end="",
            file=sys.stderr,
            flush=True,
        )

    async def run() -> int:
        await runtime.start(settings, with_jobs=True)
        try:
            content = await asyncio.to_thread(path.read_bytes)
            job = await importing.create_job(path.name, content, None)
            done = await importing.run_import(job.id, progress=show)
            assert done is not None
            print(file=sys.stderr)
            if done.message:
                print(f"error: {done.message}", file=sys.stderr)
            refused = ImportRowError.filter(job_id=done.id).order_by("row")
            for error in await refused.limit(args.show_errors):
                print(f"line {error.row}: {error.message}")
            return 0 if done.state == "DONE" else 1
        except UserErrors as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            await runtime.stop()

    asyncio.run(db.migrate(settings))
    return asyncio.run(run())


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph import banner, db, demo, runtime
    from csm_graph.demo import table

    def show(message: str) -> None:
        print(f"\r{message:<60}", end="", file=sys.stderr, flush=True)

    async def run() -> tuple[demo.DemoResult, table.Table] | None:
        await runtime.start(settings, with_jobs=False)
        try:
            if await demo.loaded():
                return None
            result = await demo.generate(args.consumers, seed=args.seed, progress=show)
            base_url = args.url or banner.base_url(settings.host, settings.port)
            return result, await table.sign_in(result, base_url)
        finally:
            await runtime.stop()

    asyncio.run(db.migrate(settings))
    done = asyncio.run(run())
    print(file=sys.stderr)
    if done is None:
        print(
            "error: this database already holds the demo world; load it into an empty one "
            "(`make demo` starts afresh in its own VAR_DIR)",
            file=sys.stderr,
        )
        return 1
    result, logins = done
    print(logins.render(result.counts))
    return 0


def _schema(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph.schema import sdl

    sys.stdout.write(sdl(settings))
    return 0


def _persisted_register(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from graphql import GraphQLError, parse, print_ast, validate
    from redis.asyncio import Redis

    from csm_graph.persisted import MemoryStore, RedisStore, document_hash
    from csm_graph.schema import build_schema
    from csm_graph.schema.plans.base import NotPlannable
    from csm_graph.schema.plans.plan import compile_plan

    files: list[Path] = []
    for name in args.paths:
        path = Path(name)
        files.extend(sorted(path.rglob("*.graphql")) if path.is_dir() else [path])
    product_schema = build_schema(settings)
    schema = product_schema._schema

    def plan_of(document: str) -> str:
        """Whether the API will answer the document from a compiled plan."""
        try:
            return f"planned: {compile_plan(product_schema, parse(document), None).name}"
        except NotPlannable as why:
            return f"generic path: {why}"

    documents: list[tuple[Path, str]] = []
    failed = False
    for path in files:
        text = path.read_text(encoding="utf-8").strip()
        try:
            parsed = parse(text)
        except GraphQLError as exc:
            print(f"{path}: {exc.message}", file=sys.stderr)
            failed = True
            continue
        problems = validate(schema, parsed)
        for problem in problems:
            print(f"{path}: {problem.message}", file=sys.stderr)
        failed = failed or bool(problems)
        documents.append((path, print_ast(parsed) if args.print else text))
    if failed:
        return 1
    if not documents:
        print("no .graphql files found", file=sys.stderr)
        return 1

    async def run() -> None:
        redis = Redis.from_url(settings.redis_url) if settings.uses_redis else None
        store = (
            RedisStore(redis, settings.redis_prefix, 1, 1)
            if redis is not None
            else MemoryStore(1, 1, settings.persisted_queries_dir)
        )
        try:
            for path, document in documents:
                sha256 = document_hash(document)
                await store.register(sha256, document)
                print(f"{sha256}  {path}  {plan_of(document)}")
        finally:
            if redis is not None:
                await redis.aclose()

    asyncio.run(run())
    return 0


def _mail_in(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph import runtime
    from csm_graph.mailin import smtp
    from csm_graph.observability import configure_logging

    if not settings.mail_in_addresses:
        print(
            "csm-graph mail-in needs MAIL_IN_ADDRESSES (the addresses to take mail for).",
            file=sys.stderr,
        )
        return 2
    try:
        smtp.tls_context(settings)
    except (OSError, ValueError) as error:
        print(
            f"csm-graph mail-in: MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY cannot be loaded: {error}",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level, settings.logs_as_json)
    host, port = args.host or settings.mail_in_host, args.port or settings.mail_in_port

    async def run() -> int:
        await runtime.start(settings, with_jobs=True)
        try:
            server = await smtp.start_server(settings, host, port)
            tls = " (STARTTLS required)" if settings.mail_in_require_tls else ""
            tls = tls or (" (STARTTLS offered)" if settings.mail_in_tls_cert else "")
            print(
                f"csm-graph mail-in: SMTP on {host}:{smtp.port_of(server)}{tls} for "
                + ", ".join(settings.mail_in_addresses),
                file=sys.stderr,
                flush=True,
            )
            await _until_signalled()
            server.close()
            await server.wait_closed()
        finally:
            await runtime.stop()
        return 0

    return asyncio.run(run())


def _mail_poll(settings: Settings, args: argparse.Namespace) -> int:
    from csm_graph import runtime
    from csm_graph.mailin import imap
    from csm_graph.observability import configure_logging

    if not settings.imap_host:
        print(
            "csm-graph mail-poll needs IMAP_HOST (and IMAP_USERNAME, IMAP_PASSWORD).",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level, settings.logs_as_json)

    async def run() -> int:
        await runtime.start(settings, with_jobs=True)
        try:
            if args.once:
                taken = await imap.poll_once(settings)
                print(f"csm-graph mail-poll: {taken} new message(s)", file=sys.stderr)
                return 0
            stop = asyncio.create_task(_until_signalled())
            while not stop.done():
                try:
                    await imap.poll_once(settings)
                except (OSError, TimeoutError, imap.ImapError) as exc:
                    print(f"csm-graph mail-poll: {exc}", file=sys.stderr, flush=True)
                await asyncio.wait({stop}, timeout=settings.imap_poll_seconds)
            return 0
        finally:
            await runtime.stop()

    return asyncio.run(run())


async def _until_signalled() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="csm-graph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (migrates first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="API processes")
    serve.add_argument("--no-migrate", action="store_true")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="run an arq worker (needs REDIS_URL); it reconnects after a Redis outage"
    )
    worker.add_argument("--check", action="store_true", help="report worker health and exit")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)

    make = commands.add_parser("makemigrations", help="write migrations for model changes")
    make.add_argument("--name", default=None)
    make.set_defaults(run=_makemigrations)

    admin = commands.add_parser("createadmin", help="create or promote an administrator")
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--password",
        help="the password; asked for when omitted (one line of stdin when not a terminal)",
    )
    admin.set_defaults(run=_createadmin)

    imports = commands.add_parser("import", help="import consumers from a CSV file")
    imports.add_argument("file")
    imports.add_argument("--show-errors", type=int, default=20, help="refused rows to print")
    imports.set_defaults(run=_import)

    demo_parser = commands.add_parser(
        "demo",
        help="load a realistic, reproducible demo data set (seeded random) into an empty "
        "database, and print a login of each kind of viewer with a GraphiQL link",
    )
    demo_parser.add_argument("--consumers", type=int, default=10_000, metavar="N")
    demo_parser.add_argument("--seed", type=int, default=1)
    demo_parser.add_argument(
        "--url",
        default=None,
        help="where the server will be, for the GraphiQL links (default: http://HOST:PORT)",
    )
    demo_parser.set_defaults(run=_demo)

    commands.add_parser("schema", help="print the GraphQL SDL").set_defaults(run=_schema)

    persisted = commands.add_parser("persisted", help="persisted queries (see docs/api.md)")
    persisted_commands = persisted.add_subparsers(dest="persisted_command", required=True)
    register = persisted_commands.add_parser(
        "register",
        help="register the document of each .graphql file (directories: recursively)",
        description=(
            "Registers one document per .graphql file, validated against the schema, "
            "under the SHA-256 of its text without surrounding whitespace; clients send "
            "that text as `query` and that hash as `persistedQuery.sha256Hash`. Each line "
            "says whether the API answers the document from a compiled plan or, and why, "
            "on the generic path (docs/performance.md)."
        ),
    )
    register.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    register.add_argument(
        "--print",
        action="store_true",
        help="register the document as graphql-js `print` writes it (what Apollo Client hashes)",
    )
    register.set_defaults(run=_persisted_register)

    mail_in = commands.add_parser(
        "mail-in", help="run the SMTP server that turns inbound email into cases and comments"
    )
    mail_in.add_argument("--host", default=None, help="default: MAIL_IN_HOST")
    mail_in.add_argument("--port", type=int, default=None, help="default: MAIL_IN_PORT")
    mail_in.set_defaults(run=_mail_in)

    mail_poll = commands.add_parser(
        "mail-poll", help="read the IMAP mailbox (IMAP_*) into cases and comments"
    )
    mail_poll.add_argument(
        "--once", action="store_true", help="poll once and exit (for cron and schedules)"
    )
    mail_poll.set_defaults(run=_mail_poll)

    args = parser.parse_args(argv)
    if args.run is _serve:
        _stopping_is_success()
    return int(args.run(get_settings(), args))


def _stopping_is_success() -> None:
    """Make SIGTERM and SIGINT end `serve` with exit status 0, as they end `worker`.

    uvicorn stops gracefully on either (it takes no new connection, answers the
    requests in flight, closes WebSockets with 1012, runs the lifespan's
    shutdown), then raises the signal again for the handler it found. Python's
    default would make the process die of it (status -15, or a KeyboardInterrupt
    traceback); this handler turns it into a clean exit. A signal before uvicorn
    is serving (while migrating) ends the process the same way.
    """

    def exit_0(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, exit_0)


if __name__ == "__main__":
    raise SystemExit(main())
