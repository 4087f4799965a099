"""Worlds and documents for the traversal property (`test_traversal_property.py`).

`build_world` writes a random world straight through the ORM from a seeded
`random.Random`; `explore` finds every object a viewer reaches from the
query root fields (deep documents generated from `schema.graphql`, then
`node(id:)` on each object reached, to a fixpoint) and records whether
`node(id:)` returned each one.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    build_schema,
    get_named_type,
    parse,
)
from graphql.language import Lexer, Source, TokenKind
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from csm_graph import clock
from csm_graph.access.models import Department, RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import Role, Team, User, UserType
from csm_graph.accounts.passwords import hasher
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer, ImportJob
from csm_graph.delegations.models import Delegation, DelegationScope, DelegationState
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.products.models import SoldProduct
from csm_graph.schema import build_schema as build_product_schema
from csm_graph.schema.cost import cost_of
from csm_graph.schema.node import from_global_id
from csm_graph.settings import get_settings
from csm_graph.surveys.models import SkipReason, Survey
from csm_graph.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.support import PASSWORD, GraphQLClient

SCHEMA = build_schema((Path(__file__).resolve().parents[3] / "schema.graphql").read_text())


def _is_node(t: Any) -> bool:
    return isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)


NODE_TYPES = frozenset(name for name, t in SCHEMA.type_map.items() if _is_node(t))
"""Every type that implements Node (read from the SDL, so new ones are covered)."""

NOT_IN_QUERIES: frozenset[str] = frozenset({"DataExport"})
"""Node types no query field without arguments returns: a consumer's data exports
are listed by `dataExports(consumerId:)` (tests/exports/test_data_export.py)."""

# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """A field that leads from one object to others in one step."""

    call: str
    """The field with its arguments, e.g. `members(includePast: true)`."""
    wrap: str
    """`{%s}`, or `{ edges { node {%s} } }` for a connection."""
    target: str
    """The Node type it leads to."""


def _arguments(gql_field: GraphQLField) -> str | None:
    """The widest arguments for a field (all past members, a page larger than any of
    these worlds; kept small so documents stay under the cost budget); None: needs
    an argument we cannot make up."""
    parts = []
    for name, arg in gql_field.args.items():
        if name == "first":
            parts.append("first: 10")
        elif name == "includePast":
            parts.append("includePast: true")
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            return None
    return f"({', '.join(parts)})" if parts else ""


def _connection_node(t: Any) -> str | None:
    """The Node type of a connection (`edges { node }`), else None."""
    if not isinstance(t, GraphQLObjectType) or "edges" not in t.fields:
        return None
    edge = get_named_type(t.fields["edges"].type)
    if not isinstance(edge, GraphQLObjectType) or "node" not in edge.fields:
        return None
    node = get_named_type(edge.fields["node"].type)
    return node.name if _is_node(node) else None


@functools.cache
def hops(type_name: str) -> tuple[Hop, ...]:
    """Every field of `type_name` that returns Node objects (a connection of them
    included), with the widest arguments; fields that need an argument are left out."""
    out = []
    t = SCHEMA.type_map[type_name]
    assert isinstance(t, GraphQLObjectType)
    for name, gql_field in t.fields.items():
        arguments = _arguments(gql_field)
        if arguments is None:
            continue
        target = get_named_type(gql_field.type)
        if _is_node(target):
            out.append(Hop(name + arguments, "{%s}", target.name))
        elif (node := _connection_node(target)) is not None:
            out.append(Hop(name + arguments, "{ edges { node {%s} } }", node))
    return tuple(out)


class Fragments:
    """`fragment Case3 on Case { id __typename consumer { ...Consumer2 } ... }`: every
    object field, `hops` levels down, each object with `id` and `__typename`."""

    def __init__(self) -> None:
        self.used: set[tuple[str, int]] = set()

    def select(self, type_name: str, depth: int) -> str:
        if depth == 0:
            return " id __typename "
        self.used.add((type_name, depth))
        return f" ...{type_name}{depth} "

    def body(self, type_name: str, depth: int, only: tuple[Hop, ...] | None = None) -> str:
        parts = ["id __typename"]
        if depth > 0:
            for hop in hops(type_name) if only is None else only:
                parts.append(f"{hop.call} {hop.wrap % self.select(hop.target, depth - 1)}")
        return " ".join(parts)

    def definitions(self) -> str:
        done: set[tuple[str, int]] = set()
        out = []
        while pending := sorted(self.used - done):
            name, depth = pending[0]
            done.add(pending[0])
            out.append(f"fragment {name}{depth} on {name} {{ {self.body(name, depth)} }}")
        return "\n".join(out)


def tokens(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def depth(document: str) -> int:
    """The nesting the server's depth limit counts (fragments expanded)."""
    ast = parse(document)
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(selections: SelectionSetNode | None, level: int) -> int:
        deepest = level
        for s in selections.selections if selections else ():
            if isinstance(s, FieldNode):
                if s.selection_set:
                    deepest = max(deepest, walk(s.selection_set, level + 1))
            elif isinstance(s, FragmentSpreadNode):
                deepest = max(deepest, walk(fragments[s.name.value].selection_set, level))
            elif isinstance(s, InlineFragmentNode):
                deepest = max(deepest, walk(s.selection_set, level))
        return deepest

    return max(
        walk(d.selection_set, 0) for d in ast.definitions if isinstance(d, OperationDefinitionNode)
    )


def _limits() -> tuple[int, int, int]:
    s = get_settings()
    return s.max_query_tokens, s.max_query_depth, s.max_query_aliases


@functools.cache
def _live_schema() -> GraphQLSchema:
    return build_product_schema(get_settings())._schema


def cost(document: str) -> int:
    """What the server's cost budget (`schema/cost.py`) counts for `document`."""
    return cost_of(_live_schema(), parse(document), None, {})


@functools.cache
def root_documents(hop_count: int) -> tuple[tuple[str, str], ...]:
    """(root field, document) for every query root field that returns Node objects,
    `hop_count` steps deep from the objects it returns. A root whose document would
    pass the token limit or the cost budget is split by its first step. `node` and
    `caseByNumber` take an argument: `node_documents` and `case_documents` ask them."""
    max_tokens, max_depth, _ = _limits()
    max_cost = get_settings().max_query_cost
    out = []
    for root in hops("Query"):
        name = root.call.split("(")[0]
        pending = [hops(root.target)]
        while pending:
            first_steps = pending.pop()
            fragments = Fragments()
            body = fragments.body(root.target, hop_count, first_steps)
            document = (
                f"query {{ {root.call} {root.wrap % (' ' + body + ' ')} }}\n"
                + fragments.definitions()
            )
            too_big = tokens(document) > max_tokens or cost(document) > max_cost
            if too_big and len(first_steps) > 1:
                half = len(first_steps) // 2
                pending += [first_steps[:half], first_steps[half:]]
                continue
            assert tokens(document) <= max_tokens, (name, tokens(document))
            assert cost(document) <= max_cost, (name, cost(document))
            assert depth(document) <= max_depth, (name, depth(document))
            out.append((name, document))
    return tuple(out)


def _batches(items: list[Any]) -> Iterator[list[Any]]:
    _, _, max_aliases = _limits()
    for start in range(0, len(items), max_aliases):
        yield items[start : start + max_aliases]


def node_documents(targets: list[tuple[str, str, bool]]) -> Iterator[tuple[list[str], str]]:
    """`node(id:)` for each (id, typename, expand), aliased `a0`, `a1`, ...: with
    every object one step from it when `expand`, else just `id` and `__typename`."""
    for batch in _batches(targets):
        fragments = Fragments()
        parts = [
            f'a{n}: node(id: "{object_id}") {{ id __typename'
            f"{fragments.select(typename, 1) if expand else ' '}}}"
            for n, (object_id, typename, expand) in enumerate(batch)
        ]
        yield [t[0] for t in batch], f"query {{ {' '.join(parts)} }}\n{fragments.definitions()}"


def case_documents(numbers: list[str], hop_count: int) -> Iterator[str]:
    """`caseByNumber` for each number (null when not readable), aliased."""
    for batch in _batches(numbers):
        fragments = Fragments()
        parts = [
            f'a{n}: caseByNumber(number: "{number}") {{ {fragments.body("Case", hop_count)} }}'
            for n, number in enumerate(batch)
        ]
        yield f"query {{ {' '.join(parts)} }}\n{fragments.definitions()}"


# --- exploring ------------------------------------------------------------------------------


@functools.cache
def _hop_keys(type_name: str) -> frozenset[str]:
    return frozenset(hop.call.split("(")[0] for hop in hops(type_name))


def _objects(value: Any, path: str) -> Iterator[tuple[str, str, str, bool]]:
    """(typename, id, path, expanded) of every Node object in a response; expanded:
    the response holds every object one step from it."""
    if isinstance(value, list):
        for n, item in enumerate(value):
            yield from _objects(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        typename = value.get("__typename")
        if typename in NODE_TYPES and "id" in value:
            yield typename, value["id"], path, _hop_keys(typename) <= value.keys()
        for key, item in value.items():
            if isinstance(item, dict | list):
                yield from _objects(item, f"{path}.{key}" if path else key)


@dataclass
class Exploration:
    """What one viewer reached, and what `node(id:)` said about it."""

    viewer: str
    reached: dict[str, str] = field(default_factory=dict)
    """Global id -> the first path it was reached by."""
    typenames: dict[str, str] = field(default_factory=dict)
    expanded: set[str] = field(default_factory=set)
    """Ids whose every neighbour was selected somewhere."""
    checked: set[str] = field(default_factory=set)
    """Ids `node(id:)` was asked for."""
    refused: set[str] = field(default_factory=set)
    """Ids reached by traversal that `node(id:)` returned null (or another object) for."""
    forbidden: set[str] = field(default_factory=set)
    """Root fields the viewer may not use."""
    requests: int = 0

    def reach(self, data: Any, path: str) -> None:
        for typename, object_id, where, expanded in _objects(data, path):
            self.reached.setdefault(object_id, where)
            self.typenames[object_id] = typename
            if expanded:
                self.expanded.add(object_id)

    def to_check(self) -> list[tuple[str, str, bool]]:
        """(id, typename, expand) for the ids `node(id:)` was not asked for yet."""
        return [
            (i, self.typenames[i], i not in self.expanded)
            for i in sorted(self.reached.keys() - self.checked)
        ]

    def counterexamples(self) -> list[str]:
        return [
            f"viewer {self.viewer}: {i} ({':'.join(map(str, from_global_id(i)))}) reached at"
            f" {self.reached[i]}, but node(id:) returns null"
            for i in sorted(self.refused)
        ]


ALLOWED_ROOT_ERRORS = {"FORBIDDEN"}


async def _run(client: GraphQLClient, seen: Exploration, document: str) -> dict[str, Any] | None:
    """The data of `document`; None when its root field is forbidden to the viewer
    (that field null, the error at its path, nothing else wrong)."""
    seen.requests += 1
    result = await client.execute(document)
    errors = result.get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    data = result.get("data") or {}
    refused_roots = {tuple(e.get("path") or ()) for e in errors}
    if (
        errors
        and codes <= ALLOWED_ROOT_ERRORS
        and all(len(path) == 1 and data.get(path[0], "") is None for path in refused_roots)
    ):
        return None
    assert not errors, (seen.viewer, errors, document)
    answer: dict[str, Any] = result["data"]
    return answer


async def explore(
    client: GraphQLClient, viewer: str, case_numbers: list[str], hop_count: int
) -> Exploration:
    """Everything `viewer` reaches: from each root field `hop_count` steps deep, then
    from each object reached not yet seen with its neighbours, through `node(id:)`,
    until nothing new turns up; `node(id:)` is asked for every object reached."""
    seen = Exploration(viewer)
    for root, document in root_documents(hop_count):
        data = await _run(client, seen, document)
        if data is None:
            seen.forbidden.add(root)
            continue
        seen.reach(data, "")
    for document in case_documents(case_numbers, 1):
        data = await _run(client, seen, document)
        assert data is not None
        seen.reach(data, "caseByNumber")
    while targets := seen.to_check():
        for batch, document in node_documents(targets):
            data = await _run(client, seen, document)
            assert data is not None
            for n, object_id in enumerate(batch):
                seen.checked.add(object_id)
                found = data[f"a{n}"]
                if found is None or found["id"] != object_id:
                    seen.refused.add(object_id)
                else:
                    seen.reach(found, f"node({object_id})")
    return seen


# --- worlds ---------------------------------------------------------------------------------


T = TypeVar("T")


WORLDS_TIME_CAP = 40.0
"""Seconds after which a test over world seeds builds no further world (see
`WorldClock`): on a loaded machine it ends with the worlds it has checked,
well inside pytest's 60 s timeout, instead of being cut off mid-request."""


@dataclass
class WorldClock:
    """When a test over world seeds started (the `world_clock` fixture: one per
    test, not per example)."""

    started: float = field(default_factory=time.monotonic)

    def in_time(self) -> bool:
        """Whether another world may still be built: the first always is."""
        return time.monotonic() - self.started < WORLDS_TIME_CAP


def over_world_seeds(examples: int) -> Callable[[T], T]:
    """Runs a test once per world seed Hypothesis draws: `examples` of them,
    derandomized so every run asks the same worlds and takes the same time,
    and never shrunk (a smaller seed is not a smaller world: a failure is
    reported as found). The test returns at once, checking nothing, for a
    seed drawn past `WORLDS_TIME_CAP` (`WorldClock.in_time`)."""

    def decorate(test: T) -> T:
        return settings(  # type: ignore[no-any-return]
            max_examples=examples,
            derandomize=True,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )(given(seed=st.integers(min_value=0, max_value=2**32 - 1))(test))

    return decorate


@dataclass
class World:
    logins: list[str]
    """Emails of every login, in the order they were made."""
    case_numbers: list[str]
    names: dict[str, str] = field(default_factory=dict)
    """Email -> what the login is in this world (for messages)."""


_HASH: dict[str, str] = {}


def password_hash() -> str:
    """One hash for every login of every world (hashing is the slow part of a user),
    made with the product's configured argon2 hasher."""
    if "hash" not in _HASH:
        _HASH["hash"] = hasher().hash(PASSWORD)
    return _HASH["hash"]


async def make_login(
    email: str, user_type: UserType, roles: tuple[str, ...] = (), **fields: Any
) -> User:
    user = await User.create(
        email=email,
        user_type=user_type,
        first_name=fields.pop("first_name", email.split("@")[0].title()),
        last_name=fields.pop("last_name", "X"),
        password_hash=password_hash(),
        email_verified=True,
        **fields,
    )
    if roles:
        await user.roles.add(*await Role.filter(name__in=roles))
    return user


async def build_world(rng: random.Random) -> World:
    """A random world of consumers, staff, households, representations, products,
    cases with comments, activity and attachments, surveys and related parties."""
    today = clock.today()
    now = clock.now()

    def day(lo: int, hi: int) -> dt.date:
        return today + dt.timedelta(days=rng.randint(lo, hi))

    def maybe(p: float) -> bool:
        return rng.random() < p

    world = World(logins=[], case_numbers=[])

    # staff: agents (some in teams), a manager of some of them, maybe an administrator
    teams = [await Team.create(name=f"Team {n}") for n in range(rng.randint(1, 2))]
    manager = await make_login("manager@example.com", UserType.INTERNAL, ("MANAGER",))
    world.names[manager.email] = "manager"
    agents: list[User] = []
    for n in range(rng.randint(1, 3)):
        agent = await make_login(
            f"agent{n}@example.com",
            UserType.INTERNAL,
            ("AGENT",),
            manager_id=manager.id if maybe(0.6) else None,
        )
        for team in teams:
            if maybe(0.5):
                await team.members.add(agent)
        agents.append(agent)
        world.names[agent.email] = f"agent {n}"
    if maybe(0.5):
        await teams[0].members.add(manager)
    staff = [manager, *agents]
    if maybe(0.5):
        admin = await make_login("admin@example.com", UserType.INTERNAL, ("ADMIN",))
        world.names[admin.email] = "admin"
        staff.append(admin)
        await ImportJob.create(file_name="c.csv", source="number\n", created_by_id=admin.id)
        endpoint = await WebhookEndpoint.create(
            url="https://crm.example.com/",
            events=["case.created"],
            secret="whsec_x",
            created_by_id=admin.id,
            created_at=now,
            updated_at=now,
        )
        await WebhookDelivery.create(
            endpoint_id=endpoint.id, event="case.created", message_id="msg_1", created_at=now
        )

    # consumers, most with a login
    consumers: list[Consumer] = []
    logins: dict[int, User] = {}
    for n in range(rng.randint(3, 6)):
        consumer = await Consumer.create(number=f"CON{n:07d}", first_name=f"C{n}", last_name="X")
        if maybe(0.85):
            user = await make_login(f"c{n}@example.com", UserType.EXTERNAL, first_name=f"C{n}")
            consumer.user_id = user.id
            await consumer.save()
            logins[consumer.id] = user
            world.names[user.email] = f"consumer C{n}"
        consumers.append(consumer)
    users = [*staff, *logins.values()]

    # households: heads and members, some memberships ended or not yet started
    households = [
        await Household.create(number=f"HH{n:07d}", name=f"H{n}") for n in range(rng.randint(1, 3))
    ]
    primary_set: set[int] = set()
    for consumer in consumers:
        for household in households:
            if not maybe(0.55):
                continue
            if maybe(0.2):  # a past membership, kept as history
                await HouseholdMember.create(
                    household_id=household.id,
                    consumer_id=consumer.id,
                    relationship=Relationship.OTHER,
                    is_head=maybe(0.4),
                    start_date=day(-60, -30),
                    end_date=day(-20, 0),
                )
                if maybe(0.5):
                    continue
            head = maybe(0.4)
            current = maybe(0.9)
            await HouseholdMember.create(
                household_id=household.id,
                consumer_id=consumer.id,
                relationship=Relationship.HEAD if head else rng.choice(list(Relationship)),
                is_head=head,
                is_primary=current and consumer.id not in primary_set,
                start_date=day(-30, 0) if current else day(1, 10),
            )
            if current:
                primary_set.add(consumer.id)

    # representations: current, ended and future
    for _ in range(rng.randint(0, 4)):
        a, b = rng.sample(consumers, 2)
        start = day(-30, 3)
        await Representation.create(
            representative_id=a.id,
            consumer_id=b.id,
            valid_from=start,
            valid_until=rng.choice([None, start + dt.timedelta(days=rng.randint(0, 20))]),
        )

    # delegations a consumer started: invited, accepted (as a representation) or ended
    with_login = [c for c in consumers if c.id in logins]
    for _ in range(rng.randint(0, 2) if len(with_login) > 1 else 0):
        a, b = rng.sample(with_login, 2)
        state = rng.choice(list(DelegationState))
        ends_on = day(-3, 20)
        held = None
        if state is not DelegationState.INVITED:
            held = await Representation.create(
                representative_id=b.id,
                consumer_id=a.id,
                valid_from=min(today, ends_on),
                valid_until=ends_on if state is DelegationState.ACCEPTED else day(-5, -1),
                read_only=maybe(0.5),
            )
        await Delegation.create(
            consumer_id=a.id,
            delegate_id=None if held is None else b.id,
            representation_id=None if held is None else held.id,
            email=logins[b.id].email,
            scope=DelegationScope.READ if maybe(0.5) else DelegationScope.READ_AND_ACT,
            ends_on=ends_on,
            state=state,
            token_expires_at=now + dt.timedelta(days=rng.randint(-2, 14)),
            created_at=now,
        )

    products = [
        await SoldProduct.create(
            name=f"P{n}",
            serial_number=f"SN{n}",
            owner_id=rng.choice(consumers).id,
            household_id=rng.choice([None, *[h.id for h in households]]),
        )
        for n in range(rng.randint(0, 3))
    ]

    # cases, opened by agents, by their consumer, or by someone acting for them
    cases: list[Case] = []
    for n in range(rng.randint(2, 6)):
        consumer = rng.choice(consumers)
        opener = rng.choice([None, *staff, *logins.values()])
        state = rng.choice([*CaseState, CaseState.CLOSED])  # closed ones have surveys
        case = await Case.create(
            number=f"CS{n:07d}",
            short_description="x",
            consumer_id=consumer.id,
            household_id=rng.choice([None, *[h.id for h in households]]),
            sold_product_id=rng.choice([None, *[p.id for p in products]]),
            opened_by_id=opener.id if opener else None,
            assigned_to_id=rng.choice([*agents, manager]).id if maybe(0.7) else None,
            assignment_team_id=rng.choice(teams).id if maybe(0.6) else None,
            state=state,
        )
        cases.append(case)
        world.case_numbers.append(case.number)
        for _ in range(rng.randint(0, 3)):
            author = rng.choice([None, *users])
            internal = author is not None and author.user_type is UserType.INTERNAL
            behalf = None
            if author is not None and not internal and logins.get(consumer.id) != author:
                behalf = consumer.id if maybe(0.7) else rng.choice(consumers).id
            await CaseComment.create(
                case_id=case.id,
                body="b",
                work_note=internal and maybe(0.5),
                author_id=author.id if author else None,
                on_behalf_of_id=behalf,
            )
        for _ in range(rng.randint(0, 3)):
            actor = rng.choice([None, *users])
            await CaseActivity.create(
                case_id=case.id,
                kind=rng.choice(list(ActivityKind)),
                internal=maybe(0.4),
                actor_id=actor.id if actor else None,
                on_behalf_of_id=rng.choice([None, consumer.id, rng.choice(consumers).id]),
            )
        if maybe(0.4):
            await CaseAttachment.create(
                case_id=case.id,
                file_name="a.txt",
                content_type="text/plain",
                size=1,
                sha256="0" * 64,
                storage_key=uuid.uuid4().hex,
                uploaded_by_id=rng.choice(users).id,
            )
        if state is CaseState.CLOSED and maybe(0.8):
            skipped = maybe(0.4)
            await Survey.create(
                case_id=case.id,
                consumer_id=consumer.id,
                skip_reason=rng.choice(list(SkipReason)) if skipped else None,
                rating=None if skipped else rng.randint(1, 5),
                created_at=now,
            )

    # inbound emails: of no case (parked, new), and of some cases
    for case in [None, *rng.sample(cases, rng.randint(0, len(cases)))]:
        await InboundEmail.create(
            intake=Intake.SMTP,
            state=InboundState.PARKED if case is None else InboundState.ATTACHED,
            sender="c0@example.com",
            raw_key=uuid.uuid4().hex,
            received_at=now,
            case_id=case.id if case else None,
        )
    # departments, some staff in them (their `department` text, in any case)
    departments = [
        await Department.create(name=name, key=name.casefold()) for name in ("Finance", "Ops")
    ]
    for person in staff:
        if maybe(0.5):
            person.department = rng.choice(["Finance", "finance", "Ops"])
            await person.save()

    # related parties on cases and products, as consumers or as logins
    responsibilities = [None, *await Responsibility.all()]
    kinds = await RelationshipType.all()
    for _ in range(rng.randint(0, 3)):
        # a team or a department as the party
        on_case = not products or maybe(0.5)
        kind = rng.choice([k for k in kinds if (k.for_cases if on_case else k.for_sold_products)])
        as_team = maybe(0.5)
        await RelatedParty.create(
            case_id=rng.choice(cases).id if on_case else None,
            sold_product_id=None if on_case else rng.choice(products).id,
            team_id=rng.choice(teams).id if as_team else None,
            department_id=None if as_team else rng.choice(departments).id,
            relationship_type_id=kind.id,
            responsibility_id=getattr(rng.choice(responsibilities), "id", None),
            valid_until=rng.choice([None, day(-3, 10)]),
        )
    for _ in range(rng.randint(1, 8)):
        on_case = not products or maybe(0.6)
        kind = rng.choice([k for k in kinds if (k.for_cases if on_case else k.for_sold_products)])
        responsibility = (
            kind.default_responsibility_id
            if maybe(0.5)
            else getattr(rng.choice(responsibilities), "id", None)
        )
        as_user = maybe(0.4)
        await RelatedParty.create(
            case_id=rng.choice(cases).id if on_case else None,
            sold_product_id=None if on_case else rng.choice(products).id,
            consumer_id=None if as_user else rng.choice(consumers).id,
            user_id=rng.choice(users).id if as_user else None,
            relationship_type_id=kind.id,
            responsibility_id=responsibility,
            valid_from=rng.choice([None, day(-10, 3)]),
            valid_until=rng.choice([None, day(-3, 10)]),
        )
    world.logins = [u.email for u in users]
    return world
