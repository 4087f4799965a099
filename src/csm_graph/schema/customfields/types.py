"""GraphQL types of custom fields, and the `customFields` field of consumers and cases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.dataloader import DataLoader

from csm_graph.customfields import models, services
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.rules import may_read
from csm_graph.schema.enums import register_enum

if TYPE_CHECKING:
    from csm_graph.schema.context import Context

register_enum(
    models.CustomFieldEntity,
    name="CustomFieldEntity",
    description="The records a custom field belongs to.",
    values={
        models.CustomFieldEntity.CONSUMER: "Consumers (`Consumer.customFields`).",
        models.CustomFieldEntity.CASE: "Cases (`Case.customFields`).",
    },
)
register_enum(
    models.CustomFieldType,
    name="CustomFieldType",
    description="What a custom field holds, and the canonical form of its `value`.",
    values={
        models.CustomFieldType.TEXT: "Text, at most 1,000 characters, outer spaces trimmed.",
        models.CustomFieldType.NUMBER: "A decimal number such as `1250` or `-3.75` "
        "(a 64-bit float: integers are exact below 10^15).",
        models.CustomFieldType.DATE: "A calendar date, `YYYY-MM-DD`.",
        models.CustomFieldType.BOOLEAN: "`true` or `false`.",
        models.CustomFieldType.CHOICE: "One of the field's `options`, exactly.",
    },
)
CustomFieldEntity = models.CustomFieldEntity
CustomFieldType = models.CustomFieldType

FieldValues = tuple[list[models.CustomField], dict[int, str]]


@strawberry.type(description="A custom field of a consumer or case, and its value on this record.")
class CustomFieldValue:
    key: str = strawberry.field(description="The field's key, unique per entity.")
    label: str = strawberry.field(description="The field's name for people.")
    type: CustomFieldType = strawberry.field(description="What the field holds.")
    value: str | None = strawberry.field(
        description="The value in its type's canonical form (see `CustomFieldType`); "
        "null when not set."
    )


@strawberry.type(description="The definition of a custom field (internal users).")
class CustomFieldDefinition:
    entity: CustomFieldEntity = strawberry.field(description="CONSUMER or CASE.")
    key: str = strawberry.field(description="Unique per entity; never changes.")
    label: str = strawberry.field(description="The name people see.")
    type: CustomFieldType = strawberry.field(description="What the field holds; never changes.")
    options: list[str] = strawberry.field(description="A CHOICE field's values, in order.")
    read_rules: list[str] = strawberry.field(
        description="Names of field policy rules; a viewer any of them admits reads the field."
    )
    write_rules: list[str] = strawberry.field(
        description="Names of field policy rules; a viewer any of them admits sets the field."
    )
    retired_at: dt.datetime | None = strawberry.field(
        description="When it was retired (no longer shown or set); null while in use."
    )
    updated_at: dt.datetime = strawberry.field(description="When the definition last changed.")

    @classmethod
    def from_model(cls, f: models.CustomField) -> CustomFieldDefinition:
        return cls(
            entity=f.entity,
            key=f.key,
            label=f.label,
            type=f.type,
            options=list(f.options),
            read_rules=list(f.read_rules),
            write_rules=list(f.write_rules),
            retired_at=f.retired_at,
            updated_at=f.updated_at,
        )


class CustomFieldValuesLoader(DataLoader[tuple[models.CustomFieldEntity, int], FieldValues]):
    """The active fields and one record's values, for a whole page of records
    in two queries per entity."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(
        self, keys: Sequence[tuple[models.CustomFieldEntity, int]]
    ) -> list[FieldValues]:
        ids: dict[models.CustomFieldEntity, list[int]] = defaultdict(list)
        for entity, object_id in keys:
            ids[entity].append(object_id)
        found = {
            entity: await services.values_of(entity, sorted(set(i))) for entity, i in ids.items()
        }
        out = []
        for entity, object_id in keys:
            fields, values = found[entity]
            out.append((fields, values[object_id]))
        return out


def custom_fields_of(entity: models.CustomFieldEntity, description: str) -> Any:
    """The `customFields` field of a consumer or a case: every field in use that
    the viewer may read, in key order; the others are left out and their paths
    (the field's path and the key) go to `extensions.redactedFields`."""

    async def resolve(root: Any, info: Info) -> list[CustomFieldValue]:
        object_id = root.model.id
        loader = info.context.loaders.get(CustomFieldValuesLoader)
        fields, values = await loader.load((entity, object_id))
        viewer = info.context.viewer
        out = []
        for field in fields:
            if not may_read(field, viewer, root):
                info.context.redacted.append([*info.path.as_list(), field.key])
                continue
            out.append(
                CustomFieldValue(
                    key=field.key, label=field.label, type=field.type, value=values.get(field.id)
                )
            )
        return out

    return strawberry.field(resolver=resolve, description=description)
