"""Operators who sign in to a served board: names, passwords, disabling, lockout.

Passwords are kept only as argon2id hashes (argon2-cffi, its default parameters);
an operator known only through an authenticating proxy has none. A disabled
operator can no longer sign in, and everything they did keeps their name. After
``LOCK_AFTER`` failed sign-ins in a row an operator is locked for ``LOCK_MINUTES``
(``slaboard operator enable`` lifts it at once).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from slaboard.config import ConfigError, operator_name
from slaboard.domain import Operator
from slaboard.services.tickets import ServiceError
from slaboard.store import Store
from slaboard.store.connection import StoreError
from slaboard.textfmt import plain

if TYPE_CHECKING:
    from argon2 import PasswordHasher

LOCK_AFTER = 5
LOCK_MINUTES = 15
SHORTEST_PASSWORD = 10
LONGEST_PASSWORD = 1024
LONGEST_NAME = 64


class LoginRefused(ServiceError):
    """A sign-in that does not go through; the message is the one to show (it never
    says whether the name or the password was wrong)."""


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def checked_name(name: str) -> str:
    try:
        value = operator_name(name)
    except ConfigError as err:
        raise ServiceError(str(err).replace("set --operator or SLABOARD_OPERATOR", "give a name")) from None
    if plain(value) != value:
        raise ServiceError("an operator name is plain text: no control, invisible or direction characters")
    if len(value) > LONGEST_NAME:
        raise ServiceError(f"an operator name has at most {LONGEST_NAME} characters, not {len(value)}")
    return value


def checked_password(password: str) -> str:
    if len(password) < SHORTEST_PASSWORD:
        raise ServiceError(f"a password needs at least {SHORTEST_PASSWORD} characters")
    if len(password) > LONGEST_PASSWORD:
        raise ServiceError(f"a password has at most {LONGEST_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return str(_hasher().hash(checked_password(password)))


def add_operator(store: Store, name: str, password: str | None, now: datetime) -> Operator:
    """A new operator, with a password, or without one (known only through a proxy)."""
    name = checked_name(name)
    digest = hash_password(password) if password is not None else None
    try:
        store.add_operator(name, digest, now)
    except StoreError as err:
        raise ServiceError(str(err)) from None
    found = store.operator(name)
    assert found is not None
    return found


def _existing(store: Store, name: str) -> Operator:
    found = store.operator(name.strip())
    if found is None:
        raise ServiceError(f"there is no operator {name.strip()!r}; 'slaboard operator list' shows them")
    return found


def set_password(store: Store, name: str, password: str) -> Operator:
    who = _existing(store, name)
    store.update_operator(who.name, password_hash=hash_password(password), failed_logins=0, locked_until=None)
    return _existing(store, who.name)


def disable_operator(store: Store, name: str, now: datetime) -> Operator:
    who = _existing(store, name)
    if who.disabled_at is None:
        store.update_operator(who.name, disabled_at=now)
    return _existing(store, who.name)


def enable_operator(store: Store, name: str) -> Operator:
    """Enabled again, and any lockout lifted."""
    who = _existing(store, name)
    store.update_operator(who.name, disabled_at=None, failed_logins=0, locked_until=None)
    return _existing(store, who.name)


WRONG = "the name or the password is wrong"


def authenticate(store: Store, name: str, password: str, now: datetime) -> Operator:
    """The operator whose name and password these are; LoginRefused otherwise (a
    wrong password counts towards the lockout)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    name = name.strip()
    who = store.operator(name) if name and len(name) <= LONGEST_NAME else None
    digest = store.operator_password_hash(who.name) if who is not None else None
    if who is not None and who.locked_until is not None and who.locked_until > now:
        raise LoginRefused(f"too many failed sign-ins: {who.name} is locked for a while "
                           f"(until {who.locked_until:%H:%M} UTC, or until an administrator enables it again)")
    if who is None or digest is None or who.disabled_at is not None or len(password) > LONGEST_PASSWORD:
        # The same work as a real check, so the answer's timing tells nothing.
        try:
            hasher.verify(_dummy_hash(), password[:LONGEST_PASSWORD])
        except (VerificationError, InvalidHashError):
            pass
        if who is not None and digest is not None and who.disabled_at is None:
            store.failed_login(who.name, now, LOCK_AFTER, now + timedelta(minutes=LOCK_MINUTES))
        raise LoginRefused(WRONG)
    try:
        hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        store.failed_login(who.name, now, LOCK_AFTER, now + timedelta(minutes=LOCK_MINUTES))
        raise LoginRefused(WRONG) from None
    fields: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if hasher.check_needs_rehash(digest):
        fields["password_hash"] = hasher.hash(password)
    store.update_operator(who.name, **fields)
    return _existing(store, who.name)


def may_work(store: Store, name: str) -> Operator | None:
    """The operator ``name`` when they exist and are not disabled (for sessions
    already signed in, and for names an authenticating proxy gives)."""
    who = store.operator(name.strip()) if name.strip() else None
    return who if who is not None and who.disabled_at is None else None


@cache
def _dummy_hash() -> str:
    """A hash of a random password nobody knows, verified against when the name is
    unknown so that an unknown name costs the same time as a wrong password."""
    return str(_hasher().hash(secrets.token_hex(16)))
