"""What a customer's contract covers and costs, for the operator on the phone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slaboard.domain import Contract, Customer, ServiceLevel
from slaboard.services.clocks import calendar_for
from slaboard.services.tickets import TicketView, open_views, resolve_customer
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
        clock, met, level = row[1], row[2], row[10]
        f = figures[level or "none"]
        attr = f"{clock}_{'met' if met else 'missed'}"
        setattr(f, attr, getattr(f, attr) + 1)
    return CustomerOverview(customer, contracts, in_force, calendar, holidays, opened, (q_start, today), dict(figures))


def price_list(store: Store) -> list[ServiceLevel]:
    """The MSP's levels side by side (gold, silver, bronze...), dearest first."""
    return sorted(store.levels(), key=lambda level: -level.price_per_month)
