"""`consumerMerge`: merge a duplicate consumer record into the one that stays."""

from __future__ import annotations

import strawberry

from csm_graph.consumers import merging
from csm_graph.consumers.merging import KeepLogin, MergeChoices, MergeField
from csm_graph.schema.consumers.types import Consumer, consumer_object
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsInternal, Visible

register_enum(
    MergeField,
    name="ConsumerMergeField",
    description="A field, or group of fields, whose value a merge may take from the merged record.",
    values={
        MergeField.NAME: "The name: prefix, first, middle and last name, and suffix together.",
        MergeField.EMAIL: "The email.",
        MergeField.PHONE: "The phone.",
        MergeField.MOBILE_PHONE: "The mobile phone.",
        MergeField.ADDRESS: "The whole postal address (every line, city, region, code, country).",
        MergeField.DATE_OF_BIRTH: "The date of birth.",
        MergeField.PREFERRED_LANGUAGE: "The preferred language.",
        MergeField.NOTIFICATIONS: "Whether the consumer wants email and text notifications.",
        MergeField.TWITTER_HANDLE: "The Twitter handle.",
        MergeField.FACEBOOK_URL: "The Facebook profile URL.",
        MergeField.LINKEDIN_URL: "The LinkedIn profile URL.",
        MergeField.PERSONAL_EMAIL: "The second, personal email.",
        MergeField.SLA_LEVEL: "The service level.",
    },
)
register_enum(
    KeepLogin,
    name="ConsumerMergeLogin",
    description="Which record's login survives a merge of two records that both have one.",
    values={
        KeepLogin.SURVIVOR: "The surviving record's login stays; the merged record's is closed.",
        KeepLogin.MERGED: (
            "The merged record's login moves to the survivor; the survivor's own is closed."
        ),
    },
)
ConsumerMergeField = MergeField
ConsumerMergeLogin = KeepLogin


@strawberry.input(
    description="Two records of one person: everything of `mergedId` moves to `survivorId`, "
    "and `mergedId` remains only as a pointer to it."
)
class ConsumerMergeInput:
    survivor_id: strawberry.ID = strawberry.field(
        description="The record that stays, keeping its number, id and history."
    )
    merged_id: strawberry.ID = strawberry.field(
        description="The duplicate: its relationships move to the survivor, and its id then "
        "answers the survivor in `node(id:)`."
    )
    fields: list[ConsumerMergeField] = strawberry.field(
        default_factory=list,
        description="The fields whose value comes from the merged record; every other field "
        "keeps the survivor's value (`lastSurveyAt` takes the later of the two).",
    )
    keep_login: ConsumerMergeLogin | None = strawberry.field(
        default=None,
        description="Which login survives when both records have one (required then, and "
        "only administrators merge them): the other login is closed and its owner emailed.",
    )


@strawberry.type(description="The surviving consumer, or why the merge was refused.")
class ConsumerMergePayload:
    survivor: Consumer | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="The record that stays, now holding both records' relationships.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class ConsumerMergeMutation:
    @mutation(
        "Merge a duplicate consumer record into the one that stays. Cases, households, "
        "representations, related parties, products and surveys move; administrators "
        "only when both records have a login.",
        IsInternal,
    )
    async def consumer_merge(self, info: Info, input: ConsumerMergeInput) -> ConsumerMergePayload:
        survivor_id = decode_id("survivorId", input.survivor_id, "Consumer")
        merged_id = decode_id("mergedId", input.merged_id, "Consumer")
        choices = MergeChoices(
            fields=frozenset(MergeField(f) for f in input.fields),
            keep_login=KeepLogin(input.keep_login) if input.keep_login else None,
        )
        survivor = await merging.merge(await info.context.actor(), survivor_id, merged_id, choices)
        return ConsumerMergePayload(survivor=await consumer_object(info, survivor))
