"""Plan-side rules: how a plan finds each field's value for a whole level.

Most fields need no rule of their own: a plain attribute, or a method that
takes only the object, is read from each object, and a `Guard` on it is
applied per row from the field policy (`schema/policy.py`). Every other
field a plan may select is listed in `EXPLICIT`:

- relations (`Case.consumer`, `Case.household`, users, teams, the last
  public comment, the attachment count) load a whole level through the same
  DataLoaders as the generic path, in one batch, and pass the objects
  through the access policy at once (`Run.visible`), as `Visible` does;
- `Case.viewerCan` asks the engine's per-case face for each row;
- root fields and a case's comments, activity and attachments call the
  generic resolver itself (once per parent, as the generic path does), then
  apply its permission classes and its `Visible` extension's rule.

A field that is neither makes `compile_plan` refuse the document.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLField
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from csm_graph.db import reading_only
from csm_graph.errors import NotFound
from csm_graph.schema.loaders import ById
from csm_graph.schema.permissions import Guard, HiddenInPage, NullWhenRefused, Visible
from csm_graph.schema.plans.base import (
    Decline,
    NotPlannable,
    Path,
    PlannedField,
    Rule,
    Run,
    gather_values,
    load_level,
)

if TYPE_CHECKING:
    from strawberry.dataloader import DataLoader
    from strawberry.schema import Schema
    from tortoise.models import Model

    from csm_graph.schema.context import Context


def _guarded(
    run: Run, planned: PlannedField, guard: Guard, sources: list[Any], paths: list[Path]
) -> list[bool]:
    viewer = run.context.viewer
    allowed = [guard.rule(viewer, source) for source in sources]
    for ok, path in zip(allowed, paths, strict=True):
        if not ok:
            run.redact([*path, planned.key])
    return allowed


@dataclass(frozen=True)
class Attribute:
    """A plain attribute of each object, guarded when the field has a `Guard`."""

    name: str
    guard: Guard | None = None

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        name = self.name
        if self.guard is None:
            return [getattr(source, name) for source in sources]
        allowed = _guarded(run, planned, self.guard, sources, paths)
        empty = self.guard.empty
        return [
            getattr(source, name) if ok else empty
            for source, ok in zip(sources, allowed, strict=True)
        ]


@dataclass(frozen=True)
class Method:
    """A resolver that takes only the object, sync or async, guarded likewise."""

    function: Callable[[Any], Any]
    guard: Guard | None = None

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        allowed = (
            _guarded(run, planned, self.guard, sources, paths)
            if self.guard is not None
            else [True] * len(sources)
        )
        empty = self.guard.empty if self.guard is not None else None
        found = [self.function(s) if ok else empty for s, ok in zip(sources, allowed, strict=True)]
        pending = [i for i, value in enumerate(found) if inspect.isawaitable(value)]
        if pending:
            done = await gather_values([cast("Awaitable[Any]", found[i]) for i in pending])
            for i, value in zip(pending, done, strict=True):
                found[i] = value
        return found


class _TypeName:
    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        return [planned.parent] * len(sources)


TYPE_NAME = _TypeName()


@dataclass
class PlanInfo:
    """What a generic resolver reads of `info` when a plan calls it: the
    context. Anything else it reaches for is missing, and the plan declines."""

    context: Context


@dataclass(frozen=True)
class ResolverCall:
    """The generic resolver of the field, called for each parent with its
    arguments converted as Strawberry converts them; then its permission
    classes and its `Visible` rule, as the generic path applies them."""

    field: StrawberryField
    permissions: tuple[BasePermission, ...]
    visible: Visible | None

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        info = PlanInfo(run.context)
        for permission in self.permissions:
            if not permission.has_permission(None, info, **{}):  # type: ignore[arg-type]
                raise Decline("a permission refused")
        graphql_arguments = planned.arguments(run)
        resolver = self.field.base_resolver
        assert resolver is not None
        calls = []
        for source in sources:
            args, kwargs = get_arguments(
                field=self.field,
                source=source,
                info=info,  # type: ignore[arg-type]
                kwargs=graphql_arguments,
                config=run.schema.config,
                scalar_registry=run.schema.schema_converter.scalar_registry,
            )
            calls.append(
                cast("Callable[..., Awaitable[Any]]", resolver.wrapped_func)(*args, **kwargs)
            )
        with reading_only(planned.reads) if planned.reads else nullcontext():
            results = await gather_values(calls)
        visible = self.visible
        if visible is None:
            return results
        try:
            return [
                await visible.shown(result, run.visible, _redactor(run, [*path, planned.key]))
                for result, path in zip(results, paths, strict=True)
            ]
        except (HiddenInPage, NotFound):
            raise Decline("an object the viewer may not see where the schema hides none") from None


def _redactor(run: Run, path: Path) -> Callable[[], None]:
    return lambda: run.redact(path)


@dataclass(frozen=True)
class Related:
    """A to-one relation: each object's key loaded for the whole level in one
    batch, made into GraphQL objects, and shown only where the access policy
    lets the viewer see it (else null, its path in `redactedFields`). When the
    related type has `Rows` and its loader reads rows by id, the level reads
    only the fields the document selects on it (`relation_reads`)."""

    column: str
    """The field of the source's row holding the related key: the one field
    the rule reads of it (`page_reads`)."""
    loader: type[DataLoader[Any, Any]]
    build: Callable[[Run, list[Any]], Awaitable[list[Any]]]
    holder: str | None = None
    """The attribute of the source holding that row (a case's `model`); None:
    the source itself (a comment, an activity entry)."""
    key: Callable[[Any], int | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        path = f"{self.holder}.{self.column}" if self.holder else self.column
        object.__setattr__(self, "key", attrgetter(path))

    @property
    def reads(self) -> frozenset[str]:
        return frozenset({self.column})

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        keys = [self.key(source) for source in sources]
        wanted = sorted({k for k in keys if k is not None})
        if not wanted:
            return [None] * len(sources)
        if planned.reads:
            ((model, fields),) = planned.reads.items()
            records = await run.rows_by_id(model, fields, wanted)
        else:
            records = await load_level(run.context.loaders.get(self.loader), wanted)
        found = {k: r for k, r in zip(wanted, records, strict=True) if r is not None}
        present = list(found.values())
        keep = await run.visible(present)
        objects = await self.build(run, present)
        shown = {
            record.pk: obj
            for record, obj, ok in zip(present, objects, keep, strict=True)
            if ok and obj is not None
        }
        values: list[Any] = []
        for key, path in zip(keys, paths, strict=True):
            if key is None or key not in found:
                values.append(None)
                continue
            value = shown.get(found[key].pk)
            if value is None:
                run.redact([*path, planned.key])
            values.append(value)
        return values


@dataclass(frozen=True)
class Batched:
    """Any other value loaded for the whole level at once (`viewerCan`, counts)."""

    load: Callable[[Run, list[Any]], Awaitable[list[Any]]]
    reads: frozenset[str] | None = None
    """The fields of the source's row that `load` reads (`page_reads`)."""

    async def values(
        self, run: Run, planned: PlannedField, sources: list[Any], paths: list[Path]
    ) -> list[Any]:
        return await self.load(run, sources)


@dataclass(frozen=True)
class Rows:
    """The model behind a GraphQL type whose rows a plan reads field by field:
    `always` the fields every read takes (the key, and what the access policy
    decides by), `derived` what the type's other fields (resolver methods,
    values computed from several columns) read of the row, by GraphQL name."""

    model: type[Model]
    always: frozenset[str]
    derived: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def reads(self, fields: tuple[PlannedField, ...]) -> frozenset[str] | None:
        """What a level of this type reads for the fields selected on it; None:
        a selected field does not say, and rows are read whole."""
        names = set(self.always)
        projection = self.model._meta.fields_db_projection
        for child in fields:
            reads = self.derived.get(child.name, getattr(child.rule, "reads", None))
            if reads is None and isinstance(child.rule, Attribute):
                reads = frozenset({child.rule.name}) if child.rule.name in projection else None
            if reads is None and child.rule is not TYPE_NAME:
                return None
            names |= reads or frozenset()
        return frozenset(names)


ROWS: dict[str, Rows] = {}
"""GraphQL type name -> its `Rows`, for the types whose pages plans may read
field by field; a page of any other type is read whole."""

PAGE_WRAPPERS = ("edges", "node", "nodes")
"""The fields leading from a connection to its items."""


def _page_items(planned: PlannedField) -> Iterator[tuple[str, tuple[PlannedField, ...]]]:
    for type_name, fields in (planned.children or {}).items():
        if type_name.endswith(("Connection", "Edge")):
            for child in fields:
                if child.name in PAGE_WRAPPERS:
                    yield from _page_items(child)
        else:
            yield type_name, fields


def page_reads(planned: PlannedField) -> dict[type[Model], frozenset[str]] | None:
    """For a root field answering a connection: the fields of each model its page
    must read for what the document selects on the items (`Rows.reads`). None,
    and whole rows, when an item type has no `Rows` or a selected field does
    not say what it reads. A wrong answer here cannot leak or change data: a
    field left out raises `AttributeError` on the partial row, and the plan
    fails over to the generic path."""
    if planned.children is None or not all(
        type_name.endswith("Connection") for type_name in planned.children
    ):
        return None
    found: dict[type[Model], frozenset[str]] = {}
    for type_name, fields in _page_items(planned):
        rows = ROWS.get(type_name)
        names = rows.reads(fields) if rows is not None else None
        if rows is None or names is None:
            return None
        found[rows.model] = found.get(rows.model, frozenset()) | names
    return found or None


def relation_reads(
    planned: PlannedField, rule: Related
) -> dict[type[Model], frozenset[str]] | None:
    """For a `Related` field whose loader reads one model's rows by id: the fields
    of that model the level reads for what the document selects (`Rows.reads`);
    None, and whole rows through the loader, otherwise."""
    if planned.object_type is None or planned.children is None:
        return None
    rows = ROWS.get(planned.object_type)
    if rows is None or not issubclass(rule.loader, ById):
        return None
    model = rule.loader.model
    if rows.model is not model:
        return None
    names = rows.reads(planned.children[planned.object_type])
    return {model: names} if names is not None else None


EXPLICIT: dict[tuple[str, str], Rule] = {}
"""Rules of fields that are not plain attributes, by (type, field) GraphQL names."""

BY_RESOLVER: set[tuple[str, str]] = set()
"""Fields a plan answers by calling their generic resolver once per parent
(`ResolverCall`): root fields and per-case lists, whose one query per parent
the generic path runs too."""


def planned_by_resolver(field: StrawberryField) -> Rule:
    """The `ResolverCall` of a field, with its own permission classes and `Visible`."""
    visible = next((e for e in field.extensions if isinstance(e, Visible)), None)
    others = [e for e in field.extensions if not isinstance(e, Visible)]
    if any(not _harmless(e) for e in others):
        raise NotPlannable(f"{field.python_name}: an extension the plan cannot apply")
    permissions = tuple(cls() for cls in field.permission_classes)
    return ResolverCall(field=field, permissions=permissions, visible=visible)


def _harmless(extension: Any) -> bool:
    """Extensions `ResolverCall` covers itself: the permission classes' own
    (it checks them), and making a refused root field nullable (it declines)."""
    return isinstance(extension, NullWhenRefused | PermissionExtension)


def strawberry_field(schema: Schema, type_name: str, field_name: str) -> StrawberryField | None:
    definition = schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return None
    for candidate in definition.fields:
        if schema.config.name_converter.get_graphql_name(candidate) == field_name:
            return candidate
    return None


def rule_for(schema: Schema, type_name: str, field_name: str, definition: GraphQLField) -> Rule:
    """The plan-side rule of a field; `NotPlannable` when it has none."""
    explicit = EXPLICIT.get((type_name, field_name))
    if explicit is not None:
        return explicit
    field = strawberry_field(schema, type_name, field_name)
    if field is not None and (type_name, field_name) in BY_RESOLVER:
        return planned_by_resolver(field)
    if field is None:
        raise NotPlannable(f"{type_name}.{field_name} has no plan-side rule")
    return _implicit(type_name, field_name, field)


def _implicit(type_name: str, field_name: str, field: StrawberryField) -> Rule:
    where = f"{type_name}.{field_name}"
    if field.permission_classes:
        raise NotPlannable(f"{where} has permission classes and no plan-side rule")
    guards = [e for e in field.extensions if isinstance(e, Guard)]
    if len(guards) != len(field.extensions) or len(guards) > 1:
        raise NotPlannable(f"{where} has an extension and no plan-side rule")
    guard = guards[0] if guards else None
    resolver = field.base_resolver
    if resolver is None:
        return Attribute(field.python_name, guard)
    if resolver.arguments or resolver.info_parameter or not resolver.self_parameter:
        raise NotPlannable(f"{where} takes more than its object and has no plan-side rule")
    return Method(cast("Callable[[Any], Any]", resolver.wrapped_func), guard)
