"""Requests for the GraphQL fuzz test (`test_fuzz.py`), generated from `schema.graphql`.

`drafts()` is a Hypothesis strategy of `Draft`s: a GraphQL document (query,
mutation, now and then a subscription or an introspection), its variables,
and how it travels (POST or GET, `Accept`, persisted-query extensions,
ASCII or raw UTF-8 JSON). Most of it is valid; some of it is not, on
purpose: values of the wrong type, nulls for non-null, unknown fields,
arguments and input fields, invalid enum values, wrong variable types,
missing variables, selections past the server's depth, token and alias
limits, unknown fragments and directives. Values are hostile: long strings,
NUL and other control characters, emoji, right-to-left text, Int edges,
ids of every shape.

Values of the world under test (its objects' global ids, case numbers,
emails) appear in a draft as `Known(pool, index)` and are filled in by
`Draft.render(pools)`, so a draft does not depend on the database's ids.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
)
from hypothesis import strategies as st

from tests.support import PASSWORD

SCHEMA = build_schema((Path(__file__).resolve().parents[1] / "schema.graphql").read_text())
QUERY = SCHEMA.query_type
MUTATION = SCHEMA.mutation_type
SUBSCRIPTION = SCHEMA.subscription_type
assert QUERY is not None
assert MUTATION is not None
assert SUBSCRIPTION is not None

NODE_TYPES = sorted(
    name
    for name, t in SCHEMA.type_map.items()
    if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
)
INPUT_TYPES = sorted(
    name
    for name, t in SCHEMA.type_map.items()
    if isinstance(t, GraphQLScalarType | GraphQLEnumType | GraphQLInputObjectType)
    and not name.startswith("__")
)
OUTPUT_TYPES = sorted(
    name
    for name, t in SCHEMA.type_map.items()
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and not name.startswith("__")
)

ROOT_FIELDS = {
    name: kind
    for kind, root in (("subscription", SUBSCRIPTION), ("mutation", MUTATION), ("query", QUERY))
    for name in root.fields
}
"""Every root field, and the operation type it belongs to."""

# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A value of the world under test: `pools[pool][index % len]` at render time."""

    pool: str
    index: int


@dataclass(frozen=True)
class Enum:
    """An enum value: a bare name in a document, a string in variables."""

    name: str


@dataclass(frozen=True)
class Var:
    """A reference to the variable `$name` (in documents only)."""

    name: str


@dataclass(frozen=True)
class Obj:
    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Flood:
    """`value` repeated `count` times: a list past the token limit when written out."""

    value: Any
    count: int


Value = Any
"""None, bool, int, float, str, or a Known, Enum, Var, Obj, Flood or tuple (a list) of them."""

Pools = Mapping[str, Sequence[str]]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


HOSTILE_STRINGS = [
    "",
    " ",
    "  \t\n ",
    "\x00",
    "a\x00b",
    "\x00" * 8,
    "\x1b[31mred\x1b[0m",
    "\r\n\r\n",
    "\x7f\x08\x0c\x0b",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\ufeff",
    "שלום עולם",
    "مرحبا بالعالم",
    "😀",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "e\u0301\u0301\u0301",
    "\U0001d54f\U0001d538\U0001d544",  # mathematical double-struck XAM
    "Ω≈ç√∫",
    "ﷺ",
    "\u2028\u2029",
    "null",
    "NaN",
    "undefined",
    "-1",
    "0",
    "1e309",
    "true",
    "' OR '1'='1",
    "'; DROP TABLE case; --",
    "%",
    "_",
    "%_%",
    "\\",
    '"',
    "\\u0000",
    "%s%s%s%n",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "CS",
    "CS0000001",
    "CON0000001",
    "HH0000001",
    "a@b",
    "@example.com",
    "admin@example.com",
    "ADMIN@EXAMPLE.COM ",
    "x@" + "a" * 250 + ".com",
    "+15555550123",
    "+1",
    "555-0100",
    "en",
    "pt-BR",
    "xx-XXXX-invalid",
    "US",
    "https://example.com/a",
    "javascript:alert(1)",
    "2024-02-29",
    "Mr. John Q. Public Jr.",
    PASSWORD,
    "c:1",
    _b64("c:1"),
    _b64("c:0"),
    _b64("c:-1"),
    _b64(f"c:{2**31}"),
    _b64(f"c:{2**63 - 1}"),
    _b64("x:1"),
]

_long = st.builds(
    lambda chunk, n: chunk * n,
    st.sampled_from(["a", "é", "😀", " ", "\x00", "ab\n", "%", "\u202e"]),
    st.integers(min_value=150, max_value=10_000),
)
_controls = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=12
)
_emails = st.from_regex(r"[a-z0-9.+]{0,12}@[a-z]{1,10}\.(com|org|example)", fullmatch=True)
STRINGS: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=30),
    _controls,
    _long,
    _emails,
    st.builds(Known, st.sampled_from(["email", "case_number", "number"]), st.integers(0, 40)),
)

INT_EDGES = [0, -1, 1, 2, 3, 4, 5, 6, 100, 101, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1]
INT_EDGES += [2**53, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, -(10**30)]
INTS: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from(INT_EDGES), st.integers(-10, 120), st.integers()
)
INTS_32: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from([n for n in INT_EDGES if -(2**31) <= n < 2**31]),
    st.integers(-10, 120),
    st.integers(-(2**31), 2**31 - 1),
)
FLOATS: st.SearchStrategy[Value] = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, 1e308, -1e308, 5e-324, 2.0**53, 1.5]),
    st.floats(allow_nan=False, allow_infinity=False),
)

PK_EDGES = [0, -1, 2**31 - 1, 2**31, 2**53, 2**62, 2**62 + 1, 2**63, 10**30]
_pks = st.one_of(
    st.integers(1, 1000).map(str),
    st.sampled_from(PK_EDGES).map(str),
    st.sampled_from(["01", " 1", "1 ", "+1", "1.0", "1e3", "0x10", "1_000", "٣", "", "x", "1:2"]),
)
_type_names = st.sampled_from([*NODE_TYPES, "Query", "Node", "PageInfo", "case", "", "Nope"])
FORGED_IDS = st.builds(lambda t, pk: _b64(f"{t}:{pk}"), _type_names, _pks)
RANDOM_B64 = st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode())

DATES: st.SearchStrategy[Value] = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(
        [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "-0001-01-01",
            "2024-1-1",
            "20240101",
            "2024-01-01T00:00:00",
            "yesterday",
            "",
            " 2024-01-01",
        ]
    ),
    STRINGS,
)
DATETIMES: st.SearchStrategy[Value] = st.one_of(
    st.datetimes(timezones=st.none() | st.just(dt.UTC)).map(dt.datetime.isoformat),
    st.sampled_from(
        [
            "2024-01-01T00:00:00Z",
            "2024-01-01T25:00:00",
            "2024-01-01T00:00:00+25:00",
            "9999-12-31T23:59:59.999999+00:00",
            "0001-01-01T00:00:00-23:59",
            "2024-01-01",
            "now",
            "",
        ]
    ),
    STRINGS,
)
BOOLEANS: st.SearchStrategy[Value] = st.booleans()

_scalars = st.one_of(st.none(), BOOLEANS, INTS, FLOATS, STRINGS)
WRONG_VALUES: st.SearchStrategy[Value] = st.one_of(
    _scalars,
    st.builds(Enum, st.sampled_from(["FOO", "NEW", "ADMIN", "TRUE", "null_", "_"])),
    st.lists(_scalars, max_size=3).map(tuple),
    st.builds(lambda k, v: Obj(((k, v),)), st.sampled_from(["x", "id", "__proto__"]), _scalars),
)

ID_HINTS = {
    "assignee": "User",
    "user": "User",
    "manager": "User",
    "member": "User",
    "team": "Team",
    "assignmentTeam": "Team",
    "case": "Case",
    "consumer": "Consumer",
    "representative": "Consumer",
    "owner": "Consumer",
    "newHeadConsumer": "Consumer",
    "household": "Household",
    "soldProduct": "SoldProduct",
    "relationshipType": "RelationshipType",
    "responsibility": "Responsibility",
    "defaultResponsibility": "Responsibility",
}
ID_CONTAINERS = {"Representative": "Representation"}


def id_hint(container: str, name: str) -> str | None:
    """The Node type an ID argument or input field names, if we can tell."""
    base = re.sub(r"Ids?$", "", name)
    if base in ID_HINTS:
        return ID_HINTS[base]
    if name == "id":
        for prefix, type_name in ID_CONTAINERS.items():
            if container.startswith(prefix):
                return type_name
        matches = [t for t in NODE_TYPES if container.startswith(t)]
        return max(matches, key=len) if matches else None
    return None


# --- drafts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One HTTP request, ready to send, and what to show when it goes wrong."""

    method: str
    url: str
    document: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    headers: dict[str, str]
    content: bytes | None


@dataclass(frozen=True)
class Draft:
    template: str
    """The document; each `\\x00K<n>\\x00` is the string `knowns[n]` (a raw NUL never
    occurs otherwise: string literals are written with escapes)."""
    knowns: tuple[Known, ...]
    variables: tuple[tuple[str, Value], ...] | None
    operation_name: str | None
    method: str = "POST"
    accept: str | None = None
    ascii_json: bool = True
    persisted: str = "none"

    def render(self, pools: Pools) -> Request:
        document = re.sub(
            "\x00K(\\d+)\x00",
            lambda m: _literal(resolve(self.knowns[int(m.group(1))], pools)),
            self.template,
        )
        variables = (
            None
            if self.variables is None
            else {name: to_json(value, pools) for name, value in self.variables}
        )
        extensions: dict[str, Any] | None = None
        send_document: str | None = document
        digest = hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()
        if self.persisted == "hash":
            extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        elif self.persisted == "hash_only":
            extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
            send_document = None
        elif self.persisted == "wrong_hash":
            extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        elif self.persisted == "bad_version":
            extensions = {"persistedQuery": {"version": 2, "sha256Hash": digest.upper()}}
        body: dict[str, Any] = {}
        if send_document is not None:
            body["query"] = send_document
        if variables is not None:
            body["variables"] = variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        if extensions is not None:
            body["extensions"] = extensions
        headers = {"accept": self.accept} if self.accept is not None else {}
        if self.method == "GET":
            query = "&".join(
                f"{k}="
                + quote(
                    (
                        v if isinstance(v, str) else json.dumps(v, ensure_ascii=self.ascii_json)
                    ).encode("utf-8", "surrogatepass"),
                    safe="",
                )
                for k, v in body.items()
            )
            # httpx sends no URL over 64 KiB: a longer GET goes as a POST
            if len(query) < 60_000:
                return Request(
                    "GET",
                    f"/graphql?{query}",
                    document,
                    variables,
                    self.operation_name,
                    extensions,
                    headers,
                    None,
                )
        text = json.dumps(body, ensure_ascii=self.ascii_json)
        headers["content-type"] = "application/json"
        return Request(
            "POST",
            "/graphql",
            document,
            variables,
            self.operation_name,
            extensions,
            headers,
            text.encode("utf-8", "surrogatepass"),
        )


def resolve(known: Known, pools: Pools) -> str:
    pool = pools.get(known.pool) or pools.get("id") or [""]
    return pool[known.index % len(pool)]


def to_json(value: Value, pools: Pools) -> Any:
    if isinstance(value, Known):
        return resolve(value, pools)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Obj):
        return {k: to_json(v, pools) for k, v in value.fields}
    if isinstance(value, Flood):
        return [to_json(value.value, pools)] * value.count
    if isinstance(value, tuple):
        return [to_json(v, pools) for v in value]
    assert not isinstance(value, Var)
    return value


def _literal(text: str) -> str:
    """A GraphQL string literal (JSON's escapes are GraphQL's, and NUL is escaped)."""
    return json.dumps(text, ensure_ascii=False)


class _Builder:
    """Builds one document with the draws of one Hypothesis example."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.knowns: list[Known] = []
        self.variables: list[tuple[str, str, Value | None, bool]] = []
        """(name, declared type, value, sent) for the operation being built."""
        self.fragments: list[str] = []
        self.budget = 0
        self.aliases = 0
        self.deep = False
        """Reach for the depth drawn: a composite field at every level."""
        self.faults = self.chance(25)
        """Whether this draft makes deliberate mistakes (wrong types, unknown names)."""

    # random choices --------------------------------------------------------------------

    def chance(self, percent: int) -> bool:
        # The simplest draw (0, where Hypothesis starts and shrinks to) is "no".
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def fault(self, percent: int) -> bool:
        """A deliberate mistake, with this chance, in a draft that makes mistakes."""
        return self.faults and self.chance(percent)

    def pick(self, items: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(items))

    # values ----------------------------------------------------------------------------

    def write(self, value: Value) -> str:
        """`value` as a GraphQL literal."""
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return repr(value) if "e" in repr(value) or "." in repr(value) else f"{value}.0"
        if isinstance(value, str):
            return _literal(value)
        if isinstance(value, Known):
            self.knowns.append(value)
            return f"\x00K{len(self.knowns) - 1}\x00"
        if isinstance(value, Enum):
            return value.name
        if isinstance(value, Var):
            return f"${value.name}"
        if isinstance(value, Obj):
            return "{" + ", ".join(f"{k}: {self.write(v)}" for k, v in value.fields) + "}"
        if isinstance(value, Flood):
            return "[" + ", ".join([self.write(value.value)] * value.count) + "]"
        assert isinstance(value, tuple), value
        return "[" + ", ".join(self.write(v) for v in value) + "]"

    def scalar(self, name: str, hint: str | None, container: str, arg: str) -> Value:
        if name == "String":
            lowered = arg.lower()
            if "password" in lowered and self.chance(50):
                return PASSWORD
            if lowered == "email" and self.chance(40):
                return Known("email", self.draw(st.integers(0, 40)))
            if lowered == "number" and self.chance(50):
                return Known("case_number", self.draw(st.integers(0, 40)))
            if lowered in ("token", "refreshtoken") and self.chance(50):
                return Known("token", self.draw(st.integers(0, 5)))
            if lowered in ("after", "before") and not self.fault(50):
                return self.draw(st.builds(lambda pk: _b64(f"c:{pk}"), _pks))
            if self.fault(3):
                return self.pick(["lone \ud800 surrogate", "\udfff"])
            return self.draw(STRINGS)
        if name == "Int":
            return self.draw(INTS if self.faults else INTS_32)
        if name == "Float":
            return self.draw(FLOATS)
        if name == "Boolean":
            return self.draw(BOOLEANS)
        if name == "ID":
            roll = self.draw(st.integers(0, 99))
            if roll < 45:
                return Known(f"id:{hint}" if hint else "id", self.draw(st.integers(0, 60)))
            if roll < 55:
                return Known("id", self.draw(st.integers(0, 200)))
            if roll < 75:
                return self.draw(FORGED_IDS)
            if roll < 85:
                return self.draw(RANDOM_B64)
            if roll < 92:
                return self.draw(st.integers(-2, 2**40))
            return self.draw(STRINGS)
        if name == "Date":
            return self.draw(DATES)
        if name == "DateTime":
            return self.draw(DATETIMES)
        if name == "Upload":
            return self.draw(_scalars) if self.fault(15) else None
        return self.draw(_scalars)

    def value(
        self, t: GraphQLInputType, *, literal: bool, container: str = "", name: str = ""
    ) -> Value:
        """A value for type `t`: mostly of that type, sometimes not. In a literal,
        nested input fields may be variables."""
        if self.fault(5):
            return self.draw(WRONG_VALUES)
        if isinstance(t, GraphQLNonNull):
            if self.fault(4):
                return None
            return self.value(t.of_type, literal=literal, container=container, name=name)
        if self.chance(6):
            return None
        if isinstance(t, GraphQLList):
            if self.chance(8):  # a single item stands for a list of one
                return self.value(t.of_type, literal=literal, container=container, name=name)
            if self.fault(2):
                item = self.value(t.of_type, literal=False, container=container, name=name)
                return Flood(item, self.draw(st.integers(1_000, 2_500)))
            size = self.draw(st.integers(0, 60) if self.chance(5) else st.integers(0, 3))
            return tuple(
                self.value(t.of_type, literal=literal, container=container, name=name)
                for _ in range(size)
            )
        if isinstance(t, GraphQLEnumType):
            roll = self.draw(st.integers(0, 99)) if self.faults else 0
            names = list(t.values)
            if roll < 85:
                return Enum(self.pick(names))
            if roll < 92:
                return Enum(self.pick(["FOO", "new", "Admin", "NONE", "_", "A" * 300]))
            return self.pick(names)  # a string: right in variables, wrong in a document
        if isinstance(t, GraphQLInputObjectType):
            fields: list[tuple[str, Value]] = []
            for field_name, spec in t.fields.items():
                required = is_required_input_field(spec)
                if (not self.fault(4)) if required else self.chance(40):
                    fields.append(
                        (field_name, self.input(spec.type, t.name, field_name, literal=literal))
                    )
            if self.fault(4):
                fields.append((self.pick(["bogus", "id", "__typename", "input"]), 1))
            return Obj(tuple(fields))
        assert isinstance(t, GraphQLScalarType)
        return self.scalar(t.name, id_hint(container, name), container, name)

    def input(self, t: GraphQLInputType, container: str, name: str, *, literal: bool) -> Value:
        """An argument's or input field's value: in a document, sometimes a variable."""
        if literal and self.chance(45 if container.startswith("Query.") else 25):
            return self.variable(t, container, name)
        return self.value(t, literal=literal, container=container, name=name)

    def variable(self, t: GraphQLInputType, container: str, name: str) -> Var:
        var = f"v{len(self.variables)}"
        declared = str(t)
        if self.fault(8):
            declared = self.pick(INPUT_TYPES)
            declared = self.pick([declared, f"{declared}!", f"[{declared}!]", f"[{declared}]!"])
        elif self.fault(4) and isinstance(t, GraphQLNonNull):
            declared = str(t.of_type)  # nullable where non-null is needed
        value = self.value(t, literal=False, container=container, name=name)
        self.variables.append((var, declared, value, not self.fault(4)))
        return Var(var)

    def arguments(self, container: str, args: Mapping[str, Any]) -> str:
        parts = []
        for arg_name, arg in args.items():
            required = is_required_argument(arg)
            if (not self.fault(5)) if required else self.chance(25):
                value = self.input(arg.type, container, arg_name, literal=True)
                parts.append(f"{arg_name}: {self.write(value)}")
        if self.fault(3):
            parts.append(f"{self.pick(['bogus', 'first', 'id'])}: {self.write(1)}")
        return f"({', '.join(parts)})" if parts else ""

    # selections ------------------------------------------------------------------------

    def directive(self) -> str:
        roll = self.draw(st.integers(0, 99))
        if roll < 94:
            return ""
        if roll < 98:
            which = self.pick(["include", "skip"])
            boolean = SCHEMA.type_map["Boolean"]
            assert isinstance(boolean, GraphQLScalarType)
            condition = self.input(GraphQLNonNull(boolean), "", "if", literal=True)
            return f" @{which}(if: {self.write(condition)})"
        return self.pick([" @deprecated", " @unknown", " @include", ' @specifiedBy(url: "x")'])

    def field(self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str, depth: int) -> str:
        self.budget -= 1
        spec = parent.fields[name]
        alias = ""
        if self.chance(8):
            self.aliases += 1
            alias = f"a{self.aliases}: "
        args = self.arguments(f"{parent.name}.{name}", spec.args)
        target = get_named_type(spec.type)
        text = f"{alias}{name}{args}{self.directive()}"
        if is_leaf_type(target):
            if self.fault(1):
                text += " { id }"  # a selection on a leaf
            return text
        if self.fault(1):
            return text  # a composite without a selection
        return text + " " + self.selection_set(target, depth - 1)

    def selection_set(self, t: GraphQLNamedType, depth: int) -> str:
        """`{ ... }` for a composite type, `depth` levels deep at most (1: leaves only)."""
        if isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
            return self.abstract_selection(t, depth)
        assert isinstance(t, GraphQLObjectType), t
        if self.chance(6) and depth >= 1:
            return self.fragment_spread(t, depth)
        return "{ " + " ".join(self.object_fields(t, depth)) + " }"

    def object_fields(self, t: GraphQLObjectType, depth: int) -> list[str]:
        names = list(t.fields)
        leaves = [n for n in names if is_leaf_type(get_named_type(t.fields[n].type))]
        composites = [n for n in names if n not in leaves]
        chosen: list[str] = []
        if self.deep and depth >= 2 and composites:
            chosen.append(self.pick(composites))
        if self.budget > 0:
            pool = names if depth >= 2 else leaves
            if pool:
                count = self.draw(st.integers(0 if chosen else 1, min(4, max(1, self.budget))))
                for _ in range(count):
                    candidate = self.pick(pool)
                    if candidate not in chosen:
                        chosen.append(candidate)
        if not chosen and leaves:
            chosen.append(leaves[0])
        selections = [self.field(t, n, depth) for n in chosen]
        if self.chance(10) or not selections:
            selections.append("__typename")
        if self.fault(1):
            selections.append(self.pick(["bogusField", "id", "node"]))  # maybe no such field
        return selections

    def abstract_selection(self, t: GraphQLInterfaceType | GraphQLUnionType, depth: int) -> str:
        parts = ["__typename"]
        if isinstance(t, GraphQLInterfaceType):
            parts.append("id")
        possible = sorted(SCHEMA.get_possible_types(t), key=lambda o: o.name)
        for _ in range(self.draw(st.integers(0, 2))):
            # now and then a type the fragment cannot apply to
            on = SCHEMA.type_map[self.pick(OUTPUT_TYPES)] if self.fault(3) else self.pick(possible)
            assert isinstance(on, GraphQLObjectType | GraphQLInterfaceType)
            fields = (
                self.object_fields(on, depth)
                if isinstance(on, GraphQLObjectType)
                else ["__typename"]
            )
            parts.append(f"... on {on.name} {{ {' '.join(fields)} }}")
        return "{ " + " ".join(parts) + " }"

    def fragment_spread(self, t: GraphQLObjectType, depth: int) -> str:
        name = f"F{len(self.fragments)}"
        self.fragments.append("")  # reserve the name: fragments may nest
        on = t.name if not self.fault(5) else self.pick(OUTPUT_TYPES)
        body = " ".join(self.object_fields(t, depth))
        self.fragments[int(name[1:])] = f"fragment {name} on {on} {{ {body} }}"
        if self.fault(3):
            name = self.pick([f"F{len(self.fragments) + 3}", "Missing"])  # an unknown fragment
        return f"{{ ...{name} }}"

    # operations ------------------------------------------------------------------------

    def root_fields(
        self, root: GraphQLObjectType, depth: int, first: str | None = None
    ) -> list[str]:
        if first is not None:
            chosen = [first]
        else:
            count = self.draw(st.integers(1, 3))
            chosen = [self.pick(sorted(root.fields)) for _ in range(count)]
        out = []
        for name in chosen:
            # every further one gets an alias, so that repeated fields do not clash
            alias_needed = name in chosen[: len(out)]
            text = self.field(root, name, depth)
            if alias_needed and not re.match(r"a\d+: ", text):
                self.aliases += 1
                text = f"a{self.aliases}: {text}"
            out.append(text)
        if root is QUERY and self.chance(5):
            out.append(self.introspection(depth))
        if self.chance(3):  # many aliases: within the limit of 30, or beyond
            many = self.draw(st.integers(10, 45))
            target = self.pick(["viewer { id }", "__typename", "relationshipTypes { name }"])
            if root is MUTATION:
                target = "__typename"
            out += [f"x{n}: {target}" for n in range(many)]
        return out

    def introspection(self, depth: int) -> str:
        if self.chance(50):
            name = self.pick([*OUTPUT_TYPES, *INPUT_TYPES, "Nope", ""])
            selection = self.selection_set(SCHEMA.type_map["__Type"], max(depth - 1, 1))
            return f"__type(name: {_literal(name)}) {selection}"
        return "__schema " + self.selection_set(SCHEMA.type_map["__Schema"], max(depth - 1, 1))

    def operation(self, kind: str, name: str | None, first: str | None = None) -> str:
        """One operation of `kind`; with `first`, that root field alone."""
        root = {"query": QUERY, "mutation": MUTATION, "subscription": SUBSCRIPTION}[kind]
        assert root is not None
        self.variables = []
        self.aliases = 0
        self.budget = (
            self.draw(st.integers(40, 400)) if self.chance(4) else self.draw(st.integers(3, 30))
        )
        if self.chance(8):
            depth, self.deep = self.draw(st.integers(11, 16)), True
        else:
            depth, self.deep = self.draw(st.integers(2, 8)), self.chance(20)
        body = " ".join(self.root_fields(root, depth, first))
        definitions = ", ".join(f"${v}: {declared}" for v, declared, _, _ in self.variables)
        header = kind
        if name is not None:
            header += f" {name}"
        if definitions:
            header += f"({definitions})"
        if kind == "query" and header == "query" and self.chance(40):
            return f"{{ {body} }}"
        return f"{header} {{ {body} }}"


@st.composite
def drafts(draw: st.DrawFn, root: str | None = None) -> Draft:
    """A request to fuzz the API with (see the module docstring); with `root`, one
    operation that asks that root field (of Query, Mutation or Subscription) alone."""
    b = _Builder(draw)
    roll = draw(st.integers(0, 99))
    kind = "query" if roll < 40 else "mutation" if roll < 97 else "subscription"
    if root is not None:
        kind = ROOT_FIELDS[root]
    operations = 2 if b.chance(5) and root is None else 1
    names = [f"Op{n}" if (operations > 1 or b.chance(30)) else None for n in range(operations)]
    texts: list[str] = []
    variables: list[tuple[str, Value]] = []
    sent_any = False
    for n, name in enumerate(names):
        this_kind = kind if n == 0 else b.pick(["query", "mutation"])
        texts.append(b.operation(this_kind, name, root if n == 0 else None))
        for var, _, value, sent in b.variables:
            if sent:
                variables.append((var, value))
                sent_any = True
    texts += [f for f in b.fragments if f]
    if b.fault(2):
        texts.append("fragment Unused on Query { __typename }")
    operation_name: str | None = None
    named = [n for n in names if n is not None]
    if named and b.chance(85):
        operation_name = b.pick(named) if not b.fault(5) else "Elsewhere"
    send_variables = sent_any or b.chance(30)
    method = "GET" if b.chance(5) else "POST"
    accept = b.pick(
        [None] * 30
        + [
            "application/graphql-response+json",
            "application/graphql-response+json, application/json;q=0.9",
            "application/json",
            "*/*",
            "text/html",
            "application/json;q=abc",
        ]
    )
    persisted = b.pick(["none"] * 40 + ["hash", "hash", "hash_only", "wrong_hash", "bad_version"])
    return Draft(
        template="\n".join(texts),
        knowns=tuple(b.knowns),
        variables=tuple(variables) if send_variables else None,
        operation_name=operation_name,
        method=method,
        accept=accept,
        ascii_json=b.chance(70),
        persisted=persisted,
    )


# --- raw transport ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class RawRequest:
    method: str
    headers: dict[str, str]
    content: bytes | None = None
    params: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = field(default=None)
    data: dict[str, str] | None = field(default=None)


def _envelope() -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object that looks like a GraphQL request, with fields of any type."""
    return st.fixed_dictionaries(
        {},
        optional={
            "query": st.sampled_from(
                ["{ __typename }", "{ viewer { id } }", "query($a: Int) { __typename }", "{", ""]
            )
            | JSON_VALUES,
            "variables": JSON_VALUES,
            "operationName": JSON_VALUES,
            "extensions": JSON_VALUES | st.fixed_dictionaries({"persistedQuery": JSON_VALUES}),
        },
    )


_content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/json; charset=latin-1",
        "application/graphql",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
    ]
)


@st.composite
def raw_requests(draw: st.DrawFn) -> RawRequest:
    """A raw HTTP request to /graphql: bytes, JSON of any shape, odd headers."""
    headers: dict[str, str] = {}
    if draw(st.integers(0, 99)) >= 85:
        headers["authorization"] = draw(
            st.sampled_from(["Bearer", "Bearer ", "Basic abc", "Bearer x.y.z", "bearer  \t"])
            | st.text(st.characters(codec="ascii", min_codepoint=32, max_codepoint=126)).map(
                lambda s: f"Bearer {s}"
            )
        )
    if draw(st.integers(0, 99)) >= 85:
        headers["accept"] = draw(
            st.sampled_from(["text/html", "*/*", "application/*", "application/json;q=0"])
            | st.text(
                st.characters(codec="ascii", min_codepoint=32, max_codepoint=126), max_size=40
            )
        )
    # h11 sends no header value with surrounding white space
    headers = {k: v.strip() for k, v in headers.items()}
    kind = draw(st.integers(0, 99))
    if kind >= 92:
        params = draw(
            st.dictionaries(
                st.sampled_from(["query", "variables", "operationName", "extensions", "x"]),
                st.text(max_size=40) | JSON_VALUES.map(json.dumps),
                max_size=4,
            )
        )
        return RawRequest("GET", headers, params=params)
    if kind >= 85:
        operations = draw(_envelope().map(json.dumps) | st.text(max_size=30))
        files_map = draw(JSON_VALUES.map(json.dumps) | st.sampled_from(['{"0": ["variables.f"]}']))
        return RawRequest(
            "POST",
            headers,
            data={"operations": operations, "map": files_map},
            files={"0": ("a.txt", draw(st.binary(max_size=64)), "text/plain")},
        )
    headers["content-type"] = draw(_content_types)
    if kind < 35:
        content = json.dumps(draw(_envelope()), ensure_ascii=draw(st.booleans())).encode(
            "utf-8", "surrogatepass"
        )
    elif kind < 60:
        content = json.dumps(draw(JSON_VALUES)).encode()
    else:
        content = draw(st.binary(max_size=200))
    method = draw(st.sampled_from(["POST"] * 8 + ["PUT", "GET"]))
    return RawRequest(method, headers, content=content)
