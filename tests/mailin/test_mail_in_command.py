"""`csm-graph mail-in` as operators run it: its own process, on the suite's database."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from csm_graph.cases.models import Case, CaseChannel
from csm_graph.mailin.models import InboundEmail, InboundState
from csm_graph.settings import Settings
from tests.mailin.helpers import SUPPORT, consumer_with_login, email
from tests.processes import INHERITED, free_port, terminate


def _spawn(settings: Settings, port: int, work: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env.update(settings.as_environment())
    env.update(MAIL_IN_ADDRESSES=f'["{SUPPORT}"]', LOG_JSON="false")
    work.mkdir(parents=True, exist_ok=True)
    with (work / "mail-in.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "csm_graph.cli", "mail-in", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def test_the_command_takes_mail_until_told_to_stop(
    settings: Settings, tmp_path: Path
) -> None:
    # given
    ann, _ = await consumer_with_login("ann")
    port = free_port()
    process = await asyncio.to_thread(_spawn, settings, port, tmp_path)
    log = tmp_path / "mail-in.log"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            break

        # when
        def converse() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.send_message(email("ann@example.com", "Sent to the command"))

        await asyncio.to_thread(converse)
        deadline = time.monotonic() + 20
        while not await InboundEmail.filter(state=InboundState.OPENED).exists():
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        status = await asyncio.to_thread(process.wait, 15)
    finally:
        await asyncio.to_thread(terminate, process)

    # then
    [row] = await InboundEmail.all()
    case = await Case.get(id=row.case_id)
    assert (case.consumer_id, case.channel) == (ann.id, CaseChannel.EMAIL)
    assert case.short_description == "Sent to the command"
    assert status == 0
    assert f"SMTP on 127.0.0.1:{port} for {SUPPORT}" in log.read_text()
