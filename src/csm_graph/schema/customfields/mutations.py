"""Mutations of custom fields."""

from __future__ import annotations

import strawberry

from csm_graph.customfields import services
from csm_graph.customfields.models import CustomField
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.inputs import CustomFieldDefineInput, CustomFieldRetireInput
from csm_graph.schema.customfields.rules import RULES
from csm_graph.schema.customfields.types import CustomFieldDefinition
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.permissions import IsAdmin


@strawberry.type(description="A custom field's definition, or why the change was refused.")
class CustomFieldPayload:
    custom_field: CustomFieldDefinition | None = strawberry.field(
        default=None, description="The definition as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")

    @classmethod
    def of(cls, field: CustomField) -> CustomFieldPayload:
        return cls(custom_field=CustomFieldDefinition.from_model(field))


@strawberry.type
class CustomFieldsMutation:
    @mutation(
        "Define a custom field of consumers or cases, or change the one with that key: "
        "its label, options and who reads and writes it (rules of the field policy, by name).",
        IsAdmin,
    )
    async def custom_field_define(
        self, info: Info, input: CustomFieldDefineInput
    ) -> CustomFieldPayload:
        draft = services.FieldDraft(
            entity=input.entity,
            key=input.key,
            label=input.label,
            type=input.type,
            options=tuple(input.options or ()),
            read_rules=tuple(input.read_rules),
            write_rules=tuple(input.write_rules),
        )
        field = await services.define(info.context.viewer, draft, RULES[input.entity])
        return CustomFieldPayload.of(field)

    @mutation(
        "Retire a custom field: no longer shown, set, filtered or sorted by; its values "
        "stay, and defining the key again brings it back.",
        IsAdmin,
    )
    async def custom_field_retire(
        self, info: Info, input: CustomFieldRetireInput
    ) -> CustomFieldPayload:
        field = await services.retire(info.context.viewer, input.entity, input.key)
        return CustomFieldPayload.of(field)
