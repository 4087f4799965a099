"""Throttles that hold under concurrency and outages: an attempt takes its slot
before the password is checked, hashing never holds up the event loop, and a
Redis outage throttles per process instead of failing."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from csm_graph import ratelimit
from csm_graph.accounts import passwords
from csm_graph.ratelimit import FallbackLimiter, RedisLimiter
from csm_graph.settings import Settings
from tests.support import PASSWORD, GraphQLClient, make_user

LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}
"""
SIGNUP = """
mutation($input: ConsumerSignupInput!) { consumerSignup(input: $input) { errors { code } } }
"""


async def _login(http: httpx.AsyncClient, email: str, password: str) -> str:
    """The outcome of one login: OK, or the error code."""
    result = await GraphQLClient(http).execute(LOGIN, {"email": email, "password": password})
    assert "errors" not in result, result
    payload = result["data"]["login"]
    return "OK" if payload["accessToken"] else str(payload["errors"][0]["code"])


async def test_concurrent_guesses_cannot_outrun_the_account_limit(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    await make_user("target@example.com")

    # when: 30 wrong guesses at once, then the right password
    outcomes = await asyncio.gather(
        *(_login(http, "target@example.com", f"guess number {n}") for n in range(30))
    )
    right = await _login(http, "target@example.com", PASSWORD)

    # then: only as many were checked as the limit allows, and the account stays shut
    limit = settings.login_max_failures
    assert Counter(outcomes) == {"INVALID_CREDENTIALS": limit, "THROTTLED": 30 - limit}
    assert right == "THROTTLED"


async def test_concurrent_attempts_on_many_accounts_cannot_outrun_the_address_limit(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # when: one address tries 60 accounts at once
    outcomes = await asyncio.gather(
        *(_login(http, f"user{n}@example.com", "wrong password here") for n in range(60))
    )

    # then
    limit = settings.login_max_failures * 4
    assert Counter(outcomes) == {"INVALID_CREDENTIALS": limit, "THROTTLED": 60 - limit}


async def test_a_successful_login_gives_its_address_slot_back(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given: many people log in from one address (an office behind one NAT)
    for n in range(settings.login_max_failures * 4 + 5):
        await make_user(f"colleague{n}@example.com")

    # when
    outcomes = [
        await _login(http, f"colleague{n}@example.com", PASSWORD)
        for n in range(settings.login_max_failures * 4 + 5)
    ]

    # then: nobody is throttled for logging in right
    assert set(outcomes) == {"OK"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The runtime's throttle counts on a Redis that does not answer (the port is closed)."""
    before = ratelimit.limiter()
    unreachable = Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=0.5)
    ratelimit.install(FallbackLimiter(RedisLimiter(unreachable, prefix="down:")))
    yield
    ratelimit.install(before)


@pytest.mark.usefixtures("redis_down")
async def test_a_redis_outage_throttles_per_process_instead_of_failing(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given
    await make_user("during@example.com")

    # when
    right = await _login(http, "during@example.com", PASSWORD)
    guesses = [
        await _login(http, "during@example.com", "not it at all")
        for _ in range(settings.login_max_failures + 1)
    ]
    signup = await GraphQLClient(http).execute(
        SIGNUP,
        {
            "input": {
                "email": "new@example.com",
                "password": "a long enough passphrase",
                "firstName": "New",
                "lastName": "Person",
            }
        },
    )

    # then: logins and signups work, and the limit still holds
    assert right == "OK"
    assert guesses[-1] == "THROTTLED"
    assert set(guesses[:-1]) == {"INVALID_CREDENTIALS"}
    assert signup == {"data": {"consumerSignup": {"errors": []}}}


async def test_hashing_does_not_hold_up_the_event_loop(settings: Settings) -> None:
    # given: production-strength argon2 parameters
    strong = settings.model_copy(
        update={"argon2_time_cost": 3, "argon2_memory_kib": 65536, "argon2_parallelism": 2}
    )
    passwords.configure(strong)
    try:
        digest = await passwords.hash_password(PASSWORD)
        lags: list[float] = []

        async def tick() -> None:
            while True:
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - started - 0.01)

        # when: four verifications run while the loop is asked to tick every 10 ms
        ticker = asyncio.create_task(tick())
        started = time.perf_counter()
        results = await asyncio.gather(
            *(passwords.verify_password(digest, PASSWORD) for _ in range(4))
        )
        busy = time.perf_counter() - started
        ticker.cancel()

        # then: the loop kept ticking, far more often than the hashing took
        assert all(results)
        assert len(lags) >= 3
        assert max(lags) < max(0.25, busy / 2), (max(lags), busy)
    finally:
        passwords.configure(settings)
