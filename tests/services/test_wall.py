"""What the wall and the report screens read, without Textual: today's figures per
level, the wall's read-only feed (which follows a file replaced under it), the next
breaches by their real instant, and the calls behind a row of figures in the order
asked."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from slaboard.services.board import BoardModel
from slaboard.services.tickets import NewCall, call_lines, open_call, update_ticket
from slaboard.services.wall import WallFeed, day_start, next_breaches, todays_figures, zone_time
from slaboard.store import Store, StoreError

H = timedelta(hours=1)
M = timedelta(minutes=1)


def log(store: Store, reported: datetime, title: str = "Mail is down", customer: str = "acme", impact: int = 3) -> int:
    return open_call(store, NewCall(customer=customer, service="email", title=title, reported_at=reported, impact=impact),
                     "anna", reported).ticket.id


def test_today_counts_the_targets_met_and_missed_since_midnight(small_store: Store, now: datetime) -> None:
    quick = log(small_store, now - 0.25 * H)
    slow = log(small_store, now - 14 * H)  # reported yesterday evening; e-mail is solved within 4h
    for ticket in (quick, slow):
        update_ticket(small_store, ticket, operator="anna", now=now, status="resolved", reason="fixed")
    figures = todays_figures(small_store, now, "Europe/Amsterdam")
    assert set(figures) == {"Gold"}
    gold = figures["Gold"]
    assert (gold.response, gold.resolution, gold.met, gold.missed) == ((1, 2), (1, 2), 2, 2)
    assert gold.share == pytest.approx(0.5)
    assert todays_figures(small_store, now + 24 * H, "Europe/Amsterdam") == {}
    assert day_start(now, "America/New_York") == datetime.fromisoformat("2026-11-26T00:00:00-05:00")


def copy_of(source: Path, target: Path) -> Path:
    """A database copied whole into one file (no write-ahead log beside it)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    dst.execute("PRAGMA journal_mode=DELETE")
    src.close(), dst.close()
    return target


@pytest.mark.sqlite_only  # the wall's feed follows a file
def test_the_walls_feed_reads_only_and_follows_a_replaced_file(small_store: Store, now: datetime,
                                                               tmp_path: Path) -> None:
    first = log(small_store, now - H)
    path = copy_of(Path(small_store.path), tmp_path / "wall.db")
    feed = WallFeed(path)
    try:
        data = feed.read(now, figures=True)
        assert data.snapshot is not None and [v.ticket.id for v in data.snapshot.changed] == [first]
        assert data.level_order == ["Gold", "Bronze"] and data.figures == {}
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            feed._store.conn.execute("DELETE FROM tickets")  # type: ignore[union-attr]
        assert feed.read(now).snapshot is None  # nothing changed

        second = log(small_store, now - 0.5 * H, title="Printer jams")
        copy_of(Path(small_store.path), tmp_path / "restored.db").replace(path)  # a restore under the same name
        snapshot = feed.read(now).snapshot
        assert snapshot is not None and snapshot.full
        assert sorted(v.ticket.id for v in snapshot.changed) == sorted([first, second])

        path.unlink()
        with pytest.raises(StoreError, match="no database at"):
            feed.read(now)
    finally:
        feed.close()


def test_the_calls_behind_a_row_come_in_the_order_asked(small_store: Store, now: datetime) -> None:
    ids = [log(small_store, now - n * H, title=f"call {n}", customer="acme" if n % 2 else "tulip") for n in range(1, 4)]
    asked = [ids[2], 999_999, ids[0], ids[1]]
    lines = call_lines(small_store, asked)
    assert [line.ticket.id for line in lines] == [ids[2], ids[0], ids[1]]
    assert [line.customer_code for line in lines] == ["ACME", "ACME", "TUL"]
    many = call_lines(small_store, list(range(1, 1500)) + ids)  # more numbers than one statement takes
    assert [line.ticket.id for line in many] == sorted(ids) + ids


def test_open_breached_calls_count_against_their_level_today() -> None:
    from slaboard.services.wall import LevelToday, with_open_breaches

    figures = {"Gold": LevelToday("Gold", met=4, missed=0, response=(2, 2), resolution=(2, 2))}
    today = with_open_breaches(figures, {"Gold": 4, "Silver": 1, "none": 2})
    assert today["Gold"].share == pytest.approx(0.5) and today["Gold"].total == 8
    assert today["Silver"].share == 0 and today["Silver"].open_breached == 1
    assert "none" not in today  # calls without an SLA have no target to miss
    assert figures["Gold"].share == 1 and figures["Gold"].open_breached == 0  # what was read is left as it was


@pytest.mark.sqlite_only  # the wall's feed follows a file
def test_next_breaches_come_by_the_real_instant_and_a_stopped_clock_says_when_it_resumes(
        small_store: Store, now: datetime, tmp_path: Path) -> None:
    """Thursday 23:00 in Amsterdam. Tulip (New York, bronze on the Amsterdam office
    hours) has two minutes of its 4h response left since 17:00: its clock stands
    still until Friday 09:00 CET. Acme (gold, 24x7) has 28 minutes and two hours."""
    night = now.replace(hour=23)
    office = log(small_store, now.replace(hour=13, minute=2), title="Printer offline", customer="tulip", impact=1)
    soon = log(small_store, night - 32 * M, impact=1)  # P3: respond within 1h, round the clock
    later = log(small_store, night - 2 * H)  # P4: within 4h
    feed = WallFeed(copy_of(Path(small_store.path), tmp_path / "wall.db"))
    try:
        snapshot = feed.read(night).snapshot
    finally:
        feed.close()
    assert snapshot is not None
    model = BoardModel()
    ts = int(night.timestamp())
    model.apply(snapshot, ts)
    rows = model.rows
    assert [rows[i].remaining(ts) // 60 for i in (office, soon, later)] == [2, 28, 120]  # business minutes left

    upcoming = next_breaches(rows.values(), ts)
    assert [u.row.id for u in upcoming] == [soon, later, office]
    assert [u.stopped for u in upcoming] == [False, False, True]
    first, _, stopped = upcoming
    assert first.breach_text == "breaches Thu 23:28 CET" and first.resumes_text == ""
    assert stopped.resumes_text == "resumes Fri 03:00 EST"  # 09:00 in Amsterdam, in the customer's zone
    assert stopped.breach_text == "breaches Fri 03:02 EST"
    assert [u.row.id for u in next_breaches(rows.values(), ts, count=2)] == [soon, later]

    morning = int(now.replace(day=27, hour=9, minute=1).timestamp())  # Friday, the office is open again
    model.advance(morning)
    assert next_breaches([rows[office]], morning)[0].resumes_ts is None


def test_wall_times_carry_their_zone() -> None:
    ts = int(datetime.fromisoformat("2026-07-01T12:00:00+00:00").timestamp())
    assert zone_time(ts, "Europe/Amsterdam") == "Wed 14:00 CEST"
    assert zone_time(ts, "America/New_York", "%H:%M") == "08:00 EDT"
    assert zone_time(ts, "Asia/Kolkata") == "Wed 17:30 IST"
