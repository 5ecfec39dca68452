"""The sums a report keeps for whole months: the same figures as reading every call,
forgotten by whatever changes a month, never kept by a read-only store, and checked
by ``slaboard check``."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from slaboard.cli import main
from slaboard.reports.figures import build_report, parse_period
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store

from .test_figures import NOW, OPERATOR, at, build_history

# Whole months, partial ones and both together; one customer and all of them.
PERIODS = [("2026-07", {}), ("2026-Q3", {}), ("2026", {}), (None, {"start": "2026-06-15", "end": "2026-08-10"})]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_history(tmp_path / "kept.db").path


def kept(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT month FROM report_months ORDER BY month")]
    finally:
        conn.close()


def figures(store: Store, period: str | None, kw: dict[str, str], customer: str | None, grouping: str) -> dict[str, Any]:
    r = build_report(store, parse_period(period, today=NOW.date(), **kw), NOW, grouping=grouping, customer=customer)
    out = r.to_dict()
    out.pop("generated_at")
    out["ticket_ids"] = r.ticket_ids
    return out


def from_the_calls(path: Path, tmp: Path, *args: Any) -> dict[str, Any]:
    """The report of a copy that keeps nothing: every figure read from the calls."""
    copy = tmp / "calls.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(path)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("DELETE FROM report_months")
    dst.commit()
    dst.close()
    with Store.open(copy, readonly=True) as store:
        out = figures(store, *args)
    assert kept(copy) == []  # read-only: read from the calls, nothing kept
    return out


def assert_as_from_the_calls(path: Path, tmp: Path) -> None:
    for period, kw in PERIODS:
        for customer, grouping in ((None, "level"), ("VDB", "service"), ("VDB", "month"), (None, "customer")):
            with Store.open(path) as store:
                got = figures(store, period, kw, customer, grouping)
            assert got == from_the_calls(path, tmp, period, kw, customer, grouping), (period, kw, customer, grouping)


def test_kept_months_give_the_figures_read_from_the_calls(db: Path, tmp_path: Path) -> None:
    assert kept(db) == []
    assert_as_from_the_calls(db, tmp_path)
    # Every whole month a report read is kept; a partial one (15 Jun .. 9 Aug) is not
    # kept for its part, but its whole months of the other periods are.
    assert kept(db) == [f"2026-{m:02d}" for m in range(1, 13)]
    with Store.open(db) as store:
        assert store.kept_months_astray() == []
    assert_as_from_the_calls(db, tmp_path)  # now read from the kept sums


def test_each_change_forgets_the_months_it_touches(db: Path, tmp_path: Path) -> None:
    with Store.open(db) as store:
        build_report(store, parse_period("2026", today=NOW.date()), NOW)
    assert len(kept(db)) == 12
    ids: dict[str, int] = {}

    def change(label: str, do: Any, forgotten: set[str]) -> None:
        with Store.open(db) as store:
            do(store)
        assert set(kept(db)) == {f"2026-{m:02d}" for m in range(1, 13)} - forgotten, label
        assert_as_from_the_calls(db, tmp_path)
        with Store.open(db) as store:
            build_report(store, parse_period("2026", today=NOW.date()), NOW)  # keep them again
        assert len(kept(db)) == 12

    def new_call(store: Store, when: str, name: str) -> None:
        call = NewCall(customer="VDB", service="network", title=name, impact=2, urgency=1, reported_at=at(when))
        ids[name] = open_call(store, call, OPERATOR, at(when)).ticket.id

    def move(name: str, when: str, **changes: Any) -> Any:
        return lambda store: update_ticket(store, ids.get(name) or name_to_id(store, name), operator=OPERATOR,
                                           now=at(when), **changes)

    def name_to_id(store: Store, title: str) -> int:
        return int(store.conn.execute("SELECT id FROM tickets WHERE title = ?", [f"{title} call"]).fetchone()[0])

    # A call reported in the first half hour of August (Amsterdam) is still July in UTC.
    change("a call in the first minutes of August", lambda s: new_call(s, "2026-08-01 00:30", "late"), {"2026-07", "2026-08"})
    # Its response and resolution stop clocks in August and resolve it there.
    change("its response, in August", move("late", "2026-08-03 09:00", status="in_progress"), {"2026-08"})
    change("its resolution", move("late", "2026-08-03 10:00", status="resolved"), {"2026-08"})
    # Reopened: its July resolution and outcome are gone; the response stays in July.
    change("a resolved July call reopened in October", move("met", "2026-10-01 09:00", status="in_progress"), {"2026-07"})
    change("its service changed", move("met", "2026-10-01 09:30", service="network"), {"2026-07"})
    # Reported 31 Jul 15:00, 13:00 in UTC: August is within the zones' reach.
    change("its priority changed", move("breached", "2026-10-01 10:00", impact=3, urgency=3), {"2026-07", "2026-08"})
    change("a diagnosis changes no figure", move("waiting", "2026-10-01 11:00", diagnosis="token renewed"), set())

def test_a_read_only_store_reads_the_calls_and_keeps_nothing(db: Path) -> None:
    with Store.open(db, readonly=True) as store:
        r = build_report(store, parse_period("2026-07", today=NOW.date()), NOW, customer="VDB")
    assert r.total.opened > 0
    assert kept(db) == []


def test_a_report_waits_only_briefly_for_the_write_lock(db: Path) -> None:
    """While another program holds the write lock, the report reads the calls."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(db) as store:
            r = build_report(store, parse_period("2026-07", today=NOW.date()), NOW, customer="VDB")
        assert r.total.opened > 0
        assert kept(db) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_check_finds_kept_sums_that_differ_and_forgets_them(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(db) as store:
        build_report(store, parse_period("2026-Q3", today=NOW.date()), NOW)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE report_cells SET calls = calls + 1 WHERE month = '2026-07' AND kind = 'opened' "
                 "AND rowid = (SELECT MIN(rowid) FROM report_cells WHERE month = '2026-07' AND kind = 'opened')")
    conn.commit()
    conn.close()
    assert main(["check", "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM the report sums kept for 2026-07 differ from its calls" in out
    assert "2026-08" not in out
    assert main(["check", "--forget-kept-sums", "--db", str(db)]) == 0
    assert "forgot the report sums kept for 3 months" in capsys.readouterr().out
    assert kept(db) == []


def test_an_upgrade_keeps_the_past_months(tmp_path: Path) -> None:
    """A database from before the kept sums gets them for every month before this
    one when it is upgraded, so its first report reads no old calls."""
    old = tmp_path / "old.db"
    shutil.copyfile(Path(__file__).parents[1] / "data" / "schema-1.db", old)  # two calls of 2 Nov 2026
    conn = sqlite3.connect(old)  # a change in December: November is a past month
    conn.execute("UPDATE tickets SET updated_at = '2026-12-01T08:00:00+00:00' WHERE id = 1002")
    conn.commit()
    conn.close()
    with Store.open(old) as store:
        assert store.kept_months() == ["2026-11"]
        assert store.kept_months_astray() == []
        nov = build_report(store, parse_period("2026-11", today=NOW.date()), NOW)
    assert (nov.total.opened, nov.total.resolved) == (2, 1)
