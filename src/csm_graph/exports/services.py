"""The data export rules: who may ask, the job that writes the archive, the
one download, and the sweep that removes what is no longer needed.

An export is asked for by an administrator or by the consumer themselves.
A job writes the archive (`archive.py`) to storage, marks the export READY
and emails the consumer a link holding a random secret; only its SHA-256 is
kept. The link works once: the download claims the row with one conditional
UPDATE (READY and not expired, to DOWNLOADED), so two downloads at the same
moment cannot both succeed, and the archive is deleted once sent. The
periodic sweep marks unused exports EXPIRED and deletes every archive that
is no longer downloadable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from pathlib import Path
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock, storage
from csm_graph.access.engine import Subject
from csm_graph.access.policy import require_visible
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record
from csm_graph.consumers.models import Consumer
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.exports import archive
from csm_graph.exports.models import DataExport, ExportState
from csm_graph.jobs import job
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work

log = logging.getLogger(__name__)

TEMPLATE = "data_export_ready"
IN_PROGRESS = (ExportState.QUEUED, ExportState.RUNNING)
BUILD_TIMEOUT_SECONDS = 600
STALLED_AFTER = dt.timedelta(hours=1)
"""A queued or running export this old was lost (its worker died): FAILED, so
the consumer may ask again."""
DOWNLOADED_GRACE = dt.timedelta(hours=1)
"""An archive the download claimed is deleted once sent; the sweep deletes one
left behind after this long (a download still streaming keeps its file)."""
TOKEN_MAX_LENGTH = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_export(subject: Subject, consumer_id: int) -> DataExport:
    """Queue an export of the consumer's data (administrators, and the consumer
    for themselves; anyone else's id is answered like a missing one)."""
    viewer = subject.viewer
    async with unit_of_work():
        consumer = await require_visible(
            subject, await Consumer.get_or_none(id=consumer_id), "consumer_id", "consumer"
        )
        own = consumer.user_id is not None and consumer.user_id == viewer.user_id
        if not (viewer.is_admin or own):
            if viewer.is_internal:
                raise UserErrors.one(
                    "consumer_id",
                    "Only administrators and the consumer themselves may ask for an export.",
                    ErrorCode.FORBIDDEN,
                )
            raise UserErrors.one("consumer_id", "No such consumer.", ErrorCode.NOT_FOUND)
        if await DataExport.filter(consumer_id=consumer.id, state__in=IN_PROGRESS).exists():
            raise UserErrors.one(
                "consumer_id",
                "An export of this consumer is already being prepared.",
                ErrorCode.CONFLICT,
            )
        export = await DataExport.create(
            consumer_id=consumer.id, requested_by_id=viewer.user_id, created_at=clock.now()
        )
        await record(
            AuditKind.DATA_EXPORT_REQUESTED,
            viewer,
            consumer_id=consumer.id,
            target=("DataExport", export.id),
        )
        await build_data_export.later(export.id)
    return export


@job(name="build_data_export", timeout=BUILD_TIMEOUT_SECONDS, max_tries=1)
async def build_data_export(export_id: int) -> str:
    """Write export `export_id`'s archive, mark it READY and email the link;
    its state once done. Only one run claims a queued export."""
    claimed = await DataExport.filter(id=export_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING
    )
    if not claimed:
        return "skipped"
    export = await DataExport.get(id=export_id)
    key = ""
    try:
        data = await archive.build(export.consumer_id, clock.now())
        key = await storage.put(data)
        token = secrets.token_urlsafe(32)
        now = clock.now()
        expires_at = now + dt.timedelta(hours=get_settings().export_link_hours)
        async with unit_of_work():
            message = await _announce(export.consumer_id, export.id, token, expires_at)
            done = await DataExport.filter(id=export.id, state=ExportState.RUNNING).update(
                state=ExportState.READY,
                storage_key=key,
                size=len(data),
                download_token_hash=hash_token(token),
                message=message,
                finished_at=now,
                expires_at=expires_at,
            )
            if not done:
                raise RuntimeError("the export was no longer running")
    except Exception as exc:
        log.exception("data export %s failed", export_id)
        if key:
            await storage.delete(key)
        await DataExport.filter(id=export_id, state=ExportState.RUNNING).update(
            state=ExportState.FAILED,
            finished_at=clock.now(),
            message=f"The export failed ({type(exc).__name__}); ask for a new one."[:500],
        )
        return ExportState.FAILED.value
    return ExportState.READY.value


async def _announce(consumer_id: int, export_id: int, token: str, expires_at: dt.datetime) -> str:
    """Queue the email with the link (to the consumer's address, else their
    login's); the export's message: empty, or why nobody could be told."""
    consumer = await Consumer.get(id=consumer_id)
    to = consumer.email
    if not to and consumer.user_id is not None:
        login = await User.get_or_none(id=consumer.user_id)
        to = login.email if login else ""
    if not to:
        return "The consumer has no email address: the link could not be sent."
    settings = get_settings()
    await queue_email(
        template=TEMPLATE,
        to=to,
        context={
            "name": consumer.first_name or consumer.full_name or "there",
            "link": f"{settings.portal_url.rstrip('/')}/exports/{token}",
            "expires": expires_at.isoformat(),  # written for the recipient when sent
        },
        key=f"export:{export_id}",
    )
    return ""


async def may_download(viewer: Viewer, export: DataExport) -> bool:
    """Administrators, and the login of the consumer whose data it is."""
    if viewer.is_admin:
        return True
    owner: list[Any] = await Consumer.filter(id=export.consumer_id).values_list(
        "user_id", flat=True
    )
    return bool(owner) and owner[0] == viewer.user_id


async def claim_download(viewer: Viewer, token: str) -> tuple[DataExport, Path] | None:
    """The export behind `token` and its archive's path, now DOWNLOADED, when
    `viewer` may download it and it is READY, unexpired and stored; else None
    (unknown, someone else's, used and expired all look the same)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    export = await DataExport.get_or_none(download_token_hash=hash_token(token))
    now = clock.now()
    if (
        export is None
        or export.state is not ExportState.READY
        or export.expires_at is None
        or export.expires_at <= now
        or not await may_download(viewer, export)
    ):
        return None
    try:
        path = storage.path_of(export.storage_key)
    except ValueError:
        return None
    if not path.is_file():
        return None
    async with unit_of_work():
        claimed = await DataExport.filter(
            id=export.id, state=ExportState.READY, expires_at__gt=now
        ).update(state=ExportState.DOWNLOADED, downloaded_at=now)
        if not claimed:
            return None
        await record(
            AuditKind.DATA_EXPORT_DOWNLOADED,
            viewer,
            consumer_id=export.consumer_id,
            target=("DataExport", export.id),
        )
    return export, path


async def discard_archive(export_id: int, key: str) -> None:
    """Delete a downloaded export's archive (after it was sent)."""
    await storage.delete(key)
    await DataExport.filter(id=export_id, storage_key=key).update(storage_key="")


@job(name="expire_data_exports", timeout=300, max_tries=1)
async def expire_data_exports() -> int:
    """Mark unused exports past their time EXPIRED, lost ones FAILED, and delete
    every archive no longer downloadable; returns how many archives went."""
    now = clock.now()
    await DataExport.filter(state=ExportState.READY, expires_at__lte=now).update(
        state=ExportState.EXPIRED
    )
    await DataExport.filter(state__in=IN_PROGRESS, created_at__lte=now - STALLED_AFTER).update(
        state=ExportState.FAILED,
        finished_at=now,
        message="The export stopped before it finished; ask for a new one.",
    )
    done = Q(state__in=(ExportState.EXPIRED, ExportState.FAILED)) | Q(
        state=ExportState.DOWNLOADED, downloaded_at__lte=now - DOWNLOADED_GRACE
    )
    rows: list[tuple[int, str]] = await (
        DataExport.filter(done).exclude(storage_key="").values_list("id", "storage_key")
    )
    for export_id, key in rows:
        await discard_archive(export_id, key)
    return len(rows)
