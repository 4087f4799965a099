"""Each email is written in its recipient's language, found from the address
when it is sent: a consumer's `preferredLanguage`, the operator's default
for staff and strangers."""

from __future__ import annotations

import httpx

from csm_graph.accounts.models import User, UserType
from csm_graph.consumers.models import Consumer
from csm_graph.notifications.recipients import language_of
from csm_graph.notifications.services import queue_email
from csm_graph.transactions import unit_of_work
from tests.mail import Mailbox, body
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import represent
from tests.support import login, make_user

CASE_CREATE = """
mutation Create($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { number } errors { field message } }
}
"""


async def _consumer(first_name: str, email: str, language: str, *, login: bool = True) -> Consumer:
    consumer = await make_consumer(
        first_name=first_name, last_name="Ruiz", email=email, preferred_language=language
    )
    if login:
        user = await make_user(email, user_type=UserType.EXTERNAL)
        consumer.user_id = user.id
        await consumer.save()
    return consumer


async def test_a_spanish_speaking_consumer_gets_their_case_email_in_spanish(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: Ana reads Mexican Spanish; her representative French, which is not shipped
    ana = await _consumer("Ana", "ana@example.com", "es-MX")
    luc = await _consumer("Luc", "luc@example.com", "fr-FR")
    await represent(luc, ana)
    client = await login(http, "ana@example.com")
    mailbox.clear()

    # when: Ana opens a case in the portal
    payload = (await client.data(CASE_CREATE, {"input": {"shortDescription": "Sin señal"}}))[
        "caseCreate"
    ]

    # then: the mail server has hers in Spanish, his in English
    assert payload["errors"] == []
    number = payload["case"]["number"]
    messages = {str(m["To"]): m for m in await mailbox.settle()}
    assert set(messages) == {"ana@example.com", "luc@example.com"}
    spanish, english = messages["ana@example.com"], messages["luc@example.com"]
    assert spanish["Subject"] == f"[{number}] Se ha abierto su caso: Sin señal"
    assert spanish["Content-Language"] == "es"
    text = body(spanish, "plain")
    assert text.startswith("Hola, Ana:")
    assert f"Hemos abierto el caso {number} para Ana Ruiz: Sin señal." in text
    assert "Le responderemos lo antes posible" in text
    assert "Hello" not in text
    assert "We opened" not in text
    html = body(spanish, "html")
    assert '<html lang="es">' in html
    assert "Seguir el caso" in html
    assert "Este es un mensaje automático" in html
    assert english["Subject"] == f"[{number}] Your case was opened: Sin señal"
    assert english["Content-Language"] == "en"
    assert body(english, "plain").startswith("Hello Luc,")


async def test_the_language_is_the_recipients_when_the_email_is_sent(mailbox: Mailbox) -> None:
    # given: an email queued while Ana still read English
    ana = await _consumer("Ana", "ana@example.com", "en")
    async with unit_of_work():
        await Consumer.filter(id=ana.id).update(preferred_language="es")
        await queue_email(
            template="password_reset",
            to="ana@example.com",
            context={"name": "Ana", "link": "https://portal.example.com/reset?token=t"},
            key="reset:ana",
        )

    # when
    [message] = await mailbox.settle()

    # then
    assert message["Subject"] == "Restablezca su contraseña"


async def test_a_language_given_at_queue_time_wins(mailbox: Mailbox) -> None:
    # given: an address nobody holds yet
    async with unit_of_work():
        await queue_email(
            template="verify_email",
            to="new@example.com",
            context={"name": "Ana", "link": "https://portal.example.com/verify?token=t"},
            key="verify:new",
            language="es",
        )

    # when
    [message] = await mailbox.settle()

    # then
    assert message["Subject"] == "Confirme su dirección de correo"
    assert "Hola, Ana:" in body(message, "plain")


async def test_the_language_comes_from_the_login_or_the_record_at_that_address() -> None:
    # given
    await _consumer("Ana", "ana@example.com", "es-MX")
    await _consumer("Eva", "eva@example.com", "de", login=False)
    changing = await _consumer("Rob", "rob@example.com", "es")
    await User.filter(id=changing.user_id).update(pending_email="rob@example.org")
    await make_user("agent.es@example.com", roles=("AGENT",))
    await make_consumer(
        first_name="Agent", last_name="Twin", email="agent.es@example.com", preferred_language="es"
    )

    # then
    assert await language_of("ana@example.com") == "es-MX"
    assert await language_of(" Ana@Example.com ") == "es-MX"
    assert await language_of("eva@example.com") == "de"
    assert await language_of("rob@example.org") == "es"  # the new address, before confirmation
    assert await language_of("agent.es@example.com") is None  # staff: the operator's default
    assert await language_of("nobody@example.com") is None
    assert await language_of("") is None


async def test_an_inactive_record_gives_way_to_an_active_one_at_the_same_address() -> None:
    # given: two records share an address (imported twice); the older is deactivated
    old = await _consumer("Ana", "ana@example.com", "en", login=False)
    await Consumer.filter(id=old.id).update(is_active=False)
    await _consumer("Ana", "ana@example.com", "es", login=False)

    # then
    assert await language_of("ana@example.com") == "es"
