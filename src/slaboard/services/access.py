"""The database as the screens hold it: a handle they open and hand to the services,
and the errors a user can meet. The screens import these from here, never from
``slaboard.store``, so that nothing above the services knows how the data is kept."""

from __future__ import annotations

from pathlib import Path

from slaboard.services.tickets import ServiceError
from slaboard.store import Attachment, ConflictError, MailState, Store, StoreError
from slaboard.store.store import is_url

#: What a read or a change can fail with that is the user's to see (not a bug).
USER_ERRORS: tuple[type[Exception], ...] = (ServiceError, StoreError, ConflictError)


def is_database_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (a URL) rather than a file."""
    return is_url(target)


def open_store(path: str | Path, *, readonly: bool = False, any_thread: bool = False) -> Store:
    """The database at ``path`` (a context manager: closed when the block ends)."""
    return Store.open(path, readonly=readonly, any_thread=any_thread)


__all__ = ["USER_ERRORS", "Attachment", "ConflictError", "MailState", "ServiceError", "Store", "StoreError", "is_database_url", "open_store"]
