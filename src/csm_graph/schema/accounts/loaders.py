"""DataLoaders for accounts: one batched query per relation per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.accounts.models import Role, Team, User
from csm_graph.db import fetch, in_list
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class UserByIdLoader(ById[User]):
    model = User


class TeamByIdLoader(ById[Team]):
    model = Team


async def _pairs(sql: str, ids: Sequence[int]) -> list[tuple[int, int]]:
    """Rows of (owner id, related id) from a link table, for `ids`."""
    rows = await fetch(sql.format(ids=in_list(ids)), ids)
    return [(int(a), int(b)) for a, b in rows]


class RolesByUserIdLoader(DataLoader[int, list[str]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[str]]:
        pairs = await _pairs("SELECT user_id, role_id FROM user_role WHERE user_id IN ({ids})", ids)
        names = {r.id: r.name for r in await Role.all()}
        by_user: dict[int, list[str]] = defaultdict(list)
        for user_id, role_id in pairs:
            by_user[user_id].append(names[role_id])
        return [sorted(by_user[i]) for i in ids]


class TeamsByUserIdLoader(DataLoader[int, list[Team]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[Team]]:
        pairs = await _pairs(
            "SELECT user_id, team_id FROM team_member WHERE user_id IN ({ids})", ids
        )
        teams = {t.id: t for t in await Team.filter(id__in={t for _, t in pairs})}
        by_user: dict[int, list[Team]] = defaultdict(list)
        for user_id, team_id in pairs:
            by_user[user_id].append(teams[team_id])
        return [sorted(by_user[i], key=lambda t: t.name) for i in ids]


class MembersByTeamIdLoader(DataLoader[int, list[User]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[User]]:
        pairs = await _pairs(
            "SELECT team_id, user_id FROM team_member WHERE team_id IN ({ids})", ids
        )
        users = {u.id: u for u in await User.filter(id__in={u for _, u in pairs})}
        by_team: dict[int, list[User]] = defaultdict(list)
        for team_id, user_id in pairs:
            by_team[team_id].append(users[user_id])
        return [sorted(by_team[i], key=lambda u: u.id) for i in ids]
