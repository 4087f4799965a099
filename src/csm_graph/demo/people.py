"""The people in the demo: staff who work the cases, and consumers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from csm_graph.accounts.models import RoleName, Team, User, UserType
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.demo.state import Demo, numbers
from csm_graph.demo.vocabulary import CITIES, FIRST, LANGUAGES, LAST, STREETS

HEAD_EMAIL = "demo.head@example.com"
AGENT_EMAIL = "demo.agent@example.com"
ADMIN_EMAIL = "demo.admin@example.com"
MANAGER_EMAIL = "demo.manager@example.com"
MEMBER_EMAIL = "demo.member@example.com"
REPRESENTATIVE_EMAIL = "demo.representative@example.com"
GUARANTOR_EMAIL = "demo.guarantor@example.com"


@dataclass
class Staff:
    """Teams and the internal users in them, with the roles each one gets."""

    teams: list[Team]
    users: list[User] = field(default_factory=list)
    roles: list[tuple[User, list[str], list[Team]]] = field(default_factory=list)
    """(user, role names, teams they belong to), granted once the rows exist."""
    agents: list[tuple[User, Team]] = field(default_factory=list)

    @property
    def admin(self) -> User:
        return self.users[0]

    @property
    def demo_agent(self) -> User:
        return self.agents[0][0]

    @property
    def demo_team(self) -> Team:
        """The demo agent's team, which the demo manager leads."""
        return self.agents[0][1]

    def hire(self, demo: Demo, email: str, first: str, last: str, title: str) -> User:
        user = User(
            id=demo.ids.take(User),
            email=email,
            first_name=first,
            last_name=last,
            password_hash=demo.password_hash,
            user_type=UserType.INTERNAL,
            email_verified=True,
            department="Customer Service",
            title=title,
            employee_id=f"E{len(self.users) + 1:05d}",
            created_at=demo.ago(900, 600),
        )
        self.users.append(user)
        return user


def build_staff(demo: Demo, n: int) -> Staff:
    """Five teams (one more per 2,000 consumers past 10,000), a lead for each
    and an agent per 250 consumers (at least five), spread over the teams.

    Cases need someone to be assigned to and a team to be routed to, and
    team and manager grants need real teams to show what a manager sees.
    The administrator, the first agent and their manager are demo logins.
    """
    rng = demo.rng
    team_names = ["Billing", "Technical", "Retention", "Field Service", "Escalations"]
    team_names += [f"Regional {i}" for i in range(1, max(0, n // 2000 - 4) + 1)]
    staff = Staff(
        teams=[
            Team(id=demo.ids.take(Team), name=name, created_at=demo.ago(900, 700))
            for name in team_names
        ]
    )
    admin = staff.hire(demo, ADMIN_EMAIL, "Ada", "Admin", "Administrator")
    staff.roles.append((admin, [RoleName.ADMIN], []))
    managers = []
    for i, team in enumerate(staff.teams):
        manager = staff.hire(
            demo,
            MANAGER_EMAIL if i == 0 else f"manager{i + 1}@demo.example.com",
            rng.choice(FIRST),
            rng.choice(LAST),
            "Team lead",
        )
        managers.append(manager)
        staff.roles.append((manager, [RoleName.MANAGER], [team]))
    for i in range(max(5, n // 250)):
        team = staff.teams[i % len(staff.teams)]
        email = AGENT_EMAIL if i == 0 else f"agent{i + 1}@demo.example.com"
        agent = staff.hire(demo, email, rng.choice(FIRST), rng.choice(LAST), "Agent")
        agent.manager_id = managers[i % len(staff.teams)].id
        staff.agents.append((agent, team))
        staff.roles.append((agent, [RoleName.AGENT], [team]))
    return staff


@dataclass
class People:
    """The consumers, and the external users of those who log in."""

    consumers: list[Consumer] = field(default_factory=list)
    logins: list[User] = field(default_factory=list)

    @property
    def demo_head(self) -> Consumer:
        """The first consumer: heads the largest household, and logs in."""
        return self.consumers[0]


async def build_consumers(demo: Demo, n: int) -> People:
    """`n` consumers with every field filled at realistic rates, a fifth of
    them with a login.

    Search, filters, duplicate checks and the consumer's own view all need
    fields that are sometimes empty and sometimes not; logins give the
    consumers' side of the API someone to act as.
    """
    people = People()
    for index, number in enumerate(await numbers("CON", n)):
        consumer, has_login = _consumer(demo, index, number)
        if has_login:
            user = _login(demo, consumer, consumer.email, phone=consumer.phone)
            consumer.user_id = user.id
            people.logins.append(user)
        people.consumers.append(consumer)
    return people


def _consumer(demo: Demo, i: int, number: str) -> tuple[Consumer, bool]:
    """The `i`th consumer (from 0), and whether they get a login. The draws
    happen in the order the fields are listed; keep it, or a seed gives
    other data."""
    rng = demo.rng
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, region, zip_prefix = rng.choice(CITIES)
    has_login = rng.random() < 0.2
    email = f"{first}.{last}.{i + 1}@example.net".lower()
    consumer = Consumer(
        id=demo.ids.take(Consumer),
        number=number,
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
        last_survey_at=demo.ago(300) if rng.random() < 0.3 else None,
        twitter_handle=f"@{first.lower()}{i + 1}" if rng.random() < 0.1 else "",
        facebook_url=f"https://facebook.com/{first.lower()}.{i + 1}" if rng.random() < 0.1 else "",
        linkedin_url=f"https://linkedin.com/in/{first.lower()}-{i + 1}"
        if rng.random() < 0.05
        else "",
        personal_email=f"{first.lower()}{i + 1}@mail.example.org" if rng.random() < 0.1 else "",
        is_active=rng.random() < 0.98,
        created_at=demo.ago(1000, 200),
    )
    return consumer, has_login


def _login(demo: Demo, consumer: Consumer, email: str, *, phone: str = "") -> User:
    """The external user a consumer logs in as, created when they were."""
    return User(
        id=demo.ids.take(User),
        email=email,
        first_name=consumer.first_name,
        last_name=consumer.last_name,
        password_hash=demo.password_hash,
        user_type=UserType.EXTERNAL,
        email_verified=True,
        phone=phone,
        created_at=consumer.created_at,
    )


def give_demo_head_login(demo: Demo, people: People) -> None:
    """The demo head logs in as HEAD_EMAIL, with the one demo password.

    The benchmarks, and anyone trying the API, log in as this consumer, who
    heads the largest household and represents another consumer: the
    fullest view a consumer can have.
    """
    give_login(demo, people, people.demo_head, HEAD_EMAIL)


def give_login(demo: Demo, people: People, consumer: Consumer, email: str) -> None:
    """`consumer` logs in as `email` (a demo login), with the one demo password:
    their login, if they have one, takes that email; else they get one. The
    consumer record's email follows, as the two-way sync would have it."""
    if consumer.user_id is None:
        user = _login(demo, consumer, email)
        people.logins.append(user)
        consumer.user_id = user.id
    else:
        next(u for u in people.logins if u.id == consumer.user_id).email = email
    consumer.email = email
