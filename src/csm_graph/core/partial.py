"""Typed service inputs that tell "not given" apart from None.

A mutation input separates a field the client left out (leave it as it is,
or use the default) from one it sent as null. The services keep that
difference. A plain dict kept it too, but took any key with any value: a
misspelt key was silently ignored. A `Partial` names every field the service
accepts, with its type, so mypy checks each call site; a field that was not
given holds `KEEP`, and `given()` gives back only the others, as the dict the
services work with.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Final, Literal, TypeAlias


class _Sentinel(Enum):
    KEEP = "KEEP"

    def __repr__(self) -> str:
        return self.name


KEEP: Final = _Sentinel.KEEP
"""The field was not given: leave it as it is, or use the default."""

Keep: TypeAlias = Literal[_Sentinel.KEEP]
"""The type of `KEEP`, for field annotations such as `str | Keep | None`."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Partial:
    """A service's input: each field a value, None, or `KEEP` (not given)."""

    def given(self) -> dict[str, Any]:
        """The given fields (those not `KEEP`), by name."""
        return {
            f.name: value
            for f in dataclasses.fields(self)
            if (value := getattr(self, f.name)) is not KEEP
        }


@dataclasses.dataclass(frozen=True, kw_only=True)
class NameParts(Partial):
    """A person's name in parts, as users and consumers hold it."""

    prefix: str | Keep | None = KEEP
    first_name: str | Keep | None = KEEP
    middle_name: str | Keep | None = KEEP
    last_name: str | Keep | None = KEEP
    suffix: str | Keep | None = KEEP


@dataclasses.dataclass(frozen=True, kw_only=True)
class AddressParts(Partial):
    """A postal address in parts, as consumers and households hold it."""

    address_line1: str | Keep | None = KEEP
    address_line2: str | Keep | None = KEEP
    city: str | Keep | None = KEEP
    region: str | Keep | None = KEEP
    postal_code: str | Keep | None = KEEP
    country: str | Keep | None = KEEP


ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AddressParts))
"""The columns of a postal address, as consumers and households hold it."""
