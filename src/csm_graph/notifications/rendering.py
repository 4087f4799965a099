"""Email templates: Jinja2 files under `templates/`, three per email.

`<name>.subject.txt`, `<name>.txt` and `<name>.html`. HTML is autoescaped;
a variable the template uses but the context lacks is an error, not a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"
_SUFFIXES = (".subject.txt", ".txt", ".html")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    reply_to: str = ""
    """Where replies go: the context's `reply_address` (a case's signed address
    when mail comes in, see `mailin.replyaddress`), else nowhere special."""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def template_names() -> frozenset[str]:
    """Every email that has all three files (names starting with `_` are layouts)."""
    names = {p.name.removesuffix(".html") for p in TEMPLATE_DIR.glob("*.html")}
    return frozenset(
        n
        for n in names
        if not n.startswith("_") and all((TEMPLATE_DIR / f"{n}{s}").exists() for s in _SUFFIXES)
    )


def render(template: str, context: dict[str, Any]) -> RenderedEmail:
    """Subject (one line), plain text and HTML of email `template` with `context`."""
    if template not in template_names():
        raise LookupError(f"no email template {template!r}")
    env = _environment()
    subject = env.get_template(f"{template}.subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=env.get_template(f"{template}.txt").render(context),
        html=env.get_template(f"{template}.html").render(context),
        reply_to=str(context.get("reply_address") or ""),
    )
