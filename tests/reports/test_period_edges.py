"""A call belongs to a period by its customer's own calendar, in the customer's
report and in the report across customers alike: the MSP-wide figures of a
customer are that customer's own figures.

Two customers far from the MSP (Amsterdam), with calls on the edge of July:

  tulip (TTI, New York)   reported Fri 31 Jul 20:00 New York = Sat 1 Aug 02:00 Amsterdam,
                          responded 20:30, resolved 23:00 (still 31 Jul in New York)
  lotus (LBS, Singapore)  reported Sat 1 Aug 05:30 Singapore = Fri 31 Jul 23:30 Amsterdam,
                          responded 05:45, resolved 07:00
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.reports import document
from slaboard.reports.figures import Report, build_report, parse_period
from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store

NOW = datetime(2026, 10, 5, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("edges") / "edges.db"
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("UTC")))
        for customer, zone, day, times in (("TTI", NEW_YORK, "2026-07-31", ("20:00", "20:30", "23:00")),
                                           ("LBS", SINGAPORE, "2026-08-01", ("05:30", "05:45", "07:00"))):
            reported, responded, resolved = (datetime.fromisoformat(f"{day} {t}").replace(tzinfo=zone) for t in times)
            new = NewCall(customer=customer, service="network", title=f"{customer} edge call", impact=2, urgency=1,
                          reported_at=reported)
            ticket_id = open_call(store, new, "ann", reported).ticket.id
            update_ticket(store, ticket_id, operator="ann", now=responded, status="in_progress")
            update_ticket(store, ticket_id, operator="ann", now=resolved, status="resolved")
    return path


@pytest.fixture
def store(db: Path):
    with Store.open(db) as s:
        yield s


def report(store: Store, period: str, customer: str | None = None) -> Report:
    return build_report(store, parse_period(period, today=NOW.date()), NOW, grouping="customer", customer=customer)


def row_of(msp: Report, name: str) -> dict[str, object] | None:
    rows = [g.to_dict() for g in msp.groups if g.key == name]
    return rows[0] if rows else None


def figures(r: Report) -> dict[str, object]:
    return {k: v for k, v in r.total.to_dict().items() if k != "group"}


@pytest.mark.parametrize(("code", "month", "other_month"), [("TTI", "2026-07", "2026-08"), ("LBS", "2026-08", "2026-07")])
def test_both_reports_count_a_call_in_the_customers_own_month(store, code, month, other_month):
    own = report(store, month, code)
    assert (own.total.opened, own.total.resolved, own.total.response_met + own.total.response_missed) == (1, 1, 1)
    msp = report(store, month)
    # The customer's row in the MSP's report is the customer's own report, figure for figure.
    assert {k: v for k, v in (row_of(msp, own.customer_name) or {}).items() if k != "group"} == figures(own)
    # ...and the month next door has the call in neither.
    assert report(store, other_month, code).total.opened == 0
    assert row_of(report(store, other_month), own.customer_name) is None
    assert report(store, month, code).ticket_ids[own.customer_name] == msp.ticket_ids[own.customer_name]


def test_the_msp_report_says_whose_calendar_counts(store):
    msp = report(store, "2026-07")
    rule = "each customer's calls are counted in the periods of that customer's own time zone"
    assert rule in document.to_markdown(msp).lower().replace("\\", "")
    assert rule in html.unescape(document.to_html(msp)).lower()
    assert msp.to_dict()["period"]["edges"] == "customer"
    own = report(store, "2026-07", "TTI")
    assert own.tz == "America/New_York" and own.to_dict()["period"]["edges"] == "customer"


def test_a_stopped_clock_carries_its_local_day_in_the_customers_zone(store):
    got = store.conn.execute(
        "SELECT t.customer, o.clock, o.local_day, o.stopped_at, o.span_seconds, o.customer FROM clock_outcomes o "
        "JOIN tickets t ON t.id = o.ticket_id ORDER BY t.customer, o.clock").fetchall()
    days = {(c, clock): (day, stopped[:10]) for c, clock, day, stopped, _span, _oc in got}
    # New York's 23:00 on 31 July is 03:00 UTC on 1 August; Singapore's 07:00 on 1 August is 23:00 UTC on 31 July.
    assert days[("tulip-trading", "resolution")] == ("2026-07-31", "2026-08-01")
    assert days[("lotus-bay", "resolution")] == ("2026-08-01", "2026-07-31")
    assert {(c, clock): span for c, clock, _d, _s, span, _oc in got}[("tulip-trading", "resolution")] == 3 * 3600
    assert all(c == oc for c, _clock, _d, _s, _span, oc in got)


def test_outcomes_follow_a_change_of_the_calls_service(db: Path, tmp_path: Path):
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    with Store.open(copy) as store:
        (ticket_id,) = store.conn.execute("SELECT id FROM tickets WHERE customer = 'tulip-trading'").fetchone()
        update_ticket(store, ticket_id, operator="ann", now=NOW, service="email")
        july = build_report(store, parse_period("2026-07", today=NOW.date()), NOW, grouping="service", customer="TTI")
    assert [(g.key, g.opened, g.resolution_met + g.resolution_missed) for g in july.groups] == [("email", 1, 1)]
