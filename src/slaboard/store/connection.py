"""Opening the shared SQLite file safely, and write transactions that never fail
with "database is locked" under concurrency."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from slaboard.store.schema import APPLICATION_ID, KNOWN_MIGRATIONS, SCHEMA_VERSION, migrations


def _busy_timeout_ms() -> int:
    """How long a write waits for another writer: SLABOARD_BUSY_TIMEOUT_MS, else 10 s."""
    try:
        return max(0, int(os.environ.get("SLABOARD_BUSY_TIMEOUT_MS", "10000")))
    except ValueError:
        return 10_000


BUSY_TIMEOUT_MS = _busy_timeout_ms()


class StoreError(Exception):
    """A problem with the database that a user can act on; the message says how."""


class ConflictError(StoreError):
    """A save based on a stale version of a ticket."""

    def __init__(self, ticket_id: int, expected: int, found: int, changes: list[str] | None = None) -> None:
        self.ticket_id, self.expected, self.found = ticket_id, expected, found
        self.changes = changes or []
        what = f": {'; '.join(self.changes)}" if self.changes else ""
        super().__init__(
            f"ticket #{ticket_id} was changed by someone else (version {found}, you had {expected}){what}; "
            "reload it and try again"
        )


def error_kind(err: sqlite3.Error) -> str:
    """SQLite's primary result name for ``err`` ("SQLITE_BUSY", "SQLITE_FULL", ...):
    the extended code (``sqlite_errorcode``) with its extension bits masked off, so
    SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY and SQLITE_READONLY_DBMOVED is
    SQLITE_READONLY. Errors raised by the module itself (no code) are "".
    Classifying by code, not by words in the message, keeps working whatever
    SQLite's wording or language."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return ""
    return _PRIMARY.get(code & 0xFF, getattr(err, "sqlite_errorname", "") or "")


_PRIMARY = {getattr(sqlite3, name): name for name in (
    "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_FULL",
    "SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_PERM", "SQLITE_AUTH", "SQLITE_NOMEM")}


def _is_busy(err: sqlite3.Error) -> bool:
    return error_kind(err) in ("SQLITE_BUSY", "SQLITE_LOCKED")


def connect(
    path: str | Path, *, create: bool = False, readonly: bool = False, any_thread: bool = False
) -> sqlite3.Connection:
    """A connection set up for a shared file: WAL, busy timeout, foreign keys, and
    autocommit at the driver level so that transactions are ours (BEGIN IMMEDIATE).

    ``any_thread`` lets a series of worker threads use it, one at a time."""
    p = Path(path)
    try:
        return _connect(p, create=create, readonly=readonly, any_thread=any_thread)
    except PermissionError:
        raise StoreError(f"cannot open {p}: permission denied (check the file's and its folders' permissions)") from None


def _connect(p: Path, *, create: bool, readonly: bool, any_thread: bool) -> sqlite3.Connection:
    if p.is_dir():
        raise StoreError(f"{p} is a directory, not a database file; give a file path with --db")
    if p.exists() and not p.is_file():  # a pipe or a device: reading its header would wait forever
        raise StoreError(f"{p} is not a regular file (a pipe, socket or device); give a database file with --db")
    if not p.exists():
        if not create:
            raise StoreError(f"no database at {p}; create one with 'slaboard init' (or try 'slaboard demo')")
        if not p.parent.exists():
            raise StoreError(f"cannot create {p}: the folder {p.parent} does not exist")
    elif not os.access(p, os.R_OK):
        raise StoreError(f"cannot read {p}: permission denied")
    elif 0 < p.stat().st_size < 512:  # a database is at least one page of 512 bytes
        raise StoreError(f"{p} is not a SQLite database (not a slaboard file); give another path with --db")
    # The file is never opened here to look at its header: closing any descriptor of
    # it would drop the locks this process's other connections hold on it (POSIX),
    # and another process would then remove the WAL from under them. SQLite reads
    # the header itself; a file that is not a database fails check_identity.
    mode = "ro" if readonly else ("rwc" if create else "rw")
    uri = f"{p.resolve().as_uri()}?mode={mode}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=not any_thread, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as err:
        raise StoreError(_describe(p, err)) from None
    return conn


def share(conn: sqlite3.Connection, path: Path) -> None:
    """WAL journal for many readers beside one writer; only once the file is known
    to be ours (switching modes writes to the file)."""
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as err:
        raise StoreError(_describe(path, err)) from None


def _describe(p: Path, err: sqlite3.DatabaseError) -> str:
    kind = error_kind(err)
    if kind == "SQLITE_NOTADB":
        return f"{p} is not a SQLite database (not a slaboard file); give another path with --db"
    if kind in ("SQLITE_READONLY", "SQLITE_PERM"):
        return f"{p} is read-only for you: check the file's and its folder's permissions"
    if kind == "SQLITE_CANTOPEN":
        return f"cannot open {p}: check that the path and its folder exist and are writable"
    if kind == "SQLITE_IOERR":
        return f"{p}: the disk refused to read or write (full, over quota or failing?)"
    if kind == "SQLITE_FULL":
        return f"{p}: the disk is full; free some space and try again"
    if kind == "SQLITE_CORRUPT":
        return f"{p} is damaged (SQLite reports it malformed); restore it from a backup"
    if _is_busy(err):
        return f"{p} is locked by another program; try again in a moment"
    return f"{p}: {err}"


@contextmanager
def write_transaction(conn: sqlite3.Connection, attempts: int = 3) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken up front so a
    transaction never fails half-way with SQLITE_BUSY; waiting for the lock is
    retried with back-off well past the busy timeout."""
    delay = 0.005
    for attempt in range(attempts):
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as err:
            if not _is_busy(err):
                raise
            if attempt == attempts - 1:
                raise StoreError("the database stayed locked by another program; try again in a moment") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.DatabaseError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def check_identity(conn: sqlite3.Connection, path: Path) -> str:
    """``"empty"``, ``"current"``, ``"older"`` (migrations pending); raises StoreError
    for a foreign database or one from a newer slaboard."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        raise StoreError(_describe(path, err)) from None
    except UnicodeDecodeError:
        raise StoreError(f"{path} is damaged (its schema cannot be read); restore a backup with 'slaboard restore'") from None
    if not tables:
        return "empty"
    if app_id != APPLICATION_ID:
        raise StoreError(f"{path} is a SQLite database but not a slaboard database; give another path with --db")
    applied = []
    if "_sqlite_migrations" in tables:
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", ["slaboard"]
            )
        ]
    unknown = [name for name in applied if name not in KNOWN_MIGRATIONS]
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    if unknown or user_version > SCHEMA_VERSION:
        known = f"it has upgrades this one does not know ({', '.join(unknown)})" if unknown else (
            f"schema {user_version}, this one knows {SCHEMA_VERSION}"
        )
        raise StoreError(
            f"{path} was written by a newer slaboard ({known}); upgrade slaboard to open it. The file was not changed."
        )
    return "current" if len(applied) == SCHEMA_VERSION else "older"


def migrate(conn: sqlite3.Connection) -> None:
    """Apply pending migrations in one immediate transaction (all or nothing)."""
    db = Database(conn, execute_plugins=False, recursive_triggers=False)
    with write_transaction(conn):
        migrations.apply(db)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
