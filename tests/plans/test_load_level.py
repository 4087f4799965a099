"""`load_level`: a plan's whole level through the request's DataLoader, with one
call of its batch function for the keys the loader does not hold yet."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from strawberry.dataloader import DataLoader

from csm_graph.schema.plans.base import Decline, load_level


class Doubles(DataLoader[int, int]):
    """Doubles each key and records every call of its batch function."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)
        self.calls: list[list[int]] = []

    async def _load(self, keys: Sequence[int]) -> list[int]:
        self.calls.append(list(keys))
        return [2 * k for k in keys]


async def test_only_the_keys_the_loader_does_not_hold_go_to_its_batch_function() -> None:
    # given: a loader that already loaded 2 the generic way
    loader = Doubles()
    assert await loader.load(2) == 4

    # when
    values = await load_level(loader, [3, 2, 5])

    # then: one call, for 3 and 5 only, in the order asked
    assert values == [6, 4, 10]
    assert loader.calls == [[2], [3, 5]]


async def test_what_a_level_loaded_is_shared_with_later_loads() -> None:
    # given
    loader = Doubles()
    await load_level(loader, [7, 8])

    # when: the generic path and a later level ask again
    again = await loader.load(8)
    level = await load_level(loader, [7])

    # then: no second call
    assert again == 16
    assert level == [14]
    assert loader.calls == [[7, 8]]


async def test_a_key_being_loaded_elsewhere_waits_for_that_load() -> None:
    # given: a load of 1 waiting in the loader's batch
    loader = Doubles()
    pending = asyncio.ensure_future(loader.load(1))

    # when
    values = await load_level(loader, [1, 4])

    # then: 1 comes from the loader's own batch, not from a second call for it
    assert values == [2, 8]
    assert await pending == 2
    assert sorted(k for call in loader.calls for k in call) == [1, 4]


async def test_a_batch_function_that_answers_another_number_of_keys_declines() -> None:
    # given
    class Short(Doubles):
        async def _load(self, keys: Sequence[int]) -> list[int]:
            return [0]

    # when / then
    with pytest.raises(Decline):
        await load_level(Short(), [1, 2])


async def test_an_error_for_a_key_is_raised_and_not_kept() -> None:
    # given
    class Failing(DataLoader[int, int]):
        def __init__(self) -> None:
            super().__init__(load_fn=self._load)

        async def _load(self, keys: Sequence[int]) -> list[int | BaseException]:
            return [ValueError(f"no {k}") if k == 2 else k for k in keys]

    loader = Failing()

    # when / then
    with pytest.raises(ValueError, match="no 2"):
        await load_level(loader, [1, 2])
    assert loader.cache_map.get(2) is None
