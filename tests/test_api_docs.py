"""The examples in `docs/api.md` run against the live server, in order.

An example is a fenced block right after `<!-- example: NAME [as=ROLE]
[expect=CODE] -->`:

- `graphql`: a document, run as ROLE (`anonymous`, `admin` or `agent`) with
  the variables of the `json` example `NAME.variables`; it must answer
  without errors, or with the GraphQL error code CODE.
- `sh`: run by bash with `API` (the endpoint) and `TOKEN` (ROLE's access
  token) set, in a directory holding the examples named like files
  (`consumers.csv`); it must exit 0 and print JSON.
- `json` `NAME.response`: what NAME answers. Strings written `<...>` stand
  for any value; everything else must be equal.
- `json` `ws.*`: graphql-transport-ws messages, exchanged over a WebSocket.

A variable written `"<key>"` takes the latest value of `key` in a response
so far (a refresh token, a cursor).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.support import GraphQLClient

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
EXAMPLE = re.compile(
    r"<!-- example: (?P<name>[\w.-]+)(?P<options>(?: \w+=[\w-]+)*) -->\n"
    r"```(?P<lang>\w+)\n(?P<body>.*?)\n```",
    re.DOTALL,
)
WILDCARD = re.compile(r"^<[^<>]+>$")


@dataclass
class Example:
    name: str
    lang: str
    body: str
    options: dict[str, str] = field(default_factory=dict)


def examples() -> list[Example]:
    found = []
    for match in EXAMPLE.finditer(DOC.read_text()):
        options = dict(o.split("=", 1) for o in match["options"].split())
        found.append(Example(match["name"], match["lang"], match["body"], options))
    return found


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from `expected` (`"<...>"` matches anything)."""
    if isinstance(expected, str) and WILDCARD.match(expected):
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        problems = [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        if expected.keys() != actual.keys():
            return problems
        return [p for k in expected for p in mismatches(expected[k], actual[k], f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, documented {len(expected)}"]
        return [p for i, e in enumerate(expected) for p in mismatches(e, actual[i], f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: {actual!r}, documented {expected!r}"]


def collect(value: Any, into: dict[str, Any]) -> None:
    """Remember every keyed leaf of a response, for `"<key>"` variables."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                collect(item, into)
            elif item is not None:
                into[key] = item
    elif isinstance(value, list):
        for item in value:
            collect(item, into)


def substitute(value: Any, seen: dict[str, Any]) -> Any:
    if isinstance(value, str) and WILDCARD.match(value) and value[1:-1] in seen:
        return seen[value[1:-1]]
    if isinstance(value, dict):
        return {k: substitute(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, seen) for v in value]
    return value


async def run_sh(script: str, api: str, token: str, workdir: Path) -> dict[str, Any]:
    bash = shutil.which("bash")
    assert bash
    process = await asyncio.create_subprocess_exec(
        bash,
        "-euo",
        "pipefail",
        "-c",
        script,
        cwd=workdir,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "API": api, "TOKEN": token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    result: dict[str, Any] = json.loads(stdout)
    return result


async def exchange_ws(server_url: str, token: str, messages: dict[str, Any]) -> list[str]:
    """Sends each documented client message and compares the next server one."""
    problems: list[str] = []
    url = server_url.replace("http", "ws", 1) + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        for sent, answer in (("ws.connection_init", "ws.connection_ack"), ("ws.ping", "ws.pong")):
            message = substitute(messages[sent], {"accessToken": token})
            if sent == "ws.connection_init":
                message["payload"]["authorization"] = f"Bearer {token}"
            await ws.send(json.dumps(message))
            received = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            problems += [f"{answer}: {p}" for p in mismatches(messages[answer], received)]
    return problems


def test_the_docs_have_examples_of_each_kind() -> None:
    found = examples()
    names = [e.name for e in found]

    assert len(names) == len(set(names)), "example names must be unique"
    assert {e.lang for e in found} >= {"graphql", "sh", "json", "csv"}
    assert sum(e.lang == "graphql" for e in found) >= 8
    assert {"ws.connection_init", "ws.connection_ack", "apq-hash", "upload"} <= set(names)


async def test_every_example_runs_as_documented(
    server_url: str,
    http: httpx.AsyncClient,
    anon_client: GraphQLClient,
    admin_client: GraphQLClient,
    agent_client: GraphQLClient,
    tmp_path: Path,
) -> None:
    # given
    clients = {"anonymous": anon_client, "admin": admin_client, "agent": agent_client}
    found = examples()
    by_name = {e.name: e for e in found}
    for example in found:
        if "." in example.name and example.lang not in ("json",):
            (tmp_path / example.name).write_text(example.body + "\n")
    seen: dict[str, Any] = {}
    problems: list[str] = []
    ran: list[str] = []

    # when
    for example in found:
        if example.lang not in ("graphql", "sh"):
            continue
        role = example.options.get("as", "anonymous")
        client = clients[role]
        if example.lang == "graphql":
            variables_example = by_name.get(f"{example.name}.variables")
            variables = (
                substitute(json.loads(variables_example.body), seen) if variables_example else None
            )
            result = await client.execute(example.body, variables)
        else:
            result = await run_sh(
                example.body, f"{server_url}/graphql", client.token or "", tmp_path
            )
        ran.append(example.name)
        collect(result.get("data"), seen)
        expected_code = example.options.get("expect")
        codes = [e.get("extensions", {}).get("code") for e in result.get("errors", [])]
        response_example = by_name.get(f"{example.name}.response")
        if response_example is not None:
            documented = json.loads(response_example.body)
            problems += [f"{example.name}: {p}" for p in mismatches(documented, result)]
        elif expected_code is not None:
            if codes != [expected_code]:
                problems.append(f"{example.name}: codes {codes}, documented {expected_code}")
        elif "errors" in result:
            problems.append(f"{example.name}: unexpected errors {result['errors']}")

    messages = {e.name: json.loads(e.body) for e in found if e.name.startswith("ws.")}
    assert admin_client.token
    problems += await exchange_ws(server_url, admin_client.token, messages)

    # then
    assert problems == [], "\n".join(problems)
    assert len(ran) == sum(e.lang in ("graphql", "sh") for e in found)
