"""The portal's case page costs the same number of SQL statements for 10
cases as for 100: every relation and `viewerCan` are batched."""

from __future__ import annotations

import httpx

from csm_graph.cases.models import Case, CaseAttachment, CaseComment
from tests.schema.cases.helpers import make_world, open_case
from tests.schema.households.test_household_query_count import counting_queries

PAGE = """
query($first: Int!) {
  cases(first: $first, filter: {scope: ALL}) {
    totalCount
    edges { node {
      number shortDescription state priority updatedAt
      consumer { fullName email }
      household { name }
      lastPublicComment { body createdAt author { fullName } }
      attachmentCount
      viewerCan { read comment attach acceptSolution rejectSolution close }
    } }
  }
}
"""


async def test_a_page_of_100_costs_what_a_page_of_10_costs(http: httpx.AsyncClient) -> None:
    # given: 101 cases of the household (a page of 100 is not the whole list),
    # each with comments and an attachment
    world = await make_world(http)
    await open_case(world)
    cases = [
        Case(
            number=f"CS{2000 + n:07d}",
            short_description=f"Case {n}",
            consumer_id=world.member.id if n % 2 else world.head.id,
            household_id=world.household.id,
            opened_by_id=world.ids["admin"],
        )
        for n in range(100)
    ]
    await Case.bulk_create(cases)
    ids = [c.id for c in await Case.all()]
    await CaseComment.bulk_create(
        [CaseComment(case_id=i, body=f"reply {i}", author_id=world.ids["agent"]) for i in ids]
        + [CaseComment(case_id=i, body="note", work_note=True) for i in ids]
    )
    await CaseAttachment.bulk_create(
        [
            CaseAttachment(
                case_id=i,
                file_name="a.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                storage_key=f"k{i}",
            )
            for i in ids
        ]
    )
    client = world.client("head")

    # when
    counts = {}
    for size in (10, 100, 10):
        with counting_queries() as counter:
            data = await client.data(PAGE, {"first": size})
        assert len(data["cases"]["edges"]) == size
        counts[size] = len(counter.statements)

    # then
    assert counts[10] == counts[100], counts
    assert 5 <= counts[100] <= 20, counts
