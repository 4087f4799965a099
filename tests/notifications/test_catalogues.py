"""The message catalogues keep up with the templates.

Every message of every template (found the way `pybabel extract` finds it,
with the repository's `babel.cfg`) is in the extracted template and in each
language's catalogue; in a language other than English it is translated, not
fuzzy, with the same placeholders; and each compiled catalogue says what its
source says. A template added or changed without running the commands of
docs/emails-i18n.md fails here, naming the messages.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from csm_graph.notifications import rendering

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
POT = rendering.LOCALE_DIR / f"{rendering.DOMAIN}.pot"
LANGUAGES = sorted(p.name for p in rendering.LOCALE_DIR.iterdir() if p.is_dir())
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

MessageId = str | tuple[str, ...]


def _key(message_id: str | tuple[str, ...] | list[str]) -> MessageId:
    return message_id if isinstance(message_id, str) else tuple(message_id)


def extracted() -> set[MessageId]:
    """The messages the templates hold now."""
    with MAPPING.open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(
        str(rendering.TEMPLATE_DIR.parent), method_map, options_map, strip_comment_tags=True
    )
    return {_key(message) for _, _, message, _, _ in found}


def catalogue(language: str) -> Catalog:
    path = rendering.LOCALE_DIR / language / "LC_MESSAGES" / f"{rendering.DOMAIN}.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def _messages(catalog: Catalog) -> dict[MessageId, Message]:
    return {_key(m.id): m for m in catalog if m.id}


def _names(texts: Iterable[str]) -> set[str]:
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def _listing(ids: Iterable[MessageId]) -> str:
    return "\n".join(sorted(repr(i) for i in ids))


def test_the_templates_have_messages_and_the_mapping_finds_them() -> None:
    # when
    messages = extracted()

    # then: the layout's and the button's, and one of each email
    assert "This is an automated message; replies are not read." in messages
    assert "If the button does not work, copy this address into your browser:" in messages
    assert "Hello %(name)s," in messages
    assert len(messages) > 2 * len(rendering.template_names())


def test_english_and_spanish_are_shipped() -> None:
    assert {"en", "es"} <= rendering.shipped_languages()
    assert set(LANGUAGES) == rendering.shipped_languages()


def test_the_extracted_template_is_current() -> None:
    # given
    with POT.open("rb") as pot:
        template = _messages(read_po(pot))

    # then
    missing, extra = extracted() - set(template), set(template) - extracted()
    assert not missing, f"not extracted into {POT.name} yet:\n{_listing(missing)}"
    assert not extra, f"in {POT.name} but in no template any more:\n{_listing(extra)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_in_the_catalogue(language: str) -> None:
    # given
    messages = _messages(catalogue(language))

    # then
    missing, extra = extracted() - set(messages), set(messages) - extracted()
    assert not missing, f"missing from the {language} catalogue:\n{_listing(missing)}"
    assert not extra, f"in the {language} catalogue but in no template:\n{_listing(extra)}"


@pytest.mark.parametrize("language", [x for x in LANGUAGES if x != rendering.SOURCE_LANGUAGE])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    # given
    catalog = catalogue(language)
    wanted = extracted()

    # when
    untranslated = [
        m.id for m in catalog if m.id and _key(m.id) in wanted and (m.fuzzy or not all(_strings(m)))
    ]
    misplaced = [
        m.id
        for m in catalog
        if m.id and all(_strings(m)) and any(_names(_ids(m)) != _names([s]) for s in _strings(m))
    ]

    # then
    assert not catalog.fuzzy, f"the {language} catalogue is marked fuzzy"
    assert not untranslated, (
        f"untranslated or fuzzy in {language}:\n{_listing(map(_key, untranslated))}"
    )
    assert not misplaced, f"placeholders differ in {language}:\n{_listing(map(_key, misplaced))}"


def _strings(message: Message) -> list[str]:
    string = message.string
    return [string] if isinstance(string, str) else list(string)


def _ids(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _compiled(catalog: Catalog) -> dict[str, str]:
    """What gettext reads from `catalog` once compiled (`pybabel compile`)."""
    data = io.BytesIO()
    write_mo(data, catalog)
    data.seek(0)
    return dict(gettext.GNUTranslations(data)._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    # given
    mo = rendering.LOCALE_DIR / language / "LC_MESSAGES" / f"{rendering.DOMAIN}.mo"
    assert mo.exists(), f"{language} is not compiled: pybabel compile"
    with mo.open("rb") as compiled:
        shipped = _compiled(read_mo(compiled))

    # then
    assert shipped == _compiled(catalogue(language)), (
        f"the compiled {language} catalogue is stale: pybabel compile"
    )


def test_a_catalogue_missing_a_message_is_caught() -> None:
    # given: the Spanish catalogue without one of its messages
    catalog = catalogue("es")
    dropped = "Hello %(name)s,"
    catalog.delete(dropped)

    # then: the comparison the tests above make finds it
    assert dropped in extracted() - set(_messages(catalog))
    assert _compiled(catalog) != _compiled(catalogue("es"))
