"""Inputs of the surveys domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.surveys.types import SurveySkipReason


@strawberry.input(description="The answer to a satisfaction survey.")
class SurveySubmitInput:
    token: str = strawberry.field(description="The token from the survey link in the email.")
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    comment: str = strawberry.field(default="", description="Anything else to tell us.")


@strawberry.input(description="Which survey decisions to list.")
class SurveyFilter:
    sent: bool | None = strawberry.field(
        default=None, description="True: sent surveys only; false: skipped ones only."
    )
    answered: bool | None = strawberry.field(
        default=None, description="True: answered surveys only; false: unanswered ones."
    )
    skip_reason: SurveySkipReason | None = strawberry.field(
        default=None, description="Only decisions skipped for this reason."
    )
