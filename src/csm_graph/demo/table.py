"""The table of demo logins that `csm-graph demo` prints.

Each login is signed in through the real login service, so its access
token is an ordinary one (its session, its epoch, its expiry). What it may
do with the shared case, and through which grants, is asked of the access
engine, not written down here. Each row gets a GraphiQL link that opens as
that login: `/graphql#headers=<JSON>&variables=<JSON>`. The fragment never
reaches the server (browsers do not send it, so no log holds the token);
the page reads it, fills GraphiQL's headers and the example operations'
variables, and removes it from the address bar (`static/graphiql.html`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from textwrap import fill
from urllib.parse import quote, urlencode

from csm_graph import clock
from csm_graph.access.engine import CaseAction, available, grants, load_subject
from csm_graph.accounts import sessions
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case
from csm_graph.demo import DemoLogin, DemoResult
from csm_graph.schema.node import to_global_id

COMPACT = (",", ":")
CLIENT_ADDRESS = "csm-graph demo"
"""Where the demo's logins come from, for the login throttle."""


def permission_name(action: CaseAction) -> str:
    """The `viewerCan` field of an action: ACCEPT_SOLUTION is acceptSolution."""
    first, *rest = action.value.lower().split("_")
    return first + "".join(word.title() for word in rest)


def graphiql_link(base_url: str, access_token: str, variables: dict[str, str]) -> str:
    """GraphiQL at `base_url`, opening with the token in its headers and
    `variables` in the example operations that declare them."""
    fragment = urlencode(
        {
            "headers": json.dumps({"Authorization": f"Bearer {access_token}"}, separators=COMPACT),
            "variables": json.dumps(variables, separators=COMPACT),
        },
        quote_via=quote,
    )
    return f"{base_url.rstrip('/')}/graphql#{fragment}"


@dataclass(frozen=True)
class Row:
    login: DemoLogin
    grants: tuple[str, ...]
    """The kinds of the grants through which the login sees the shared case."""
    can: tuple[str, ...]
    """The `viewerCan` fields that are true for the login on the shared case now."""
    link: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Table:
    case_number: str
    case_summary: str
    rows: list[Row]

    def render(self, counts: dict[str, int]) -> str:
        world = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        password = self.rows[0].login.password
        expires = min(row.expires_at for row in self.rows)
        cells = [("viewer", "login", "sees it as", f"viewerCan on {self.case_number}")]
        cells += [
            (row.login.role, row.login.email, ", ".join(row.grants), " ".join(row.can))
            for row in self.rows
        ]
        widths = [max(len(cell[i]) for cell in cells) for i in range(3)]

        def line(cell: tuple[str, str, str, str]) -> str:
            columns = (c.ljust(w) for c, w in zip(cell[:3], widths, strict=True))
            return "  " + "  ".join(columns) + "  " + cell[3]

        lines = [
            _fill(f"The demo world: {world}."),
            "",
            _fill(f"A case all of them can see: {self.case_number}, {self.case_summary}."),
            "",
            line(cells[0]),
        ]
        for row, cell in zip(self.rows, cells[1:], strict=True):
            lines += [line(cell), f"      {row.link}"]
        lines += [
            "",
            f'Password for every login: "{password}".',
            _fill(
                "Each link opens GraphiQL as that login, with example operations as tabs "
                f"(CaseAccess: {self.case_number}, with viewerCan and explainAccess)."
            ),
            _fill(
                f"The access tokens in the links expire at {_when(expires)}. For a fresh one, "
                "log in again: run the `login` mutation with the login's email and the "
                'password above, and put {"Authorization": "Bearer <accessToken>"} in the '
                "headers."
            ),
        ]
        return "\n".join(lines)


def _fill(text: str) -> str:
    return fill(text, width=88, break_long_words=False, break_on_hyphens=False)


def _when(moment: dt.datetime) -> str:
    minutes = max(0, round((moment - clock.now()).total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    span = f"{hours} hours" if hours >= 2 and not rest else f"{minutes} minutes"
    return f"{moment.astimezone():%Y-%m-%d %H:%M %Z} (in {span})"


async def sign_in(result: DemoResult, base_url: str) -> Table:
    """Log each demo login in, and ask the access engine what it may do with
    the shared case and why."""
    case = await Case.get(id=result.shared_case_id).prefetch_related("consumer", "household")
    variables = {"caseId": str(to_global_id("Case", case.id))}
    rows = []
    for login in result.logins:
        session = await sessions.login(login.email, login.password, CLIENT_ADDRESS)
        viewer = await load_viewer(session.user.id)
        assert viewer is not None
        subject = await load_subject(viewer)
        now = available(subject, case)
        rows.append(
            Row(
                login=login,
                grants=tuple(g.kind for g in grants(subject, case)),
                can=tuple(permission_name(a) for a in CaseAction if a in now),
                link=graphiql_link(base_url, session.access_token, variables),
                expires_at=session.access_expires_at,
            )
        )
    household = f" in the {case.household.name}" if case.household else ""
    summary = (
        f'"{case.short_description}" ({case.state.value}), of {case.consumer.full_name}{household}'
    )
    return Table(case.number, summary, rows)
