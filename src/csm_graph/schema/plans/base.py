"""What a plan's compiler, its runner and its rules share: the compiled
field, the run of one request, and the two ways out (`NotPlannable` when
compiling, `Decline` when running)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from graphql import FieldNode, GraphQLError, GraphQLField
from graphql.execution.values import get_argument_values

from csm_graph.access import policy
from csm_graph.db import fetch_by_ids

if TYPE_CHECKING:
    from strawberry.dataloader import DataLoader
    from strawberry.schema import Schema
    from tortoise.models import Model

    from csm_graph.schema.context import Context


Path = list[str | int]
K = TypeVar("K")
V = TypeVar("V")


def path_key(path: Path) -> tuple[tuple[int, str | int], ...]:
    """Orders response paths (names and list indexes) the same way on every path
    of execution, so `redactedFields` does not depend on resolver timing."""
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


class NotPlannable(Exception):
    """The document cannot be compiled; it runs on the generic path. `str()` says why."""


class Decline(Exception):
    """This request is not one the plan expected; the generic path answers it."""


Serializer = Callable[[Any], Any]
LevelSerializer = Callable[[list[Any]], list[Any]]
"""Serializes the values of one field for every object of a level, in order."""


class Rule(Protocol):
    """How a plan finds one field's value for every object of a level."""

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        """The field's value for each source object."""
        ...


@dataclass(eq=False)
class PlannedField:
    """One selected field: where its value goes (`key`), how it is found
    (`rule`), and, for objects, the fields selected on each possible type."""

    key: str
    name: str
    parent: str
    node: FieldNode
    definition: GraphQLField
    rule: Rule
    serialize: LevelSerializer | None = None
    children: dict[str, tuple[PlannedField, ...]] | None = None
    nullable: bool = True
    is_list: bool = False
    has_arguments: bool = False
    object_type: str | None = None
    """The object type of every value, when the field's type is one (not an
    interface or a union, whose values say their type each)."""
    reads: dict[type[Model], frozenset[str]] | None = None
    """For a root field answering a page of rows, or a relation loaded by id:
    the fields of each model the document needs of them (`rules.page_reads`,
    `rules.relation_reads`); None: whole rows."""

    def arguments(self, run: Run) -> dict[str, Any]:
        """The field's arguments, coerced with this request's variables (GraphQL names)."""
        if not self.has_arguments:
            return {}
        try:
            return get_argument_values(self.definition, self.node, run.variables)
        except GraphQLError as error:
            raise Decline(error.message) from None


@dataclass
class Run:
    """One execution of a plan: the request's context and variables."""

    context: Context
    variables: Any
    schema: Schema
    shared: dict[Any, Any] = field(default_factory=dict)

    def redact(self, path: Path) -> None:
        self.context.redacted.append(path)

    async def rows_by_id(
        self, model: type[Model], fields: frozenset[str], ids: Sequence[int]
    ) -> list[Any]:
        """Partial rows of `model` holding `fields`, by id (None for an id with no
        row), read once per request for each set of fields: a plan's own cache,
        apart from the DataLoaders' whole rows the generic path shares."""
        cache: dict[int, Any] = self.shared.setdefault(("rows", model, fields), {})
        missing = [i for i in ids if i not in cache]
        if missing:
            found = {r.pk: r for r in await fetch_by_ids(model, missing, fields)}
            for i in missing:
                cache[i] = found.get(i)
        return [cache[i] for i in ids]

    async def visible(self, rows: Sequence[Any]) -> list[bool]:
        """The access policy's answer for each row (all of one model), asked once
        for the level: a plan needs no DataLoader to batch it."""
        if not rows:
            return []
        return await policy.visible(await self.context.subject(), rows)


async def gather_values(awaitables: Sequence[Awaitable[Any]]) -> list[Any]:
    """Awaits one per object; a single one needs no task."""
    if len(awaitables) == 1:
        return [await awaitables[0]]
    return list(await asyncio.gather(*awaitables))


async def load_level(loader: DataLoader[K, V], keys: Sequence[K]) -> list[V]:
    """The values of `keys` (distinct) through the request's DataLoader, for a
    whole level: keys it holds are read from its cache, the others go to its
    batch function in one call and are primed into the cache, so the generic
    path and later levels share them. No future or task per key: a plan asks
    for a level at once, so it has nothing to wait for to batch. A key another
    part of the request is loading right now takes the loader's own way."""
    cache = loader.cache_map if loader.cache else None
    found: dict[K, V] = {}
    missing: list[K] = []
    for key in keys:
        future = cache.get(key) if cache is not None else None
        if future is None:
            missing.append(key)
        elif future.done() and not future.cancelled() and future.exception() is None:
            found[key] = future.result()
        else:
            return list(await loader.load_many(keys))
    if missing:
        values = await loader.load_fn(missing)
        if len(values) != len(missing):
            raise Decline("a batch function answered another number of keys")
        loaded: dict[K, V] = {}
        for key, value in zip(missing, values, strict=True):
            if isinstance(value, BaseException):
                raise value
            loaded[key] = value
        loader.prime_many(loaded)
        found.update(loaded)
    return [found[key] for key in keys]
