"""Clocks of stored tickets: a ticket and its contract version, through the engine."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from slaboard.domain import Contract, Ticket
from slaboard.sla import (
    BusinessCalendar,
    Clock,
    StatusChange,
    Target,
    TargetChange,
    TargetSource,
    Thresholds,
    Timeline,
    compute_clocks,
)


@lru_cache(maxsize=256)
def _calendar(spec_json: str, tz: str, name: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(json.loads(spec_json), tz=tz, name=name)


def calendar_for(contract: Contract, tz: str) -> BusinessCalendar:
    """The contract's calendar read in ``tz`` when it is a template; one compiled
    instance per (calendar, zone) shared by every ticket."""
    terms = contract.terms
    return _calendar(terms.calendar_spec, terms.calendar.get("tz") or tz, terms.calendar_key)


def thresholds_for(contract: Contract) -> Thresholds:
    t = contract.terms
    return Thresholds(
        warning=t.warning,
        critical=t.critical,
        warning_left=t.warning_left.seconds if t.warning_left else None,
        critical_left=t.critical_left.seconds if t.critical_left else None,
    )


def targets_for(ticket: Ticket, contract: Contract) -> list[Target | TargetChange]:
    """The targets of each clock: from the priority at intake, then a change per
    later priority (each applies from the start, as the engine does)."""
    terms = contract.terms
    out: list[Target | TargetChange] = []
    history = ticket.priorities or []
    first_priority = history[0].priority if history else ticket.priority
    for clock in ("response", "plan", "resolution"):
        duration, override = terms.target(clock, ticket.service, first_priority)
        if duration is not None:
            out.append(Target(clock, duration, _source(contract, ticket.service, first_priority, override)))
        for entry in history[1:]:
            duration, override = terms.target(clock, ticket.service, entry.priority)
            if duration is not None:
                out.append(
                    TargetChange(entry.at, Target(clock, duration, _source(contract, ticket.service, entry.priority, override)), entry.reason)
                )
    return out


def _source(contract: Contract, service: str, priority: str, override: bool) -> TargetSource:
    t = contract.terms
    return TargetSource(
        contract=t.key,
        contract_version=contract.version,
        level=t.level_name,
        service=service,
        priority=priority,
        override=override,
        bespoke=t.bespoke,
        calendar=t.calendar_key,
    )


def timeline_for(ticket: Ticket, contract: Contract) -> Timeline:
    return Timeline(
        reported_at=ticket.reported_at,
        statuses=[StatusChange(s.at, s.status, s.reason) for s in ticket.statuses],
        responded_at=ticket.responded_at,
        planned_at=ticket.planned_at,
        pause_on_third_party=contract.terms.pause_on_third_party,
    )


def clocks_for(ticket: Ticket, contract: Contract | None, tz: str, now: datetime | int) -> dict[str, Clock]:
    """Every clock of ``ticket`` at ``now``; none for billable work (no contract in
    force, or a service the contract does not cover)."""
    if contract is None or ticket.billable:
        return {}
    return compute_clocks(
        timeline_for(ticket, contract),
        targets_for(ticket, contract),
        calendar_for(contract, tz),
        now,
        thresholds_for(contract),
    )
