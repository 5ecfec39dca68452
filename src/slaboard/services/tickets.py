"""Use cases on calls: open one, change one, look one up. Each write is one
transaction through the store; each change is an event with the operator's name."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from slaboard.domain import (
    CHANNELS,
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    Communication,
    Contract,
    Customer,
    Event,
    PriorityEntry,
    Service,
    StatusEntry,
    Ticket,
    priority_for,
)
from slaboard.services.audit import snapshot
from slaboard.services.clocks import clocks_for
from slaboard.sla import Clock, leading_clock
from slaboard.store import Attachment, Store
from slaboard.store import iso as store_instant

# A reported time this far ahead of the clock is a typing mistake, not a skewed clock.
_FUTURE_TOLERANCE = timedelta(minutes=2)


class ServiceError(ValueError):
    """A mistake a user can fix: one line that says what and how."""


@dataclass
class TicketView:
    """A ticket with what it needs to be shown: customer, contract and clocks."""

    ticket: Ticket
    customer: Customer
    contract: Contract | None
    clocks: dict[str, Clock] = field(default_factory=dict)
    tz: str = "Etc/UTC"

    @property
    def leading(self) -> Clock | None:
        return leading_clock(self.clocks)

    @property
    def at_risk(self) -> bool:
        """The promised resolution lies past the resolution deadline (as it runs now;
        not while the clock is paused) and the customer has not been told since."""
        t = self.ticket
        clock = self.clocks.get("resolution")
        if not t.is_open or t.expected_at is None or clock is None or clock.stopped_ts is not None or clock.paused:
            return False
        return t.expected_at > clock.due and not t.told_since_promise

    @property
    def level(self) -> str:
        if self.contract is None:
            return "none"
        return self.contract.terms.level_name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: instants in ISO-8601."""
        data = self.ticket.model_dump(mode="json", exclude={"statuses", "priorities"})
        data["customer_name"] = self.customer.name
        data["customer_code"] = self.customer.code
        data["level"] = self.level
        data["contract"] = None if self.contract is None else {
            "id": self.contract.id, "key": self.contract.key, "version": self.contract.version,
        }
        data["clocks"] = {
            name: {
                "state": c.state,
                "due": c.due.isoformat(),
                "target": c.target.duration.text,
                "target_seconds": c.target_seconds,
                "used_seconds": c.used,
                "remaining_seconds": c.remaining,
                "stopped_at": c.stopped_at.isoformat() if c.stopped_at else None,
            }
            for name, c in self.clocks.items()
        }
        lead = self.leading
        data["sla_state"] = lead.state if lead else ("no SLA" if not self.clocks else "stopped")
        data["at_risk"] = self.at_risk
        data["statuses"] = [s.model_dump(mode="json") for s in self.ticket.statuses]
        data["priorities"] = [p.model_dump(mode="json") for p in self.ticket.priorities]
        return data


@dataclass
class NewCall:
    """What an operator (or a monitoring system) knows when a call comes in."""

    customer: str
    service: str
    title: str
    impact: int = 3
    urgency: int = 3
    caller: str = ""
    channel: str = "phone"
    description: str = ""
    reported_at: datetime | None = None
    priority: str | None = None
    priority_reason: str = ""


def resolve_customer(store: Store, text: str) -> Customer:
    """The customer named by key, code, or an unambiguous part of a name or contact."""
    found = store.find_customers(text)
    if len(found) == 1:
        return found[0]
    if not found:
        known = ", ".join(c.code for c in store.customers()[:12])
        raise ServiceError(f"unknown customer {text!r}" + (f"; known codes: {known}" if known else "; load a contract file first"))
    names = ", ".join(f"{c.code} ({c.name})" for c in found[:6])
    raise ServiceError(f"customer {text!r} matches {len(found)} customers: {names}; give the code")


def resolve_service(store: Store, text: str) -> Service:
    needle = text.strip().lower()
    services = store.services()
    for s in services:
        if needle in (s.key.lower(), s.name.lower()):
            return s
    known = ", ".join(s.key for s in services)
    raise ServiceError(f"unknown service {text!r}" + (f"; known: {known}" if known else "; load a contract file first"))


def _check_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, 2, 3):
        raise ServiceError(f"{name} must be 1, 2 or 3, not {value!r}")
    return value


def _check_aware(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ServiceError(f"{name} must be a date-time with a time zone, like 2026-06-01T09:30+02:00")
    if not 1970 <= value.year <= 2200:
        raise ServiceError(f"{name} {value.isoformat()} is out of range; give a time between 1970 and 2200")
    return value


def _validation_message(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}"


def view_of(store: Store, ticket: Ticket, tz: str, now: datetime | int, customer: Customer | None = None) -> TicketView:
    contract = store.contract(ticket.contract_id) if ticket.contract_id is not None else None
    customer = customer or store.customer(ticket.customer)
    assert customer is not None  # a foreign key
    return TicketView(ticket, customer, contract, clocks_for(ticket, contract, tz, now), tz)


def _with_dues(ticket: Ticket, clocks: dict[str, Clock]) -> Ticket:
    def due(name: str) -> datetime | None:
        c = clocks.get(name)
        return None if c is None else c.due.astimezone(UTC)

    return ticket.model_copy(
        update={"response_due": due("response"), "plan_due": due("plan"), "resolution_due": due("resolution")}
    )


def open_call(store: Store, call: NewCall, operator: str, now: datetime) -> TicketView:
    """Log a new call: tie it to the contract in force on the day it was reported,
    give it deadlines, and store it with a 'created' event."""
    view = preview_call(store, call, operator, now)
    contract, billable = view.contract, view.ticket.billable
    note = "billable: no contract in force" if contract is None else (
        f"billable: {view.ticket.service} is not covered by {contract.key}" if billable else ""
    )
    created = Event(ticket_id=0, at=now, operator=operator, kind="created", new=snapshot(view.ticket), note=note)
    stored = store.insert_ticket(view.ticket, view.tz, [created])
    return TicketView(stored, view.customer, contract, view.clocks, view.tz)


def preview_call(store: Store, call: NewCall, operator: str, now: datetime) -> TicketView:
    """The call as it would be logged (contract, billable or not, deadlines),
    without writing anything; raises ServiceError for what cannot be saved."""
    if not call.title or not call.title.strip():
        raise ServiceError("title: give a short title for the call")
    if call.channel not in CHANNELS:
        raise ServiceError(f"channel must be one of {', '.join(CHANNELS)}, not {call.channel!r}")
    impact, urgency = _check_int("impact", call.impact), _check_int("urgency", call.urgency)
    customer = resolve_customer(store, call.customer)
    service = resolve_service(store, call.service)
    reported = _check_aware("reported_at", call.reported_at) if call.reported_at is not None else now
    if reported > now + _FUTURE_TOLERANCE:
        raise ServiceError(f"reported_at {reported.isoformat()} is in the future; a call is reported when it comes in")
    matrix = priority_for(impact, urgency)
    priority = call.priority or matrix
    if priority not in ("P1", "P2", "P3", "P4"):
        raise ServiceError(f"priority must be P1, P2, P3 or P4, not {priority!r}")
    reason = call.priority_reason.strip()
    if priority != matrix and not reason:
        reason = f"set by {operator} (matrix gives {matrix})"
    local_day = reported.astimezone(ZoneInfo(customer.tz)).date()
    contract = store.contract_in_force(customer.key, local_day)
    billable = contract is None or not contract.terms.covers_service(service.key)
    try:
        ticket = Ticket(
            id=0,
            customer=customer.key,
            contract_id=contract.id if contract else None,
            service=service.key,
            caller=call.caller,
            channel=call.channel,  # type: ignore[arg-type]
            title=call.title,
            description=call.description,
            impact=impact,
            urgency=urgency,
            priority=priority,  # type: ignore[arg-type]
            priority_reason=reason,
            billable=billable,
            estimate_hours=None,
            reported_at=reported,
            created_at=now,
            updated_at=now,
            statuses=[StatusEntry(at=reported, status="new")],
            priorities=[PriorityEntry(at=reported, priority=priority, reason=reason)],  # type: ignore[arg-type]
        )
    except ValidationError as err:
        raise ServiceError(_validation_message(err)) from None
    clocks = clocks_for(ticket, contract, customer.tz, now)
    return TicketView(_with_dues(ticket, clocks), customer, contract, clocks, customer.tz)


def get_view(store: Store, ticket_id: int, now: datetime | int) -> TicketView:
    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise ServiceError(f"no ticket #{ticket_id}")
    tz = store.ticket_zone(ticket_id) or "Etc/UTC"
    return view_of(store, ticket, tz, now)


def _instant(t: datetime, like: datetime) -> str:
    return t.astimezone(like.tzinfo).isoformat(timespec="seconds")


def already_message(ticket: Ticket) -> str:
    """Why asking a call for the status it already has is refused: what it is, since
    when, and that nothing of the request (note, justification) was kept."""
    since = ticket.statuses[-1].at if ticket.statuses else ticket.updated_at
    what = ticket.status.replace("_", " ")
    hint = "; add to it with a comment" + (", or reopen it first" if ticket.status == "resolved" else "")
    return (f"ticket #{ticket.id} is already {what} (since {_instant(since, since)}); "
            f"nothing was recorded{hint}")


def check_in_order(store: Store, ticket: Ticket, now: datetime) -> None:
    """Refuse an action dated before the call was reported or before its latest
    event: a writer whose clock is behind would otherwise stop clocks before they
    started and write a history out of order."""
    for what, at in (("was reported", ticket.reported_at), ("last changed", store.last_event_at(ticket.id))):
        if at is not None and now < at:
            raise ServiceError(
                f"ticket #{ticket.id} {what} at {_instant(at, now)}, after this action's time "
                f"{_instant(now, now)}; check this computer's clock (or SLABOARD_NOW); nothing was recorded"
            )


@dataclass
class Change:
    """A planned change of a ticket: the new ticket, its clocks and its events."""

    before: TicketView
    after: TicketView
    events: list[Event]
    version: int

    @property
    def deadline_moves(self) -> list[tuple[str, datetime | None, datetime | None]]:
        """(clock, old due, new due) for every deadline the change moves."""
        out = []
        for name in ("response", "plan", "resolution"):
            old, new = self.before.clocks.get(name), self.after.clocks.get(name)
            old_due = old.due if old and old.stopped_ts is None else None
            new_due = new.due if new and new.stopped_ts is None else None
            if old_due != new_due:
                out.append((name, old_due, new_due))
        return out

    @property
    def missed(self) -> list[str]:
        """Clocks this change stops late."""
        return [
            name for name, c in self.after.clocks.items()
            if c.state == "missed" and (self.before.clocks.get(name) is None or self.before.clocks[name].stopped_ts is None)
        ]


def plan_change(
    store: Store,
    ticket_id: int,
    *,
    operator: str,
    now: datetime,
    status: str | None = None,
    reason: str = "",
    impact: int | None = None,
    urgency: int | None = None,
    assignee: str | None = None,
    expected: datetime | None = None,
    diagnosis: str | None = None,
    category: str | None = None,
    estimate_hours: float | None = None,
    responded_at: datetime | None = None,
    told_customer: bool = False,
    service: str | None = None,
    expected_version: int | None = None,
) -> Change:
    """What a change would do (new deadlines, events), without writing anything.
    Raises ServiceError for a change that cannot be made."""
    view = get_view(store, ticket_id, now)
    ticket = view.ticket
    check_in_order(store, ticket, now)
    version = ticket.version if expected_version is None else expected_version
    updates: dict[str, Any] = {"updated_at": now}
    events: list[Event] = []

    def event(kind: str, name: str, old: object, new: object, note: str = "") -> None:
        events.append(
            Event(ticket_id=ticket_id, at=now, operator=operator, kind=kind, field=name,
                  old=None if old is None else str(old), new=None if new is None else str(new), note=note)
        )

    if status is not None and status == ticket.status:
        raise ServiceError(already_message(ticket))
    if status is not None:
        if status not in STATUSES:
            raise ServiceError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        if status not in TRANSITIONS[ticket.status]:
            allowed = ", ".join(TRANSITIONS[ticket.status]) or "nothing (it is closed)"
            raise ServiceError(f"ticket #{ticket_id} is {ticket.status}; it can move to {allowed}")
        if status == "waiting_customer" and not reason.strip():
            reason = "waiting for the customer"
        updates["status"] = status
        updates["statuses"] = [*ticket.statuses, StatusEntry(at=now, status=status, reason=reason)]  # type: ignore[arg-type]
        if status == "resolved":
            updates["resolved_at"] = now
            if reason:
                updates["resolution_note"] = reason
        elif status == "closed":
            updates["closed_at"] = now
            if ticket.resolved_at is None:
                updates["resolved_at"] = now
        elif ticket.status in ("resolved",):
            updates["resolved_at"] = None  # reopened
        if ticket.status == "new" and ticket.responded_at is None:
            updates["responded_at"] = now  # leaving "new" is the first response
        event("status", "status", ticket.status, status, reason)
    new_impact = _check_int("impact", impact) if impact is not None else ticket.impact
    new_urgency = _check_int("urgency", urgency) if urgency is not None else ticket.urgency
    if (new_impact, new_urgency) != (ticket.impact, ticket.urgency):
        if new_impact != ticket.impact:
            event("field", "impact", ticket.impact, new_impact)
        if new_urgency != ticket.urgency:
            event("field", "urgency", ticket.urgency, new_urgency)
        updates["impact"], updates["urgency"] = new_impact, new_urgency
        new_priority = priority_for(new_impact, new_urgency)
        if new_priority != ticket.priority:
            why = f"impact {new_impact}, urgency {new_urgency}"
            updates["priority"] = new_priority
            updates["priority_reason"] = ""
            updates["priorities"] = [*ticket.priorities, PriorityEntry(at=now, priority=new_priority, reason=why)]
            event("priority", "priority", ticket.priority, new_priority, why)
    if service is not None:
        chosen = resolve_service(store, service)
        if chosen.key != ticket.service:
            updates["service"] = chosen.key
            contract = view.contract
            updates["billable"] = contract is None or not contract.terms.covers_service(chosen.key)
            event("field", "service", ticket.service, chosen.key,
                  "billable: not covered by the contract" if updates["billable"] else "")
    if assignee is not None and assignee.strip() != ticket.assignee:
        updates["assignee"] = assignee.strip()
        event("field", "assignee", ticket.assignee, assignee.strip())
    for name, value in (("diagnosis", diagnosis), ("category", category)):
        if value is not None and value.strip() != getattr(ticket, name):
            updates[name] = value.strip()
            event("field", name, getattr(ticket, name), value.strip())
    if estimate_hours is not None and estimate_hours != ticket.estimate_hours:
        if not 0 <= estimate_hours <= 10_000:
            raise ServiceError(f"estimated hours must be between 0 and 10000, not {estimate_hours}")
        updates["estimate_hours"] = estimate_hours
        event("field", "estimate_hours", ticket.estimate_hours, estimate_hours)
    if expected is not None and expected != ticket.expected_at:
        _check_aware("expected", expected)
        if expected < now:
            raise ServiceError(f"expected resolution {expected.isoformat()} is in the past; promise a time after now")
        updates["expected_at"] = expected
        updates["expected_set_at"] = now
        if ticket.planned_at is None:
            updates["planned_at"] = now
        event("field", "expected_at", ticket.expected_at.isoformat() if ticket.expected_at else None, expected.isoformat())
    if responded_at is not None and ticket.responded_at is None and "responded_at" not in updates:
        updates["responded_at"] = responded_at  # the first message to the customer
        event("response", "responded_at", None, responded_at.isoformat(), "first message to the customer")
    if told_customer:
        updates["customer_told_at"] = now
        event("told", "customer_told_at", ticket.customer_told_at.isoformat() if ticket.customer_told_at else None,
              now.isoformat(), "customer told of the expected resolution")
    changed = ticket.model_copy(update=updates)
    clocks = clocks_for(changed, view.contract, view.tz, now)
    changed = _with_dues(changed, clocks)
    # Events record how the deadlines moved, so the history explains them.
    if events:
        for name in ("response_due", "plan_due", "resolution_due"):
            old, new = getattr(ticket, name), getattr(changed, name)
            if old != new and old is not None and new is not None:
                event("deadline", name, old.isoformat(), new.isoformat())
    after = TicketView(changed, view.customer, view.contract, clocks, view.tz)
    return Change(view, after, events, version)


def commit_change(store: Store, change: Change, now: datetime, justification: str = "") -> TicketView:
    """Write a planned change (refused with ConflictError if the ticket moved on);
    stopped clocks' outcomes are written down, with ``justification`` on a miss."""
    if not change.events:
        return change.before
    view = change.after
    ticket_id = view.ticket.id
    with store.write():
        stored = store.update_ticket(view.ticket, change.version, change.events)
        # Outcomes are written when a clock stops (again, after a reopen), not on
        # every later change, so recorded_at says when the clock stopped.
        stopped = {name: c for name, c in view.clocks.items() if c.stopped_ts is not None}
        recorded = store.outcomes(ticket_id)
        fresh = [
            {**c.outcome, "contract_id": view.contract.id if view.contract else None,  # type: ignore[dict-item]
             "justification": justification.strip() if not c.met else ""}
            for name, c in stopped.items()
            if name not in recorded or recorded[name]["stopped_at"] != store_instant(c.stopped_at)
            or recorded[name]["target_seconds"] != c.target_seconds
        ]
        store.record_outcomes(ticket_id, fresh, now)
        if justification.strip():
            store.justify_misses(ticket_id, justification.strip())
        store.clear_outcomes(ticket_id, [n for n in view.clocks if n not in stopped and n in recorded])
    return TicketView(stored, view.customer, view.contract, view.clocks, view.tz)


def update_ticket(
    store: Store,
    ticket_id: int,
    *,
    operator: str,
    now: datetime,
    justification: str = "",
    require_justification: bool = False,
    **changes: Any,
) -> TicketView:
    """Change a ticket. Every changed field becomes an event; a new priority applies
    its targets from the start; stopped clocks' outcomes are written down. With
    ``expected_version``, a save over someone else's change raises ConflictError.
    With ``require_justification``, stopping a clock late needs a justification."""
    # Without a version to hold against, the change is planned and written in one
    # write transaction: of two operators resolving at once, the second sees the
    # call resolved (and is told so) instead of failing on a version it never chose.
    with store.write() if changes.get("expected_version") is None else nullcontext():
        change = plan_change(store, ticket_id, operator=operator, now=now, **changes)
        if require_justification and change.missed and not justification.strip():
            names = " and ".join(change.missed)
            raise ServiceError(
                f"ticket #{ticket_id} misses its {names} target; give a justification (why it was late)"
            )
        return commit_change(store, change, now, justification)


def reopen_ticket(store: Store, ticket_id: int, *, operator: str, now: datetime, reason: str = "reopened",
                  expected_version: int | None = None) -> TicketView:
    """Move a resolved call back to in progress; a call that is not resolved is
    refused (moving an open call to in progress is a status change, not a reopen)."""
    with store.write():
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise ServiceError(f"no ticket #{ticket_id}")
        if ticket.status != "resolved":
            what = ticket.status.replace("_", " ")
            if ticket.status == "closed":
                raise ServiceError(f"ticket #{ticket_id} is closed; a closed call cannot be reopened, log a new one")
            raise ServiceError(f"ticket #{ticket_id} is already open ({what}); only a resolved call can be reopened; "
                               "nothing was recorded")
        return update_ticket(store, ticket_id, operator=operator, now=now, status="in_progress",
                             reason=reason or "reopened", expected_version=expected_version)


def add_comment(store: Store, ticket_id: int, text: str, operator: str, now: datetime) -> Event:
    """A note in the ticket's history (not a message to the customer)."""
    if not text or not text.strip():
        raise ServiceError("comment: write something")
    with store.write():
        ticket = store.ticket(ticket_id)
        if ticket is None:
            raise ServiceError(f"no ticket #{ticket_id}")
        check_in_order(store, ticket, now)
        event = Event(ticket_id=ticket_id, at=now, operator=operator, kind="comment", note=text)
        store.add_events([event])
    return event


def open_views(store: Store, now: datetime | int) -> list[TicketView]:
    """Every open call with its clocks (customers and contracts read once)."""
    rows = store.open_tickets()
    customers = {c.key: c for c in store.customers()}
    contracts = store.contracts(t.contract_id for t, _ in rows if t.contract_id is not None)
    out = []
    for ticket, tz in rows:
        contract = contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
        out.append(TicketView(ticket, customers[ticket.customer], contract, clocks_for(ticket, contract, tz, now), tz))
    return out


def recent_views(store: Store, now: datetime | int, limit: int) -> Generator[TicketView, None, None]:
    """The newest ``limit`` calls (open or not) with their clocks, newest first, one
    at a time as the store reads them: customers are read once and contracts once
    each, so memory stays flat however many calls are listed."""
    customers = {c.key: c for c in store.customers()}
    contracts: dict[int, Contract | None] = {}
    for ticket, tz in store.iter_recent_tickets(limit):
        contract = None
        if ticket.contract_id is not None:
            if ticket.contract_id not in contracts:
                contracts[ticket.contract_id] = store.contract(ticket.contract_id)
            contract = contracts[ticket.contract_id]
        customer = customers.get(ticket.customer) or store.customer(ticket.customer)
        assert customer is not None  # a foreign key
        yield TicketView(ticket, customer, contract, clocks_for(ticket, contract, tz, now), tz)


def urgency_key(view: TicketView) -> tuple[int, int, int]:
    """Board order: breached first (most overdue first), then by business time to
    breach; paused calls and calls without an SLA last."""
    lead = view.leading
    if lead is None:
        return (3, 0, view.ticket.id)
    if lead.state == "paused":
        return (2, lead.remaining, view.ticket.id)
    return (0 if lead.state == "breached" else 1, lead.remaining, view.ticket.id)




# ------------------------------------------------------------------ what screens read


@dataclass
class IntakeCatalog:
    """What the form needs to know, read once when it opens."""

    customers: list[Customer]
    services: list[Service]
    contracts: dict[str, list[Contract]]


def intake_catalog(store: Store) -> IntakeCatalog:
    customers = store.customers()
    contracts = {c.key: store.contracts_of(c.key, current_only=True) for c in customers}
    return IntakeCatalog(customers, store.services(), contracts)


@dataclass
class TriageQueue:
    """What triage needs, read once when it opens."""

    calls: list[TicketView]
    services: list[Service]
    operators: list[str]


def triage_queue(store: Store, now: datetime) -> TriageQueue:
    """The new, unassigned calls, oldest first; the services; the people calls are assigned to."""
    views = open_views(store, now)
    calls = sorted((v for v in views if v.ticket.status == "new" and not v.ticket.assignee),
                   key=lambda v: (v.ticket.reported_at, v.ticket.id))
    operators = sorted({v.ticket.assignee for v in views if v.ticket.assignee})
    return TriageQueue(calls, store.services(), operators)


@dataclass
class TicketDetail:
    """A call with its history and its customer log, for the detail screen."""

    view: TicketView
    events: list[Event]
    comms: list[Communication]
    attachments: list[Attachment] = field(default_factory=list)


def ticket_detail(store: Store, ticket_id: int, now: datetime) -> TicketDetail:
    return TicketDetail(get_view(store, ticket_id, now), store.events(ticket_id), store.communications(ticket_id=ticket_id),
                        store.attachments(ticket_id=ticket_id))


@dataclass(frozen=True)
class CallLine:
    ticket: Ticket
    customer_code: str
    # The clocks stopped so far: "response", "plan", "resolution" -> met (True) or missed.
    outcomes: dict[str, bool] = field(default_factory=dict)


def call_lines(store: Store, ticket_ids: list[int]) -> list[CallLine]:
    """The calls with these numbers, in that order, each with its customer's code
    and the targets it met and missed."""
    codes = {c.key: c.code for c in store.customers()}
    found = store.tickets_by_id(ticket_ids)
    outcomes = store.outcomes_of([i for i in ticket_ids if i in found])
    return [CallLine(found[i], codes.get(found[i].customer, found[i].customer), outcomes.get(i, {}))
            for i in ticket_ids if i in found]


__all__ = [
    "OPEN_STATUSES",
    "Change",
    "NewCall",
    "add_comment",
    "commit_change",
    "plan_change",
    "preview_call",
    "ServiceError",
    "TicketView",
    "get_view",
    "open_call",
    "open_views",
    "already_message",
    "check_in_order",
    "recent_views",
    "reopen_ticket",
    "resolve_customer",
    "resolve_service",
    "update_ticket",
    "urgency_key",
    "CallLine",
    "IntakeCatalog",
    "TicketDetail",
    "TriageQueue",
    "call_lines",
    "intake_catalog",
    "ticket_detail",
    "triage_queue",
]
