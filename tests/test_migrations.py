"""The committed migrations match the models, and constraints hold in the database."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from csm_graph.accounts.models import User, UserType
from csm_graph.migrations_check import pending_changes
from csm_graph.settings import Settings


async def test_no_model_change_lacks_a_migration(settings: Settings) -> None:
    pending = await pending_changes(settings)

    assert pending == [], "models changed without a migration: run `csm-graph makemigrations`"


async def test_email_uniqueness_holds_in_the_database() -> None:
    # given: a user written past the service layer
    await User.create(email="dup@example.com", user_type=UserType.INTERNAL, last_name="One")

    # when / then
    with pytest.raises(IntegrityError):
        await User.create(email="dup@example.com", user_type=UserType.EXTERNAL, last_name="Two")
    assert await User.filter(email="dup@example.com").count() == 1


async def test_the_database_still_answers_after_the_drift_check(settings: Settings) -> None:
    """The check builds its own in-memory database; the app's must stay open."""
    await pending_changes(settings)

    await User.create(email="after@example.com", last_name="After")

    assert await User.filter(email="after@example.com").exists()
