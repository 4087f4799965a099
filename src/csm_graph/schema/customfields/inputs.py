"""Inputs of custom fields: defining them, setting values, filtering and sorting."""

from __future__ import annotations

import strawberry

from csm_graph.schema.customfields.rules import DEFAULT_RULES
from csm_graph.schema.customfields.types import CustomFieldEntity, CustomFieldType


@strawberry.input(
    description="Define a custom field, or change the one with this entity and key: its "
    "label, options and rules (its type never changes); a retired field comes back."
)
class CustomFieldDefineInput:
    entity: CustomFieldEntity = strawberry.field(description="CONSUMER or CASE.")
    key: str = strawberry.field(
        description="Lower-case letters, digits and underscores, starting with a letter."
    )
    label: str = strawberry.field(description="The name people see, at most 120 characters.")
    type: CustomFieldType = strawberry.field(description="What the field holds.")
    options: list[str] | None = strawberry.field(
        default=None, description="A CHOICE field's values, in order (required for CHOICE)."
    )
    read_rules: list[str] = strawberry.field(
        default_factory=lambda: list(DEFAULT_RULES),
        description="Who reads it: names of field policy rules (any one admits). CONSUMER: "
        "internal_only, consumer_contact, consumer_service_level, consumer_login. CASE: "
        "internal_only, case_service_times, case_readers. Default internal_only.",
    )
    write_rules: list[str] = strawberry.field(
        default_factory=lambda: list(DEFAULT_RULES),
        description="Who sets it: names of field policy rules, as `readRules`. "
        "Default internal_only.",
    )


@strawberry.input(description="Retire a custom field: its values stay, hidden.")
class CustomFieldRetireInput:
    entity: CustomFieldEntity = strawberry.field(description="CONSUMER or CASE.")
    key: str = strawberry.field(description="The field's key.")


@strawberry.input(description="A custom field's new value on a consumer or case.")
class CustomFieldInput:
    key: str = strawberry.field(description="The field's key.")
    value: str | None = strawberry.field(
        default=None,
        description="In the type's canonical form (see `CustomFieldType`); null clears it.",
    )


@strawberry.input(description="Only records whose custom field has this value or range.")
class CustomFieldFilter:
    key: str = strawberry.field(description="The field's key (one the viewer reads).")
    equals: str | None = strawberry.field(
        default=None, description="Exactly this value, in the type's canonical form."
    )
    min: str | None = strawberry.field(
        default=None, description="At least this (NUMBER and DATE fields)."
    )
    max: str | None = strawberry.field(
        default=None, description="At most this (NUMBER and DATE fields)."
    )


@strawberry.input(
    description="Sort a list by a custom field's value: records without one come last, "
    "ties newest first."
)
class CustomFieldSort:
    key: str = strawberry.field(description="The field's key (one the viewer reads).")
    descending: bool = strawberry.field(
        default=False, description="Largest (or latest, or last) first."
    )
