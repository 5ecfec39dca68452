"""Upgrading the stored database of the first released schema (tests/data/schema-1.db):
a backup first, every migration or none, the data intact; a file from a newer
slaboard refused untouched; a migration that fails leaves the file as it was."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.store import SCHEMA_VERSION, Store, StoreError
from slaboard.store.schema import KNOWN_MIGRATIONS

from .conftest import PY, ROOT, assert_one_line_error, cli_env, content, digest, integrity, run_cli

SCHEMA_1 = ROOT / "tests" / "data" / "schema-1.db"
# Header fields SQLite's backup API rewrites (change counter, schema cookie,
# version-valid-for); every other byte of a faithful copy is the original's.
HEADER_COUNTERS = set(range(24, 28)) | set(range(40, 44)) | set(range(92, 96))
UPGRADERS = 4  # processes opening the same old file at once


def old_copy(tmp_path: Path, name: str = "old.db") -> Path:
    path = tmp_path / name
    shutil.copyfile(SCHEMA_1, path)
    return path


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_stored_file_is_the_first_schema() -> None:
    assert rows(SCHEMA_1, "PRAGMA user_version") == [(1,)]
    assert rows(SCHEMA_1, "SELECT name FROM _sqlite_migrations") == [(KNOWN_MIGRATIONS[0],)]
    assert SCHEMA_VERSION > 1  # else there is nothing to upgrade


def test_upgrade_takes_a_backup_first_and_keeps_every_row(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    path.chmod(0o600)
    before = content(path)
    assert rows(path, "SELECT COUNT(*) FROM tickets")[0][0] > 0 and rows(path, "SELECT COUNT(*) FROM clock_outcomes")[0][0] > 0
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        tickets = {t.id: t for t, _ in store.ticket_rows_with_zone()}
        assert set(tickets) == {r[0] for r in before["table tickets"]}
    backup = tmp_path / "old.db.schema-1.bak"
    assert backup.exists() and backup.stat().st_mode & 0o777 == 0o600  # as private as the database, no wider
    assert content(backup) == before
    original, copy = SCHEMA_1.read_bytes(), backup.read_bytes()
    assert len(original) == len(copy)
    assert [i for i in range(len(original)) if original[i] != copy[i] and i not in HEADER_COUNTERS] == []
    after = content(path)
    for table in ("tickets", "events", "clock_outcomes", "communications", "customers", "contracts", "levels",
                  "calendars", "services", "meta"):
        # Every row as it was; a migration may add columns after them (events gain their ticket version).
        width = len(before[f"table {table}"][0]) if before[f"table {table}"] else 0
        assert [r[:width] for r in after[f"table {table}"]] == before[f"table {table}"], table
    assert all(r[-1] is None for r in after["table events"])  # versions unknown for events written before 0002
    assert [r[0] for r in rows(path, "SELECT name FROM _sqlite_migrations ORDER BY rowid")] == KNOWN_MIGRATIONS
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert rows(path, "SELECT COUNT(*) FROM sla_outcomes")[0][0] == len(before["table clock_outcomes"])
    assert integrity(path) == ["ok"]
    check = run_cli(path, "check")
    assert check.returncode == 0, check.stdout
    # Opening again changes nothing and takes no second backup.
    with Store.open(path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == ["old.db.schema-1.bak"]


def test_upgrade_through_the_command_line_then_work_on(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    listed = run_cli(path, "ticket", "list", "--all", "--json")
    assert listed.returncode == 0 and not listed.stderr, listed.stderr
    new = run_cli(path, "ticket", "new", "--customer=KBA", "--service=email", "--title=after the upgrade", "--json")
    assert new.returncode == 0, new.stderr
    assert run_cli(path, "check").returncode == 0


def test_several_processes_upgrading_at_once(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    before = content(path)
    procs = [subprocess.Popen([PY, "-m", "slaboard", "ticket", "list", "--db", str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=cli_env()) for _ in range(UPGRADERS)]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    assert all(code == 0 and not err for (_, err), code in results), results
    assert [r[0] for r in rows(path, "SELECT name FROM _sqlite_migrations ORDER BY rowid")] == KNOWN_MIGRATIONS
    assert rows(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert content(path)["table tickets"] == before["table tickets"]
    assert run_cli(path, "check").returncode == 0


@pytest.mark.parametrize("how", ["unknown migration", "higher user_version"])
def test_a_file_from_a_newer_slaboard_is_refused_untouched(tmp_path: Path, how: str) -> None:
    path = old_copy(tmp_path)
    conn = sqlite3.connect(path)
    if how == "unknown migration":
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('slaboard', '0099_from_the_future', '2030-01-01')")
    else:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreError, match="newer slaboard") as excinfo:
        Store.open(path)
    assert "not changed" in str(excinfo.value)
    with pytest.raises(StoreError, match="newer slaboard"):
        Store.open(path, create=True)
    for argv in (["ticket", "list"], ["check"], ["init"], ["ticket", "new", "--customer=KBA", "--service=email", "--title=x"]):
        assert_one_line_error(run_cli(path, *argv), "newer slaboard")
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]  # no backup, no journal left behind


def test_a_migration_that_fails_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE sla_outcomes (x)")  # migration 0002's CREATE VIEW will fail on it
    conn.commit()
    conn.close()
    before, before_bytes = content(path), digest(path)
    with pytest.raises(StoreError) as excinfo:
        Store.open(path)
    message = str(excinfo.value)
    assert "the file was not changed" in message and "sla_outcomes" in message
    assert content(path) == before and digest(path) == before_bytes
    assert rows(path, "PRAGMA user_version") == [(1,)]
    # The command line says so in one line, and still leaves the file alone.
    assert_one_line_error(run_cli(path, "ticket", "list"), "not changed")
    assert content(path) == before and digest(path) == before_bytes
    assert integrity(path) == ["ok"]


def test_upgrade_gives_old_outcomes_their_customer_local_day_and_span(tmp_path: Path) -> None:
    """Reports read a stopped clock's customer, service, local day (in the call's own
    zone) and calendar span from the outcome itself: an upgrade fills them in."""
    path = old_copy(tmp_path)
    with Store.open(path):
        pass
    got = rows(path, """SELECT o.customer, o.service, o.local_day, o.span_seconds, t.customer, t.service, t.tz,
                               o.stopped_at, o.started_at
                        FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id""")
    assert got
    for customer, service, day, span, t_customer, t_service, tz, stopped, started in got:
        stop, start = datetime.fromisoformat(stopped), datetime.fromisoformat(started)
        assert (customer, service) == (t_customer, t_service)
        assert day == stop.astimezone(ZoneInfo(tz)).date().isoformat()
        assert span == int((stop - start).total_seconds())
