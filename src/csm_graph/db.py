"""Tortoise configuration for SQLite (embedded default) and PostgreSQL.

Each domain is a Tortoise app with its own migrations package, so domains
can evolve their tables independently; cross-domain foreign keys name the
app (`accounts.User`).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ciso8601 import parse_datetime
from tortoise import Tortoise, connections, timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.fields import DatetimeField, Field
from tortoise.migrations.api import migrate as run_migrations
from tortoise.models import Model
from tortoise.queryset import QuerySet

from csm_graph.querysql import count_sql, select_sql
from csm_graph.settings import Settings

M = TypeVar("M", bound=Model)

MAX_KEY = 2**31 - 1
"""The largest primary key: keys are `integer` (int4) columns on PostgreSQL.
A larger number is no row's key, and asyncpg refuses it as a parameter, so
the decoders of ids and cursors refuse it first."""

# Order matters only for readability: the migration graph orders them.
DOMAINS: tuple[str, ...] = (
    "core",
    "accounts",
    "consumers",
    "households",
    "products",
    "notifications",
    "cases",
    "access",
    "sla",
    "surveys",
    "audit",
    "exports",
    "privacy",
    "mailin",
    "webhooks",
    "delegations",
    "customfields",
)


def database_url(settings: Settings) -> str:
    """The connection URL Tortoise understands, with the pool size for PostgreSQL."""
    url = settings.database_url
    if not url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        # Wait up to 5 s for another connection's write lock rather than fail at once.
        return f"sqlite://{settings.var_dir / 'csm.sqlite3'}?busy_timeout=5000"
    scheme = urlsplit(url).scheme
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        url = "postgres" + url[len(scheme) :]
        sep = "&" if "?" in url else "?"
        if "maxsize=" not in url:
            url += f"{sep}minsize={settings.db_pool_min}&maxsize={settings.db_pool_max}"
        return url
    if scheme == "sqlite":
        return url
    raise ValueError(f"DATABASE_URL: unsupported scheme {scheme!r} (use postgres:// or sqlite://)")


def is_postgres(settings: Settings) -> bool:
    return database_url(settings).startswith("postgres")


def tortoise_config(settings: Settings) -> dict[str, Any]:
    apps = {
        domain: {
            "models": [f"csm_graph.{domain}.models"],
            "default_connection": "default",
            "migrations": f"csm_graph.{domain}.migrations",
        }
        for domain in DOMAINS
    }
    url = database_url(settings)
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite"):
        # Transactions that take the write lock at BEGIN (see sqlite_engine).
        connection = {**expand_db_url(url), "engine": "csm_graph.sqlite_engine"}
    return {
        "connections": {"default": connection},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings) -> None:
    # The global fallback lets request tasks use the connections that the
    # lifespan task opened (each task has its own context otherwise).
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def migrate(settings: Settings) -> None:
    """Apply every pending migration (the `csm-graph migrate` command)."""
    try:
        await run_migrations(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()


def _placeholders(sql: str, dialect: str) -> str:
    """Turn `?` placeholders into `$1, $2, ...` for PostgreSQL."""
    if dialect != "postgres":
        return sql
    parts = sql.split("?")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out.append(f"${n}{part}")
    return "".join(out)


def in_list(values: Sequence[object]) -> str:
    """`?, ?, ?` for an IN clause of `values` (at least one)."""
    return ", ".join("?" for _ in values) or "NULL"


def _converter(field: Field[Any]) -> Callable[[Any], Any]:
    """`field.to_python_value`, or an equivalent without its per-value calls for
    the two kinds every row holds several of: date-times (parsed, then put in
    the ORM's time zone, as it does) and enums (looked up by value). Anything
    unusual (a naive date-time, a value no member has) takes the field's own."""
    own = field.to_python_value
    if isinstance(field, DatetimeField) and timezone.get_use_tz():
        zone = timezone.get_default_timezone()

        def to_datetime(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is str:
                value = parse_datetime(value)
            if type(value) is not datetime.datetime or value.utcoffset() is None:
                return own(value)
            return value.astimezone(zone)

        return to_datetime
    enum_type = getattr(field, "enum_type", None)
    if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum):
        members = enum_type._value2member_map_

        def to_enum(value: Any) -> Any:
            if value is None:
                return None
            try:
                return members[value]
            except (KeyError, TypeError):
                return own(value)

        return to_enum
    return own


class _Builder:
    """Builds instances of one model from full rows as `Model._init_from_db`
    does (the same attributes, the same conversions, field by field), without
    its per-call costs: keyword unpacking, the overridden `__setattr__` for
    its bookkeeping attributes, and what it recomputes on every row. A row
    without some column takes `_init_from_db` itself (a partial instance).
    Given `fields`, it builds partial instances of those fields alone, from
    rows of `QuerySet.only(*fields)`, as the ORM does."""

    def __init__(self, model: type[Model], fields: frozenset[str] | None = None) -> None:
        meta = model._meta
        self.model = model
        self.partial = fields is not None
        if fields is None:
            native, default, complex_ = (
                meta.db_native_fields,
                meta.db_default_fields,
                meta.db_complex_fields,
            )
        else:
            # Rows of `QuerySet.only`: each value under its field's own name.
            def kept(found: list[tuple[str, str, Field[Any]]]) -> list[tuple[str, str, Any]]:
                return [(attr, attr, f) for _, attr, f in found if attr in fields]

            native = kept(meta.db_native_fields)
            default = kept(meta.db_default_fields)
            complex_ = kept(meta.db_complex_fields)
        self.native = tuple((key, attr) for key, attr, _ in native)
        self.default = tuple((key, attr, f.field_type) for key, attr, f in default)
        self.complex = tuple((key, attr, _converter(f)) for key, attr, f in complex_)
        self.custom_generated_pk = meta.db_pk_column not in meta.generated_db_fields

    def __call__(self, row: Mapping[str, Any]) -> Any:
        """An instance from `row`: a dict, or the driver's own row as
        `execute_query` gives it (read by column name, without a dict made of it
        first: `sqlite3.Row`, asyncpg's `Record`)."""
        try:
            values: dict[str, Any] = {
                "_partial": self.partial,
                "_saved_in_db": True,
                "_custom_generated_pk": self.custom_generated_pk,
                "_await_when_save": {},
            }
            for key, attr in self.native:
                values[attr] = row[key]
            for key, attr, field_type in self.default:
                value = row[key]
                values[attr] = None if value is None else field_type(value)
            for key, attr, to_python in self.complex:
                values[attr] = to_python(row[key])
        except (KeyError, IndexError):  # a column the row lacks: Record, sqlite3.Row
            return self.model._init_from_db(**dict(row))
        instance = self.model.__new__(self.model)
        instance.__dict__.update(values)
        return instance


_builders: dict[tuple[type[Model], frozenset[str] | None], _Builder] = {}


def _builder(model: type[Model], fields: frozenset[str] | None) -> _Builder:
    builder = _builders.get((model, fields))
    if builder is None:
        builder = _builders[model, fields] = _Builder(model, fields)
    return builder


def build_model(model: type[M], row: dict[str, Any]) -> M:
    """An instance of `model` from a row of its table, equal to what the ORM builds."""
    instance: M = _builder(model, None)(row)
    return instance


async def fetch_models(
    model: type[M], where: str, params: Sequence[object], fields: frozenset[str] | None = None
) -> list[M]:
    """Rows of `model` matching a hand-written `where` (`?` placeholders), built as
    the ORM builds them (`build_model`, the same conversions): a batch loader's
    query without the query builder's cost. Given `fields`, only those, as
    partial instances (as `reading_only` reads a page)."""
    meta = model._meta
    connection = connections.get(meta.default_connection or "default")
    if fields is None:
        selected = "*"
    else:
        _check_fields(model, fields)
        projection = meta.fields_db_projection
        selected = ", ".join(f'"{projection[name]}" AS "{name}"' for name in sorted(fields))
    sql = _placeholders(
        f'SELECT {selected} FROM "{meta.db_table}" WHERE {where}',  # noqa: S608 (values as parameters)
        connection.capabilities.dialect,
    )
    _, rows = await connection.execute_query(sql, list(params))
    builder = _builder(model, fields)
    return [builder(row) for row in rows]


def _plain(queryset: QuerySet[Any]) -> bool:
    """Whether a queryset asks for rows only (filters, ordering, limits)."""
    return not (
        queryset._prefetch_map
        or queryset._select_related
        or queryset._annotations
        or queryset._fields_for_select
        or queryset._select_for_update
        or queryset._single
    )


def _sql_of(
    queryset: QuerySet[Any], fields: frozenset[str] | None = None
) -> tuple[BaseDBAsyncClient, str, list[Any]]:
    """The connection a queryset runs on (the transaction's, inside one) and the
    statement it runs there (given `fields`, reading those alone, as
    `QuerySet.only` does) with its parameters: written by `querysql` where it
    can, else built by the ORM."""
    queryset._choose_db_if_not_chosen()
    connection = queryset._db
    compiled = select_sql(queryset, fields)
    if compiled is not None:
        sql, params = compiled
        return connection, _placeholders(sql, connection.capabilities.dialect), params
    if fields is not None:
        queryset = queryset.only(*sorted(fields))  # a clone keeps the chosen connection
    queryset._make_query()
    sql, built = queryset.query.get_parameterized_sql()
    return connection, sql, list(built)


async def count_queryset(queryset: QuerySet[Any]) -> int:
    """`await queryset.count()`, written by `querysql` where it can."""
    queryset._choose_db_if_not_chosen()
    connection = queryset._db
    compiled = count_sql(queryset)
    if compiled is None:
        return await queryset.count()
    sql, params = compiled
    sql = _placeholders(sql, connection.capabilities.dialect)
    (row,) = await connection.execute_query_dict(sql, params)
    return int(next(iter(row.values())))


async def fetch_firsts(queryset: QuerySet[M], column: str, size: int) -> list[M] | None:
    """The `size` newest rows (by id) of `queryset` for each value of `column`, in
    one statement (a window over the queryset's own SQL), ordered by `column`, then
    newest first; None for a queryset that is not plain, or already ordered or
    limited (the caller then asks per value)."""
    if not _plain(queryset) or queryset._orderings or queryset._limit or queryset._offset:
        return None
    model = queryset.model
    if column not in model._meta.fields_db_projection.values():
        raise ValueError(f"{column} is no column of {model.__name__}")
    connection, sql, params = _sql_of(queryset)
    ranked = (
        f'SELECT * FROM (SELECT q.*, ROW_NUMBER() OVER (PARTITION BY q."{column}" '  # noqa: S608
        f'ORDER BY q."id" DESC) AS csm_rank FROM ({sql}) q) r '
        f'WHERE csm_rank <= {int(size)} ORDER BY "{column}", "id" DESC'
    )
    rows = await connection.execute_query_dict(ranked, params)
    for row in rows:
        del row["csm_rank"]
    return [build_model(model, row) for row in rows]


async def fetch_queryset(queryset: QuerySet[M]) -> list[M]:
    """The rows of a plain queryset (filters, ordering, limits) built with
    `build_model`: what awaiting it gives, without the ORM's per-row cost.
    A queryset that asks for more (related rows, prefetches, annotations,
    some fields only, a lock) is simply awaited."""
    if not _plain(queryset):
        return list(await queryset)
    model = queryset.model
    reading = _reading.get()
    fields = reading.get(model) if reading is not None else None
    builder = _builder(model, fields)
    connection, sql, params = _sql_of(queryset, fields)
    _, rows = await connection.execute_query(sql, params)
    return [builder(row) for row in rows]


_reading: ContextVar[Mapping[type[Model], frozenset[str]] | None] = ContextVar(
    "csm_graph_reading", default=None
)


def _check_fields(model: type[Model], fields: frozenset[str]) -> None:
    unknown = fields - model._meta.fields_db_projection.keys()
    if unknown or not fields:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")


@contextmanager
def reading_only(fields: Mapping[type[Model], frozenset[str]]) -> Iterator[None]:
    """Inside, `fetch_queryset` reads only these fields of these models, and
    builds partial instances (`_partial`, as `QuerySet.only` gives): reading a
    field it left out raises `AttributeError`, never a wrong value. A compiled
    plan reads a page this way (`schema/plans`); nothing that writes may."""
    for model, names in fields.items():
        _check_fields(model, names)
    token = _reading.set(fields)
    try:
        yield
    finally:
        _reading.reset(token)


async def fetch_by_ids(
    model: type[M], ids: Sequence[int], fields: frozenset[str] | None = None
) -> list[M]:
    """Rows of `model` with these primary keys, in one statement (`fetch_models`)."""
    if not ids:
        return []
    return await fetch_models(
        model, f'"{model._meta.db_pk_column}" IN ({in_list(ids)})', ids, fields
    )


async def fetch(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run hand-written SQL with `?` placeholders on the current connection
    (the transaction's, inside one) and return plain tuples."""
    connection = connections.get("default")
    query = _placeholders(sql, connection.capabilities.dialect)
    # execute_query_dict always fetches, so UPDATE ... RETURNING gives its rows too.
    rows = await connection.execute_query_dict(query, list(params))
    return [tuple(row.values()) for row in rows]
