"""Attachment storage: type from the bytes, size limit, random keys, round trip."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from csm_graph import storage
from csm_graph.errors import ErrorCode, FieldError, UserErrors
from csm_graph.settings import Settings, use_settings


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
HTML_FRAGMENT = b"Hello,\n<script>fetch('/graphql')</script>\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
TEXT = "The router blinks red since Tuesday.\nGrüße, Ann\n".encode()
CSV = b"id,name,email\n1,Ann,ann@example.com\n2,Bob,bob@example.com\n"
NOT_ALLOWED = [FieldError("file", "This type of file is not allowed.", ErrorCode.INVALID)]


@pytest.fixture
def storage_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The test settings with attachments in a directory of this test's own."""
    configured = settings.model_copy(
        update={"attachments_dir": str(tmp_path / "attachments"), "attachment_max_bytes": 1024}
    )
    use_settings(configured)
    yield configured
    use_settings(settings)


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PNG, "notes.txt", "image/png"),
        (PDF, "invoice.txt", "application/pdf"),
        (JPEG, "photo", "image/jpeg"),
        (GIF, "x.pdf", "image/gif"),
        (WEBP, "x.png", "image/webp"),
        (TEXT, "report.exe", "text/plain"),
        (CSV, "export.txt", "text/csv"),
    ],
)
async def test_the_type_comes_from_the_bytes_not_the_name(
    storage_settings: Settings, data: bytes, name: str, content_type: str
) -> None:
    stored = await storage.save(data, name)

    assert stored.content_type == content_type
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "data",
    [ELF, PE, HTML, HTML_FRAGMENT, SVG, SCRIPT, b"PK\x03\x04" + b"\x00" * 30, b"\x00\x01\x02\xff"],
    ids=["elf", "pe", "html", "html-in-text", "svg", "script", "zip", "binary"],
)
async def test_refused_types_are_refused_whatever_their_name(
    storage_settings: Settings, data: bytes
) -> None:
    with pytest.raises(UserErrors) as refused:
        await storage.save(data, "picture.png")

    assert refused.value.errors == NOT_ALLOWED
    assert list(storage_settings.attachments_path.rglob("*")) == []


async def test_only_the_configured_types_are_allowed(storage_settings: Settings) -> None:
    use_settings(storage_settings.model_copy(update={"attachment_types": ["application/pdf"]}))

    with pytest.raises(UserErrors) as refused:
        await storage.save(PNG, "picture.png")

    assert refused.value.errors == NOT_ALLOWED


async def test_csv_is_plain_text_when_only_plain_text_is_allowed(
    storage_settings: Settings,
) -> None:
    use_settings(storage_settings.model_copy(update={"attachment_types": ["text/plain"]}))

    stored = await storage.save(CSV, "export.csv")

    assert stored.content_type == "text/plain"


async def test_a_file_over_the_limit_is_refused(storage_settings: Settings) -> None:
    with pytest.raises(UserErrors) as refused:
        await storage.save(TEXT * 100, "big.txt")

    assert refused.value.errors == [
        FieldError("file", "The file is larger than 1 KiB.", ErrorCode.INVALID)
    ]


async def test_a_file_at_the_limit_is_accepted(storage_settings: Settings) -> None:
    stored = await storage.save(b"a" * 1024, "full.txt")

    assert stored.size == 1024


async def test_an_empty_file_is_refused(storage_settings: Settings) -> None:
    with pytest.raises(UserErrors) as refused:
        await storage.save(b"", "empty.txt")

    assert refused.value.errors == [FieldError("file", "The file is empty.", ErrorCode.INVALID)]


async def test_read_returns_what_was_saved(storage_settings: Settings) -> None:
    # given
    stored = await storage.save(PNG, "picture.png")

    # when
    data = await storage.read(stored.key)

    # then
    assert data == PNG
    assert storage.path_of(stored.key).is_relative_to(storage_settings.attachments_path)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "a/../../b.txt", ""])
async def test_the_file_name_never_becomes_a_path(storage_settings: Settings, name: str) -> None:
    stored = await storage.save(TEXT, name)

    files = [p for p in storage_settings.attachments_path.rglob("*") if p.is_file()]
    assert files == [storage.path_of(stored.key)]
    assert files[0].name == stored.key
    assert "passwd" not in stored.key


async def test_keys_are_random(storage_settings: Settings) -> None:
    first = await storage.save(TEXT, "same.txt")
    second = await storage.save(TEXT, "same.txt")

    assert first.key != second.key
    assert first.sha256 == second.sha256


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "/etc/passwd", "0" * 31, "0" * 32 + "/..", "A" * 32, ""]
)
async def test_a_key_that_is_not_ours_is_refused(storage_settings: Settings, key: str) -> None:
    with pytest.raises(ValueError, match="not an attachment key"):
        await storage.read(key)
    with pytest.raises(ValueError, match="not an attachment key"):
        await storage.delete(key)


async def test_delete_removes_the_file_and_tolerates_a_missing_one(
    storage_settings: Settings,
) -> None:
    # given
    stored = await storage.save(PDF, "invoice.pdf")

    # when
    await storage.delete(stored.key)
    await storage.delete(stored.key)

    # then
    assert not storage.path_of(stored.key).exists()
    with pytest.raises(FileNotFoundError):
        await storage.read(stored.key)


def test_attachments_live_under_var_dir_by_default(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, _env_file=None)

    assert settings.attachments_path == tmp_path / "attachments"
