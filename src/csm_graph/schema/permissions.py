"""Who may use what: root-field permissions and field-level read rules.

Root fields declare a permission class; a viewer without it gets a
GraphQL error with code UNAUTHENTICATED or FORBIDDEN. Sensitive fields
declare a `Guard` with a rule from `policy.py`: a denied read comes back as
null (an empty list for lists) and its path goes to
`extensions.redactedFields`. Rules are synchronous checks on data already
loaded for the object, so guarding a page of objects costs no query.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition
from strawberry.types.field import StrawberryField

from csm_graph.accounts.viewer import Viewer
from csm_graph.errors import AccessDenied, NotAuthenticated, NotFound
from csm_graph.schema.context import Info
from csm_graph.schema.pagination import Connection

log = logging.getLogger(__name__)


class IsAuthenticated(BasePermission):
    message = "Authentication required."
    audience: str | None = None
    """Who may use the field, as its description says it; None: anyone logged in."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise NotAuthenticated()
        if not self.admits(viewer):
            raise AccessDenied(self.message)
        return True

    def admits(self, viewer: Viewer) -> bool:
        return True


def restricted_to(audience: str, admits: Callable[[Viewer], bool]) -> type[IsAuthenticated]:
    """The permission class of one audience: its test, its refusal, and the words
    ("administrators") that fields restricted to it get in their descriptions."""

    class Restricted(IsAuthenticated):
        message = f"Only {audience} may do this."

        def admits(self, viewer: Viewer) -> bool:
            return admits(viewer)

    Restricted.audience = audience
    Restricted.__name__ = Restricted.__qualname__ = f"Is({audience})"
    return Restricted


IsInternal = restricted_to("internal users", lambda viewer: viewer.is_internal)
IsManager = restricted_to("managers and administrators", lambda viewer: viewer.is_manager)
IsAdmin = restricted_to("administrators", lambda viewer: viewer.is_admin)


class NullWhenRefused(FieldExtension):
    """Makes a restricted root field nullable, so refusing it (FORBIDDEN, or
    UNAUTHENTICATED without a login) nulls that field alone: the rest of the
    response stays, with the error beside it at the field's path. A non-null
    field would null the whole `data` instead."""

    def apply(self, field: StrawberryField) -> None:
        if not isinstance(field.type, StrawberryOptional):
            field.type = StrawberryOptional(field.type)


def restricted_field(description: str, permission: type[IsAuthenticated], **options: Any) -> Any:
    """A root field only `permission`'s audience may use, saying so in its
    description, and nullable (`NullWhenRefused`)."""
    extensions = [NullWhenRefused(), *options.pop("extensions", [])]
    return strawberry.field(
        description=described(description, permission),
        permission_classes=[permission],
        extensions=extensions,
        **options,
    )


def described(text: str, permission: type[BasePermission] | None) -> str:
    """A field's description, its first sentence saying who may use it when a
    permission restricts it: "Create a user (administrators)."."""
    audience = getattr(permission, "audience", None)
    if not audience:
        return text
    first, dot, rest = text.partition(". ")
    if not dot:
        return f"{text.removesuffix('.')} ({audience})."
    return f"{first} ({audience}). {rest}"


Rule = Callable[[Viewer | None, Any], bool]
"""(viewer, the object the field belongs to) -> may the viewer read the field."""


class Guard(FieldExtension):
    """Redacts the field when `rule` refuses the viewer."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.empty: Any = None

    def apply(self, field: StrawberryField) -> None:
        field_type = field.type
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        elif not isinstance(field_type, StrawberryList):
            raise TypeError(f"guarded field {field.python_name!r} must be nullable or a list")
        self.empty = [] if isinstance(field_type, StrawberryList) else None

    def _allowed(self, source: Any, info: Info) -> bool:
        if self.rule(info.context.viewer, source):
            return True
        info.context.redacted.append(info.path.as_list())
        return False

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        if not self._allowed(source, info):
            return self.empty
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if not self._allowed(source, info):
            return self.empty
        return await next_(source, info, **kwargs)


def is_connection(field_type: Any) -> bool:
    definition = get_object_definition(field_type)
    if definition is None:
        return False
    generic = definition.concrete_of or definition
    return isinstance(generic.origin, type) and issubclass(generic.origin, Connection)


class Visible(FieldExtension):
    """Shows the objects a field returns only to viewers whom their type's rule
    (`access/policy.py`) lets see them. A list or a page drops the others; a
    single object becomes null, its path listed in `redactedFields` (except
    on lookups by id, `report=False`, where null must look like "no such
    object"). Every field that returns an object carries this extension, so
    reaching an object by traversal never shows more than `node(id:)`.
    """

    def __init__(self, *, report: bool = True) -> None:
        self.report = report
        self.nullable = True
        self.shape = "one"

    def apply(self, field: StrawberryField) -> None:
        field_type = field.type
        self.nullable = isinstance(field_type, StrawberryOptional)
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        if isinstance(field_type, StrawberryList):
            self.shape = "list"
        elif is_connection(field_type):
            self.shape = "connection"

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        # A plain attribute (a payload's object): graphql-core awaits the check.
        return self._check(next_(source, info, **kwargs), info)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        return await self._check(await next_(source, info, **kwargs), info)

    async def _check(self, result: Any, info: Info) -> Any:
        if inspect.isawaitable(result):
            result = await result
        try:
            return await self.shown(
                result,
                info.context.visible,
                lambda: info.context.redacted.append(info.path.as_list()),
            )
        except HiddenInPage as hidden:
            # The page's query should have left these out: keep them hidden,
            # and say so, since counts and cursors now disagree.
            log.warning("%s: the page held objects the viewer may not see", info.path)
            result.edges = [e for e, ok in zip(result.edges, hidden.keep, strict=True) if ok]
            return result

    async def shown(
        self,
        result: Any,
        decide: Callable[[list[Any]], Awaitable[list[bool]]],
        redact: Callable[[], None],
    ) -> Any:
        """`result` as the viewer may see it, `decide` answering the access policy
        for a batch of rows and `redact` recording this field's path. A page
        holding an object the viewer may not see raises `HiddenInPage`; a
        non-null object they may not see, `NotFound`. Compiled plans apply the
        rule through here too."""
        if result is None:
            return None
        if self.shape == "list":
            keep = await decide([item.model for item in result])
            return [item for item, ok in zip(result, keep, strict=True) if ok]
        if self.shape == "connection":
            keep = await decide([edge.node.model for edge in result.edges])
            if not all(keep):
                raise HiddenInPage(keep)
            return result
        (ok,) = await decide([result.model])
        if ok:
            return result
        if not self.nullable:
            raise NotFound()
        if self.report:
            redact()
        return None


class HiddenInPage(Exception):
    """A page (its query applied the access filter) held an object the policy
    hides; `keep` is the policy's answer for each of its edges."""

    def __init__(self, keep: list[bool]) -> None:
        super().__init__("a page held objects the viewer may not see")
        self.keep = keep
