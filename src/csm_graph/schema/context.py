"""The typed per-request context, and the `Info` alias every resolver takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from csm_graph.accounts.services import Viewer
from csm_graph.errors import NotAuthenticated
from csm_graph.settings import Settings

L = TypeVar("L", bound=DataLoader[Any, Any])


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


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    viewer: Viewer | None
    request_id: str
    client_address: str
    redacted: list[list[str | int]] = field(default_factory=list)
    cache: dict[Any, Any] = field(default_factory=dict)
    """Per-request memo for values several resolvers need (access decisions)."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket `connection_init` payload."""

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    def fresh(self) -> None:
        """Forget per-request state (loaders, cache, redactions): a long-lived
        subscription calls this before each event, so it never serves stale data."""
        self.loaders = Loaders(self)
        self.cache.clear()
        self.redacted.clear()

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer


Info = strawberry.Info[Context, None]
