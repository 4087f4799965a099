"""Users and teams: creating and changing logins (administrators; a user their
own name, phone and password), and the teams internal users work in.

Resolvers call these; nothing else writes the user and team tables. A
change that ends sessions says so to `accounts.sessions`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tortoise.exceptions import IntegrityError

from csm_graph import clock
from csm_graph.access.models import Department, department_key
from csm_graph.accounts import passwords, sessions
from csm_graph.accounts.email_tokens import send_set_password_email
from csm_graph.accounts.models import Role, RoleName, Team, User, UserType
from csm_graph.accounts.viewer import Viewer, require_admin
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import record, record_roles, record_teams
from csm_graph.consumers.services import sync_user_identity
from csm_graph.core.partial import KEEP, Keep, NameParts
from csm_graph.errors import ErrorCode, ErrorList, UserErrors
from csm_graph.settings import get_settings
from csm_graph.transactions import unit_of_work
from csm_graph.validation import (
    check_password,
    normalize_email,
    normalize_phone,
    require_text,
)


def _name_fields(data: dict[str, Any], errors: ErrorList) -> dict[str, Any]:
    out: dict[str, Any] = {}
    limits = {"prefix": 40, "first_name": 100, "middle_name": 100, "last_name": 100, "suffix": 40}
    for key, limit in limits.items():
        if key in data and data[key] is not None:
            try:
                out[key] = require_text(key, data[key], max_length=limit, required=False)
            except UserErrors as exc:
                errors.errors.extend(exc.errors)
    return out


async def _roles(names: list[str]) -> list[Role]:
    rows = await Role.filter(name__in=names)
    found = {r.name for r in rows}
    missing = [n for n in names if n not in found]
    if missing:
        raise UserErrors.one("roles", f"Unknown roles: {', '.join(missing)}.", ErrorCode.NOT_FOUND)
    return list(rows)


async def _teams(ids: list[int]) -> list[Team]:
    rows = await Team.filter(id__in=ids)
    if len(rows) != len(set(ids)):
        raise UserErrors.one("team_ids", "One or more teams do not exist.", ErrorCode.NOT_FOUND)
    return list(rows)


async def _manager(manager_id: int, user_id: int | None = None) -> User:
    manager = await User.get_or_none(id=manager_id, user_type=UserType.INTERNAL)
    if manager is None:
        raise UserErrors.one("manager_id", "No such internal user.", ErrorCode.NOT_FOUND)
    if user_id is not None:
        # Refuse cycles: walk up from the new manager.
        seen: set[int] = set()
        current: User | None = manager
        while current is not None and current.id not in seen:
            if current.id == user_id:
                raise UserErrors.one("manager_id", "A user cannot report to their own report.")
            seen.add(current.id)
            current = await User.get_or_none(id=current.manager_id) if current.manager_id else None
    return manager


TEXT_LIMITS = {"department": 100, "title": 100, "employee_id": 40}
"""The free-text fields of a user, by their longest value (their columns')."""


def _texts(data: dict[str, Any], errors: ErrorList) -> dict[str, str | None]:
    """The free-text fields given in `data`, trimmed and checked against
    their length; an empty employee id is none (it is unique when set)."""
    texts: dict[str, str | None] = {}
    for key, limit in TEXT_LIMITS.items():
        if key not in data or data[key] is None:
            continue
        try:
            text = require_text(key, data[key], max_length=limit, required=False)
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
            continue
        texts[key] = text or None if key == "employee_id" else text
    return texts


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserDraft(NameParts):
    """A new user: what `create_user` accepts (ids decoded; KEEP: not given)."""

    email: str
    user_type: UserType | Keep | None = KEEP
    roles: list[str] | Keep | None = KEEP
    team_ids: list[int] | Keep | None = KEEP
    manager_id: int | Keep | None = KEEP
    password: str | Keep | None = dataclasses.field(default=KEEP, repr=False)
    phone: str | Keep | None = KEEP
    department: str | Keep | None = KEEP
    title: str | Keep | None = KEEP
    employee_id: str | Keep | None = KEEP
    service_account: bool = False
    """A service account (`accounts.api_tokens`): internal, with no password and
    no set-password email."""


async def create_user(viewer: Viewer | None, draft: UserDraft) -> User:
    """Create a user (admins). Users an admin creates count as email-verified;
    without an initial password they are emailed a link to set one."""
    data = draft.given()
    require_admin(viewer)
    settings = get_settings()
    errors = ErrorList()
    email = ""
    try:
        email = normalize_email("email", data.get("email") or "")
    except UserErrors as exc:
        errors.errors.extend(exc.errors)
    names = _name_fields(data, errors)
    if not names.get("first_name") and not names.get("last_name"):
        errors.add("last_name", "A first or last name is required.", ErrorCode.REQUIRED)
    service_account = bool(data.get("service_account"))
    user_type = UserType(data.get("user_type") or UserType.EXTERNAL)
    if service_account:
        user_type = UserType.INTERNAL
        if data.get("password") is not None:
            errors.add("password", "A service account has no password.")
    role_names: list[str] = list(data.get("roles") or [])
    team_ids: list[int] = list(data.get("team_ids") or [])
    if user_type is UserType.EXTERNAL and (role_names or team_ids or data.get("manager_id")):
        errors.add(
            "roles" if role_names else ("team_ids" if team_ids else "manager_id"),
            "Only internal users have roles, teams and managers.",
        )
    password = data.get("password")
    phone = ""
    try:
        if password is not None:
            check_password("password", password)
        phone = normalize_phone("phone", data.get("phone") or "", settings.default_phone_region)
    except UserErrors as exc:
        errors.errors.extend(exc.errors)
    extra: dict[str, Any] = dict(_texts(data, errors))
    errors.raise_if_any()

    async with unit_of_work():
        if await User.filter(email=email).exists():
            raise UserErrors.one("email", "A user with this email exists.", ErrorCode.CONFLICT)
        roles = await _roles(role_names)
        teams = await _teams(team_ids)
        manager = await _manager(data["manager_id"]) if data.get("manager_id") else None
        try:
            user = await User.create(
                email=email,
                password_hash=await passwords.hash_password(password) if password else None,
                user_type=user_type,
                phone=phone,
                email_verified=True,
                manager=manager,
                is_service_account=service_account,
                **names,
                **extra,
            )
        except IntegrityError:
            raise UserErrors.one(
                "email", "A user with this email or employee id exists.", ErrorCode.CONFLICT
            ) from None
        if roles:
            await user.roles.add(*roles)
        if teams:
            await user.teams.add(*teams)
        await record(AuditKind.USER_CREATED, viewer, user_id=user.id, user_type=user_type.value)
        if service_account:
            await record(AuditKind.SERVICE_ACCOUNT_CREATED, viewer, user_id=user.id)
        await record_roles(viewer, user.id, (), (r.name for r in roles))
        await record_teams(viewer, user.id, (), (t.id for t in teams))
        if manager is not None:
            await record(
                AuditKind.MANAGER_CHANGED, viewer, user_id=user.id, old=None, new=manager.id
            )
        if not password and not service_account:
            await send_set_password_email(user)
    return user


SELF_EDITABLE = frozenset(
    {"prefix", "first_name", "middle_name", "last_name", "suffix", "phone", "password"}
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserChanges(NameParts):
    """Changes to a user: what `update_user` accepts (ids decoded; KEEP, and
    None too, leave a field as is)."""

    email: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    user_type: UserType | Keep | None = KEEP
    roles: list[str] | Keep | None = KEEP
    team_ids: list[int] | Keep | None = KEEP
    manager_id: int | Keep | None = KEEP
    department: str | Keep | None = KEEP
    title: str | Keep | None = KEEP
    employee_id: str | Keep | None = KEEP
    is_active: bool | Keep | None = KEEP
    api_tokens_allowed: bool | Keep | None = KEEP
    password: str | Keep | None = dataclasses.field(default=KEEP, repr=False)
    current_password: str | Keep | None = dataclasses.field(default=KEEP, repr=False)


REMOVABLE = frozenset({"manager_id"})
"""Fields of `UserChanges` an explicit null removes (for the others null means "keep")."""


async def update_user(viewer: Viewer | None, user_id: int, changes: UserChanges) -> User:
    """Change a user. Admins change anything; a user changes their own name,
    phone and password (giving the current password)."""
    data = changes.given()
    if viewer is None:
        raise UserErrors.one("id", "No such user.", ErrorCode.NOT_FOUND)
    is_self = viewer.user_id == user_id
    if not viewer.is_admin and not is_self:
        raise UserErrors.one("id", "No such user.", ErrorCode.NOT_FOUND)
    settings = get_settings()
    errors = ErrorList()
    wanted = {
        k: v
        for k, v in data.items()
        if (v is not None or k in REMOVABLE) and k != "current_password"
    }
    if not viewer.is_admin:
        for key in sorted(set(wanted) - SELF_EDITABLE):
            errors.add(
                key,
                "You may not change this field.",
                ErrorCode.FORBIDDEN,
            )
    errors.raise_if_any()

    async with unit_of_work():
        user = await User.get_or_none(id=user_id)
        if user is None:
            raise UserErrors.one("id", "No such user.", ErrorCode.NOT_FOUND)
        was_active, old_manager = user.is_active, user.manager_id
        before = _Before(user.user_type, user.email, user.password_hash, user.department)
        names = _name_fields(wanted, errors)
        for key, value in names.items():
            setattr(user, key, value)
        try:
            if "phone" in wanted:
                user.phone = normalize_phone(
                    "phone", wanted["phone"], settings.default_phone_region
                )
            if "email" in wanted:
                email = normalize_email("email", wanted["email"])
                if email != user.email and await User.filter(email=email).exists():
                    errors.add("email", "A user with this email exists.", ErrorCode.CONFLICT)
                user.email = email
            if "password" in wanted and user.is_service_account:
                errors.add("password", "A service account has no password.")
            elif "password" in wanted:
                check_password("password", wanted["password"])
                if (
                    is_self
                    and not viewer.is_admin
                    and not await passwords.verify_password(
                        user.password_hash, data.get("current_password") or ""
                    )
                ):
                    errors.add(
                        "current_password", "The current password is wrong.", ErrorCode.INVALID
                    )
                user.password_hash = await passwords.hash_password(wanted["password"])
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
        for key, text in _texts(wanted, errors).items():
            setattr(user, key, text)
        if "is_active" in wanted:
            if is_self and not wanted["is_active"]:
                errors.add("is_active", "You cannot deactivate yourself.")
            user.is_active = bool(wanted["is_active"])
        if "user_type" in wanted:
            user.user_type = UserType(wanted["user_type"])
            if user.is_service_account and user.user_type is not UserType.INTERNAL:
                errors.add("user_type", "A service account is an internal user.")
        tokens_allowed = user.api_tokens_allowed
        if "api_tokens_allowed" in wanted:
            user.api_tokens_allowed = bool(wanted["api_tokens_allowed"])
        if "manager_id" in wanted:
            manager_id = wanted["manager_id"]
            if manager_id is None:
                user.manager_id = None
            else:
                user.manager = await _manager(manager_id, user.id)
        errors.raise_if_any()
        identity_changed = any(
            key in wanted for key in ("prefix", "first_name", "middle_name", "last_name", "suffix")
        ) or any(key in wanted for key in ("email", "phone"))
        if identity_changed:
            user.identity_changed_at = clock.now()
            # A linked consumer record follows (the job does nothing for unlinked users).
            await sync_user_identity.later(user.id)
        try:
            await user.save()
        except IntegrityError:
            raise UserErrors.one(
                "email", "A user with this email or employee id exists.", ErrorCode.CONFLICT
            ) from None
        if "roles" in wanted:
            if user.user_type is UserType.EXTERNAL and wanted["roles"]:
                raise UserErrors.one("roles", "Only internal users have roles.")
            if is_self and RoleName.ADMIN not in wanted["roles"]:
                raise UserErrors.one("roles", "You cannot remove your own admin role.")
            held: list[Any] = await user.roles.all().values_list("name", flat=True)
            await user.roles.clear()
            roles = await _roles(list(wanted["roles"]))
            if roles:
                await user.roles.add(*roles)
            await record_roles(viewer, user.id, held, (r.name for r in roles))
        if "team_ids" in wanted:
            member_of: list[Any] = await user.teams.all().values_list("id", flat=True)
            await user.teams.clear()
            teams = await _teams(list(wanted["team_ids"]))
            if teams:
                await user.teams.add(*teams)
            await record_teams(viewer, user.id, member_of, (t.id for t in teams))
        await _record_changes(
            viewer,
            user,
            was_active=was_active,
            old_manager=old_manager,
            tokens_allowed=tokens_allowed,
            before=before,
        )
        if user.user_type is UserType.EXTERNAL and (
            user.manager_id is not None
            or await user.roles.all().exists()
            or await user.teams.all().exists()
        ):
            # As in create_user; the unit of work rolls every change back.
            raise UserErrors.one(
                "user_type",
                "An external user has no roles, teams or manager: remove them in the same call.",
            )
        await _end_sessions_after(user, wanted, viewer)
    return user


@dataclasses.dataclass(frozen=True)
class _Before:
    """What `update_user` found, for the audit events of what it changed."""

    user_type: UserType
    email: str
    password_hash: str | None
    department: str


async def _record_type_change(
    actor: Viewer | None, user_id: int, old: UserType, new: UserType
) -> None:
    if old is not new:
        await record(
            AuditKind.USER_TYPE_CHANGED, actor, user_id=user_id, old=old.value, new=new.value
        )


async def _department_id(text: str) -> int | None:
    """The department a user's `department` text makes them a member of, if any."""
    key = department_key(text)
    if not key:
        return None
    department = await Department.get_or_none(key=key)
    return department.id if department is not None else None


async def _record_changes(
    viewer: Viewer,
    user: User,
    *,
    was_active: bool,
    old_manager: int | None,
    tokens_allowed: bool,
    before: _Before,
) -> None:
    """The audit events of `update_user` besides roles and teams."""
    await _record_type_change(viewer, user.id, before.user_type, user.user_type)
    if user.email != before.email:
        await record(AuditKind.USER_EMAIL_CHANGED, viewer, user_id=user.id, via="user_update")
    if user.password_hash != before.password_hash:
        await record(AuditKind.PASSWORD_CHANGED, viewer, user_id=user.id, via="user_update")
    if department_key(user.department) != department_key(before.department):
        await record(
            AuditKind.USER_DEPARTMENT_CHANGED,
            viewer,
            user_id=user.id,
            old=await _department_id(before.department),
            new=await _department_id(user.department),
        )
    if user.is_active != was_active:
        kind = AuditKind.USER_REACTIVATED if user.is_active else AuditKind.USER_DEACTIVATED
        await record(kind, viewer, user_id=user.id)
    if user.manager_id != old_manager:
        await record(
            AuditKind.MANAGER_CHANGED, viewer, user_id=user.id, old=old_manager, new=user.manager_id
        )
    if user.api_tokens_allowed != tokens_allowed:
        await record(
            AuditKind.API_TOKENS_ALLOWED_CHANGED,
            viewer,
            user_id=user.id,
            allowed=user.api_tokens_allowed,
        )


async def _end_sessions_after(user: User, changes: dict[str, Any], viewer: Viewer) -> None:
    """What a change to a user does to their sessions (see `accounts.sessions`)."""
    withdrawn = "api_tokens_allowed" in changes and not user.api_tokens_allowed
    if withdrawn and not user.is_service_account:
        await sessions.revoke_api_tokens(user.id)
        await sessions.tell_sockets(user.id)
    if "is_active" in changes and not user.is_active:
        await sessions.end_sessions(user.id)
    elif "password" in changes and viewer.user_id == user.id:
        # The user's other sessions end; the one they changed it from goes on.
        await sessions.revoke_sessions(user.id, keep_session=viewer.session_id)
    elif "password" in changes:
        await sessions.end_sessions(user.id)
    elif "roles" in changes or "user_type" in changes:
        # Tokens carry no roles, but a new epoch makes every client take a fresh
        # token and every open socket reconnect under the new role.
        await sessions.end_sessions(user.id, refresh_tokens=False)


# --- teams ----------------------------------------------------------------------


async def _internal_users(field_name: str, ids: list[int]) -> list[User]:
    users = await User.filter(id__in=ids, user_type=UserType.INTERNAL)
    if len(users) != len(set(ids)):
        raise UserErrors.one(
            field_name, "Team members must be internal users.", ErrorCode.NOT_FOUND
        )
    return list(users)


async def create_team(viewer: Viewer | None, name: str, member_ids: list[int]) -> Team:
    require_admin(viewer)
    name = require_text("name", name, max_length=100)
    async with unit_of_work():
        if await Team.filter(name=name).exists():
            raise UserErrors.one("name", "A team with this name exists.", ErrorCode.CONFLICT)
        members = await _internal_users("member_ids", member_ids)
        try:
            team = await Team.create(name=name)
        except IntegrityError:
            raise UserErrors.one(
                "name", "A team with this name exists.", ErrorCode.CONFLICT
            ) from None
        if members:
            await team.members.add(*members)
        for member in members:
            await record_teams(viewer, member.id, (), (team.id,))
    return team


async def add_team_member(viewer: Viewer | None, team_id: int, user_id: int) -> Team:
    require_admin(viewer)
    async with unit_of_work():
        team = await Team.get_or_none(id=team_id)
        if team is None:
            raise UserErrors.one("team_id", "No such team.", ErrorCode.NOT_FOUND)
        (user,) = await _internal_users("user_id", [user_id])
        if await team.members.filter(id=user_id).exists():
            raise UserErrors.one("user_id", "Already a member of this team.", ErrorCode.CONFLICT)
        await team.members.add(user)
        await record_teams(viewer, user.id, (), (team.id,))
    return team


async def create_admin(
    email: str, password: str, first_name: str = "", last_name: str = "Admin"
) -> User:
    """Create (or promote) an administrator: the `createadmin` command."""
    email = normalize_email("email", email)
    check_password("password", password)
    async with unit_of_work():
        # Done from the command line: the events name no actor (the system).
        user = await User.get_or_none(email=email)
        if user is None:
            user = await User.create(
                email=email,
                first_name=first_name,
                last_name=last_name,
                user_type=UserType.INTERNAL,
                email_verified=True,
                password_hash=await passwords.hash_password(password),
            )
            await record(
                AuditKind.USER_CREATED, None, user_id=user.id, user_type=UserType.INTERNAL.value
            )
        else:
            if not user.is_active:
                await record(AuditKind.USER_REACTIVATED, None, user_id=user.id)
            await _record_type_change(None, user.id, user.user_type, UserType.INTERNAL)
            if not await passwords.verify_password(user.password_hash, password):
                await record(AuditKind.PASSWORD_CHANGED, None, user_id=user.id, via="createadmin")
            user.user_type = UserType.INTERNAL
            user.is_active = True
            user.email_verified = True
            user.password_hash = await passwords.hash_password(password)
            await user.save()
        admin = await Role.get(name=RoleName.ADMIN)
        if not await user.roles.filter(id=admin.id).exists():
            await user.roles.add(admin)
            await record_roles(None, user.id, (), (RoleName.ADMIN.value,))
    return user
