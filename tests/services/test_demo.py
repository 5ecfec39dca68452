"""The demo database: a board with something of everything, built the same way
every time for the same seed and ``now``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.services import demo
from slaboard.services.demo import build_demo, default_demo_path, shift_years
from slaboard.services.tickets import ServiceError, open_views
from slaboard.store import Store

NOW = datetime.fromisoformat("2026-11-26T10:30+01:00")  # a Thursday morning
HISTORY = 30


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoSummary]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    return path, build_demo(path, NOW, history=HISTORY)


@pytest.fixture
def store(built: tuple[Path, demo.DemoSummary]):
    with Store.open(built[0], readonly=True) as s:
        yield s


def test_the_database_opens_with_open_and_closed_calls(built, store) -> None:
    path, summary = built
    assert summary.path == path
    assert 30 <= summary.open <= 50
    assert summary.closed == HISTORY
    assert summary.seconds > 0
    assert store.count_tickets() == summary.open + summary.closed
    assert len(store.open_tickets()) == summary.open


def test_the_board_shows_every_kind_of_state(store) -> None:
    views = open_views(store, NOW)
    states = {v.leading.state for v in views if v.leading is not None}
    assert {"breached", "paused", "ok"} <= states
    assert states & {"warning", "critical"}
    ok = [v for v in views if v.leading is not None and v.leading.state == "ok"]
    assert len(ok) >= len(views) // 3, "most calls should be fine"


def test_open_calls_spread_over_customers_services_and_operators(store) -> None:
    open_tickets = [t for t, _ in store.open_tickets()]
    assert len({t.customer for t in open_tickets}) >= 8
    assert len({t.service for t in open_tickets}) >= 5
    assert len({t.priority for t in open_tickets}) >= 3
    assert len({t.channel for t in open_tickets}) >= 2
    unassigned = [t for t in open_tickets if not t.assignee]
    assert 1 <= len(unassigned) <= len(open_tickets) // 4
    assert {t.assignee for t in open_tickets if t.assignee} <= {"anna", "bram", "chris", "dewi"}


def test_paused_calls_say_why_and_diagnosed_calls_carry_a_promise(store) -> None:
    open_tickets = [t for t, _ in store.open_tickets()]
    waiting = [t for t in open_tickets if t.status == "waiting_customer"]
    assert waiting
    assert all(t.statuses[-1].reason for t in waiting)
    diagnosing = [t for t in open_tickets if t.status == "diagnosing"]
    assert len(diagnosing) >= 2
    assert all(t.expected_at is not None and t.planned_at is not None for t in diagnosing)


def test_there_is_billable_work(store) -> None:
    open_tickets = [t for t, _ in store.open_tickets()]
    billable = [t for t in open_tickets if t.billable]
    assert any(t.contract_id is None for t in billable), "a call from a customer without a contract"
    assert any(t.contract_id is not None for t in billable), "a call on a service the contract does not cover"


def test_closed_calls_went_through_a_lifecycle_and_have_outcomes(store) -> None:
    closed = [t for t, _ in store.ticket_rows_with_zone("status = 'closed'")]
    assert len(closed) == HISTORY
    with_contract = [t for t in closed if not t.billable]
    assert with_contract
    for t in closed:
        statuses = [s.status for s in t.statuses]
        assert statuses[0] == "new" and statuses[-2:] == ["resolved", "closed"]
        assert "in_progress" in statuses
        assert t.assignee
    for t in with_contract:
        outcomes = store.outcomes(t.id)
        assert {"response", "resolution"} <= set(outcomes)
        assert outcomes["resolution"]["met"] in (0, 1)
    met = [store.outcomes(t.id)["resolution"]["met"] for t in with_contract]
    assert sum(met) > len(met) / 2, "most targets are met"


def test_history_lies_in_the_year_before_now(store) -> None:
    closed = [t for t, _ in store.ticket_rows_with_zone("status = 'closed'")]
    for t in closed:
        age = NOW - t.reported_at
        assert 0 < age.days <= 366
        assert t.closed_at is not None and t.closed_at <= NOW


def test_nothing_happens_after_now_and_events_are_in_time_order(store) -> None:
    for ticket, _ in store.ticket_rows_with_zone():
        assert ticket.reported_at <= ticket.created_at <= NOW
        events = store.events(ticket.id)
        assert events[0].kind == "created"
        times = [e.at for e in events]
        assert times == sorted(times)
        assert times[0] >= ticket.reported_at
        assert times[-1] <= NOW
    numbers = [t.created_at for t, _ in store.ticket_rows_with_zone()]
    assert numbers == sorted(numbers), "ticket numbers follow the order calls came in"


def _fingerprint(path: Path) -> list[tuple[object, ...]]:
    with Store.open(path, readonly=True) as s:
        return [
            (t.id, t.customer, t.service, t.title, t.reported_at, t.status, t.assignee, t.priority)
            for t, _ in s.ticket_rows_with_zone()
        ]


def test_the_same_seed_gives_the_same_database(tmp_path: Path, built) -> None:
    again = tmp_path / "again.db"
    build_demo(again, NOW, history=HISTORY)
    assert _fingerprint(again) == _fingerprint(built[0])
    other = tmp_path / "other.db"
    build_demo(other, NOW, history=HISTORY, seed=8)
    assert _fingerprint(other) != _fingerprint(built[0])


def test_building_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(b"not a database at all")
    Path(f"{path}-wal").write_bytes(b"stale")
    summary = build_demo(path, NOW, history=3)
    with Store.open(path, readonly=True) as s:
        assert s.count_tickets() == summary.open + summary.closed


@pytest.mark.parametrize(
    "now",
    [
        "2026-11-29T15:00+01:00",  # Sunday: office-hours calendars are closed
        "2026-12-25T09:00+01:00",  # Christmas Day
        "2026-10-25T02:30+01:00",  # the night the clocks go back
        "2026-01-01T00:30+01:00",  # just after most contracts began
    ],
)
def test_closed_calendars_and_odd_moments_still_build(tmp_path: Path, now: str) -> None:
    at = datetime.fromisoformat(now)
    summary = build_demo(tmp_path / "demo.db", at, history=5)
    assert summary.open > 0
    with Store.open(tmp_path / "demo.db", readonly=True) as s:
        for ticket, _ in s.ticket_rows_with_zone():
            assert ticket.reported_at <= at
        assert {v.leading.state for v in open_views(s, at) if v.leading} & {"ok", "warning", "critical", "breached", "paused"}


def test_now_must_be_aware(tmp_path: Path) -> None:
    with pytest.raises(ServiceError):
        build_demo(tmp_path / "demo.db", datetime(2026, 11, 26, 10, 30), history=0)


def test_default_path_is_in_the_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data" / "slaboard"
    monkeypatch.setattr(demo.platformdirs, "user_data_dir", lambda name: str(tmp_path / "data" / name))
    path = default_demo_path()
    assert path == folder / "demo.db"
    assert folder.is_dir()


def test_contracts_stay_in_force_whenever_the_demo_is_built(tmp_path: Path) -> None:
    """Built years after the sample file was written, the demo still has covered
    calls: contract validity, holidays and closures move with now."""
    later = datetime(2031, 3, 4, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    build_demo(tmp_path / "later.db", later, history=40)
    with Store.open(tmp_path / "later.db") as s:
        at = int(later.timestamp())
        views = open_views(s, at)
        covered = [v for v in views if not v.ticket.billable]
        assert len(covered) > len(views) // 2
        contract = s.contract_in_force("vdberg-transport", later.date())
        assert contract is not None
        assert contract.terms.valid_from == date(2031, 1, 1)
        assert contract.terms.valid_to == date(2032, 12, 31)
        office = s.catalog().calendars["office-nl"]
        assert "2031-12-24" in [str(d) for d in office.holidays]


def test_shifting_years_moves_only_whole_dates() -> None:
    doc = {"a": date(2028, 2, 29), "b": ["2026-12-31T12:00", "2026-05-15"], "name": "2026-05-15 outage",
           "n": 3, "t": datetime(2026, 1, 1, 8, 30)}
    assert shift_years(doc, 1) == {"a": date(2029, 2, 28), "b": ["2027-12-31T12:00", "2027-05-15"],
                                   "name": "2026-05-15 outage", "n": 3, "t": datetime(2027, 1, 1, 8, 30)}
    assert shift_years(doc, 0) == doc
