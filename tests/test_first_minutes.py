"""The README's "First five minutes", run as a newcomer runs them: on a copy
of the project with no virtual environment yet, `make run` (which must install
no development tool), the banner, `createadmin`, and the shell commands that
log in and read. The embedded default is what is checked, so this runs in the
SQLite pass of the suite only."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from csm_graph.settings import Settings
from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PROJECT_FILES = ("Makefile", "pyproject.toml", "uv.lock", "README.md", "src")
DEV_TOOLS = ("pytest", "ruff", "mypy", "check-jsonschema")
PASSWORD = "first five minutes passphrase"
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ")
START_SECONDS = 240  # a fresh install downloads uv and the wheels it has not cached

pytestmark = pytest.mark.skipif(
    BACKEND != "sqlite", reason="the embedded default is checked in the SQLite pass"
)


def section(title: str) -> str:
    """The README's text under a `## title` heading."""
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def shell_lines(text: str) -> list[str]:
    """The commands of a section's ```sh blocks, continuation lines joined and
    comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Newcomer:
    """A fresh copy of the project and the environment a newcomer's shell has."""

    home: Path
    env: dict[str, str]

    def run(self, command: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.home,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            check=False,
        )


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Newcomer:
    home = tmp_path_factory.mktemp("clone")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, home / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, home / name)
    # The shell as it is (proxies, certificates, package indexes), without
    # this process's settings or virtual environment.
    ours = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ours and not k.startswith(("CSM_", "PYTEST", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(PORT=str(free_port()), ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="1024")
    return Newcomer(home, env)


@dataclass
class Server:
    process: subprocess.Popen[str]
    banner: list[str]
    url: str


@contextmanager
def serving(newcomer: Newcomer, command: str) -> Iterator[Server]:
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=newcomer.home,
        env=newcomer.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{newcomer.env['PORT']}"
    lines: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    assert process.stdout is not None
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "Application startup complete" in line:
                break
            assert time.monotonic() < deadline, "\n".join(lines[-40:])
        else:
            pytest.fail("the server stopped:\n" + "\n".join(lines[-40:]))
        banner = list(lines)
        # Keep reading, so a full pipe never stalls the server's logging.
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        assert httpx.get(f"{url}/healthz").status_code == 200
        yield Server(process, banner, url)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def test_make_run_installs_only_what_serving_needs_and_shows_the_way(
    newcomer: Newcomer,
) -> None:
    # given: the README's commands for the first five minutes
    commands = shell_lines(section("First five minutes"))
    assert commands[0] == "make run"
    create_admin, *shell = commands[1:]
    assert "createadmin" in create_admin

    # when: a newcomer starts the server on a copy with no environment yet
    with serving(newcomer, commands[0]) as server:
        # then: no development tool was installed
        bin_dir = newcomer.home / ".venv" / "bin"
        assert (bin_dir / "csm-graph").exists()
        installed = [tool for tool in DEV_TOOLS if (bin_dir / tool).exists()]
        assert installed == []
        probe = newcomer.run(".venv/bin/python -c 'import hypothesis'")
        assert probe.returncode != 0

        # and: the banner names GraphiQL's address and the command that makes an admin
        banner = "\n".join(server.banner)
        assert f"GraphiQL   {server.url}/graphql" in banner
        assert "No administrator yet" in banner
        assert "createadmin --email you@example.com" in banner
        # development logs are for people: plain text, not JSON lines, and the
        # banner comes first, without the ORM's connect-and-close chatter
        assert not any(line.startswith("{") for line in server.banner)
        first = next(n for n, line in enumerate(server.banner) if line.startswith("csm-graph ("))
        assert not any(LOG_LINE.match(line) for line in server.banner[:first])
        assert not any("Tortoise-ORM" in line for line in server.banner)

        # when: they make an admin as the README says (the password asked for)
        made = newcomer.run(create_admin, stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        assert "admin you@example.com ready" in made.stdout

        # and: run the README's shell commands with that password and the token
        at_port = [c.replace("localhost:8000", server.url) for c in shell]
        answered = newcomer.run(at_port[0].replace("…", PASSWORD))
        assert answered.returncode == 0, answered.stderr
        token = re.search(r'"accessToken":\s*"([^"]+)"', answered.stdout)
        assert token, answered.stdout
        read = newcomer.run(f"TOKEN={token.group(1)}; {at_port[1]}")
        assert read.returncode == 0, read.stderr

        # then: the admin reads themselves among the users
        assert '"totalCount":1' in read.stdout
        assert '"email":"you@example.com"' in read.stdout

    # when: the server starts again, it knows an admin exists
    with serving(newcomer, ".venv/bin/csm-graph serve") as again:
        assert "No administrator yet" not in "\n".join(again.banner)
