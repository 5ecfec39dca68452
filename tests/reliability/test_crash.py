"""A writer killed with SIGKILL in the middle of a stream of writes, many times:
every write it reported committed is there, nothing is half-written (each call's
events replay to the call), and the file opens cleanly and passes `check`."""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from slaboard.services.audit import differences
from slaboard.services.tickets import NewCall, open_call
from slaboard.store import Store

from .conftest import HERE, NOW_ISO, PY, cli_env, integrity, run_cli

NOW = datetime.fromisoformat(NOW_ISO)
KILLS = 25  # writers killed
MAX_RUN = 0.35  # seconds a writer streams before it is killed (uniformly 0..MAX_RUN after its first write)
SEED = 8


def stream_until_killed(db: Path, name: str, seed: int, shared: list[int], run_for: float) -> list[dict]:  # type: ignore[type-arg]
    """Start a writer, let it stream for ``run_for`` seconds after its first commit,
    SIGKILL it, and return the writes it reported committed."""
    proc = subprocess.Popen([PY, str(HERE / "writer.py"), str(db), name, "--via", "store", "--ops", "0",
                             "--seed", str(seed), "--shared", ",".join(map(str, shared))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    assert proc.stdout is not None
    buffer = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    kill_at: float | None = None
    give_up = time.monotonic() + 60
    try:
        while True:
            now = time.monotonic()
            if kill_at is not None and now >= kill_at:
                break
            assert now < give_up, "the writer never reported a write"
            timeout = (kill_at - now) if kill_at is not None else 1.0
            if sel.select(timeout):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break  # it ended by itself: a failure, see below
                buffer += chunk
                if kill_at is None and b"\n" in buffer:
                    kill_at = time.monotonic() + run_for
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
        sel.close()
    buffer += rest
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, err.decode()[-3000:])
    assert not err, err.decode()[-3000:]
    lines = buffer.split(b"\n")
    complete = lines[:-1]  # a line cut by the kill is not a report
    recs = [json.loads(line) for line in complete if line.strip()]
    assert not [r for r in recs if r["op"] == "error"], recs
    return recs


def test_writers_killed_mid_stream_lose_nothing_committed(db: Path) -> None:
    rng = random.Random(SEED)
    with Store.open(db) as store:
        shared = [open_call(store, NewCall(customer=c, service="email", title=f"shared {c}"), "setup", NOW).ticket.id
                  for c in ("acme", "tulip")]
    reported: list[dict] = []  # type: ignore[type-arg]
    for k in range(KILLS):
        reported += stream_until_killed(db, f"crash{k}", k, shared, rng.uniform(0, MAX_RUN))
        # After every kill the file opens cleanly (recovering the WAL) and is sound.
        with Store.open(db) as store:
            assert store.integrity_problems() == []
            assert store.count_tickets() >= len(shared)
    ops = Counter(r["op"] for r in reported)
    assert ops["new"] >= KILLS  # each writer logged its own call before anything else

    conn = sqlite3.connect(db)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
        titles = dict(conn.execute("SELECT id, title FROM tickets"))
        comments = Counter(conn.execute("SELECT ticket_id, note FROM events WHERE kind = 'comment'").fetchall())
        statuses = Counter(conn.execute("SELECT ticket_id, new FROM events WHERE kind = 'status'").fetchall())
        comms = {r[0]: r[1:] for r in conn.execute("SELECT id, ticket_id, summary FROM communications")}
        unanswered = conn.execute(
            """SELECT c.id FROM communications c JOIN tickets t ON t.id = c.ticket_id
               WHERE c.direction = 'out' AND t.responded_at IS NULL""").fetchall()
    finally:
        conn.close()
    # Every write a writer reported is in the file.
    assert ids == list(range(1001, 1001 + len(ids)))
    for r in reported:
        if r["op"] == "new":
            assert titles.get(r["id"]) == r["title"], r
    assert not Counter((r["id"], r["note"]) for r in reported if r["op"] == "comment") - comments
    assert not Counter((r["id"], r["to"]) for r in reported if r["op"] == "status") - statuses
    for r in reported:
        if r["op"] == "comm":
            assert comms.get(r["comm"]) == (r["id"], r["summary"]), r
    # At most the one write each killed writer was in (committed, not yet reported) is extra.
    extra = (len(ids) - len(shared) - ops["new"]) + (sum(comments.values()) - ops["comment"]) \
        + (sum(statuses.values()) - ops["status"]) + (len(comms) - ops["comm"])
    assert 0 <= extra <= KILLS, extra
    # Nothing half-written: a message about a call and its effect on the call went together,
    # and every call's events replay to the call as stored.
    assert unanswered == []
    with Store.open(db) as store:
        problems = [p for ticket, events in store.tickets_with_events() for p in differences(ticket, events)]
    assert problems == []
    assert integrity(db) == ["ok"]
    check = run_cli(db, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    print(f"\n[crash] kills survived: {KILLS}, writes reported committed: {len(reported)}, "
          f"unreported but committed: {extra}, tickets: {len(ids)}")
