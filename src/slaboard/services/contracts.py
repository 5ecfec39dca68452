"""What a customer's contract covers and costs, for the operator on the phone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slaboard.domain import Contract, Customer, ServiceLevel, contract_in_force
from slaboard.domain.catalog import Catalog
from slaboard.services.billing import Block, billing_terms
from slaboard.services.clocks import calendar_for
from slaboard.services.tickets import TicketView, open_views, resolve_customer
from slaboard.sla import CalendarError
from slaboard.store import Store


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass
class LevelFigures:
    """Met and missed targets of one level in a period."""

    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0

    @property
    def resolution_share(self) -> float | None:
        total = self.resolution_met + self.resolution_missed
        return None if total == 0 else self.resolution_met / total


@dataclass
class CustomerOverview:
    customer: Customer
    contracts: list[tuple[Contract, str]]  # (contract, "in force" | "expired" | "future" | "superseded")
    in_force: Contract | None
    calendar: str
    holidays: list[tuple[date, str]]
    open_calls: list[TicketView]
    quarter: tuple[date, date]
    figures: dict[str, LevelFigures] = field(default_factory=dict)
    billing: str = ""  # the billing terms of the contract in force, in words
    block: Block | None = None  # its block of prepaid hours as it stands now

    def to_dict(self) -> dict[str, Any]:
        def contract(c: Contract, state: str) -> dict[str, Any]:
            t = c.terms
            return {
                "id": c.id, "key": t.key, "version": c.version, "state": state, "level": t.level_name,
                "bespoke": t.bespoke, "valid_from": t.valid_from.isoformat(),
                "valid_to": t.valid_to.isoformat() if t.valid_to else None, "services": t.services,
                "price_per_month": float(t.price_per_month),
                "hourly_rate": float(t.hourly_rate) if t.hourly_rate is not None else None,
                "calendar": t.calendar_key,
                "response": {p: d.text for p, d in t.response.items()},
                "resolution": {p: d.text for p, d in t.resolution.items()},
                "plan": {p: d.text for p, d in t.plan.items()},
                "overrides": {s: o.model_dump(mode="json", exclude_none=True) for s, o in t.overrides.items()},
            }

        return {
            "customer": self.customer.model_dump(mode="json"),
            "contracts": [contract(c, s) for c, s in self.contracts],
            "in_force": self.in_force.id if self.in_force else None,
            "calendar": self.calendar,
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in self.holidays],
            "open_calls": [{"id": v.ticket.id, "title": v.ticket.title, "status": v.ticket.status} for v in self.open_calls],
            "quarter": {"from": self.quarter[0].isoformat(), "to": self.quarter[1].isoformat()},
            "figures": {level: vars(f) for level, f in self.figures.items()},
            "billing": self.billing,
            "block": None if self.block is None else {**self.block.to_dict(), "low": self.block.low},
        }


def customer_overview(store: Store, text: str, now: datetime) -> CustomerOverview:
    """Every contract of the customer (expired and future ones too), the one in
    force, its calendar and coming holidays, open calls and this quarter's figures."""
    customer = resolve_customer(store, text)
    zone = ZoneInfo(customer.tz)
    today = now.astimezone(zone).date()
    contracts = []
    for c in store.contracts_of(customer.key):
        t = c.terms
        if not c.current:
            state = "superseded"
        elif t.valid_from > today:
            state = "future"
        elif t.valid_to is not None and t.valid_to < today:
            state = "expired"
        else:
            state = "in force"
        contracts.append((c, state))
    in_force = next((c for c, s in contracts if s == "in force"), None)
    calendar, holidays = "no contract in force", []
    if in_force is not None:
        cal = calendar_for(in_force, customer.tz)
        calendar = f"{in_force.terms.calendar_key}: {cal.describe()}"
        start = int(now.timestamp())
        holidays = cal.holidays_between(start, start + 120 * 86400)
    opened = [v for v in open_views(store, now) if v.customer.key == customer.key]
    q_start = quarter_start(today)
    figures: dict[str, LevelFigures] = defaultdict(LevelFigures)
    begin = datetime.combine(q_start, time(), zone)
    for row in store.report_outcomes(begin, now + timedelta(seconds=1), customer.key):
        f = figures[row.level or "none"]
        attr = f"{row.clock}_{'met' if row.met else 'missed'}"
        setattr(f, attr, getattr(f, attr) + 1)
    billing, block = billing_terms(store, customer.key, now)
    return CustomerOverview(customer, contracts, in_force, calendar, holidays, opened, (q_start, today), dict(figures),
                            billing, block)


def price_list(store: Store) -> list[ServiceLevel]:
    """The MSP's levels side by side (gold, silver, bronze...), dearest first."""
    return sorted(store.levels(), key=lambda level: -level.price_per_month)


@dataclass
class PriceList:
    levels: list[ServiceLevel]
    hours: dict[str, str]  # level key -> its business hours in words


def read_price_list(store: Store) -> PriceList:
    """Every level with its business hours in words, for the price list."""
    levels = price_list(store)
    catalog = store.catalog()
    return PriceList(levels, {level.key: calendar_hours(catalog, level.calendar) for level in levels})


def calendar_hours(catalog: Catalog, key: str) -> str:
    """A calendar's hours in words ("Mon-Fri 08:00-18:00, Europe/Amsterdam"; "24x7";
    a template's in "the customer's local time"), or its key when it cannot be built."""
    definition = catalog.calendars.get(key)
    if definition is None:
        return key
    try:
        described = definition.build(definition.tz or "Etc/UTC").describe()
    except CalendarError:
        return key
    if definition.always_open:
        return "24x7"
    if definition.tz is None:  # a template: read in each customer's zone
        described = described.rsplit(", ", 1)[0] + ", the customer's local time"
    return described


@dataclass(frozen=True)
class Standing:
    """A customer's contract on a day, as an operator logging a call must know it."""

    contract: Contract | None
    why: str  # without a contract in force: why not, in words
    uncovered: bool  # a contract, but the chosen service is not one it covers


def contract_standing(contracts: Sequence[Contract], day: date, service: str | None = None) -> Standing:
    """The contract in force on ``day`` of a customer's ``contracts``, or why there
    is none (expired, not started yet, none at all), and whether it covers ``service``."""
    contract = contract_in_force(contracts, day)
    if contract is not None:
        return Standing(contract, "", service is not None and not contract.terms.covers_service(service))
    ended = [c for c in contracts if c.current and c.terms.valid_to is not None and c.terms.valid_to < day]
    future = [c for c in contracts if c.current and c.terms.valid_from > day]
    if ended:
        last = max(ended, key=lambda c: c.terms.valid_to or day)
        why = f"Contract expired on {last.terms.valid_to} ({last.terms.level_name})"
    elif future:
        first = min(future, key=lambda c: c.terms.valid_from)
        why = f"No contract in force yet ({first.terms.level_name} from {first.terms.valid_from})"
    else:
        why = "No valid contract"
    return Standing(None, why, False)
