"""Duplicate consumer candidates: the pair type, the queries and the dismissal.

The rules and their strengths are the service's (`consumers/duplicates.py`);
this module shows them. Both queries are for internal users, like `consumers`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import strawberry

from csm_graph.consumers import duplicates
from csm_graph.consumers.duplicates import Candidate, DuplicateReason, PageKey
from csm_graph.db import MAX_KEY
from csm_graph.errors import BadRequest
from csm_graph.schema.consumers.types import Consumer, consumer_by_id
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_query_id
from csm_graph.schema.pagination import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    PageInfo,
    check_page_arguments,
)
from csm_graph.schema.permissions import IsInternal, Visible, restricted_field

register_enum(
    DuplicateReason,
    name="DuplicateReason",
    description="Why two consumer records may be the same person.",
    values={
        DuplicateReason.EXTERNAL_ID: "The same external id, ignoring case, spaces, dashes, dots "
        "and leading zeros (strength 0.95).",
        DuplicateReason.EMAIL: "The same email (0.85), or one's email is the other's personal "
        "email (0.75).",
        DuplicateReason.PHONE: "A phone or mobile phone of one is a phone or mobile phone of the "
        "other (0.7).",
        DuplicateReason.SIMILAR_NAME: "Similar names, and the same date of birth (0.6) or the "
        "same address (0.5).",
    },
)

SCORE_SCALE = 1000
"""The service scores in thousandths."""


@strawberry.type(
    description="Two live consumer records that may be the same person: why, and how strongly."
)
class DuplicateCandidate:
    consumer_id: strawberry.Private[int]
    candidate_id: strawberry.Private[int]
    key: strawberry.Private[PageKey]
    id: strawberry.ID = strawberry.field(
        description="The pair's id, the same from either record (for caches; a candidate is "
        "computed, not stored, so `node(id:)` does not fetch it)."
    )
    reasons: list[DuplicateReason] = strawberry.field(
        description="Why they may be one person, strongest first."
    )
    score: float = strawberry.field(
        description="How strongly, from 0 to 1: the reasons' strengths combined as independent "
        "evidence, `1 - (1 - s1) * (1 - s2) * ...` (one reason scores its strength)."
    )

    @classmethod
    def of(cls, candidate: Candidate, consumer_id: int | None = None) -> DuplicateCandidate:
        """The pair as seen from `consumer_id`; by default from its older record."""
        first = candidate.lower_id if consumer_id is None else consumer_id
        pair = f"DuplicateCandidate:{candidate.lower_id}:{candidate.higher_id}"
        return cls(
            id=strawberry.ID(base64.b64encode(pair.encode()).decode()),
            consumer_id=first,
            candidate_id=candidate.other(first),
            key=candidate.key,
            reasons=list(candidate.reasons),
            score=candidate.score / SCORE_SCALE,
        )

    @strawberry.field(
        description="The consumer asked about (`consumerDuplicates`), or the older record of the "
        "pair (`duplicateCandidates`).",
        extensions=[Visible()],
    )
    async def consumer(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.consumer_id)

    @strawberry.field(
        description="The record that may be the same person as `consumer`.",
        extensions=[Visible()],
    )
    async def candidate(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.candidate_id)


def encode_cursor(key: PageKey) -> str:
    return base64.b64encode(f"d:{key.score}:{key.lower_id}:{key.higher_id}".encode()).decode()


def decode_cursor(argument: str, cursor: str) -> PageKey:
    """The keyset of a `DuplicateCandidate` cursor: its score, then its pair's ids."""
    try:
        prefix, *parts = base64.b64decode(cursor.encode(), validate=True).decode().split(":")
        score, lower_id, higher_id = (int(p) for p in parts)
        if prefix != "d" or not 0 <= score <= SCORE_SCALE:
            raise ValueError
        if not 1 <= lower_id < higher_id <= MAX_KEY:
            raise ValueError
        return PageKey(score, lower_id, higher_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"`{argument}` is not a valid cursor.") from None


@strawberry.type
class DuplicatesQuery:
    @restricted_field(
        "The open duplicate candidates of one consumer, strongest first. Empty for an id that "
        "is no consumer's, or a merged record's.",
        IsInternal,
    )
    async def consumer_duplicates(
        self,
        info: Info,
        consumer_id: Annotated[
            strawberry.ID, strawberry.argument(description="The consumer to find duplicates of.")
        ],
    ) -> list[DuplicateCandidate]:
        consumer = decode_query_id(consumer_id, "Consumer")
        found = await duplicates.candidates_for(await info.context.subject(), consumer)
        return [DuplicateCandidate.of(c, consumer) for c in found]

    @restricted_field(
        "Every open pair of duplicate candidates, strongest first. Pairs of equal score "
        "follow their records' ids, so the pages are stable.",
        IsInternal,
    )
    async def duplicate_candidates(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[DuplicateCandidate]:
        check_page_arguments(first, last)
        backwards = last is not None
        size = last if last is not None else (first if first is not None else 20)
        viewer = info.context.viewer
        rows = await duplicates.candidate_page(
            viewer,
            after=decode_cursor("after", after) if after is not None else None,
            before=decode_cursor("before", before) if before is not None else None,
            size=size + 1,
            backwards=backwards,
        )
        more = len(rows) > size
        rows = rows[1:] if backwards and more else rows[:size]
        nodes = [DuplicateCandidate.of(c) for c in rows]
        edges = [Edge(cursor=encode_cursor(n.key), node=n) for n in nodes]
        page_info = PageInfo(
            has_next_page=more if not backwards else before is not None,
            has_previous_page=more if backwards else after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )

        async def count() -> int:
            return await duplicates.count_candidates(viewer)

        return Connection(edges=edges, page_info=page_info, count=count)


@strawberry.input(description="Two consumer records that are not the same person.")
class ConsumerDuplicateDismissInput:
    consumer_id: strawberry.ID = strawberry.field(description="One of the two consumers.")
    other_id: strawberry.ID = strawberry.field(description="The other consumer.")


@strawberry.type(description="The two consumers, no longer offered as duplicates, or why not.")
class ConsumerDuplicateDismissPayload:
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="The consumer given as `consumerId`."
    )
    other: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="The consumer given as `otherId`."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class DuplicatesMutation:
    @mutation(
        "Say two consumer records are not the same person: the pair is no longer offered as "
        "a duplicate candidate. Dismissing a pair again changes nothing.",
        IsInternal,
    )
    async def consumer_duplicate_dismiss(
        self, info: Info, input: ConsumerDuplicateDismissInput
    ) -> ConsumerDuplicateDismissPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        other_id = decode_id("otherId", input.other_id, "Consumer")
        consumer, other = await duplicates.dismiss(
            await info.context.actor(), consumer_id, other_id
        )
        return ConsumerDuplicateDismissPayload(
            consumer=Consumer.from_model(consumer), other=Consumer.from_model(other)
        )
