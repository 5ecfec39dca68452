"""The PostgreSQL engine under the same stress as the SQLite file, against a real
server the tests start (tests/pgserver.py), never a mock: twenty processes writing
at once lose nothing and see no serialization or deadlock error; a server restarted
in the middle of writes loses no write that was reported saved and half-writes
none, and every write it broke says so in one line; a stopped server is one line
for a write and for a read; a board's feed fails while the server is away and
comes back by itself, seeing what was written meanwhile and after."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from pgserver import PgServer

from slaboard.services.board import BoardFeed
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store, StoreError

from .conftest import (
    FORBIDDEN,
    HERE,
    NOW_ISO,
    PY,
    ROOT,
    assert_no_update_lost,
    assert_one_line_error,
    cli_env,
    run_cli,
    start_writers,
    wait_for_writers,
    writers_ended_well,
)

NOW = datetime.fromisoformat(NOW_ISO)
# What must never reach a user of the PostgreSQL engine either: the engine's own
# words for colliding transactions, a driver error, a crash.
PG_FORBIDDEN = (*FORBIDDEN, "deadlock", "serialization", "could not serialize", "psycopg", "OperationalError")

STORE_WRITERS = 10  # processes writing through slaboard's services, one connection each
CLI_WRITERS = 10  # processes writing through `python -m slaboard` commands
STORE_OPS = 20  # writes per store writer
CLI_OPS = 3  # commands per command-line writer
FEEDS = 2  # boards polling meanwhile
SHARED = 3  # calls every writer comments on and messages about
WRITERS_TIMEOUT = 50  # seconds for all twenty writers together

RESTART_CLI_WRITERS = 4  # command-line writers looping through a restart
SUCCESSES_BEFORE = 2  # writes each writer must have landed before the restart
SUCCESSES_AFTER = 1  # ... and after each, before the next restart (or the writers stop)
RESTARTS = 2  # restarts while the writers go on
RESTART_TIMEOUT = 45  # seconds the whole restart scenario may take
COMMAND_TIMEOUT = 15  # seconds one command may take against a server that is away


def loaded(pg_server: PgServer, small_file: Path, now: datetime) -> str:
    """A fresh database holding the small contracts (acme: gold 24x7; tulip: bronze)."""
    url = pg_server.new_database()
    with Store.open(url, create=True) as store:
        load_files(store, [small_file], now)
    return url


def rows(url: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    """A query through a psycopg connection of its own (not the store under test)."""
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def no_forbidden(text: str, who: str) -> None:
    for word in PG_FORBIDDEN:
        assert word.lower() not in text.lower(), (who, word, text[-3000:])


def until(deadline: float, what: str) -> float:
    left = deadline - time.monotonic()
    assert left > 0, f"timed out waiting for {what}"
    return left


# ----------------------------------------------------------------------------- twenty writers at once


def test_twenty_writers_at_once_lose_nothing_and_see_no_engine_error(pg_server: PgServer, small_file: Path,
                                                                     now: datetime, tmp_path: Path) -> None:
    url = loaded(pg_server, small_file, now)
    with Store.open(url) as store:
        shared = [open_call(store, NewCall(customer=("acme", "tulip")[i % 2], service="email", title=f"shared {i}"),
                            "setup", NOW).ticket.id for i in range(SHARED)]
    stop = tmp_path / "stop"
    feeds = []
    for i in range(FEEDS):
        log = tmp_path / f"feed{i}.err"
        proc = subprocess.Popen([PY, str(HERE / "feed.py"), url, str(stop)], stdout=subprocess.PIPE,
                                stderr=log.open("w"), text=True, env=cli_env())
        feeds.append((proc, log))
    started = time.monotonic()
    writers = start_writers(url, tmp_path, shared, store=STORE_WRITERS, cli=CLI_WRITERS,
                            store_ops=STORE_OPS, cli_ops=CLI_OPS)
    wait_for_writers(writers, started, WRITERS_TIMEOUT, stop)
    elapsed = time.monotonic() - started
    feed_stats = []
    for proc, log in feeds:
        out, _ = proc.communicate(timeout=30)
        err = log.read_text()
        assert proc.returncode == 0 and not err, err[-3000:]
        feed_stats.append(json.loads(out.splitlines()[-1]))

    # Every writer ended well: exit 0, nothing on stderr, no failed write, no engine words.
    done = writers_ended_well(writers, PG_FORBIDDEN)
    ops = Counter(r["op"] for r in done)
    assert ops["new"] >= STORE_WRITERS + CLI_WRITERS  # every writer logs a call first
    assert len(done) == STORE_WRITERS * STORE_OPS + CLI_WRITERS * CLI_OPS

    # Ticket numbers: unique and gap-free from 1001, each the call its writer was told.
    ids = [r[0] for r in rows(url, "SELECT id FROM tickets ORDER BY id")]
    assert ids == list(range(1001, 1001 + len(ids)))
    logged = {r["id"]: r["title"] for r in done if r["op"] == "new"}
    assert len(logged) == ops["new"]  # no number handed out twice
    assert set(ids) == set(logged) | set(shared)
    titles = dict(rows(url, "SELECT id, title FROM tickets"))  # type: ignore[arg-type]
    assert all(titles[i] == t for i, t in logged.items())
    created = Counter(r[0] for r in rows(url, "SELECT ticket_id FROM events WHERE kind = 'created'"))
    assert created == Counter(ids)  # one 'created' event per call, none without its call

    # Every status change, comment and message exactly once.
    statuses = Counter(rows(url, "SELECT ticket_id, new FROM events WHERE kind = 'status'"))
    assert statuses == Counter((r["id"], r["to"]) for r in done if r["op"] == "status")
    comments = Counter(rows(url, "SELECT ticket_id, note FROM events WHERE kind = 'comment'"))
    assert comments == Counter((r["id"], r["note"]) for r in done if r["op"] == "comment")
    comms = Counter(rows(url, "SELECT id, ticket_id, summary FROM communications"))
    assert comms == Counter((r["comm"], r["id"], r["summary"]) for r in done if r["op"] == "comm")

    # No update lost: each call's version counts its changes, and the last version
    # a writer was told is the one stored.
    assert_no_update_lost(dict(rows(url, "SELECT id, version FROM tickets")), done, logged)  # type: ignore[arg-type]
    open_ids = {r[0] for r in rows(url, "SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed')")}

    # The boards kept up through LISTEN/NOTIFY: after their last poll each shows exactly the open calls.
    for stats in feed_stats:
        assert stats["errors"] == 0 and stats["polls"] > 0 and stats["snapshots"] > 1, stats
        assert set(stats["rows"]) == open_ids

    check = run_cli(url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert elapsed < WRITERS_TIMEOUT
    print(f"\n[postgres concurrency] {len(done)} writes ({dict(ops)}) by {len(writers)} processes in "
          f"{elapsed:.1f}s; boards polled {sum(s['polls'] for s in feed_stats)} times")


# ----------------------------------------------------------------------------- a restart in the middle of writes

# A long-lived writer (as a board's process is): one connection, kept until it
# breaks; a broken write must be a StoreError (nothing else escapes), after which
# it opens a new connection and goes on. One JSON line per attempt.
STORE_WRITER = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from slaboard.services.tickets import NewCall, open_call
from slaboard.store import Store, StoreError
url, name, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
now = datetime.fromisoformat(sys.argv[5])
store, n = None, 0
while not stop.exists():
    n += 1
    title = f"{name} call {n}"
    try:
        if store is None:
            store = Store.open(url)
        ticket = open_call(store, NewCall(customer="ACME", service="email", title=title), name, now).ticket
        print(json.dumps({"ok": True, "id": ticket.id, "title": title}), flush=True)
    except StoreError as err:
        print(json.dumps({"ok": False, "title": title, "error": str(err)}), flush=True)
        if store is not None:
            store.close()
            store = None
        time.sleep(0.05)
    time.sleep(0.02)
if store is not None:
    store.close()
"""


def test_a_restart_in_the_middle_of_writes_loses_nothing_reported_saved(pg_server: PgServer, small_file: Path,
                                                                          now: datetime, tmp_path: Path) -> None:
    url = loaded(pg_server, small_file, now)
    stop = threading.Event()
    results: dict[str, list[tuple[str, subprocess.CompletedProcess[str]]]] = {}
    crashed: list[BaseException] = []

    def cli_writer(name: str) -> None:
        mine = results.setdefault(name, [])
        n = 0
        try:
            while not stop.is_set():
                n += 1
                title = f"{name} call {n}"
                mine.append((title, run_cli(url, "ticket", "new", "--customer", "ACME", "--service", "email",
                                            "--title", title, "--json", timeout=COMMAND_TIMEOUT * 2)))
        except BaseException as err:  # noqa: BLE001 - a hung command: reported below
            crashed.append(err)

    stopfile = tmp_path / "stop"
    store_out, store_err = tmp_path / "store.out", tmp_path / "store.err"
    store_proc = subprocess.Popen([PY, "-c", STORE_WRITER, url, "keeper", str(stopfile), str(ROOT / "src"), NOW_ISO],
                                  stdout=store_out.open("w"), stderr=store_err.open("w"), env=cli_env(), cwd=HERE)
    threads = [threading.Thread(target=cli_writer, args=(f"cli{i}",), daemon=True) for i in range(RESTART_CLI_WRITERS)]
    started = time.monotonic()
    deadline = started + RESTART_TIMEOUT

    def successes(name: str) -> int:
        return sum(1 for _, r in results.get(name, [])[:] if r.returncode == 0)

    def store_lines() -> list[dict]:  # type: ignore[type-arg]
        return [json.loads(line) for line in store_out.read_text().splitlines() if line.endswith("}")]

    try:
        for t in threads:
            t.start()
        # Every writer has landed writes before the restart ...
        while not (all(successes(f"cli{i}") >= SUCCESSES_BEFORE for i in range(RESTART_CLI_WRITERS))
                   and sum(r["ok"] for r in store_lines()) >= SUCCESSES_BEFORE):
            time.sleep(min(0.05, until(deadline, "writes before the restart")))
            assert store_proc.poll() is None, store_err.read_text()[-3000:]
        restart_took: list[float] = []
        for _ in range(RESTARTS):
            marks = {name: len(results[name]) for name in results}
            store_mark = len(store_lines())
            restart_began = time.monotonic()
            pg_server.restart()
            restart_took.append(time.monotonic() - restart_began)
            # ... and after each, every writer with commands started after the server was back.
            while not (all(sum(1 for _, r in results[f"cli{i}"][marks[f"cli{i}"] + 1:] if r.returncode == 0)
                           >= SUCCESSES_AFTER for i in range(RESTART_CLI_WRITERS))
                       and sum(r["ok"] for r in store_lines()[store_mark:]) >= SUCCESSES_AFTER):
                time.sleep(min(0.05, until(deadline, "writes after the restart")))
                assert store_proc.poll() is None, store_err.read_text()[-3000:]
    finally:
        stop.set()
        stopfile.touch()
        for t in threads:
            t.join(timeout=COMMAND_TIMEOUT * 2 + 5)
        try:
            store_proc.wait(timeout=30)
        finally:
            if store_proc.poll() is None:
                store_proc.kill()
    assert not crashed, crashed
    assert not any(t.is_alive() for t in threads)
    elapsed = time.monotonic() - started

    # The long-lived writer: nothing but StoreError escaped, each one line saying nothing was saved.
    assert store_proc.returncode == 0 and store_err.read_text() == "", store_err.read_text()[-3000:]
    kept = store_lines()
    store_failures = [r for r in kept if not r["ok"]]
    assert len(store_failures) >= RESTARTS, "each restart broke the long-lived writer's connection: it must be told"
    for r in store_failures:
        assert "\n" not in r["error"], r
        no_forbidden(r["error"], "keeper")
        assert ("not answering" in r["error"] and "nothing was saved" in r["error"]) or "cannot open" in r["error"], r

    # The command-line writers: success is exit 0 with the call's number as JSON;
    # failure is exit 2 and one line on stderr; nothing else.
    saved: dict[str, int] = {r["title"]: r["id"] for r in kept if r["ok"]}
    failed: set[str] = {r["title"] for r in kept if not r["ok"]}
    for name, attempts in results.items():
        for title, result in attempts:
            if result.returncode == 0:
                assert result.stderr == "", (name, title, result.stderr)
                saved[title] = int(json.loads(result.stdout)["id"])
            else:
                err = assert_one_line_error(result)
                no_forbidden(err, name)
                assert "not answering" in err or "cannot open" in err or "nothing was saved" in err, err
                failed.add(title)
    assert len(saved) >= (RESTART_CLI_WRITERS + 1) * (SUCCESSES_BEFORE + RESTARTS * SUCCESSES_AFTER)

    # Every write reported saved is there, under the number it was told; no write
    # reported failed is there; ticket numbers stay gap-free; nothing half-written.
    stored = dict(rows(url, "SELECT title, id FROM tickets"))  # type: ignore[arg-type]
    missing = {t: i for t, i in saved.items() if stored.get(t) != i}
    assert not missing, f"reported saved but not in the database: {missing}"
    said_not_saved_but_saved = sorted(failed & set(stored))
    assert not said_not_saved_but_saved, f"told 'nothing was saved', yet in the database: {said_not_saved_but_saved}"
    assert set(stored) == set(saved)
    ids = sorted(stored.values())
    assert ids == list(range(1001, 1001 + len(ids)))
    created = Counter(r[0] for r in rows(url, "SELECT ticket_id FROM events WHERE kind = 'created'"))
    assert created == Counter(ids)
    per_ticket = Counter(r[0] for r in rows(url, "SELECT ticket_id FROM events"))
    assert len(set(per_ticket.values())) == 1, per_ticket  # every call got the same events, all or none
    assert all(v == 1 for v in dict(rows(url, "SELECT id, version FROM tickets")).values())  # type: ignore[arg-type]
    check = run_cli(url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"\n[postgres restart] {len(saved)} writes saved, {len(failed)} told they failed "
          f"({len(store_failures)} of them the long-lived writer's); {RESTARTS} restarts took {sum(restart_took):.1f}s, "
          f"all {elapsed:.1f}s")


# ----------------------------------------------------------------------------- a stopped server


def test_a_stopped_server_is_one_line_for_a_write_and_a_read(pg_server: PgServer, small_file: Path,
                                                             now: datetime) -> None:
    url = loaded(pg_server, small_file, now)
    first = run_cli(url, "ticket", "new", "--customer", "ACME", "--service", "email", "--title", "before", "--json")
    assert first.returncode == 0, first.stderr
    pg_server.stop()
    try:
        for argv in (("ticket", "new", "--customer", "ACME", "--service", "email", "--title", "while down", "--json"),
                     ("ticket", "new", "--customer", "ACME", "--service", "email", "--title", "while down"),
                     ("ticket", "list"), ("ticket", "list", "--json"), ("ticket", "show", "1001")):
            began = time.monotonic()
            result = run_cli(url, *argv, timeout=COMMAND_TIMEOUT * 2)
            took = time.monotonic() - began
            err = assert_one_line_error(result, "cannot open")
            no_forbidden(err, " ".join(argv))
            assert err.startswith("slaboard: "), err
            assert "secret" not in err and "password" not in err.lower(), err
            assert took < COMMAND_TIMEOUT, (argv, took)
    finally:
        pg_server.start_again()
    # Back up: the write refused while it was down is not there, the one before is.
    titles = [r[0] for r in rows(url, "SELECT title FROM tickets ORDER BY id")]
    assert titles == ["before"]
    listed = run_cli(url, "ticket", "list", "--json")
    assert listed.returncode == 0 and [t["title"] for t in json.loads(listed.stdout)] == ["before"], listed.stderr


# ----------------------------------------------------------------------------- a board across a restart

POLL_TIMEOUT = 20  # seconds a feed may take to come back once the server is


def poll_until_data(feed: BoardFeed, deadline: float, what: str) -> tuple[object, list[str]]:
    """Polls (as a board's timer does) until one returns a snapshot; the StoreErrors
    met on the way (each one line). Anything else escaping fails the test."""
    errors: list[str] = []
    while True:
        began = time.monotonic()
        try:
            snapshot = feed.poll(NOW)
        except StoreError as err:
            errors.append(str(err))
            snapshot = None
        assert time.monotonic() - began < COMMAND_TIMEOUT, "a poll hung"
        if snapshot is not None:
            return snapshot, errors
        time.sleep(min(0.1, until(deadline, what)))


def test_a_board_feed_fails_while_the_server_is_away_and_comes_back_by_itself(pg_server: PgServer, small_file: Path,
                                                                              now: datetime) -> None:
    url = loaded(pg_server, small_file, now)
    with Store.open(url) as writer:
        first = open_call(writer, NewCall(customer="ACME", service="email", title="before"), "ann", NOW).ticket.id
    feed = BoardFeed(url)
    try:
        snapshot = feed.poll(NOW)
        assert snapshot is not None and snapshot.full and {v.ticket.id for v in snapshot.changed} == {first}
        assert feed.poll(NOW) is None  # nothing changed

        # A restart: the feed's connection is gone; a poll may fail (one line), and a later one has data.
        pg_server.restart()
        snapshot, errors = poll_until_data(feed, time.monotonic() + POLL_TIMEOUT, "the feed after a restart")
        assert {v.ticket.id for v in snapshot.changed} == {first}  # type: ignore[attr-defined]
        for message in errors:
            assert "\n" not in message and ("not answering" in message or "cannot open" in message), message
            no_forbidden(message, "feed")

        # The server away: every poll fails, in one line, promptly.
        pg_server.stop()
        try:
            for _ in range(3):
                began = time.monotonic()
                with pytest.raises(StoreError) as caught:
                    feed.poll(NOW)
                assert time.monotonic() - began < COMMAND_TIMEOUT
                message = str(caught.value)
                assert "\n" not in message and ("not answering" in message or "cannot open" in message), message
                no_forbidden(message, "feed")
        finally:
            pg_server.start_again()

        # Back: a call written by another connection before the feed reconnects is on
        # its first snapshot; one written after, and a resolution, on a later one.
        with Store.open(url) as writer:
            second = open_call(writer, NewCall(customer="TUL", service="email", title="while away"), "ann",
                               NOW).ticket.id
        snapshot, errors = poll_until_data(feed, time.monotonic() + POLL_TIMEOUT, "the feed after a stop")
        for message in errors:
            assert "\n" not in message and ("not answering" in message or "cannot open" in message), message
        assert {v.ticket.id for v in snapshot.changed} == {first, second}  # type: ignore[attr-defined]
        with Store.open(url) as writer:
            third = open_call(writer, NewCall(customer="ACME", service="email", title="after"), "ann", NOW).ticket.id
            update_ticket(writer, first, operator="ann", now=NOW, status="resolved", reason="done")
        snapshot, errors = poll_until_data(feed, time.monotonic() + POLL_TIMEOUT, "the change after the restart")
        assert errors == []
        assert third in {v.ticket.id for v in snapshot.changed}  # type: ignore[attr-defined]
        assert first in snapshot.removed  # type: ignore[attr-defined]
        assert not snapshot.full  # type: ignore[attr-defined]  # read by the change sequence, not afresh
    finally:
        feed.close()


# ----------------------------------------------------------------------------- a restart while a command is mid-transaction


def restart_while_waiting(pg_server: PgServer, url: str, start) -> None:  # type: ignore[no-untyped-def]
    """Hold the tickets table locked, ``start()`` something that reads or writes it
    (so that it waits inside its transaction, on a real server), and restart the
    server while it waits: ``pg_ctl restart -m fast`` ends every session, as a
    failover or an upgrade does, and the waiting one learns it mid-transaction."""
    from psycopg.conninfo import conninfo_to_dict

    dbname = conninfo_to_dict(url)["dbname"]
    holder = psycopg.connect(url)  # not autocommit: the lock lasts until the restart
    try:
        holder.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")
        start()
        deadline = time.monotonic() + COMMAND_TIMEOUT
        with psycopg.connect(pg_server.url(), autocommit=True) as watch:
            while not watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'slaboard' "
                    "AND wait_event_type = 'Lock'", [dbname]).fetchone()[0]:  # type: ignore[index]
                time.sleep(min(0.02, until(deadline, "the command to wait on the locked table")))
        pg_server.restart()
    finally:
        try:
            holder.close()
        except psycopg.Error:
            pass


@pytest.mark.parametrize("argv", [
    ("ticket", "list"),
    ("ticket", "list", "--all", "--json"),
    ("ticket", "new", "--customer", "ACME", "--service", "email", "--title", "cut off", "--json"),
], ids=["list", "list-all-json", "new"])
def test_a_restart_while_a_command_is_mid_transaction_is_one_line(pg_server: PgServer, small_file: Path,
                                                                  now: datetime, argv: tuple[str, ...]) -> None:
    url = loaded(pg_server, small_file, now)
    assert run_cli(url, "ticket", "new", "--customer", "ACME", "--service", "email", "--title", "before").returncode == 0
    procs: list[subprocess.Popen[str]] = []

    def start() -> None:
        procs.append(subprocess.Popen([PY, "-m", "slaboard", *argv, "--db", url], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=HERE))

    try:
        restart_while_waiting(pg_server, url, start)
        out, err = procs[0].communicate(timeout=COMMAND_TIMEOUT * 2)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    result = subprocess.CompletedProcess(procs[0].args, procs[0].returncode, out, err)
    message = assert_one_line_error(result, "not answering")
    no_forbidden(message, " ".join(argv))
    assert [r[0] for r in rows(url, "SELECT title FROM tickets ORDER BY id")] == ["before"]  # nothing half-written
    assert rows(url, "SELECT count(*) FROM events")[0][0] == 1


def test_a_restart_while_a_board_poll_is_mid_read_is_a_store_error(pg_server: PgServer, small_file: Path,
                                                                   now: datetime) -> None:
    url = loaded(pg_server, small_file, now)
    with Store.open(url) as writer:
        first = open_call(writer, NewCall(customer="ACME", service="email", title="before"), "ann", NOW).ticket.id
    feed = BoardFeed(url)
    outcome: list[object] = []

    def poll() -> None:
        try:
            outcome.append(feed.poll(NOW))
        except BaseException as err:  # noqa: BLE001 - examined below
            outcome.append(err)

    thread = threading.Thread(target=poll, daemon=True)
    try:
        restart_while_waiting(pg_server, url, thread.start)
        thread.join(timeout=COMMAND_TIMEOUT * 2)
        assert not thread.is_alive(), "the poll hung after the restart"
        [caught] = outcome
        assert isinstance(caught, StoreError), f"{type(caught).__module__}.{type(caught).__name__}: {caught}"
        assert "\n" not in str(caught) and "not answering" in str(caught), caught
        # ... and the next polls come back by themselves.
        snapshot, _ = poll_until_data(feed, time.monotonic() + POLL_TIMEOUT, "the feed after the restart")
        assert {v.ticket.id for v in snapshot.changed} == {first}  # type: ignore[attr-defined]
    finally:
        feed.close()
