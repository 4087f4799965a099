"""The survey rule: one survey per consumer per window, decided atomically
when cases close, every skip recorded with its reason."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.engine import Subject, load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case, CaseCategory, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.surveys import services as surveys
from csm_graph.surveys.models import SkipReason, Survey
from tests.mail import Mailbox
from tests.schema.cases.helpers import World, make_world, open_case


async def member_viewer(world: World) -> Subject:
    assert world.member.user_id is not None
    return await load_subject(Viewer(user_id=world.member.user_id, user_type=UserType.EXTERNAL))


async def closed_case(world: World, **values: object) -> Case:
    case = await open_case(world, **values)
    return await cases.close(await member_viewer(world), case.id)


async def test_fifty_cases_of_one_consumer_closing_at_once_send_one_survey(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    opened = [await open_case(world, short_description=f"Case {n}") for n in range(50)]
    mailbox.clear()

    # when
    viewer = await member_viewer(world)
    await asyncio.gather(*(cases.close(viewer, case.id) for case in opened))

    # then
    assert await Case.filter(state=CaseState.CLOSED).count() == 50
    sent = await Survey.filter(skip_reason__isnull=True)
    skipped = await Survey.filter(skip_reason__isnull=False)
    assert len(sent) == 1
    assert len(skipped) == 49
    assert {s.skip_reason for s in skipped} == {SkipReason.RECENTLY_SURVEYED}
    messages = await mailbox.settle()
    surveys_mailed = [m for m in messages if "How did we do?" in m["Subject"]]
    assert len(surveys_mailed) == 1
    assert surveys_mailed[0]["To"] == "member@example.com"
    consumer = await Consumer.get(id=world.member.id)
    assert consumer.last_survey_at is not None


async def test_a_password_request_gets_no_survey(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)

    # when
    case = await closed_case(world, category=CaseCategory.PASSWORD_REQUEST)

    # then
    [decision] = await Survey.filter(case_id=case.id)
    assert decision.skip_reason is SkipReason.PASSWORD_REQUEST
    consumer = await Consumer.get(id=world.member.id)
    assert consumer.last_survey_at is None


@pytest.mark.parametrize(("days_ago", "surveyed"), [(89, False), (90, True)])
async def test_the_window_is_ninety_days(
    http: httpx.AsyncClient, frozen_clock: None, days_ago: int, surveyed: bool
) -> None:
    # given: the consumer's last survey, `days_ago` days ago
    world = await make_world(http)
    await closed_case(world)
    case = await open_case(world)

    # when
    clock.travel(dt.timedelta(days=days_ago))
    await cases.close(await member_viewer(world), case.id)

    # then
    [decision] = await Survey.filter(case_id=case.id)
    assert (decision.skip_reason is None) is surveyed
    if not surveyed:
        assert decision.skip_reason is SkipReason.RECENTLY_SURVEYED


async def test_a_case_that_had_a_survey_gets_no_second_one(
    http: httpx.AsyncClient, frozen_clock: None
) -> None:
    # given: a surveyed case, closed again (a reopening) long after
    world = await make_world(http)
    case = await closed_case(world)
    clock.travel(dt.timedelta(days=365))

    # when
    decision = await surveys.on_case_closed(case)

    # then
    assert decision.skip_reason is SkipReason.ALREADY_SURVEYED
    assert await Survey.filter(case_id=case.id, skip_reason__isnull=True).count() == 1


async def test_a_consumer_without_email_is_skipped_without_using_the_window(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    await Consumer.filter(id=world.member.id).update(notify_email=False)

    # when
    case = await closed_case(world)

    # then
    [decision] = await Survey.filter(case_id=case.id)
    assert decision.skip_reason is SkipReason.NO_EMAIL
    assert (await Consumer.get(id=world.member.id)).last_survey_at is None
