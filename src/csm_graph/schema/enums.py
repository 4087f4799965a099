"""Registering the domain's Python enums as GraphQL enums, with descriptions.

The domain enums stay plain `enum.Enum`s (models and services use them);
GraphQL learns their names and what each value means here, in the schema
layer. A member left without a description shows up, by name, in
`tests/schema/test_descriptions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=Enum)


def register_enum(cls: type[E], *, name: str, description: str, values: Mapping[E, str]) -> None:
    """`strawberry.enum(cls, ...)` plus one description per member."""
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values.get(cls[value.name])
