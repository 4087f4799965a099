"""Errors that services raise and the API turns into `UserError`s."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    THROTTLED = "THROTTLED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    """The input at fault as a Python path (`case_id`, `address_line1`); the API
    names it as its clients know it (`caseId`, `address.line1`)."""
    message: str
    code: ErrorCode


class UserErrors(Exception):
    """A request the rules refuse. Raised inside a unit of work, it rolls the change back."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def one(
        cls, field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID
    ) -> UserErrors:
        return cls(FieldError(field, message, code))


class ErrorList:
    """Collects field errors so a service can report all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str | None, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        self.errors.append(FieldError(field, message, code))

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(*self.errors)


class NotAuthenticated(Exception):
    """No valid credentials. Surfaces as a GraphQL error with code UNAUTHENTICATED."""

    extensions = {"code": "UNAUTHENTICATED"}

    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class SessionEnded(Exception):
    """The session behind an open WebSocket ended (expired, revoked, user deactivated):
    the socket is closing, and nothing more runs on it."""


class AccessDenied(Exception):
    """The viewer may not use this at all. Surfaces as a GraphQL error with code FORBIDDEN."""

    extensions = {"code": "FORBIDDEN"}

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message)


class NotFound(Exception):
    """An object the viewer may not see, where null is not an answer: as if it did not exist."""

    extensions = {"code": "NOT_FOUND"}

    def __init__(self, message: str = "No such object.") -> None:
        super().__init__(message)


class BadRequest(Exception):
    """Arguments outside what the API accepts (a page over 100, a malformed id)."""

    extensions = {"code": "BAD_USER_INPUT"}
