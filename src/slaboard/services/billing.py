"""What the work costs: a month's bill per customer, from the time entries and the
contracts.

Each finished entry is decided by the contract in force on the day its work
started (the customer's date):

- an operator's decision with a reason (covered or billable) stands;
- no contract that day, or a service the contract does not cover: billable at the
  contract's hourly rate (else the MSP's ``default_hourly_rate``);
- a ``fixed`` contract covers the work; ``time_and_materials`` bills all of it;
- a ``block_hours`` contract draws the work from the block of its block period
  (month, calendar quarter, or the whole contract), in the order it was done; an
  entry that runs past the end of the block is split: the part the block still
  holds is covered, the rest billable.

Work that is billed or drawn from a block is rounded up per entry to the
contract's ``rounding`` and a call's work on one day is counted at least
``minimum`` (the difference is added to the day's last entry). Work that a fixed
contract or an operator's decision covers is counted as worked.

With ``rollover``, the hours a block period leaves unused roll into the next
period once: they are drawn first and lapse at the end of that period.

A month's fee is the contract's monthly price, in proportion to the days of the
month the contract was in force. A closed month (``slaboard billing close``) keeps
its figures as they were closed; every later bill of it gives those.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from slaboard.domain import Contract, ContractDef, Customer, Event, Msp, contract_in_force
from slaboard.domain.models import minutes_text
from slaboard.services.tickets import ServiceError
from slaboard.store import Store, StoreError

CENT = Decimal("0.01")
LOW_BLOCK = 0.20  # a block with less than this share left is worth a warning
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class BillingError(ServiceError):
    """A bill that cannot be made or a month that cannot be closed; one line."""


# ---------------------------------------------------------------- periods and money


def parse_period(text: str) -> str:
    """``2026-11`` as given; BillingError naming the field for anything else."""
    found = _PERIOD.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1970:
        raise BillingError(f"period: {text!r} is not a month such as 2026-11")
    return text.strip()


def period_bounds(period: str) -> tuple[date, date]:
    """The first and the last day of a month."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def shift_period(period: str, months: int) -> str:
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of_day(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def period_label(period: str) -> str:
    first, _ = period_bounds(period)
    return f"{first:%B %Y}"


def money_text(amount: Decimal | None, msp: Msp) -> str:
    """An amount in the MSP's currency, written as its locale writes it; "no rate"
    for an amount that cannot be known."""
    if amount is None:
        return "no rate"
    from babel.numbers import format_currency

    return str(format_currency(amount, msp.currency, locale=msp.locale))


def hours_text(minutes: int) -> str:
    """Minutes as decimal hours, to two places: what a bill multiplies by its rate."""
    return f"{Decimal(minutes) / 60:.2f}"


def amount_of(minutes: int, rate: Decimal | None) -> Decimal | None:
    if rate is None:
        return None
    return (rate * minutes / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def rounded(minutes: int, rounding: int | None) -> int:
    return minutes if not rounding else math.ceil(minutes / rounding) * rounding


# ---------------------------------------------------------------- what a bill holds


@dataclass(frozen=True)
class Fee:
    contract: str  # the contract's key
    label: str
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"contract": self.contract, "label": self.label, "amount": str(self.amount)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fee:
        return cls(data["contract"], data["label"], Decimal(data["amount"]))


@dataclass(frozen=True)
class Block:
    """A block of prepaid hours as it stood at the end of the billed month (or now,
    for the month under way)."""

    contract: str
    window: str  # "November 2026", "Q4 2026", "the contract (2026-01-01..2026-12-31)"
    bought: int  # minutes
    rolled_over: int  # minutes rolled in from the previous block period
    used_before: int  # minutes drawn earlier in the window (quarter or contract blocks)
    used: int  # minutes drawn in the billed month
    left: int  # minutes
    lapses: str  # when what is left stops counting ("rolls over into ...", "lapses at the end of ...")

    @property
    def share_left(self) -> float:
        total = self.bought + self.rolled_over
        return self.left / total if total else 0.0

    @property
    def low(self) -> bool:
        return self.share_left < LOW_BLOCK

    def summary(self) -> str:
        """"20h (November 2026): 12h30m used of 20h, 7h30m left" and more, in a line."""
        total = self.bought + self.rolled_over
        text = minutes_text(self.bought)
        if self.rolled_over:
            text += f" + {minutes_text(self.rolled_over)} rolled over"
        text += f" ({self.window}): {minutes_text(self.used_before + self.used)} used of {minutes_text(total)}, "
        text += f"{minutes_text(self.left)} left"
        if self.low:
            text += " — under 20% left" if self.left else " — used up: further work is billable"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        return cls(**data)


@dataclass(frozen=True)
class Line:
    """One time entry (or the part of one) on a bill."""

    entry: int
    day: date
    ticket: int
    title: str
    service: str
    operator: str
    worked: int  # minutes the entry holds (for a split entry: the part on this line)
    minutes: int  # minutes counted: rounded, with the day's minimum
    kind: str  # "covered" | "block" | "billable"
    reason: str
    rate: Decimal | None
    amount: Decimal | None  # None: billable, but no rate is known
    note: str = ""

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    def to_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "day": self.day.isoformat(), "ticket": self.ticket, "title": self.title,
                "service": self.service, "operator": self.operator, "worked": self.worked, "minutes": self.minutes,
                "hours": self.hours, "kind": self.kind, "reason": self.reason,
                "rate": None if self.rate is None else str(self.rate),
                "amount": None if self.amount is None else str(self.amount), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        return cls(entry=data["entry"], day=date.fromisoformat(data["day"]), ticket=data["ticket"],
                   title=data["title"], service=data["service"], operator=data["operator"], worked=data["worked"],
                   minutes=data["minutes"], kind=data["kind"], reason=data["reason"],
                   rate=None if data["rate"] is None else Decimal(data["rate"]),
                   amount=None if data["amount"] is None else Decimal(data["amount"]), note=data.get("note", ""))


@dataclass
class CustomerBill:
    customer: str
    name: str
    period: str
    contracts: list[str] = field(default_factory=list)  # "Gold 2026-01-01..open-ended (block_hours)"
    fees: list[Fee] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def fees_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), Decimal("0"))

    @property
    def billable(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "billable"]

    @property
    def work_total(self) -> Decimal:
        return sum((line.amount for line in self.billable if line.amount is not None), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.fees_total + self.work_total

    def minutes(self, kind: str | None = None) -> int:
        return sum(line.minutes for line in self.lines if kind is None or line.kind == kind)

    def worked(self) -> int:
        return sum(line.worked for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "name": self.name, "period": self.period, "contracts": self.contracts,
                "fees": [f.to_dict() for f in self.fees], "blocks": [b.to_dict() for b in self.blocks],
                "lines": [line.to_dict() for line in self.lines], "warnings": self.warnings,
                "totals": {"fees": str(self.fees_total), "work": str(self.work_total), "total": str(self.total),
                           "worked_minutes": self.worked(), "covered_minutes": self.minutes("covered"),
                           "block_minutes": self.minutes("block"), "billable_minutes": self.minutes("billable")}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerBill:
        return cls(customer=data["customer"], name=data["name"], period=data["period"],
                   contracts=list(data["contracts"]), fees=[Fee.from_dict(f) for f in data["fees"]],
                   blocks=[Block.from_dict(b) for b in data["blocks"]],
                   lines=[Line.from_dict(line) for line in data["lines"]], warnings=list(data["warnings"]))


@dataclass
class Billing:
    period: str
    msp: Msp
    bills: list[CustomerBill]
    closed_at: str | None = None
    closed_by: str | None = None
    running: list[str] = field(default_factory=list)  # timers still running in the month, in words

    @property
    def total(self) -> Decimal:
        return sum((b.total for b in self.bills), Decimal("0"))

    def money(self, amount: Decimal | None) -> str:
        return money_text(amount, self.msp)

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "currency": self.msp.currency, "closed_at": self.closed_at,
                "closed_by": self.closed_by, "running_timers": self.running,
                "customers": [b.to_dict() for b in self.bills], "total": str(self.total)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], msp: Msp) -> Billing:
        return cls(period=data["period"], msp=msp, bills=[CustomerBill.from_dict(b) for b in data["customers"]],
                   closed_at=data.get("closed_at"), closed_by=data.get("closed_by"),
                   running=list(data.get("running_timers", [])))


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class _Terms:
    """What billing needs of a contract: its terms as resolved (price, rate,
    services) and its billing terms as written."""

    contract: Contract
    definition: ContractDef

    @property
    def key(self) -> str:
        return self.contract.terms.key

    @property
    def label(self) -> str:
        kind = {"fixed": "fixed price", "block_hours": "block hours",
                "time_and_materials": "time and materials"}[self.definition.kind]
        return f"{self.contract.label} ({kind})"

    @property
    def name(self) -> str:
        t = self.contract.terms
        return "bespoke" if t.bespoke else t.level_name

    def window(self, day: date) -> tuple[date, date, str]:
        """The block period holding ``day``: its first and last day (within the
        contract) and its name."""
        d, t = self.definition, self.contract.terms
        end_of_contract = t.valid_to or date.max
        if d.block_period == "contract":
            start, end = t.valid_from, end_of_contract
            label = f"the contract ({t.valid_from}..{t.valid_to or 'open-ended'})"
        elif d.block_period == "quarter":
            start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            end = period_bounds(shift_period(period_of_day(start), 2))[1]
            label = f"Q{(day.month - 1) // 3 + 1} {day.year}"
        else:
            start, end = period_bounds(period_of_day(day))
            label = f"{day:%B %Y}"
        return max(start, t.valid_from), min(end, end_of_contract), label


@dataclass
class _Entry:
    row: dict[str, Any]
    day: date
    terms: _Terms | None
    kind: str = ""  # "covered", "billable", or "block" (to draw)
    reason: str = ""
    minutes: int = 0  # counted
    worked: int = 0

    @property
    def id(self) -> int:
        return int(self.row["id"])


def _classify(entry: _Entry) -> None:
    terms, row = entry.terms, entry.row
    entry.worked = int(row["minutes"])
    decided = row["billable"]
    service = str(row["service"])
    if decided is not None:
        entry.kind = "billable" if decided else "covered"
        entry.reason = f"{'billable' if decided else 'covered'} as logged: {row['billable_reason']}"
    elif terms is None:
        entry.kind, entry.reason = "billable", f"no contract in force on {entry.day}"
    elif not terms.contract.terms.covers_service(service):
        entry.kind, entry.reason = "billable", f"{service} is not covered by the {terms.name} contract"
    elif terms.definition.kind == "fixed":
        entry.kind, entry.reason = "covered", f"covered by the {terms.name} contract"
    elif terms.definition.kind == "time_and_materials":
        entry.kind, entry.reason = "billable", "time and materials"
    else:
        entry.kind, entry.reason = "block", "from the block"


def _rate(terms: _Terms | None, msp: Msp) -> Decimal | None:
    rate = terms.contract.terms.hourly_rate if terms is not None else None
    return rate if rate is not None else msp.default_hourly_rate


def _count(entries: list[_Entry]) -> None:
    """Counted minutes: rounding per entry, then each call's minimum per day on
    its last entry, for the work that is billed or drawn from a block."""
    groups: dict[tuple[int, date, str], list[_Entry]] = defaultdict(list)
    for e in entries:
        if e.kind == "covered":
            e.minutes = e.worked
            continue
        d = e.terms.definition if e.terms is not None else None
        e.minutes = rounded(e.worked, d.rounding if d else None)
        if d is not None and d.minimum:
            groups[(int(e.row["ticket_id"]), e.day, e.terms.key if e.terms else "")].append(e)
    for group in groups.values():
        d = group[-1].terms.definition if group[-1].terms is not None else None
        total = sum(e.minutes for e in group)
        if d is not None and d.minimum and total < d.minimum:
            group[-1].minutes += d.minimum - total


def _line(e: _Entry, kind: str, minutes: int, worked: int, reason: str, msp: Msp) -> Line:
    rate = _rate(e.terms, msp) if kind == "billable" else None
    amount = amount_of(minutes, rate) if kind == "billable" else Decimal("0.00")
    return Line(entry=e.id, day=e.day, ticket=int(e.row["ticket_id"]), title=str(e.row["title"]),
                service=str(e.row["service"]), operator=str(e.row["operator"]), worked=worked, minutes=minutes,
                kind=kind, reason=reason, rate=rate, amount=amount, note=str(e.row["note"]))


class _Customer:
    """One customer's contracts and entries, and the block draws worked out once
    per block period."""

    def __init__(self, store: Store, customer: Customer, contracts: list[_Terms], msp: Msp) -> None:
        self.store, self.customer, self.msp = store, customer, msp
        self.zone = ZoneInfo(customer.tz)
        self.contracts = contracts
        self._by_contract_id = {t.contract.id: t for t in contracts}
        self._entries: dict[str, list[_Entry]] = {}  # by month
        # (contract, window start, last month drawn) -> (minutes rolled in, lines)
        self._windows: dict[tuple[str, date, str], tuple[int, list[Line]]] = {}
        self.extra: list[dict[str, Any]] = []  # an entry not yet logged, to see how it would be decided
        self.until = "9999-12"  # the last month whose draws count (the billed month)

    def terms_on(self, day: date) -> _Terms | None:
        found = contract_in_force([t.contract for t in self.contracts], day)
        return None if found is None else self._by_contract_id[found.id]

    def load(self, periods: Iterable[str]) -> None:
        wanted = sorted(set(periods) - set(self._entries))
        for period in wanted:
            self._entries[period] = []
        rows = self.store.billing_entries(wanted, self.customer.key) if wanted else []
        rows += [r for r in self.extra if r["period"] in wanted]
        started = [(datetime.fromisoformat(str(r["started_at"])), r) for r in rows]
        for moment, row in sorted(started, key=lambda pair: (pair[0], int(pair[1]["id"]))):
            day = moment.astimezone(self.zone).date()
            entry = _Entry(row=row, day=day, terms=self.terms_on(day))
            _classify(entry)
            self._entries[str(row["period"])].append(entry)
        for period in wanted:
            _count(self._entries[period])

    def entries(self, period: str) -> list[_Entry]:
        self.load([period])
        return self._entries[period]

    def window_lines(self, terms: _Terms, start: date) -> tuple[int, list[Line]]:
        """The minutes rolled into the block period that starts on ``start`` and
        the lines of every entry drawn against it (block, or billable past it)."""
        first, last, _ = terms.window(start)
        # A window is drawn as far as the billed month (a quarter billed in its first
        # month holds that month's draws only): the cache knows how far it went.
        key = (terms.key, start, min(self.until, period_of_day(last)))
        if key in self._windows:
            return self._windows[key]
        d = terms.definition
        bought = int((d.block_hours or Decimal("0")) * 60)
        rolled = 0
        if d.rollover and first > terms.contract.terms.valid_from:
            previous = terms.window(first - timedelta(days=1))[0]
            before_rolled, before = self.window_lines(terms, previous)
            drawn = sum(line.minutes for line in before if line.kind == "block")
            rolled = max(0, bought - max(0, drawn - before_rolled))
        months, month = [], period_of_day(first)
        while month <= period_of_day(last) and month <= self.until:
            months.append(month)
            month = shift_period(month, 1)
        self.load(months)
        left = bought + rolled
        lines: list[Line] = []
        for month in months:
            for e in self._entries[month]:
                if e.kind != "block" or e.terms is not terms or not first <= e.day <= last:
                    continue
                drawn = min(left, e.minutes)
                left -= drawn
                past = e.minutes - drawn
                if drawn:
                    share = e.worked if not past else min(e.worked, drawn)
                    lines.append(_line(e, "block", drawn, share, "from the block", self.msp))
                if past:
                    reason = (f"past the block of {minutes_text(bought + rolled)} ({terms.window(e.day)[2]})")
                    lines.append(_line(e, "billable", past, e.worked - (min(e.worked, drawn) if drawn else 0),
                                       reason, self.msp))
        self._windows[key] = (rolled, lines)
        return rolled, lines

    def bill(self, period: str, until: date | None = None) -> CustomerBill:
        """The bill of one month; ``until`` (the customer's today) says how far a
        block stands for the month under way."""
        self.until = period
        first, last = period_bounds(period)
        out = CustomerBill(self.customer.key, self.customer.name, period)
        in_month = [t for t in self.contracts
                    if t.contract.terms.valid_from <= last and (t.contract.terms.valid_to or date.max) >= first]
        days = (last - first).days + 1
        for t in in_month:
            out.contracts.append(t.label)
            price = t.contract.terms.price_per_month
            start, end = max(first, t.contract.terms.valid_from), min(last, t.contract.terms.valid_to or last)
            covered = sum(1 for n in range((end - start).days + 1) if self._in_force(t, start + timedelta(days=n)))
            if price and covered:
                amount = (price * covered / days).quantize(CENT, rounding=ROUND_HALF_UP)
                label = f"{t.name} contract, {period_label(period)}"
                if covered < days:
                    label += f" ({covered} of {days} days)"
                out.fees.append(Fee(t.key, label, amount))
        entries = self.entries(period)
        lines: list[Line] = []
        windows: dict[tuple[str, date], _Terms] = {}
        for e in entries:
            if e.kind == "block" and e.terms is not None:
                windows[(e.terms.key, e.terms.window(e.day)[0])] = e.terms
            else:
                lines.append(_line(e, e.kind, e.minutes, e.worked, e.reason, self.msp))
        for t in in_month:
            if t.definition.kind == "block_hours":
                day = min(max(first, t.contract.terms.valid_from), t.contract.terms.valid_to or last)
                windows.setdefault((t.key, t.window(day)[0]), t)
        for (_, start), t in sorted(windows.items(), key=lambda item: item[0][1]):
            rolled, drawn = self.window_lines(t, start)
            lines += [line for line in drawn if period_of_day(line.day) == period]
            out.blocks.append(self._block(t, start, rolled, drawn, period, until))
        lines.sort(key=lambda line: (line.day, line.entry, line.kind != "block"))
        out.lines = lines
        for line in lines:
            if line.kind == "billable" and line.amount is None:
                out.warnings.append(f"#{line.ticket}: billable work with no hourly rate; give the contract an "
                                    "hourly_rate or [msp] a default_hourly_rate")
        return out

    def _in_force(self, t: _Terms, day: date) -> bool:
        found = self.terms_on(day)
        return found is t

    def _block(self, t: _Terms, start: date, rolled: int, drawn: list[Line], period: str,
               until: date | None) -> Block:
        first, last, label = t.window(start)
        month_first, month_last = period_bounds(period)
        bought = int((t.definition.block_hours or Decimal("0")) * 60)
        used_before = sum(line.minutes for line in drawn if line.kind == "block" and line.day < month_first)
        used = sum(line.minutes for line in drawn if line.kind == "block" and month_first <= line.day <= month_last)
        left = max(0, bought + rolled - used_before - used)
        if t.definition.rollover and (t.contract.terms.valid_to is None or last < t.contract.terms.valid_to):
            lapses = f"up to {minutes_text(min(left, bought))} rolls over into the next block period"
        else:
            lapses = f"what is left lapses after {last}" if last != date.max else "for the length of the contract"
        return Block(t.key, label, bought, rolled, used_before, used, left, lapses)


def _customers(store: Store, msp: Msp, customer: str | None) -> list[_Customer]:
    contracts: dict[str, list[_Terms]] = defaultdict(list)
    for contract, definition in store.contract_definitions(customer):
        contracts[contract.terms.customer].append(_Terms(contract, definition))
    known = [c for c in store.customers() if customer is None or c.key == customer]
    return [_Customer(store, c, contracts.get(c.key, []), msp) for c in sorted(known, key=lambda c: c.key)]


def _running(store: Store, period: str) -> list[str]:
    return [f"#{r['ticket_id']} {r['operator']} (since {str(r['started_at'])[:16].replace('T', ' ')} UTC)"
            for r in store.time_entries_of(period=period, running=True)]


def bill(store: Store, period: str, *, customer: str | None = None, now: datetime | None = None) -> Billing:
    """The bills of a month: every customer with a contract in force in it or work
    logged in it (or the one ``customer``). A closed month gives its figures as
    they were closed."""
    period = parse_period(period)
    msp = store.msp() or Msp()
    closed = store.billing_period(period)
    if closed is not None:
        return _as_closed(closed, msp, customer)
    bills = []
    for c in _customers(store, msp, customer):
        today = now.astimezone(c.zone).date() if now is not None else None
        made = c.bill(period, today)
        if made.contracts or made.lines or customer is not None:
            bills.append(made)
    return Billing(period, msp, bills, running=_running(store, period))


def _as_closed(closed: dict[str, Any], msp: Msp, customer: str | None) -> Billing:
    """A closed month's bills from its stored figures (only ``customer``'s lines made)."""
    figures = closed["figures"]
    if customer is not None:
        figures = {**figures, "customers": [b for b in figures["customers"] if b["customer"] == customer]}
    billing = Billing.from_dict(figures, msp)
    billing.closed_at, billing.closed_by = closed["closed_at"], closed["closed_by"]
    return billing


def customer_months(store: Store, months: Sequence[str], customer: str,
                    now: datetime | None = None) -> list[tuple[str, CustomerBill | None, bool]]:
    """One customer's bill of each month, in order, as (month, bill, closed): a
    closed month as it was closed, the others worked out once for all of them (a
    block's earlier periods are drawn once, not once per month). None for a month
    with neither a contract nor logged work."""
    msp = store.msp() or Msp()
    found = _customers(store, msp, customer)
    if not found:
        return [(month, None, False) for month in months]
    c = found[0]
    today = now.astimezone(c.zone).date() if now is not None else None
    out: list[tuple[str, CustomerBill | None, bool]] = []
    for month in sorted(months):
        closed = store.billing_period(month)
        if closed is not None:
            bills = _as_closed(closed, msp, customer).bills
            out.append((month, bills[0] if bills else None, True))
            continue
        made = c.bill(month, today)
        out.append((month, made if made.contracts or made.lines else None, False))
    return out


def close(store: Store, period: str, operator: str, now: datetime) -> Billing:
    """Close a month for billing: its entries can no longer change and its figures
    are kept as they are now. Refused while the month is not over (in the MSP's
    zone), while a timer started in it still runs, or when it is closed already."""
    period = parse_period(period)
    msp = store.msp() or Msp()
    with store.write():
        done = store.billing_period(period)
        if done is not None:
            raise BillingError(f"period: {period} was closed on {done['closed_at'][:10]} by {done['closed_by']}; "
                               "a correction is a new entry in an open month")
        _, last = period_bounds(period)
        over = datetime.combine(last + timedelta(days=1), time(), ZoneInfo(msp.tz))
        if now < over:
            raise BillingError(f"period: {period} is not over yet (it ends {over:%Y-%m-%d %H:%M %Z}); "
                               "close a month once its work is all logged")
        running = _running(store, period)
        if running:
            raise BillingError(f"period: {len(running)} timer{'s' if len(running) > 1 else ''} started in {period} "
                               f"still run{'s' if len(running) == 1 else ''} ({', '.join(running[:3])}); stop them first")
        billing = bill(store, period, now=now)
        billing.closed_at, billing.closed_by = now.isoformat(), operator
        try:
            store.close_billing_period(period, operator, billing.to_dict(), now)
        except StoreError as err:
            raise BillingError(f"period: {err}") from None
    return billing


# ---------------------------------------------------------------- for one call, one customer, now


def terms_words(d: ContractDef) -> str:
    """A contract's billing terms in a line: "block of 12h a month (unused hours roll
    over once), then billed at the hourly rate; each entry rounded up to 15m, at
    least 30m per call and day"."""
    if d.kind == "block_hours":
        period = {"month": "a month", "quarter": "a quarter", "contract": "for the whole contract"}[d.block_period]
        hours = minutes_text(int(Decimal(d.block_hours or 0) * 60))
        text = f"block of {hours} {period}" + (" (unused hours roll over once)" if d.rollover else "")
        text += ", then billed at the hourly rate"
    elif d.kind == "time_and_materials":
        text = "time and materials: every hour billed at the hourly rate"
    else:
        text = "fixed price: the monthly price covers the services"
    rules = []
    if d.rounding:
        rules.append(f"each entry rounded up to {minutes_text(d.rounding)}")
    if d.minimum:
        rules.append(f"at least {minutes_text(d.minimum)} per call and day")
    return text + ("; " + ", ".join(rules) if rules else "")


def billing_terms(store: Store, customer: str, now: datetime) -> tuple[str, Block | None]:
    """The billing terms of the customer's contract in force now, in words (empty
    without one), and its block as it stands now (None without a block)."""
    msp = store.msp() or Msp()
    found = _customers(store, msp, customer)
    if not found:
        return "", None
    c = found[0]
    today = now.astimezone(c.zone).date()
    terms = c.terms_on(today)
    if terms is None:
        return "", None
    if terms.definition.kind != "block_hours":
        return terms_words(terms.definition), None
    made = c.bill(period_of_day(today), today)
    return terms_words(terms.definition), next((b for b in made.blocks if b.contract == terms.key), None)


def current_block(store: Store, customer: str, now: datetime) -> Block | None:
    """The block of the contract in force today, as it stands now; None when the
    contract has no block (or there is no contract)."""
    return billing_terms(store, customer, now)[1]


@dataclass(frozen=True)
class Decision:
    """How an entry would be billed if it were logged now: the lines it would make."""

    lines: list[Line]
    msp: Msp

    def text(self) -> str:
        parts = []
        for line in self.lines:
            if line.kind == "billable":
                rate = f"{money_text(line.rate, self.msp)}/h" if line.rate is not None else "no rate known"
                parts.append(f"{minutes_text(line.minutes)} billable at {rate} ({line.reason}): "
                             f"{money_text(line.amount, self.msp)}")
            elif line.kind == "block":
                parts.append(f"{minutes_text(line.minutes)} from the block")
            else:
                parts.append(f"{minutes_text(line.minutes)} " + (line.reason if line.reason.startswith("covered")
                                                                 else f"covered ({line.reason})"))
        return "; ".join(parts) if parts else "not billed"

    @property
    def billable(self) -> bool:
        return any(line.kind == "billable" for line in self.lines)


def decide(store: Store, ticket_id: int, started_at: datetime, minutes: int,
           billable: bool | None = None, reason: str = "") -> Decision:
    """How an entry on a call would be billed, by the same rules as its month's
    bill (the day's minimum and what the block still holds included)."""
    ticket = store.ticket(ticket_id)
    msp = store.msp() or Msp()
    if ticket is None:
        raise BillingError(f"ticket: there is no call #{ticket_id}")
    found = _customers(store, msp, ticket.customer)
    if not found:
        return Decision([], msp)
    c = found[0]
    period = period_of_day(started_at.astimezone(c.zone).date())
    c.extra.append({"id": -1, "ticket_id": ticket_id, "customer": ticket.customer, "operator": "",
                    "started_at": started_at.isoformat(), "ended_at": (started_at + timedelta(minutes=minutes)).isoformat(),
                    "minutes": minutes, "note": "", "billable": billable, "billable_reason": reason, "period": period,
                    "service": ticket.service, "title": ticket.title})
    made = c.bill(period)
    mine = [line for line in made.lines if line.entry == -1]
    # the day's minimum may already be met by earlier work: the lines show what this entry adds
    return Decision(mine, msp)


def estimate(store: Store, ticket_id: int, hours: float, now: datetime) -> Decision:
    """What ``hours`` more work on a call would cost by its contract's rules, as
    if done now (the diagnosis screen's estimate)."""
    minutes = max(1, math.ceil(hours * 60))
    return decide(store, ticket_id, now, minutes)


def set_billable(store: Store, entry_id: int, billable: bool | None, reason: str, operator: str,
                 now: datetime) -> dict[str, Any]:
    """Decide an entry covered or billable (or back to the contract's rules), with
    a reason, recorded in the call's history. BillingError for a missing entry,
    no reason, or a closed month."""
    if billable is not None and not reason.strip():
        raise BillingError(f"reason: say why entry #{entry_id} is {'billable' if billable else 'covered'}")
    with store.write():
        row = store.time_entry(entry_id)
        if row is None:
            raise BillingError(f"entry: there is no time entry #{entry_id}")
        reason = " ".join(reason.split())
        try:
            store.set_time_entry_billable(entry_id, billable, reason if billable is not None else "", now)
        except StoreError:
            raise BillingError(f"entry: #{entry_id} is in {row['period']}, which is closed for billing; "
                               "log a correction in an open month") from None
        was = {None: "as the contract's rules decide", True: "billable", False: "covered"}
        old = None if row["billable"] is None else bool(row["billable"])
        said = f"time entry #{entry_id}: {was[old]} → {was[billable]}"
        if reason:
            said += f": {reason}"
        store.add_events([Event(ticket_id=int(row["ticket_id"]), at=now, operator=operator, kind="time",
                                note=said[:1000])])
        found = store.time_entry(entry_id)
    assert found is not None
    return found


def sorted_bills(bills: Sequence[CustomerBill]) -> list[CustomerBill]:
    return sorted(bills, key=lambda b: b.customer)
