"""What `csm-graph serve` says when it starts: where GraphiQL is, what the
process runs on, and, while there is no administrator, the one command that
makes one. A newcomer's first look at a terminal should answer "where do I
go now"; an operator's logs get the same lines, once per start."""

from __future__ import annotations

from pathlib import Path

from csm_graph import db
from csm_graph.settings import Settings

CREATE_ADMIN = "{program} createadmin --email you@example.com"
"""The command the banner offers (it asks for the password)."""


def program_name(argv0: str) -> str:
    """How the user can call this command again: relative to the working
    directory when it lies below it (`.venv/bin/csm-graph`), else its name."""
    path = Path(argv0)
    try:
        relative = path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path.name or "csm-graph"
    return str(relative) if len(relative.parts) > 1 else f"./{relative}"


def base_url(host: str, port: int) -> str:
    """Where a browser finds a server listening on `host`:`port`."""
    # A wildcard address is where the server listens, not where a browser goes.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _where(settings: Settings) -> str:
    database = "PostgreSQL" if db.is_postgres(settings) else f"SQLite in {settings.var_dir}/"
    jobs = "jobs on Redis (run `csm-graph worker`)" if settings.uses_redis else "jobs in-process"
    if settings.smtp_host:
        mail = f"email through {settings.smtp_host}:{settings.smtp_port}"
    else:
        mail = f"email as files in {settings.mail_dir}/"
    return f"{database}, {jobs}, {mail}"


async def admin_exists(settings: Settings) -> bool:
    """Whether any active user holds the admin role (opens and closes the database)."""
    from csm_graph.accounts.models import RoleName, User

    await db.init_db(settings)
    try:
        return await User.filter(is_active=True, roles__name=RoleName.ADMIN).exists()
    finally:
        await db.close_db()


def lines(
    settings: Settings, host: str, port: int, has_admin: bool, program: str = "csm-graph"
) -> list[str]:
    """The banner, a line each."""
    out = [
        f"csm-graph ({settings.environment}): {_where(settings)}",
        f"  GraphiQL   {base_url(host, port)}/graphql",
    ]
    if has_admin:
        out.append("  Log in with an administrator's email and password (the `login` mutation).")
    else:
        out += [
            "  No administrator yet. Make one (it asks for the password):",
            "    " + CREATE_ADMIN.format(program=program),
        ]
    return out
