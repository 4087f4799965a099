"""GraphQL types of the audit trail: events, read by administrators only."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.audit import models
from csm_graph.audit.models import AuditKind
from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.accounts.types import User
from csm_graph.schema.audit.loaders import ErasedByConsumerIdLoader
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, is_node_type, register_node, to_global_id
from csm_graph.schema.permissions import Visible

if TYPE_CHECKING:
    from csm_graph.schema.consumers.types import Consumer

register_enum(
    AuditKind,
    name="AuditEventKind",
    description="What an audit event records.",
    values={
        AuditKind.LOGIN_SUCCEEDED: "A user logged in.",
        AuditKind.LOGIN_FAILED: "A login of a known user was refused: a wrong password "
        "(`reason` in `details`: `password`), an inactive account (`inactive`) or an "
        "unverified address (`unverified`). Attempts on unknown addresses are not recorded.",
        AuditKind.LOGIN_LOCKED_OUT: "Logins of a known user were refused for too many "
        "attempts; once per user and throttling window.",
        AuditKind.USER_CREATED: "A user was created (by an administrator, a signup, a "
        "consumer's new login or the `createadmin` command).",
        AuditKind.USER_DEACTIVATED: "A user was deactivated (by an administrator, or a "
        "merge closing one of two logins).",
        AuditKind.USER_REACTIVATED: "A deactivated user was made active again.",
        AuditKind.ROLE_GRANTED: "A user was given a role (`role` in `details`).",
        AuditKind.ROLE_REVOKED: "A user's role was taken away (`role` in `details`).",
        AuditKind.TEAM_JOINED: "A user joined a team (the target).",
        AuditKind.TEAM_LEFT: "A user left a team (the target).",
        AuditKind.MANAGER_CHANGED: "A user's manager changed (`old` and `new` user ids in "
        "`details`).",
        AuditKind.CONSUMER_USER_LINKED: "A login was linked to a consumer record (by an "
        "administrator, a new login for the record, a verified signup or a merge).",
        AuditKind.CONSUMER_USER_UNLINKED: "A login was unlinked from a consumer record.",
        AuditKind.RESPONSIBILITY_CHANGED: "A responsibility (the target) was created, "
        "changed or deleted (`change` and `fields` in `details`).",
        AuditKind.RELATIONSHIP_TYPE_CHANGED: "A relationship type (the target) was created, "
        "changed or deleted (`change` and `fields` in `details`).",
        AuditKind.RELATED_PARTY_ADDED: "A consumer or user was related to a case or a sold "
        "product (the target: the related party).",
        AuditKind.RELATED_PARTY_CHANGED: "A related party's type, responsibility or dates changed.",
        AuditKind.RELATED_PARTY_REMOVED: "A related party was removed (by hand, or with its "
        "case moving to another consumer).",
        AuditKind.REPRESENTATIVE_ADDED: "A consumer was made another's authorized "
        "representative (`representative_id` in `details`).",
        AuditKind.REPRESENTATIVE_REMOVED: "An authorized representation was removed.",
        AuditKind.DELEGATION_INVITED: "A consumer invited someone to act for them.",
        AuditKind.DELEGATION_ACCEPTED: "An invitee accepted a delegation; it became "
        "a representation.",
        AuditKind.DELEGATION_ENDED: "The consumer or the delegate ended a delegation.",
        AuditKind.CONSUMERS_MERGED: "A duplicate consumer record (`merged_id` in `details`) "
        "was merged into the event's consumer.",
        AuditKind.DATA_EXPORT_REQUESTED: "An export of a consumer's data was requested.",
        AuditKind.DATA_EXPORT_DOWNLOADED: "An export of a consumer's data was downloaded.",
        AuditKind.ERASURE_REQUESTED: "The erasure of a consumer's data was requested.",
        AuditKind.ERASURE_REJECTED: "A request to erase a consumer's data was rejected.",
        AuditKind.CONSUMER_ERASED: "A consumer's personal data was erased.",
        AuditKind.LEGAL_HOLD_CHANGED: "A consumer's legal hold was set or lifted.",
        AuditKind.RETENTION_CONFIGURED: "The retention settings a worker runs with changed "
        "since the last record.",
        AuditKind.RETENTION_APPLIED: "A retention run deleted or anonymised old data.",
        AuditKind.SERVICE_ACCOUNT_CREATED: "A service account (the event's user) was created.",
        AuditKind.API_TOKEN_CREATED: "An API token (the target) was made for the event's "
        "user (`name` and `prefix` in `details`).",
        AuditKind.API_TOKEN_REVOKED: "An API token (the target) of the event's user was "
        "revoked (`reason` in `details`: `revoked`, or `sessions_ended` with the user's "
        "sessions).",
        AuditKind.API_TOKENS_ALLOWED_CHANGED: "An administrator allowed or stopped a user's "
        "personal API tokens (`allowed` in `details`).",
        AuditKind.WEBHOOK_ENDPOINT_CREATED: "An administrator registered a webhook endpoint "
        "(the target; its `host`, `events` and `enabled` in `details`).",
        AuditKind.WEBHOOK_ENDPOINT_CHANGED: "An administrator changed a webhook endpoint "
        "(the changed `fields`, and its `host`, `events` and `enabled` after, in `details`).",
        AuditKind.WEBHOOK_SECRET_ROTATED: "An administrator gave a webhook endpoint a new secret.",
        AuditKind.WEBHOOK_ENDPOINT_DELETED: "An administrator deleted a webhook endpoint.",
        AuditKind.USER_TYPE_CHANGED: "A user became internal or external (`old` and `new` "
        "in `details`).",
        AuditKind.USER_EMAIL_CHANGED: "A user's login address changed (`via` in `details`: "
        "`user_update`, or `confirmed_link` by its owner; never an address).",
        AuditKind.PASSWORD_CHANGED: "A user's password changed (`via` in `details`: "
        "`user_update`, `reset_link` or `createadmin`).",
        AuditKind.USER_DEPARTMENT_CHANGED: "A user's department changed, and with it the "
        "department whose grants they hold (`old` and `new` department ids in `details`).",
        AuditKind.DEPARTMENT_CREATED: "An administrator created a department (the target).",
        AuditKind.HOUSEHOLD_MEMBER_ADDED: "A consumer joined a household (the target; "
        "`relationship`, `is_head` and `start_date` in `details`).",
        AuditKind.HOUSEHOLD_MEMBER_ENDED: "A consumer's membership of a household ended (the "
        "target; `end_date`, and `new_head_id` when another member became head, in `details`).",
    },
)
AuditEventKind = AuditKind


@strawberry.type(
    name="AuditEvent",
    description="One recorded change to logins, access or personal data: who did it, "
    "to whom, when. Append-only: nothing changes or deletes an event.",
)
class AuditEvent(Node):
    model: strawberry.Private[models.AuditEvent]
    at: dt.datetime = strawberry.field(description="When it happened.")
    kind: AuditEventKind = strawberry.field(description="What happened.")
    target_type: str | None = strawberry.field(
        description="The type of what else the event is about (`Team`, `RelatedParty`, "
        "`Representation`, ...); null when nothing else."
    )
    details: str = strawberry.field(
        description="The event's details as a JSON object: ids, codes and dates only "
        "(see the kinds), never names, addresses, passwords or message text."
    )

    @classmethod
    def from_model(cls, event: models.AuditEvent) -> AuditEvent:
        return cls(
            model=event,
            id=to_global_id("AuditEvent", event.id),
            at=event.at,
            kind=event.kind,
            target_type=event.target_type or None,
            details=json.dumps(event.data, sort_keys=True, separators=(",", ":")),
        )

    @strawberry.field(
        description="The global id of the event's target when the API shows "
        "objects of its type (`node(id:)`); null otherwise, or without a target."
    )
    def target_id(self) -> strawberry.ID | None:
        event = self.model
        if event.target_id is None or not is_node_type(event.target_type):
            return None
        return to_global_id(event.target_type, event.target_id)

    @strawberry.field(
        description="Who made the change; null for the system (a command, a job), a failed "
        "login, or a user since deleted.",
        extensions=[Visible()],
    )
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.model.actor_id)

    @strawberry.field(
        description="The user the event is about (their login, roles, teams, link); null "
        "when none, or since deleted.",
        extensions=[Visible()],
    )
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.model.user_id)

    @strawberry.field(
        description="The consumer the event is about; null when none, or since erased or "
        "deleted. A record merged away since shows as the one it went into.",
        extensions=[Visible()],
    )
    async def consumer(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.types import consumer_by_id

        consumer_id = self.model.consumer_id
        if consumer_id is None:
            return None
        if await info.context.loaders.get(ErasedByConsumerIdLoader).load(consumer_id):
            return None
        return await consumer_by_id(info, consumer_id)


async def _user(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = await info.context.loaders.get(UserByIdLoader).load(user_id)
    return User.from_model(user) if user else None


async def _audit_event_node(info: Info, pk: int) -> AuditEvent | None:
    event = await models.AuditEvent.get_or_none(id=pk)
    return AuditEvent.from_model(event) if event else None


register_node("AuditEvent", _audit_event_node)
