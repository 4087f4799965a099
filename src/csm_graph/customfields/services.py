"""The rules of custom fields: defining them, checking and storing values,
and filtering and sorting lists by them.

Who reads and writes a field is a list of rule names of the field policy;
the API resolves the names (`schema/customfields/rules.py`), so this module
takes the known names and the verdicts as arguments and never imports the
schema.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from csm_graph import clock
from csm_graph.accounts.viewer import Viewer
from csm_graph.customfields.models import (
    CustomField,
    CustomFieldEntity,
    CustomFieldType,
    CustomFieldValue,
)
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.transactions import unit_of_work
from csm_graph.validation import fits

M = TypeVar("M", bound=Model)

KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""A key: lower-case letters, digits and underscores, starting with a letter."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_TEXT = 1000
MAX_OPTIONS = 100
MAX_NUMBER = 1e15
"""Numbers are stored as 64-bit floats: integers up to this size are exact."""

COLUMNS = {
    CustomFieldType.TEXT: "text_value",
    CustomFieldType.CHOICE: "text_value",
    CustomFieldType.NUMBER: "number_value",
    CustomFieldType.DATE: "date_value",
    CustomFieldType.BOOLEAN: "bool_value",
}
"""The value column of each type."""
RANGED = frozenset({CustomFieldType.NUMBER, CustomFieldType.DATE})
"""Types a filter may bound with `min` and `max`."""


# --- definitions --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDraft:
    entity: CustomFieldEntity
    key: str
    label: str
    type: CustomFieldType
    options: tuple[str, ...] = ()
    read_rules: tuple[str, ...] = ()
    write_rules: tuple[str, ...] = ()


def _check_rules(
    errors: ErrorList, field: str, names: Sequence[str], known: Collection[str]
) -> None:
    if not names:
        errors.add(field, "Name at least one rule.", ErrorCode.REQUIRED)
    for i, name in enumerate(names):
        if name not in known:
            errors.add(
                f"{field}.{i}",
                f"No rule {name!r} for these records; use one of: {', '.join(sorted(known))}.",
            )
    if len(set(names)) != len(names):
        errors.add(field, "Each rule once.")


def _check_draft(draft: FieldDraft, known_rules: Collection[str]) -> None:
    errors = ErrorList()
    if not KEY.fullmatch(draft.key):
        errors.add(
            "key",
            "Lower-case letters, digits and underscores, starting with a letter (64 at most).",
        )
    label = draft.label.strip()
    if not label:
        errors.add("label", "A label is required.", ErrorCode.REQUIRED)
    elif len(label) > 120:
        errors.add("label", "At most 120 characters.")
    if draft.type is CustomFieldType.CHOICE:
        if not draft.options:
            errors.add("options", "A choice needs at least one option.", ErrorCode.REQUIRED)
        elif len(draft.options) > MAX_OPTIONS:
            errors.add("options", f"At most {MAX_OPTIONS} options.")
        for i, option in enumerate(draft.options):
            if not option.strip() or option != option.strip() or len(option) > MAX_TEXT:
                errors.add(f"options.{i}", "An option is non-empty text without outer spaces.")
        if len(set(draft.options)) != len(draft.options):
            errors.add("options", "Each option once.")
    elif draft.options:
        errors.add("options", "Only a CHOICE field has options.")
    _check_rules(errors, "read_rules", draft.read_rules, known_rules)
    _check_rules(errors, "write_rules", draft.write_rules, known_rules)
    errors.raise_if_any()


async def define(
    viewer: Viewer | None, draft: FieldDraft, known_rules: Collection[str]
) -> CustomField:
    """Administrators define a field, or change one of the same entity and key:
    its label, options and rules (never its type), reviving it if retired.
    An option still held by some record cannot be taken away."""
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may define custom fields.")
    _check_draft(draft, known_rules)
    values: dict[str, Any] = {
        "label": draft.label.strip(),
        "options": list(draft.options),
        "read_rules": list(draft.read_rules),
        "write_rules": list(draft.write_rules),
        "retired_at": None,
    }
    async with unit_of_work():
        field = (
            await CustomField.filter(entity=draft.entity, key=draft.key).select_for_update().first()
        )
        if field is None:
            try:
                return await CustomField.create(
                    entity=draft.entity, key=draft.key, type=draft.type, **values
                )
            except IntegrityError:
                raise UserErrors.one(
                    "key", "The field was defined meanwhile.", ErrorCode.CONFLICT
                ) from None
        if field.type is not draft.type:
            raise UserErrors.one(
                "type",
                f"The field is {field.type.value}; a type never changes (define another key).",
            )
        removed = sorted(set(field.options) - set(draft.options))
        if (
            removed
            and await CustomFieldValue.filter(field_id=field.id, text_value__in=removed).exists()
        ):
            raise UserErrors.one(
                "options",
                "Records still hold a removed option; change them first.",
                ErrorCode.CONFLICT,
            )
        field.update_from_dict(values)
        await field.save()
    return field


async def retire(viewer: Viewer | None, entity: CustomFieldEntity, key: str) -> CustomField:
    """Administrators retire a field: it is no longer shown, set, filtered or
    sorted by; its values stay, and defining the key again brings them back."""
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may retire custom fields.")
    if not fits(CustomField, "key", key):
        # Longer than any key can be: no such field (the column would refuse it).
        raise UserErrors.one("key", "No such custom field.", ErrorCode.NOT_FOUND)
    async with unit_of_work():
        field = await CustomField.filter(entity=entity, key=key).select_for_update().first()
        if field is None:
            raise UserErrors.one("key", "No such custom field.", ErrorCode.NOT_FOUND)
        if field.retired_at is None:
            field.retired_at = clock.now()
            await field.save(update_fields=["retired_at", "updated_at"])
    return field


async def definitions(
    entity: CustomFieldEntity | None = None, *, include_retired: bool = False
) -> list[CustomField]:
    """The fields, by entity then key."""
    query = CustomField.all()
    if entity is not None:
        query = query.filter(entity=entity)
    if not include_retired:
        query = query.filter(retired_at__isnull=True)
    return list(await query.order_by("entity", "key"))


async def active_fields(entity: CustomFieldEntity) -> dict[str, CustomField]:
    return {f.key: f for f in await definitions(entity)}


# --- values -------------------------------------------------------------------------


def parse(field: CustomField, raw: str | None) -> Any:
    """The stored value of `raw` (a string in the type's canonical form), None to
    clear; ValueError saying what is wrong."""
    if raw is None:
        return None
    kind = field.type
    if kind is CustomFieldType.TEXT:
        text = raw.strip()
        if len(text) > MAX_TEXT:
            raise ValueError(f"At most {MAX_TEXT} characters.")
        return text or None
    if kind is CustomFieldType.CHOICE:
        if raw not in field.options:
            raise ValueError(f"Not one of the options: {', '.join(field.options)}.")
        return raw
    if kind is CustomFieldType.NUMBER:
        try:
            number = float(raw.strip())
        except ValueError:
            raise ValueError("Not a number (write it like 1250 or -3.75).") from None
        if not math.isfinite(number) or abs(number) >= MAX_NUMBER:
            raise ValueError("The number is out of range.")
        return number
    if kind is CustomFieldType.DATE:
        text = raw.strip()
        try:
            if not DATE.fullmatch(text):
                raise ValueError
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError("Not a date (write it as YYYY-MM-DD).") from None
    if raw in ("true", "false"):
        return raw == "true"
    raise ValueError("Not a boolean (write true or false).")


def canonical(kind: CustomFieldType, value: Any) -> str | None:
    """The API's form of a stored value: text as is, numbers without a needless
    `.0`, dates as YYYY-MM-DD, booleans as true or false."""
    if value is None:
        return None
    if kind is CustomFieldType.NUMBER:
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if kind is CustomFieldType.DATE:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind is CustomFieldType.BOOLEAN:
        return "true" if value else "false"
    return str(value)


def value_of(field: CustomField, row: CustomFieldValue) -> str | None:
    return canonical(field.type, getattr(row, COLUMNS[field.type]))


@dataclass(frozen=True)
class ValueChange:
    key: str
    value: str | None
    """In the type's canonical form; None clears the field."""


@dataclass(frozen=True)
class ValueChanged:
    field: CustomField
    old: str | None
    new: str | None


async def set_values(
    entity: CustomFieldEntity,
    object_id: int,
    changes: Sequence[ValueChange],
    may_write: Callable[[CustomField], bool],
    *,
    field: str = "custom_fields",
) -> list[ValueChanged]:
    """Set fields of one consumer or case, all or none: an unknown key, a field
    `may_write` refuses or a malformed value refuses the whole change, each
    error naming its item (`custom_fields.0.value`). Returns what changed."""
    fields = await active_fields(entity)
    errors = ErrorList()
    plan: list[tuple[CustomField, Any]] = []
    seen: set[str] = set()
    for i, change in enumerate(changes):
        at = f"{field}.{i}"
        definition = fields.get(change.key)
        if definition is None:
            errors.add(f"{at}.key", f"No custom field {change.key!r} here.", ErrorCode.NOT_FOUND)
            continue
        if change.key in seen:
            errors.add(f"{at}.key", "The field is given twice.")
            continue
        seen.add(change.key)
        if not may_write(definition):
            errors.add(f"{at}.key", "You may not change this field.", ErrorCode.FORBIDDEN)
            continue
        try:
            plan.append((definition, parse(definition, change.value)))
        except ValueError as exc:
            errors.add(f"{at}.value", str(exc))
    errors.raise_if_any()
    changed: list[ValueChanged] = []
    async with unit_of_work():
        rows = {
            r.field_id: r
            for r in await CustomFieldValue.filter(
                object_id=object_id, field_id__in=[d.id for d, _ in plan]
            ).select_for_update()
        }
        for definition, value in plan:
            column = COLUMNS[definition.type]
            row = rows.get(definition.id)
            old = value_of(definition, row) if row else None
            new = canonical(definition.type, value)
            if old == new:
                continue
            if value is None:
                assert row is not None
                await row.delete()
            elif row is None:
                await CustomFieldValue.create(
                    field_id=definition.id, object_id=object_id, **{column: value}
                )
            else:
                setattr(row, column, value)
                await row.save(update_fields=[column, "updated_at"])
            changed.append(ValueChanged(definition, old, new))
    return changed


async def values_of(
    entity: CustomFieldEntity, object_ids: Sequence[int]
) -> tuple[list[CustomField], dict[int, dict[int, str]]]:
    """The active fields in key order, and per object its values by field id:
    one query for the fields, one for the values of a whole page of objects."""
    fields = list((await active_fields(entity)).values())
    out: dict[int, dict[int, str]] = {i: {} for i in object_ids}
    if not fields or not object_ids:
        return fields, out
    by_id = {f.id: f for f in fields}
    rows = await CustomFieldValue.filter(object_id__in=list(object_ids), field_id__in=list(by_id))
    for row in rows:
        value = value_of(by_id[row.field_id], row)
        if value is not None:
            out[row.object_id][row.field_id] = value
    return fields, out


# --- lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A list filter by one field's value (hashable: lists asking the same are
    counted together)."""

    field_id: int
    column: str
    equals: Any = None
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Order:
    field_id: int
    column: str
    descending: bool = False


async def readable_field(
    entity: CustomFieldEntity, key: str, may_read: Callable[[CustomField], bool], at: str
) -> CustomField:
    """An active field the viewer may read on any record; else NOT_FOUND, as if
    there were no such field (a filter would otherwise reveal its values)."""
    definition = (await active_fields(entity)).get(key)
    if definition is None or not may_read(definition):
        raise UserErrors.one(f"{at}.key", f"No custom field {key!r} here.", ErrorCode.NOT_FOUND)
    return definition


def condition(
    definition: CustomField, equals: str | None, low: str | None, high: str | None, at: str
) -> Condition:
    """The filter of `equals`, `min` and `max` (inclusive), parsed per type."""
    errors = ErrorList()
    parsed: dict[str, Any] = {}
    for name, raw in (("equals", equals), ("min", low), ("max", high)):
        if raw is None:
            continue
        if name != "equals" and definition.type not in RANGED:
            errors.add(f"{at}.{name}", "Only NUMBER and DATE fields take a range.")
            continue
        try:
            parsed[name] = parse(definition, raw)
        except ValueError as exc:
            errors.add(f"{at}.{name}", str(exc))
    if not (equals or low or high) and not errors.errors:
        errors.add(at, "Give `equals`, or `min` and/or `max`.", ErrorCode.REQUIRED)
    errors.raise_if_any()
    return Condition(
        definition.id,
        COLUMNS[definition.type],
        parsed.get("equals"),
        parsed.get("min"),
        parsed.get("max"),
    )


def restrict(queryset: QuerySet[M], conditions: Sequence[Condition]) -> QuerySet[M]:
    """The records of `queryset` meeting every condition: each an `id IN (...)`
    over the value table, which its (field, value) index answers."""
    for c in conditions:
        found = CustomFieldValue.filter(field_id=c.field_id)
        if c.equals is not None:
            found = found.filter(**{c.column: c.equals})
        if c.low is not None:
            found = found.filter(**{f"{c.column}__gte": c.low})
        if c.high is not None:
            found = found.filter(**{f"{c.column}__lte": c.high})
        queryset = queryset.filter(id__in=Subquery(found.values("object_id")))
    return queryset


def sorted_by(queryset: QuerySet[M], order: Order) -> QuerySet[M]:
    """`queryset` ordered by one field's value, records without one last, ties
    newest first."""
    # Every part is ours: a column name from COLUMNS, an integer, a table name.
    table = queryset.model._meta.db_table
    value = (
        f"(SELECT v.{order.column} FROM custom_field_value v "  # noqa: S608
        f'WHERE v.field_id = {int(order.field_id)} AND v.object_id = "{table}"."id")'
    )
    sign = "-" if order.descending else ""
    return queryset.annotate(
        cf_missing=RawSQL(f"(CASE WHEN {value} IS NULL THEN 1 ELSE 0 END)"),
        cf_value=RawSQL(value),
    ).order_by("cf_missing", f"{sign}cf_value", "-id")


async def move_values(entity: CustomFieldEntity, from_id: int, to_id: int) -> int:
    """A merge: `from_id`'s values of fields `to_id` has no value of move to it;
    the others (where `to_id` has its own) are dropped. Returns the count moved."""
    taken: list[Any] = await CustomFieldValue.filter(
        field__entity=entity, object_id=to_id
    ).values_list("field_id", flat=True)
    moving = CustomFieldValue.filter(field__entity=entity, object_id=from_id)
    ids: list[Any] = await moving.exclude(field_id__in=list(taken)).values_list("id", flat=True)
    moved = await CustomFieldValue.filter(id__in=list(ids)).update(object_id=to_id) if ids else 0
    await CustomFieldValue.filter(field__entity=entity, object_id=from_id).delete()
    return moved


async def forget(entity: CustomFieldEntity, object_ids: Sequence[int]) -> int:
    """An erasure: every custom field value of these records goes (what a field
    holds is the operator's choice, so it is treated as personal data)."""
    if not object_ids:
        return 0
    found: list[Any] = await CustomFieldValue.filter(
        field__entity=entity, object_id__in=list(object_ids)
    ).values_list("id", flat=True)
    if not found:
        return 0
    await CustomFieldValue.filter(id__in=list(found)).delete()
    return len(found)


async def exported(entity: CustomFieldEntity, object_id: int) -> list[dict[str, str | None]]:
    """A record's values for its data export: every field holding one, retired
    ones included (the record still holds them), by key."""
    rows = await CustomFieldValue.filter(
        field__entity=entity, object_id=object_id
    ).prefetch_related("field")
    return sorted(
        ({"key": r.field.key, "label": r.field.label, "value": value_of(r.field, r)} for r in rows),
        key=lambda item: str(item["key"]),
    )
