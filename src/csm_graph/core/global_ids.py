"""Relay global ids: base64 of `TypeName:pk`, as the API gives them.

Here, below the schema, so services that speak of objects to other systems
(webhooks) name them as `node(id:)` loads them without importing the schema.
"""

from __future__ import annotations

import base64
import binascii

from csm_graph.db import MAX_KEY


def to_global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def from_global_id(value: str) -> tuple[str, int]:
    """(type name, pk); raises ValueError for anything that is not one of ours."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
        type_name, _, raw_pk = decoded.partition(":")
        pk = int(raw_pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"not a global id: {value!r}") from None
    if not type_name or not 1 <= pk <= MAX_KEY:
        raise ValueError(f"not a global id: {value!r}")
    return type_name, pk
