"""Per-case reply addresses: `support+c42-<signature>@example.com`.

The tag names the case and carries an HMAC of it under the app's secret, so
an address cannot be guessed or made up for another case; only one we gave
out (in an email about that case) leads to it.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from csm_graph.settings import Settings

SIGNATURE_HEX = 20
"""80 bits of HMAC-SHA256: far beyond guessing, short enough for a local part."""
TAG = re.compile(r"c(\d{1,12})-([0-9a-f]{20})")


def _signature(settings: Settings, case_id: int) -> str:
    key = settings.resolved_secret_key().encode()
    digest = hmac.new(key, f"mail-in reply:{case_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_HEX]


def reply_address(settings: Settings, case_id: int) -> str | None:
    """The address replies about the case go to; None without MAIL_IN_ADDRESSES."""
    if not settings.mail_in_addresses:
        return None
    local, _, domain = settings.mail_in_addresses[0].lower().partition("@")
    return f"{local}+c{case_id}-{_signature(settings, case_id)}@{domain}"


def case_of_address(settings: Settings, address: str) -> int | None:
    """The case a reply address names when its signature holds; None otherwise
    (no tag, a made-up or altered one, or not one of our addresses)."""
    local, _, domain = address.lower().partition("@")
    base, plus, tag = local.partition("+")
    if not plus or f"{base}@{domain}" not in accepted_addresses(settings):
        return None
    found = TAG.fullmatch(tag)
    if found is None:
        return None
    case_id = int(found.group(1))
    if not hmac.compare_digest(found.group(2), _signature(settings, case_id)):
        return None
    return case_id


def accepted_addresses(settings: Settings) -> frozenset[str]:
    return frozenset(a.strip().lower() for a in settings.mail_in_addresses if "@" in a)


def is_ours(settings: Settings, address: str) -> bool:
    """Whether mail for `address` is accepted: a configured address, or its `+tag` form."""
    local, _, domain = address.strip().lower().partition("@")
    base = local.partition("+")[0]
    return f"{base}@{domain}" in accepted_addresses(settings)
