"""One shape for every mutation.

A mutation resolver decodes ids, calls a service (with the request's access
subject, `info.context.actor()`) and returns its payload with the object;
`mutation(...)` adds the rest once: the permission class, the description's
"(administrators)" from that class, the description of its `input`
argument from its own, and the catch that turns the `UserErrors` a service
raises into the payload's `errors` (the unit of work has rolled the change
back by then).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.base import get_object_definition
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
        for argument in field.arguments:
            definition = get_object_definition(argument.type)
            if argument.python_name == "input" and definition and not argument.description:
                argument.description = input_description(field.description or "", definition.name)

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


def input_description(mutation_description: str, input_type: str) -> str:
    """A mutation's `input`, described from the mutation's first clause: "Create
    a user (administrators)." gives "The input to create a user (see
    `UserCreateInput`).", so GraphiQL and generated code say what it is for."""
    clause = mutation_description
    for stop in (" (", ": ", "; ", ". "):
        clause = clause.split(stop, 1)[0]
    clause = clause.strip().removesuffix(".")
    if clause[:1].isupper() and clause[1:2].islower():
        clause = clause[0].lower() + clause[1:]
    if not clause:
        return f"The mutation's input (see `{input_type}`)."
    return f"The input to {clause} (see `{input_type}`)."


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
