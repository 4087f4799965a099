"""Validation and normalisation shared by every domain.

Each function takes the GraphQL field name it validates, so the error it
raises names that field.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from nameparser import HumanName
from tortoise.models import Model

from csm_graph.errors import BadRequest, ErrorCode, UserErrors

SEARCH_MAX_LENGTH = 200
"""Longest search term: longer ones find nothing useful and cost much (SQLite
refuses a LIKE pattern of tens of thousands of characters)."""


def search_term(value: str) -> str:
    term = value.strip()
    if len(term) > SEARCH_MAX_LENGTH:
        raise BadRequest(f"`search` may be at most {SEARCH_MAX_LENGTH} characters.")
    return term


def fits(model: type[Model], field: str, value: str) -> bool:
    """Whether `value` fits the column: a longer one cannot be stored, so no row has it."""
    max_length = model._meta.fields_map[field].max_length  # type: ignore[attr-defined]
    return max_length is None or len(value) <= int(max_length)


def normalize_email(field: str, value: str) -> str:
    """A syntactically valid address, lower-cased (emails compare case-insensitively)."""
    value = value.strip()
    if not value:
        raise UserErrors.one(field, "Email is required.", ErrorCode.REQUIRED)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise UserErrors.one(field, f"Not a valid email address: {exc}") from None
    return result.normalized.lower()


def normalize_phone(field: str, value: str, region: str) -> str:
    """The number in E.164 (`+14155550123`); empty stays empty."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise UserErrors.one(field, f"Not a phone number: {value!r}.") from None
    if not phonenumbers.is_valid_number(number):
        raise UserErrors.one(field, f"Not a valid phone number: {value!r}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def require_text(field: str, value: str | None, *, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise UserErrors.one(field, "This field is required.", ErrorCode.REQUIRED)
    if len(text) > max_length:
        raise UserErrors.one(field, f"At most {max_length} characters.")
    return text


def check_password(field: str, value: str) -> str:
    if len(value) < 10:
        raise UserErrors.one(field, "Password must have at least 10 characters.")
    if len(value) > 256:
        raise UserErrors.one(field, "Password must have at most 256 characters.")
    return value


def split_full_name(value: str) -> dict[str, str]:
    """Name parts from one string.

    "Ms. Ann B. Lee Jr." gives prefix, first, middle, last and suffix.
    """
    name = HumanName(value.strip())
    return {
        "prefix": name.title,
        "first_name": name.first,
        "middle_name": name.middle,
        "last_name": name.last,
        "suffix": name.suffix,
    }
