"""Every job, and when the periodic ones run: one table for both running modes.

A job is declared where it lives (`@job(...)` in its domain's services);
this table only lists them. The embedded default hands it to
`jobs.start()`, the arq worker builds its functions and cron from it, and
the suite checks that every `@job` in the product is here.
"""

from __future__ import annotations

from typing import Any

from csm_graph.accounts.sessions import purge_expired_tokens
from csm_graph.cases.services import auto_close_resolved
from csm_graph.consumers.importing import import_consumers
from csm_graph.consumers.services import sync_identity, sync_user_identity
from csm_graph.delegations.services import remind_delegations
from csm_graph.exports.services import build_data_export, expire_data_exports
from csm_graph.jobs import Job, Periodic
from csm_graph.mailin.services import process_inbound_email, sweep_inbound_emails
from csm_graph.notifications.services import send_email, sweep_outbox
from csm_graph.privacy.retention import apply_retention
from csm_graph.sla.services import mark_breaches
from csm_graph.webhooks.services import send_webhook, sweep_webhooks

JOBS: tuple[Job[..., Any], ...] = (
    purge_expired_tokens,
    sync_identity,
    sync_user_identity,
    import_consumers,
    send_email,
    sweep_outbox,
    mark_breaches,
    auto_close_resolved,
    build_data_export,
    expire_data_exports,
    apply_retention,
    process_inbound_email,
    sweep_inbound_emails,
    send_webhook,
    sweep_webhooks,
    remind_delegations,
)

PERIODIC: tuple[Periodic, ...] = (
    # Also at start-up: a worker (re)starting after an outage sends the backlog at once.
    Periodic(sweep_outbox, every_seconds=60, cron={"second": {0}}, at_startup=True),
    Periodic(purge_expired_tokens, every_seconds=3600, cron={"minute": {7}}),
    Periodic(mark_breaches, every_seconds=60, cron={"second": {30}}),
    Periodic(
        auto_close_resolved,
        every_seconds=600,
        cron={"minute": {3, 13, 23, 33, 43, 53}, "second": {15}},
    ),
    Periodic(expire_data_exports, every_seconds=900, cron={"minute": {9, 24, 39, 54}}),
    # Hourly: it does nothing while the RETENTION_* settings are off.
    Periodic(apply_retention, every_seconds=3600, cron={"minute": {41}, "second": {45}}),
    # Inbound emails whose processing job never ran, or failed and is due again.
    Periodic(sweep_inbound_emails, every_seconds=60, cron={"second": {40}}),
    Periodic(sweep_webhooks, every_seconds=60, cron={"second": {20}}, at_startup=True),
    # Hourly: each delegation is reminded once, a week before its last day.
    Periodic(remind_delegations, every_seconds=3600, cron={"minute": {47}, "second": {20}}),
)
