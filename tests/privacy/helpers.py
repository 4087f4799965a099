"""Looking for a person everywhere: every text column of every table, and every stored file.

The tables and their columns come from the database's own catalogue, so a
table added later is searched without a change here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csm_graph import db
from csm_graph.settings import get_settings
from tests.mail import parse

TEXT_TYPES_PG = ("text", "character varying", "character", "json", "jsonb")
TEXT_TYPES_SQLITE = ("TEXT", "VARCHAR", "CHAR", "JSON", "CLOB")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def tables() -> list[str]:
    if db.is_postgres(get_settings()):
        rows = await db.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    else:
        rows = await db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(str(r[0]) for r in rows)


async def text_columns() -> dict[str, list[str]]:
    """Every text, varchar and JSON column, by table."""
    found: dict[str, list[str]] = {}
    if db.is_postgres(get_settings()):
        rows = await db.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
        for table, column, data_type in rows:
            if str(data_type) in TEXT_TYPES_PG:
                found.setdefault(str(table), []).append(str(column))
        return found
    for table in await tables():
        for row in await db.fetch(f"PRAGMA table_info({_quote(table)})"):
            column, declared = str(row[1]), str(row[2]).upper()
            if declared.startswith(TEXT_TYPES_SQLITE):
                found.setdefault(table, []).append(column)
    return found


async def where_in_database(value: str) -> list[str]:
    """`table.column` of every row holding `value` (case-insensitively)."""
    hits = []
    for table, columns in (await text_columns()).items():
        for column in columns:
            sql = (
                f"SELECT COUNT(*) FROM {_quote(table)}"
                f" WHERE LOWER(CAST({_quote(column)} AS TEXT)) LIKE ?"
            )
            [(count,)] = await db.fetch(sql, [f"%{value.lower()}%"])
            if count:
                hits.append(f"{table}.{column}")
    return hits


def where_in_storage(value: str) -> list[str]:
    """Every file under the storage folder holding `value` (case-insensitively)."""
    root = get_settings().attachments_path
    needle = value.lower().encode()
    return [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*"))
        if path.is_file() and needle in path.read_bytes().lower()
    ]


def mail_text(path: Path) -> str:
    """An `.eml` file as a reader sees it: its headers, and every text part decoded."""
    message = parse(path.read_bytes())
    texts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            texts.append(str(part.get_content()))  # type: ignore[attr-defined]
    return "\n".join(texts)


def where_in_mail(value: str) -> list[str]:
    """Every email the embedded mailer wrote (`.eml` files under MAIL_DIR,
    decoded) that still holds `value` (case-insensitively)."""
    root = get_settings().mail_dir
    needle = value.lower()
    return [path.name for path in sorted(root.glob("*.eml")) if needle in mail_text(path).lower()]


async def where(value: str) -> list[str]:
    """Everywhere `value` is still found: database columns, stored files and
    the embedded mailer's emails."""
    return [
        *await where_in_database(value),
        *(f"file {p}" for p in where_in_storage(value)),
        *(f"email {p}" for p in where_in_mail(value)),
    ]


async def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: compared before and after
    an operation that must change nothing."""
    rows = {}
    for table in await tables():
        rows[table] = sorted(
            (await db.fetch(f"SELECT * FROM {_quote(table)}")), key=lambda r: repr(r)
        )
    return rows


def files() -> set[Path]:
    root = get_settings().attachments_path
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()
