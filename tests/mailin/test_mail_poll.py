"""`csm-graph mail-poll` against a real IMAP server: Debian's dovecot, started
here with a configuration of its own (`make dovecot` installs it)."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aioimaplib
import pydantic
import pytest

from csm_graph.cases.models import Case, CaseChannel
from csm_graph.mailin import imap
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.mailin.helpers import SUPPORT, consumer_with_login, email
from tests.processes import INHERITED, free_port, terminate

PASSWORD = "imap secret"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None
    )


pytestmark = pytest.mark.skipif(
    dovecot_binary() is None, reason="no dovecot binary found (`make dovecot` installs it)"
)


@dataclass
class Dovecot:
    port: int
    log: Path

    async def client(self) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        await client.wait_hello_from_server()
        assert (await client.login(SUPPORT, PASSWORD)).result == "OK"
        return client


def _mail_owner() -> tuple[int, int]:
    """Who owns the mail: dovecot refuses root, so as root its own system user."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    try:
        user = pwd.getpwnam("dovecot")
    except KeyError:
        pytest.skip("running as root, and no dovecot user to own the mail")
    return user.pw_uid, user.pw_gid


def _readable_dir(tmp_path: Path) -> Path:
    """Where the mail and the password file go: dovecot's own users must reach
    them, and pytest's temporary folders are private to their owner."""
    if os.getuid() != 0:
        return tmp_path / "dovecot-mail"
    path = Path(tempfile.mkdtemp(prefix="csm-dovecot-"))
    path.chmod(0o755)
    return path


@pytest.fixture
async def dovecot(tmp_path: Path) -> AsyncIterator[Dovecot]:
    binary = dovecot_binary()
    assert binary is not None
    work = tmp_path / "dovecot"
    (work / "run").mkdir(parents=True)
    shared = _readable_dir(tmp_path)
    (shared / "mail").mkdir(parents=True)
    uid, gid = _mail_owner()
    os.chown(shared / "mail", uid, gid)
    port = free_port()
    (shared / "users").write_text(f"{SUPPORT}:{{PLAIN}}{PASSWORD}\n")
    (shared / "users").chmod(0o644)
    own = pwd.getpwuid(uid).pw_name
    login_users = (
        "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
        if os.getuid() == 0
        else f"default_login_user = {own}\ndefault_internal_user = {own}\n"
    )
    (work / "dovecot.conf").write_text(
        f"""
base_dir = {work}/run
state_dir = {work}/run/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {work}/dovecot.log
mail_location = maildir:{shared}/mail/%u
{login_users}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {min(uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {shared}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={shared}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    process = await asyncio.to_thread(_spawn, [binary, "-F", "-c", str(work / "dovecot.conf")])
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, "dovecot exited"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert time.monotonic() < deadline, "dovecot did not start"
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            break
        yield Dovecot(port, work / "dovecot.log")
    finally:
        await asyncio.to_thread(terminate, process)
        if shared.parent != tmp_path:
            shutil.rmtree(shared, ignore_errors=True)


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def imap_settings(
    settings: Settings, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    for name, value in {
        "mail_in_addresses": [SUPPORT],
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_tls": False,
        "imap_username": SUPPORT,
        "imap_password": PASSWORD,
    }.items():
        monkeypatch.setattr(settings, name, value)
    return settings


async def flags(client: aioimaplib.IMAP4) -> list[str]:
    """The flags line of each message in the mailbox, in order."""
    fetched = await client.fetch("1:*", "(FLAGS)")
    by_number: dict[int, str] = {}
    for line in fetched.lines:
        text = bytes(line).decode()
        number, _, rest = text.partition(" FETCH ")
        if rest and number.isdigit():
            by_number[int(number)] = rest  # the last word on a message is the current one
    return [by_number[n] for n in sorted(by_number)]


async def test_a_poll_stores_unseen_messages_opens_cases_and_marks_them_seen(
    imap_settings: Settings, dovecot: Dovecot
) -> None:
    # given: two messages in the mailbox, one of them read already by someone
    ann, _ = await consumer_with_login("ann")
    client = await dovecot.client()
    new = email("Ann Doe <ann@example.com>", "Router keeps rebooting")
    old = email("ann@example.com", "Read already")
    assert (await client.append(new.as_bytes(), mailbox="INBOX")).result == "OK"
    appended = await client.append(old.as_bytes(), mailbox="INBOX", flags="(\\Seen)")
    assert appended.result == "OK"

    # when
    taken = await imap.poll_once(imap_settings)
    await settle_jobs(imap_settings)
    again = await imap.poll_once(imap_settings)

    # then
    assert (taken, again) == (1, 0)
    [row] = await InboundEmail.all()
    assert row.intake is Intake.IMAP
    assert row.message_id == new["Message-ID"]
    assert row.state is InboundState.OPENED
    case = await Case.get(id=row.case_id)
    assert (case.consumer_id, case.channel) == (ann.id, CaseChannel.EMAIL)
    assert case.short_description == "Router keeps rebooting"
    assert (await client.select("INBOX")).result == "OK"
    assert ["\\Seen" in line for line in await flags(client)] == [True, True]
    await client.logout()


async def _count(client: aioimaplib.IMAP4, mailbox: str) -> int:
    assert (await client.select(mailbox)).result == "OK"
    found = await client.uid_search("ALL", charset=None)
    return len(found.lines[0].split()) if found.lines else 0


async def test_a_folder_with_a_space_in_its_name_is_polled(
    imap_settings: Settings, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a message in a folder "Support inbox"
    client = await dovecot.client()
    assert (await client.create('"Support inbox"')).result == "OK"
    message = email("bo@example.net", "Hello")
    appended = await client.append(message.as_bytes(), mailbox='"Support inbox"')
    assert appended.result == "OK"
    monkeypatch.setattr(imap_settings, "imap_mailbox", "Support inbox")

    # when / then
    assert await imap.poll_once(imap_settings) == 1
    await client.logout()


@pytest.mark.parametrize("name", ["Boîte", "Inbox\r\nA1 DELETE INBOX"])
def test_a_folder_name_imap_would_need_encoded_is_refused(name: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="printable ASCII"):
        Settings(imap_mailbox=name)
    with pytest.raises(pydantic.ValidationError, match="printable ASCII"):
        Settings(imap_processed_mailbox=name)


async def test_with_a_processed_folder_each_stored_message_moves_there(
    imap_settings: Settings, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a folder for processed mail (not made yet, with a space in its name)
    monkeypatch.setattr(imap_settings, "imap_processed_mailbox", "Done by csm")
    client = await dovecot.client()
    for subject in ("First", "Second"):
        message = email("bo@example.net", subject)
        assert (await client.append(message.as_bytes(), mailbox="INBOX")).result == "OK"

    # when a poll runs, and another after a third message arrives
    first = await imap.poll_once(imap_settings)
    third = email("bo@example.net", "Third")
    assert (await client.append(third.as_bytes(), mailbox="INBOX")).result == "OK"
    second = await imap.poll_once(imap_settings)

    # then every message was stored, left the inbox, and waits in the folder, seen
    assert (first, second) == (2, 1)
    await settle_jobs(imap_settings)
    assert await InboundEmail.all().count() == 3
    assert await _count(client, "INBOX") == 0
    assert await _count(client, '"Done by csm"') == 3
    assert ["\\Seen" in line for line in await flags(client)] == [True, True, True]
    await client.logout()


async def test_a_message_stored_before_a_poll_died_is_only_marked_seen(
    imap_settings: Settings, dovecot: Dovecot
) -> None:
    # given: a poll stored the message, then died before flagging it
    client = await dovecot.client()
    message = email("bo@example.net", "Hello")
    assert (await client.append(message.as_bytes(), mailbox="INBOX")).result == "OK"
    assert await imap.poll_once(imap_settings) == 1
    assert (await client.select("INBOX")).result == "OK"
    stored = await client.uid("store", "1:*", "-FLAGS.SILENT", "(\\Seen)")
    assert stored.result == "OK"

    # when
    taken = await imap.poll_once(imap_settings)

    # then
    await settle_jobs(imap_settings)
    assert taken == 0
    assert await InboundEmail.all().count() == 1
    assert ["\\Seen" in line for line in await flags(client)] == [True]
    await client.logout()


async def test_the_command_polls_once_for_schedules(
    imap_settings: Settings, dovecot: Dovecot, tmp_path: Path
) -> None:
    # given
    client = await dovecot.client()
    message = email("bo@example.net", "Polled by cron")
    assert (await client.append(message.as_bytes(), mailbox="INBOX")).result == "OK"
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env.update(imap_settings.as_environment())
    env.update(MAIL_IN_ADDRESSES=f'["{SUPPORT}"]', LOG_JSON="false")

    # when
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "csm_graph.cli", "mail-poll", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )

    # then
    assert done.returncode == 0, done.stderr.decode()
    assert "1 new message(s)" in done.stderr.decode()
    await settle_jobs(imap_settings)
    deadline = time.monotonic() + 20
    while not await InboundEmail.filter(state=InboundState.OPENED).exists():
        assert time.monotonic() < deadline, await InboundEmail.all().values("state", "reason")
        await asyncio.sleep(0.1)
    [row] = await InboundEmail.all()
    assert (await Case.get(id=row.case_id)).short_description == "Polled by cron"
    assert (await client.select("INBOX")).result == "OK"
    assert ["\\Seen" in line for line in await flags(client)] == [True]
    await client.logout()
