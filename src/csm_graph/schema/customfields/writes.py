"""Setting custom fields through `consumerUpdate` and `caseUpdate`.

Each runs inside the update's unit of work, after the record's own change:
a refused value rolls both back. Who may write a field is asked of the
record as the API shows it (the consumer rules read the viewer's relation
to the consumer).
"""

from __future__ import annotations

from collections.abc import Sequence

from csm_graph.access.engine import Subject
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case as CaseModel
from csm_graph.consumers.models import Consumer as ConsumerModel
from csm_graph.customfields import services
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.schema.cases.types import Case
from csm_graph.schema.consumers.types import consumer_object
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.inputs import CustomFieldInput
from csm_graph.schema.customfields.rules import may_write


def _changes(inputs: Sequence[CustomFieldInput]) -> list[services.ValueChange]:
    return [services.ValueChange(i.key, i.value) for i in inputs]


async def write_consumer_fields(
    info: Info, consumer: ConsumerModel, inputs: Sequence[CustomFieldInput]
) -> None:
    shown = await consumer_object(info, consumer)
    viewer = info.context.viewer
    await services.set_values(
        CustomFieldEntity.CONSUMER,
        consumer.id,
        _changes(inputs),
        lambda field: may_write(field, viewer, shown),
    )


async def write_case_fields(
    info: Info, subject: Subject, case: CaseModel, inputs: Sequence[CustomFieldInput]
) -> None:
    """The values, then a new version and an activity entry per changed field
    (internal unless the field is opened to the case's readers)."""
    shown = Case.from_model(case)
    viewer = info.context.viewer
    changed = await services.set_values(
        CustomFieldEntity.CASE,
        case.id,
        _changes(inputs),
        lambda field: may_write(field, viewer, shown),
    )
    await cases.record_custom_fields(
        subject,
        case,
        [
            (
                f"customFields.{c.field.key}",
                c.old or "",
                c.new or "",
                "case_readers" not in c.field.read_rules,
            )
            for c in changed
        ],
    )
