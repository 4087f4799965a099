"""The `csm-graph` command, run as a separate process against its own SQLite."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from csm_graph.accounts import passwords
from csm_graph.schema import sdl
from csm_graph.settings import Settings
from tests.support import LOGIN

CSM_GRAPH = str(Path(sys.executable).with_name("csm-graph"))
ADMIN_PASSWORD = "a long admin passphrase"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An embedded-default environment: SQLite under a fresh VAR_DIR, no Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "CSM_", "SECRET_", "VAR_"))
    }
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        ENVIRONMENT="test",
        SECRET_KEY="cli-test-secret-" + "y" * 32,
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_KIB="1024",
        ARGON2_PARALLELISM="1",
        LOG_JSON="false",
    )
    return env


async def _run(env: Mapping[str, str], cwd: Path, *args: str) -> Result:
    process = await asyncio.create_subprocess_exec(
        CSM_GRAPH,
        *args,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=45)
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


def _query(tmp_path: Path, sql: str) -> list[tuple[str, ...]]:
    """Read the command's own SQLite file (the test process's ORM is bound elsewhere)."""
    with closing(sqlite3.connect(tmp_path / "var" / "csm.sqlite3")) as connection:
        return list(connection.execute(sql))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def _serving(cli_env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    """`csm-graph serve` on a free port; yields its base URL."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        CSM_GRAPH,
        "serve",
        "--port",
        str(port),
        env=cli_env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, "csm-graph serve exited"
                await asyncio.sleep(0.05)  # waiting for a process to start, not for time
            else:
                pytest.fail("csm-graph serve did not start")
        yield url
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)


async def test_schema_prints_the_sdl(
    cli_env: dict[str, str], tmp_path: Path, settings: Settings
) -> None:
    # when
    result = await _run(cli_env, tmp_path, "schema")

    # then
    assert result.code == 0, result.stderr
    assert result.stdout == sdl(settings)
    assert "type Query" in result.stdout


async def test_createadmin_makes_an_admin_who_can_log_in(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # given
    created = await _run(
        cli_env,
        tmp_path,
        "createadmin",
        "--email",
        "Root@Example.com",
        "--password",
        ADMIN_PASSWORD,
    )
    assert created.code == 0, created.stderr
    assert created.stdout.strip() == "admin root@example.com ready"
    assert (tmp_path / "var" / "csm.sqlite3").exists()

    # when
    async with _serving(cli_env, tmp_path) as url, httpx.AsyncClient(base_url=url) as client:
        login = await client.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"input": {"email": "root@example.com", "password": ADMIN_PASSWORD}},
            },
        )
        token = login.json()["data"]["login"]["accessToken"]
        assert token
        viewer = await client.post(
            "/graphql",
            json={"query": "{ viewer { email roles } }"},
            headers={"Authorization": f"Bearer {token}"},
        )

    # then
    assert viewer.json() == {"data": {"viewer": {"email": "root@example.com", "roles": ["ADMIN"]}}}


async def test_createadmin_twice_promotes_and_resets_the_password(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # given
    first = await _run(
        cli_env, tmp_path, "createadmin", "--email", "boss@example.com", "--password", "x" * 12
    )
    assert first.code == 0, first.stderr

    # when
    second = await _run(
        cli_env,
        tmp_path,
        "createadmin",
        "--email",
        "boss@example.com",
        "--password",
        ADMIN_PASSWORD,
    )

    # then
    assert second.code == 0, second.stderr
    assert second.stdout.strip() == "admin boss@example.com ready"
    rows = _query(
        tmp_path,
        'SELECT u.password_hash, r.name FROM "user" u '
        "JOIN user_role ur ON ur.user_id = u.id JOIN role r ON r.id = ur.role_id "
        "WHERE u.email = 'boss@example.com'",
    )
    assert [name for _, name in rows] == ["ADMIN"]
    assert await passwords.verify_password(rows[0][0], ADMIN_PASSWORD)


async def test_createadmin_refuses_a_weak_password(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = await _run(
        cli_env, tmp_path, "createadmin", "--email", "weak@example.com", "--password", "short"
    )

    assert result.code == 1
    assert "at least 10 characters" in result.stderr
