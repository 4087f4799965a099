from __future__ import annotations

from typing import Any

import jinja2
import pytest

from csm_graph.notifications import rendering

LINK = "https://portal.example.com/t/abc?x=1&y=2"
CASE = {"name": "Ann", "link": LINK, "number": "CS0001001", "short_description": "No signal"}

CONTEXTS: dict[str, dict[str, Any]] = {
    "verify_email": {"name": "Ann", "link": LINK},
    "already_registered": {
        "name": "Ann",
        "login_link": "https://portal.example.com/login",
        "reset_link": LINK,
    },
    "password_reset": {"name": "Ann", "link": LINK},
    "set_password": {"name": "Ann", "link": LINK},
    "email_change_confirm": {"name": "Ann", "link": LINK},
    "email_change_notice": {"name": "Ann", "new_email": "ann@example.org", "link": LINK},
    "consumer_login_closed": {
        "name": "Ann",
        "email": "ann.old@example.org",
        "kept_hint": "a…@example.com",
        "link": LINK,
    },
    "case_created": {**CASE, "consumer_name": "Ann Lee"},
    "case_commented": {**CASE, "body": "Try this.", "author": "our service team"},
    "case_info_requested": {**CASE, "body": "Which model?"},
    "case_solution_proposed": {**CASE, "notes": "Reset it.", "auto_close_days": 7},
    "case_closed": CASE,
    "survey": {**CASE, "expires": "2030-01-31"},
    "sla_breach": {**CASE, "which": "resolution", "team": "Care", "priority": 1},
    "data_export_ready": {"name": "Ann", "link": LINK, "expires": "2030-01-31 12:00 UTC"},
    "webhook_endpoint_disabled": {
        "name": "Ann",
        "link": LINK,
        "url": "https://crm.example.com/hooks",
        "reason": "20 delivery attempts in a row failed.",
    },
    # To an address that may have no login yet: no name to greet.
    "delegation_invite": {
        "inviter": "Ann Lee",
        "scope": "READ_AND_ACT",
        "ends_on": "2030-03-31",
        "expires": "2030-01-14",
        "link": LINK,
    },
    # To the consumer, when someone accepted their invitation: nothing to click.
    "delegation_accepted": {
        "name": "Ann Lee",
        "delegate": "Bo Lund",
        "scope": "READ_AND_ACT",
        "ends_on": "2030-03-31",
    },
    # Nothing to click: it tells both sides when the delegation ends.
    "delegation_reminder": {
        "name": "Ann",
        "consumer": "Ann Lee",
        "delegate": "Bo Lund",
        "scope": "READ",
        "ends_on": "2030-03-31",
    },
}


def test_every_template_has_subject_text_and_html() -> None:
    assert rendering.template_names() == set(CONTEXTS)


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_template_renders_its_context(template: str) -> None:
    # given
    context = CONTEXTS[template]

    # when
    email = rendering.render(template, context)

    # then
    assert email.subject
    assert "\n" not in email.subject
    assert len(email.subject) <= 60
    greeting = f"Hello {context['name']}," if "name" in context else "Hello,"
    assert greeting in email.text
    assert greeting in email.html
    if "link" in context:
        assert LINK in email.text
        assert 'href="https://portal.example.com/t/abc?x=1&amp;y=2"' in email.html


def test_html_escapes_the_context_and_text_keeps_it() -> None:
    # when
    email = rendering.render("verify_email", {"name": "<b>Ann</b>", "link": LINK})

    # then
    assert "&lt;b&gt;Ann&lt;/b&gt;" in email.html
    assert "<b>Ann</b>" not in email.html
    assert "Hello <b>Ann</b>," in email.text


def test_a_missing_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        rendering.render("password_reset", {"name": "Ann"})


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(LookupError):
        rendering.render("_layout", {})
