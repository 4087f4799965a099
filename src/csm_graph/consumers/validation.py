"""Validation of consumer fields, shared by the API, the import and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from csm_graph import clock
from csm_graph.consumers.models import SlaLevel
from csm_graph.errors import ErrorCode, ErrorList, UserErrors
from csm_graph.validation import normalize_email, normalize_phone, require_text, split_full_name

NAME_FIELDS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
IDENTITY_FIELDS = (*NAME_FIELDS, "email", "phone")
"""Kept equal on a consumer and its linked user."""

TEXT_LIMITS = {
    "prefix": 40,
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "suffix": 40,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
TWITTER = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")


def _url(field: str, value: str, domain: str) -> str:
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not (host == domain or host.endswith("." + domain)):
        raise UserErrors.one(field, f"Expected a {domain} address (https://...).")
    return value


def _date_of_birth(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise UserErrors.one("date_of_birth", "Expected a date as YYYY-MM-DD.") from None
    if not isinstance(value, dt.date):
        raise UserErrors.one("date_of_birth", "Expected a date.")
    if value > clock.today() or value.year < 1900:
        raise UserErrors.one("date_of_birth", "Not a plausible date of birth.")
    return value


def clean(data: dict[str, Any], region: str) -> dict[str, Any]:
    """Validated, normalised consumer fields from `data`, keyed by model field.

    Only the keys present in `data` come back. A `full_name` is parsed into
    the name parts (explicit parts win). Every problem is reported at once,
    each naming its GraphQL field.
    """
    errors = ErrorList()
    out: dict[str, Any] = {}

    def attempt(field: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            out[field] = fn(*args, **kwargs)
        except UserErrors as exc:
            errors.errors.extend(exc.errors)

    if data.get("full_name"):
        parts = split_full_name(str(data["full_name"]))
        for key, value in parts.items():
            if data.get(key) in (None, ""):
                out[key] = value[: TEXT_LIMITS[key]]
    for field, limit in TEXT_LIMITS.items():
        if field in data and data[field] is not None:
            attempt(
                field,
                require_text,
                field,
                str(data[field]),
                max_length=limit,
                required=False,
            )
    for field in ("email", "personal_email"):
        if field in data and data[field] is not None:
            if str(data[field]).strip():
                attempt(field, normalize_email, field, str(data[field]))
            else:
                out[field] = ""
    for field in ("phone", "mobile_phone"):
        if field in data and data[field] is not None:
            attempt(field, normalize_phone, field, str(data[field]), region)
    if "country" in data and data["country"] is not None:
        country = str(data["country"]).strip().upper()
        if country and country not in phonenumbers.SUPPORTED_REGIONS:
            errors.add("address.country", "Expected an ISO 3166 two-letter country code.")
        out["country"] = country
    if "date_of_birth" in data:
        attempt("date_of_birth", _date_of_birth, data["date_of_birth"])
    if data.get("preferred_language") is not None:
        language = str(data["preferred_language"]).strip()
        if not LANGUAGE.match(language):
            errors.add("preferred_language", "Expected a language tag such as en or pt-BR.")
        out["preferred_language"] = language
    if data.get("sla_level") is not None:
        try:
            out["sla_level"] = SlaLevel(str(data["sla_level"]).strip().upper())
        except ValueError:
            errors.add("sla_level", "Expected BRONZE, SILVER, GOLD or PLATINUM.")
    if data.get("twitter_handle") is not None:
        handle = str(data["twitter_handle"]).strip()
        match = TWITTER.match(handle)
        if handle and not match:
            errors.add("twitter_handle", "Expected a handle of up to 15 letters, digits or _.")
        out["twitter_handle"] = match.group(1) if match else ""
    for field, domain in (("facebook_url", "facebook.com"), ("linkedin_url", "linkedin.com")):
        if data.get(field) is not None:
            value = str(data[field]).strip()
            if value:
                attempt(field, _url, field, value, domain)
            else:
                out[field] = ""
    if data.get("external_id") is not None:
        external_id = str(data["external_id"]).strip()
        if external_id and not EXTERNAL_ID.match(external_id):
            errors.add("external_id", "Letters, digits and . _ : / - only, at most 64.")
        out["external_id"] = external_id or None
    for field in ("notify_email", "notify_sms", "is_active"):
        if data.get(field) is not None:
            out[field] = bool(data[field])
    errors.raise_if_any()
    return out


def require_name(values: dict[str, Any]) -> None:
    if not (values.get("first_name") or values.get("last_name")):
        raise UserErrors.one("last_name", "A name is required.", ErrorCode.REQUIRED)
