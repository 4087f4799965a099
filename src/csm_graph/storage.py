"""Attachment files: checked, stored under a random key, read back by key.

The content type comes from the bytes (`puremagic`), never from the name
the client gave, and must be on the `ATTACHMENT_TYPES` list. Plain text
has no magic number: it is text when it decodes as UTF-8 without NUL
bytes and carries no markup. Executables, HTML, SVG and XML are refused
whatever they are called. Keys are random hex, so a client's file name
never reaches the file system.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import puremagic

from csm_graph.errors import UserErrors
from csm_graph.settings import get_settings

log = logging.getLogger(__name__)

FIELD = "file"
KEY = re.compile(r"[0-9a-f]{32}")
EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux and most Unix
    b"MZ",  # Windows (PE) and DOS
    b"\xfe\xed\xfa\xce",  # Mach-O, 32 and 64 bit, both byte orders, and universal
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # scripts
)
REFUSED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
        "application/x-sh",
        "text/x-shellscript",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-msdownload",
    }
)
TEXT_TYPES = ("text/csv", "text/plain")
MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|iframe|object|embed|svg|\?xml|meta|style|a\s)",
    re.IGNORECASE,
)
SNIFF_BYTES = 4096


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    content_type: str
    sha256: str


def path_of(key: str) -> Path:
    """Where the file with `key` lives; a key that is not one of ours is refused."""
    if not KEY.fullmatch(key):
        raise ValueError("not an attachment key")
    return get_settings().attachments_path / key[:2] / key


async def save(data: bytes, file_name: str) -> StoredFile:
    """Check and store an uploaded file. `file_name` is only reported, never used as a path.

    Raises `UserErrors` on `file` when it is empty, too large or of a type
    that is not allowed.
    """
    settings = get_settings()
    if not data:
        raise UserErrors.one(FIELD, "The file is empty.")
    if len(data) > settings.attachment_max_bytes:
        raise UserErrors.one(
            FIELD, f"The file is larger than {_size(settings.attachment_max_bytes)}."
        )
    content_type = content_type_of(data, settings.attachment_types)
    if content_type is None:
        log.info("attachment refused: type not allowed (%d bytes)", len(data))
        raise UserErrors.one(FIELD, "This type of file is not allowed.")
    key = secrets.token_hex(16)
    await asyncio.to_thread(_write, path_of(key), data)
    return StoredFile(
        key=key,
        size=len(data),
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
    )


async def put(data: bytes) -> str:
    """Store a file the product made itself (a data export's archive), unchecked,
    under a new random key; returns the key."""
    key = secrets.token_hex(16)
    await asyncio.to_thread(_write, path_of(key), data)
    return key


async def read(key: str) -> bytes:
    """The stored bytes; `FileNotFoundError` when there is no such file."""
    return await asyncio.to_thread(path_of(key).read_bytes)


async def delete(key: str) -> None:
    """Remove the file; deleting a missing file is not an error."""
    await asyncio.to_thread(path_of(key).unlink, missing_ok=True)


def content_type_of(data: bytes, allowed: list[str]) -> str | None:
    """The media type of `data`, judged from its bytes, or None when it is not allowed."""
    if data.startswith(EXECUTABLE_MAGIC):
        return None
    try:
        matches = puremagic.magic_string(data)
    except puremagic.PureError:
        matches = []
    named = [m for m in matches if m.mime_type]
    if named:
        best = max(m.confidence for m in named)
        top = [m.mime_type for m in named if m.confidence == best]
        if any(t in REFUSED_TYPES for t in top):
            return None
        for media_type in top:
            if media_type in allowed and media_type not in TEXT_TYPES:
                return str(media_type)
    # A format without a magic number: accept it only as text.
    text_type = _text_type(data)
    if text_type is None:
        return None
    for media_type in (text_type, "text/plain"):
        if media_type in allowed:
            return media_type
    return None


def _text_type(data: bytes) -> str | None:
    """`text/csv` or `text/plain` for UTF-8 text without NUL bytes or markup, else None."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if MARKUP.search(data[:SNIFF_BYTES]):
        return None
    if _looks_like_csv(text[:SNIFF_BYTES], truncated=len(text) > SNIFF_BYTES):
        return "text/csv"
    return "text/plain"


def _looks_like_csv(sample: str, *, truncated: bool) -> bool:
    lines = [line for line in sample.splitlines() if line.strip()]
    if truncated:
        lines = lines[:-1]
    lines = lines[:20]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
    except csv.Error:
        return False
    widths = {len(row) for row in csv.reader(lines, dialect)}
    return len(widths) == 1 and widths.pop() > 1


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # Readers see the whole file or none of it.
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _size(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"
