"""The store: connection set-up, identity checks, ticket numbers, optimistic
concurrency, the append-only events table and the SQL views."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from slaboard.domain import Event, Ticket
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import ConflictError, Store, StoreError, iso
from slaboard.store.schema import APPLICATION_ID, KNOWN_MIGRATIONS, SCHEMA_VERSION


def call(title="Printer jams", **kw):
    return NewCall(customer=kw.pop("customer", "acme"), service=kw.pop("service", "email"), title=title, **kw)


def plain(path: Path) -> sqlite3.Connection:
    """A connection that is not the store's, as any SQLite tool would open the file."""
    return sqlite3.connect(path)


# ------------------------------------------------------------------ connection


@pytest.mark.sqlite_only  # the SQLite file itself
def test_connection_uses_wal_foreign_keys_and_busy_timeout(empty_store):
    conn = empty_store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


@pytest.mark.sqlite_only  # the SQLite file itself
def test_wal_mode_is_a_property_of_the_file(empty_store):
    conn = plain(empty_store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def engine_error(store: Store, kind: str) -> type[Exception]:
    """The driver's exception for ``kind`` of failure on the store's engine."""
    if store.engine == "sqlite":
        return {"integrity": sqlite3.IntegrityError, "database": sqlite3.DatabaseError}[kind]
    import psycopg

    return {"integrity": psycopg.errors.IntegrityError, "database": psycopg.Error}[kind]


def other_connection(store: Store):  # type: ignore[no-untyped-def]
    """A connection that is not the store's, as any tool of the engine would open it."""
    if store.engine == "sqlite":
        return plain(store.path)
    import psycopg

    return psycopg.connect(store.url, autocommit=True)  # type: ignore[attr-defined]


def test_foreign_keys_are_enforced(small_store, now):
    with pytest.raises(engine_error(small_store, "integrity")):
        with small_store.write():
            small_store.conn.execute(
                "INSERT INTO events (ticket_id, at, operator, kind) VALUES (424242, ?, 'ann', 'x')", [iso(now)]
            )


def test_write_rolls_back_on_error(small_store, now, row_counts):
    before = row_counts(small_store.path)
    with pytest.raises(RuntimeError):
        with small_store.write():
            open_call(small_store, call(), "ann", now)
            raise RuntimeError("boom")
    assert row_counts(small_store.path) == before
    assert not small_store.conn.in_transaction


def test_reopening_a_database_keeps_its_data(small_store, now):
    open_call(small_store, call(), "ann", now)
    path = small_store.path
    small_store.close()
    with Store.open(path) as again:
        assert again.count_tickets() == 1
        assert again.customer("acme").name == "Acme Logistics"


def test_missing_database_without_create_is_refused(tmp_path):
    with pytest.raises(StoreError, match="no database at .*slaboard init"):
        Store.open(tmp_path / "nothing.db")
    assert not (tmp_path / "nothing.db").exists()


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "no" / "such" / "folder.db", create=True)


def test_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory, not a database file"):
        Store.open(tmp_path, create=True)


def test_non_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n" * 50, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not a SQLite database"):
        Store.open(path)
    with pytest.raises(StoreError, match="is not a SQLite database"):
        Store.open(path, create=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def foreign_database(path: Path) -> bytes:
    """Another application's SQLite file (rollback journal, the default)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO photos (name) VALUES ('beach.jpg')")
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_sqlite_file_of_another_app_is_refused(tmp_path):
    path = tmp_path / "photos.db"
    foreign_database(path)
    with pytest.raises(StoreError, match="is a SQLite database but not a slaboard database"):
        Store.open(path)
    with pytest.raises(StoreError, match="not a slaboard database"):
        Store.open(path, create=True)


def test_sqlite_file_of_another_app_is_not_altered(tmp_path):
    # "A database that is not a slaboard database gets one clear line ... and
    # nothing is written": not even a switch of its journal mode to WAL.
    path = tmp_path / "photos.db"
    before = foreign_database(path)
    with pytest.raises(StoreError):
        Store.open(path)
    assert path.read_bytes() == before
    conn = plain(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_empty_file_is_refused_without_being_written(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(StoreError, match="is empty, not a slaboard database"):
        Store.open(path)
    assert path.stat().st_size == 0


def make_newer(path: Path, now) -> None:
    with Store.open(path, create=True):
        pass
    conn = plain(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('slaboard', '9999_future', ?)",
        [iso(now)],
    )
    conn.commit()
    conn.close()


def test_database_of_a_newer_slaboard_is_refused_and_not_changed(tmp_path, now):
    path = tmp_path / "newer.db"
    make_newer(path, now)
    before = path.read_bytes()
    with pytest.raises(StoreError) as excinfo:
        Store.open(path)
    assert "newer" in str(excinfo.value)
    assert "not changed" in str(excinfo.value)
    with pytest.raises(StoreError, match="newer"):
        Store.open(path, create=True)
    assert path.read_bytes() == before
    conn = plain(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    finally:
        conn.close()
    assert names[:-1] == KNOWN_MIGRATIONS and names[-1] == "9999_future"


def test_database_with_a_newer_user_version_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    with Store.open(path, create=True):
        pass
    conn = plain(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_create_on_an_existing_database_keeps_it(small_store, now):
    open_call(small_store, call(), "ann", now)
    with Store.open(small_store.path, create=True) as again:
        assert again.count_tickets() == 1


# ------------------------------------------------------------------ tickets


def test_ticket_numbers_start_at_1001_and_have_no_gaps(small_store, now):
    ids = [open_call(small_store, call(f"call {n}"), "ann", now).ticket.id for n in range(3)]
    assert ids == [1001, 1002, 1003]
    # A call that is refused does not use up a number.
    with pytest.raises(ValueError):
        open_call(small_store, call(service="fax"), "ann", now)
    # Neither does a write that is rolled back.
    with pytest.raises(RuntimeError):
        with small_store.write():
            open_call(small_store, call("rolled back"), "ann", now)
            raise RuntimeError("boom")
    assert open_call(small_store, call("after"), "ann", now).ticket.id == 1004
    assert [t.id for t, _ in small_store.recent_tickets()] == [1004, 1003, 1002, 1001]


def test_ticket_round_trips_through_the_store(small_store, now):
    opened = open_call(
        small_store,
        call("VPN down [red]", impact=1, urgency=2, caller="Jan", channel="email", description="since 9:00"),
        "ann",
        now - timedelta(minutes=20),
    ).ticket
    stored = small_store.ticket(opened.id)
    assert stored == opened
    assert stored.reported_at == now - timedelta(minutes=20)
    assert stored.reported_at.utcoffset() == timedelta(0)  # stored in UTC
    assert small_store.ticket_zone(opened.id) == "Europe/Amsterdam"
    assert small_store.ticket(999) is None


def test_update_bumps_the_version(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    assert ticket.version == 1
    first = update_ticket(small_store, ticket.id, operator="bob", now=now, assignee="bob").ticket
    second = update_ticket(small_store, ticket.id, operator="bob", now=now, status="diagnosing").ticket
    assert (first.version, second.version) == (2, 3)
    assert small_store.ticket(ticket.id).version == 3


def test_stale_version_is_refused_and_nothing_is_overwritten(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    theirs = small_store.update_ticket(
        ticket.model_copy(update={"assignee": "bob"}), 1,
        [Event(ticket_id=ticket.id, at=now, operator="bob", kind="field", field="assignee", new="bob")],
    )
    assert theirs.version == 2
    events_before = small_store.events(ticket.id)
    with pytest.raises(ConflictError) as excinfo:
        small_store.update_ticket(
            ticket.model_copy(update={"assignee": "carol", "title": "Mine"}), 1,
            [Event(ticket_id=ticket.id, at=now, operator="carol", kind="field", field="assignee", new="carol")],
        )
    err = excinfo.value
    assert (err.ticket_id, err.expected, err.found) == (ticket.id, 1, 2)
    assert "changed by someone else" in str(err)
    assert any("bob set assignee" in change for change in err.changes)
    stored = small_store.ticket(ticket.id)
    assert (stored.assignee, stored.title, stored.version) == ("bob", "Printer jams", 2)
    assert small_store.events(ticket.id) == events_before
    assert not small_store.conn.in_transaction


def test_stale_version_through_the_service_is_refused(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="bob", now=now, assignee="bob")
    with pytest.raises(ConflictError):
        update_ticket(small_store, ticket.id, operator="carol", now=now, assignee="carol", expected_version=1)
    assert small_store.ticket(ticket.id).assignee == "bob"


def test_update_of_a_missing_ticket_is_refused(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    with pytest.raises(StoreError, match="no ticket #9999"):
        small_store.update_ticket(ticket.model_copy(update={"id": 9999}), 1, [])


def test_naive_instants_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="no time zone"):
        iso(datetime(2026, 1, 1, 9, 0))
    assert iso(datetime(2026, 1, 1, 10, 0, tzinfo=UTC)) == "2026-01-01T10:00:00+00:00"


# ------------------------------------------------------------------ events


def test_events_are_append_only(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="bob", now=now, status="diagnosing")
    before = small_store.events(ticket.id)
    assert [e.kind for e in before] == ["created", "status"]
    refused = engine_error(small_store, "database")
    with pytest.raises(refused, match="append-only"):
        small_store.conn.execute("UPDATE events SET operator = 'mallory'")
    with pytest.raises(refused, match="append-only"):
        small_store.conn.execute("DELETE FROM events")
    conn = other_connection(small_store)
    try:
        with pytest.raises(refused, match="append-only"):
            conn.execute("DELETE FROM events WHERE id = 1")
    finally:
        conn.close()
    assert small_store.events(ticket.id) == before


def test_event_keeps_who_when_what(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    later = now + timedelta(minutes=7)
    update_ticket(small_store, ticket.id, operator="bob", now=later, assignee="bob")
    event = small_store.events(ticket.id)[-1]
    assert (event.operator, event.kind, event.field, event.old, event.new) == ("bob", "field", "assignee", "", "bob")
    assert event.at == later


# ------------------------------------------------------------------ views


@pytest.mark.sqlite_only  # the SQLite file itself
def test_views_make_the_file_readable(small_store, now):
    first = open_call(small_store, call("Mail down", impact=1, urgency=1), "ann", now).ticket
    second = open_call(small_store, call("Printer", service="printing"), "ann", now).ticket
    update_ticket(small_store, second.id, operator="bob", now=now, status="resolved")

    conn = plain(small_store.path)
    conn.row_factory = sqlite3.Row
    try:
        open_rows = [dict(r) for r in conn.execute("SELECT * FROM open_tickets")]
        contracts = [dict(r) for r in conn.execute("SELECT * FROM contracts_in_force ORDER BY customer_code")]
        history = [dict(r) for r in conn.execute("SELECT * FROM ticket_history")]
    finally:
        conn.close()

    assert [(r["id"], r["customer_code"], r["priority"], r["status"]) for r in open_rows] == [
        (first.id, "ACME", "P1", "new")
    ]
    assert open_rows[0]["resolution_due"] == iso(first.resolution_due)
    assert [(r["customer_code"], r["key"], r["version"], r["level"]) for r in contracts] == [
        ("ACME", "acme-2026-01-01", 1, "gold"),
        ("TUL", "tulip-2026-01-01", 1, "bronze"),
    ]
    # A 'created' row records the call as logged (JSON); later rows one change each.
    assert [(r["ticket_id"], r["kind"], r["new"] if r["kind"] != "created" else json.loads(r["new"])["status"]) for r in history] == [
        (first.id, "created", "new"),
        (second.id, "created", "new"),
        (second.id, "status", "resolved"),
    ]


def test_contracts_in_force_view_shows_only_current_versions(small_store, small_contracts, tmp_path, now):
    from slaboard.services.loading import load_files

    path = tmp_path / "v2.toml"
    path.write_text(small_contracts.replace("price_per_month = 2000", "price_per_month = 2100"), encoding="utf-8")
    load_files(small_store, [path], now)
    rows = small_store.conn.execute(
        "SELECT key, version, price_per_month FROM contracts_in_force ORDER BY key"
    ).fetchall()
    assert rows == [("acme-2026-01-01", 2, 2100.0), ("tulip-2026-01-01", 1, 450.0)]


def test_data_version_moves_when_another_connection_writes(small_store, now):
    with Store.open(small_store.path) as other:
        before = small_store.data_version()
        open_call(other, call(), "bob", now)
        assert small_store.data_version() != before
        assert small_store.count_tickets() == 1


def test_two_stores_on_one_file_never_reuse_a_ticket_number(small_store, now):
    with Store.open(small_store.path) as other:
        ids = []
        for n in range(6):
            store = small_store if n % 2 else other
            ids.append(open_call(store, call(f"call {n}"), "ann", now).ticket.id)
    assert ids == list(range(1001, 1007))


def test_outcomes_are_stored_in_utc(small_store, now):
    # The store keeps instants in UTC "so text order is time order"; clock
    # outcomes (with an index on stopped_at for reports) must follow the rule.
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="bob", now=now + timedelta(minutes=10), status="resolved")
    outcomes = small_store.outcomes(ticket.id)
    assert outcomes
    for outcome in outcomes.values():
        assert outcome["stopped_at"] == iso(now + timedelta(minutes=10))
        assert outcome["due"].endswith("+00:00"), outcome["due"]


def test_ticket_model_is_what_the_store_returns(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    assert isinstance(small_store.ticket(ticket.id), Ticket)
    rows = small_store.open_tickets()
    assert [(t.id, tz) for t, tz in rows] == [(ticket.id, "Europe/Amsterdam")]


def test_sqlite_errors_are_told_apart_by_their_code_not_their_words(tmp_path: Path) -> None:
    from slaboard.store.connection import error_kind

    path = tmp_path / "kinds.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("SELECT * FROM t").fetchall()
    holder.execute("ROLLBACK")
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        reader.execute("INSERT INTO t VALUES (1)")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is no database" * 100)
    with pytest.raises(sqlite3.DatabaseError) as notadb:
        sqlite3.connect(junk).execute("SELECT * FROM sqlite_master").fetchall()
    for conn in (holder, other, reader):
        conn.close()
    assert [error_kind(e.value) for e in (busy, readonly, notadb)] == ["SQLITE_BUSY", "SQLITE_READONLY", "SQLITE_NOTADB"]
    assert error_kind(sqlite3.ProgrammingError("closed")) == ""


# ------------------------------------------------------------------ a closed billing period


CLOSED_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
try:
    import psycopg

    CLOSED_ERRORS += (psycopg.Error,)
except ImportError:  # the PostgreSQL driver is optional; the file's test runs without it
    pass


def test_a_closed_billing_period_refuses_any_change_to_its_time_entries(small_store, now) -> None:
    """In the database itself, on both engines: a correction is a new entry in an
    open period, never a change to a closed one."""
    t = open_call(small_store, NewCall(customer="acme", service="email", title="x"), "ann", now).ticket.id
    conn = small_store.conn

    def entry(period: str) -> None:
        conn.execute("INSERT INTO time_entries (ticket_id, customer, operator, started_at, ended_at, minutes, period, "
                     "created_at, updated_at) VALUES (?, 'acme', 'ann', ?, ?, 30, ?, ?, ?)",
                     [t, iso(now - timedelta(hours=1)), iso(now - timedelta(minutes=30)), period, iso(now), iso(now)])

    with small_store.write():
        entry("2026-10")
        entry("2026-11")
        conn.execute("INSERT INTO billing_periods (period, closed_at, closed_by, figures) VALUES ('2026-10', ?, 'ann', '{}')",
                     [iso(now)])
    for sql in ("UPDATE time_entries SET minutes = 45 WHERE period = '2026-10'",
                "UPDATE time_entries SET period = '2026-10' WHERE period = '2026-11'",
                "DELETE FROM time_entries WHERE period = '2026-10'"):
        with pytest.raises(CLOSED_ERRORS, match="the billing period is closed"):
            with small_store.write():
                conn.execute(sql)
    with pytest.raises(CLOSED_ERRORS, match="the billing period is closed"):
        with small_store.write():
            entry("2026-10")
    rows = conn.execute("SELECT period, minutes FROM time_entries ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("2026-10", 30), ("2026-11", 30)]
    with small_store.write():  # the open month still changes
        conn.execute("UPDATE time_entries SET minutes = 45 WHERE period = '2026-11'")
        entry("2026-11")
    assert conn.execute("SELECT COUNT(*) FROM time_entries WHERE period = '2026-11'").fetchone()[0] == 2


def test_opening_another_store_in_the_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    """POSIX drops every lock a process holds on a file when any descriptor of it
    is closed. Opening a store must never read the file by itself: the board's and
    the watcher's long-lived connection would lose its locks to a worker's new one,
    and another operator's process, closing its last connection, would then take
    itself for the last one and remove the WAL from under them."""
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    Store.open(path, create=True).close()
    with Store.open(path) as first:
        first.customers()  # reading: the WAL index (-shm) is in use by this process
        Store.open(path).close()  # a worker's connection, opened and closed in the same process
        other = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                 "c.execute('SELECT count(*) FROM sqlite_master').fetchone(); c.close()")
        subprocess.run([sys.executable, "-c", other, str(path)], check=True)
        assert Path(f"{path}-shm").exists(), "another process removed the WAL index from under an open store"
        assert first.customers() == []
        with first.write():
            first.conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'still writable')")
