"""The audit trail: append-only in the database itself, and a call's events replay
to the call as stored, however long and strange its history."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaboard.domain import STATUSES
from slaboard.services.audit import TRACKED, _text, differences, replay
from slaboard.services.comms import NewCommunication, log_communication
from slaboard.services.tickets import NewCall, ServiceError, add_comment, open_call, update_ticket
from slaboard.store import Store

from .conftest import NOW_ISO, make_db, run_cli

NOW = datetime.fromisoformat(NOW_ISO)
RANDOM_TICKETS = 30  # seeded histories
RANDOM_STEPS = 80  # changes per seeded history
HYPOTHESIS_EXAMPLES = 100
SEED = 20261126
PLAIN_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
NAMES = PLAIN_TEXT.filter(lambda s: s.strip() != "")  # clearing a field is its own test below


# ----------------------------------------------------------------------------- append-only


@pytest.fixture
def with_history(db: Path) -> Path:
    with Store.open(db) as store:
        t = open_call(store, NewCall(customer="acme", service="email", title="x"), "ann", NOW).ticket.id
        update_ticket(store, t, operator="ann", now=NOW, status="in_progress")
        add_comment(store, t, "first note", "ann", NOW)
    return db


@pytest.mark.parametrize("sql", [
    "UPDATE events SET note = 'rewritten' WHERE kind = 'comment'",
    "UPDATE events SET operator = 'mallory'",
    "DELETE FROM events WHERE kind = 'comment'",
    "DELETE FROM events",
    "INSERT INTO events (id, ticket_id, at, operator, kind) SELECT id, ticket_id, at, 'mallory', kind FROM events "
    "WHERE true ON CONFLICT(id) DO UPDATE SET operator = excluded.operator",
    "REPLACE INTO events (id, ticket_id, at, operator, kind, note) "
    "SELECT id, ticket_id, at, 'mallory', kind, 'rewritten' FROM events WHERE kind = 'comment'",
    "INSERT OR REPLACE INTO events (id, ticket_id, at, operator, kind) SELECT id, ticket_id, at, 'mallory', 'x' FROM events",
])
def test_the_database_refuses_to_change_or_delete_events(with_history: Path, sql: str) -> None:
    """Through a plain sqlite3 connection, as any SQLite tool would open the file."""
    conn = sqlite3.connect(with_history)
    before = conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
        conn.rollback()
        assert conn.execute("SELECT * FROM events ORDER BY id").fetchall() == before
    finally:
        conn.close()


def test_events_can_still_be_appended(with_history: Path) -> None:
    conn = sqlite3.connect(with_history)
    try:
        n = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        conn.execute("INSERT INTO events (ticket_id, at, operator, kind, note) VALUES (1001, ?, 'ann', 'comment', 'ok')",
                     [NOW.isoformat()])
        conn.commit()
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == n + 1
    finally:
        conn.close()


# ----------------------------------------------------------------------------- replay


def ops_from(rng: random.Random, steps: int) -> list[tuple]:  # type: ignore[type-arg]
    """A random history: the same kinds of step the hypothesis strategy draws."""
    words = ["Jan", "Priya", "O'Brien", "  padded  ", "[bold]x[/]", "日本", "a\tb", "%_\\", "'; DROP TABLE events; --"]
    out: list[tuple] = []  # type: ignore[type-arg]
    for _ in range(steps):
        kind = rng.choice(["status", "status", "levels", "assignee", "diagnosis", "category", "expected", "estimate",
                           "service", "comment", "comm", "advance"])
        if kind == "status":
            out.append(("status", rng.choice(STATUSES), rng.choice(["", "because", "waiting on Microsoft"])))
        elif kind == "levels":
            out.append(("levels", rng.randint(1, 3), rng.randint(1, 3)))
        elif kind in ("assignee", "diagnosis", "category", "comment"):
            out.append((kind, rng.choice(words) + str(rng.randint(0, 9))))
        elif kind == "expected":
            out.append(("expected", rng.randint(1, 60 * 24 * 10)))
        elif kind == "estimate":
            out.append(("estimate", round(rng.uniform(0, 40), 2)))
        elif kind == "service":
            out.append(("service", rng.choice(["email", "network", "printing"])))
        elif kind == "comm":
            out.append(("comm", rng.choice(["in", "out"]), rng.choice([None, rng.randint(5, 6000)]), rng.random() < 0.3))
        else:
            out.append(("advance", rng.randint(1, 600)))
    return out


OPS = st.lists(st.one_of(
    st.tuples(st.just("status"), st.sampled_from(STATUSES), st.sampled_from(["", "because"])),
    st.tuples(st.just("levels"), st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.sampled_from(["assignee", "diagnosis", "category", "comment"]), NAMES),
    st.tuples(st.just("expected"), st.integers(1, 60 * 24 * 30)),
    st.tuples(st.just("estimate"), st.floats(0, 10_000, allow_nan=False)),
    st.tuples(st.just("service"), st.sampled_from(["email", "network", "printing"])),
    st.tuples(st.just("comm"), st.sampled_from(["in", "out"]), st.none() | st.integers(5, 6000), st.booleans()),
    st.tuples(st.just("advance"), st.integers(1, 24 * 60)),
), max_size=40)


def play(store: Store, customer: str, ops: list[tuple], operator: str = "ann") -> int:  # type: ignore[type-arg]
    """Log a call and apply ``ops`` through the services; steps the services refuse
    (an impossible transition) must leave the call as it was."""
    now = NOW
    ticket_id = open_call(store, NewCall(customer=customer, service="email", title="history", impact=2, urgency=2),
                          operator, now).ticket.id
    for op in ops:
        kind = op[0]
        before = (store.ticket(ticket_id), len(store.events(ticket_id)))
        try:
            if kind == "status":
                update_ticket(store, ticket_id, operator=operator, now=now, status=op[1], reason=op[2])
            elif kind == "levels":
                update_ticket(store, ticket_id, operator=operator, now=now, impact=op[1], urgency=op[2])
            elif kind in ("assignee", "diagnosis", "category"):
                update_ticket(store, ticket_id, operator=operator, now=now, **{kind: op[1]})
            elif kind == "expected":
                update_ticket(store, ticket_id, operator=operator, now=now, expected=now + timedelta(minutes=op[1]))
            elif kind == "estimate":
                update_ticket(store, ticket_id, operator=operator, now=now, estimate_hours=op[1])
            elif kind == "service":
                update_ticket(store, ticket_id, operator=operator, now=now, service=op[1])
            elif kind == "comment":
                add_comment(store, ticket_id, op[1], operator, now)
            elif kind == "comm":
                promised = None if op[2] is None else now + timedelta(minutes=op[2])
                log_communication(store, NewCommunication(customer="", summary="we called", ticket_id=ticket_id,
                                                          direction=op[1], promised_at=promised, tells_of_miss=op[3]),
                                  operator, now)
            elif kind == "advance":
                now += timedelta(minutes=op[1])
        except ServiceError:
            assert (store.ticket(ticket_id), len(store.events(ticket_id))) == before, op
    return ticket_id


def assert_replays(store: Store, ticket_id: int) -> None:
    ticket = store.ticket(ticket_id)
    assert ticket is not None
    events = store.events(ticket_id)
    assert differences(ticket, events) == []
    state = replay(events)
    for name in TRACKED:  # every tracked field is accounted for, not only those the trail mentions
        assert name in state, name
        got, stored = state[name], _text(getattr(ticket, name))
        if name == "expected_at" and got and stored:
            assert datetime.fromisoformat(got) == datetime.fromisoformat(stored)
        elif name == "estimate_hours" and got and stored:
            assert float(got) == float(stored)
        else:
            assert got == stored, (name, got, stored)


def test_long_seeded_histories_replay_to_the_stored_calls(db: Path) -> None:
    rng = random.Random(SEED)
    with Store.open(db) as store:
        ids = [play(store, rng.choice(["acme", "tulip"]), ops_from(rng, RANDOM_STEPS)) for _ in range(RANDOM_TICKETS)]
        for ticket_id in ids:
            assert_replays(store, ticket_id)
        assert sum(len(store.events(t)) for t in ids) > RANDOM_TICKETS * 10  # the histories are long
    check = run_cli(db, "check")
    assert check.returncode == 0, check.stdout


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield make_db(tmp_path_factory.mktemp("audit") / "audit.db")


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(customer=st.sampled_from(["acme", "tulip"]), ops=OPS)
def test_any_history_replays_to_the_stored_call(shared_db: Path, customer: str, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    with Store.open(shared_db) as store:
        assert_replays(store, play(store, customer, ops))


@pytest.mark.parametrize("field", ["assignee", "diagnosis", "category"])
def test_clearing_a_field_keeps_the_trail_consistent(db: Path, field: str) -> None:
    """Set, then clear (an empty value): the trail must still replay to the call,
    and `slaboard check` must stay ok."""
    with Store.open(db) as store:
        ticket_id = play(store, "acme", [(field, "Priya"), (field, "")])
        assert getattr(store.ticket(ticket_id), field) == ""
        assert differences(store.ticket(ticket_id), store.events(ticket_id)) == []  # type: ignore[arg-type]
    check = run_cli(db, "check")
    assert check.returncode == 0, check.stdout
