from __future__ import annotations

import datetime as dt

import pytest

from csm_graph import clock
from csm_graph.households.models import Representation
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, represent
from tests.support import GraphQLClient

ADD = """
mutation Add($input: RepresentativeAddInput!) {
  representativeAdd(input: $input) {
    representation {
      validFrom validUntil isCurrent
      representative { firstName represents { consumer { firstName } } }
      consumer { firstName representatives { representative { firstName } } }
    }
    errors { field message code }
  }
}
"""


async def test_an_agent_lets_one_consumer_act_for_another(agent_client: GraphQLClient) -> None:
    # given
    ann, bob = await make_consumer(first_name="Ann"), await make_consumer(first_name="Bob")
    variables = {
        "input": {
            "representativeId": gid("Consumer", ann.id),
            "consumerId": gid("Consumer", bob.id),
        }
    }

    # when
    payload = (await agent_client.data(ADD, variables))["representativeAdd"]

    # then
    assert payload["errors"] == []
    assert payload["representation"] == {
        "validFrom": clock.today().isoformat(),
        "validUntil": None,
        "isCurrent": True,
        "representative": {"firstName": "Ann", "represents": [{"consumer": {"firstName": "Bob"}}]},
        "consumer": {
            "firstName": "Bob",
            "representatives": [{"representative": {"firstName": "Ann"}}],
        },
    }


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("self", ("representativeId", "INVALID")),
        ("unknown", ("consumerId", "NOT_FOUND")),
        ("backwards", ("validUntil", "INVALID")),
        ("overlap", ("representativeId", "CONFLICT")),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    agent_client: GraphQLClient, case: str, expected: tuple[str, str]
) -> None:
    # given
    ann, bob = await make_consumer(), await make_consumer()
    today = clock.today()
    values: dict[str, object] = {
        "representativeId": gid("Consumer", ann.id),
        "consumerId": gid("Consumer", bob.id),
    }
    if case == "self":
        values["consumerId"] = gid("Consumer", ann.id)
    elif case == "unknown":
        values["consumerId"] = gid("Consumer", 999)
    elif case == "backwards":
        values["validUntil"] = (today - dt.timedelta(days=1)).isoformat()
    else:
        await represent(ann, bob, valid_until=today + dt.timedelta(days=30))
        values["validFrom"] = (today + dt.timedelta(days=10)).isoformat()
    before = await Representation.all().count()

    # when
    payload = (await agent_client.data(ADD, {"input": values}))["representativeAdd"]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected]
    assert await Representation.all().count() == before


async def test_a_consumer_may_not_add_representatives(external_client: GraphQLClient) -> None:
    # when
    result = await external_client.execute(
        ADD,
        {"input": {"representativeId": gid("Consumer", 1), "consumerId": gid("Consumer", 2)}},
    )

    # then
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
