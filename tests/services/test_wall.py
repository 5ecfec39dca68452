"""What the wall and the report screens read, without Textual: today's figures per
level, the wall's read-only feed (which follows a file replaced under it), and the
calls behind a row of figures in the order asked."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from slaboard.services.tickets import NewCall, call_lines, open_call, update_ticket
from slaboard.services.wall import WallFeed, day_start, todays_figures
from slaboard.store import Store, StoreError

H = timedelta(hours=1)


def log(store: Store, reported: datetime, title: str = "Mail is down", customer: str = "acme") -> int:
    return open_call(store, NewCall(customer=customer, service="email", title=title, reported_at=reported),
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
