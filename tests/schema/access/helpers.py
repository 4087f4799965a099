"""Customer access documents and small helpers shared by the access tests."""

from __future__ import annotations

from typing import Any

from csm_graph.access.models import RelationshipType, Responsibility
from tests.schema.cases.helpers import gid
from tests.support import GraphQLClient

PARTY_ADD = """
mutation($input: RelatedPartyAddInput!) {
  relatedPartyAdd(input: $input) {
    relatedParty {
      id validFrom validUntil
      consumer { number } user { email }
      relationshipType { name } responsibility { name }
    }
    errors { field message code }
  }
}
"""

PARTY_UPDATE = """
mutation($input: RelatedPartyUpdateInput!) {
  relatedPartyUpdate(input: $input) {
    relatedParty { id responsibility { name } validUntil }
    errors { field message code }
  }
}
"""

PARTY_REMOVE = """
mutation($input: RelatedPartyRemoveInput!) {
  relatedPartyRemove(input: $input) {
    relatedParty { id }
    errors { field message code }
  }
}
"""

EXPLAIN = """
query($caseId: ID!, $userId: ID) {
  explainAccess(caseId: $caseId, userId: $userId) {
    allowed
    grants { kind description actions validUntil }
  }
}
"""

DOORS = """
query($id: ID!) {
  cases(first: 50) { edges { node { number } } }
  node(id: $id) { ... on Case { number viewerCan { read comment close manageRelatedParties } } }
}
"""

PRODUCT_CREATE = """
mutation($input: SoldProductCreateInput!) {
  soldProductCreate(input: $input) {
    soldProduct { id name serialNumber owner { number } household { name } }
    errors { field message code }
  }
}
"""


async def type_id(name: str) -> str:
    return gid("RelationshipType", (await RelationshipType.get(name=name)).id)


async def responsibility_id(name: str) -> str:
    return gid("Responsibility", (await Responsibility.get(name=name)).id)


async def add_party(client: GraphQLClient, **values: Any) -> dict[str, Any]:
    """`relatedPartyAdd` with `values`; `relationshipType` given by name."""
    kind = values.pop("relationshipType")
    data = await client.data(
        PARTY_ADD, {"input": {"relationshipTypeId": await type_id(kind), **values}}
    )
    payload: dict[str, Any] = data["relatedPartyAdd"]
    return payload


async def doors(client: GraphQLClient, case_gid: str) -> tuple[list[str], dict[str, Any] | None]:
    data = await client.data(DOORS, {"id": case_gid})
    listed = [e["node"]["number"] for e in data["cases"]["edges"]]
    return listed, data["node"]


async def explain(
    client: GraphQLClient, case_gid: str, user_gid: str | None = None
) -> dict[str, Any]:
    data = await client.data(EXPLAIN, {"caseId": case_gid, "userId": user_gid})
    result: dict[str, Any] = data["explainAccess"]
    return result
