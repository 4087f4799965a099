"""Case notification emails through the outbox: who gets what, exactly once,
whatever happens to Redis or the mail server meanwhile."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from email.message import EmailMessage

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.engine import Subject, load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import ActivityKind, CaseActivity, CaseState
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.notifications import services as outbox
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.settings import Settings
from csm_graph.surveys.models import Survey
from tests.mail import Mailbox, SmtpServer
from tests.schema.cases.helpers import World, make_world, open_case
from tests.workers.test_notifications_jobs import queue_unreachable

FAMILY = {"member@example.com", "head@example.com", "rep@example.com"}


async def viewer(world: World, name: str) -> Subject:
    """The access subject `name` acts as, as a request would load it."""
    if name in ("agent", "admin"):
        return await load_subject(
            Viewer(
                user_id=world.ids[name],
                user_type=UserType.INTERNAL,
                roles=frozenset({name.upper()}),
                team_ids=frozenset({world.team.id}),
            )
        )
    consumer = {"member": world.member, "head": world.head, "rep": world.representative}[name]
    assert consumer.user_id is not None
    return await load_subject(Viewer(user_id=consumer.user_id, user_type=UserType.EXTERNAL))


def received(messages: list[EmailMessage]) -> Counter[tuple[str, str]]:
    return Counter((str(m["To"]), str(m["Subject"])) for m in messages)


async def conversation(world: World) -> tuple[str, Counter[tuple[str, str]]]:
    """A case opened by the head for the member, a reply each way and a work
    note; returns the case number and the emails it must cause."""
    case = await cases.create_case(
        await viewer(world, "head"),
        CaseDraft(short_description="No signal", consumer_id=world.member.id),
    )
    await cases.add_comment(
        await viewer(world, "admin"), case.id, "Looking into it.", work_note=False
    )
    await cases.add_comment(
        await viewer(world, "admin"), case.id, "Probably the mast.", work_note=True
    )
    await cases.add_comment(await viewer(world, "member"), case.id, "Thanks!", work_note=False)
    n = case.number
    expected = Counter(
        {(to, f"[{n}] Your case was opened: No signal"): 1 for to in FAMILY}
        | {(to, f"[{n}] New reply on your case"): 1 for to in FAMILY}
        | {(to, f"[{n}] New reply on your case"): 1 for to in FAMILY - {"member@example.com"}}
    )
    for to in FAMILY - {"member@example.com"}:
        expected[(to, f"[{n}] New reply on your case")] = 2
    return n, expected


async def test_the_consumer_side_hears_of_every_public_change(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    mailbox.clear()

    # when
    _, expected = await conversation(world)

    # then: no work note, nothing to the author of a comment, nothing to staff
    assert received(await mailbox.settle()) == expected
    assert all("mast" not in m.as_string() for m in mailbox.messages())


async def test_lifecycle_emails_carry_the_case_number(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    agent = await viewer(world, "agent")
    await cases.assign(agent, case.id, None, None)
    await mailbox.settle()
    mailbox.clear()

    # when
    await cases.request_info(agent, case.id, "Which model?")
    await cases.propose_solution(agent, case.id, "RESET", "Reset the router.")
    await cases.accept_solution(await viewer(world, "member"), case.id)

    # then
    subjects = received(await mailbox.settle())
    n = case.number
    for subject in (
        f"[{n}] We need more information",
        f"[{n}] A solution for your case",
        f"[{n}] Your case is closed",
    ):
        assert {to for to, s in subjects if s == subject} == FAMILY, subject
    assert subjects[("member@example.com", f"[{n}] How did we do?")] == 1


async def test_a_consumer_who_wants_no_email_gets_none(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    world = await make_world(http)
    await Consumer.filter(id=world.head.id).update(notify_email=False)
    mailbox.clear()

    # when
    case = await open_case(world)

    # then
    assert {m["To"] for m in await mailbox.settle()} == FAMILY - {"head@example.com"}
    assert case.number


async def test_with_the_queue_down_every_email_arrives_once_after_the_sweep(
    http: httpx.AsyncClient,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: Redis unreachable while the case is opened and commented
    world = await make_world(http)
    mailbox.clear()
    with queue_unreachable(monkeypatch):
        _, expected = await conversation(world)
    assert await mailbox.settle() == []

    # when: it is back, and the sweep runs (twice: a repeated sweep is harmless)
    await outbox.sweep_outbox()
    await outbox.sweep_outbox()

    # then
    assert received(await mailbox.settle()) == expected
    assert await OutboxEmail.exclude(state=OutboxState.SENT).count() == 0


async def test_with_the_mail_server_refusing_for_a_while_every_email_arrives_once(
    http: httpx.AsyncClient,
    mailbox: Mailbox,
    smtp_server: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: SMTP on either backend, refusing the next ten messages
    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    world = await make_world(http)
    mailbox.clear()
    smtp_server.refuse_next(10)

    # when
    _, expected = await conversation(world)
    for attempt in range(1, 6):
        await mailbox.settle()
        clock.travel(outbox.retry_delay(settings, attempt))
        await outbox.sweep_outbox()

    # then
    assert received(await mailbox.settle()) == expected
    assert await OutboxEmail.exclude(state=OutboxState.SENT).count() == 0
    assert await OutboxEmail.filter(attempts__gt=1).exists()


async def test_resolved_cases_left_unanswered_close_on_their_own(
    http: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    agent = await viewer(world, "agent")
    await cases.assign(agent, case.id, None, None)
    await cases.propose_solution(agent, case.id, "RESET", "Reset the router.")
    await mailbox.settle()
    mailbox.clear()

    # when
    clock.travel(dt.timedelta(days=settings.auto_close_days) - dt.timedelta(minutes=1))
    early = await cases.auto_close_resolved()
    clock.travel(dt.timedelta(minutes=2))
    closed = await cases.auto_close_resolved()

    # then
    assert (early, closed) == (0, 1)
    await case.refresh_from_db()
    assert case.state is CaseState.CLOSED
    entry = await CaseActivity.filter(case_id=case.id, kind=ActivityKind.STATE_CHANGED).last()
    assert entry is not None
    assert (entry.new_value, entry.actor_id) == ("CLOSED", None)
    assert await Survey.filter(case_id=case.id, skip_reason__isnull=True).count() == 1
    subjects = {s for _, s in received(await mailbox.settle())}
    assert subjects == {f"[{case.number}] Your case is closed", f"[{case.number}] How did we do?"}
