"""SLA figures for a period, grouped any way the customer meeting needs.

The figures come from the outcomes written down when each clock stopped (target,
contract version, level and priority as they were then), so a later change of a
contract never rewrites history. Only the calls still open at the end of the
period are replayed through the engine, to count those already breached.
"""

from __future__ import annotations

import json
import re
import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from slaboard.domain import Msp
from slaboard.services.billing import CustomerBill, customer_months
from slaboard.services.clocks import calendar_for, clocks_for
from slaboard.services.tickets import ServiceError, resolve_customer
from slaboard.sla import leading_clock
from slaboard.store import ReportGroup, Store, iso
from slaboard.store.schema import local_midnight_utc, next_month

# Per clock: the Figures fields of its met/missed counts, business and calendar time.
CLOCK_FIELDS = {
    "response": ("response", "respond_business", "respond_calendar"),
    "plan": ("plan", "plan_business", "plan_calendar"),
    "resolution": ("resolution", "resolve_business", "resolve_calendar"),
}
GROUPINGS = ("customer", "level", "service", "priority", "contract", "month")
MSP_GROUPINGS = ("level", "customer")  # what a report across customers also gives, whatever its grouping
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class EscalationFigures:
    """What the escalations did in the period: of the targets missed, how many were
    escalated (a warning or critical sent) before their deadline and how many
    breached without a warning; and how many targets were met after one."""

    missed: int
    warned: int
    unwarned: int
    met_after: int

    def sentence(self) -> str:
        """"Of 7 targets missed, 5 were escalated before their deadline and 2 breached
        without a warning; 12 targets were met after an escalation." """
        def targets(n: int) -> str:
            return f"{n} target{'s' if n != 1 else ''}"

        head = (f"Of {targets(self.missed)} missed, {self.warned} {'was' if self.warned == 1 else 'were'} escalated "
                f"before {'its' if self.missed == 1 else 'their'} deadline and {self.unwarned} breached without a "
                "warning" if self.missed else "No target was missed")
        return f"{head}; {targets(self.met_after)} {'was' if self.met_after == 1 else 'were'} met after an escalation."

    def to_dict(self) -> dict[str, int]:
        return {"missed": self.missed, "escalated_before_breach": self.warned,
                "breached_without_warning": self.unwarned, "met_after_escalation": self.met_after}


@dataclass(frozen=True)
class PaidMonth:
    """One month's bill in a customer's report."""

    month: str  # 2026-11
    bill: CustomerBill
    closed: bool  # closed for billing: its figures no longer change
    under_way: bool  # the month holding the report's moment: its figures are so far


@dataclass(frozen=True)
class Period:
    """Local dates [start, end) and a label: a month, a quarter, a year or a range."""

    start: date
    end: date
    label: str

    def instants(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz)
        return datetime.combine(self.start, time(), zone), datetime.combine(self.end, time(), zone)

    def months(self) -> list[str]:
        out, d = [], date(self.start.year, self.start.month, 1)
        while d < self.end:
            out.append(f"{d.year:04d}-{d.month:02d}")
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return out


def parse_period(text: str | None = None, start: str | None = None, end: str | None = None, *, today: date) -> Period:
    """``2026-07``, ``2026-Q3``, ``2026`` or ``--from``/``--to`` dates (inclusive);
    without any, the last full quarter. Raises ServiceError with the forms."""
    try:
        period = _parse_period(text, start, end, today)
    except (ValueError, OverflowError) as err:
        if isinstance(err, ServiceError):
            raise
        raise ServiceError(f"period {text or f'{start} to {end}'}: out of range ({err}); use years 1 to 9998") from None
    if not (date(1, 1, 1) < period.start and period.end < date(9999, 12, 31)):
        raise ServiceError(f"period {period.label}: out of range; use years 1 to 9998")
    return period


def _parse_period(text: str | None, start: str | None, end: str | None, today: date) -> Period:
    if text and (start or end):
        raise ServiceError("give either --period or --from/--to, not both")
    if start or end:
        if not (start and end):
            raise ServiceError("give both --from and --to (dates like 2026-07-01)")
        try:
            a, b = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            raise ServiceError(f"--from/--to: {start!r} and {end!r} must be dates like 2026-07-01") from None
        if b < a:
            raise ServiceError(f"--to {end} is before --from {start}")
        return Period(a, b + timedelta(days=1), f"{a.isoformat()} to {b.isoformat()}")
    if not text:
        q = (today.month - 1) // 3  # the quarter before this one
        year, q = (today.year, q) if q else (today.year - 1, 4)
        text = f"{year}-Q{q}"
    value = text.strip()
    if m := _MONTH.match(value):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ServiceError(f"period {text!r}: month must be 01 to 12")
        start_d = date(year, month, 1)
        end_d = date(year + (month == 12), month % 12 + 1, 1)
        return Period(start_d, end_d, start_d.strftime("%B %Y"))
    if m := _QUARTER.match(value):
        year, q = int(m[1]), int(m[2])
        start_d = date(year, 3 * q - 2, 1)
        end_d = date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return Period(start_d, end_d, f"Q{q} {year}")
    if m := _YEAR.match(value):
        year = int(m[1])
        return Period(date(year, 1, 1), date(year + 1, 1, 1), str(year))
    raise ServiceError(f"period {text!r}: use a month (2026-07), a quarter (2026-Q3), a year (2026) or --from/--to")


def _stats(values: list[int]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None}
    return {"mean": statistics.fmean(values), "median": float(statistics.median(values))}


@dataclass
class Miss:
    """A target missed, for the list of worst misses."""

    ticket_id: int
    title: str
    customer: str
    clock: str
    target: str
    late_seconds: int
    stopped_at: str
    justification: str
    level: str  # the service level the call was held to when its clock stopped


# The times a Figures keeps, each a list of seconds: to respond, to a plan, to resolve.
TIMES = ("respond_business", "respond_calendar", "plan_business", "plan_calendar", "resolve_business", "resolve_calendar")


@dataclass
class Figures:
    """The figures of one group (or of the whole report)."""

    key: str
    opened: int = 0
    resolved: int = 0
    response_met: int = 0
    response_missed: int = 0
    plan_met: int = 0
    plan_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    open_breached: int = 0
    respond_business: list[int] = field(default_factory=list)
    respond_calendar: list[int] = field(default_factory=list)
    plan_business: list[int] = field(default_factory=list)  # time to a plan (diagnosis with an expected time)
    plan_calendar: list[int] = field(default_factory=list)
    resolve_business: list[int] = field(default_factory=list)
    resolve_calendar: list[int] = field(default_factory=list)
    paused_seconds: int = 0
    paused_by_reason: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    billable_calls: int = 0
    billable_hours: float = 0.0
    billable_amount: float = 0.0

    def add(self, other: Figures) -> None:
        """Fold another group's figures into these."""
        for name in ("opened", "resolved", "response_met", "response_missed", "plan_met", "plan_missed", "resolution_met",
                     "resolution_missed", "open_breached", "paused_seconds", "billable_calls",
                     "billable_hours", "billable_amount"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in TIMES:
            getattr(self, name).extend(getattr(other, name))
        for reason, seconds in other.paused_by_reason.items():
            self.paused_by_reason[reason] += seconds

    @staticmethod
    def _share(met: int, missed: int) -> float | None:
        return None if met + missed == 0 else met / (met + missed)

    @property
    def response_share(self) -> float | None:
        return self._share(self.response_met, self.response_missed)

    @property
    def plan_share(self) -> float | None:
        return self._share(self.plan_met, self.plan_missed)

    @property
    def resolution_share(self) -> float | None:
        return self._share(self.resolution_met, self.resolution_missed)

    def to_dict(self) -> dict[str, Any]:
        """One JSON/CSV row: numbers as numbers, durations in seconds."""
        row: dict[str, Any] = {
            "group": self.key,
            "opened": self.opened,
            "resolved": self.resolved,
            "response_met": self.response_met,
            "response_missed": self.response_missed,
            "response_met_share": self.response_share,
            "plan_met": self.plan_met,
            "plan_missed": self.plan_missed,
            "plan_met_share": self.plan_share,
            "resolution_met": self.resolution_met,
            "resolution_missed": self.resolution_missed,
            "resolution_met_share": self.resolution_share,
            "open_breached": self.open_breached,
        }
        for name in TIMES:
            stats = _stats(getattr(self, name))
            row[f"{name}_mean_s"] = None if stats["mean"] is None else round(stats["mean"])
            row[f"{name}_median_s"] = None if stats["median"] is None else round(stats["median"])
        row["paused_s"] = self.paused_seconds
        row["paused_by_reason_s"] = dict(self.paused_by_reason)
        row["billable_calls"] = self.billable_calls
        row["billable_hours"] = round(self.billable_hours, 2)
        row["billable_amount"] = round(self.billable_amount, 2)
        return row


@dataclass
class ContractSummary:
    """A contract version as the customer reads it: services by key (for tools) and
    by name, targets as written, and the business hours they are counted in."""

    key: str
    version: int
    level: str
    services: list[str]
    price_per_month: float
    hourly_rate: float | None
    valid_from: str
    valid_to: str | None
    response: dict[str, str]
    resolution: dict[str, str]
    overrides: dict[str, Any]
    service_names: dict[str, str] = field(default_factory=dict)  # key -> name, for services and overrides
    hours: str = ""  # "mon-fri 07:00-22:00; sat 09:00-13:00, Europe/Amsterdam", as the contract lookup says


@dataclass
class Report:
    period: Period
    grouping: str
    tz: str
    customer: str | None
    customer_name: str | None
    msp: Msp
    groups: list[Figures]
    total: Figures
    months: list[Figures]
    levels_by_month: dict[str, dict[str, int]]
    misses: list[Miss]
    contracts: list[ContractSummary]
    # Each group's call numbers as the comma-separated lists the store gave; read
    # into numbers only when a list of calls is asked for (see ticket_ids).
    ticket_id_text: dict[str, list[str]]
    generated_at: datetime
    # A report across customers: its figures by each of MSP_GROUPINGS too (one of them
    # is ``groups`` itself), sorted by key. Empty for a one-customer report.
    by: dict[str, list[Figures]] = field(default_factory=dict)
    # A one-customer report: that customer's bill of each month of the period begun by
    # now ("What you paid for"), beside the SLA figures of the same months.
    paid: list[PaidMonth] = field(default_factory=list)
    # None when the MSP has no escalation rules and no escalation was ever sent.
    escalations: EscalationFigures | None = None

    @cached_property
    def ticket_ids(self) -> dict[str, list[int]]:
        """The numbers of the calls counted in each group, ascending."""
        return {key: sorted({int(i) for text in texts for i in text.split(",")})
                for key, texts in self.ticket_id_text.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            # edges: a call is in the period by its customer's own zone, in every report
            "period": {"label": self.period.label, "from": self.period.start.isoformat(),
                       "to": (self.period.end - timedelta(days=1)).isoformat(), "tz": self.tz, "edges": "customer"},
            "grouping": self.grouping,
            "customer": self.customer,
            "customer_name": self.customer_name,
            "generated_at": self.generated_at.isoformat(),
            "groups": [g.to_dict() for g in self.groups],
            "total": self.total.to_dict(),
            "months": [m.to_dict() for m in self.months],
            "calls_per_level_by_month": self.levels_by_month,
            "worst_misses": [vars(m) for m in self.misses],
            "contracts": [vars(c) for c in self.contracts],
            **({"escalations": self.escalations.to_dict()} if self.escalations is not None else {}),
            **({"paid": [{"month": p.month, "closed": p.closed, "under_way": p.under_way, **p.bill.to_dict()}
                         for p in self.paid]} if self.customer else {}),
        }


def build_report(
    store: Store,
    period: Period,
    now: datetime,
    *,
    grouping: str = "level",
    customer: str | None = None,
    progress: Callable[[str], None] | None = None,
    worst: int = 10,
) -> Report:
    """The figures of ``period`` (read in the customer's zone for a one-customer
    report, else the MSP's), grouped by ``grouping``."""
    if grouping not in GROUPINGS:
        raise ServiceError(f"--by must be one of {', '.join(GROUPINGS)}, not {grouping!r}")
    say = progress or (lambda message: None)
    msp = store.msp() or Msp()
    cust = resolve_customer(store, customer) if customer else None
    tz = cust.tz if cust else msp.tz
    contracts = store.all_contracts()
    names = {c.key: c.name for c in store.customers()}

    def level_of(contract_id: int | None) -> str:
        c = contracts.get(contract_id) if contract_id is not None else None
        return c.terms.level_name if c else "none"

    def contract_of(contract_id: int | None) -> str:
        c = contracts.get(contract_id) if contract_id is not None else None
        return f"{c.terms.key} v{c.version}" if c else "no contract"

    # A call belongs to the period of its own customer's calendar (the zone recorded
    # on the call, in which its clocks run), in this report and in every other: the
    # report across customers is the sum of each customer's own report. Stored
    # instants are UTC ISO text, so each zone's periods are the UTC instants at which
    # its local months begin, and SQLite finds a row's month by comparing text.
    month_names = period.months()
    month_bounds = [date.fromisoformat(m + "-01") for m in month_names[1:]]
    zones = store.report_zones(cust.key if cust else None)
    days = [d.isoformat() for d in [period.start, *month_bounds, period.end]]
    edges = {z: [local_midnight_utc(d, z) for d in days] for z in zones}

    groups: dict[str, Figures] = {}
    months: dict[str, Figures] = {m: Figures(m) for m in month_names}
    levels_by_month: dict[str, dict[str, int]] = {m: defaultdict(int) for m in month_names}
    total = Figures("total")
    ticket_ids: dict[str, list[str]] = defaultdict(list)

    def key_of(by: str, customer_key: str, service: str | None, priority: str | None, contract_id: int | None,
               level: str | None, month: str | None) -> str:
        if by == "customer":
            return names.get(customer_key, customer_key)
        if by == "level":
            return level or level_of(contract_id)
        if by == "service":
            return service or ""
        if by == "priority":
            return priority or ""
        if by == "contract":
            return contract_of(contract_id)
        return month or "before"

    # Each group of rows updates one cell (its group and month); groups, months and
    # the total are sums of cells, made once at the end. A report across customers
    # also adds each row to its group of every other grouping of MSP_GROUPINGS.
    cells: dict[tuple[str, str | None], Figures] = {}
    also_by = [g for g in MSP_GROUPINGS if g != grouping] if cust is None else []
    also: dict[str, dict[str, Figures]] = {g: {} for g in also_by}
    wanted = {grouping, *also_by}
    split = {"by_service": "service" in wanted, "by_priority": "priority" in wanted}

    def figures_for(row: ReportGroup, level: str | None) -> tuple[str, str | None, tuple[Figures, ...]]:
        """The group's key in ``grouping``, its month and the figures it adds to."""
        month = month_names[row.period] if 0 <= row.period < len(month_names) else None
        key = key_of(grouping, row.customer, row.service, row.priority, row.contract_id, level, month)
        cell = cells.get((key, month))
        if cell is None:
            cell = cells[(key, month)] = Figures(key)
        extra = []
        for by in also_by:
            other = key_of(by, row.customer, row.service, row.priority, row.contract_id, level, month)
            group = also[by].get(other)
            if group is None:
                group = also[by][other] = Figures(other)
            extra.append(group)
        ticket_ids[key].append(row.ticket_ids)
        return key, month, (cell, *extra)

    by_customer = cust.key if cust else None
    # Whole months are read from the sums the store keeps for them; the rest (a
    # period's partial first and last month, or a read-only database) from the rows.
    whole = [m for i, m in enumerate(month_names) if days[i] == m + "-01" and days[i + 1] == next_month(m) + "-01"]
    kept = store.report_months_ready(whole, now)
    kept_months = [m for m in month_names if m in kept]
    position = {m: i for i, m in enumerate(month_names)}
    runs: list[tuple[int, int]] = []  # [lo, hi) of the periods read from the rows
    for i, m in enumerate(month_names):
        if m not in kept:
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))

    def report_groups(kind: str) -> Iterator[ReportGroup]:
        for row in store.report_kept_groups(kind, kept_months, by_customer, **split):
            yield row._replace(period=position[kept_months[row.period]])
        for lo, hi in runs:
            if kind == "outcome":
                rows = store.report_outcome_groups(days[lo:hi + 1], by_customer, **split)
            else:
                read = store.report_opened_groups if kind == "opened" else store.report_resolved_groups
                rows = read({z: b[lo:hi + 1] for z, b in edges.items()}, by_customer, **split)
            for row in rows:
                yield row._replace(period=row.period + lo)

    say("reading the calls opened")
    measured: set[int] = set()  # contract versions the period's calls were held to
    for row in report_groups("opened"):
        if row.contract_id is not None:
            measured.add(row.contract_id)
        level = level_of(row.contract_id)
        _key, month, added_to = figures_for(row, level)
        amount = 0.0
        if row.billable:
            contract = contracts.get(row.contract_id) if row.contract_id is not None else None
            rate = contract.terms.hourly_rate if contract and contract.terms.hourly_rate is not None else msp.default_hourly_rate
            amount = float(row.billable_hours or 0) * float(rate or Decimal(0))
        for f in added_to:
            f.opened += row.calls
            if row.billable:
                f.billable_calls += row.billable
                f.billable_hours += float(row.billable_hours or 0)
                f.billable_amount += amount
        if month in levels_by_month:
            levels_by_month[month][level] += row.calls
    say("reading the calls resolved")
    for row in report_groups("resolved"):
        _key, _month, added_to = figures_for(row, None)
        for f in added_to:
            f.resolved += row.calls
    say("reading the targets met and missed")
    # A stopped clock carries its local day in its customer's zone: the same rule.
    for row in report_groups("outcome"):
        _key, _month, added_to = figures_for(row, row.level)
        if row.contract_id is not None:
            measured.add(row.contract_id)
        used = list(map(int, row.used_seconds.split(","))) if row.used_seconds else []
        spans = list(map(int, row.calendar_seconds.split(","))) if row.calendar_seconds else []
        reasons: dict[str, int] = defaultdict(int)
        for pauses in json.loads(row.pauses) if row.pauses else ():
            for reason, seconds in pauses.items():
                reasons[reason] += seconds
        clock = CLOCK_FIELDS.get(row.clock or "")
        if clock is None:
            continue
        verdict, business, calendar = (f"{clock[0]}_{'met' if row.met else 'missed'}", clock[1], clock[2])
        for f in added_to:
            setattr(f, verdict, getattr(f, verdict) + row.calls)
            getattr(f, business).extend(used)
            getattr(f, calendar).extend(spans)
            if row.clock == "resolution":
                f.paused_seconds += row.paused_seconds
                for reason, seconds in reasons.items():
                    f.paused_by_reason[reason] += seconds
    misses = [Miss(m.ticket_id, m.title, names.get(m.customer, m.customer), m.clock, m.target, m.late_seconds,
                   m.stopped_at, m.justification, m.level or level_of(m.contract_id))
              for m in store.report_misses(days, by_customer, worst)]
    say("replaying the calls still open at the end of the period")
    # Each zone's period ends at its own instant: a call is replayed at the end of
    # its customer's period (or now, for a period not over yet).
    moments: dict[datetime, set[str]] = defaultdict(set)
    for zone, bounds in edges.items():
        moment = min(datetime.fromisoformat(bounds[-1]), now)
        if moment > datetime.fromisoformat(bounds[0]):  # a period yet to come has none
            moments[moment].add(zone)
    for moment, moment_zones in sorted(moments.items()):
        moment_text = str(iso(moment))  # the stored form of an instant
        for ticket, ticket_tz in store.open_at(moment, by_customer, could_breach=True):
            if ticket_tz not in moment_zones:
                continue
            contract = contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
            lead = leading_clock(clocks_for(ticket, contract, ticket_tz, moment))
            if lead is not None and lead.state == "breached":
                # The end of the period is counted in its last month.
                period_index = min(bisect_right(edges[ticket_tz], moment_text), len(month_names)) - 1
                row = ReportGroup(period_index, ticket.customer, ticket.service, ticket.priority, ticket.contract_id,
                                  None, None, None, 1, 0, 0.0, str(ticket.id), None, None, 0, None)
                _key, _month, added_to = figures_for(row, level_of(ticket.contract_id))
                for f in added_to:
                    f.open_breached += 1
    for (key, month), cell in cells.items():
        sums = [groups.setdefault(key, Figures(key)), total]
        if month in months:
            sums.append(months[month])
        for target_figures in sums:
            target_figures.add(cell)
    summaries = []
    if cust is not None:
        service_names = {s.key: s.name for s in store.services()}
        for c in store.contracts_of(cust.key):
            t = c.terms
            overlaps = t.valid_from < period.end and (t.valid_to is None or t.valid_to >= period.start)
            if overlaps and (c.current or c.id in measured):
                summaries.append(ContractSummary(
                    t.key, c.version, t.level_name, list(t.services), float(t.price_per_month),
                    float(t.hourly_rate) if t.hourly_rate is not None else None, t.valid_from.isoformat(),
                    t.valid_to.isoformat() if t.valid_to else None,
                    {p: d.text for p, d in sorted(t.response.items())}, {p: d.text for p, d in sorted(t.resolution.items())},
                    {s: o.model_dump(mode="json", exclude_none=True) for s, o in t.overrides.items()},
                    {s: service_names.get(s, s) for s in [*t.services, *t.overrides]},
                    calendar_for(c, cust.tz).describe(),
                ))
    paid = _paid(store, period, cust.key, cust.tz, now) if cust else []
    escalated = _escalations(store, {z: (e[0], e[-1]) for z, e in edges.items()}, cust.key if cust else None, total)
    ordered = sorted(groups.values(), key=lambda g: g.key)
    by = {g: ordered if g == grouping else sorted(also[g].values(), key=lambda f: f.key)
          for g in MSP_GROUPINGS} if cust is None else {}
    return Report(
        period, grouping, tz, cust.key if cust else None, cust.name if cust else None, msp, ordered, total,
        [months[m] for m in period.months()], {m: dict(v) for m, v in levels_by_month.items()}, misses,
        summaries, dict(ticket_ids), now, by, paid, escalated,
    )


def _escalations(store: Store, bounds: dict[str, tuple[str, str]], customer: str | None,
                 total: Figures) -> EscalationFigures | None:
    if not store.any_escalations():
        from slaboard.services.escalations import Rules

        if not Rules.read(store).any:
            return None
    warned_missed, warned_met = store.escalated_outcomes(bounds, customer)
    missed = total.response_missed + total.resolution_missed
    return EscalationFigures(missed, warned_missed, missed - warned_missed, warned_met)


def _paid(store: Store, period: Period, customer: str, tz: str, now: datetime) -> list[PaidMonth]:
    """The customer's bill of each month of the period that has begun by ``now``.
    Billing is by whole month: a range that starts or ends mid-month shows those
    months whole."""
    this_month = now.astimezone(ZoneInfo(tz)).strftime("%Y-%m")
    months = [m for m in period.months() if m <= this_month]
    return [PaidMonth(month, made, closed, month == this_month)
            for month, made, closed in customer_months(store, months, customer, now) if made is not None]

