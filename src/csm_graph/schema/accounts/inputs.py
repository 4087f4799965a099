"""Inputs of the accounts domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.accounts.types import Role, UserType


@strawberry.input(description="Credentials.")
class LoginInput:
    email: str = strawberry.field(description="The login email (any case).")
    password: str = strawberry.field(description="The password.")


@strawberry.input(description="A refresh token to exchange for a new session.")
class TokenRefreshInput:
    refresh_token: str = strawberry.field(description="The refresh token from login.")


@strawberry.input(description="The refresh token of the session to end.")
class LogoutInput:
    refresh_token: str = strawberry.field(description="The session's refresh token.")
    everywhere: bool = strawberry.field(
        default=False, description="End every session of the user, not only this one."
    )


@strawberry.input(description="Which users to list.")
class UserFilter:
    search: str | None = strawberry.field(default=None, description="Part of a name or email.")
    user_type: UserType | None = strawberry.field(default=None, description="Only this type.")
    role: Role | None = strawberry.field(default=None, description="Only holders of this role.")
    is_active: bool | None = strawberry.field(default=None, description="Only (in)active users.")


@strawberry.input(description="A new user (administrators).")
class UserCreateInput:
    email: str = strawberry.field(description="Login email; unique regardless of case.")
    first_name: str = strawberry.field(default="", description="Given name.")
    last_name: str = strawberry.field(default="", description="Family name.")
    middle_name: str = strawberry.field(default="", description="Middle name.")
    prefix: str = strawberry.field(default="", description="Name prefix.")
    suffix: str = strawberry.field(default="", description="Name suffix.")
    user_type: UserType = strawberry.field(
        default=UserType.EXTERNAL, description="INTERNAL or EXTERNAL (default)."
    )
    roles: list[Role] = strawberry.field(default_factory=list, description="Roles (internal only).")
    team_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Teams to join (internal only)."
    )
    manager_id: strawberry.ID | None = strawberry.field(default=None, description="The manager.")
    password: str | None = strawberry.field(
        default=None, description="Initial password; without one the user cannot log in yet."
    )
    phone: str = strawberry.field(default="", description="Phone, normalised to E.164.")
    department: str = strawberry.field(default="", description="Department.")
    title: str = strawberry.field(default="", description="Job title.")
    employee_id: str | None = strawberry.field(default=None, description="Employee id; unique.")


@strawberry.input(
    description="Changes to a user. Administrators change any field; a user changes their "
    "own name, phone and password (with `currentPassword`). Omitted fields stay as they are."
)
class UserUpdateInput:
    id: strawberry.ID = strawberry.field(description="The user to change.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="New email; must be unused."
    )
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")
    middle_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Middle name or initial."
    )
    prefix: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name prefix, such as Ms. or Dr."
    )
    suffix: str | None = strawberry.field(
        default=strawberry.UNSET, description="Name suffix, such as Jr."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Phone number; without a leading + it is read in the default region.",
    )
    user_type: UserType | None = strawberry.field(
        default=strawberry.UNSET,
        description="INTERNAL or EXTERNAL (administrators); EXTERNAL needs no roles and teams.",
    )
    roles: list[Role] | None = strawberry.field(
        default=strawberry.UNSET, description="The complete new set of roles (administrators)."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="The complete new set of teams (administrators)."
    )
    manager_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The manager; null removes it (administrators)."
    )
    department: str | None = strawberry.field(
        default=strawberry.UNSET, description="Department (administrators)."
    )
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Job title (administrators)."
    )
    employee_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Employee id; unique (administrators)."
    )
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false deactivates the login and ends its sessions (administrators).",
    )
    api_tokens_allowed: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether the user may make personal API tokens (administrators); "
        "false revokes the ones they have.",
    )
    password: str | None = strawberry.field(default=strawberry.UNSET, description="New password.")
    current_password: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The present password; required when users change their own.",
    )


@strawberry.input(description="A new team (administrators).")
class TeamCreateInput:
    name: str = strawberry.field(description="Unique team name.")
    member_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Internal users to add."
    )


@strawberry.input(description="Add an internal user to a team (administrators).")
class TeamMemberAddInput:
    team_id: strawberry.ID = strawberry.field(description="The team.")
    user_id: strawberry.ID = strawberry.field(description="The internal user to add.")
