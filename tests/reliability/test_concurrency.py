"""Twenty processes writing to one file at once, half through the services and half
through the command line, while two boards' feeds poll it: every write lands
exactly once, nobody sees "database is locked", ticket numbers stay gap-free, the
file stays sound. And two operators saving the same ticket from the same version:
one wins, the other is told what changed."""

from __future__ import annotations

import json
import selectors
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store

from .conftest import (
    HERE,
    NOW_ISO,
    PY,
    assert_no_update_lost,
    assert_one_line_error,
    cli_env,
    integrity,
    run_cli,
    start_writers,
    wait_for_writers,
    writers_ended_well,
)

NOW = datetime.fromisoformat(NOW_ISO)
STORE_WRITERS = 10  # processes writing through slaboard's services
CLI_WRITERS = 10  # processes writing through `python -m slaboard` commands
STORE_OPS = 25  # writes per store writer
CLI_OPS = 4  # writes (commands) per command-line writer
FEEDS = 2  # boards polling meanwhile
SHARED = 3  # calls every writer comments on and messages about
WRITERS_TIMEOUT = 150  # seconds for all writers together
CONFLICT_ROUNDS = 4


def readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise AssertionError(f"no line from {proc.args} within {timeout}s")
        return proc.stdout.readline()
    finally:
        sel.close()


def start_feed(db: Path, stop: Path, log: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([PY, str(HERE / "feed.py"), str(db), str(stop)], stdout=subprocess.PIPE,
                            stderr=log.open("w"), text=True, env=cli_env())
    assert readline(proc, 30).strip() == "ready"
    return proc


def shared_calls(db: Path, n: int) -> list[int]:
    with Store.open(db) as store:
        return [open_call(store, NewCall(customer=("acme", "tulip")[i % 2], service="email", title=f"shared {i}"),
                          "setup", NOW).ticket.id for i in range(n)]


def test_twenty_writers_and_two_boards(db: Path, tmp_path: Path) -> None:
    shared = shared_calls(db, SHARED)
    stop = tmp_path / "stop"
    feeds = [start_feed(db, stop, tmp_path / f"feed{i}.err") for i in range(FEEDS)]
    started = time.monotonic()
    writers = start_writers(str(db), tmp_path, shared, store=STORE_WRITERS, cli=CLI_WRITERS,
                            store_ops=STORE_OPS, cli_ops=CLI_OPS)
    wait_for_writers(writers, started, WRITERS_TIMEOUT, stop)
    feed_stats = []
    for i, proc in enumerate(feeds):
        out, _ = proc.communicate(timeout=30)
        err = (tmp_path / f"feed{i}.err").read_text()
        assert proc.returncode == 0 and not err, err[-3000:]
        feed_stats.append(json.loads(out.splitlines()[-1]))

    # Nobody saw a locked database, a busy error or a crash.
    done = writers_ended_well(writers)
    ops = Counter(r["op"] for r in done)
    assert ops["new"] >= STORE_WRITERS + CLI_WRITERS  # every writer logs a call first

    conn = sqlite3.connect(db)
    try:
        # Ticket numbers: unique and gap-free from 1001, and each the call its writer logged.
        ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
        assert ids == list(range(1001, 1001 + len(ids)))
        logged = {r["id"]: r["title"] for r in done if r["op"] == "new"}
        assert len(logged) == ops["new"]  # no number handed out twice
        assert set(ids) == set(logged) | set(shared)
        titles = dict(conn.execute("SELECT id, title FROM tickets"))
        assert all(titles[i] == t for i, t in logged.items())
        assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'created'").fetchone()[0] == len(ids)

        # Every status change, comment and message exactly once.
        status_rows = Counter(conn.execute("SELECT ticket_id, new FROM events WHERE kind = 'status'").fetchall())
        assert status_rows == Counter((r["id"], r["to"]) for r in done if r["op"] == "status")
        comment_rows = Counter(conn.execute("SELECT ticket_id, note FROM events WHERE kind = 'comment'").fetchall())
        assert comment_rows == Counter((r["id"], r["note"]) for r in done if r["op"] == "comment")
        comm_rows = Counter(conn.execute("SELECT id, ticket_id, summary FROM communications").fetchall())
        assert comm_rows == Counter((r["comm"], r["id"], r["summary"]) for r in done if r["op"] == "comm")

        # No update lost: each call's version counts its changes, and the last
        # version a writer was told is the one stored.
        versions = dict(conn.execute("SELECT id, version FROM tickets"))
        assert_no_update_lost(versions, done, logged)
        messaged = {r["id"] for r in done if r["op"] == "comm" and r["id"]}
        for ticket_id in shared:  # the first message is the response; later ones change nothing
            assert versions[ticket_id] == (2 if ticket_id in messaged else 1)
        open_ids = {r[0] for r in conn.execute("SELECT id FROM tickets WHERE status NOT IN ('resolved', 'closed')")}
    finally:
        conn.close()

    # The boards kept up: after their last poll each shows exactly the open calls.
    for stats in feed_stats:
        assert stats["errors"] == 0 and stats["polls"] > 0 and stats["snapshots"] > 1, stats
        assert set(stats["rows"]) == open_ids

    assert integrity(db) == ["ok"]
    check = run_cli(db, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"\n[concurrency] {len(done)} writes ({dict(ops)}) by {len(writers)} processes in "
          f"{time.monotonic() - started:.1f}s; boards polled {sum(s['polls'] for s in feed_stats)} times")


# ----------------------------------------------------------------------------- same ticket, same version


def race(db: Path, ticket_id: int, version: int, names: tuple[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Two operators save the same call from the same version at the same moment."""
    procs = [
        subprocess.Popen([PY, "-m", "slaboard", "ticket", "update", str(ticket_id), f"--version={version}",
                          f"--assignee={name}", "--operator", name, "--db", str(db)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=HERE)
        for name in names
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def assignee_events(db: Path, ticket_id: int) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT operator, new FROM events WHERE ticket_id = ? AND field = 'assignee' ORDER BY id",
                            [ticket_id]).fetchall()
    finally:
        conn.close()


def test_same_ticket_same_version_one_wins_the_other_is_told(db: Path) -> None:
    [ticket_id] = shared_calls(db, 1)
    for round_ in range(CONFLICT_ROUNDS):
        with Store.open(db) as store:
            ticket = store.ticket(ticket_id)
            assert ticket is not None
        names = (f"ada{round_}", f"bob{round_}")
        before = assignee_events(db, ticket_id)
        results = race(db, ticket_id, ticket.version, names)
        codes = sorted(r.returncode for r in results)
        assert codes == [0, 2], [(r.returncode, r.stderr) for r in results]
        winner = names[[r.returncode for r in results].index(0)]
        loser = next(r for r in results if r.returncode == 2)
        assert_one_line_error(loser, f"ticket #{ticket_id} was changed by someone else",
                              f"version {ticket.version + 1}, you had {ticket.version}")
        assert f"{winner} set assignee" in loser.stderr and repr(winner) in loser.stderr, loser.stderr
        with Store.open(db) as store:
            after = store.ticket(ticket_id)
            assert after is not None
        assert after.assignee == winner and after.version == ticket.version + 1  # nothing overwritten silently
        assert assignee_events(db, ticket_id) == [*before, (winner, winner)]


def test_conflict_names_only_what_changed_since_the_version_the_operator_had(db: Path) -> None:
    """The loser is shown the changes made after the version it saved from, not
    the call's older history (which it had already seen)."""
    [ticket_id] = shared_calls(db, 1)
    with Store.open(db) as store:
        update_ticket(store, ticket_id, operator="earlier", now=NOW, diagnosis="OLD-DIAGNOSIS-SEEN-BEFORE")
        version = store.ticket(ticket_id).version  # type: ignore[union-attr]
    results = race(db, ticket_id, version, ("ada", "bob"))
    loser = next(r for r in results if r.returncode == 2)
    assert_one_line_error(loser, "was changed by someone else")
    assert "set assignee" in loser.stderr
    assert "OLD-DIAGNOSIS-SEEN-BEFORE" not in loser.stderr, loser.stderr


# ----------------------------------------------------------------------------- many resolves of one call

SIMULTANEOUS_RESOLVES = 12


def test_simultaneous_resolves_one_wins_the_others_are_told_it_is_resolved(db: Path) -> None:
    """Twelve operators resolve the same call at once, each with its own note: one
    resolves it, every other is refused in one line saying it is already resolved
    and that nothing was recorded; the history holds exactly one resolution."""
    [ticket_id] = shared_calls(db, 1)
    names = [f"op{i}" for i in range(SIMULTANEOUS_RESOLVES)]
    procs = [
        subprocess.Popen([PY, "-m", "slaboard", "ticket", "resolve", str(ticket_id), f"--note=fixed by {name}",
                          "--operator", name, "--db", str(db)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=HERE)
        for name in names
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    codes = [r.returncode for r in results]
    assert sorted(codes) == [0] + [2] * (SIMULTANEOUS_RESOLVES - 1), [(r.returncode, r.stderr) for r in results]
    winner = names[codes.index(0)]
    for loser in (r for r in results if r.returncode == 2):
        assert_one_line_error(loser, f"ticket #{ticket_id} is already resolved", "nothing was recorded")
    with Store.open(db) as store:
        ticket = store.ticket(ticket_id)
        resolutions = [e for e in store.events(ticket_id) if e.kind == "status" and e.new == "resolved"]
    assert ticket is not None and ticket.resolution_note == f"fixed by {winner}"
    assert [(e.operator, e.note) for e in resolutions] == [(winner, f"fixed by {winner}")]
