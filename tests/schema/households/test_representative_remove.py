from __future__ import annotations

from csm_graph.households.models import Representation
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, represent
from tests.support import GraphQLClient

REMOVE = """
mutation Remove($input: RepresentativeRemoveInput!) {
  representativeRemove(input: $input) {
    representation { id consumer { representatives { id } } }
    errors { field message code }
  }
}
"""


async def test_an_agent_removes_a_representation(agent_client: GraphQLClient) -> None:
    # given
    ann, bob = await make_consumer(), await make_consumer()
    representation = await represent(ann, bob)

    # when
    payload = (
        await agent_client.data(REMOVE, {"input": {"id": gid("Representation", representation.id)}})
    )["representativeRemove"]

    # then
    assert payload["errors"] == []
    assert payload["representation"] == {
        "id": gid("Representation", representation.id),
        "consumer": {"representatives": []},
    }
    assert not await Representation.exists()


async def test_an_unknown_representation_is_not_found(agent_client: GraphQLClient) -> None:
    # when
    payload = (await agent_client.data(REMOVE, {"input": {"id": gid("Representation", 999)}}))[
        "representativeRemove"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
