"""Mutations of the surveys domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.surveys.inputs import SurveySubmitInput
from csm_graph.surveys import services


@strawberry.type(description="Whether the survey answer was taken.")
class SurveySubmitPayload:
    ok: bool = strawberry.field(default=False, description="True when the answer was recorded.")
    rating: int | None = strawberry.field(default=None, description="The rating as recorded.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class SurveysMutation:
    @mutation(
        "Answer a satisfaction survey with the token from its email: once, "
        "before it expires. No login needed."
    )
    async def survey_submit(self, info: Info, input: SurveySubmitInput) -> SurveySubmitPayload:
        survey = await services.submit(input.token, input.rating, input.comment)
        return SurveySubmitPayload(ok=True, rating=survey.rating)
