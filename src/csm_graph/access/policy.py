"""Who may see which object, and who may grant access: one rule per type.

Field rules (`schema/policy.py`) say which fields of a visible object a
viewer reads; the rules here say whether the viewer sees the object at all.
`node(id:)`, every field that returns an object or a list of them, mutation
payloads, subscription events and the services that take ids all ask here,
so an object reached by traversal is never one that a fetch by id refuses,
and an object the viewer may not see is answered exactly like one that does
not exist (`null`, or `NOT_FOUND` in a mutation).

A rule takes a batch of rows of one model (a page) and answers for each.
Most answer from the viewer's `Subject` alone; a few also accept an object
because it belongs to a case the viewer may read (the consumer a case is
about, its sold product, the people who worked on it), which costs one
query for the rows the subject alone does not settle.

The second half says who may give access to others (related parties) and
to whom: nobody grants themselves, and the consumer side grants only within
its own circle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from tortoise.expressions import Q, Subquery
from tortoise.models import Model

from csm_graph.access.engine import (
    CaseAction,
    GrantKind,
    Subject,
    case_filter,
    grants,
    internal_work_filter,
    permitted,
)
from csm_graph.access.models import (
    Department,
    RelatedParty,
    RelationshipType,
    Responsibility,
)
from csm_graph.accounts.models import ApiToken, Team, User, UserType
from csm_graph.audit.models import AuditEvent
from csm_graph.cases.models import FINAL_STATES, Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.consumers.models import Consumer, ImportJob
from csm_graph.delegations.models import Delegation
from csm_graph.errors import ErrorCode, UserErrors
from csm_graph.exports.models import DataExport
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.mailin.models import InboundEmail
from csm_graph.privacy.models import ErasureRequest
from csm_graph.products.models import SoldProduct
from csm_graph.sla.models import SlaSchedule, SlaTarget
from csm_graph.surveys.models import Survey
from csm_graph.webhooks.models import WebhookDelivery, WebhookEndpoint

M = TypeVar("M", bound=Model)
ObjectRule = Callable[[Subject | None, Sequence[Any]], Awaitable[list[bool]]]

RULES: dict[type[Model], ObjectRule] = {}
"""The rule of each model that the API shows as an object."""

CONSUMER_SIDE_GRANTS = frozenset(
    {GrantKind.CONSUMER, GrantKind.REPRESENTATIVE, GrantKind.HEAD_OF_HOUSEHOLD}
)
"""Grants that make a viewer the case's consumer or someone acting for them."""


def rule(model: type[M]) -> Callable[[ObjectRule], ObjectRule]:
    def register(fn: ObjectRule) -> ObjectRule:
        RULES[model] = fn
        return fn

    return register


async def visible(subject: Subject | None, rows: Sequence[M]) -> list[bool]:
    """For each row (all of one model), whether the subject may see it."""
    if not rows:
        return []
    return await RULES[type(rows[0])](subject, rows)


async def can_see(subject: Subject | None, row: Model | None) -> bool:
    return row is not None and (await visible(subject, [row]))[0]


async def require_visible(subject: Subject | None, row: M | None, field: str, what: str) -> M:
    """`row` when the subject may see it; else the NOT_FOUND a missing one gets."""
    if row is None or not await can_see(subject, row):
        raise UserErrors.one(field, f"No such {what}.", ErrorCode.NOT_FOUND)
    return row


def _each(rows: Sequence[Any], value: bool) -> list[bool]:
    return [value] * len(rows)


def _readable_case_ids(subject: Subject) -> Subquery:
    return Subquery(Case.filter(case_filter(subject)).values("id"))


async def _linked(
    rows: Sequence[Any], known: list[bool], linked: Callable[[list[int]], Awaitable[set[int]]]
) -> list[bool]:
    """`known`, completed by `linked(ids)` for the rows it leaves undecided."""
    rest = [r.id for r, ok in zip(rows, known, strict=True) if not ok]
    if not rest:
        return known
    found = await linked(rest)
    return [ok or r.id in found for r, ok in zip(rows, known, strict=True)]


def _in_readable_cases(subject: Subject, column: str) -> Callable[[list[int]], Awaitable[set[int]]]:
    """For `_linked`: which of the ids stand in `column` of a case the subject reads."""

    async def found(ids: list[int]) -> set[int]:
        values: list[Any] = await (
            Case.filter(case_filter(subject), **{f"{column}__in": ids})
            .distinct()
            .values_list(column, flat=True)
        )
        return {int(i) for i in values}

    return found


async def _cases_of(rows: Sequence[Any]) -> dict[int, Case]:
    ids = sorted({r.case_id for r in rows if r.case_id is not None})
    return {c.id: c for c in await Case.filter(id__in=ids)} if ids else {}


# --- people -------------------------------------------------------------------------


@rule(Consumer)
async def consumers(subject: Subject | None, rows: Sequence[Consumer]) -> list[bool]:
    """Internal users; the consumer; those who act for them (representatives and
    heads of their households); the consumers they are represented by; and
    readers of a case about them (a household member sees whose case it is).

    Nobody sees a merged record (a tombstone) as an object: `node(id:)` answers
    its survivor instead, and services that take its id refuse it."""
    if subject is None:
        return _each(rows, False)
    live = [c.merged_into_id is None for c in rows]
    if subject.viewer.is_internal:
        return live
    reach = subject.reach
    circle = reach.acts_for | reach.representatives
    about = subject.seen.consumers
    known = [
        c.user_id == subject.viewer.user_id
        or c.id == reach.consumer_id
        or c.id in circle
        or c.id in about
        for c in rows
    ]
    seen = await _linked(rows, known, _in_readable_cases(subject, "consumer_id"))
    return [ok and alive for ok, alive in zip(seen, live, strict=True)]


@rule(User)
async def users(subject: Subject | None, rows: Sequence[User]) -> list[bool]:
    """Administrators; the user; internal users among themselves; and the people
    a readable case shows: its opener, its assignee, the authors of its
    comments and the actors of its activity that the viewer reads."""
    if subject is None:
        return _each(rows, False)
    viewer = subject.viewer
    if viewer.is_admin:
        return _each(rows, True)
    shown = subject.seen.users
    known = [
        u.id == viewer.user_id
        or (viewer.is_internal and u.user_type is UserType.INTERNAL)
        or u.id in shown
        for u in rows
    ]

    async def on_readable_cases(ids: list[int]) -> set[int]:
        cases: list[Any] = await Case.filter(
            case_filter(subject), Q(assigned_to_id__in=ids) | Q(opened_by_id__in=ids)
        ).values_list("assigned_to_id", "opened_by_id")
        found = {int(u) for pair in cases for u in pair if u is not None} & set(ids)
        rest = [i for i in ids if i not in found]
        for model, column, hidden in (
            (CaseComment, "author_id", "work_note"),
            (CaseActivity, "actor_id", "internal"),
        ):
            if not rest:
                break
            query = model.filter(**{f"{column}__in": rest}, case_id__in=_readable_case_ids(subject))
            if not viewer.is_internal:
                query = query.filter(**{hidden: False})
            authors: list[Any] = await query.distinct().values_list(column, flat=True)
            found |= {int(a) for a in authors}
            rest = [i for i in rest if i not in found]
        return found

    return await _linked(rows, known, on_readable_cases)


@rule(Team)
async def teams(subject: Subject | None, rows: Sequence[Team]) -> list[bool]:
    """Internal users (a team's members are staff, not shown to consumers)."""
    return _each(rows, subject is not None and subject.viewer.is_internal)


@rule(ApiToken)
async def api_tokens(subject: Subject | None, rows: Sequence[ApiToken]) -> list[bool]:
    """Administrators, and the token's owner (never its secret: only its hash is kept)."""
    if subject is None:
        return _each(rows, False)
    viewer = subject.viewer
    return [viewer.is_admin or row.user_id == viewer.user_id for row in rows]


@rule(Department)
async def departments(subject: Subject | None, rows: Sequence[Department]) -> list[bool]:
    """Internal users, as teams (the organisation's own structure)."""
    return _each(rows, subject is not None and subject.viewer.is_internal)


# --- households ---------------------------------------------------------------------


@rule(Household)
async def households(subject: Subject | None, rows: Sequence[Household]) -> list[bool]:
    """Internal users, current members, and representatives of a current member."""
    if subject is None:
        return _each(rows, False)
    if subject.viewer.is_internal:
        return _each(rows, True)
    reach = subject.reach
    mine = reach.household_ids | reach.represented_household_ids
    return [h.id in mine for h in rows]


@rule(HouseholdMember)
async def memberships(subject: Subject | None, rows: Sequence[HouseholdMember]) -> list[bool]:
    """Internal users, the household's current heads, and the member."""
    if subject is None:
        return _each(rows, False)
    if subject.viewer.is_internal:
        return _each(rows, True)
    reach = subject.reach
    return [
        m.household_id in reach.headed_household_ids or m.consumer_id == reach.consumer_id
        for m in rows
    ]


@rule(Representation)
async def representations(subject: Subject | None, rows: Sequence[Representation]) -> list[bool]:
    """Internal users, both consumers, and those who act for either."""
    if subject is None:
        return _each(rows, False)
    if subject.viewer.is_internal:
        return _each(rows, True)
    reach = subject.reach
    return [
        bool({r.consumer_id, r.representative_id} & (reach.acts_for | {reach.consumer_id}))
        for r in rows
    ]


@rule(Delegation)
async def delegations(subject: Subject | None, rows: Sequence[Delegation]) -> list[bool]:
    """Internal users, the consumer who gave it and the delegate who holds it."""
    if subject is None:
        return _each(rows, False)
    if subject.viewer.is_internal:
        return _each(rows, True)
    me = subject.consumer_id
    return [me is not None and me in {d.consumer_id, d.delegate_id} for d in rows]


# --- products and parties ---------------------------------------------------------------


def product_known(subject: Subject, product: SoldProduct) -> bool:
    """What the subject alone says: internal users, the owner, those who act for
    the owner, members of its household, and its related parties."""
    if subject.viewer.is_internal:
        return True
    reach = subject.reach
    return (
        product.owner_id == reach.consumer_id
        or product.owner_id in reach.acts_for
        or (product.household_id is not None and product.household_id in reach.household_ids)
        or bool(subject.parties_on_product(product.id))
    )


@rule(SoldProduct)
async def sold_products(subject: Subject | None, rows: Sequence[SoldProduct]) -> list[bool]:
    """`product_known`, and readers of a case about the product."""
    if subject is None:
        return _each(rows, False)
    known = [product_known(subject, p) for p in rows]
    return await _linked(rows, known, _in_readable_cases(subject, "sold_product_id"))


def own_party(subject: Subject, party: RelatedParty) -> bool:
    """Whether the party row gives access to the subject themselves."""
    return party.user_id == subject.viewer.user_id or (
        party.consumer_id is not None and party.consumer_id == subject.consumer_id
    )


async def holds_party(subject: Subject, party: RelatedParty) -> bool:
    """Whether the party row gives the subject access in any way: themselves, a
    team they are a member of, or their department (whatever its responsibility).
    Administrators hold every case already: for them only their own row counts."""
    if own_party(subject, party) or subject.viewer.is_admin:
        return own_party(subject, party)
    if party.team_id is not None:
        return subject.viewer.is_internal and party.team_id in subject.viewer.team_ids
    if party.department_id is None or not subject.department:
        return False
    return await Department.filter(id=party.department_id, key=subject.department).exists()


def sees_case_parties(subject: Subject, case: Case) -> bool:
    """Who sees every related party of a readable case: internal users who read it,
    those who may manage its parties, and its consumer side (the consumer and
    those acting for them). Household members and other parties see their own row."""
    found = grants(subject, case)
    actions = frozenset().union(*(g.actions for g in found))
    if CaseAction.READ not in actions:
        return False
    return (
        subject.viewer.is_internal
        or CaseAction.MANAGE_RELATED_PARTIES in actions
        or any(g.kind in CONSUMER_SIDE_GRANTS for g in found)
    )


def sees_product_parties(subject: Subject, product: SoldProduct) -> bool:
    """Internal users, the owner and those acting for them, and its managers."""
    reach = subject.reach
    return (
        subject.viewer.is_internal
        or product.owner_id == reach.consumer_id
        or product.owner_id in reach.acts_for
        or any(p.manages_product for p in subject.parties_on_product(product.id))
    )


@rule(RelatedParty)
async def related_parties(subject: Subject | None, rows: Sequence[RelatedParty]) -> list[bool]:
    """A party of a readable case or visible product, to those who see all its
    parties (`sees_case_parties`, `sees_product_parties`) and to the party itself."""
    if subject is None:
        return _each(rows, False)
    cases = await _cases_of(rows)
    product_ids = sorted({r.sold_product_id for r in rows if r.sold_product_id is not None})
    products = (
        {p.id: p for p in await SoldProduct.filter(id__in=product_ids)} if product_ids else {}
    )
    seen = dict(zip(products, await sold_products(subject, list(products.values())), strict=True))
    out = []
    for party in rows:
        if party.case_id is not None:
            case = cases.get(party.case_id)
            reads = case is not None and CaseAction.READ in permitted(subject, case)
            out.append(
                reads
                and case is not None
                and (own_party(subject, party) or sees_case_parties(subject, case))
            )
        else:
            product = products.get(party.sold_product_id or 0)
            out.append(
                product is not None
                and seen[product.id]
                and (own_party(subject, party) or sees_product_parties(subject, product))
            )
    return out


@rule(Responsibility)
async def responsibilities(subject: Subject | None, rows: Sequence[Responsibility]) -> list[bool]:
    """Anyone logged in: the access configuration is public to users."""
    return _each(rows, subject is not None)


@rule(RelationshipType)
async def relationship_types(
    subject: Subject | None, rows: Sequence[RelationshipType]
) -> list[bool]:
    """Anyone logged in."""
    return _each(rows, subject is not None)


# --- cases and what hangs off them ---------------------------------------------------------


@rule(Case)
async def cases(subject: Subject | None, rows: Sequence[Case]) -> list[bool]:
    """The access engine decides (READ). A readable case is remembered for the
    request with the consumer and the people it shows (`Seen`), so the rules
    below answer for them without a query."""
    if subject is None:
        return _each(rows, False)
    return [_readable(subject, c) for c in rows]


def _readable(subject: Subject, case: Case) -> bool:
    """Whether the subject reads the case; if so, remembered with what it shows."""
    if CaseAction.READ not in permitted(subject, case):
        return False
    seen = subject.seen
    seen.readable_cases.add(case.id)
    seen.consumers.add(case.consumer_id)
    seen.users.update(u for u in (case.opened_by_id, case.assigned_to_id) if u is not None)
    return True


async def _on_readable_case(
    subject: Subject | None,
    rows: Sequence[Any],
    internal_only: Callable[[Any], bool],
    person: Callable[[Any], int | None] = lambda row: None,
) -> list[bool]:
    """Rows of readable cases; those `internal_only` marks, for internal users only.
    Cases this request already found readable are not read again; the `person`
    a visible row shows (its author, its actor) is remembered (`Seen`)."""
    if subject is None:
        return _each(rows, False)
    seen = subject.seen
    unknown = [r for r in rows if r.case_id not in seen.readable_cases]
    cases = await _cases_of(unknown) if unknown else {}
    out = []
    for row in rows:
        case = cases.get(row.case_id)
        readable = row.case_id in seen.readable_cases or (
            case is not None and _readable(subject, case)
        )
        ok = readable and (subject.viewer.is_internal or not internal_only(row))
        if ok and (who := person(row)) is not None:
            seen.users.add(who)
        out.append(ok)
    return out


@rule(CaseComment)
async def comments(subject: Subject | None, rows: Sequence[CaseComment]) -> list[bool]:
    """Readers of the case; work notes to internal users only."""
    return await _on_readable_case(
        subject, rows, lambda c: bool(c.work_note), lambda c: c.author_id
    )


@rule(CaseActivity)
async def activities(subject: Subject | None, rows: Sequence[CaseActivity]) -> list[bool]:
    """Readers of the case; internal entries to internal users only."""
    return await _on_readable_case(subject, rows, lambda a: bool(a.internal), lambda a: a.actor_id)


@rule(CaseAttachment)
async def attachments(subject: Subject | None, rows: Sequence[CaseAttachment]) -> list[bool]:
    """Readers of the case."""
    return await _on_readable_case(subject, rows, lambda a: False)


@rule(Survey)
async def surveys(subject: Subject | None, rows: Sequence[Survey]) -> list[bool]:
    """Managers and administrators (ratings are team reports)."""
    return _each(rows, subject is not None and subject.viewer.is_manager)


@rule(SlaTarget)
async def sla_targets(subject: Subject | None, rows: Sequence[SlaTarget]) -> list[bool]:
    """Internal users (the targets are the service's own configuration)."""
    return _each(rows, subject is not None and subject.viewer.is_internal)


@rule(SlaSchedule)
async def sla_schedules(subject: Subject | None, rows: Sequence[SlaSchedule]) -> list[bool]:
    """Internal users (working hours are the service's own configuration)."""
    return _each(rows, subject is not None and subject.viewer.is_internal)


@rule(ImportJob)
async def import_jobs(subject: Subject | None, rows: Sequence[ImportJob]) -> list[bool]:
    """Administrators."""
    return _each(rows, subject is not None and subject.viewer.is_admin)


@rule(DataExport)
async def data_exports(subject: Subject | None, rows: Sequence[DataExport]) -> list[bool]:
    """Administrators, and the consumer's own login (as the consumer, or as who asked)."""
    if subject is None:
        return _each(rows, False)
    viewer = subject.viewer
    return [
        viewer.is_admin
        or e.requested_by_id == viewer.user_id
        or (subject.consumer_id is not None and e.consumer_id == subject.consumer_id)
        for e in rows
    ]


@rule(AuditEvent)
async def audit_events(subject: Subject | None, rows: Sequence[AuditEvent]) -> list[bool]:
    """Administrators."""
    return _each(rows, subject is not None and subject.viewer.is_admin)


@rule(ErasureRequest)
async def erasure_requests(subject: Subject | None, rows: Sequence[ErasureRequest]) -> list[bool]:
    """Administrators, and the login that asked for it (a consumer asking for themselves)."""
    if subject is None:
        return _each(rows, False)
    viewer = subject.viewer
    return [viewer.is_admin or r.requested_by_id == viewer.user_id for r in rows]


@rule(WebhookEndpoint)
async def webhook_endpoints(subject: Subject | None, rows: Sequence[WebhookEndpoint]) -> list[bool]:
    """Administrators."""
    return _each(rows, subject is not None and subject.viewer.is_admin)


@rule(WebhookDelivery)
async def webhook_deliveries(
    subject: Subject | None, rows: Sequence[WebhookDelivery]
) -> list[bool]:
    """Administrators."""
    return _each(rows, subject is not None and subject.viewer.is_admin)


@rule(InboundEmail)
async def inbound_emails(subject: Subject | None, rows: Sequence[InboundEmail]) -> list[bool]:
    """Administrators; other internal users when the message belongs to no case or to
    a case they read (the engine), so a message shows no more than its case would."""
    if subject is None or not subject.viewer.is_internal:
        return _each(rows, False)
    if subject.viewer.is_admin:
        return _each(rows, True)
    cases = await _cases_of(rows)
    return [
        r.case_id is None
        or (r.case_id in cases and CaseAction.READ in permitted(subject, cases[r.case_id]))
        for r in rows
    ]


# --- who may grant ---------------------------------------------------------------------------


def _refuse(field: str, message: str, code: ErrorCode = ErrorCode.FORBIDDEN) -> UserErrors:
    return UserErrors.one(field, message, code)


async def require_case_party_manager(subject: Subject, case: Case, field: str) -> None:
    """Administrators, the agents who work the case (its team, assignee and their
    manager), and parties whose responsibility manages related parties; never
    on a closed or cancelled case."""
    allowed = permitted(subject, case)
    if CaseAction.READ not in allowed:
        raise _refuse(field, "No such case.", ErrorCode.NOT_FOUND)
    if CaseAction.WORK not in allowed and CaseAction.MANAGE_RELATED_PARTIES not in allowed:
        raise _refuse(field, "You may not manage the related parties of this case.")
    require_open_case(case, field)


def require_open_case(case: Case, field: str) -> None:
    """Closed and cancelled cases are read-only, their related parties too."""
    if case.state in FINAL_STATES:
        raise _refuse(
            field,
            f"The case is {case.state.value}: its related parties no longer change.",
            ErrorCode.INVALID_STATE,
        )


async def works_consumer(subject: Subject, consumer_id: int) -> bool:
    """Whether an agent works some case of the consumer (team, assignment or report)."""
    condition = internal_work_filter(subject)
    if condition is None:
        return False
    return await Case.filter(condition, consumer_id=consumer_id).exists()


async def require_product_party_manager(
    subject: Subject, product: SoldProduct | None, field: str
) -> SoldProduct:
    """Administrators, agents who work a case of the product's owner, and
    parties of the product whose responsibility says MANAGE."""
    product = await require_visible(subject, product, field, "sold product")
    viewer = subject.viewer
    if viewer.is_admin or any(p.manages_product for p in subject.parties_on_product(product.id)):
        return product
    if viewer.is_internal and await works_consumer(subject, product.owner_id):
        return product
    raise _refuse(field, "You may not manage the related parties of this product.")


async def require_consumer_grantee(
    subject: Subject, consumer: Consumer | None, field: str
) -> Consumer:
    """A consumer the subject may relate to a case or product. Nobody grants
    themselves; the consumer side relates only those it acts for (members of
    households it heads, consumers it represents)."""
    consumer = await require_visible(subject, consumer, field, "consumer")
    if consumer.id == subject.consumer_id or consumer.user_id == subject.viewer.user_id:
        raise _refuse(field, "Nobody can give themselves access.")
    if not subject.viewer.is_internal and consumer.id not in subject.reach.acts_for:
        raise _refuse(
            field, "You may add only members of households you head and those you represent."
        )
    return consumer


async def require_team_grantee(subject: Subject, team: Team | None, field: str) -> Team:
    """A team internal users may relate; never one of the subject's own teams,
    for that would grant themselves (administrators hold every case already)."""
    team = await require_visible(subject, team, field, "team")
    viewer = subject.viewer
    if not viewer.is_admin and team.id in viewer.team_ids:
        raise _refuse(field, "Nobody can give themselves access: you are a member of this team.")
    return team


async def require_department_grantee(
    subject: Subject, department: Department | None, field: str
) -> Department:
    """A department internal users may relate; never their own (administrators
    hold every case already)."""
    department = await require_visible(subject, department, field, "department")
    if not subject.viewer.is_admin and subject.department == department.key:
        raise _refuse(field, "Nobody can give themselves access: this is your department.")
    return department


async def require_user_grantee(subject: Subject, user: User | None, field: str) -> User:
    """A login the subject may relate: internal users relate active users they can
    see, never themselves; the consumer side relates consumers, not logins."""
    user = await require_visible(subject, user if user and user.is_active else None, field, "user")
    if user.id == subject.viewer.user_id:
        raise _refuse(field, "Nobody can give themselves access.")
    if not subject.viewer.is_internal:
        raise _refuse(field, "Add a consumer of your household, not a login.")
    return user
