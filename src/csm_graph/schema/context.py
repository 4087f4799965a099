"""The typed per-request context, and the `Info` alias every resolver takes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader
from tortoise.models import Model

from csm_graph.access import policy
from csm_graph.access.engine import Subject, load_subject
from csm_graph.accounts.viewer import Viewer
from csm_graph.errors import NotAuthenticated
from csm_graph.households.access import NO_REACH, Reach
from csm_graph.settings import Settings

L = TypeVar("L", bound=DataLoader[Any, Any])
T = TypeVar("T")


class Loaders:
    """DataLoaders made fresh per request, created on first use.

    `info.context.loaders.get(UserByIdLoader)` gives the request's one
    instance, so every field asking for the same key shares one batch.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self._instances: dict[type[Any], Any] = {}

    def get(self, loader_type: type[L]) -> L:
        loader = self._instances.get(loader_type)
        if loader is None:
            loader = loader_type(self._context)  # type: ignore[call-overload]
            self._instances[loader_type] = loader
        return loader  # type: ignore[no-any-return]


class Credentials(Protocol):
    """What a WebSocket proved when it opened (`sockets.SocketSession`)."""

    async def viewer(self) -> Viewer | None:
        """The viewer now; raises SessionEnded once the session is over."""
        ...


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    viewer: Viewer | None
    request_id: str
    client_address: str
    redacted: list[list[str | int]] = field(default_factory=list)
    connection_params: dict[str, Any] | None = None
    """The WebSocket `connection_init` payload."""
    socket: Credentials | None = None
    """On a WebSocket: its session, asked again for every operation and event."""

    def __post_init__(self) -> None:
        self.fresh()

    def fresh(self) -> None:
        """Forget per-operation state (loaders, access, redactions): a long-lived
        subscription calls this before each event, so it never serves stale data."""
        self.redacted.clear()
        self.forget_access()

    def forget_access(self) -> None:
        """Load access afresh from here on (after a mutation changed it)."""
        self.loaders = Loaders(self)
        self._memo: dict[str, asyncio.Future[Any]] = {}
        self._visibility: dict[type[Model], DataLoader[Model, bool]] = {}

    async def renew(self) -> None:
        """Before each event of a long subscription: the viewer checked again (on a
        socket; raises SessionEnded once its session is over), and nothing kept
        from the last event."""
        if self.socket is not None:
            self.viewer = await self.socket.viewer()
        self.fresh()

    def act_as(self, viewer: Viewer | None) -> None:
        """From here on the operation speaks for `viewer`: a mutation that proved who
        someone is (login, a verification or reset link) answers as that user."""
        self.viewer = viewer
        self.forget_access()

    def _once(self, key: str, load: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """One shared load per operation, so resolvers asking at the same moment
        wait for a single query."""
        task = self._memo.get(key)
        if task is None:
            task = self._memo[key] = asyncio.ensure_future(load())
        return task

    async def reach(self) -> Reach:
        """The viewer's households and representations (`households.access`),
        loaded with the subject: staff have none."""
        if self.viewer is None or self.viewer.is_internal:
            return NO_REACH
        subject = await self.subject()
        return NO_REACH if subject is None else subject.reach

    async def subject(self) -> Subject | None:
        """The viewer as the access engine sees them, reach included, in at most one
        statement per operation (`load_subject`); None when anonymous."""
        viewer = self.viewer
        if viewer is None:
            return None
        return await self._once("subject", lambda: load_subject(viewer))

    async def actor(self) -> Subject:
        """The subject a mutation acts as; UNAUTHENTICATED when there is none."""
        subject = await self.subject()
        if subject is None:
            raise NotAuthenticated()
        return subject

    async def visible(self, rows: Sequence[Model]) -> list[bool]:
        """For each row, whether the viewer may see it (`access.policy`), batched
        per model across the fields that ask at the same moment."""
        return list(await asyncio.gather(*(self._visibility_of(type(r)).load(r) for r in rows)))

    def _visibility_of(self, model: type[Model]) -> DataLoader[Model, bool]:
        loader = self._visibility.get(model)
        if loader is None:

            async def decide(rows: Sequence[Model]) -> list[bool]:
                return await policy.visible(await self.subject(), rows)

            loader = self._visibility[model] = DataLoader(
                load_fn=decide, cache_key_fn=lambda row: row.pk
            )
        return loader


Info = strawberry.Info[Context, None]
