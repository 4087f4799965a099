"""Email templates: Jinja2 files under `templates/`, three per email.

`<name>.subject.txt`, `<name>.txt` and `<name>.html`. HTML is autoescaped;
a variable the template uses but the context lacks is an error, not a blank.

Every sentence is a `{% trans %}` block (or `_("...")`), written in English,
the source language. The other languages are gettext catalogues under
`locale/<language>/LC_MESSAGES/messages.po`, compiled to `messages.mo` next
to them; a language is shipped when its compiled catalogue is. Dates and
numbers pass through the `datetime` and `number` filters, which format them
for the email's locale and time zone. See docs/emails-i18n.md.
"""

from __future__ import annotations

import datetime as dt
import gettext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

TEMPLATE_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
"""The language the templates are written in: it needs no catalogue."""
_SUFFIXES = (".subject.txt", ".txt", ".html")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    reply_to: str = ""
    """Where replies go: the context's `reply_address` (a case's signed address
    when mail comes in, see `mailin.replyaddress`), else nowhere special."""
    language: str = SOURCE_LANGUAGE
    """The catalogue the email was written from (`en`, `es`)."""


@dataclass(frozen=True, slots=True)
class EmailLocale:
    """The language an email is written in, and how its dates and numbers look."""

    language: str
    """A shipped catalogue."""
    locale: Locale
    """For dates and numbers: the recipient's own (`es_MX`) when it is of that language."""
    time_zone: ZoneInfo


def shipped_languages() -> frozenset[str]:
    """English, and every language with a compiled catalogue."""
    compiled = LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
    return frozenset({SOURCE_LANGUAGE, *(p.parent.parent.name for p in compiled)})


def _parse(tag: str | None) -> Locale | None:
    """`es-MX`, `es_mx`, `ES`: a locale Babel knows; None for anything else."""
    if not tag or not tag.strip():
        return None
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _catalogue_for(locale: Locale | None, shipped: frozenset[str]) -> str | None:
    if locale is None:
        return None
    for candidate in (str(locale), locale.language):
        if candidate in shipped:
            return candidate
    return None


def choose_locale(
    requested: str | None, *, default: str = SOURCE_LANGUAGE, time_zone: str = "UTC"
) -> EmailLocale:
    """The recipient's language when it is shipped (`es-MX` has `es`), else
    `default` when that is shipped, else English; formatted in `time_zone`
    (UTC when that is not a known zone)."""
    shipped = shipped_languages()
    wanted = _parse(requested)
    language = (
        _catalogue_for(wanted, shipped)
        or _catalogue_for(_parse(default), shipped)
        or SOURCE_LANGUAGE
    )
    locale = wanted if wanted is not None and wanted.language == language.split("_")[0] else None
    return EmailLocale(
        language=language, locale=locale or Locale.parse(language), time_zone=_zone(time_zone)
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language` (English: the templates' own words)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if language == SOURCE_LANGUAGE and not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)


@cache
def _environment(language: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    return make_environment(translations(language))


def make_environment(messages: gettext.NullTranslations) -> jinja2.Environment:
    """The templates' environment, its sentences translated by `messages`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # A message is one line of words however the template wraps it.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(messages, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = _format_datetime
    env.filters["number"] = _format_number
    return env


LOCALE_KEY = "email_locale"
"""The context entry the filters read the email's `EmailLocale` from."""


@jinja2.pass_context
def _format_datetime(context: jinja2.runtime.Context, value: object) -> str:
    """An ISO date (`2030-01-31`) or date and time (`2030-01-31T12:00:00+00:00`,
    UTC when it names no offset), written the locale's long way, times in the
    email's time zone with its name. Anything else is shown as it is (an email
    queued before its context held ISO dates)."""
    where: EmailLocale = context[LOCALE_KEY]
    moment: dt.date | dt.datetime
    if isinstance(value, dt.date):
        moment = value
    else:
        try:
            text = str(value)
            moment = (
                dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
            )
        except ValueError:
            return str(value)
    if not isinstance(moment, dt.datetime):
        return format_date(moment, "long", locale=where.locale)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(where.time_zone)
    day = format_date(local, "long", locale=where.locale)
    time = format_time(local, "short", locale=where.locale)
    zone = format_time(local, "z", locale=where.locale)
    pattern = str(where.locale.datetime_formats["long"]).replace("'", "")
    return pattern.replace("{1}", day).replace("{0}", f"{time} {zone}")


@jinja2.pass_context
def _format_number(context: jinja2.runtime.Context, value: int | float) -> str:
    where: EmailLocale = context[LOCALE_KEY]
    return format_decimal(value, locale=where.locale)


def template_names() -> frozenset[str]:
    """Every email that has all three files (names starting with `_` are layouts)."""
    names = {p.name.removesuffix(".html") for p in TEMPLATE_DIR.glob("*.html")}
    return frozenset(
        n
        for n in names
        if not n.startswith("_") and all((TEMPLATE_DIR / f"{n}{s}").exists() for s in _SUFFIXES)
    )


def render(
    template: str, context: dict[str, Any], locale: EmailLocale | None = None
) -> RenderedEmail:
    """Subject (one line), plain text and HTML of email `template` with `context`,
    in `locale` (English in UTC when not given)."""
    if template not in template_names():
        raise LookupError(f"no email template {template!r}")
    where = locale or choose_locale(SOURCE_LANGUAGE)
    return render_with(_environment(where.language), template, context, where)


def render_with(
    env: jinja2.Environment, template: str, context: dict[str, Any], where: EmailLocale
) -> RenderedEmail:
    """`render` in the environment `env` (`make_environment`)."""
    values = {**context, LOCALE_KEY: where, "html_lang": where.locale.language}
    subject = env.get_template(f"{template}.subject.txt").render(values)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{template}.txt").render(values),
        html=env.get_template(f"{template}.html").render(values),
        language=where.language,
        reply_to=str(context.get("reply_address") or ""),
    )
