"""A realistic, reproducible demo data set (`csm-graph demo --consumers N`).

Seeded random, so the same seed on a fresh database gives the same rows:
consumers with every field, households of one to six with heads and past
members, authorized representatives, sold products, cases in every state
with comments, work notes, attachments and activity, teams and agents.
Rows go in with `bulk_create` in batches; human numbers come from
`core.numbering.take`, as everywhere else. The benchmarks load it too.

Three demo logins share one known password: a consumer who heads a
household (and represents another consumer), an agent, an administrator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tortoise.models import Model

from csm_graph import clock, db
from csm_graph.accounts import passwords
from csm_graph.accounts.models import Role, RoleName, Team, User, UserType
from csm_graph.cases.models import (
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseCategory,
    CaseChannel,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.core.numbering import format_number, take
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.jobs import unit_of_work
from csm_graph.products.models import SoldProduct
from csm_graph.settings import get_settings

DEMO_PASSWORD = "demo passphrase 4 csm-graph"
HEAD_EMAIL = "demo.head@example.com"
AGENT_EMAIL = "demo.agent@example.com"
ADMIN_EMAIL = "demo.admin@example.com"
BATCH = 1000

M = TypeVar("M", bound=Model)

FIRST = [
    "Ann", "Bob", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jon", "Kai", "Lena",
    "Mo", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wen", "Yara",
]  # fmt: skip
LAST = [
    "Lee", "Ray", "Diaz", "Khan", "Novak", "Silva", "Okafor", "Berg", "Moss", "Ueda",
    "Park", "Rossi", "Meyer", "Haddad", "Costa", "Nguyen", "Olsen", "Varga", "Kowal", "Abe",
]  # fmt: skip
CITIES = [
    ("Reno", "NV", "895"), ("Austin", "TX", "787"), ("Boise", "ID", "837"),
    ("Tulsa", "OK", "741"), ("Salem", "OR", "973"), ("Dayton", "OH", "454"),
]  # fmt: skip
STREETS = ["Oak St", "Maple Ave", "Pine Rd", "Cedar Ln", "Elm Way", "Birch Ct", "Lake Dr"]
PRODUCTS = [
    "Fiber 500", "Fiber 1000", "Mobile Plan S", "Mobile Plan L", "TV Basic", "TV Plus",
    "Router X2", "Smart Home Hub", "Home Phone", "Streaming Box",
]  # fmt: skip
TOPICS = [
    "Internet drops every evening", "Bill higher than expected", "Cannot log in to the app",
    "Router lights blinking red", "Request to change plan", "Charged twice this month",
    "TV channels missing", "Slow speed upstairs", "Moving house next month",
    "Complaint about the technician visit", "Password reset does not arrive",
    "Question about the contract end date",
]  # fmt: skip
REPLIES = [
    "Thanks, we are looking into it.", "Could you restart the device and tell us the result?",
    "It works again, thank you.", "Still the same problem here.",
    "A technician is booked for Tuesday.", "The credit will show on the next bill.",
    "Please send a photo of the error.", "Done, here it is.",
]  # fmt: skip
NOTES = [
    "Checked line metrics: noise on port 4.", "Escalated to billing tier 2.",
    "Known outage in the area, ticket NET-4411.", "Customer called twice about this.",
]  # fmt: skip
LANGUAGES = ["en", "en", "en", "es", "fr", "de", "pt"]
STATE_WEIGHTS = {
    CaseState.NEW: 10,
    CaseState.OPEN: 25,
    CaseState.AWAITING_INFO: 10,
    CaseState.RESOLVED: 10,
    CaseState.CLOSED: 35,
    CaseState.CANCELLED: 10,
}
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (25, 30, 20, 14, 7, 4)
MEMBER_RELATIONSHIPS = [
    Relationship.SPOUSE, Relationship.PARTNER, Relationship.CHILD, Relationship.CHILD,
    Relationship.DEPENDENT, Relationship.OTHER,
]  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    counts: dict[str, int]
    logins: list[DemoLogin]


Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


class _Ids:
    """Primary keys handed out here, after the table's current maximum, so
    related rows can name each other before anything is written."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    async def start(self, model: type[Model]) -> None:
        table = model._meta.db_table
        rows = await db.fetch(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608
        self.next[table] = int(rows[0][0]) + 1

    def take(self, model: type[Model]) -> int:
        table = model._meta.db_table
        value = self.next[table]
        self.next[table] = value + 1
        return value


async def _insert(model: type[M], rows: Sequence[M], progress: Progress) -> None:
    name = model._meta.db_table
    for start in range(0, len(rows), BATCH):
        await model.bulk_create(list(rows[start : start + BATCH]), batch_size=BATCH)
        progress(f"{name}: {min(start + BATCH, len(rows))}/{len(rows)}")


async def _numbers(prefix: str, count: int) -> list[str]:
    if count == 0:
        return []
    return [format_number(prefix, n) for n in await take(prefix, count)]


async def _fix_sequences(models: Sequence[type[Model]]) -> None:
    """PostgreSQL: ids were given explicitly, so move each serial past them."""
    if not db.is_postgres(get_settings()):
        return
    for model in models:
        table = model._meta.db_table
        await db.fetch(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'GREATEST((SELECT MAX(id) FROM "{table}"), 1))'
        )


async def generate(
    consumers: int = 10_000,
    *,
    seed: int = 1,
    password: str = DEMO_PASSWORD,
    progress: Progress = _quiet,
) -> DemoResult:
    """Write the demo data set for `consumers` consumers (at least 20)."""
    n = max(consumers, 20)
    rng = random.Random(seed)
    now = clock.now().replace(microsecond=0)
    today = now.date()
    password_hash = await passwords.hash_password(password)
    ids = _Ids()
    all_models: list[type[Model]] = [
        User, Team, Consumer, Household, HouseholdMember, Representation, SoldProduct,
        Case, CaseComment, CaseAttachment, CaseActivity,
    ]  # fmt: skip
    for model in all_models:
        await ids.start(model)

    def ago(days_max: float, days_min: float = 0.0) -> dt.datetime:
        return now - dt.timedelta(seconds=int(rng.uniform(days_min, days_max) * 86400))

    # --- staff: teams, agents, managers, administrators -----------------------
    roles = {r.name: r for r in await Role.all()}
    team_names = ["Billing", "Technical", "Retention", "Field Service", "Escalations"]
    team_names += [f"Regional {i}" for i in range(1, max(0, n // 2000 - 4) + 1)]
    teams = [Team(id=ids.take(Team), name=name, created_at=ago(900, 700)) for name in team_names]
    staff: list[User] = []
    staff_roles: list[tuple[User, list[str], list[Team]]] = []

    def staff_user(email: str, first: str, last: str, title: str) -> User:
        user = User(
            id=ids.take(User),
            email=email,
            first_name=first,
            last_name=last,
            password_hash=password_hash,
            user_type=UserType.INTERNAL,
            email_verified=True,
            department="Customer Service",
            title=title,
            employee_id=f"E{len(staff) + 1:05d}",
            created_at=ago(900, 600),
        )
        staff.append(user)
        return user

    admin = staff_user(ADMIN_EMAIL, "Ada", "Admin", "Administrator")
    staff_roles.append((admin, [RoleName.ADMIN], []))
    managers = []
    for i, team in enumerate(teams):
        manager = staff_user(
            f"manager{i + 1}@demo.example.com",
            rng.choice(FIRST),
            rng.choice(LAST),
            "Team lead",
        )
        managers.append(manager)
        staff_roles.append((manager, [RoleName.MANAGER], [team]))
    agents: list[tuple[User, Team]] = []
    for i in range(max(5, n // 250)):
        team = teams[i % len(teams)]
        email = AGENT_EMAIL if i == 0 else f"agent{i + 1}@demo.example.com"
        agent = staff_user(email, rng.choice(FIRST), rng.choice(LAST), "Agent")
        agent.manager_id = managers[i % len(teams)].id
        agents.append((agent, team))
        staff_roles.append((agent, [RoleName.AGENT], [team]))
    demo_agent = agents[0][0]

    # --- consumers, some with logins ------------------------------------------
    numbers = await _numbers("CON", n)
    people: list[Consumer] = []
    logins: list[User] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, region, zip_prefix = rng.choice(CITIES)
        has_login = rng.random() < 0.2
        email = f"{first}.{last}.{i + 1}@example.net".lower()
        consumer = Consumer(
            id=ids.take(Consumer),
            number=numbers[i],
            external_id=f"crm-{i + 1}" if rng.random() < 0.6 else None,
            prefix=rng.choice(["", "", "", "Mr", "Ms", "Dr"]),
            first_name=first,
            middle_name=rng.choice(["", "", "", "J", "Marie", "Lee"]),
            last_name=last,
            suffix=rng.choice(["", "", "", "", "", "Jr", "III"]),
            email=email,
            phone=f"+1{rng.choice(['415', '512', '208', '918'])}{rng.randrange(2000000, 9999999)}",
            mobile_phone=f"+1{rng.choice(['650', '737'])}{rng.randrange(2000000, 9999999)}"
            if rng.random() < 0.7
            else "",
            address_line1=f"{rng.randrange(1, 999)} {rng.choice(STREETS)}",
            address_line2=f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else "",
            city=city,
            region=region,
            postal_code=f"{zip_prefix}{rng.randrange(10, 99)}",
            country="US",
            date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 65)),
            preferred_language=rng.choice(LANGUAGES),
            notify_email=rng.random() < 0.85,
            notify_sms=rng.random() < 0.3,
            sla_level=rng.choices(list(SlaLevel), weights=(60, 25, 12, 3))[0],
            last_survey_at=ago(300) if rng.random() < 0.3 else None,
            twitter_handle=f"@{first.lower()}{i + 1}" if rng.random() < 0.1 else "",
            facebook_url=f"https://facebook.com/{first.lower()}.{i + 1}"
            if rng.random() < 0.1
            else "",
            linkedin_url=f"https://linkedin.com/in/{first.lower()}-{i + 1}"
            if rng.random() < 0.05
            else "",
            personal_email=f"{first.lower()}{i + 1}@mail.example.org" if rng.random() < 0.1 else "",
            is_active=rng.random() < 0.98,
            created_at=ago(1000, 200),
        )
        if has_login:
            user = User(
                id=ids.take(User),
                email=email,
                first_name=first,
                last_name=last,
                password_hash=password_hash,
                user_type=UserType.EXTERNAL,
                email_verified=True,
                phone=consumer.phone,
                created_at=consumer.created_at,
            )
            consumer.user_id = user.id
            logins.append(user)
        people.append(consumer)

    # --- households, with heads and past members ------------------------------
    hh_numbers: list[str] = []
    households: list[Household] = []
    memberships: list[HouseholdMember] = []
    current_household: dict[int, int] = {}
    cursor = 0
    target = max(2, round(n * 0.3))
    plan: list[int] = []
    while len(plan) < target:
        plan.append(rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_WEIGHTS)[0])
    # The largest households come first, so the demo head has a full one.
    plan.sort(key=lambda size: -size if size >= 4 else 0)
    hh_numbers = await _numbers("HOLD", len(plan))
    for index, size in enumerate(plan):
        if cursor + size > n:
            break
        members = people[cursor : cursor + size]
        cursor += size
        head = members[0]
        city, region, _ = rng.choice(CITIES)
        household = Household(
            id=ids.take(Household),
            number=hh_numbers[index],
            name=f"{head.last_name} household",
            address_line1=head.address_line1,
            city=head.city,
            region=head.region,
            postal_code=head.postal_code,
            country="US",
            notes="Prefers contact after 6pm." if rng.random() < 0.1 else "",
            created_at=head.created_at,
        )
        households.append(household)
        started = today - dt.timedelta(days=rng.randrange(30, 2000))
        for position, member in enumerate(members):
            memberships.append(
                HouseholdMember(
                    id=ids.take(HouseholdMember),
                    household_id=household.id,
                    consumer_id=member.id,
                    relationship=Relationship.HEAD
                    if position == 0
                    else rng.choice(MEMBER_RELATIONSHIPS),
                    is_head=position == 0 or (size >= 4 and position == 1 and rng.random() < 0.3),
                    is_primary=True,
                    start_date=started,
                )
            )
            current_household[member.id] = household.id
    # Past members: consumers without a household now, who once belonged to one.
    loose = people[cursor:]
    for consumer in loose[: len(loose) // 3]:
        if not households:
            break
        household = rng.choice(households)
        start = today - dt.timedelta(days=rng.randrange(400, 2000))
        memberships.append(
            HouseholdMember(
                id=ids.take(HouseholdMember),
                household_id=household.id,
                consumer_id=consumer.id,
                relationship=rng.choice(MEMBER_RELATIONSHIPS),
                is_head=False,
                is_primary=False,
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randrange(30, 360)),
            )
        )

    # The demo consumer: head of the first (largest) household, with a login.
    demo_head = people[0]
    if demo_head.user_id is None:
        user = User(
            id=ids.take(User),
            email=HEAD_EMAIL,
            first_name=demo_head.first_name,
            last_name=demo_head.last_name,
            password_hash=password_hash,
            user_type=UserType.EXTERNAL,
            email_verified=True,
            created_at=demo_head.created_at,
        )
        logins.append(user)
        demo_head.user_id = user.id
    else:
        next(u for u in logins if u.id == demo_head.user_id).email = HEAD_EMAIL
    demo_head.email = HEAD_EMAIL

    # --- representatives --------------------------------------------------------
    representations: list[Representation] = []
    pairs: set[tuple[int, int]] = set()
    candidates = [(people[0], loose[-1] if loose else people[-1])]
    for _ in range(max(1, n // 50)):
        candidates.append((rng.choice(people), rng.choice(people)))
    for representative, represented in candidates:
        if representative.id == represented.id or (representative.id, represented.id) in pairs:
            continue
        pairs.add((representative.id, represented.id))
        valid_from = today - dt.timedelta(days=rng.randrange(10, 700))
        ending = rng.random()
        valid_until = (
            None
            if ending < 0.6 or representative is people[0]
            else today + dt.timedelta(days=rng.randrange(1, 365))
            if ending < 0.85
            else today - dt.timedelta(days=rng.randrange(1, 9))
        )
        representations.append(
            Representation(
                id=ids.take(Representation),
                representative_id=representative.id,
                consumer_id=represented.id,
                valid_from=valid_from,
                valid_until=valid_until,
                created_by_id=admin.id,
                created_at=ago(700),
            )
        )
    # RELATED PARTIES: when `access/` ships related parties (cases and sold
    # products linked to consumers or users with a relationship type and a
    # responsibility), generate them here, after cases and sold products.

    # --- sold products ------------------------------------------------------------
    products: list[SoldProduct] = []
    products_of: dict[int, list[int]] = {}
    for consumer in people:
        for _ in range(rng.choices((0, 1, 2, 3), weights=(20, 40, 25, 15))[0]):
            product = SoldProduct(
                id=ids.take(SoldProduct),
                name=rng.choice(PRODUCTS),
                serial_number=f"SN{rng.getrandbits(40):010X}",
                owner_id=consumer.id,
                household_id=current_household.get(consumer.id),
                created_at=ago(900, 30),
            )
            products.append(product)
            products_of.setdefault(consumer.id, []).append(product.id)

    # --- cases, comments, attachments, activity -------------------------------
    per_consumer = [
        rng.choices((0, 1, 2, 3, 5, 8, 12), (5, 10, 15, 20, 20, 18, 12))[0] for _ in people
    ]
    per_consumer[0] = max(per_consumer[0], 8)
    case_numbers = await _numbers("CS", sum(per_consumer))
    cases: list[Case] = []
    comments: list[CaseComment] = []
    attachments: list[CaseAttachment] = []
    activity: list[CaseActivity] = []
    files: list[tuple[str, bytes]] = []
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())

    def build_case(consumer: Consumer) -> None:
        state = rng.choices(states, weights)[0]
        created = ago(365, 1)
        agent, team = rng.choice(agents)
        if consumer is demo_head and len(cases) % 3 == 0:
            agent, team = demo_agent, agents[0][1]
        by_consumer = consumer.user_id is not None and rng.random() < 0.6
        opener = consumer.user_id if by_consumer else agent.id
        case = Case(
            id=ids.take(Case),
            number=case_numbers[len(cases)],
            short_description=rng.choice(TOPICS),
            description=" ".join(rng.sample(REPLIES, 3)),
            state=state,
            priority=rng.choices((1, 2, 3, 4), (5, 15, 40, 40))[0],
            category=rng.choice(list(CaseCategory)),
            channel=CaseChannel.WEB if by_consumer else rng.choice(list(CaseChannel)),
            consumer_id=consumer.id,
            household_id=current_household.get(consumer.id),
            opened_by_id=opener,
            assigned_to_id=None if state is CaseState.NEW else agent.id,
            assignment_team_id=team.id,
            sold_product_id=rng.choice(products_of[consumer.id])
            if consumer.id in products_of and rng.random() < 0.5
            else None,
            created_at=created,
            response_due_at=created + dt.timedelta(hours=8),
            resolution_due_at=created + dt.timedelta(days=3),
            version=1,
        )
        cases.append(case)
        moment = created

        def step(hours: float) -> dt.datetime:
            nonlocal moment
            moment = min(now, moment + dt.timedelta(minutes=int(rng.uniform(5, hours * 60))))
            return moment

        def act(kind: ActivityKind, actor: int | None, **extra: Any) -> None:
            activity.append(
                CaseActivity(
                    id=ids.take(CaseActivity),
                    case_id=case.id,
                    kind=kind,
                    actor_id=actor,
                    created_at=moment,
                    **extra,
                )
            )

        act(ActivityKind.CREATED, opener)
        if state is CaseState.NEW:
            case.updated_at = moment
            return
        step(4)
        act(
            ActivityKind.ASSIGNED,
            agent.id,
            internal=True,
            field="assignedTo",
            new_value=agent.email,
        )
        act(
            ActivityKind.STATE_CHANGED,
            agent.id,
            field="state",
            old_value="NEW",
            new_value="OPEN",
        )
        case.first_response_at = moment
        for _ in range(rng.choices((0, 1, 2, 3, 4), (15, 30, 30, 15, 10))[0]):
            public = rng.random() < 0.75
            from_consumer = public and consumer.user_id is not None and rng.random() < 0.5
            author = consumer.user_id if from_consumer else agent.id
            comments.append(
                CaseComment(
                    id=ids.take(CaseComment),
                    case_id=case.id,
                    body=rng.choice(REPLIES if public else NOTES),
                    work_note=not public,
                    author_id=author,
                    created_at=step(30),
                )
            )
            act(
                ActivityKind.COMMENTED if public else ActivityKind.WORK_NOTE_ADDED,
                author,
                internal=not public,
            )
        if rng.random() < 0.15:
            key = f"{rng.getrandbits(128):032x}"
            body = f"Case {case.number}: {rng.choice(TOPICS)}\n".encode()
            attachments.append(
                CaseAttachment(
                    id=ids.take(CaseAttachment),
                    case_id=case.id,
                    file_name=rng.choice(["photo-notes.txt", "error.txt", "readings.txt"]),
                    content_type="text/plain",
                    size=len(body),
                    sha256=hashlib.sha256(body).hexdigest(),
                    storage_key=key,
                    uploaded_by_id=opener,
                    created_at=step(10),
                )
            )
            files.append((key, body))
            act(ActivityKind.ATTACHMENT_ADDED, opener, new_value=attachments[-1].file_name)
        path = {
            CaseState.OPEN: [],
            CaseState.AWAITING_INFO: ["AWAITING_INFO"],
            CaseState.RESOLVED: ["RESOLVED"],
            CaseState.CLOSED: ["RESOLVED", "CLOSED"],
            CaseState.CANCELLED: ["CANCELLED"],
        }[state]
        old = "OPEN"
        for new in path:
            step(48)
            act(
                ActivityKind.STATE_CHANGED,
                agent.id,
                field="state",
                old_value=old,
                new_value=new,
            )
            old = new
            if new == "RESOLVED":
                case.resolution_code = rng.choice(["FIXED", "CREDITED", "EXPLAINED"])
                case.resolution_notes = rng.choice(REPLIES)
                case.resolved_at = moment
            if new in ("CLOSED", "CANCELLED"):
                case.closed_at = moment
        case.updated_at = moment
        case.version = 1 + len(path) + 1

    for consumer, count in zip(people, per_consumer, strict=True):
        for _ in range(count):
            build_case(consumer)

    # --- write ----------------------------------------------------------------------
    progress(f"writing {n} consumers, {len(households)} households, {len(cases)} cases")
    async with unit_of_work():
        await _write_rows(
            progress, teams, staff, logins, staff_roles, roles, people, households,
            memberships, representations, products, cases, comments, attachments, activity,
        )  # fmt: skip
    await _fix_sequences(all_models)
    # Fresh planner statistics: without them a bulk-loaded table looks empty or
    # uniform, and "newest first" over a viewer's grants walks the whole table.
    await db.fetch("ANALYZE")
    _write_files(files)
    progress("done")
    counts = {
        "users": len(staff) + len(logins),
        "teams": len(teams),
        "consumers": len(people),
        "households": len(households),
        "household_members": len(memberships),
        "representations": len(representations),
        "sold_products": len(products),
        "cases": len(cases),
        "comments": len(comments),
        "attachments": len(attachments),
        "activity": len(activity),
    }
    return DemoResult(
        counts=counts,
        logins=[
            DemoLogin("consumer (head of household)", HEAD_EMAIL, password),
            DemoLogin("agent", AGENT_EMAIL, password),
            DemoLogin("admin", ADMIN_EMAIL, password),
        ],
    )


async def _write_rows(
    progress: Progress,
    teams: list[Team],
    staff: list[User],
    logins: list[User],
    staff_roles: list[tuple[User, list[str], list[Team]]],
    roles: dict[str, Role],
    people: list[Consumer],
    households: list[Household],
    memberships: list[HouseholdMember],
    representations: list[Representation],
    products: list[SoldProduct],
    cases: list[Case],
    comments: list[CaseComment],
    attachments: list[CaseAttachment],
    activity: list[CaseActivity],
) -> None:
    await _insert(Team, teams, progress)
    await _insert(User, staff, progress)
    await _insert(User, logins, progress)
    for user, names, member_of in staff_roles:
        # bulk_create does not mark instances as saved; related managers need it.
        user._saved_in_db = True
        for team in member_of:
            team._saved_in_db = True
        await user.roles.add(*[roles[name] for name in names])
        if member_of:
            await user.teams.add(*member_of)
    await _insert(Consumer, people, progress)
    await _insert(Household, households, progress)
    await _insert(HouseholdMember, memberships, progress)
    await _insert(Representation, representations, progress)
    await _insert(SoldProduct, products, progress)
    await _insert(Case, cases, progress)
    await _insert(CaseComment, comments, progress)
    await _insert(CaseAttachment, attachments, progress)
    await _insert(CaseActivity, activity, progress)


def _write_files(files: list[tuple[str, bytes]]) -> None:
    """The attachments' bytes, where downloads look for them."""
    from csm_graph import storage

    for key, body in files:
        path: Path = storage.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
