"""Which field policy rules a custom field may name, and asking them.

An administrator picks who reads and who writes a custom field by naming
rules of `schema/policy.py`. Only rules whose question makes sense of the
entity's records are offered: the consumer rules read a consumer's relation
to the viewer, the case rules none.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from csm_graph.accounts.viewer import Viewer
from csm_graph.customfields.models import CustomField, CustomFieldEntity
from csm_graph.schema import policy
from csm_graph.schema.permissions import Rule

RULES: dict[CustomFieldEntity, dict[str, Rule]] = {
    CustomFieldEntity.CONSUMER: {
        "internal_only": policy.internal_only,
        "consumer_contact": policy.consumer_contact,
        "consumer_service_level": policy.consumer_service_level,
        "consumer_login": policy.consumer_login,
    },
    CustomFieldEntity.CASE: {
        "internal_only": policy.internal_only,
        "case_service_times": policy.case_service_times,
        "case_readers": policy.case_readers,
    },
}
"""The rule names each entity's fields may name, and their rules."""

DEFAULT_RULES = ("internal_only",)

UNRELATED = SimpleNamespace(db_id=0, user_id=None, acts_for=False, model=None)
"""A record with no relation to any viewer: a rule that lets a viewer read it
lets them read every record (what filtering and sorting ask)."""


def admits(names: list[str], entity: CustomFieldEntity, viewer: Viewer | None, obj: Any) -> bool:
    """Whether any of the named rules admits the viewer to `obj`."""
    rules = RULES[entity]
    return any(name in rules and rules[name](viewer, obj) for name in names)


def may_read(field: CustomField, viewer: Viewer | None, obj: Any) -> bool:
    return admits(field.read_rules, field.entity, viewer, obj)


def may_write(field: CustomField, viewer: Viewer | None, obj: Any) -> bool:
    return admits(field.write_rules, field.entity, viewer, obj)


def may_read_every(field: CustomField, viewer: Viewer | None) -> bool:
    """Whether the viewer reads the field on every record (filter and sort by it)."""
    return may_read(field, viewer, UNRELATED)
