"""Consumers read field by field in plans: a page of `consumers` (consumer
search), and the consumer a case, a comment or an activity entry shows."""

from __future__ import annotations

from csm_graph.consumers.models import Consumer as ConsumerModel
from csm_graph.core.names import NAME_PARTS
from csm_graph.schema.consumers.types import ADDRESS_FIELDS
from csm_graph.schema.plans.rules import ROWS, Rows

ROWS["Consumer"] = Rows(
    ConsumerModel,
    # The key, and what the access policy and the contact guards read: whether
    # the record is merged, and whose login it is.
    always=frozenset({"id", "merged_into_id", "user_id"}),
    derived={"fullName": frozenset(NAME_PARTS), "address": ADDRESS_FIELDS},
)
