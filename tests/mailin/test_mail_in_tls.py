"""STARTTLS on `csm-graph mail-in`: offered with MAIL_IN_TLS_CERT and
MAIL_IN_TLS_KEY, required with MAIL_IN_REQUIRE_TLS, and refused at start when
the files cannot be loaded. The client is smtplib, trusting a test CA
(trustme) for the server's certificate."""

from __future__ import annotations

import argparse
import asyncio
import smtplib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pydantic
import pytest
import trustme

from csm_graph import cli
from csm_graph.cases.models import Case
from csm_graph.mailin import smtp
from csm_graph.mailin.models import InboundEmail, InboundState
from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.mailin.helpers import SUPPORT, consumer_with_login, email

HOST = "127.0.0.1"


@dataclass
class TlsServer:
    port: int
    client_context: ssl.SSLContext


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def _with_certificate(settings: Settings, ca: trustme.CA, folder: Path) -> None:
    issued = ca.issue_cert(HOST, "localhost")
    cert, key = folder / "mail-in.crt", folder / "mail-in.key"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    settings.mail_in_tls_cert, settings.mail_in_tls_key = str(cert), str(key)


@pytest.fixture
async def tls_server(
    settings: Settings, ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[bool], Awaitable[TlsServer]]]:
    """Starts `mail-in` with a certificate; the argument: whether TLS is required."""
    servers: list[asyncio.Server] = []
    monkeypatch.setattr(settings, "mail_in_addresses", [SUPPORT])
    monkeypatch.setattr(settings, "mail_in_tls_cert", "")
    monkeypatch.setattr(settings, "mail_in_tls_key", "")
    monkeypatch.setattr(settings, "mail_in_require_tls", False)

    async def start(required: bool) -> TlsServer:
        _with_certificate(settings, ca, tmp_path)
        settings.mail_in_require_tls = required
        server = await smtp.start_server(settings, HOST, 0)
        servers.append(server)
        context = ssl.create_default_context()
        ca.configure_trust(context)
        return TlsServer(smtp.port_of(server), context)

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def _converse(port: int, raw: bytes, context: ssl.SSLContext | None) -> tuple[bool, str]:
    """One SMTP conversation: STARTTLS first when `context` is given. Whether the
    server offered STARTTLS, and the TLS version the message went over ('' none)."""
    with smtplib.SMTP(HOST, port, timeout=10) as client:
        client.ehlo()
        offered = client.has_extn("starttls")
        if context is not None:
            client.starttls(context=context)
            client.ehlo()
        version = client.sock.version() if isinstance(client.sock, ssl.SSLSocket) else ""
        client.sendmail("ann@example.com", [SUPPORT], raw)
    return offered, version or ""


async def test_mail_sent_over_starttls_opens_a_case(
    tls_server: Callable[[bool], Awaitable[TlsServer]], settings: Settings
) -> None:
    # given mail-in with a certificate, and a consumer
    server = await tls_server(False)
    ann, _ = await consumer_with_login("ann")
    raw = email("Ann Doe <ann@example.com>", "Router keeps rebooting").as_bytes()

    # when a client starts TLS, trusting the certificate's CA, and sends
    offered, version = await asyncio.to_thread(_converse, server.port, raw, server.client_context)

    # then STARTTLS was offered, the message went encrypted, and it opened a case
    assert offered
    assert version.startswith("TLSv1.")
    await settle_jobs(settings)
    [row] = await InboundEmail.all()
    assert row.state is InboundState.OPENED
    case = await Case.get(id=row.case_id)
    assert case.consumer_id == ann.id


async def test_without_tls_required_plain_mail_is_still_taken(
    tls_server: Callable[[bool], Awaitable[TlsServer]], settings: Settings
) -> None:
    server = await tls_server(False)
    raw = email("Bea <bea@example.com>", "Hello").as_bytes()

    offered, version = await asyncio.to_thread(_converse, server.port, raw, None)

    assert (offered, version) == (True, "")
    await settle_jobs(settings)
    assert await InboundEmail.all().count() == 1


async def test_with_tls_required_plain_mail_is_refused_and_nothing_kept(
    tls_server: Callable[[bool], Awaitable[TlsServer]], settings: Settings
) -> None:
    # given mail-in that requires TLS
    server = await tls_server(True)
    raw = email("Bea <bea@example.com>", "Hello").as_bytes()

    # when a client sends without starting TLS
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        await asyncio.to_thread(_converse, server.port, raw, None)

    # then MAIL FROM is refused with 530, and nothing is kept
    assert refused.value.smtp_code == 530
    await settle_jobs(settings)
    assert await InboundEmail.all().count() == 0

    # and the same message over STARTTLS is taken
    await asyncio.to_thread(_converse, server.port, raw, server.client_context)
    await settle_jobs(settings)
    assert await InboundEmail.all().count() == 1


async def test_without_a_certificate_starttls_is_not_offered(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "mail_in_addresses", [SUPPORT])
    monkeypatch.setattr(settings, "mail_in_tls_cert", "")
    server = await smtp.start_server(settings, HOST, 0)
    try:
        raw = email("Bea <bea@example.com>", "Hello").as_bytes()
        offered, version = await asyncio.to_thread(_converse, smtp.port_of(server), raw, None)
    finally:
        server.close()
        await server.wait_closed()
    assert (offered, version) == (False, "")


@pytest.mark.parametrize(
    "values",
    [
        {"mail_in_tls_cert": "mail-in.crt"},
        {"mail_in_tls_key": "mail-in.key"},
        {"mail_in_require_tls": True},
    ],
)
def test_half_a_tls_setting_is_refused(values: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError, match="MAIL_IN_"):
        Settings(**values)  # type: ignore[arg-type]
    # and the whole setting is taken
    whole = Settings(
        mail_in_tls_cert="mail-in.crt", mail_in_tls_key="mail-in.key", mail_in_require_tls=True
    )
    assert whole.mail_in_require_tls


def test_a_certificate_that_cannot_be_loaded_stops_the_command_at_start(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a key file that is not a key
    cert, key = tmp_path / "mail-in.crt", tmp_path / "mail-in.key"
    cert.write_text("not a certificate\n")
    key.write_text("not a key\n")
    configured = settings.model_copy(
        update={
            "mail_in_addresses": [SUPPORT],
            "mail_in_tls_cert": str(cert),
            "mail_in_tls_key": str(key),
        }
    )

    # when the command starts
    code = cli._mail_in(configured, argparse.Namespace(host=HOST, port=0))

    # then it stops, saying why, before it listens or touches the database
    assert code == 2
    assert "MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY cannot be loaded" in capsys.readouterr().err
