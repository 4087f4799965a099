"""`csm-graph demo`: a realistic data set, the same for the same seed, with demo logins."""

from __future__ import annotations

from typing import Any

import httpx

from csm_graph import runtime
from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import User
from csm_graph.cases.models import Case, CaseActivity, CaseAttachment, CaseComment, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.demo import generate
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.products.models import SoldProduct
from csm_graph.surveys.models import Survey
from tests.conftest import wipe
from tests.support import login, planner_rows

ALL_CASES = "{ cases(first: 50) { totalCount edges { node { number } } } }"
VIEWER = "{ viewer { email roles } }"


async def _fingerprint() -> dict[str, Any]:
    """Everything but timestamps, which follow the clock."""
    return {
        "consumers": await Consumer.all()
        .order_by("id")
        .values_list("number", "first_name", "last_name", "email", "sla_level", "user_id"),
        "households": await Household.all().order_by("id").values_list("number", "name"),
        "members": await HouseholdMember.all()
        .order_by("id")
        .values_list("household_id", "consumer_id", "is_head", "end_date"),
        "representations": await Representation.all()
        .order_by("id")
        .values_list("representative_id", "consumer_id", "valid_until"),
        "products": await SoldProduct.all().order_by("id").values_list("name", "owner_id"),
        "cases": await Case.all()
        .order_by("id")
        .values_list("number", "state", "consumer_id", "household_id", "assigned_to_id"),
        "comments": await CaseComment.all().order_by("id").values_list("case_id", "body"),
        "activity": await CaseActivity.all().order_by("id").values_list("case_id", "kind"),
        "users": await User.all().order_by("id").values_list("email", "user_type"),
        "parties": await RelatedParty.all()
        .order_by("id")
        .values_list("case_id", "sold_product_id", "consumer_id", "relationship_type_id"),
        "surveys": await Survey.all()
        .order_by("id")
        .values_list("case_id", "skip_reason", "rating"),
    }


async def test_demo_creates_every_kind_of_row(product: runtime.Runtime) -> None:
    # when
    result = await generate(60, seed=3)

    # then
    assert await Consumer.all().count() == 60
    assert await Household.all().count() > 0
    assert await HouseholdMember.filter(is_head=True).count() >= await Household.all().count()
    assert await HouseholdMember.filter(end_date__isnull=False).exists()
    assert await Representation.all().exists()
    assert await SoldProduct.all().exists()
    states = set(await Case.all().distinct().values_list("state", flat=True))
    assert states == {s.value for s in CaseState}
    assert await CaseComment.filter(work_note=True).exists()
    assert await CaseComment.filter(work_note=False).exists()
    assert await CaseAttachment.all().exists()
    assert await CaseActivity.all().count() > await Case.all().count()
    assert await User.filter(user_type="INTERNAL").count() >= 5
    assert result.counts["cases"] == await Case.all().count()
    assert await RelatedParty.filter(case_id__isnull=False).exists()
    assert await RelatedParty.filter(sold_product_id__isnull=False).exists()
    assert await Survey.filter(skip_reason__isnull=True).exists()
    assert await Survey.filter(skip_reason__isnull=False).exists()
    assert await Survey.all().count() == await Case.filter(state=CaseState.CLOSED).count()


async def test_demo_leaves_fresh_planner_statistics(product: runtime.Runtime) -> None:
    # when: a data set of a size no other test loads
    await generate(45, seed=5)

    # then: the planner knows the tables' sizes, so lists use the grant indexes
    assert await planner_rows("consumer") == 45
    assert await planner_rows("case") == await Case.all().count()


async def test_demo_is_reproducible_with_the_same_seed(product: runtime.Runtime) -> None:
    # given
    await generate(40, seed=11)
    first = await _fingerprint()
    await wipe(product)

    # when
    await generate(40, seed=11)

    # then
    assert await _fingerprint() == first


async def test_demo_logins_work(product: runtime.Runtime, server_url: str) -> None:
    # given
    result = await generate(40, seed=2)

    # when / then
    async with httpx.AsyncClient(base_url=server_url) as http:
        for entry in result.logins:
            client = await login(http, entry.email, entry.password)
            viewer = (await client.data(VIEWER))["viewer"]
            assert viewer["email"] == entry.email
            cases = (await client.data(ALL_CASES))["cases"]
            assert cases["totalCount"] > 0, entry
        admin = next(entry for entry in result.logins if entry.role == "admin")
        client = await login(http, admin.email, admin.password)
        assert "ADMIN" in (await client.data(VIEWER))["viewer"]["roles"]
