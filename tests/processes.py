"""A second API process (`csm-graph serve`) for tests that cross processes.

It runs against the same database, Redis and secret as the test server, so
whatever one process writes or publishes the other sees, as behind a load
balancer in production.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from csm_graph.settings import Settings

START_TIMEOUT_SECONDS = 30
# Only what the child needs to find Python and our code; the rest is
# `Settings.as_environment()`.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop a child politely (SIGTERM), by force after ten seconds, and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class ApiProcess:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        terminate(self.process)


def spawn_api_process(settings: Settings, work_dir: Path) -> ApiProcess:
    """Start `csm-graph serve --no-migrate` on a free port, without waiting for it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env.update(settings.as_environment())
    env.update(HOST="127.0.0.1", PORT=str(port), LOG_JSON="false")
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / f"api-{port}.log"
    with log_path.open("wb") as log:
        # The work dir as cwd, so no `.env` of a checkout is read.
        process = subprocess.Popen(
            [sys.executable, "-m", "csm_graph.cli", "serve", "--no-migrate", "--port", str(port)],
            cwd=work_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ApiProcess(f"http://127.0.0.1:{port}", process, log_path)


async def start_api_process(settings: Settings, work_dir: Path) -> ApiProcess:
    """A second API process; returns once its /healthz answers."""
    api = await asyncio.to_thread(spawn_api_process, settings, work_dir)
    process = api.process
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient(base_url=api.base_url, timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API process exited:\n{api.log_tail()}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return api
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                api.stop()
                raise RuntimeError(f"the API process did not start:\n{api.log_tail()}")
            await asyncio.sleep(0.1)


class RedisServer:
    """A private `redis-server` on a free port that a test may stop and start
    again on the same port (an outage), without touching the shared Redis."""

    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        self.work_dir = work_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (nothing saved, nothing loaded); returns once it answers PING."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with (self.work_dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.work_dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate it (and wait), as an outage would end it."""
        if self.process is not None:
            terminate(self.process)
        self.process = None
