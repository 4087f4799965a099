"""SQLite: a transaction takes the write lock when it starts, so a second
process writing the same file waits for it instead of making it fail."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from urllib.parse import urlsplit

import pytest

from csm_graph import db
from csm_graph.accounts.models import Team
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work


def _other_process_renames(path: str, team_id: int) -> float:
    """What another process does: its own connection, a write, a commit.
    Returns when it committed."""
    other = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE team SET name = 'theirs' WHERE id = ?", (team_id,))
        other.execute("COMMIT")
        return time.monotonic()
    finally:
        other.close()


async def test_a_write_from_another_process_waits_for_an_open_transaction(
    settings: Settings,
) -> None:
    if db.is_postgres(settings):
        pytest.skip("SQLite's locking")
    path = urlsplit(db.database_url(settings)).path
    team = await Team.create(name="before")

    # when: our transaction reads, another process tries to write, then we write
    async with unit_of_work():
        assert await Team.filter(name="before").count() == 1
        theirs = asyncio.create_task(asyncio.to_thread(_other_process_renames, path, team.id))
        await asyncio.sleep(0.5)  # time enough for them to commit, were they not held
        assert not theirs.done()
        await Team.filter(id=team.id).update(name="ours")
        ours_committing = time.monotonic()

    # then: ours committed (a deferred BEGIN would fail here, "database is
    # locked"), and theirs was applied after it
    their_commit = await theirs
    assert their_commit > ours_committing
    assert (await Team.get(id=team.id)).name == "theirs"
