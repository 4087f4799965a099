"""The client tool chains our clients build with, over the committed
`schema.graphql` (`e2e/clients/`, under Node): relay-compiler compiles the
Relay documents, GraphQL Code Generator's types pass `tsc --strict` with code
that uses them, and GraphQL-ESLint (schema and Relay rules) passes on the
schema. Generated files go to `__generated__/` folders, not committed, written
afresh by each run (one run at a time, should two share a checkout)."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "e2e"
CLIENTS = E2E / "clients"
BIN = E2E / "node_modules" / ".bin"
TOOL_SECONDS = 50

RELAY_ARTIFACTS = {
    "AllCasesPageQuery",
    "AllCasesPage_query",
    "AllCasesPagePaginationQuery",
    "CaseDetailQuery",
    "CaseDetail_case",
    "CaseDetailRefetchQuery",
    "CaseComments_case",
    "CaseComments_comment",
    "CaseCommentsPaginationQuery",
    "CaseCommentsAddMutation",
    "CaseCommentsEventsSubscription",
    "ConsumerProfileQuery",
    "ConsumerProfile_consumer",
    "ConsumerProfileCasesPaginationQuery",
}


@dataclass(repr=False)
class Run:
    command: str
    code: int
    output: str

    def __repr__(self) -> str:
        return f"<{self.command}>"

    def failure(self) -> str:
        return f"`{self.command}` exited {self.code}:\n{self.output}"


@pytest.fixture
def tools() -> Iterator[Path]:
    """Node and the tools `make e2e-deps` installs, for this test alone: a test
    run beside this one (same checkout) waits rather than share the folders."""
    assert shutil.which("node"), "Node.js is needed for the client tooling checks"
    for tool in ("relay-compiler", "graphql-codegen", "tsc", "eslint"):
        assert (BIN / tool).exists(), f"{tool} is missing: run `make e2e-deps` first"
    with (E2E / "node_modules" / ".client-tooling.lock").open("w") as lock:
        deadline = time.monotonic() + TOOL_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "another test run kept e2e/clients busy"
                time.sleep(0.1)
        yield BIN


async def run(tool: str, *args: str, cwd: Path = CLIENTS) -> Run:
    """`tool` from e2e/node_modules/.bin, its stdout and stderr together."""
    process = await asyncio.create_subprocess_exec(
        str(BIN / tool),
        *args,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), TOOL_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"`{tool} {' '.join(args)}` took more than {TOOL_SECONDS} s")
    assert process.returncode is not None
    return Run(f"{tool} {' '.join(args)}", process.returncode, stdout.decode())


def fresh(folder: Path) -> Path:
    """`folder`, emptied: a stale artifact cannot pass for a new one."""
    shutil.rmtree(folder, ignore_errors=True)
    return folder


async def test_relay_compiler_compiles_the_relay_documents(tools: Path) -> None:
    # given
    generated = fresh(CLIENTS / "relay" / "__generated__")

    # when
    compiled = await run("relay-compiler", "relay.config.json", "--noWatchman")

    # then
    assert compiled.code == 0, compiled.failure()
    written = {path.name.removesuffix(".graphql.ts") for path in generated.glob("*.graphql.ts")}
    assert written == RELAY_ARTIFACTS, compiled.output
    subscription = (generated / "CaseCommentsEventsSubscription.graphql.ts").read_text()
    assert '"handle": "appendNode"' in subscription
    comments = (generated / "CaseComments_case.graphql.ts").read_text()
    assert '"direction": "backward"' in comments


async def test_codegen_types_pass_strict_typescript_with_the_code_that_uses_them(
    tools: Path,
) -> None:
    # given
    generated = fresh(CLIENTS / "typed" / "__generated__")

    # when
    codegen = await run("graphql-codegen", "--config", "codegen.ts")
    assert codegen.code == 0, codegen.failure()
    assert (generated / "graphql.ts").exists(), codegen.output
    typecheck = await run("tsc", "--strict", "--noEmit", "-p", "tsconfig.json")

    # then
    assert typecheck.code == 0, typecheck.failure()


async def test_graphql_eslint_passes_on_the_schema(tools: Path) -> None:
    # when
    lint = await run(
        "eslint",
        "--config",
        str(CLIENTS / "eslint.config.mjs"),
        "--format",
        "json",
        "schema.graphql",
        cwd=ROOT,
    )

    # then
    try:
        (result,) = json.loads(lint.output)
    except ValueError:
        pytest.fail(lint.failure())
    assert result["filePath"] == str(ROOT / "schema.graphql")
    problems = [
        f"schema.graphql:{m.get('line', 0)}:{m.get('column', 0)} {m['message']} ({m['ruleId']})"
        for m in result["messages"]
    ]
    assert problems == [], "\n".join(problems)
    assert lint.code == 0, lint.failure()
