from __future__ import annotations

from pathlib import Path

from csm_graph.notifications import mailer
from csm_graph.notifications.rendering import RenderedEmail
from csm_graph.settings import Settings
from tests.mail import SmtpServer, body, parse

RENDERED = RenderedEmail(subject="Hello", text="Plain body\n", html="<p>HTML body</p>\n")


def _message(settings: Settings) -> mailer.EmailMessage:
    return mailer.build_message(
        settings,
        to="ann@example.com",
        rendered=RENDERED,
        message_id=mailer.new_message_id(settings),
        key="test:1:ann@example.com",
    )


async def test_embedded_default_writes_a_parseable_eml_file(
    settings: Settings, tmp_path: Path
) -> None:
    # given
    embedded = settings.model_copy(update={"var_dir": tmp_path, "smtp_host": ""})
    message = _message(embedded)

    # when
    await mailer.mailer_for(embedded).send(message, outbox_id=42)

    # then
    files = list((tmp_path / "mail").iterdir())
    assert [f.name.endswith("-42.eml") for f in files] == [True]
    received = parse(files[0].read_bytes())
    assert received["From"] == embedded.mail_from
    assert received["To"] == "ann@example.com"
    assert received["Subject"] == "Hello"
    assert received["Message-ID"] == message["Message-ID"]
    assert received[mailer.OUTBOX_KEY_HEADER] == "test:1:ann@example.com"
    assert body(received, "plain") == "Plain body\n"
    assert body(received, "html") == "<p>HTML body</p>\n"


async def test_smtp_mailer_delivers_to_the_server(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    # given
    smtp_server.reset()
    configured = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    message = _message(configured)

    # when
    await mailer.mailer_for(configured).send(message, outbox_id=7)

    # then
    [received] = smtp_server.received()
    assert received["Message-ID"] == message["Message-ID"]
    assert received["Subject"] == "Hello"
    smtp_server.reset()


def test_message_id_uses_the_sender_domain(settings: Settings) -> None:
    configured = settings.model_copy(update={"mail_from": "Support <help@shop.example>"})
    assert mailer.new_message_id(configured).endswith("@shop.example>")
