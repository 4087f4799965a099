"""The plan-side rules of the fields the shipped documents select beyond
plain attributes: relations of cases, comments and activity entries batched
per level, `viewerCan` from the engine, and the fields answered by their
generic resolver (root fields, a case's lists)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from csm_graph.access.engine import CASE_FIELDS
from csm_graph.cases.models import Case as CaseModel
from csm_graph.schema.accounts.loaders import TeamByIdLoader, UserByIdLoader
from csm_graph.schema.accounts.types import Team, User
from csm_graph.schema.cases.loaders import (
    AttachmentCountByCaseIdLoader,
    LastPublicCommentByCaseIdLoader,
)
from csm_graph.schema.cases.types import CaseComment, case_permissions
from csm_graph.schema.consumers.loaders import ConsumerByIdLoader
from csm_graph.schema.consumers.types import consumer_in_reach
from csm_graph.schema.households.loaders import HouseholdByIdLoader
from csm_graph.schema.households.types import household_in_reach
from csm_graph.schema.plans.base import Decline, Run, load_level
from csm_graph.schema.plans.rules import BY_RESOLVER, EXPLICIT, ROWS, Batched, Related, Rows


async def _consumers(run: Run, records: list[Any]) -> list[Any]:
    if any(r.merged_into_id is not None for r in records):
        # A merged record's survivor: rare, and the generic path follows it.
        raise Decline("a merged consumer record")
    reach = await run.context.reach()
    return [consumer_in_reach(r, reach) for r in records]


async def _households(run: Run, records: list[Any]) -> list[Any]:
    reach = await run.context.reach()
    return [household_in_reach(r, reach) for r in records]


def _each(make: Callable[[Any], Any]) -> Callable[[Run, list[Any]], Awaitable[list[Any]]]:
    """A `Related` builder that makes each record's object with `make` alone."""

    async def build(run: Run, records: list[Any]) -> list[Any]:
        return [make(r) for r in records]

    return build


_users = _each(User.from_model)
_teams = _each(Team.from_model)
_comments = _each(CaseComment.from_model)


async def _viewer_can(run: Run, cases: list[Any]) -> list[Any]:
    subject = await run.context.subject()
    return [case_permissions(subject, case.model) for case in cases]


async def _attachment_counts(run: Run, cases: list[Any]) -> list[Any]:
    ids = [case.model.id for case in cases]
    wanted = list(dict.fromkeys(ids))
    loader = run.context.loaders.get(AttachmentCountByCaseIdLoader)
    counts = dict(zip(wanted, await load_level(loader, wanted), strict=True))
    return [counts[i] for i in ids]


def _reads(*names: str) -> frozenset[str]:
    return frozenset(names)


EXPLICIT.update(
    {
        ("Case", "consumer"): Related(
            "consumer_id", ConsumerByIdLoader, _consumers, holder="model"
        ),
        ("Case", "household"): Related(
            "household_id", HouseholdByIdLoader, _households, holder="model"
        ),
        ("Case", "openedBy"): Related("opened_by_id", UserByIdLoader, _users, holder="model"),
        ("Case", "assignedTo"): Related("assigned_to_id", UserByIdLoader, _users, holder="model"),
        ("Case", "assignmentTeam"): Related(
            "assignment_team_id", TeamByIdLoader, _teams, holder="model"
        ),
        ("Case", "lastPublicComment"): Related(
            "id", LastPublicCommentByCaseIdLoader, _comments, holder="model"
        ),
        ("Case", "attachmentCount"): Batched(_attachment_counts, _reads("id")),
        ("Case", "viewerCan"): Batched(_viewer_can, CASE_FIELDS),
        ("CaseComment", "author"): Related("author_id", UserByIdLoader, _users),
        ("CaseComment", "onBehalfOf"): Related("on_behalf_of_id", ConsumerByIdLoader, _consumers),
        ("CaseActivity", "actor"): Related("actor_id", UserByIdLoader, _users),
        ("CaseActivity", "onBehalfOf"): Related("on_behalf_of_id", ConsumerByIdLoader, _consumers),
    }
)
ROWS["Case"] = Rows(
    CaseModel,
    # The cursor's key and what the access engine decides by (the page's
    # visibility check, `viewerCan`).
    always=CASE_FIELDS,
    derived={
        "slaBreached": _reads("sla_breached"),
        "responseDueAt": _reads("response_due_at"),
        "resolutionDueAt": _reads("resolution_due_at"),
        "firstResponseAt": _reads("first_response_at"),
    },
)
BY_RESOLVER.update(
    {
        ("Query", "cases"),
        ("Query", "consumers"),
        ("Query", "node"),
        ("Query", "caseByNumber"),
        ("Case", "attachments"),
        ("Case", "comments"),
        ("Case", "activity"),
    }
)
