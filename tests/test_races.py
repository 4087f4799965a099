"""Races closed in the database: concurrent requests for the same thing get
the answers one at a time would, never an internal error, never two of what
may be one."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from csm_graph.accounts.models import User
from csm_graph.cases.models import CaseComment
from csm_graph.households.models import HouseholdMember
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import make_household
from tests.support import GraphQLClient

SIGNUP = """
mutation($input: ConsumerSignupInput!) { consumerSignup(input: $input) { errors { code } } }
"""
MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) { member { isPrimary } errors { code } }
}
"""
COMMENT = """
mutation($input: CaseCommentAddInput!) {
  caseCommentAdd(input: $input) { comment { id } errors { code } }
}
"""


async def test_concurrent_signups_for_one_email_all_get_the_same_answer(
    http: httpx.AsyncClient,
) -> None:
    # when: one email signs up 30 times at once (from as many addresses)
    async def signup(n: int) -> dict[str, object]:
        return await GraphQLClient(http).execute(
            SIGNUP,
            {
                "input": {
                    "email": "twice@example.com",
                    "password": "a long enough passphrase",
                    "firstName": "Twi",
                    "lastName": f"Ce{n}",
                }
            },
        )

    results = await asyncio.gather(*(signup(n) for n in range(30)))

    # then: one login, and the same answer for every request (throttled past the limit)
    outcomes = Counter(
        "errors" in r or str(r["data"]["consumerSignup"]["errors"])  # type: ignore[index]
        for r in results
    )
    assert True not in outcomes, results
    assert set(outcomes) <= {"[]", "[{'code': 'THROTTLED'}]"}
    assert outcomes["[]"] >= 5
    assert await User.filter(email="twice@example.com").count() == 1


async def test_a_consumer_joining_two_households_at_once_has_one_primary(
    agent_client: GraphQLClient,
) -> None:
    for round_ in range(10):
        # given
        consumer = await make_consumer(first_name="Both", last_name=f"Homes{round_}")
        homes = [await make_household(f"Home {round_}.{n}") for n in range(2)]

        # when: both joins at once
        results = await asyncio.gather(
            *(
                agent_client.data(
                    MEMBER_ADD,
                    {
                        "input": {
                            "householdId": gid("Household", home.id),
                            "consumerId": gid("Consumer", consumer.id),
                            "relationship": "HEAD",
                        }
                    },
                )
                for home in homes
            )
        )

        # then
        assert [r["householdMemberAdd"]["errors"] for r in results] == [[], []]
        primaries = await HouseholdMember.filter(consumer_id=consumer.id, is_primary=True).count()
        assert primaries == 1, f"round {round_}"


async def test_concurrent_comments_on_one_case_all_land(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_id = gid("Case", case.id)

    # when: the consumer side and the agent comment at once, ten times
    writers = ["member", "head", "rep", "agent", "member", "head", "rep", "agent", "member", "head"]
    results = await asyncio.gather(
        *(
            world.client(who).data(
                COMMENT, {"input": {"caseId": case_id, "body": f"comment {n} by {who}"}}
            )
            for n, who in enumerate(writers)
        )
    )

    # then: none refused, none lost
    assert [r["caseCommentAdd"]["errors"] for r in results] == [[]] * len(writers)
    assert await CaseComment.filter(case_id=case.id).count() == len(writers)
