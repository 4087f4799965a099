"""`e2e/schema-check.sh`, the CI guard against breaking schema changes
(graphql-inspector under Node), on small SDL files and small repositories."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[2] / "e2e"
SCRIPT = E2E / "schema-check.sh"

BEFORE = '"""Root."""\ntype Query {\n  a: String\n  b: Int\n}\n'
ADDITIVE = '"""Root."""\ntype Query {\n  a: String\n  b: Int\n  c: [String!]\n}\n'
BREAKING = '"""Root."""\ntype Query {\n  a: String\n}\n'


@dataclass
class Run:
    code: int
    output: str


@pytest.fixture(autouse=True)
def _needs_inspector() -> None:
    assert (E2E / "node_modules" / ".bin" / "graphql-inspector").exists(), "run `make e2e-deps`"


def clean_env() -> dict[str, str]:
    """The environment without GIT_* variables (a hook or a temporary index
    would otherwise point git at another repository)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


async def check(*args: str, cwd: Path = E2E) -> Run:
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        *args,
        cwd=cwd,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=45)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode())


async def compare(tmp_path: Path, new: str, *extra: str) -> Run:
    (tmp_path / "old.graphql").write_text(BEFORE)
    (tmp_path / "new.graphql").write_text(new)
    return await check(
        "--old", str(tmp_path / "old.graphql"), "--new", str(tmp_path / "new.graphql"), *extra
    )


async def test_an_additive_change_passes(tmp_path: Path) -> None:
    run = await compare(tmp_path, ADDITIVE)

    assert run.code == 0, run.output
    assert "Field c was added" in run.output


async def test_a_removed_field_fails(tmp_path: Path) -> None:
    run = await compare(tmp_path, BREAKING, "--message", "Tidy the query type")

    assert run.code == 1, run.output
    assert "Field b was removed" in run.output
    assert "Breaking-change:" in run.output


async def test_a_breaking_change_passes_when_the_message_says_why(tmp_path: Path) -> None:
    message = "Drop Query.b\n\nBreaking-change: no client has read b since 2.0\n"

    run = await compare(tmp_path, BREAKING, "--message", message)

    assert run.code == 0, run.output
    assert "acknowledged: no client has read b since 2.0" in run.output


async def test_an_empty_reason_acknowledges_nothing(tmp_path: Path) -> None:
    run = await compare(tmp_path, BREAKING, "--message", "Drop b\n\nBreaking-change:\n")

    assert run.code == 1, run.output


async def test_a_schema_that_does_not_parse_fails_whatever_the_message(tmp_path: Path) -> None:
    run = await compare(tmp_path, "type Query {", "--message", "Breaking-change: yes")

    assert run.code == 1, run.output
    assert "Syntax Error" in run.output


async def git(repo: Path, *args: str) -> None:
    env = {
        **clean_env(),
        "GIT_AUTHOR_NAME": "ci",
        "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
    }
    process = await asyncio.create_subprocess_exec(
        "git", *args, cwd=repo, env=env, stdout=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0


async def commit_schema(repo: Path, sdl: str, message: str) -> None:
    (repo / "schema.graphql").write_text(sdl)
    await git(repo, "add", "schema.graphql")
    await git(repo, "commit", "-q", "-m", message)


async def test_in_a_repository_it_compares_head_with_the_previous_commit(tmp_path: Path) -> None:
    # given
    await git(tmp_path, "init", "-q")
    await commit_schema(tmp_path, BEFORE, "First schema")

    # when / then: a single commit has nothing to compare
    first = await check(cwd=tmp_path)
    assert first.code == 0, first.output
    assert "no previous commit" in first.output

    # when / then: an unacknowledged breaking commit fails
    await commit_schema(tmp_path, BREAKING, "Drop b")
    breaking = await check(cwd=tmp_path)
    assert breaking.code == 1, breaking.output

    # when / then: the commit message's trailer acknowledges it
    await commit_schema(tmp_path, BEFORE, "Bring b back")
    await commit_schema(tmp_path, BREAKING, "Drop b again\n\nBreaking-change: b moved to c\n")
    acknowledged = await check(cwd=tmp_path)
    assert acknowledged.code == 0, acknowledged.output


async def test_a_previous_commit_without_a_schema_passes(tmp_path: Path) -> None:
    # given
    await git(tmp_path, "init", "-q")
    (tmp_path / "README").write_text("x")
    await git(tmp_path, "add", "README")
    await git(tmp_path, "commit", "-q", "-m", "Start")
    await commit_schema(tmp_path, BEFORE, "Add the schema")

    # when
    run = await check(cwd=tmp_path)

    # then
    assert run.code == 0, run.output
    assert "no schema.graphql" in run.output
