"""Writing what the builders made: rows in batches, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tortoise.models import Model

from csm_graph import db
from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import Role, Team, User
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases.models import Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.consumers.models import Consumer
from csm_graph.demo.cases import CaseRows
from csm_graph.demo.households import Households
from csm_graph.demo.people import People, Staff
from csm_graph.demo.products import Products
from csm_graph.demo.state import MODELS
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.products.models import SoldProduct
from csm_graph.settings import get_settings
from csm_graph.surveys.models import Survey
from csm_graph.transactions import unit_of_work

BATCH = 1000

M = TypeVar("M", bound=Model)

Progress = Callable[[str], None]


@dataclass
class DataSet:
    """Everything the builders made, section by section."""

    staff: Staff
    people: People
    households: Households
    representations: list[Representation]
    products: Products
    cases: CaseRows
    parties: list[RelatedParty]
    surveys: list[Survey]

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self.staff.users) + len(self.people.logins),
            "teams": len(self.staff.teams),
            "consumers": len(self.people.consumers),
            "households": len(self.households.households),
            "household_members": len(self.households.memberships),
            "representations": len(self.representations),
            "sold_products": len(self.products.products),
            "cases": len(self.cases.cases),
            "comments": len(self.cases.comments),
            "attachments": len(self.cases.attachments),
            "activity": len(self.cases.activity),
            "related_parties": len(self.parties),
            "surveys": len(self.surveys),
        }


async def write(data: DataSet, progress: Progress) -> None:
    """Write the rows in one transaction, then what must follow a bulk load:
    serials past the ids given, fresh planner statistics, the files."""
    roles = {r.name: r for r in await Role.all()}
    progress(
        f"writing {len(data.people.consumers)} consumers, "
        f"{len(data.households.households)} households, {len(data.cases.cases)} cases"
    )
    async with unit_of_work():
        await _write_rows(data, roles, progress)
    await _fix_sequences(MODELS)
    # Fresh planner statistics: without them a bulk-loaded table looks empty or
    # uniform, and "newest first" over a viewer's grants walks the whole table.
    await db.fetch("ANALYZE")
    _write_files(data.cases.files)
    progress("done")


async def _write_rows(data: DataSet, roles: dict[str, Role], progress: Progress) -> None:
    """Every table, parents before children, and the staff's roles and teams."""
    await _insert(Team, data.staff.teams, progress)
    await _insert(User, data.staff.users, progress)
    await _insert(User, data.people.logins, progress)
    for user, names, member_of in data.staff.roles:
        # bulk_create does not mark instances as saved; related managers need it.
        user._saved_in_db = True
        for team in member_of:
            team._saved_in_db = True
        await user.roles.add(*[roles[name] for name in names])
        if member_of:
            await user.teams.add(*member_of)
    await AuditEvent.bulk_create(_grants_as_events(data.staff.roles), batch_size=BATCH)
    await _insert(Consumer, data.people.consumers, progress)
    await _insert(Household, data.households.households, progress)
    await _insert(HouseholdMember, data.households.memberships, progress)
    await _insert(Representation, data.representations, progress)
    await _insert(SoldProduct, data.products.products, progress)
    await _insert(Case, data.cases.cases, progress)
    await _insert(CaseComment, data.cases.comments, progress)
    await _insert(CaseAttachment, data.cases.attachments, progress)
    await _insert(CaseActivity, data.cases.activity, progress)
    await _insert(RelatedParty, data.parties, progress)
    await _insert(Survey, data.surveys, progress)


def _grants_as_events(
    grants: Sequence[tuple[User, list[str], list[Team]]],
) -> list[AuditEvent]:
    """The staff's roles, teams and managers in the audit trail, as of their
    accounts' creation (by the system), so `explainAccess(at:)` finds them in
    the past too."""
    events = []
    for user, names, member_of in grants:
        at = user.created_at
        if user.manager_id is not None:
            events.append(
                AuditEvent(
                    at=at,
                    kind=AuditKind.MANAGER_CHANGED,
                    user_id=user.id,
                    data={"old": None, "new": user.manager_id},
                )
            )
        for name in sorted(names):
            events.append(
                AuditEvent(
                    at=at, kind=AuditKind.ROLE_GRANTED, user_id=user.id, data={"role": str(name)}
                )
            )
        for team in member_of:
            events.append(
                AuditEvent(
                    at=at,
                    kind=AuditKind.TEAM_JOINED,
                    user_id=user.id,
                    target_type="Team",
                    target_id=team.id,
                )
            )
    return events


async def _insert(model: type[M], rows: Sequence[M], progress: Progress) -> None:
    name = model._meta.db_table
    for start in range(0, len(rows), BATCH):
        await model.bulk_create(list(rows[start : start + BATCH]), batch_size=BATCH)
        progress(f"{name}: {min(start + BATCH, len(rows))}/{len(rows)}")


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


def _write_files(files: list[tuple[str, bytes]]) -> None:
    """The attachments' bytes, where downloads look for them."""
    from csm_graph import storage

    for key, body in files:
        path: Path = storage.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
