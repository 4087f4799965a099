"""One shape for every mutation.

A mutation resolver decodes ids, calls a service (with the request's access
subject, `info.context.actor()`) and returns its payload with the object;
`mutation(...)` adds the rest once: the permission class, the description's
"(administrators)" from that class, and the catch that turns the
`UserErrors` a service raises into the payload's `errors` (the unit of work
has rolled the change back by then).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.field import StrawberryField

from csm_graph.errors import UserErrors
from csm_graph.schema.context import Info
from csm_graph.schema.errors import user_errors
from csm_graph.schema.permissions import described


class UserErrorsAsPayload(FieldExtension):
    """Answers a refused mutation with its payload type, holding the refusals,
    each naming the input field as the client knows it (`graphql_path`)."""

    def __init__(self, paths: Mapping[str, str] | None = None) -> None:
        self.payload: Callable[..., Any] | None = None
        self.paths = paths or {}

    def apply(self, field: StrawberryField) -> None:
        payload = field.type
        if "errors" not in getattr(payload, "__annotations__", {}):
            raise TypeError(f"mutation {field.python_name!r} must return a payload with `errors`")
        self.payload = payload  # type: ignore[assignment]

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except UserErrors as exc:
            assert self.payload is not None
            return self.payload(errors=user_errors(exc, self.paths))
        finally:
            # The change may have changed what the viewer may see: the payload, and
            # any mutation after this one, ask afresh.
            info.context.forget_access()


def mutation(
    description: str,
    permission: type[BasePermission] | None = None,
    *,
    paths: Mapping[str, str] | None = None,
) -> Any:
    """A mutation field: who may call it (anyone without `permission`), its
    description, and its refusals as its payload (`paths`: where its input
    nests the fields a service names flat, such as an address's lines)."""
    return strawberry.mutation(
        description=described(description, permission),
        permission_classes=[permission] if permission else [],
        extensions=[UserErrorsAsPayload(paths)],
    )
