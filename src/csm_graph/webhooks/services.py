"""The webhook rules: endpoints, events written with the change, signed sending.

An event is one outbox row per subscribed endpoint (`WebhookDelivery`),
written in the transaction of the change that caused it, so a rolled-back
change sends nothing. A job sends each row after the commit; the minutely
sweep sends what that job did not (Redis down at commit time, a retry
coming due, a worker killed mid-send). As with the email outbox, a row is
claimed by one conditional UPDATE before it is sent, so a repeated job or a
second worker sends nothing twice, and retries are scheduled on the row.

Requests are signed per the Standard Webhooks specification (`webhook-id`,
`webhook-timestamp`, `webhook-signature`) with the endpoint's secret, which
is therefore kept as is, not hashed. Every attempt is recorded with its
status and the start of the answer; an endpoint failing
`WEBHOOK_DISABLE_AFTER_FAILURES` attempts in a row is disabled and the
administrator who created it is emailed.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import ipaddress
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook
from tortoise.expressions import F

from csm_graph import clock
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseComment
from csm_graph.consumers.models import Consumer
from csm_graph.core.global_ids import to_global_id
from csm_graph.core.partial import KEEP, Keep, Partial
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.jobs import doubling_delay, job
from csm_graph.notifications.services import queue_email, with_retries
from csm_graph.settings import Settings, get_settings
from csm_graph.surveys.models import Survey
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text
from csm_graph.webhooks.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

SECRET_BYTES = 24
ROTATION_OVERLAP = dt.timedelta(hours=24)
"""After a rotation, deliveries carry signatures with both secrets this long."""
MAX_ENDPOINTS = 50
DISABLED_TEMPLATE = "webhook_endpoint_disabled"
_CLAIMABLE = (DeliveryState.PENDING, DeliveryState.SENDING)
_OPEN = (DeliveryState.PENDING, DeliveryState.SENDING)
_ERROR_LIMIT = 2000
USER_AGENT = "csm-graph-webhooks/1"


# --- endpoints ----------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _require_admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may manage webhooks.")
    return viewer


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def check_url(value: str, settings: Settings, field: str = "url") -> str:
    """An absolute http(s) URL with a host and no credentials; without
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES, not a loopback or private address."""
    url = require_text(field, value, max_length=2000)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UserErrors.one(field, "Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise UserErrors.one(field, "Give an http:// or https:// URL.")
    if not parts.hostname:
        raise UserErrors.one(field, "The URL has no host.")
    if parts.username or parts.password:
        raise UserErrors.one(field, "Put no user name or password in the URL.")
    if port == 0:
        raise UserErrors.one(field, "Not a valid URL.")
    if not settings.webhooks_reach_private_addresses:
        host = parts.hostname.lower()
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if host == "localhost" or host.endswith(".localhost") or (literal and _private(literal)):
            raise UserErrors.one(
                field, "Webhooks may not be sent to loopback or private addresses."
            )
    return url


def _check_events(events: Sequence[WebhookEvent], field: str = "events") -> list[str]:
    if not events:
        raise UserErrors.one(field, "Choose at least one event.", ErrorCode.REQUIRED)
    return sorted({WebhookEvent(e).value for e in events})


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndpointChanges(Partial):
    """What `update_endpoint` changes (KEEP: leave as is)."""

    url: str | Keep = KEEP
    events: Sequence[WebhookEvent] | Keep = KEEP
    description: str | Keep | None = KEEP
    internal: bool | Keep | None = KEEP
    enabled: bool | Keep | None = KEEP


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndpointDraft(EndpointChanges):
    """A new endpoint: `url` and `events` are required."""


def _clean(data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    errors = ErrorList()
    values: dict[str, Any] = {}
    for name, check in (
        ("url", lambda v: check_url(v, settings)),
        ("events", _check_events),
        (
            "description",
            lambda v: require_text("description", v or "", max_length=200, required=False),
        ),
    ):
        if name in data:
            try:
                values[name] = check(data[name])
            except UserErrors as exc:
                errors.errors.extend(exc.errors)
    errors.raise_if_any()
    for name in ("internal", "enabled"):
        if data.get(name) is not None:
            values[name] = bool(data[name])
    return values


async def create_endpoint(
    viewer: Viewer | None, draft: EndpointDraft
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint, and its secret (shown once: the caller hands it to the admin)."""
    admin = _require_admin(viewer)
    data = draft.given()
    errors = ErrorList()
    if "url" not in data:
        errors.add("url", "Give the endpoint's URL.", ErrorCode.REQUIRED)
    if "events" not in data:
        errors.add("events", "Choose at least one event.", ErrorCode.REQUIRED)
    errors.raise_if_any()
    values = _clean(data, get_settings())
    values.pop("enabled", None)
    secret = new_secret()
    now = clock.now()
    async with unit_of_work():
        if await WebhookEndpoint.all().count() >= MAX_ENDPOINTS:
            raise UserErrors.one(
                "url", f"At most {MAX_ENDPOINTS} endpoints; delete one first.", ErrorCode.INVALID
            )
        endpoint = await WebhookEndpoint.create(
            **values,
            secret=secret,
            created_by_id=admin.login_id,
            created_at=now,
            updated_at=now,
        )
        await _audit(AuditKind.WEBHOOK_ENDPOINT_CREATED, admin, endpoint)
    return endpoint, secret


async def _endpoint(endpoint_id: int, field: str = "id") -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.filter(id=endpoint_id).select_for_update().first()
    if endpoint is None:
        raise UserErrors.one(field, "No such webhook endpoint.", ErrorCode.NOT_FOUND)
    return endpoint


async def update_endpoint(
    viewer: Viewer | None, endpoint_id: int, changes: EndpointChanges
) -> WebhookEndpoint:
    """Change an endpoint. Disabling it cancels its waiting deliveries; enabling
    it again starts its failure count afresh."""
    admin = _require_admin(viewer)
    values = _clean(changes.given(), get_settings())
    async with unit_of_work():
        endpoint = await _endpoint(endpoint_id)
        enabled = values.pop("enabled", None)
        changed = sorted(k for k, v in values.items() if getattr(endpoint, k) != v)
        now = clock.now()
        if enabled is True and not endpoint.enabled:
            values.update(enabled=True, consecutive_failures=0, disabled_at=None)
            values["disabled_reason"] = ""
        elif enabled is False and endpoint.enabled:
            values.update(enabled=False, disabled_at=now, disabled_reason="Disabled by hand.")
            await _cancel_open(endpoint.id)
        for key, value in values.items():
            setattr(endpoint, key, value)
        endpoint.updated_at = now
        await endpoint.save()
        if changed or enabled is not None:
            await _audit(AuditKind.WEBHOOK_ENDPOINT_CHANGED, admin, endpoint, fields=changed)
    return endpoint


async def rotate_secret(viewer: Viewer | None, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the old one keeps signing alongside for a day."""
    admin = _require_admin(viewer)
    async with unit_of_work():
        endpoint = await _endpoint(endpoint_id)
        secret = new_secret()
        now = clock.now()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.updated_at = now
        await endpoint.save()
        await _audit(AuditKind.WEBHOOK_SECRET_ROTATED, admin, endpoint)
    return endpoint, secret


async def delete_endpoint(viewer: Viewer | None, endpoint_id: int) -> WebhookEndpoint:
    """Delete an endpoint with its deliveries; returns it as it was."""
    admin = _require_admin(viewer)
    async with unit_of_work():
        endpoint = await _endpoint(endpoint_id)
        await _audit(AuditKind.WEBHOOK_ENDPOINT_DELETED, admin, endpoint)
        await endpoint.delete()
    return endpoint


async def redeliver(viewer: Viewer | None, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, with the same `webhook-id`, as a new round of attempts."""
    _require_admin(viewer)
    async with unit_of_work():
        delivery = await WebhookDelivery.filter(id=delivery_id).select_for_update().first()
        if delivery is None:
            raise UserErrors.one("id", "No such webhook delivery.", ErrorCode.NOT_FOUND)
        endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id)
        if delivery.state in _OPEN:
            raise UserErrors.one(
                "id", "The delivery is already waiting to be sent.", ErrorCode.INVALID_STATE
            )
        if not endpoint.enabled:
            raise UserErrors.one(
                "id", "Its endpoint is disabled: enable it first.", ErrorCode.INVALID_STATE
            )
        if not delivery.payload:
            raise UserErrors.one(
                "id", "Its content was erased with the consumer.", ErrorCode.INVALID_STATE
            )
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = clock.now()
        delivery.delivered_at = None
        await delivery.save(update_fields=["state", "attempts", "next_attempt_at", "delivered_at"])
        await send_webhook.later(delivery.id)
    return delivery


async def _audit(kind: AuditKind, admin: Viewer, endpoint: WebhookEndpoint, **data: Any) -> None:
    """Where personal data may flow out is the audit trail's business: each
    endpoint's creation, change, new secret and deletion, with its host and
    events (never its secret)."""
    host = urlsplit(endpoint.url).hostname or ""
    await record(
        kind,
        admin,
        target=("WebhookEndpoint", endpoint.id),
        host=host,
        events=sorted(endpoint.events),
        enabled=endpoint.enabled,
        **data,
    )


async def _cancel_open(endpoint_id: int) -> int:
    return await WebhookDelivery.filter(endpoint_id=endpoint_id, state__in=_OPEN).update(
        state=DeliveryState.CANCELLED, next_attempt_at=None
    )


# --- events -------------------------------------------------------------------------------


def gid(type_name: str, pk: int | None) -> str | None:
    """The object's global id as the API gives it (`node(id:)` loads it)."""
    if pk is None:
        return None
    return to_global_id(type_name, pk)


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Data = dict[str, Any]


async def enabled_endpoints() -> list[WebhookEndpoint]:
    return await WebhookEndpoint.filter(enabled=True).order_by("id")


async def emit(
    event: WebhookEvent,
    build: Callable[[], Awaitable[Data]],
    *,
    internal: bool = False,
    consumer_id: int | None = None,
    among: Sequence[WebhookEndpoint] | None = None,
) -> int:
    """Write one delivery of `event` per enabled endpoint that takes it, in the
    caller's transaction, and send each after the commit. `internal` events
    (work notes) go to internal endpoints only. `build` makes the event's
    `data`, once, and only when some endpoint takes it; `among` are the
    enabled endpoints when the caller has loaded them for many events.
    Returns the count."""
    endpoints = [
        e
        for e in (await enabled_endpoints() if among is None else among)
        if event.value in e.events and (e.internal or not internal)
    ]
    if not endpoints:
        return 0
    now = clock.now()
    payload = {"type": event.value, "timestamp": _when(now), "data": await build()}
    async with unit_of_work():
        for endpoint in endpoints:
            row = await WebhookDelivery.create(
                endpoint_id=endpoint.id,
                event=event,
                message_id=f"msg_{uuid.uuid4().hex}",
                payload=payload,
                consumer_id=consumer_id,
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            await send_webhook.later(row.id)
    return len(endpoints)


def case_data(case: Case) -> Data:
    """What every case event says about the case: ids and its working fields."""
    return {
        "id": gid("Case", case.id),
        "number": case.number,
        "shortDescription": case.short_description,
        "state": case.state.value,
        "priority": case.priority,
        "category": case.category.value,
        "channel": case.channel.value,
        "consumerId": gid("Consumer", case.consumer_id),
        "householdId": gid("Household", case.household_id),
        "soldProductId": gid("SoldProduct", case.sold_product_id),
        "assignedToId": gid("User", case.assigned_to_id),
        "assignmentTeamId": gid("Team", case.assignment_team_id),
        "version": case.version,
        "createdAt": _when(case.created_at),
        "updatedAt": _when(case.updated_at),
        "closedAt": _when(case.closed_at),
    }


_CASE_EVENTS = {
    ActivityKind.CREATED: WebhookEvent.CASE_CREATED,
    ActivityKind.STATE_CHANGED: WebhookEvent.CASE_STATE_CHANGED,
    ActivityKind.ASSIGNED: WebhookEvent.CASE_ASSIGNED,
    ActivityKind.COMMENTED: WebhookEvent.CASE_COMMENT_ADDED,
    ActivityKind.WORK_NOTE_ADDED: WebhookEvent.CASE_COMMENT_ADDED,
}


async def case_activities(entries: Sequence[CaseActivity], cases: dict[int, Case]) -> None:
    """The webhooks of many entries (a bulk change): the endpoints are read once,
    so a change of 100 cases costs no more statements than one of 10 while no
    endpoint takes case events."""
    endpoints = await enabled_endpoints()
    if not endpoints:
        return
    for entry in entries:
        await case_activity(entry, cases[entry.case_id], among=endpoints)


async def case_activity(
    entry: CaseActivity,
    case: Case | None = None,
    comment_id: int | None = None,
    *,
    among: Sequence[WebhookEndpoint] | None = None,
) -> None:
    """The webhook of a case's activity entry, if it is one of the case events."""
    event = _CASE_EVENTS.get(entry.kind)
    if event is None or (event is WebhookEvent.CASE_COMMENT_ADDED and comment_id is None):
        return

    async def build() -> Data:
        shown = case or await Case.get(id=entry.case_id)
        data: Data = {"case": case_data(shown), "actorId": gid("User", entry.actor_id)}
        if event is WebhookEvent.CASE_STATE_CHANGED:
            data.update(previousState=entry.old_value, state=entry.new_value)
        elif event is WebhookEvent.CASE_ASSIGNED:
            old = int(entry.old_value) if entry.old_value.isdigit() else None
            data["previousAssigneeId"] = gid("User", old)
        elif event is WebhookEvent.CASE_COMMENT_ADDED:
            comment = await CaseComment.get(id=comment_id)
            data["comment"] = {
                "id": gid("CaseComment", comment.id),
                "body": comment.body,
                "workNote": comment.work_note,
                "authorId": gid("User", comment.author_id),
                "onBehalfOfId": gid("Consumer", comment.on_behalf_of_id),
                "createdAt": _when(comment.created_at),
            }
        return data

    consumer_id = case.consumer_id if case is not None else None
    await emit(event, build, internal=entry.internal, consumer_id=consumer_id, among=among)


def consumer_data(consumer: Consumer) -> Data:
    """A consumer as an administrator sees it, without its address and social accounts."""
    return {
        "id": gid("Consumer", consumer.id),
        "number": consumer.number,
        "prefix": consumer.prefix,
        "firstName": consumer.first_name,
        "middleName": consumer.middle_name,
        "lastName": consumer.last_name,
        "suffix": consumer.suffix,
        "fullName": consumer.full_name,
        "email": consumer.email,
        "phone": consumer.phone,
        "mobilePhone": consumer.mobile_phone,
        "preferredLanguage": consumer.preferred_language,
        "slaLevel": consumer.sla_level.value,
        "isActive": consumer.is_active,
        "userId": gid("User", consumer.user_id),
        "createdAt": _when(consumer.created_at),
        "updatedAt": _when(consumer.updated_at),
    }


async def _consumer_changed(event: WebhookEvent, consumer: Consumer) -> Consumer:
    async def build() -> Data:
        return {"consumer": consumer_data(consumer)}

    await emit(event, build, consumer_id=consumer.id)
    return consumer


async def consumer_created(consumer: Consumer) -> Consumer:
    """`consumer.created`; returns the consumer, so a caller can wrap its `create`."""
    return await _consumer_changed(WebhookEvent.CONSUMER_CREATED, consumer)


async def consumer_updated(consumer: Consumer) -> Consumer:
    """`consumer.updated`, with the record as saved."""
    return await _consumer_changed(WebhookEvent.CONSUMER_UPDATED, consumer)


async def consumer_merged(survivor: Consumer, merged: Consumer) -> None:
    async def build() -> Data:
        return {"consumer": consumer_data(survivor), "mergedId": gid("Consumer", merged.id)}

    await emit(WebhookEvent.CONSUMER_MERGED, build, consumer_id=survivor.id)


async def consumer_erased(consumer: Consumer) -> None:
    """Ids only: nothing personal is left to say (and none goes out)."""

    async def build() -> Data:
        return {"consumer": {"id": gid("Consumer", consumer.id)}, "erasedAt": _when(clock.now())}

    await emit(WebhookEvent.CONSUMER_ERASED, build)


async def forget_consumers(consumer_ids: Sequence[int]) -> int:
    """An erasure: empty the stored payloads about these consumers, and cancel
    those not yet sent. Returns how many."""
    ids = list(consumer_ids)
    if not ids:
        return 0
    cancelled = await WebhookDelivery.filter(consumer_id__in=ids, state__in=_OPEN).update(
        state=DeliveryState.CANCELLED, next_attempt_at=None, payload={}
    )
    emptied = (
        await WebhookDelivery.filter(consumer_id__in=ids).exclude(payload={}).update(payload={})
    )
    return cancelled + emptied


async def survey_answered(survey: Survey) -> None:
    async def build() -> Data:
        return {
            "survey": {
                "id": gid("Survey", survey.id),
                "caseId": gid("Case", survey.case_id),
                "consumerId": gid("Consumer", survey.consumer_id),
                "rating": survey.rating,
                "comment": survey.comment,
                "answeredAt": _when(survey.answered_at),
            }
        }

    await emit(WebhookEvent.SURVEY_ANSWERED, build, consumer_id=survey.consumer_id)


# --- sending ------------------------------------------------------------------------------


class SendOutcome(StrEnum):
    DELIVERED = "DELIVERED"
    RETRY = "RETRY"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    """Nothing to send: not due, claimed by another job, finished, or gone."""


def signature(endpoint: WebhookEndpoint, message_id: str, at: dt.datetime, body: str) -> str:
    """The `webhook-signature` header: one `v1,` signature per live secret."""
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and at < (endpoint.previous_secret_until)
    ):
        keys.append(endpoint.previous_secret)
    return " ".join(Webhook(key).sign(message_id, at, body) for key in keys)


def retry_delay(settings: Settings, attempts: int) -> dt.timedelta:
    """Back-off after `attempts` failed requests (WEBHOOK_RETRY_*)."""
    return doubling_delay(
        settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds, attempts
    )


@dataclasses.dataclass
class _Answer:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def _refused_address(url: str, settings: Settings) -> str:
    """Why `url` may not be called now (its host resolves to a private address), or ''."""
    if settings.webhooks_reach_private_addresses:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    for *_, address in found:
        if _private(ipaddress.ip_address(address[0])):
            return f"{host} resolves to a private address"
    return ""


async def _post(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> _Answer:
    limit = settings.webhook_response_excerpt_bytes
    refused = await _refused_address(url, settings)
    if refused:
        return _Answer(error=refused)
    try:
        async with (
            httpx.AsyncClient(
                timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            excerpt = b""
            async for chunk in response.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= limit:
                    break
            return _Answer(
                status_code=response.status_code,
                excerpt=excerpt[:limit].decode("utf-8", "replace"),
            )
    except httpx.HTTPError as exc:
        return _Answer(error=f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT])


@job(name="send_webhook", timeout=120, max_tries=3)
async def send_webhook(delivery_id: int) -> SendOutcome:
    """Claim delivery `delivery_id` if it is due, send it, and record the attempt."""
    settings = get_settings()
    now = clock.now()
    claimed = await WebhookDelivery.filter(
        id=delivery_id, state__in=_CLAIMABLE, next_attempt_at__lte=now
    ).update(
        state=DeliveryState.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + dt.timedelta(seconds=settings.webhook_sending_timeout_seconds),
    )
    if not claimed:
        return SendOutcome.SKIPPED
    row = await WebhookDelivery.get_or_none(id=delivery_id)
    endpoint = await WebhookEndpoint.get_or_none(id=row.endpoint_id) if row else None
    if row is None or endpoint is None:
        return SendOutcome.SKIPPED
    if not endpoint.enabled:
        await WebhookDelivery.filter(id=row.id, state=DeliveryState.SENDING).update(
            state=DeliveryState.CANCELLED, next_attempt_at=None
        )
        return SendOutcome.SKIPPED
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False)
    at = clock.now()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": row.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(endpoint, row.message_id, at, body),
    }
    started = time.monotonic()
    answer = await _post(endpoint.url, body.encode(), headers, settings)
    duration_ms = int((time.monotonic() - started) * 1000)
    await with_retries(
        lambda: WebhookAttempt.create(
            delivery_id=row.id,
            at=at,
            status_code=answer.status_code,
            response_excerpt=answer.excerpt,
            error=answer.error,
            duration_ms=duration_ms,
        ),
        "record webhook attempt",
        row.id,
    )
    if answer.ok:
        await with_retries(
            lambda: WebhookDelivery.filter(id=row.id, state=DeliveryState.SENDING).update(
                state=DeliveryState.DELIVERED, delivered_at=clock.now(), next_attempt_at=None
            ),
            "mark webhook delivered",
            row.id,
        )
        await WebhookEndpoint.filter(id=endpoint.id).update(consecutive_failures=0)
        return SendOutcome.DELIVERED
    return await _record_failure(row, endpoint, answer, settings)


async def _record_failure(
    row: WebhookDelivery, endpoint: WebhookEndpoint, answer: _Answer, settings: Settings
) -> SendOutcome:
    give_up = row.attempts >= settings.webhook_max_attempts
    if give_up:
        state, next_attempt_at, outcome = DeliveryState.FAILED, None, SendOutcome.FAILED
    else:
        state, outcome = DeliveryState.PENDING, SendOutcome.RETRY
        next_attempt_at = clock.now() + retry_delay(settings, row.attempts)
    # Only this claim's outcome: if the row was claimed again meanwhile, that claim decides.
    await WebhookDelivery.filter(
        id=row.id, state=DeliveryState.SENDING, attempts=row.attempts
    ).update(state=state, next_attempt_at=next_attempt_at)
    log.warning(
        "webhook %s (%s to endpoint %s) attempt %d failed%s: %s",
        row.id,
        row.event,
        endpoint.id,
        row.attempts,
        ", giving up" if give_up else "",
        answer.error or f"HTTP {answer.status_code}",
    )
    await WebhookEndpoint.filter(id=endpoint.id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    await _disable_if_failing(endpoint.id, settings)
    return outcome


async def _disable_if_failing(endpoint_id: int, settings: Settings) -> None:
    """Disable the endpoint once it has failed too often in a row, and tell its
    owner; one conditional UPDATE decides, so the owner is told once."""
    limit = settings.webhook_disable_after_failures
    if limit <= 0:
        return
    now = clock.now()
    reason = f"{limit} delivery attempts in a row failed."
    async with unit_of_work():
        disabled = await WebhookEndpoint.filter(
            id=endpoint_id, enabled=True, consecutive_failures__gte=limit
        ).update(enabled=False, disabled_at=now, disabled_reason=reason, updated_at=now)
        if not disabled:
            return
        await _cancel_open(endpoint_id)
        endpoint = await WebhookEndpoint.get(id=endpoint_id)
        owner = (
            await User.get_or_none(id=endpoint.created_by_id) if endpoint.created_by_id else None
        )
        if owner is None or not owner.is_active:
            log.warning("webhook endpoint %s disabled; it has no owner to tell", endpoint_id)
            return
        await queue_email(
            template=DISABLED_TEMPLATE,
            to=owner.email,
            context={
                "name": owner.first_name or owner.email,
                "url": endpoint.url,
                "reason": reason,
                "link": f"{settings.portal_url}/admin/webhooks",
            },
            key=f"webhook-disabled:{endpoint_id}:{now.isoformat()}",
        )
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)


async def due_delivery_ids(limit: int) -> list[int]:
    """Deliveries due now: PENDING ones whose time has come and SENDING ones
    whose claim lapsed, oldest first."""
    rows = (
        await WebhookDelivery.filter(state__in=_CLAIMABLE, next_attempt_at__lte=clock.now())
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .only("id")
    )
    return [row.id for row in rows]


SWEEP_BATCH = 500


@job(name="sweep_webhooks", timeout=60, max_tries=1)
async def sweep_webhooks() -> int:
    """Enqueue due and stalled deliveries (every minute, and when a worker
    starts). A duplicate job is harmless: it claims nothing."""
    ids = await due_delivery_ids(SWEEP_BATCH)
    for delivery_id in ids:
        await send_webhook.later(delivery_id)
    return len(ids)
