"""SIGTERM, as a deployment or a scale-in sends it, to real API and worker
processes: what was in flight finishes (or is handed on), and the process
exits 0.

- an API process lets a request that is still arriving (a slow upload)
  finish with its answer, refuses new connections, and exits 0;
- an API process closes its WebSockets at once with 1012 (service restart),
  so clients reconnect to another process instead of waiting for a timeout;
- a worker stops taking jobs and lets the ones in flight finish within
  `WORKER_SHUTDOWN_GRACE_SECONDS`; a job that outlasts it is cancelled and
  put back on the queue, and the next worker runs it.

PostgreSQL and Redis only: the processes share the test database and Redis.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.constants import in_progress_key_prefix
from arq.jobs import Job as ArqJob

from csm_graph import jobs
from csm_graph.access.engine import load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case, CaseAttachment
from csm_graph.cases.services import CaseDraft
from csm_graph.jobs import ArqDispatcher
from csm_graph.notifications import services as notifications
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work
from tests.conftest import BACKEND
from tests.mail import SmtpServer
from tests.processes import ApiProcess, start_api_process
from tests.schema.cases.helpers import gid
from tests.schema.consumers.helpers import make_consumer
from tests.support import GraphQLClient, login, make_user
from tests.workers.test_notifications_jobs import CONTEXT
from tests.workers.test_worker_process import spawn_worker, stop
from tests.ws import open_socket

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres",
    reason="API and worker processes share the test database and Redis (CSM_TEST_DB=postgres)",
)

EXIT_SECONDS = 15
"""How long a process may take to exit after SIGTERM once its work is done."""

ATTACH = """
mutation($i: CaseAttachmentAddInput!) {
  caseAttachmentAdd(input: $i) {
    attachment { fileName contentType size }
    errors { field message code }
  }
}
"""
COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"
SUBSCRIBE = "subscription($id: ID) { caseEvents(caseId: $id) { kind case { number } } }"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * (256 * 1024)
BOUNDARY = "csm-graceful-shutdown"


@pytest.fixture
async def api(settings: Settings, tmp_path: Path) -> AsyncIterator[ApiProcess]:
    """An API process of this test's own, which the test stops."""
    process = await start_api_process(settings, tmp_path / "api")
    try:
        yield process
    finally:
        await asyncio.to_thread(process.stop)


async def _admin_and_case(http: httpx.AsyncClient) -> tuple[GraphQLClient, Case]:
    admin = await make_user("admin@example.com", roles=("ADMIN",))
    consumer = await make_consumer(email="pat@example.com")
    viewer = Viewer(user_id=admin.id, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))
    case = await cases.create_case(
        await load_subject(viewer),
        CaseDraft(short_description="Router keeps rebooting", consumer_id=consumer.id),
    )
    return await login(http, "admin@example.com"), case


def _multipart(case: Case) -> tuple[bytes, bytes]:
    """The upload's body as (everything before the file's bytes, the closing boundary)."""
    operations = {
        "query": ATTACH,
        "variables": {"i": {"caseId": gid("Case", case.id), "file": None}},
    }
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="operations"\r\n\r\n'
        f"{json.dumps(operations)}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="map"\r\n\r\n'
        f"{json.dumps({'0': ['variables.i.file']})}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="0"; filename="scan.png"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()


async def _refuses_connections(base_url: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as fresh:
        try:
            await fresh.get("/healthz")
        except httpx.TransportError:
            return True
    return False


async def _until(condition: Callable[[], Awaitable[bool]], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f}s waiting for {what}"
        await asyncio.sleep(0.05)


async def test_sigterm_lets_a_slow_upload_finish_and_the_api_exits_0(api: ApiProcess) -> None:
    # given: an administrator uploading a file to a case over a slow link
    async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
        admin, case = await _admin_and_case(http)
        head, tail = _multipart(case)
        chunks = [PNG[n : n + 16 * 1024] for n in range(0, len(PNG), 16 * 1024)]
        first_sent = asyncio.Event()
        signalled = asyncio.Event()

        async def body() -> AsyncIterator[bytes]:
            yield head + chunks[0]
            first_sent.set()
            await signalled.wait()
            for chunk in chunks[1:]:
                await asyncio.sleep(0.05)
                yield chunk
            yield tail

        upload = asyncio.create_task(
            http.post(
                "/graphql",
                content=body(),
                headers={
                    **admin.headers(),
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(len(head) + len(PNG) + len(tail)),
                },
            )
        )
        await first_sent.wait()
        await asyncio.sleep(0.5)  # the request's headers and first bytes have arrived

        # when: the process is told to stop in the middle of the upload
        api.process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        # then: it takes no new connection ...
        await _until(lambda: _refuses_connections(api.base_url), "new connections refused", 5)
        # ... and the upload, sent on to its end, gets its full answer
        signalled.set()
        response = await upload

    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {
            "caseAttachmentAdd": {
                "attachment": {
                    "fileName": "scan.png",
                    "contentType": "image/png",
                    "size": len(PNG),
                },
                "errors": [],
            }
        }
    }
    assert await CaseAttachment.filter(case_id=case.id).count() == 1
    # and the process exits 0 once it has answered
    assert await asyncio.to_thread(api.process.wait, EXIT_SECONDS) == 0, api.log_tail()
    assert time.monotonic() - stopped_at < EXIT_SECONDS


async def test_sigterm_closes_subscriptions_at_once_with_1012(api: ApiProcess) -> None:
    # given: a live caseEvents subscription on the process (an event has arrived)
    async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
        admin, case = await _admin_and_case(http)
        async with open_socket(api.base_url, admin.token) as socket:
            op = await socket.start(SUBSCRIBE, {"id": gid("Case", case.id)})
            for attempt in range(20):
                comment = {"i": {"caseId": gid("Case", case.id), "body": f"Ping {attempt}"}}
                assert (await admin.data(COMMENT, comment))["caseCommentAdd"]["errors"] == []
                try:
                    event = await socket.result(op, wait=0.5)
                    break
                except TimeoutError:
                    continue
            else:
                pytest.fail("the subscription never delivered an event")
            assert event["data"]["caseEvents"]["kind"] == "COMMENTED"

            # when
            api.process.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()

            # then: the server closes the socket promptly, "service restart"
            code, _reason = await socket.closed(wait=10)
            closed_after = time.monotonic() - stopped_at

    assert code == 1012
    assert closed_after < 2, f"the socket closed {closed_after:.1f}s after SIGTERM"
    assert await asyncio.to_thread(api.process.wait, EXIT_SECONDS) == 0, api.log_tail()


class SlowSmtpServer(SmtpServer):
    """The test SMTP server, taking `seconds` over one step (`RCPT`, `DATA`) of
    its first conversation only: a mail server under load."""

    def __init__(self, step: str, seconds: float) -> None:
        super().__init__()
        self.reached = threading.Event()
        hook = getattr(self.handler, f"handle_{step}")
        first = [True]

        async def slow(*args: Any) -> Any:
            if first[0]:
                first[0] = False
                self.reached.set()
                await asyncio.sleep(seconds)
            return await hook(*args)

        # aiosmtpd looks its hooks up on the handler for each new conversation.
        setattr(self.handler, f"handle_{step}", slow)


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    """The test settings on a queue of their own (the session's in-process
    worker stays out)."""
    return settings.model_copy(
        update={
            "arq_queue_name": f"{settings.arq_queue_name}:sigterm",
            "inprocess_periodic_jobs": False,
        }
    )


@pytest.fixture
async def dispatcher(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ArqDispatcher]:
    """Jobs of this test go to its own queue."""
    dispatcher = await ArqDispatcher.connect(worker_settings)
    monkeypatch.setattr(jobs, "get_dispatcher", lambda: dispatcher)
    try:
        yield dispatcher
    finally:
        await dispatcher.pool.delete(worker_settings.arq_queue_name)
        await dispatcher.close()


async def _queue_email(key: str) -> int:
    async with unit_of_work():
        await notifications.queue_email(
            template="password_reset", to="pat@example.com", context=CONTEXT, key=key
        )
    row = await OutboxEmail.get(key=key)
    return row.id


async def _wait_for(event: threading.Event, what: str, seconds: float = 30) -> None:
    assert await asyncio.to_thread(event.wait, seconds), f"timed out waiting for {what}"


def _exit_code(process: subprocess.Popen[bytes], seconds: float = EXIT_SECONDS) -> int | None:
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


async def test_sigterm_lets_a_job_in_flight_finish_before_the_worker_exits(
    worker_settings: Settings, dispatcher: ArqDispatcher, tmp_path: Path
) -> None:
    # given: a worker sending an email to a mail server that takes 2 s to accept it
    smtp = SlowSmtpServer("DATA", 2.0)
    smtp.start()
    settings = worker_settings.model_copy(
        update={"smtp_port": smtp.port, "worker_shutdown_grace_seconds": 20}
    )
    first = spawn_worker(settings, tmp_path / "first")
    second: subprocess.Popen[bytes] | None = None
    try:
        outbox_id = await _queue_email("sigterm:finish")
        await _wait_for(smtp.reached, "the email to reach the mail server")

        # when: the worker is told to stop while the server still holds the email
        first.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(_exit_code, first)

        # then: the email went out, and was recorded, before the worker exited 0
        assert code == 0, (tmp_path / "first" / "worker.log").read_text()
        assert (await OutboxEmail.get(id=outbox_id)).state == OutboxState.SENT
        assert len(smtp.received()) == 1

        # when: the next worker starts, and runs whatever the first one left
        second = spawn_worker(settings, tmp_path / "second")
        await _until(lambda: _queue_drained(dispatcher), "the next worker to drain the queue", 30)
    finally:
        stop(first)
        if second is not None:
            stop(second)
        smtp.stop()

    # then: the email arrived exactly once
    assert [str(m["X-CSM-Outbox-Key"]) for m in smtp.received()] == ["sigterm:finish"]


async def _queue_drained(dispatcher: ArqDispatcher) -> bool:
    """The next worker is up and no job is due or running (arq keeps a job in
    the queue until it ends)."""
    health = await dispatcher.pool.exists(f"{dispatcher.queue_name}:health-check")
    due = await dispatcher.pool.zcount(dispatcher.queue_name, "-inf", time.time() * 1000)
    return bool(health) and due == 0


async def _function(dispatcher: ArqDispatcher, job_id: bytes) -> str | None:
    info = await ArqJob(job_id.decode(), dispatcher.pool, _queue_name=dispatcher.queue_name).info()
    return info.function if info is not None else None


async def test_a_job_that_outlasts_the_grace_is_run_by_the_next_worker(
    worker_settings: Settings, dispatcher: ArqDispatcher, tmp_path: Path
) -> None:
    # given: a worker with a one-second grace, sending an email to a mail server
    # that takes 8 s over the recipient; the claim lapses after one second
    smtp = SlowSmtpServer("RCPT", 8.0)
    smtp.start()
    settings = worker_settings.model_copy(
        update={
            "smtp_port": smtp.port,
            "worker_shutdown_grace_seconds": 1,
            "mail_sending_timeout_seconds": 1,
        }
    )
    first = spawn_worker(settings, tmp_path / "first")
    second: subprocess.Popen[bytes] | None = None
    try:
        outbox_id = await _queue_email("sigterm:handed-on")
        await _wait_for(smtp.reached, "the email to reach the mail server")

        # when: the worker is told to stop, and the job does not end within the grace
        first.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        code = await asyncio.to_thread(_exit_code, first)
        took = time.monotonic() - stopped_at

        # then: it exited 0 after the grace, with the job back on the queue, not in progress
        assert code == 0, (tmp_path / "first" / "worker.log").read_text()
        assert took < 4, f"the worker took {took:.1f}s to stop"
        assert smtp.received() == []
        queued = await dispatcher.pool.zrange(settings.arq_queue_name, 0, -1)
        sends = [j for j in queued if await _function(dispatcher, j) == "send_email"]
        assert sends, queued
        for job_id in sends:
            assert not await dispatcher.pool.exists(in_progress_key_prefix + job_id.decode())

        # when: the next worker starts
        second = spawn_worker(settings, tmp_path / "second")

        async def sent() -> bool:
            return (await OutboxEmail.get(id=outbox_id)).state == OutboxState.SENT

        await _until(sent, "the next worker to send the email", 30)
    finally:
        stop(first)
        if second is not None:
            stop(second)
        smtp.stop()

    # then: it arrived exactly once
    assert [str(m["X-CSM-Outbox-Key"]) for m in smtp.received()] == ["sigterm:handed-on"]
