"""The store on PostgreSQL against a real server the tests start themselves: the
same tables and columns as the SQLite file, instants as timestamptz, the change feed
by LISTEN/NOTIFY, writers that follow each other, and one line for every database
that cannot be used (and never a password in it)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from pgserver import PgServer

from slaboard.cli import main
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call
from slaboard.store import Store, StoreError
from slaboard.store.postgres import PgStore, display, translate
from slaboard.store.schema import SCHEMA_VERSION

INSTANTS = {"reported_at", "created_at", "updated_at", "at", "due", "stopped_at"}


def columns_of_sqlite(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")]
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


def columns_of_postgres(url: str) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                               WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position""").fetchall()
        views = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.views "
                                            "WHERE table_schema = current_schema()")}
    out: dict[str, list[str]] = {}
    types = {}
    for table, column, kind in rows:
        if table in views or table == "slaboard_schema":
            continue
        out.setdefault(table, []).append(column)
        types[(table, column)] = kind
    return out, types


def test_both_engines_have_the_same_tables_and_columns(tmp_path: Path, pg_server: PgServer) -> None:
    Store.open(tmp_path / "s.db", create=True).close()
    url = pg_server.new_database()
    Store.open(url, create=True).close()
    sqlite_columns = columns_of_sqlite(tmp_path / "s.db")
    pg_columns, types = columns_of_postgres(url)
    assert {t: sorted(c) for t, c in pg_columns.items()} == {t: sorted(c) for t, c in sqlite_columns.items()}
    # Instants are timestamptz on PostgreSQL (ISO text in UTC in the file).
    instants = [(t, c) for t, cs in pg_columns.items() for c in cs if c in INSTANTS or c.endswith("_at")]
    assert instants and all(types[i] == "timestamp with time zone" for i in instants), instants


def test_instants_come_back_as_the_files_utc_text(pg_server: PgServer, small_file: Path, now: datetime) -> None:
    small_store = Store.open(pg_server.new_database(), create=True)
    load_files(small_store, [small_file], now)
    ticket = open_call(small_store, NewCall(customer="ACME", service="email", title="t", reported_at=now), "ann",
                       now).ticket
    raw = small_store.conn.execute("SELECT reported_at FROM tickets WHERE id = ?", [ticket.id]).fetchone()[0]
    assert raw == "2026-11-26T09:00:00+00:00"
    with psycopg.connect(small_store.url) as conn:  # type: ignore[attr-defined]
        assert conn.execute("SELECT pg_typeof(reported_at)::text FROM tickets").fetchone()[0] == "timestamp with time zone"


def test_another_connections_write_moves_the_data_version(pg_server: PgServer, small_file: Path, now: datetime) -> None:
    url = pg_server.new_database()
    board = Store.open(url, create=True)
    writer = Store.open(url)
    load_files(writer, [small_file], now)
    first = board.data_version()
    open_call(writer, NewCall(customer="ACME", service="email", title="t", reported_at=now), "ann", now)
    deadline = datetime.now().timestamp() + 5
    while board.data_version() == first and datetime.now().timestamp() < deadline:
        pass
    assert board.data_version() > first
    seen = board.data_version()
    open_call(board, NewCall(customer="ACME", service="email", title="own", reported_at=now), "ann", now)
    assert board.data_version() == seen  # its own write is not another's
    board.close()
    writer.close()


def test_writers_at_once_never_share_a_ticket_number(pg_server: PgServer, small_file: Path, now: datetime) -> None:
    url = pg_server.new_database()
    with Store.open(url, create=True) as store:
        load_files(store, [small_file], now)
    numbers: list[int] = []
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Store.open(url) as store:
                for i in range(10):
                    call = NewCall(customer="ACME", service="email", title=f"{n}-{i}", reported_at=now)
                    numbers.append(open_call(store, call, "ann", now).ticket.id)
        except BaseException as err:  # noqa: BLE001 - reported below
            failures.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(numbers) == list(range(1001, 1001 + 80))


@pytest.mark.parametrize(("make", "words"), [
    (lambda s: s.url("no_such_database"), "does not exist"),
    (lambda s: s.url(user="nobody_here"), "nobody_here"),
    (lambda s: "postgresql://127.0.0.1:1/slaboard", "cannot open postgresql://127.0.0.1:1/slaboard"),
    (lambda s: "postgresql://[broken", "not a PostgreSQL URL"),
    (lambda s: "postgresql://ann:secret-pw@localhost/slaboard", "holds a password"),
])
def test_a_database_that_cannot_be_used_is_one_line_without_a_password(pg_server: PgServer, make, words,  # type: ignore[no-untyped-def]
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    url = make(pg_server)
    with pytest.raises(StoreError, match=words.replace("[", r"\[")) as caught:
        Store.open(url)
    assert "secret-pw" not in str(caught.value) and "\n" not in str(caught.value)
    assert main(["ticket", "list", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret-pw" not in err and "Traceback" not in err


def test_a_database_with_other_tables_is_refused_untouched(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreError, match="holds other tables .invoices."):
        Store.open(url, create=True)
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'public'")]
    assert tables == ["invoices"]


def test_a_newer_database_is_refused_untouched(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    Store.open(url, create=True).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO slaboard_schema (position, name) VALUES (99, '0099_from_the_future')")
    with pytest.raises(StoreError, match="newer slaboard.*0099_from_the_future"):
        Store.open(url)


def test_an_empty_database_needs_init_and_init_creates_it(pg_server: PgServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_server.new_database()
    assert main(["ticket", "list", "--db", url]) == 2
    assert "run 'slaboard init" in capsys.readouterr().err
    assert main(["init", "--db", url]) == 0
    with Store.open(url) as store:
        assert isinstance(store, PgStore) and store.schema_version() >= 5


def test_a_failed_creation_leaves_the_database_empty(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from slaboard.store import postgres

    url = pg_server.new_database()
    monkeypatch.setattr(postgres, "SCHEMA", [*postgres.SCHEMA[:5], "CREATE TABLE broken (", *postgres.SCHEMA[5:]])
    with pytest.raises(psycopg.Error):
        Store.open(url, create=True)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone() == (0,)


def test_a_read_only_connection_refuses_writes_in_one_line(pg_server: PgServer, small_file: Path, now: datetime) -> None:
    url = pg_server.new_database()
    with Store.open(url, create=True) as store:
        load_files(store, [small_file], now)
    with Store.open(url, readonly=True) as store:
        with pytest.raises(StoreError, match="read-only"):
            open_call(store, NewCall(customer="ACME", service="email", title="t", reported_at=now), "ann", now)
        assert store.last_seq() == 0


def test_queries_are_translated_outside_quoted_text() -> None:
    assert translate("SELECT '?%', x FROM t WHERE a = ? AND b LIKE '%s' ORDER BY name COLLATE NOCASE") == \
        "SELECT '?%%', x FROM t WHERE a = %s AND b LIKE '%%s' ORDER BY lower(name)"
    assert display("postgresql://ann@db.example.com:5433/slaboard?sslmode=require") == \
        "postgresql://ann@db.example.com:5433/slaboard"
    assert display("postgresql:///slaboard?host=/run/postgresql") == "postgresql:///slaboard?host=/run/postgresql"


def readme_roles_sql() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- postgresql roles -->", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    return [s.strip() for s in "\n".join(line for line in block.splitlines() if not line.strip().startswith("--"))
            .split(";") if s.strip()]


def test_the_readmes_roles_write_read_and_keep_the_history(pg_server: PgServer, small_file: Path, now: datetime,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The README's SQL, as it stands: the owner creates the tables, the writer
    works but cannot touch the history, the reader reads (the wall) and cannot write."""
    tag = f"r{pg_server.counter + 1}"
    pg_server.counter += 1
    statements = [s.replace("slaboard_", f"slaboard_{tag}_").replace("DATABASE slaboard ", f"DATABASE db_{tag} ")
                  for s in readme_roles_sql()]
    setup = [s for s in statements if s.startswith(("CREATE ROLE", "CREATE DATABASE"))]
    grants = [s for s in statements if s not in setup]
    assert len(setup) == 4 and len(grants) == 5
    for statement in setup:
        pg_server.sql(statement)
    owner, writer, reader = (pg_server.url(f"db_{tag}", user=f"slaboard_{tag}_{who}") for who in ("owner", "writer", "reader"))
    assert main(["init", "--db", owner]) == 0
    with Store.open(owner) as store:
        load_files(store, [small_file], now)
    for statement in grants:
        pg_server.sql(statement, database=f"db_{tag}")
    with Store.open(writer) as store:
        view = open_call(store, NewCall(customer="ACME", service="email", title="t", reported_at=now), "ann", now)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            store.conn.execute("UPDATE events SET operator = 'mallory'")
        with pytest.raises(StoreError, match="may not"), store.write():
            store.conn.execute("DELETE FROM events")
    from slaboard.services.wall import WallFeed

    wall = WallFeed(reader)
    snapshot = wall.poll(now)
    assert snapshot is not None and [v.ticket.id for v in snapshot.changed] == [view.ticket.id]
    wall.close()
    with Store.open(reader) as store:  # even opened for writing, the role cannot
        with pytest.raises(StoreError, match="may not|read-only"):
            open_call(store, NewCall(customer="ACME", service="email", title="x", reported_at=now), "ann", now)
    capsys.readouterr()
    assert main(["ticket", "new", "--customer", "ACME", "--service", "email", "--title", "x", "--db", reader]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_backup_and_restore_through_pg_dump(pg_server: PgServer, small_file: Path, now: datetime, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from slaboard.services.copying import counts, trail_digest

    url = pg_server.new_database()
    with Store.open(url, create=True) as store:
        load_files(store, [small_file], now)
        open_call(store, NewCall(customer="ACME", service="email", title="before", reported_at=now), "ann", now)
        before = (counts(store), trail_digest(store))
    dump = tmp_path / "slaboard.dump"
    assert main(["backup", str(dump), "--db", url]) == 0
    assert dump.stat().st_size > 0 and dump.stat().st_mode & 0o077 == 0  # owner-only: it holds everything
    assert main(["backup", str(dump), "--db", url]) == 2  # never overwrites
    with Store.open(url) as store:
        open_call(store, NewCall(customer="ACME", service="email", title="after", reported_at=now), "ann", now)
    capsys.readouterr()
    assert main(["restore", str(dump), "--db", url]) == 0
    with Store.open(url) as store:
        assert (counts(store), trail_digest(store)) == before
        view = open_call(store, NewCall(customer="ACME", service="email", title="again", reported_at=now), "ann", now)
        assert view.ticket.id == 1002  # numbers go on from the restored ones
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("not a dump\n")
    capsys.readouterr()
    assert main(["restore", str(not_a_dump), "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pg_restore" in err


def test_passwords_come_from_libpqs_own_places_and_are_never_shown(pg_server: PgServer, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from pgserver import require_password

    role = f"pw_{pg_server.counter + 1}"
    pg_server.counter += 1
    url = pg_server.new_database()
    database = url.split("///", 1)[1].split("?", 1)[0]
    pg_server.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'right-horse-battery'")
    pg_server.sql(f"GRANT ALL ON SCHEMA public TO {role}", database=database)
    require_password(pg_server, role)
    theirs = pg_server.url(database, user=role)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(StoreError, match="refused the password"):
        Store.open(theirs, create=True)
    monkeypatch.setenv("PGPASSWORD", "wrong-horse-battery")
    assert main(["init", "--db", theirs]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused the password" in err and "horse" not in err
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:{database}:{role}:right-horse-battery\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert main(["init", "--db", theirs]) == 0
    out = capsys.readouterr().out
    assert "horse" not in out
    with Store.open(theirs) as store:
        assert store.schema_version() >= 5


def older(pg_server: PgServer) -> str:
    """A database as slaboard left it before migration 0005 (no operators, no mail yet)."""
    url = pg_server.new_database()
    Store.open(url, create=True).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE operators")
        conn.execute("DROP TABLE webhook_outbox, escalations, outbox, mail_attachments, mail_messages, time_entries, "
                     "billing_periods")
        conn.execute("DROP FUNCTION time_entries_closed()")
        conn.execute("DELETE FROM slaboard_schema WHERE position >= 5")
    return url


def test_an_older_database_is_upgraded_when_opened(pg_server: PgServer) -> None:
    url = older(pg_server)
    with pytest.raises(StoreError, match="needs an upgrade"):
        Store.open(url, readonly=True)
    with Store.open(url) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.operators() == [] and store.mail_messages() == []
        assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)


def test_a_failed_upgrade_leaves_the_database_as_it_was(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from slaboard.store import postgres

    url = older(pg_server)
    monkeypatch.setitem(postgres.STEPS, "0005_operators", [*postgres.STEPS["0005_operators"], "CREATE TABLE broken ("])
    with pytest.raises(StoreError, match="upgrading .* failed .*the database was not changed"):
        Store.open(url)
    with psycopg.connect(url) as conn:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'public'")}
        assert "operators" not in tables and "broken" not in tables
        assert conn.execute("SELECT COUNT(*) FROM slaboard_schema").fetchone() == (4,)


def test_the_demo_says_how_to_get_it_into_postgresql(pg_server: PgServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_server.new_database()
    assert main(["demo", "--build-only", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "slaboard copy FILE URL" in err
    with psycopg.connect(url) as conn:  # nothing was created there
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone() == (0,)
