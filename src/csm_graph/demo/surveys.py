"""Survey decisions for the closed cases, taken by the rules the product
applies when a case closes (`surveys.services`)."""

from __future__ import annotations

import datetime as dt
import hashlib

from csm_graph.cases.models import Case, CaseCategory, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.demo.state import Demo
from csm_graph.demo.vocabulary import SURVEY_COMMENTS
from csm_graph.settings import get_settings
from csm_graph.surveys.models import SkipReason, Survey


def build_surveys(demo: Demo, consumers: list[Consumer], cases: list[Case]) -> list[Survey]:
    """One decision per closed case, in the order the cases closed: skipped
    for password requests, for consumers who take no email, and within the
    survey window of the consumer's last survey; sent otherwise, and
    answered about half the time, mostly kindly. Each consumer's
    `last_survey_at` becomes their last survey sent, where there is one.

    The surveys list (managers and administrators) needs ratings, comments,
    unanswered and expired links and every reason to skip.
    """
    settings = get_settings()
    window = dt.timedelta(days=settings.survey_window_days)
    lifetime = dt.timedelta(days=settings.survey_token_days)
    rng = demo.rng
    by_id = {c.id: c for c in consumers}
    last_sent: dict[int, dt.datetime] = {}
    surveys: list[Survey] = []
    closed = [c for c in cases if c.state is CaseState.CLOSED and c.closed_at is not None]
    for case in sorted(closed, key=lambda c: (c.closed_at, c.id)):
        assert case.closed_at is not None
        consumer = by_id[case.consumer_id]
        survey = Survey(
            id=demo.ids.take(Survey),
            case_id=case.id,
            consumer_id=consumer.id,
            created_at=case.closed_at,
        )
        surveys.append(survey)
        previous = last_sent.get(consumer.id)
        if case.category is CaseCategory.PASSWORD_REQUEST:
            survey.skip_reason = SkipReason.PASSWORD_REQUEST
        elif not consumer.email or not consumer.notify_email:
            survey.skip_reason = SkipReason.NO_EMAIL
        elif previous is not None and case.closed_at - previous < window:
            survey.skip_reason = SkipReason.RECENTLY_SURVEYED
        else:
            last_sent[consumer.id] = case.closed_at
            token = f"{rng.getrandbits(192):048x}"
            survey.token_hash = hashlib.sha256(token.encode()).hexdigest()
            survey.expires_at = case.closed_at + lifetime
            if rng.random() < 0.5:
                survey.answered_at = min(demo.now, case.closed_at + _within(demo, 72))
                survey.rating = rng.choices((1, 2, 3, 4, 5), (5, 5, 15, 35, 40))[0]
                survey.comment = rng.choice(SURVEY_COMMENTS) if rng.random() < 0.4 else ""
    for consumer_id, moment in last_sent.items():
        by_id[consumer_id].last_survey_at = moment
    return surveys


def _within(demo: Demo, most: float) -> dt.timedelta:
    """Between ten minutes and `most` hours."""
    return dt.timedelta(minutes=int(demo.rng.uniform(10, most * 60)))
