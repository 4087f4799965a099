"""Customer access management: responsibilities, relationship types, related
parties, and explaining who may do what with a case.

Responsibilities and their actions are data: the engine reads the viewer's
related parties with their responsibilities once per request, so a change
here applies on the next request, with no restart and no copied rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from csm_graph.access import policy
from csm_graph.access.engine import (
    CaseAction,
    Grant,
    Subject,
    available,
    grants,
    load_subject,
)
from csm_graph.access.models import (
    Department,
    ProductAction,
    RelatedParty,
    RelationshipType,
    Responsibility,
    department_key,
)
from csm_graph.accounts.models import Team, User
from csm_graph.accounts.viewer import Viewer, load_viewer
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import iso, record
from csm_graph.cases.models import Case
from csm_graph.consumers.models import Consumer
from csm_graph.core.partial import KEEP, Keep, Partial
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.products.models import SoldProduct
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text

A = CaseAction
RESPONSIBILITY_ACTIONS = frozenset(CaseAction) - {A.WORK}
"""What a responsibility may allow on cases: everything but internal work."""


def _admin(viewer: Viewer | None) -> Viewer:
    if viewer is None or not viewer.is_admin:
        raise UserErrors.one(
            None, "Only administrators change the access configuration.", ErrorCode.FORBIDDEN
        )
    return viewer


async def responsibilities() -> list[Responsibility]:
    return await Responsibility.all().order_by("name")


async def relationship_types() -> list[RelationshipType]:
    return await RelationshipType.all().order_by("name")


async def create_responsibility(
    viewer: Viewer | None,
    *,
    name: str,
    description: str,
    case_actions: Sequence[str],
    product_actions: Sequence[str],
) -> Responsibility:
    """A new level of access (administrators). It must at least read the case."""
    _admin(viewer)
    errors = ErrorList()
    clean = _text(errors, "name", name, 100)
    about = _text(errors, "description", description, 500, required=False)
    actions = {CaseAction(a) for a in case_actions}
    if A.WORK in actions:
        errors.add("case_actions", "WORK is internal work; a responsibility cannot give it.")
    elif A.READ not in actions:
        errors.add("case_actions", "A responsibility must include READ.", ErrorCode.REQUIRED)
    on_products = {ProductAction(a) for a in product_actions}
    if clean and await Responsibility.filter(name=clean).exists():
        errors.add("name", "A responsibility with this name exists.", ErrorCode.CONFLICT)
    errors.raise_if_any()
    async with unit_of_work():
        created = await Responsibility.create(
            name=clean,
            description=about,
            case_actions=" ".join(a.value for a in CaseAction if a in actions),
            product_actions=" ".join(a.value for a in ProductAction if a in on_products),
        )
        await record(
            AuditKind.RESPONSIBILITY_CHANGED,
            viewer,
            target=("Responsibility", created.id),
            change="created",
            fields=["name", "description", "case_actions", "product_actions"],
            case_actions=created.case_actions.split(),
            product_actions=created.product_actions.split(),
        )
        return created


async def create_relationship_type(
    viewer: Viewer | None,
    *,
    name: str,
    description: str,
    for_cases: bool,
    for_sold_products: bool,
    default_responsibility_id: int | None,
) -> RelationshipType:
    """A new kind of related party (administrators); with no default responsibility
    its parties are listed and grant nothing until one is chosen."""
    _admin(viewer)
    errors = ErrorList()
    clean = _text(errors, "name", name, 100)
    about = _text(errors, "description", description, 500, required=False)
    if not for_cases and not for_sold_products:
        errors.add("applies_to_cases", "Say whether it applies to cases, sold products or both.")
    if (
        default_responsibility_id is not None
        and not await Responsibility.filter(id=default_responsibility_id).exists()
    ):
        errors.add("default_responsibility_id", "No such responsibility.", ErrorCode.NOT_FOUND)
    if clean and await RelationshipType.filter(name=clean).exists():
        errors.add("name", "A relationship type with this name exists.", ErrorCode.CONFLICT)
    errors.raise_if_any()
    async with unit_of_work():
        created = await RelationshipType.create(
            name=clean,
            description=about,
            for_cases=for_cases,
            for_sold_products=for_sold_products,
            default_responsibility_id=default_responsibility_id,
        )
        await record(
            AuditKind.RELATIONSHIP_TYPE_CHANGED,
            viewer,
            target=("RelationshipType", created.id),
            change="created",
            fields=[
                "name",
                "description",
                "for_cases",
                "for_sold_products",
                "default_responsibility_id",
            ],
            default_responsibility_id=default_responsibility_id,
        )
        return created


async def departments() -> list[Department]:
    return await Department.all().order_by("name")


async def create_department(viewer: Viewer | None, *, name: str) -> Department:
    """A department related parties can name (administrators). Its members are the
    internal users whose `department` reads the same, ignoring case and spacing."""
    _admin(viewer)
    errors = ErrorList()
    clean = " ".join(_text(errors, "name", name, 100).split())
    key = department_key(clean)
    if key and await Department.filter(key=key).exists():
        errors.add("name", "A department with this name exists.", ErrorCode.CONFLICT)
    errors.raise_if_any()
    try:
        async with unit_of_work():
            department = await Department.create(name=clean, key=key)
            await record(AuditKind.DEPARTMENT_CREATED, viewer, target=("Department", department.id))
    except IntegrityError:
        raise UserErrors.one(
            "name", "A department with this name exists.", ErrorCode.CONFLICT
        ) from None
    return department


def _text(
    errors: ErrorList, field: str, value: str | None, size: int, required: bool = True
) -> str:
    try:
        return require_text(field, value, max_length=size, required=required)
    except UserErrors as exc:
        errors.errors.extend(exc.errors)
        return ""


# --- related parties -------------------------------------------------------------


async def _managed_case(subject: Subject, case_id: int, field: str) -> Case:
    case = await policy.require_visible(subject, await Case.get_or_none(id=case_id), field, "case")
    await policy.require_case_party_manager(subject, case, field)
    return case


async def _managed_product(subject: Subject, product_id: int, field: str) -> SoldProduct:
    product = await SoldProduct.get_or_none(id=product_id)
    return await policy.require_product_party_manager(subject, product, field)


async def _manage(subject: Subject, party: RelatedParty, field: str) -> None:
    if party.case_id is not None:
        await _managed_case(subject, party.case_id, field)
    else:
        assert party.sold_product_id is not None
        await _managed_product(subject, party.sold_product_id, field)


def _check_dates(
    errors: ErrorList, valid_from: dt.date | None, valid_until: dt.date | None
) -> None:
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        errors.add("valid_until", "The last valid day cannot come before the first.")


async def _responsibility(errors: ErrorList, responsibility_id: int | None) -> None:
    if (
        responsibility_id is not None
        and not await Responsibility.filter(id=responsibility_id).exists()
    ):
        errors.add("responsibility_id", "No such responsibility.", ErrorCode.NOT_FOUND)


@dataclass(frozen=True, kw_only=True)
class PartyDraft(Partial):
    """A new related party: what `add_related_party` accepts (ids decoded; one of
    case and sold product, one of consumer, user, team and department; KEEP: not
    given)."""

    case_id: int | Keep | None = KEEP
    sold_product_id: int | Keep | None = KEEP
    consumer_id: int | Keep | None = KEEP
    user_id: int | Keep | None = KEEP
    team_id: int | Keep | None = KEEP
    department_id: int | Keep | None = KEEP
    relationship_type_id: int | None
    responsibility_id: int | Keep | None = KEEP
    """KEEP: the relationship type's default; None: no responsibility."""
    valid_from: dt.date | Keep | None = KEEP
    valid_until: dt.date | Keep | None = KEEP


async def add_related_party(subject: Subject, draft: PartyDraft) -> RelatedParty:
    """Relate a consumer, a user, a team or a department to a case or a sold
    product, with a relationship type; the responsibility defaults to the type's
    (`responsibility_id` absent). Who may do it, and whom they may relate, is
    `access.policy`'s."""
    data = draft.given()
    case_id, product_id = data.get("case_id"), data.get("sold_product_id")
    if (case_id is None) == (product_id is None):
        raise UserErrors.one("case_id", "Give a case or a sold product (one of them).")
    if case_id is not None:
        await _managed_case(subject, case_id, "case_id")
    else:
        assert product_id is not None
        await _managed_product(subject, product_id, "sold_product_id")

    consumer_id, user_id = data.get("consumer_id"), data.get("user_id")
    team_id, department_id = data.get("team_id"), data.get("department_id")
    if sum(i is not None for i in (consumer_id, user_id, team_id, department_id)) != 1:
        raise UserErrors.one(
            "consumer_id",
            "Give a consumer, a user, a team or a department (one of them).",
            ErrorCode.REQUIRED,
        )
    if consumer_id is not None:
        consumer = await Consumer.get_or_none(id=consumer_id)
        await policy.require_consumer_grantee(subject, consumer, "consumer_id")
    elif user_id is not None:
        user = await User.get_or_none(id=user_id)
        await policy.require_user_grantee(subject, user, "user_id")
    elif team_id is not None:
        team = await Team.get_or_none(id=team_id)
        await policy.require_team_grantee(subject, team, "team_id")
    else:
        department = await Department.get_or_none(id=department_id)
        await policy.require_department_grantee(subject, department, "department_id")

    errors = ErrorList()
    kind = await RelationshipType.get_or_none(id=data.get("relationship_type_id"))
    if kind is None:
        errors.add("relationship_type_id", "No such relationship type.", ErrorCode.NOT_FOUND)
    elif case_id is not None and not kind.for_cases:
        errors.add("relationship_type_id", f"A {kind.name} relates to sold products, not cases.")
    elif product_id is not None and not kind.for_sold_products:
        errors.add("relationship_type_id", f"A {kind.name} relates to cases, not sold products.")
    if "responsibility_id" in data:
        responsibility_id = data["responsibility_id"]
        await _responsibility(errors, responsibility_id)
    else:
        responsibility_id = kind.default_responsibility_id if kind else None
    _check_dates(errors, data.get("valid_from"), data.get("valid_until"))
    errors.raise_if_any()
    assert kind is not None

    async with unit_of_work():
        duplicate = await RelatedParty.filter(
            case_id=case_id,
            sold_product_id=product_id,
            consumer_id=consumer_id,
            user_id=user_id,
            team_id=team_id,
            department_id=department_id,
            relationship_type_id=kind.id,
        ).exists()
        if duplicate:
            raise UserErrors.one(
                "relationship_type_id", f"Already related as {kind.name}.", ErrorCode.CONFLICT
            )
        party = await RelatedParty.create(
            case_id=case_id,
            sold_product_id=product_id,
            consumer_id=consumer_id,
            user_id=user_id,
            team_id=team_id,
            department_id=department_id,
            relationship_type_id=kind.id,
            responsibility_id=responsibility_id,
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            added_by_id=subject.viewer.user_id,
        )
        await record_party(AuditKind.RELATED_PARTY_ADDED, subject.viewer, party)
        return party


async def _party(subject: Subject, party_id: int) -> RelatedParty:
    """The party when the viewer sees it, else NOT_FOUND like a missing one."""
    party = await RelatedParty.get_or_none(id=party_id)
    return await policy.require_visible(subject, party, "id", "related party")


@dataclass(frozen=True, kw_only=True)
class PartyChanges(Partial):
    """Changes to a related party: what `update_related_party` accepts (ids
    decoded; KEEP: leave as is)."""

    relationship_type_id: int | Keep | None = KEEP
    responsibility_id: int | Keep | None = KEEP
    valid_from: dt.date | Keep | None = KEEP
    valid_until: dt.date | Keep | None = KEEP


async def update_related_party(
    subject: Subject, party_id: int, changes: PartyChanges
) -> RelatedParty:
    """Change a party's relationship type, responsibility (null: none) or dates;
    never one's own."""
    data = changes.given()
    party = await _party(subject, party_id)
    await _manage(subject, party, "id")
    if await policy.holds_party(subject, party):
        raise UserErrors.one("id", "Nobody can change their own access.", ErrorCode.FORBIDDEN)
    errors = ErrorList()
    if "relationship_type_id" in data:
        kind = await RelationshipType.get_or_none(id=data["relationship_type_id"])
        if kind is None:
            errors.add("relationship_type_id", "No such relationship type.", ErrorCode.NOT_FOUND)
        elif (party.case_id is not None and not kind.for_cases) or (
            party.sold_product_id is not None and not kind.for_sold_products
        ):
            errors.add("relationship_type_id", f"A {kind.name} does not apply here.")
    if "responsibility_id" in data:
        await _responsibility(errors, data["responsibility_id"])
    valid_from = data.get("valid_from", party.valid_from)
    valid_until = data.get("valid_until", party.valid_until)
    _check_dates(errors, valid_from, valid_until)
    errors.raise_if_any()
    differing = {k: v for k, v in data.items() if getattr(party, k) != v}
    if differing:
        async with unit_of_work():
            await RelatedParty.filter(id=party.id).update(**differing)
            await party.refresh_from_db()
            await record_party(
                AuditKind.RELATED_PARTY_CHANGED,
                subject.viewer,
                party,
                fields=sorted(differing),
            )
    return party


async def remove_related_party(subject: Subject, party_id: int) -> RelatedParty:
    """Remove the party; what it granted stops on the next request. Managers
    remove any party; a party may always remove itself, while the case is open."""
    party = await _party(subject, party_id)
    if not policy.own_party(subject, party):
        await _manage(subject, party, "id")
    elif party.case_id is not None:
        policy.require_open_case(await Case.get(id=party.case_id), "id")
    async with unit_of_work():
        await RelatedParty.filter(id=party.id).delete()
        await record_party(AuditKind.RELATED_PARTY_REMOVED, subject.viewer, party)
    return party


async def record_party(
    kind: AuditKind, actor: Viewer | None, party: RelatedParty, **extra: object
) -> None:
    """A related party's grant in the audit trail, as it stands after the change
    (before it, for a removal): whom, on what, with which responsibility, when."""
    on: dict[str, int | None] = (
        {"case_id": party.case_id}
        if party.case_id is not None
        else {"sold_product_id": party.sold_product_id}
    )
    await record(
        kind,
        actor,
        user_id=party.user_id,
        consumer_id=party.consumer_id,
        target=("RelatedParty", party.id),
        **on,
        **({"team_id": party.team_id} if party.team_id is not None else {}),
        **({"department_id": party.department_id} if party.department_id is not None else {}),
        relationship_type_id=party.relationship_type_id,
        responsibility_id=party.responsibility_id,
        valid_from=iso(party.valid_from),
        valid_until=iso(party.valid_until),
        **extra,
    )


# --- explaining ---------------------------------------------------------------------


async def explain_access(
    viewer: Viewer, case_id: int | None, user_id: int | None
) -> tuple[frozenset[CaseAction], list[Grant]]:
    """What the user (default: the viewer) may do with the case now, and every
    grant that gives it. A case they cannot read, or one that does not exist,
    explains as nothing at all. Only administrators ask about someone else."""
    nothing: tuple[frozenset[CaseAction], list[Grant]] = (frozenset(), [])
    who: Viewer | None = viewer
    if user_id is not None and user_id != viewer.user_id:
        if not viewer.is_admin:
            raise AccessDenied("Only administrators may explain another user's access.")
        who = await load_viewer(user_id)
    if who is None or case_id is None:
        return nothing
    case = await Case.get_or_none(id=case_id)
    if case is None:
        return nothing
    subject = await load_subject(who)
    found = grants(subject, case)
    if not any(A.READ in g.actions for g in found):
        return nothing
    return available(subject, case), found
