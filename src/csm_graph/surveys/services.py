"""The survey rules: decide once, when a case closes, whether its consumer
gets a satisfaction survey; take the answer once, with the emailed token.

The 90-day window is claimed with one conditional UPDATE on the consumer
(`last_survey_at IS NULL OR last_survey_at <= now - window`), which either
moves `last_survey_at` to now or changes nothing. Under PostgreSQL the row
lock makes concurrent claims wait and re-check; SQLite has one writer at a
time. Either way, many cases of one consumer closing at once send one survey.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from tortoise.expressions import Q

from csm_graph import clock, tracing
from csm_graph.cases.models import Case, CaseCategory
from csm_graph.consumers.models import Consumer
from csm_graph.errors import ErrorCode, ErrorList, UserErrors
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings
from csm_graph.surveys.models import SkipReason, Survey
from csm_graph.transactions import unit_of_work
from csm_graph.webhooks import services as webhooks

COMMENT_LIMIT = 5000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _skip(case: Case, reason: SkipReason) -> Survey:
    return await Survey.create(
        case_id=case.id, consumer_id=case.consumer_id, skip_reason=reason, created_at=clock.now()
    )


async def claim_window(consumer_id: int, now: dt.datetime, window: dt.timedelta) -> bool:
    """Move the consumer's `last_survey_at` to `now` unless they had a survey
    within `window`; True when this call did (one conditional UPDATE)."""
    claimed = await Consumer.filter(
        Q(last_survey_at__isnull=True) | Q(last_survey_at__lte=now - window), id=consumer_id
    ).update(last_survey_at=now)
    return claimed == 1


async def on_case_closed(case: Case) -> Survey:
    """Record whether `case`'s consumer gets a survey, and queue it if so.

    Runs inside the unit of work that closes the case, so the decision, the
    consumer's `last_survey_at` and the email commit with the closing. Its
    span ("survey decision") says which way it went.
    """
    with tracing.span("survey decision", attributes={"csm.case": case.id}) as span:
        survey = await _decide(case)
        span.set_attribute("csm.survey.outcome", str(survey.skip_reason or "SENT"))
    return survey


async def _decide(case: Case) -> Survey:
    settings = get_settings()
    now = clock.now()
    async with unit_of_work():
        if case.category is CaseCategory.PASSWORD_REQUEST:
            return await _skip(case, SkipReason.PASSWORD_REQUEST)
        if await Survey.filter(case_id=case.id, skip_reason__isnull=True).exists():
            return await _skip(case, SkipReason.ALREADY_SURVEYED)
        consumer = await Consumer.get(id=case.consumer_id)
        if not consumer.email or not consumer.notify_email:
            return await _skip(case, SkipReason.NO_EMAIL)
        window = dt.timedelta(days=settings.survey_window_days)
        if not await claim_window(consumer.id, now, window):
            return await _skip(case, SkipReason.RECENTLY_SURVEYED)
        token = secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(days=settings.survey_token_days)
        survey = await Survey.create(
            case_id=case.id,
            consumer_id=consumer.id,
            token_hash=_hash(token),
            expires_at=expires_at,
            created_at=now,
        )
        await queue_email(
            template="survey",
            to=consumer.email,
            context={
                "name": consumer.first_name or consumer.email,
                "number": case.number,
                "short_description": case.short_description,
                "expires": expires_at.strftime("%Y-%m-%d"),
                "link": f"{settings.portal_url}/survey?token={token}",
            },
            key=f"survey:{survey.id}",
        )
    return survey


async def submit(token: str, rating: int | None, comment: str | None) -> Survey:
    """Answer a survey with its token: once, before it expires."""
    errors = ErrorList()
    if not token or not token.strip():
        errors.add("token", "The survey token is missing.", ErrorCode.REQUIRED)
    if rating is None:
        errors.add("rating", "Give a rating from 1 to 5.", ErrorCode.REQUIRED)
    elif not 1 <= rating <= 5:
        errors.add("rating", "The rating is 1 (poor) to 5 (excellent).")
    text = (comment or "").strip()
    if len(text) > COMMENT_LIMIT:
        errors.add("comment", f"At most {COMMENT_LIMIT} characters.")
    errors.raise_if_any()
    token_hash = _hash(token.strip())
    now = clock.now()
    async with unit_of_work():
        answered = await Survey.filter(
            token_hash=token_hash, answered_at__isnull=True, expires_at__gt=now
        ).update(rating=rating, comment=text, answered_at=now)
        survey = await Survey.get_or_none(token_hash=token_hash)
        if answered and survey is not None:
            await webhooks.survey_answered(survey)
    if survey is None:
        raise UserErrors.one("token", "No such survey.", ErrorCode.NOT_FOUND)
    if not answered:
        if survey.answered_at is not None and survey.answered_at <= now:
            raise UserErrors.one(
                "token", "This survey has already been answered.", ErrorCode.CONFLICT
            )
        raise UserErrors.one("token", "This survey link has expired.", ErrorCode.EXPIRED)
    return survey
