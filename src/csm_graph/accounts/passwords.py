"""Password hashing with argon2id, tuned by settings.

Hashing and verifying take tens of milliseconds of CPU by design, so they
run in a worker thread (argon2 releases the GIL): a burst of logins never
holds up the event loop, and `/healthz` stays quick meanwhile.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from csm_graph.settings import Settings

_hasher: PasswordHasher | None = None
# A hash of a random password, verified against when an account does not
# exist, so a login for an unknown email costs as much as a wrong password.
_decoy_hash: str | None = None


def configure(settings: Settings) -> None:
    global _hasher, _decoy_hash
    _hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    _decoy_hash = _hasher.hash("decoy-password-for-timing")


def hasher() -> PasswordHasher:
    if _hasher is None:
        from csm_graph.settings import get_settings

        configure(get_settings())
    assert _hasher is not None
    return _hasher


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash burns the same time and fails."""
    return await asyncio.to_thread(_verify, password_hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    h = hasher()
    try:
        return h.verify(password_hash or _decoy_hash or "", password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)
