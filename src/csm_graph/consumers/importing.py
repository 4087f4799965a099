"""Bulk import of consumers from CSV.

An upload becomes an `ImportJob` holding the file; a worker job runs it in
batches. Rows upsert by `external_id`, else by email; each row is validated
like `consumerCreate`, and a bad row is reported by its line number and
writes nothing. An external id that a merged record (a tombstone) kept
updates its survivor, which keeps its own external id; an email matches
live records only. Rows that change nothing count as processed only, so
importing the same file twice creates and updates nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from csm_graph import clock, db
from csm_graph.accounts.viewer import Viewer, require_admin
from csm_graph.consumers.models import Consumer, ImportJob, ImportRowError, ImportState
from csm_graph.consumers.services import sync_identity
from csm_graph.consumers.validation import IDENTITY_FIELDS, clean, require_name
from csm_graph.core.numbering import format_number, take
from csm_graph.core.partial import ADDRESS_FIELDS
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.jobs import job
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work

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
        *ADDRESS_FIELDS,
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
Row = tuple[int, dict[str, str]]
"""(line number, raw values by column) of one CSV data row."""
Valid = tuple[int, dict[str, Any]]
"""(line number, cleaned values) of a row that passed validation."""


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
        await import_consumers.later(job.id)
    return job


def _rows(source: str) -> list[Row]:
    """(line number, row) for every data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(source))
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    return [
        (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
    ]


@job(max_tries=1)
async def import_consumers(job_id: int) -> str:
    """The worker's side of `start_import`: the import's state once it ends."""
    found = await run_import(job_id)
    return found.state.value if found else "missing"


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


async def _run_batch(job: ImportJob, batch: list[Row], seen: dict[str, int]) -> None:
    """Import one batch: validate, match, plan, write.

    Two lookups at most (by external id, by email) and one transaction,
    whatever the batch's size.
    """
    valid, errors = _validate(job, batch, seen)
    existing = await _match(valid)
    plan = _plan(job, valid, existing, errors)
    await _write(job, len(batch), plan)


def _row_error(job: ImportJob, line: int, message: str) -> ImportRowError:
    return ImportRowError(job_id=job.id, row=line, message=message)


def _validate(
    job: ImportJob, batch: list[Row], seen: dict[str, int]
) -> tuple[list[Valid], list[ImportRowError]]:
    """Clean each row like `consumerCreate` and refuse a row whose key (its
    external id, else its email) an earlier line of the file already used:
    the file must say once what each consumer becomes. `seen` spans batches."""
    region = get_settings().default_phone_region
    errors: list[ImportRowError] = []
    valid: list[Valid] = []
    for line, row in batch:
        try:
            values = clean({k: v for k, v in row.items() if v != ""}, region)
            require_name(values)
        except UserErrors as exc:
            message = "; ".join(
                f"{e.field}: {e.message}" if e.field else e.message for e in exc.errors
            )
            errors.append(_row_error(job, line, message[:500]))
            continue
        key = (
            f"id:{values['external_id']}"
            if values.get("external_id")
            else (f"email:{values['email']}" if values.get("email") else None)
        )
        if key is not None:
            if key in seen:
                errors.append(_row_error(job, line, f"Repeats line {seen[key]}."))
                continue
            seen[key] = line
        valid.append((line, values))
    return valid, errors


@dataclass
class _Existing:
    """The consumers already stored that a batch's rows name."""

    by_external: dict[str, Consumer] = field(default_factory=dict)
    by_email: dict[str, list[Consumer]] = field(default_factory=dict)

    def candidates(self, values: dict[str, Any]) -> list[Consumer]:
        """Who a row may update: by external id when it has one, else
        everyone with its email (more than one is ambiguous)."""
        if values.get("external_id"):
            found = self.by_external.get(values["external_id"])
            return [found] if found is not None else []
        if values.get("email"):
            return self.by_email.get(values["email"], [])
        return []


async def _match(valid: list[Valid]) -> _Existing:
    """Fetch, in one query each, the consumers the rows name by external
    id, and by email for the rows that have no external id."""
    external_ids = [v["external_id"] for _, v in valid if v.get("external_id")]
    emails = [v["email"] for _, v in valid if v.get("email") and not v.get("external_id")]
    existing = _Existing()
    if external_ids:
        found = await Consumer.filter(external_id__in=external_ids)
        # A merged record keeps its external id when its survivor had one:
        # the source system still names it, and the row means the survivor.
        survivor_ids = sorted({c.merged_into_id for c in found if c.merged_into_id is not None})
        survivors = (
            {c.id: c for c in await Consumer.filter(id__in=survivor_ids)} if survivor_ids else {}
        )
        for c in found:
            target = survivors.get(c.merged_into_id, c) if c.merged_into_id is not None else c
            existing.by_external[str(c.external_id)] = target
    if emails:
        for c in await Consumer.filter(email__in=emails, merged_into_id=None):
            existing.by_email.setdefault(c.email, []).append(c)
    return existing


@dataclass
class _Plan:
    """What one batch writes, decided before anything is written."""

    now: dt.datetime
    errors: list[ImportRowError]
    new: list[Consumer] = field(default_factory=list)
    changed: list[Consumer] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    relink: list[int] = field(default_factory=list)
    """Consumers with a login whose identity changed: their user must follow."""

    def update(self, existing: Consumer, values: dict[str, Any]) -> None:
        """Set only the fields that differ; a row that changes nothing writes nothing."""
        diff = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not diff:
            return
        for key, value in diff.items():
            setattr(existing, key, value)
        if set(diff) & set(IDENTITY_FIELDS):
            existing.identity_changed_at = self.now
            self.changed_fields.add("identity_changed_at")
            if existing.user_id is not None:
                self.relink.append(existing.id)
        self.changed_fields.update(diff)
        self.changed.append(existing)


def _plan(
    job: ImportJob, valid: list[Valid], existing: _Existing, errors: list[ImportRowError]
) -> _Plan:
    """Create the rows that match no one, update the ones that match one
    consumer, and refuse an email that several consumers share rather than
    guess which of them the row means."""
    plan = _Plan(now=clock.now(), errors=errors)
    for line, values in valid:
        matches = existing.candidates(values)
        if len(matches) > 1:
            numbers = ", ".join(c.number for c in matches)
            plan.errors.append(
                _row_error(
                    job, line, f"email: {len(matches)} consumers have this email ({numbers})."
                )
            )
        elif matches:
            if values.get("external_id") not in (None, matches[0].external_id):
                # Matched through a tombstone's external id: the survivor keeps its own.
                values = {k: v for k, v in values.items() if k != "external_id"}
            plan.update(matches[0], values)
        else:
            plan.new.append(Consumer(identity_changed_at=plan.now, **values))
    return plan


async def _write(job: ImportJob, processed: int, plan: _Plan) -> None:
    """Write the plan and the job's counters in one transaction: a batch
    counts only if its rows went in. Identity syncs start after the commit."""
    async with unit_of_work():
        if plan.new:
            taken = await take(NUMBER_PREFIX, len(plan.new))
            for consumer, number in zip(plan.new, taken, strict=True):
                consumer.number = format_number(NUMBER_PREFIX, number)
            await Consumer.bulk_create(plan.new, batch_size=500)
        if plan.changed:
            plan.changed_fields.add("updated_at")
            for consumer in plan.changed:
                consumer.updated_at = plan.now
            await Consumer.bulk_update(
                plan.changed, fields=sorted(plan.changed_fields), batch_size=500
            )
        if plan.errors:
            await ImportRowError.bulk_create(plan.errors, batch_size=500)
        job.processed += processed
        job.created += len(plan.new)
        job.updated += len(plan.changed)
        job.failed += len(plan.errors)
        await job.save(update_fields=["processed", "created", "updated", "failed"])
        for consumer_id in plan.relink:
            await sync_identity.later(consumer_id)
