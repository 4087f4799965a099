"""The field policy: every read rule for a sensitive field, in one place.

Each rule is `(viewer, object) -> bool` over data the object already
carries, so checking a page costs no query. Types attach them with
`Guard(rule)`; tests walk this module to give each rule its triad.
"""

from __future__ import annotations

from typing import Any

from csm_graph.accounts.viewer import Viewer


def admin_or_self(viewer: Viewer | None, user: Any) -> bool:
    """A user's roles and linked consumer: administrators and the user."""
    return viewer is not None and (viewer.is_admin or viewer.user_id == user.db_id)


def internal_or_self(viewer: Viewer | None, user: Any) -> bool:
    """A user's contact and account details: internal users and the user."""
    return viewer is not None and (viewer.is_internal or viewer.user_id == user.db_id)


def consumer_contact(viewer: Viewer | None, consumer: Any) -> bool:
    """A consumer's email, phones, address, date of birth, preferences and social
    accounts: internal users, the consumer themselves, their current
    representatives and the current heads of a household they currently belong
    to (`consumer.acts_for`, loaded once per request from the viewer's reach)."""
    return viewer is not None and (
        viewer.is_internal or viewer.user_id == consumer.user_id or consumer.acts_for
    )


def household_members(viewer: Viewer | None, household: Any) -> bool:
    """A household's member list: internal users and its current heads
    (`household.viewer_is_head`, from the viewer's reach)."""
    return viewer is not None and (viewer.is_internal or household.viewer_is_head)


def consumer_service_level(viewer: Viewer | None, consumer: Any) -> bool:
    """A consumer's SLA level: internal users and the consumer themselves."""
    return viewer is not None and (viewer.is_internal or viewer.user_id == consumer.user_id)


def consumer_login(viewer: Viewer | None, consumer: Any) -> bool:
    """A consumer's linked user: administrators and the consumer themselves."""
    return viewer is not None and (viewer.is_admin or viewer.user_id == consumer.user_id)


def case_service_times(viewer: Viewer | None, case: Any) -> bool:
    """A case's SLA due times and breach flag: internal users only (targets are
    an internal promise; the consumer side sees states and replies)."""
    return viewer is not None and viewer.is_internal


def internal_only(viewer: Viewer | None, obj: Any) -> bool:
    """Last survey time, work notes, review flags: internal users only."""
    return viewer is not None and viewer.is_internal


def case_readers(viewer: Viewer | None, case: Any) -> bool:
    """Custom fields of a case opened to its consumer side: everyone who reads
    the case (the case itself is shown only to them)."""
    return viewer is not None
