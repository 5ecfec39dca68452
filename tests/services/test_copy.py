"""``slaboard copy``: a SQLite file to PostgreSQL and back, everything kept (the audit
trail digest, the counts, every report figure), an occupied destination refused
untouched, and a copy that fails leaves the destination empty."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pgserver import PgServer

from slaboard.cli import main
from slaboard.reports.figures import build_report, parse_period
from slaboard.services import copying
from slaboard.services.copying import copy_database, counts, trail_digest
from slaboard.services.demo import build_demo
from slaboard.services.tickets import NewCall, ServiceError, open_call, update_ticket
from slaboard.store import Store

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "demo.db"
    build_demo(path, NOW, history=400, seed=5)
    return path


def figures(target: str | Path) -> list[dict[str, object]]:
    out = []
    with Store.open(target) as store:
        for period, customer in (("2026-Q3", None), ("2026-11", None), ("2026", "VDB")):
            report = build_report(store, parse_period(period, today=NOW.date()), NOW, customer=customer)
            data = report.to_dict()
            data.pop("generated_at")
            data["calls"] = report.ticket_ids
            out.append(data)
    return out


def test_a_file_to_postgresql_and_back_keeps_everything(demo: Path, pg_server: PgServer, tmp_path: Path) -> None:
    url = pg_server.new_database()
    there = copy_database(demo, url, NOW)
    assert there.ok, there.problems
    back = copy_database(url, tmp_path / "back.db", NOW)
    assert back.ok, back.problems
    with Store.open(demo) as a, Store.open(url) as b, Store.open(tmp_path / "back.db") as c:
        assert counts(a) == counts(b) == counts(c) and counts(a)["events"] > 1000
        assert trail_digest(a) == trail_digest(b) == trail_digest(c) == there.trail == back.trail
        assert a.ticket(1010) == b.ticket(1010) == c.ticket(1010)
        assert a.outcomes(1010) == b.outcomes(1010) == c.outcomes(1010)
    assert figures(demo) == figures(url) == figures(tmp_path / "back.db")


def test_after_a_copy_new_numbers_follow_the_copied_ones(demo: Path, pg_server: PgServer) -> None:
    url = pg_server.new_database()
    assert copy_database(demo, url, NOW).ok
    with Store.open(demo) as source:
        last_ticket = source.last_ticket_id() if hasattr(source, "last_ticket_id") else \
            source.conn.execute("SELECT MAX(id) FROM tickets").fetchone()[0]
        last_event = source.conn.execute("SELECT MAX(id) FROM events").fetchone()[0]
    with Store.open(url) as store:
        view = open_call(store, NewCall(customer="VDB", service="email", title="after the copy", reported_at=NOW),
                         "ann", NOW + timedelta(minutes=1))
        update_ticket(store, view.ticket.id, operator="ann", now=NOW + timedelta(minutes=2), status="in_progress")
        assert view.ticket.id == last_ticket + 1
        assert min(e.id for e in store.events(view.ticket.id)) > last_event  # type: ignore[operator]


def test_a_destination_that_is_not_empty_is_refused_untouched(demo: Path, pg_server: PgServer, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.db"
    build_demo(other, NOW, history=0, seed=9)
    with Store.open(other) as store:
        before = (counts(store), trail_digest(store))
    assert main(["copy", str(demo), str(other)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not empty" in err and "nothing was copied" in err
    with Store.open(other) as store:
        assert (counts(store), trail_digest(store)) == before
    with pytest.raises(ServiceError, match="the same database"):
        copy_database(demo, demo, NOW)


def test_a_copy_that_fails_leaves_the_destination_empty(demo: Path, pg_server: PgServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg_server.new_database()
    real = copying._copy_table

    def failing(src: Store, dst: Store, table: str) -> None:
        if table == "communications":
            raise ServiceError("copy: the disk of the destination filled up")
        real(src, dst, table)

    monkeypatch.setattr(copying, "_copy_table", failing)
    with pytest.raises(ServiceError, match="filled up"):
        copy_database(demo, url, NOW)
    with Store.open(url) as store:
        assert set(counts(store).values()) == {0}


def test_the_command_prints_the_counts_and_the_checks(demo: Path, pg_server: PgServer,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = pg_server.new_database()
    assert main(["copy", str(demo), url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"copied {demo} to postgresql://")
    assert "on both sides" in out and out.rstrip().endswith("ok") and "tickets" in out
    assert "PROBLEM" not in out
