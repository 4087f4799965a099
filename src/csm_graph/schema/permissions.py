"""Who may use what: root-field permissions and field-level read rules.

Root fields declare a permission class; a viewer without it gets a
GraphQL error with code UNAUTHENTICATED or FORBIDDEN. Sensitive fields
declare a `Guard` with a rule from `policy.py`: a denied read comes back as
null (an empty list for lists) and its path goes to
`extensions.redactedFields`. Rules are synchronous checks on data already
loaded for the object, so guarding a page of objects costs no query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField

from csm_graph.accounts.services import Viewer
from csm_graph.errors import AccessDenied, NotAuthenticated
from csm_graph.schema.context import Info


class IsAuthenticated(BasePermission):
    message = "Authentication required."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.viewer is None:
            raise NotAuthenticated()
        return True


class IsInternal(BasePermission):
    message = "Only internal users may do this."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise NotAuthenticated()
        if not viewer.is_internal:
            raise AccessDenied(self.message)
        return True


class IsManager(BasePermission):
    message = "Only managers and administrators may do this."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise NotAuthenticated()
        if not viewer.is_manager:
            raise AccessDenied(self.message)
        return True


class IsAdmin(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise NotAuthenticated()
        if not viewer.is_admin:
            raise AccessDenied(self.message)
        return True


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
