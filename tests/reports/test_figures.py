"""SLA figures against hand-computed expectations on a small fixed history.

The history is built through the real services at chosen instants (every step has
an explicit ``now``), on the sample MSP. Most calls are Van den Berg Transport's
(VDB: Silver on the extended desk, weekdays 07:00-22:00 and Saturday 09:00-13:00,
Amsterdam; no public holiday falls in July 2026). Silver's targets: response P1 30m,
P2 1h, P4 4h; resolution P1 4h, P2 8h; e-mail resolution 4h whatever the priority
(an override that version 2 of the contract tightens to 2h).

  call        service       prio  reported (Amsterdam)  what happens
  spanning    workstations  P2    Tue 30 Jun 21:00      responds 21:30, resolved Wed 1 Jul 09:00
  met         workstations  P2    Thu  2 Jul 09:00      responds 09:20, resolved 13:00
  missed      workstations  P1    Mon  6 Jul 21:30      responds Tue 07:15, resolved Tue 11:00 (both late, justified)
  paused      network       P2    Wed  8 Jul 16:00      responds 16:10, waits for the customer 18:00 - Thu 09:00, resolved Thu 10:00
  reopened    printing      P2    Mon 13 Jul 09:00      responds 09:30, resolved 11:00, reopened 14:00, resolved 16:00
  priority    workstations  P4    Tue 14 Jul 09:00      responds 10:00, becomes P1 at 11:00, resolved 14:30 (late, justified)
  contract_v1 email         P2    Wed 15 Jul 09:00      responds 09:15; contract v2 loaded 10:00; resolved 12:00 (v1: 4h)
  contract_v2 email         P2    Thu 16 Jul 09:00      responds 09:15, resolved 11:45 (v2: 2h, late, justified)
  billable    servers       P4    Fri 17 Jul 10:00      not covered: 2.5 hours at the contract's 89/h, resolved 12:00
  breached    workstations  P1    Fri 31 Jul 15:00      responds 15:10, still open (7h used of 4h at the end of July)
  waiting     network       P2    Fri 31 Jul 21:00      responds 21:05, plan 21:10, waits for the customer from 21:30

and two calls of other customers (for the groupings across customers):

  gold        HGG network   P3    Mon 20 Jul 10:00      Gold 24x7, override 4h; responds 10:30, resolved 13:00
  no_contract SPK network   P4    Tue 21 Jul 10:00      no contract: 1.5 hours at the MSP's 110/h, resolved 12:00
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.reports.figures import Figures, Period, Report, build_report, parse_period
from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, ServiceError, open_call, update_ticket
from slaboard.store import Store

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 10, 5, 10, 0, tzinfo=AMS)  # a Monday, after the whole history
OPERATOR = "ann"
VDB_NAME = "Van den Berg Transport B.V."
VDB_CONTRACT = "vdberg-transport-2026-01-01"

J_RESPONSE = "Night call: the on-call engineer was on another P1"
J_RESOLUTION = "Replacement <b>SSD</b> delivered late & \"courier\" lost it"
J_PRIORITY = "Escalated to P1 when the whole warehouse went offline"
J_MAIL = "Mail provider outage <Contoso & Co> \"EU-West\""
R_PAUSE = "on-site visit: customer not present"
R_WAITING = "waiting for the customer's VPN token"
REOPENED = "resolved, then reopened"  # the engine's reason for a resolved span
SCRIPT_TITLE = "Mail bounces <script>alert('x')</script> & \"quotes\""


def at(text: str) -> datetime:
    """'2026-07-02 09:00' in Amsterdam."""
    return datetime.fromisoformat(text).replace(tzinfo=AMS)


@dataclass
class History:
    path: Path
    ids: dict[str, int]


def _v2_text() -> str:
    """msp.toml with Van den Berg's e-mail override tightened from 4h to 2h (its
    contract is the first one with that override line)."""
    text = (data_dir("sample_data") / "msp.toml").read_text(encoding="utf-8")
    old = 'overrides = { email = { resolution = "4h" } }'
    assert text.index(old) < text.index('customer = "kramer-bakker"')
    return text.replace(old, 'overrides = { email = { resolution = "2h" } }', 1)


def build_history(path: Path) -> History:
    ids: dict[str, int] = {}
    v2 = path.parent / "msp-v2.toml"
    v2.write_text(_v2_text(), encoding="utf-8")
    with Store.open(path, create=True) as store:

        def call(name: str, customer: str, service: str, when: str, impact: int, urgency: int, title: str = "") -> None:
            reported = at(when)
            new = NewCall(customer=customer, service=service, title=title or f"{name} call", impact=impact,
                          urgency=urgency, reported_at=reported)
            ids[name] = open_call(store, new, OPERATOR, reported).ticket.id

        def move(name: str, when: str, **changes: object) -> None:
            update_ticket(store, ids[name], operator=OPERATOR, now=at(when), **changes)

        load_files(store, [data_dir("sample_data") / "msp.toml"], at("2026-06-01 09:00"))
        call("spanning", "VDB", "workstations", "2026-06-30 21:00", 2, 1)
        move("spanning", "2026-06-30 21:30", status="in_progress")
        move("spanning", "2026-07-01 09:00", status="resolved")
        call("met", "VDB", "workstations", "2026-07-02 09:00", 1, 2)
        move("met", "2026-07-02 09:20", status="in_progress")
        move("met", "2026-07-02 13:00", status="resolved")
        call("missed", "VDB", "workstations", "2026-07-06 21:30", 1, 1, "Laptop of the planner will not boot")
        move("missed", "2026-07-07 07:15", status="in_progress", justification=J_RESPONSE)
        move("missed", "2026-07-07 11:00", status="resolved", justification=J_RESOLUTION)
        call("paused", "VDB", "network", "2026-07-08 16:00", 2, 1)
        move("paused", "2026-07-08 16:10", status="in_progress")
        move("paused", "2026-07-08 18:00", status="waiting_customer", reason=R_PAUSE)
        move("paused", "2026-07-09 09:00", status="in_progress")
        move("paused", "2026-07-09 10:00", status="resolved")
        call("reopened", "VDB", "printing", "2026-07-13 09:00", 2, 1)
        move("reopened", "2026-07-13 09:30", status="in_progress")
        move("reopened", "2026-07-13 11:00", status="resolved")
        move("reopened", "2026-07-13 14:00", status="in_progress")
        move("reopened", "2026-07-13 16:00", status="resolved")
        call("priority", "VDB", "workstations", "2026-07-14 09:00", 3, 2)  # P4
        move("priority", "2026-07-14 10:00", status="in_progress")
        move("priority", "2026-07-14 11:00", impact=1, urgency=1)  # P1 from the start
        with pytest.raises(ServiceError, match="justification"):
            move("priority", "2026-07-14 14:30", status="resolved", require_justification=True)
        move("priority", "2026-07-14 14:30", status="resolved", require_justification=True, justification=J_PRIORITY)
        call("contract_v1", "VDB", "email", "2026-07-15 09:00", 2, 1)
        move("contract_v1", "2026-07-15 09:15", status="in_progress")
        summary = load_files(store, [v2], at("2026-07-15 10:00"))
        assert summary.changed.get("contracts") == [VDB_CONTRACT]
        move("contract_v1", "2026-07-15 12:00", status="resolved")
        call("contract_v2", "VDB", "email", "2026-07-16 09:00", 2, 1, SCRIPT_TITLE)
        move("contract_v2", "2026-07-16 09:15", status="in_progress")
        move("contract_v2", "2026-07-16 11:45", status="resolved", justification=J_MAIL)
        call("billable", "VDB", "servers", "2026-07-17 10:00", 3, 3)
        move("billable", "2026-07-17 10:05", status="in_progress", estimate_hours=2.5)
        move("billable", "2026-07-17 12:00", status="resolved")
        call("gold", "HGG", "network", "2026-07-20 10:00", 2, 2)
        move("gold", "2026-07-20 10:30", status="in_progress")
        move("gold", "2026-07-20 13:00", status="resolved")
        call("no_contract", "SPK", "network", "2026-07-21 10:00", 3, 3)
        move("no_contract", "2026-07-21 10:05", status="in_progress", estimate_hours=1.5)
        move("no_contract", "2026-07-21 12:00", status="resolved")
        call("breached", "VDB", "workstations", "2026-07-31 15:00", 1, 1)
        move("breached", "2026-07-31 15:10", status="in_progress")
        call("waiting", "VDB", "network", "2026-07-31 21:00", 2, 1)
        move("waiting", "2026-07-31 21:05", status="in_progress")
        move("waiting", "2026-07-31 21:10", diagnosis="VPN token expired", expected=at("2026-08-03 12:00"))
        move("waiting", "2026-07-31 21:30", status="waiting_customer", reason=R_WAITING)
    return History(path, ids)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("reports") / "r.db")


@pytest.fixture
def store(history: History):
    with Store.open(history.path) as s:
        yield s


def report(store: Store, period: str, grouping: str = "level", customer: str | None = "VDB", **kw) -> Report:
    return build_report(store, parse_period(period, today=NOW.date()), NOW, grouping=grouping, customer=customer, **kw)


COUNTS = ("opened", "resolved", "response_met", "response_missed", "resolution_met", "resolution_missed",
          "open_breached", "billable_calls", "billable_hours", "billable_amount", "paused_seconds")


def counts(f: Figures) -> dict[str, object]:
    return {name: getattr(f, name) for name in COUNTS}


def group(r: Report, key: str) -> Figures:
    found = [g for g in r.groups if g.key == key]
    assert len(found) == 1, [g.key for g in r.groups]
    return found[0]


# Van den Berg in July, by hand (business = calendar for every span inside 07:00-22:00):
#   opened (reported in July): met, missed, paused, reopened, priority, contract_v1, contract_v2,
#     billable, breached, waiting = 10 (spanning was reported in June)
#   resolved (resolved in July): spanning, met, missed, paused, reopened, priority, contract_v1,
#     contract_v2, billable = 9
#   response, business seconds (calendar where it differs):
#     met 09:00-09:20 = 1200; missed Mon 21:30-22:00 + Tue 07:00-07:15 = 1800 + 900 = 2700 > 1800
#     (calendar 21:30-07:15 = 9h45m = 35100), late 900; paused 600; reopened 1800;
#     priority 3600 (P4 4h: the change to P1 came after the response); contract_v1 900;
#     contract_v2 900; breached 600; waiting 300   -> met 8, missed 1 (spanning responded in June)
#     business sum 1200+2700+600+1800+3600+900+900+600+300 = 12600, mean 1400,
#       sorted 300 600 600 900 [900] 1200 1800 2700 3600 -> median 900
#     calendar sum 12600 - 2700 + 35100 = 45000, mean 5000, median 900
#   resolution, business seconds (calendar):
#     spanning Tue 21:00-22:00 + Wed 07:00-09:00 = 10800 (12h = 43200), met 8h
#     met 09:00-13:00 = 14400 (14400), met 8h
#     missed 21:30-22:00 + 07:00-11:00 = 1800 + 14400 = 16200 (13h30m = 48600) > 4h, late 1800
#     paused 16:00-18:00 + Thu 09:00-10:00 = 10800; paused 18:00-22:00 + 07:00-09:00 = 21600
#       (calendar 16:00-10:00 = 18h = 64800), met 8h
#     reopened 09:00-11:00 + 14:00-16:00 = 14400; the resolved span 11:00-14:00 = 10800 is a
#       pause (7h = 25200), met 8h
#     priority 09:00-14:30 = 19800 (19800) > P1 4h = 14400, late 5400
#     contract_v1 09:00-12:00 = 10800 (10800) <= v1's 4h, met
#     contract_v2 09:00-11:45 = 9900 (9900) > v2's 2h = 7200, late 2700
#     -> met 5, missed 3
#     business sum 10800+14400+16200+10800+14400+19800+10800+9900 = 107100, mean 13387.5,
#       sorted 9900 10800 10800 [10800 14400] 14400 16200 19800 -> median 12600
#     calendar sum 43200+14400+48600+64800+25200+19800+10800+9900 = 236700, mean 29587.5,
#       sorted 9900 10800 14400 [19800 25200] 43200 48600 64800 -> median 22500
#   paused: 21600 (on-site visit) + 10800 (reopened) = 32400
#   billable: 1 call, 2.5 h x 89 = 222.5
#   open at the end of July (Sat 1 Aug 00:00): breached used 15:00-22:00 = 7h > 4h -> breached;
#     waiting is paused at 30m of 8h with its plan met -> not breached.   open_breached 1
RESPOND_BUSINESS = [1200, 2700, 600, 1800, 3600, 900, 900, 600, 300]
RESPOND_CALENDAR = [1200, 35100, 600, 1800, 3600, 900, 900, 600, 300]
RESOLVE_BUSINESS = [10800, 14400, 16200, 10800, 14400, 19800, 10800, 9900]
RESOLVE_CALENDAR = [43200, 14400, 48600, 64800, 25200, 19800, 10800, 9900]
VDB_JULY = {
    "opened": 10, "resolved": 9, "response_met": 8, "response_missed": 1, "resolution_met": 5,
    "resolution_missed": 3, "open_breached": 1, "billable_calls": 1, "billable_hours": 2.5,
    "billable_amount": 222.5, "paused_seconds": 32400,
}


def test_one_customer_month_total(store):
    r = report(store, "2026-07")
    t = r.total
    assert counts(t) == VDB_JULY
    assert t.response_share == 8 / 9
    assert t.resolution_share == 5 / 8  # 0.625
    assert sorted(t.respond_business) == sorted(RESPOND_BUSINESS)
    assert sorted(t.respond_calendar) == sorted(RESPOND_CALENDAR)
    assert sorted(t.resolve_business) == sorted(RESOLVE_BUSINESS)
    assert sorted(t.resolve_calendar) == sorted(RESOLVE_CALENDAR)
    assert dict(t.paused_by_reason) == {R_PAUSE: 21600, REOPENED: 10800}
    row = t.to_dict()
    assert row["respond_business_mean_s"] == 1400 and row["respond_business_median_s"] == 900
    assert row["respond_calendar_mean_s"] == 5000 and row["respond_calendar_median_s"] == 900
    assert statistics.fmean(t.resolve_business) == 13387.5
    assert row["resolve_business_mean_s"] == 13388  # 13387.5 rounded half to even
    assert row["resolve_business_median_s"] == 12600
    assert statistics.fmean(t.resolve_calendar) == 29587.5
    assert row["resolve_calendar_mean_s"] == 29588 and row["resolve_calendar_median_s"] == 22500
    assert row["response_met_share"] == 8 / 9 and row["resolution_met_share"] == 0.625
    assert row["paused_by_reason_s"] == {R_PAUSE: 21600, REOPENED: 10800}
    # One customer, one level: the only group is the total.
    assert [g.key for g in r.groups] == ["Silver"]
    assert counts(r.groups[0]) == VDB_JULY
    assert (r.customer, r.customer_name, r.tz) == ("vdberg-transport", VDB_NAME, "Europe/Amsterdam")
    assert r.period == Period(date(2026, 7, 1), date(2026, 8, 1), "July 2026")
    assert r.generated_at == NOW


def test_each_case_lands_where_it_should(store, history):
    ids = history.ids
    r = report(store, "2026-07", "priority")
    assert r.ticket_ids["P4"] == sorted([ids["priority"], ids["billable"]])  # response under P4, billable P4
    # met: both targets met
    o = store.outcomes(ids["met"])
    assert (o["response"]["met"], o["resolution"]["met"]) == (1, 1)
    # missed: both late, each with its own justification
    o = store.outcomes(ids["missed"])
    assert (o["response"]["late_seconds"], o["response"]["justification"]) == (900, J_RESPONSE)
    assert (o["resolution"]["late_seconds"], o["resolution"]["justification"]) == (1800, J_RESOLUTION)
    # paused: the business time lost, by reason
    o = store.outcomes(ids["paused"])["resolution"]
    assert (o["used_seconds"], o["paused_seconds"]) == (10800, 21600)
    # reopened: one outcome, at the second resolution, the resolved span as a pause
    o = store.outcomes(ids["reopened"])["resolution"]
    assert (o["stopped_at"], o["used_seconds"], o["paused_seconds"]) == ("2026-07-13T14:00:00+00:00", 14400, 10800)
    # changed priority: the response against P4's 4h, the resolution against P1's 4h
    o = store.outcomes(ids["priority"])
    assert (o["response"]["priority"], o["response"]["target"], o["response"]["met"]) == ("P4", "4h", 1)
    assert (o["resolution"]["priority"], o["resolution"]["target"], o["resolution"]["late_seconds"]) == ("P1", "4h", 5400)
    # changed contract: the call opened under v1 keeps v1's 4h, the later one has v2's 2h
    v1, v2 = store.outcomes(ids["contract_v1"])["resolution"], store.outcomes(ids["contract_v2"])["resolution"]
    assert (v1["contract_version"], v1["target"], v1["met"]) == (1, "4h", 1)
    assert (v2["contract_version"], v2["target"], v2["met"], v2["late_seconds"]) == (2, "2h", 0, 2700)
    # billable: no clocks, no outcomes
    assert store.outcomes(ids["billable"]) == {}


# By priority (opened and resolved by the call's priority now; outcomes by the priority
# whose target they were measured against):
#   P1: opened missed, priority, breached = 3; resolved missed, priority = 2;
#       response missed (late) + breached (met) = 1/1; resolution missed + priority, both late = 0/2;
#       open breached: breached
#   P2: opened met, paused, reopened, contract_v1, contract_v2, waiting = 6;
#       resolved those but waiting, plus spanning = 6; response 6 met (met, paused, reopened,
#       contract_v1, contract_v2, waiting); resolution spanning, met, paused, reopened, contract_v1
#       met, contract_v2 late = 5/1; paused 21600 + 10800
#   P4: opened billable = 1; resolved billable = 1; response priority (P4's 4h) met = 1/0; billable 2.5h
def test_grouping_by_priority(store):
    r = report(store, "2026-07", "priority")
    assert [g.key for g in r.groups] == ["P1", "P2", "P4"]
    zero = dict.fromkeys(COUNTS, 0) | {"billable_hours": 0.0, "billable_amount": 0.0}
    assert counts(group(r, "P1")) == zero | {"opened": 3, "resolved": 2, "response_met": 1, "response_missed": 1,
                                            "resolution_missed": 2, "open_breached": 1}
    assert counts(group(r, "P2")) == zero | {"opened": 6, "resolved": 6, "response_met": 6, "resolution_met": 5,
                                            "resolution_missed": 1, "paused_seconds": 32400}
    assert counts(group(r, "P4")) == zero | {"opened": 1, "resolved": 1, "response_met": 1, "billable_calls": 1,
                                            "billable_hours": 2.5, "billable_amount": 222.5}
    assert group(r, "P1").resolution_share == 0.0
    assert group(r, "P2").resolution_share == 5 / 6
    assert group(r, "P4").resolution_share is None  # no resolution target stopped
    assert counts(r.total) == VDB_JULY


# By contract version: v1 until Wed 15 Jul 10:00, v2 after.
#   v1: opened met, missed, paused, reopened, priority, contract_v1 = 6; resolved those + spanning = 7
#       response met, paused, reopened, priority, contract_v1 met, missed late = 5/1
#       resolution spanning, met, paused, reopened, contract_v1 met; missed, priority late = 5/2
#   v2: opened contract_v2, billable, breached, waiting = 4; resolved contract_v2, billable = 2
#       response contract_v2, breached, waiting = 3/0; resolution contract_v2 late = 0/1
#       open breached 1; billable 1 call, 2.5 h, 222.5 (v2's rate is 89 too)
def test_grouping_by_contract_keeps_each_version(store):
    r = report(store, "2026-07", "contract")
    v1, v2 = f"{VDB_CONTRACT} v1", f"{VDB_CONTRACT} v2"
    assert [g.key for g in r.groups] == [v1, v2]
    zero = dict.fromkeys(COUNTS, 0) | {"billable_hours": 0.0, "billable_amount": 0.0}
    assert counts(group(r, v1)) == zero | {"opened": 6, "resolved": 7, "response_met": 5, "response_missed": 1,
                                          "resolution_met": 5, "resolution_missed": 2, "paused_seconds": 32400}
    assert counts(group(r, v2)) == zero | {"opened": 4, "resolved": 2, "response_met": 3, "resolution_missed": 1,
                                          "open_breached": 1, "billable_calls": 1, "billable_hours": 2.5,
                                          "billable_amount": 222.5}


# By service:
#   workstations: opened met, missed, priority, breached = 4; resolved + spanning = 4
#     response met, missed(late), priority, breached = 3/1; resolution spanning, met / missed, priority = 2/2
#     business resolve times 10800, 14400, 16200, 19800: median (14400+16200)/2 = 15300
#   network: opened paused, waiting = 2; resolved paused = 1; response 2/0; resolution 1/0; paused 21600
#   printing: reopened 1/1, 1/0, 1/0, paused 10800
#   email: contract_v1, contract_v2: 2/2, response 2/0, resolution 1/1
#   servers: billable 1/1
def test_grouping_by_service(store):
    r = report(store, "2026-07", "service")
    assert [g.key for g in r.groups] == ["email", "network", "printing", "servers", "workstations"]
    ws = group(r, "workstations")
    assert (ws.opened, ws.resolved, ws.response_met, ws.response_missed, ws.resolution_met, ws.resolution_missed,
            ws.open_breached) == (4, 4, 3, 1, 2, 2, 1)
    assert ws.to_dict()["resolve_business_median_s"] == 15300
    net = group(r, "network")
    assert (net.opened, net.resolved, net.response_met, net.resolution_met, net.paused_seconds) == (2, 1, 2, 1, 21600)
    assert dict(net.paused_by_reason) == {R_PAUSE: 21600}
    assert dict(group(r, "printing").paused_by_reason) == {REOPENED: 10800}
    mail = group(r, "email")
    assert (mail.opened, mail.resolved, mail.resolution_met, mail.resolution_missed) == (2, 2, 1, 1)
    servers = group(r, "servers")
    assert (servers.opened, servers.resolved, servers.billable_calls, servers.billable_amount) == (1, 1, 1, 222.5)
    assert servers.response_met + servers.response_missed == 0


# Across customers (the MSP's zone, Amsterdam, is everyone's here):
#   HGG: gold 10:00-10:30 = 1800 response met (1h), 10:00-13:00 = 10800 resolution met (override 4h)
#   SPK: no contract: billable 1.5 h x 110 (the MSP's default rate) = 165.0, no clocks
#   total: opened 10 + 1 + 1 = 12, resolved 9 + 1 + 1 = 11, response 9/1, resolution 6/3,
#          billable 2 calls, 2.5 + 1.5 = 4.0 h, 222.5 + 165.0 = 387.5
def test_grouping_by_customer_and_level_across_customers(store):
    by_customer = report(store, "2026-07", "customer", customer=None)
    assert [g.key for g in by_customer.groups] == ["Fietsenmakerij De Spaak", "Hotel De Gouden Gracht", VDB_NAME]
    assert counts(group(by_customer, VDB_NAME)) == VDB_JULY
    zero = dict.fromkeys(COUNTS, 0) | {"billable_hours": 0.0, "billable_amount": 0.0}
    gold = zero | {"opened": 1, "resolved": 1, "response_met": 1, "resolution_met": 1}
    spaak = zero | {"opened": 1, "resolved": 1, "billable_calls": 1, "billable_hours": 1.5, "billable_amount": 165.0}
    assert counts(group(by_customer, "Hotel De Gouden Gracht")) == gold
    assert group(by_customer, "Hotel De Gouden Gracht").resolve_business == [10800]
    assert counts(group(by_customer, "Fietsenmakerij De Spaak")) == spaak
    total = {"opened": 12, "resolved": 11, "response_met": 9, "response_missed": 1, "resolution_met": 6,
             "resolution_missed": 3, "open_breached": 1, "billable_calls": 2, "billable_hours": 4.0,
             "billable_amount": 387.5, "paused_seconds": 32400}
    assert counts(by_customer.total) == total
    assert by_customer.customer is None and by_customer.contracts == []
    by_level = report(store, "2026-07", "level", customer=None)
    assert [g.key for g in by_level.groups] == ["Gold", "Silver", "none"]
    assert counts(group(by_level, "Silver")) == VDB_JULY
    assert counts(group(by_level, "Gold")) == gold
    assert counts(group(by_level, "none")) == spaak
    assert counts(by_level.total) == total
    assert by_level.levels_by_month == {"2026-07": {"Silver": 10, "Gold": 1, "none": 1}}



@pytest.mark.parametrize("grouping", ["level", "customer", "service", "month"])
def test_a_report_across_customers_also_has_the_figures_by_level_and_by_customer(store, grouping):
    """The MSP-wide page shows both, whatever --by says; each must match the report
    grouped that way."""
    r = report(store, "2026-07", grouping, customer=None)
    assert set(r.by) == {"level", "customer"}
    for by in ("level", "customer"):
        alone = report(store, "2026-07", by, customer=None)
        assert [g.key for g in r.by[by]] == [g.key for g in alone.groups]
        assert [counts(g) for g in r.by[by]] == [counts(g) for g in alone.groups]
        assert [sorted(g.resolve_business) for g in r.by[by]] == [sorted(g.resolve_business) for g in alone.groups]
    if grouping in r.by:
        assert r.by[grouping] is r.groups  # computed once
    assert counts(r.total) == counts(report(store, "2026-07", "level", customer=None).total)
    # A one-customer report has no such breakdown.
    assert report(store, "2026-07", grouping).by == {}


# The worst misses, most late first: priority resolution 5400, contract_v2 resolution 2700,
# missed resolution 1800, missed response 900.
def test_worst_misses_with_their_justifications(store, history):
    ids = history.ids
    r = report(store, "2026-07")
    got = [(m.ticket_id, m.clock, m.target, m.late_seconds, m.justification) for m in r.misses]
    assert got == [
        (ids["priority"], "resolution", "4h", 5400, J_PRIORITY),
        (ids["contract_v2"], "resolution", "2h", 2700, J_MAIL),
        (ids["missed"], "resolution", "4h", 1800, J_RESOLUTION),
        (ids["missed"], "response", "30m", 900, J_RESPONSE),
    ]
    assert r.misses[1].title == SCRIPT_TITLE and r.misses[1].customer == VDB_NAME
    assert {m.level for m in r.misses} == {"Silver"}
    # Across customers: each miss names its customer and level (the hostile customer's
    # call of test_exports is not in this history).
    assert [(m.customer, m.level) for m in report(store, "2026-07", customer=None).misses] == [(VDB_NAME, "Silver")] * 4
    # stopped 11:45 in Amsterdam = 09:45 UTC
    assert datetime.fromisoformat(r.misses[1].stopped_at) == at("2026-07-16 11:45")
    assert [m.late_seconds for m in report(store, "2026-07", worst=2).misses] == [5400, 2700]


# The spanning call: reported Tue 30 Jun 21:00, responded 21:30 (June), resolved Wed 1 Jul 09:00.
#   June: opened 1, resolved 0, response 1/0 (1800), no resolution outcome; open at the end of
#   June with 1h of 8h used (plan 1h of 2h) -> not breached.
#   July: not opened, resolved 1, its resolution (10800 business, 43200 calendar) counted in July.
def test_call_spanning_the_period_boundary(store, history):
    june = report(store, "2026-06")
    zero = dict.fromkeys(COUNTS, 0) | {"billable_hours": 0.0, "billable_amount": 0.0}
    assert counts(june.total) == zero | {"opened": 1, "response_met": 1}
    assert june.total.respond_business == [1800] and june.total.respond_calendar == [1800]
    assert june.ticket_ids == {"Silver": [history.ids["spanning"]]}
    july = report(store, "2026-07")
    assert history.ids["spanning"] in july.ticket_ids["Silver"]
    assert 43200 in july.total.resolve_calendar
    # A range that holds the whole call: 29 Jun to 1 Jul inclusive.
    span = build_report(store, parse_period(start="2026-06-29", end="2026-07-01", today=NOW.date()), NOW, customer="VDB")
    assert counts(span.total) == zero | {"opened": 1, "resolved": 1, "response_met": 1, "resolution_met": 1}
    assert (span.total.resolve_business, span.total.resolve_calendar) == ([10800], [43200])
    assert [m.key for m in span.months] == ["2026-06", "2026-07"]
    assert (span.months[0].opened, span.months[0].resolved, span.months[1].resolved) == (1, 0, 1)


# Q3: the July figures; August and September are empty. The open calls are replayed at the
# end of September: breached still open and late; waiting still paused at 30m of 8h -> 1.
# The year 2026 (replayed now, 5 Oct): + the spanning call (opened and responded in June).
def test_quarter_and_year(store):
    q3 = report(store, "2026-Q3")
    assert q3.period == Period(date(2026, 7, 1), date(2026, 10, 1), "Q3 2026")
    assert counts(q3.total) == VDB_JULY
    assert [m.key for m in q3.months] == ["2026-07", "2026-08", "2026-09"]
    assert counts(q3.months[1]) == counts(Figures("2026-08"))
    # breached is counted as open and late at the end of the period: in its last month
    assert counts(q3.months[2]) == counts(Figures("2026-09")) | {"open_breached": 1}
    assert q3.months[0].resolution_met == 5 and q3.months[0].resolution_missed == 3
    assert q3.months[0].open_breached == 0
    year = report(store, "2026")
    assert counts(year.total) == VDB_JULY | {"opened": 11, "response_met": 9}
    assert len(year.months) == 12


def test_contract_summary(store):
    q3 = report(store, "2026-Q3")
    (c,) = [c for c in q3.contracts if c.version == 2]
    assert (c.key, c.level, c.price_per_month, c.hourly_rate, c.valid_from, c.valid_to) == (
        VDB_CONTRACT, "Silver", 1450.0, 89.0, "2026-01-01", "2027-12-31")
    assert c.services == ["email", "microsoft365", "network", "workstations", "printing", "telephony", "lob-apps"]
    assert c.response == {"P1": "30m", "P2": "1h", "P3": "2h", "P4": "4h"}
    assert c.resolution == {"P1": "4h", "P2": "8h", "P3": "1bd", "P4": "2bd"}
    assert c.overrides == {"email": {"resolution": "2h"}}
    # By name and in the hours of its calendar, as the contract lookup shows them.
    assert [c.service_names[k] for k in c.services] == [
        "E-mail", "Microsoft 365", "Network", "Workstations", "Printing", "Telephony", "Line-of-business apps"]
    assert c.hours == "mon-fri 07:00-22:00; sat 09:00-13:00, Europe/Amsterdam"
    # Gold's 24x7 calendar is a template, read in the customer's zone.
    assert [c.hours for c in report(store, "2026-Q3", customer="HGG").contracts] == ["24x7, Europe/Amsterdam"]
    # Delft Precision Optics: Silver to the end of September, Gold from October.
    assert [c.level for c in report(store, "2026-Q3", customer="DPO").contracts] == ["Silver"]
    assert [c.level for c in report(store, "2026-Q4", customer="DPO").contracts] == ["Gold"]
    assert [c.level for c in report(store, "2026", customer="DPO").contracts] == ["Silver", "Gold"]
    # Fietsenmakerij De Spaak has no contract at all.
    assert report(store, "2026-Q3", customer="SPK").contracts == []


def test_contract_summary_shows_the_version_the_period_was_measured_against(store):
    """July's calls were measured against v1 (e-mail 4h) until 15 Jul and v2 (2h) after;
    the summary handed to the customer must show both, or contract_v1's 'met in 3h'
    cannot be checked against the 2h it shows."""
    r = report(store, "2026-07")
    assert sorted(c.version for c in r.contracts) == [1, 2]
    assert {c.version: c.overrides["email"]["resolution"] for c in r.contracts} == {1: "4h", 2: "2h"}


def test_by_month_open_breached_belongs_to_the_last_month_of_the_period(store, history):
    """The open calls are replayed at the end of the period (Sat 1 Aug 00:00 for July);
    that instant is in August, but the breached call belongs to July's figures (and to
    September's in Q3: still open and late at its end)."""
    r = report(store, "2026-07", "month")
    assert [g.key for g in r.groups] == ["2026-07"]
    assert r.groups[0].open_breached == 1
    assert r.months[0].open_breached == 1
    q3 = report(store, "2026-Q3", "month")
    assert [g.key for g in q3.groups] == ["2026-07", "2026-09"]
    assert (q3.groups[0].open_breached, q3.groups[1].open_breached) == (0, 1)
    assert q3.ticket_ids["2026-09"] == [history.ids["breached"]]
    assert set(q3.ticket_ids) == {"2026-07", "2026-09"}


def test_a_period_not_yet_begun_has_no_breached_calls(store):
    """November 2026 has not begun on 5 October: nothing was open in it, let alone late."""
    r = report(store, "2026-11")
    assert counts(r.total) == counts(Figures("total"))
    assert r.groups == []


def test_progress_messages_and_bad_arguments(store):
    said: list[str] = []
    report(store, "2026-07", progress=said.append)
    assert said and all(isinstance(s, str) and s for s in said)
    with pytest.raises(ServiceError, match="--by must be one of"):
        report(store, "2026-07", "colour")
    with pytest.raises(ServiceError, match="unknown customer"):
        report(store, "2026-07", customer="nobody-at-all")


# --------------------------------------------------------------------- periods

TODAY = date(2026, 10, 5)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-07", date(2026, 7, 1), date(2026, 8, 1), "July 2026"),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1), "December 2026"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1), "Q1 2026"),
        ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1), "Q3 2026"),
        ("2026-q4", date(2026, 10, 1), date(2027, 1, 1), "Q4 2026"),
        (" 2026-Q2 ", date(2026, 4, 1), date(2026, 7, 1), "Q2 2026"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "2026"),
        (None, date(2026, 7, 1), date(2026, 10, 1), "Q3 2026"),  # the last full quarter
    ],
)
def test_parse_period(text, start, end, label):
    assert parse_period(text, today=TODAY) == Period(start, end, label)


def test_parse_period_defaults_and_ranges():
    assert parse_period(today=date(2026, 2, 10)) == Period(date(2025, 10, 1), date(2026, 1, 1), "Q4 2025")
    assert parse_period(today=date(2026, 4, 1)) == Period(date(2026, 1, 1), date(2026, 4, 1), "Q1 2026")
    p = parse_period(start="2026-07-01", end="2026-07-31", today=TODAY)
    assert p == Period(date(2026, 7, 1), date(2026, 8, 1), "2026-07-01 to 2026-07-31")  # --to is inclusive
    assert p.months() == ["2026-07"]
    one_day = parse_period(start="2026-07-14", end="2026-07-14", today=TODAY)
    assert (one_day.start, one_day.end) == (date(2026, 7, 14), date(2026, 7, 15))
    assert parse_period("2026-Q4", today=TODAY).months() == ["2026-10", "2026-11", "2026-12"]
    assert parse_period("2026-07", today=TODAY).instants("Europe/Amsterdam") == (at("2026-07-01 00:00"), at("2026-08-01 00:00"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "2026-13"}, "month must be 01 to 12"),
        ({"text": "2026-00"}, "month must be 01 to 12"),
        ({"text": "2026-Q5"}, "use a month"),
        ({"text": "July"}, "use a month"),
        ({"text": "2026-7"}, "use a month"),
        ({"text": "2026-07", "start": "2026-07-01", "end": "2026-07-31"}, "not both"),
        ({"start": "2026-07-01"}, "give both"),
        ({"end": "2026-07-01"}, "give both"),
        ({"start": "2026-07-01", "end": "31-07-2026"}, "must be dates"),
        ({"start": "2026-07-31", "end": "2026-07-01"}, "is before"),
    ],
)
def test_parse_period_errors(kwargs, message):
    with pytest.raises(ServiceError, match=message) as err:
        parse_period(today=TODAY, **kwargs)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "0000"},
        {"text": "0000-Q1"},
        {"text": "9999"},
        {"text": "9999-12"},
        {"text": "9999-Q4"},
        {"start": "2026-01-01", "end": "9999-12-31"},
    ],
)
def test_parse_period_years_out_of_range_are_user_mistakes(kwargs):
    """Periods the calendar cannot hold are a mistake to fix (one line, exit 2 on the
    command line), not a ValueError/OverflowError traceback."""
    with pytest.raises(ServiceError):
        parse_period(today=TODAY, **kwargs)


def test_plan_clock_figures_are_the_recorded_plan_outcomes(store):
    """Time to a plan is counted like response and resolution: met and missed from the
    outcomes written when the plan clock stopped, business time used as recorded."""
    r = report(store, "2026-07")
    rows = store.conn.execute(
        "SELECT o.met, o.used_seconds FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id "
        "WHERE o.clock = 'plan' AND t.customer = 'vdberg-transport' "
        "AND o.stopped_at >= '2026-06-30T22:00:00+00:00' AND o.stopped_at < '2026-07-31T22:00:00+00:00'").fetchall()
    assert rows  # the history has plan targets in July
    assert (r.total.plan_met, r.total.plan_missed) == (sum(m for m, _ in rows), sum(1 - m for m, _ in rows))
    assert sorted(r.total.plan_business) == sorted(u for _, u in rows)
    assert r.total.plan_share == r.total.plan_met / len(rows)
    row = r.total.to_dict()
    assert row["plan_met"] == r.total.plan_met and row["plan_business_median_s"] == round(statistics.median(
        u for _, u in rows))
    # Plans are figures, not in the list of worst misses (that lists response and resolution).
    assert {m.clock for m in r.misses} == {"response", "resolution"}
