"""Plain querysets as SQL, without the ORM's query builder.

A page or a count of cases or consumers is a queryset of one table: the
access engine's filter (`access/engine.py`, Tortoise `Q` conditions,
declared once) and the list's own filters, an order and a limit. Tortoise
builds its statement through pypika on every request, which costs a page of
the agent's queue more than running it. `select_sql` and `count_sql` write
the same statement directly from the queryset's `Q` tree, with the ORM's own
filter table (`Model._meta.filters`: the operator each lookup maps to, the
backend's overrides applied) and its own value encoders, so a condition
means here exactly what it means to the ORM: the same column, the same
values as parameters, the same operator's SQL, `AND`/`OR`/`NOT` nested as
the tree is, an empty `Q()` left out as the ORM leaves it out.

Only what is known is written: the operators of `_OPERATORS`, lookups on
the model's own columns, values that encode to integers, strings, booleans
or floats, orderings by the model's own fields, and no other queryset
feature (annotations, joins, related rows, locks, distinct, grouping,
custom filters, index hints). Anything else answers None and the caller
lets Tortoise build the statement. `tests/test_querysql.py` holds both to
the same rows on generated filters."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from pypika_tortoise.enums import Order
from pypika_tortoise.terms import Term
from tortoise import filters
from tortoise.expressions import Expression, Q
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery, QuerySet

Sql = tuple[str, list[Any]]


class _Unsupported(Exception):
    """The queryset asks for something this module does not write."""


_PLAIN_VALUES = (int, str, float)
"""What an encoded value may be (`bool` is an `int`); anything else (dates,
decimals, JSON, arrays) is left to the ORM, whose drivers convert it."""


def _value(value: Any) -> Any:
    if value is None or not isinstance(value, _PLAIN_VALUES):
        raise _Unsupported(f"a value of type {type(value).__name__}")
    return value


def _values(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise _Unsupported("an IN value that is not a list")
    return [_value(v) for v in value]


def _compare(symbol: str) -> Callable[[str, Any], Sql]:
    def render(column: str, value: Any) -> Sql:
        return f"{column}{symbol}?", [_value(value)]

    return render


def _in(column: str, value: Any) -> Sql:
    items = _values(value)
    if not items:
        return "1=0", []
    return f"{column} IN ({','.join('?' * len(items))})", items


def _not_in(column: str, value: Any) -> Sql:
    items = _values(value)
    if not items:
        return "1=1", []
    return f"({column} NOT IN ({','.join('?' * len(items))}) OR {column} IS NULL)", items


def _not_equal(column: str, value: Any) -> Sql:
    return f"({column}<>? OR {column} IS NULL)", [_value(value)]


def _is_null(column: str, value: Any) -> Sql:
    return (f"{column} IS NULL" if value else f"{column} IS NOT NULL"), []


def _not_null(column: str, value: Any) -> Sql:
    return (f"{column} IS NOT NULL" if value else f"{column} IS NULL"), []


def _like(pattern: Callable[[str], str], *, insensitive: bool) -> Callable[[str, Any], Sql]:
    def render(column: str, value: Any) -> Sql:
        text = pattern(_value(value))
        if insensitive:
            return f"UPPER(CAST({column} AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'", [text]
        return f"CAST({column} AS VARCHAR) LIKE ? ESCAPE '\\'", [text]

    return render


def _anywhere(value: str) -> str:
    return f"%{filters.escape_like(value)}%"


def _starting(value: str) -> str:
    return f"{filters.escape_like(value)}%"


_OPERATORS: dict[Callable[..., Any], Callable[[str, Any], Sql]] = {
    operator.eq: _compare("="),
    operator.gt: _compare(">"),
    operator.ge: _compare(">="),
    operator.lt: _compare("<"),
    operator.le: _compare("<="),
    filters.not_equal: _not_equal,
    filters.is_in: _in,
    filters.not_in: _not_in,
    filters.is_null: _is_null,
    filters.not_null: _not_null,
    filters.contains: _like(_anywhere, insensitive=False),
    filters.insensitive_contains: _like(_anywhere, insensitive=True),
    filters.starts_with: _like(_starting, insensitive=False),
    filters.insensitive_starts_with: _like(_starting, insensitive=True),
}
"""The filter operators written here, by the function the ORM's filter table
names (`tortoise.filters`), each as the ORM's pypika criterion renders it.
An operator the backend overrides is another function, and is not here."""


def _condition(model: type[Model], dialect: str, key: str, value: Any) -> Sql:
    """One keyword of a `Q`, as `Q._process_filter_kwarg` resolves it."""
    meta = model._meta
    if isinstance(value, Expression | Term | Q | AwaitableQuery):
        raise _Unsupported("an expression as a value")
    if value is None and f"{key}__isnull" in meta.filters:
        info = meta.filters[f"{key}__isnull"]
        value = True
    else:
        found = meta.filters.get(key)
        if found is None:
            raise _Unsupported(f"the lookup {key}")
        info = found
    if "table" in info:
        raise _Unsupported("a lookup through another table")
    field = meta.fields_map[info["field"]]
    if field.get_for_dialect(dialect, "function_cast") is not None:
        raise _Unsupported("a field cast for this dialect")
    encoder = info.get("value_encoder")
    encoded = (
        encoder(value, model, field) if encoder is not None else field.to_db_value(value, model)
    )
    render = _OPERATORS.get(info["operator"])
    if render is None:
        raise _Unsupported(f"the operator of {key}")
    column = info.get("source_field") or info["field"]
    return render(f'"{column}"', encoded)


def _tree(model: type[Model], dialect: str, node: Q, params: list[Any]) -> str | None:
    """A `Q` as SQL (None: empty), as `Q.resolve` and `QueryModifier` combine it:
    its keywords or else its children, joined by its connector, an empty part
    left out, negated as a whole."""
    parts: list[str] = []
    if node.filters:
        for key, value in node.filters.items():
            sql, values = _condition(model, dialect, key, value)
            parts.append(sql)
            params += values
    else:
        for child in node.children:
            sql_or_none = _tree(model, dialect, child, params)
            if sql_or_none is not None:
                parts.append(sql_or_none)
    if not parts:
        return None
    joined = parts[0] if len(parts) == 1 else f" {node.join_type} ".join(f"({p})" for p in parts)
    return f"NOT ({joined})" if node._is_negated else joined


_KNOWN = frozenset({"model", "query", "_db", "_capabilities", "fields", "_q_objects"})
"""Queryset slots this module reads or that do not change the statement. The
orderings, limit and offset are read by `select_sql` (`_READ_BY_SELECT`),
and every other slot must hold what a new queryset holds."""

_READ_BY_SELECT = frozenset({"_orderings", "_limit", "_offset"})
"""Slots `select_sql` reads itself; `count_sql` reads only the orderings of
them (a count ignores the order), and a limit or offset must be unset."""

_defaults: dict[tuple[type[Model], bool], tuple[tuple[str, Any], ...]] = {}
"""For each model and statement (a page, or a count): the slots that must hold
what a new queryset holds, with those values."""


def _slots(queryset: QuerySet[Any]) -> list[str]:
    names: list[str] = []
    for cls in type(queryset).__mro__:
        names += getattr(cls, "__slots__", ())
    return names


def _defaults_of(model: type[Model], *, limited: bool) -> tuple[tuple[str, Any], ...]:
    found = _defaults.get((model, limited))
    if found is None:
        fresh = QuerySet(model)
        read = _KNOWN | (_READ_BY_SELECT if limited else frozenset({"_orderings"}))
        found = _defaults[model, limited] = tuple(
            (name, getattr(fresh, name)) for name in _slots(fresh) if name not in read
        )
    return found


def _check_plain(queryset: QuerySet[Any], *, limited: bool) -> None:
    if type(queryset) is not QuerySet:
        raise _Unsupported("a queryset of another class")
    for name, default in _defaults_of(queryset.model, limited=limited):
        if getattr(queryset, name) != default:
            raise _Unsupported(f"the queryset sets {name}")


def _where(queryset: QuerySet[Any], dialect: str, params: list[Any]) -> str:
    model = queryset.model
    parts = [
        sql for q in queryset._q_objects if (sql := _tree(model, dialect, q, params)) is not None
    ]
    if not parts:
        return ""
    return " WHERE " + (parts[0] if len(parts) == 1 else " AND ".join(f"({p})" for p in parts))


def _dialect(queryset: QuerySet[Any]) -> str:
    queryset._choose_db_if_not_chosen()
    return str(queryset._db.capabilities.dialect)


def select_sql(queryset: QuerySet[Any], fields: frozenset[str] | None = None) -> Sql | None:
    """The statement reading `queryset`'s rows (with `?` placeholders): every
    column under its own name, or, given `fields`, those fields under their
    field names (as `QuerySet.only` reads them). None: the ORM must build it."""
    try:
        _check_plain(queryset, limited=True)
        model = queryset.model
        meta = model._meta
        dialect = _dialect(queryset)
        params: list[Any] = []
        if fields is None:
            selected = "*"
        else:
            projection = meta.fields_db_projection
            selected = ", ".join(f'"{projection[name]}" AS "{name}"' for name in sorted(fields))
        where = _where(queryset, dialect, params)
        sql = f'SELECT {selected} FROM "{meta.db_table}"{where}'  # noqa: S608 (values as parameters)
        orderings = queryset._orderings or list(meta.ordering)
        if orderings:
            sql += " ORDER BY " + ", ".join(_order(model, f, o) for f, o in orderings)
        limit, offset = queryset._limit, queryset._offset
        if offset is not None and limit is None:
            raise _Unsupported("an offset without a limit")
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
            if offset is not None:
                sql += " OFFSET ?"
                params.append(int(offset))
        return sql, params
    except _Unsupported:
        return None


def _order(model: type[Model], field: str, order: Any) -> str:
    column = model._meta.fields_db_projection.get(field)
    if column is None:
        raise _Unsupported(f"an ordering by {field}")
    if order is Order.asc:
        return f'"{column}" ASC'
    if order is Order.desc:
        return f'"{column}" DESC'
    raise _Unsupported(f"the order {order!r}")


def count_sql(queryset: QuerySet[Any]) -> Sql | None:
    """The statement counting `queryset`'s rows, as `queryset.count()` counts a
    queryset without a limit or offset (its ordering changes nothing). None:
    the ORM must build it."""
    try:
        _check_plain(queryset, limited=False)
        dialect = _dialect(queryset)
        params: list[Any] = []
        table = queryset.model._meta.db_table
        where = _where(queryset, dialect, params)
        return f'SELECT COUNT(*) FROM "{table}"{where}', params  # noqa: S608 (values as parameters)
    except _Unsupported:
        return None
