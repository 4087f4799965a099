"""Helpers for custom field tests."""

from __future__ import annotations

from typing import Any

from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.customfields import services
from csm_graph.customfields.models import CustomField, CustomFieldEntity, CustomFieldType
from csm_graph.schema.customfields.rules import RULES

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))

DEFINE = """
mutation($i: CustomFieldDefineInput!) {
  customFieldDefine(input: $i) {
    customField { entity key label type options readRules writeRules retiredAt }
    errors { field message code }
  }
}
"""


async def define(
    entity: CustomFieldEntity,
    key: str,
    kind: CustomFieldType = CustomFieldType.TEXT,
    *,
    read: tuple[str, ...] = ("internal_only",),
    write: tuple[str, ...] = ("internal_only",),
    options: tuple[str, ...] = (),
    label: str = "",
) -> CustomField:
    """A field defined through the service, as an administrator would."""
    draft = services.FieldDraft(
        entity=entity,
        key=key,
        label=label or key.replace("_", " ").title(),
        type=kind,
        options=options,
        read_rules=read,
        write_rules=write,
    )
    return await services.define(ADMIN, draft, RULES[entity])


async def set_value(entity: CustomFieldEntity, object_id: int, key: str, value: Any) -> None:
    await services.set_values(
        entity, object_id, [services.ValueChange(key, value)], lambda field: True
    )
