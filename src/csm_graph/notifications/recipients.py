"""Whose language an email is written in: the recipient's, looked up by address.

An outbox row knows its recipient only by address. A login with that address
(or waiting to confirm it) speaks its consumer record's `preferred_language`,
and an internal user the operator's `MAIL_DEFAULT_LANGUAGE`; an address with
no login speaks that of the consumer record holding it (an active one first,
then the oldest). Anyone else gets the default too.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from csm_graph.accounts.models import User, UserType
from csm_graph.consumers.models import Consumer


async def language_of(address: str) -> str | None:
    """The language tag the person at `address` asked for, or None for the default."""
    address = address.strip().lower()
    if not address:
        return None
    login = (
        await User.filter(Q(email=address) | Q(pending_email=address))
        .order_by("id")
        .only("id", "user_type")
        .first()
    )
    if login is not None:
        if login.user_type is UserType.INTERNAL:
            return None
        own: list[Any] = await Consumer.filter(user_id=login.id).values_list(
            "preferred_language", flat=True
        )
        if own:
            return str(own[0])
    held: list[Any] = (
        await Consumer.filter(email=address)
        .order_by("-is_active", "id")
        .limit(1)
        .values_list("preferred_language", flat=True)
    )
    return str(held[0]) if held else None
