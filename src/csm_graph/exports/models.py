"""Data exports: a consumer's copy of everything held about them (right of access)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ExportState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    READY = "READY"
    """The archive is written and may be downloaded (once, until it expires)."""
    DOWNLOADED = "DOWNLOADED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


class DataExport(Model):
    id = fields.IntField(primary_key=True)
    consumer_id = fields.IntField()
    """The consumer whose data it holds (a plain id: erasing them keeps the row)."""
    requested_by_id = fields.IntField(null=True)
    """The user who asked: an administrator, or the consumer's own login."""
    state = fields.CharEnumField(ExportState, max_length=16, default=ExportState.QUEUED)
    storage_key = fields.CharField(max_length=200, default="")
    """Where the archive is, under the storage folder; empty once deleted."""
    size = fields.BigIntField(default=0)
    download_token_hash = fields.CharField(max_length=64, default="", db_index=True)
    """SHA-256 of the download link's secret; the secret itself is only in the email."""
    message = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    downloaded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "data_export"
        indexes = (("consumer_id", "id"),)
