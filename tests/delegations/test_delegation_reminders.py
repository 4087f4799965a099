"""The reminder a week before a delegation's last day: to both sides, once."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.delegations.services import remind_delegations
from tests.delegations.helpers import (
    accept,
    consumer_with_login,
    end,
    invitation_token,
    invite,
)
from tests.mail import Mailbox, body

REMINDER = "A delegation ends on"


async def test_both_sides_are_reminded_once_a_week_before_the_last_day(
    http: httpx.AsyncClient, mailbox: Mailbox, frozen_clock: None
) -> None:
    # given: Bob acts for Alice for 30 days
    _, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    await invite(alice_client, "bob@example.com", days=30)
    await accept(bob_client, invitation_token(await mailbox.settle(), "bob@example.com"))
    mailbox.clear()

    # when: the job runs a day too early, then twice on the first day of the last week
    clock.travel(dt.timedelta(days=22))
    too_early = await remind_delegations()
    clock.travel(dt.timedelta(days=1))
    first = await remind_delegations()
    again = await remind_delegations()

    # then
    assert (too_early, first, again) == (0, 1, 0)
    messages = [m for m in await mailbox.settle() if REMINDER in m["Subject"]]
    assert sorted(m["To"] for m in messages) == ["alice@example.com", "bob@example.com"]
    to_alice = next(m for m in messages if m["To"] == "alice@example.com")
    assert "lets Bob Doe act for Alice Doe" in body(to_alice, "plain")


async def test_an_ended_or_unaccepted_delegation_gets_no_reminder(
    http: httpx.AsyncClient, mailbox: Mailbox, frozen_clock: None
) -> None:
    # given: one delegation ended, one invitation never accepted
    _, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    ended = (await invite(alice_client, "bob@example.com", days=10))["delegation"]["id"]
    await accept(bob_client, invitation_token(await mailbox.settle(), "bob@example.com"))
    await end(alice_client, ended)
    await invite(alice_client, "carol@example.com", days=10)
    mailbox.clear()

    # when
    clock.travel(dt.timedelta(days=5))
    sent = await remind_delegations()

    # then
    assert sent == 0
    assert [m for m in await mailbox.settle() if REMINDER in m["Subject"]] == []
