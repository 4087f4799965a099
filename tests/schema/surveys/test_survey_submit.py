"""`surveySubmit`: once per token, before it expires, no login needed."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from csm_graph import clock
from csm_graph.surveys.models import Survey
from tests.mail import Mailbox, body
from tests.schema.cases.helpers import World, make_world
from tests.support import GraphQLClient
from tests.surveys.test_survey_rule import closed_case

SURVEY_SUBMIT = """
mutation($i: SurveySubmitInput!) {
  surveySubmit(input: $i) { ok rating errors { field message code } }
}
"""


async def survey_token(world: World, mailbox: Mailbox) -> str:
    await closed_case(world)
    [message] = [m for m in await mailbox.settle() if "How did we do?" in m["Subject"]]
    match = re.search(r"/survey\?token=([\w-]+)", body(message, "plain"))
    assert match is not None
    return match.group(1)


async def test_a_survey_is_answered_once(http: httpx.AsyncClient, mailbox: Mailbox) -> None:
    # given
    world = await make_world(http)
    token = await survey_token(world, mailbox)
    anonymous = GraphQLClient(http)
    answer = {"token": token, "rating": 4, "comment": "Quick and kind."}

    # when
    first = await anonymous.data(SURVEY_SUBMIT, {"i": answer})
    second = await anonymous.data(SURVEY_SUBMIT, {"i": {**answer, "rating": 1}})

    # then
    assert first["surveySubmit"] == {"ok": True, "rating": 4, "errors": []}
    assert second["surveySubmit"]["ok"] is False
    assert second["surveySubmit"]["errors"][0]["code"] == "CONFLICT"
    [survey] = await Survey.filter(skip_reason__isnull=True)
    assert (survey.rating, survey.comment) == (4, "Quick and kind.")


async def test_an_expired_or_unknown_token_or_bad_rating_is_refused(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    token = await survey_token(world, mailbox)
    anonymous = GraphQLClient(http)

    # when
    bad_rating = await anonymous.data(SURVEY_SUBMIT, {"i": {"token": token, "rating": 6}})
    unknown = await anonymous.data(SURVEY_SUBMIT, {"i": {"token": "nope", "rating": 3}})
    clock.travel(dt.timedelta(days=31))
    expired = await anonymous.data(SURVEY_SUBMIT, {"i": {"token": token, "rating": 3}})

    # then
    assert bad_rating["surveySubmit"]["errors"][0]["field"] == "rating"
    assert unknown["surveySubmit"]["errors"][0]["code"] == "NOT_FOUND"
    assert expired["surveySubmit"]["errors"][0]["code"] == "EXPIRED"
    assert await Survey.filter(answered_at__isnull=False).count() == 0
