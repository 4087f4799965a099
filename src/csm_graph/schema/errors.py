"""`UserError` and the error codes of the contract."""

from __future__ import annotations

from collections.abc import Mapping

import strawberry
from strawberry.utils.str_converters import to_camel_case

from csm_graph.errors import ErrorCode as DomainErrorCode
from csm_graph.errors import FieldError, UserErrors
from csm_graph.schema.enums import register_enum

register_enum(
    DomainErrorCode,
    name="ErrorCode",
    description="Why an input was refused.",
    values={
        DomainErrorCode.INVALID: "The value is malformed or out of range.",
        DomainErrorCode.REQUIRED: "The value is missing or empty.",
        DomainErrorCode.NOT_FOUND: "No such object, or one the viewer may not see.",
        DomainErrorCode.FORBIDDEN: "The viewer may not make this change.",
        DomainErrorCode.CONFLICT: "A duplicate, or the object changed since it was read.",
        DomainErrorCode.INVALID_STATE: "The object's state does not allow this change.",
        DomainErrorCode.INVALID_CREDENTIALS: "Wrong email, password or token.",
        DomainErrorCode.THROTTLED: "Too many attempts; wait and try again.",
        DomainErrorCode.EXPIRED: "The token or link is no longer valid.",
    },
)
ErrorCode = DomainErrorCode


@strawberry.type(description="A refused input: which field, why, and a machine-readable code.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null when the whole input is."
    )
    message: str = strawberry.field(description="A sentence for people.")
    code: ErrorCode = strawberry.field(description="A stable code for programs.")

    @classmethod
    def from_domain(cls, error: FieldError, paths: Mapping[str, str]) -> UserError:
        return cls(field=graphql_path(error.field, paths), message=error.message, code=error.code)


def graphql_path(field: str | None, paths: Mapping[str, str]) -> str | None:
    """The input field as the client sent it: the service's Python path, placed
    by `paths` where the input nests it (`address_line1` -> `address.line1`), in
    camelCase (`case_id` -> `caseId`)."""
    if field is None:
        return None
    path = paths.get(field, field)
    return ".".join(to_camel_case(part) for part in path.split("."))


def user_errors(exc: UserErrors, paths: Mapping[str, str] | None = None) -> list[UserError]:
    return [UserError.from_domain(e, paths or {}) for e in exc.errors]
