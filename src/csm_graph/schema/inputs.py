"""Helpers for mutation inputs."""

from __future__ import annotations

import dataclasses
from typing import Any

from strawberry.types.unset import UNSET


def given(data: object, *, rename: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields of an input object the client actually sent (UNSET ones left out),
    keyed by their Python names, enums turned into their values."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(data):  # type: ignore[arg-type]
        value = getattr(data, f.name)
        if value is UNSET:
            continue
        if isinstance(value, list):
            value = [getattr(v, "value", v) for v in value]
        elif hasattr(value, "value") and not isinstance(value, str | int | float | bool):
            value = value.value
        out[(rename or {}).get(f.name, f.name)] = value
    return out
