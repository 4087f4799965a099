"""GraphQL types of the surveys domain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.schema.cases.types import Case
from csm_graph.schema.context import Info
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible
from csm_graph.surveys import models

if TYPE_CHECKING:
    from csm_graph.schema.consumers.types import Consumer

ConsumerRef = Annotated["Consumer", strawberry.lazy("csm_graph.schema.consumers.types")]

strawberry.enum(
    models.SkipReason, name="SurveySkipReason", description="Why a closed case sent no survey."
)
for _value in models.SkipReason.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = {
        "PASSWORD_REQUEST": "Password requests are not surveyed.",
        "ALREADY_SURVEYED": "The case already had a survey (it was reopened and closed again).",
        "RECENTLY_SURVEYED": "The consumer had a survey within the survey window (90 days).",
        "NO_EMAIL": "The consumer has no email address or does not want emails.",
    }[_value.name]
SurveySkipReason = models.SkipReason


@strawberry.type(
    description="A case's closing and its survey: sent (with the answer, once given) "
    "or skipped, with why."
)
class Survey(Node):
    model: strawberry.Private[models.Survey]
    sent: bool = strawberry.field(description="True when the consumer was emailed a survey.")
    skip_reason: SurveySkipReason | None = strawberry.field(
        description="Why no survey was sent; null when one was."
    )
    rating: int | None = strawberry.field(description="1 (poor) to 5 (excellent), once answered.")
    comment: str = strawberry.field(description="The consumer's comment, if any.")
    answered_at: dt.datetime | None = strawberry.field(description="When it was answered.")
    expires_at: dt.datetime | None = strawberry.field(
        description="Until when the survey link can be answered."
    )
    created_at: dt.datetime = strawberry.field(
        description="When the case closed and this was decided."
    )

    @classmethod
    def from_model(cls, s: models.Survey) -> Survey:
        return cls(
            id=to_global_id("Survey", s.id),
            model=s,
            sent=s.skip_reason is None,
            skip_reason=s.skip_reason,
            rating=s.rating,
            comment=s.comment,
            answered_at=s.answered_at,
            expires_at=s.expires_at,
            created_at=s.created_at,
        )

    @strawberry.field(description="The number of the case that closed.")
    def case_number(self) -> str:
        return str(self.model.case.number)

    @strawberry.field(
        description="The case that closed, when the viewer may read it.", extensions=[Visible()]
    )
    async def case(self, info: Info) -> Case | None:
        return Case.from_model(self.model.case)

    @strawberry.field(description="The consumer the survey was for.", extensions=[Visible()])
    async def consumer(self, info: Info) -> ConsumerRef | None:
        from csm_graph.schema.cases.types import _consumer

        return await _consumer(info, self.model.consumer_id)


async def _survey_node(info: Info, pk: int) -> Survey | None:
    record = await models.Survey.get_or_none(id=pk).select_related("case")
    return Survey.from_model(record) if record else None


register_node("Survey", _survey_node)
