"""Every email in every shipped language: its words come from the catalogue,
and its dates and numbers are written the recipient's way.

The contexts are those of `test_rendering.CONTEXTS`: a template added there
is rendered here in every language too.
"""

from __future__ import annotations

import datetime as dt
import gettext
import html
import re
from typing import Any

import pytest
from pydantic import ValidationError

from csm_graph.notifications import rendering
from csm_graph.settings import Settings
from tests.notifications.test_catalogues import catalogue
from tests.notifications.test_rendering import CONTEXTS

LANGUAGES = sorted(rendering.shipped_languages())
TRANSLATED = [x for x in LANGUAGES if x != rendering.SOURCE_LANGUAGE]
CASES = [(t, x) for t in sorted(rendering.template_names()) for x in LANGUAGES]
PLACEHOLDER = re.compile(r"%\(\w+\)s")
MARK = "\u2062"


def _context(template: str) -> dict[str, Any]:
    assert template in CONTEXTS, f"add a context for {template!r} to test_rendering.CONTEXTS"
    return CONTEXTS[template]


def _english_words(language: str) -> set[str]:
    """The English runs of words of every message that `language` translates
    differently (between placeholders, at least two words)."""
    runs = set()
    for message in catalogue(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if ids == strings[: len(ids)]:
            continue
        for text in ids:
            runs.update(
                run.strip(" ,.:;()")
                for run in PLACEHOLDER.split(text)
                if len(run.strip(" ,.:;()").split()) >= 2
            )
    return runs


class _Marking(gettext.NullTranslations):
    """Every message becomes an invisible mark: what is left is not translatable."""

    def gettext(self, message: str) -> str:
        return MARK

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return MARK


def _leftover(rendered: str, context: dict[str, Any]) -> str:
    """`rendered` without its tags, entities, marks and the context's own values."""
    text = re.sub(r"<[^>]*>", " ", rendered)
    for value in sorted((str(v) for v in context.values()), key=len, reverse=True):
        text = text.replace(html.escape(value), " ").replace(value, " ")
    return re.sub(r"&\w+;", " ", text).replace(MARK, " ")


@pytest.mark.parametrize(("template", "language"), CASES)
def test_every_email_renders_in_every_shipped_language(template: str, language: str) -> None:
    # given
    context = _context(template)
    locale = rendering.choose_locale(language)

    # when
    email = rendering.render(template, context, locale)
    english = rendering.render(template, context)

    # then
    assert email.language == language
    assert email.subject
    assert "\n" not in email.subject
    assert f'<html lang="{language}">' in email.html
    # The context's values survive translation, but for those that are messages themselves.
    messages = {m.id for m in catalogue(language)}
    shown = [str(v) for v in context.values() if str(v) in english.text and v not in messages]
    assert [v for v in shown if v not in email.text] == []
    if language == rendering.SOURCE_LANGUAGE:
        assert email == english
        return
    assert email.subject != english.subject
    for part, english_part in ((email.text, english.text), (email.html, english.html)):
        assert part != english_part
        leaked = [run for run in _english_words(language) if run in part]
        assert not leaked, f"English left in the {language} {template}: {leaked}"


@pytest.mark.parametrize("template", sorted(rendering.template_names()))
def test_every_sentence_of_every_email_is_a_message(template: str) -> None:
    # given: a "language" in which every message is a mark
    context = _context(template)
    env = rendering.make_environment(_Marking())

    # when
    email = rendering.render_with(env, template, context, rendering.choose_locale("en"))

    # then: nothing with letters is left outside the messages and the context
    for part in (email.subject, email.text, email.html):
        words = re.findall(r"[^\W\d_]{2,}", _leftover(part, context))
        assert not words, f"{template}: words no catalogue can translate: {words}"


@pytest.mark.parametrize(
    ("requested", "language", "formats_as"),
    [
        ("es", "es", "es"),
        ("es-MX", "es", "es_MX"),
        ("ES_mx", "es", "es_MX"),
        ("en-GB", "en", "en_GB"),
        ("fr", "en", "en"),
        ("pt-BR", "en", "en"),
        ("", "en", "en"),
        (None, "en", "en"),
        ("not a language", "en", "en"),
    ],
)
def test_the_language_falls_back_to_what_is_shipped(
    requested: str | None, language: str, formats_as: str
) -> None:
    # when
    chosen = rendering.choose_locale(requested)

    # then
    assert chosen.language == language
    assert str(chosen.locale) == formats_as


def test_an_unshipped_language_falls_back_to_the_operators_default() -> None:
    # when
    french = rendering.choose_locale("fr-CA", default="es")
    nonsense = rendering.choose_locale("fr-CA", default="xx")

    # then: the default's catalogue and its formats, not French ones
    assert (french.language, str(french.locale)) == ("es", "es")
    assert (nonsense.language, str(nonsense.locale)) == ("en", "en")


def test_a_consumer_with_an_unshipped_language_reads_english() -> None:
    # when
    email = rendering.render("case_closed", CONTEXTS["case_closed"], rendering.choose_locale("fr"))

    # then
    assert email.language == "en"
    assert email.subject == "[CS0001001] Your case is closed"
    assert "Hello Ann," in email.text


def test_dates_are_written_for_the_locale_in_the_time_zone() -> None:
    # given: noon UTC, which is 13:00 in Madrid and 06:00 in Mexico City
    context = {**CONTEXTS["data_export_ready"], "expires": "2030-01-31T12:00:00+00:00"}

    # when
    madrid = rendering.render(
        "data_export_ready", context, rendering.choose_locale("es", time_zone="Europe/Madrid")
    )
    mexico = rendering.render(
        "data_export_ready",
        context,
        rendering.choose_locale("es-MX", time_zone="America/Mexico_City"),
    )
    english = rendering.render(
        "data_export_ready", context, rendering.choose_locale("en", time_zone="UTC")
    )

    # then
    assert "31 de enero de 2030, 13:00" in madrid.text
    assert "31 de enero de 2030, 6:00" in mexico.text
    assert "January 31, 2030" in english.text
    assert "12:00" in english.text
    assert "UTC" in english.text
    assert "2030-01-31" not in madrid.text + mexico.text + english.text


def test_a_date_crossing_midnight_in_the_time_zone_is_the_local_day() -> None:
    # given: late on the 31st in UTC is the 1st in Tokyo
    context = {**CONTEXTS["data_export_ready"], "expires": "2030-01-31T20:00:00Z"}

    # when
    email = rendering.render(
        "data_export_ready", context, rendering.choose_locale("en", time_zone="Asia/Tokyo")
    )

    # then
    assert "February 1, 2030" in email.text
    assert "5:00" in email.text


def test_a_day_without_time_is_a_long_date() -> None:
    # when
    spanish = rendering.render("survey", CONTEXTS["survey"], rendering.choose_locale("es"))
    english = rendering.render("survey", CONTEXTS["survey"], rendering.choose_locale("en"))

    # then
    assert "hasta el 31 de enero de 2030:" in spanish.text
    assert "until January 31, 2030:" in english.text


def test_a_date_queued_in_an_older_form_is_shown_as_it_was() -> None:
    # when: an email queued before dates were ISO
    email = rendering.render(
        "data_export_ready", CONTEXTS["data_export_ready"], rendering.choose_locale("es")
    )

    # then
    assert "hasta el 2030-01-31 12:00 UTC:" in email.text


def test_numbers_and_plurals_follow_the_locale() -> None:
    # given
    one = {**CONTEXTS["case_solution_proposed"], "auto_close_days": 1}
    many = {**CONTEXTS["case_solution_proposed"], "auto_close_days": 1500}

    # when
    es_one = rendering.render("case_solution_proposed", one, rendering.choose_locale("es"))
    es_many = rendering.render("case_solution_proposed", many, rendering.choose_locale("es"))
    en_one = rendering.render("case_solution_proposed", one, rendering.choose_locale("en"))
    en_many = rendering.render("case_solution_proposed", many, rendering.choose_locale("en"))

    # then
    assert "se cierra en 1 día." in es_one.text
    assert "se cierra en 1.500 días." in es_many.text
    assert "closes after 1 day." in en_one.text
    assert "closes after 1,500 days." in en_many.text


def test_the_html_escapes_the_context_in_a_translated_sentence() -> None:
    # when
    email = rendering.render(
        "case_created",
        {**CONTEXTS["case_created"], "consumer_name": "<b>Ann</b>"},
        rendering.choose_locale("es"),
    )

    # then
    assert "para &lt;b&gt;Ann&lt;/b&gt;:" in email.html
    assert "<b>Ann</b>" not in email.html
    assert "para <b>Ann</b>:" in email.text


def test_an_internal_author_is_named_in_the_recipients_language() -> None:
    # given: a reply from staff, whose name the email does not give
    context = {**CONTEXTS["case_commented"], "author": ""}

    # when
    spanish = rendering.render("case_commented", context, rendering.choose_locale("es"))
    english = rendering.render("case_commented", context, rendering.choose_locale("en"))

    # then
    assert "de nuestro equipo de atención" in spanish.text
    assert "from our service team:" in english.text


def test_every_email_date_filter_takes_a_datetime_too() -> None:
    # when: a template given a datetime object rather than its ISO text
    moment = dt.datetime(2030, 1, 31, 12, tzinfo=dt.UTC)
    email = rendering.render(
        "data_export_ready",
        {**CONTEXTS["data_export_ready"], "expires": moment},
        rendering.choose_locale("es"),
    )

    # then
    assert "31 de enero de 2030, 12:00" in email.text


def test_an_unknown_time_zone_is_refused_when_the_service_starts() -> None:
    # when / then
    assert Settings(mail_time_zone="America/Mexico_City").mail_time_zone == "America/Mexico_City"
    with pytest.raises(ValidationError, match="MAIL_TIME_ZONE"):
        Settings(mail_time_zone="Mars/Olympus_Mons")
