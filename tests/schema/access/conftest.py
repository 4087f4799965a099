"""Fixtures of the access tests."""

from __future__ import annotations

import pytest

from tests.schema.access.traversal_world import WorldClock


@pytest.fixture
def world_clock() -> WorldClock:
    """The start of a test over world seeds (`traversal_world.over_world_seeds`)."""
    return WorldClock()
