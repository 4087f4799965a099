"""Bulk import of consumers from CSV.

An upload becomes an `ImportJob` holding the file; a worker job runs it in
batches. Rows upsert by `external_id`, else by email; each row is validated
like `consumerCreate`, and a bad row is reported by its line number and
writes nothing. Rows that change nothing count as processed only, so
importing the same file twice creates and updates nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from csm_graph import clock, db
from csm_graph.accounts.viewer import Viewer, require_admin
from csm_graph.consumers.models import Consumer, ImportJob, ImportRowError, ImportState
from csm_graph.consumers.validation import IDENTITY_FIELDS, clean, require_name
from csm_graph.core.numbering import format_number, take
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.jobs import enqueue, unit_of_work
from csm_graph.settings import get_settings

COLUMNS = frozenset(
    {
        "external_id",
        "full_name",
        "prefix",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "email",
        "phone",
        "mobile_phone",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "country",
        "date_of_birth",
        "preferred_language",
        "sla_level",
        "twitter_handle",
        "facebook_url",
        "linkedin_url",
        "personal_email",
    }
)
NUMBER_PREFIX = "CON"
BATCH_SIZE = 1000
ANALYZE_EVERY = 10_000
"""Rows an import creates between two `ANALYZE consumer`: a bulk load outruns
autovacuum, and a planner that still believes the table small scans all of
it for each batch's lookup by external id (quadratic in the import's size)."""

Progress = Callable[[ImportJob], None]


def _header(source: str) -> list[str]:
    reader = csv.reader(io.StringIO(source))
    header = [h.strip().lower() for h in next(reader, [])]
    if not header:
        raise UserErrors.one("file", "The file is empty.", ErrorCode.REQUIRED)
    unknown = sorted(set(header) - COLUMNS)
    if unknown:
        raise UserErrors.one("file", f"Unknown columns: {', '.join(unknown)}.")
    if not {"full_name", "first_name", "last_name"} & set(header):
        raise UserErrors.one("file", "A full_name, first_name or last_name column is required.")
    return header


async def create_job(file_name: str, content: bytes, created_by_id: int | None) -> ImportJob:
    """Check the file and record it as a queued import."""
    if len(content) > get_settings().import_max_bytes:
        raise UserErrors.one("file", "The file is too large.")
    try:
        source = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserErrors.one("file", "The file must be UTF-8 CSV.") from None
    _header(source)
    return await ImportJob.create(
        file_name=file_name[:200], source=source, created_by_id=created_by_id
    )


async def start_import(viewer: Viewer | None, file_name: str, content: bytes) -> ImportJob:
    """Check the file and queue its import for a worker (administrators)."""
    require_admin(viewer)
    assert viewer is not None
    async with unit_of_work():
        job = await create_job(file_name, content, viewer.user_id)
        await enqueue("import_consumers", job.id)
    return job


def _rows(source: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(source))
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    return [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
    ]


async def run_import(job_id: int, progress: Progress | None = None) -> ImportJob | None:
    """Run a queued import to the end. Safe to call twice: only one run claims the job."""
    claimed = await ImportJob.filter(id=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING
    )
    if not claimed:
        return await ImportJob.get_or_none(id=job_id)
    job = await ImportJob.get(id=job_id)
    try:
        _header(job.source)
        rows = _rows(job.source)
    except (UserErrors, csv.Error) as exc:
        job.state = ImportState.FAILED
        job.message = str(exc)[:500]
        job.finished_at = clock.now()
        await job.save()
        return job
    job.total = len(rows)
    await job.save(update_fields=["total"])
    seen: dict[str, int] = {}
    analyzed_at = 0
    for start in range(0, len(rows), BATCH_SIZE):
        await _run_batch(job, rows[start : start + BATCH_SIZE], seen)
        if job.created - analyzed_at >= ANALYZE_EVERY:
            await db.fetch("ANALYZE consumer")
            analyzed_at = job.created
        if progress is not None:
            progress(job)
    job.state = ImportState.DONE
    job.finished_at = clock.now()
    await job.save(update_fields=["state", "finished_at"])
    return job


async def _run_batch(
    job: ImportJob, batch: list[tuple[int, dict[str, str]]], seen: dict[str, int]
) -> None:
    region = get_settings().default_phone_region
    errors: list[ImportRowError] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for line, row in batch:
        try:
            values = clean({k: v for k, v in row.items() if v != ""}, region)
            require_name(values)
        except UserErrors as exc:
            message = "; ".join(
                f"{e.field}: {e.message}" if e.field else e.message for e in exc.errors
            )
            errors.append(ImportRowError(job_id=job.id, row=line, message=message[:500]))
            continue
        key = (
            f"id:{values['external_id']}"
            if values.get("external_id")
            else (f"email:{values['email']}" if values.get("email") else None)
        )
        if key is not None:
            if key in seen:
                errors.append(
                    ImportRowError(job_id=job.id, row=line, message=f"Repeats line {seen[key]}.")
                )
                continue
            seen[key] = line
        valid.append((line, values))

    external_ids = [v["external_id"] for _, v in valid if v.get("external_id")]
    emails = [v["email"] for _, v in valid if v.get("email") and not v.get("external_id")]
    by_external: dict[str, Consumer] = {}
    by_email: dict[str, list[Consumer]] = {}
    if external_ids:
        for c in await Consumer.filter(external_id__in=external_ids):
            by_external[str(c.external_id)] = c
    if emails:
        for c in await Consumer.filter(email__in=emails):
            by_email.setdefault(c.email, []).append(c)

    new: list[Consumer] = []
    changed: list[Consumer] = []
    changed_fields: set[str] = set()
    relink: list[int] = []
    now = clock.now()
    for line, values in valid:
        existing: Consumer | None = None
        if values.get("external_id"):
            existing = by_external.get(values["external_id"])
        elif values.get("email"):
            matches = by_email.get(values["email"], [])
            if len(matches) > 1:
                numbers = ", ".join(c.number for c in matches)
                errors.append(
                    ImportRowError(
                        job_id=job.id,
                        row=line,
                        message=f"email: {len(matches)} consumers have this email ({numbers}).",
                    )
                )
                continue
            existing = matches[0] if matches else None
        if existing is None:
            new.append(Consumer(identity_changed_at=now, **values))
            continue
        diff = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not diff:
            continue
        for key, value in diff.items():
            setattr(existing, key, value)
        if set(diff) & set(IDENTITY_FIELDS):
            existing.identity_changed_at = now
            changed_fields.add("identity_changed_at")
            if existing.user_id is not None:
                relink.append(existing.id)
        changed_fields.update(diff)
        changed.append(existing)

    async with unit_of_work():
        if new:
            taken = await take(NUMBER_PREFIX, len(new))
            for consumer, number in zip(new, taken, strict=True):
                consumer.number = format_number(NUMBER_PREFIX, number)
            await Consumer.bulk_create(new, batch_size=500)
        if changed:
            changed_fields.add("updated_at")
            for consumer in changed:
                consumer.updated_at = now
            await Consumer.bulk_update(changed, fields=sorted(changed_fields), batch_size=500)
        if errors:
            await ImportRowError.bulk_create(errors, batch_size=500)
        job.processed += len(batch)
        job.created += len(new)
        job.updated += len(changed)
        job.failed += len(errors)
        await job.save(update_fields=["processed", "created", "updated", "failed"])
        for consumer_id in relink:
            await enqueue("sync_consumer_identity", consumer_id)
