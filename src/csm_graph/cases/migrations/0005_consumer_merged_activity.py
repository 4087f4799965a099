from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from csm_graph.cases.models import ActivityKind


class AlterChoices(ops.AlterField):
    """An enum's new value: the column stays a VARCHAR(24), so only the model
    state changes. (Altering the column on SQLite rebuilds the table and loses
    its indexes.)"""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_lookup_indexes")]

    initial = False

    operations = [
        AlterChoices(
            model_name="CaseActivity",
            name="kind",
            field=fields.CharEnumField(
                description="CREATED: CREATED\nSTATE_CHANGED: STATE_CHANGED\nFIELD_CHANGED: FIELD_CHANGED\nASSIGNED: ASSIGNED\nCOMMENTED: COMMENTED\nWORK_NOTE_ADDED: WORK_NOTE_ADDED\nATTACHMENT_ADDED: ATTACHMENT_ADDED\nCONSUMER_MERGED: CONSUMER_MERGED",
                enum_type=ActivityKind,
                max_length=24,
            ),
        ),
    ]
