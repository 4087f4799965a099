"""Queries of custom fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.customfields import services
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.types import CustomFieldDefinition, CustomFieldEntity
from csm_graph.schema.permissions import IsInternal, restricted_field


@strawberry.type
class CustomFieldsQuery:
    @restricted_field("The custom fields defined, by entity then key.", IsInternal)
    async def custom_field_definitions(
        self,
        info: Info,
        entity: Annotated[
            CustomFieldEntity | None,
            strawberry.argument(description="Only this entity's fields."),
        ] = None,
        include_retired: Annotated[
            bool, strawberry.argument(description="Also the retired fields.")
        ] = False,
    ) -> list[CustomFieldDefinition]:
        found = await services.definitions(entity, include_retired=include_retired)
        return [CustomFieldDefinition.from_model(f) for f in found]
