"""The audit trail: a ticket's events replay to its current state.

The 'created' event carries the call as it was logged; every later change is an
event with the field, old and new value. Replaying them must give the ticket as
stored: `slaboard check` proves it for every ticket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from slaboard.domain import Event, Ticket

# The fields the trail accounts for, as text (how events record values).
TRACKED = ("customer", "service", "title", "impact", "urgency", "priority", "status", "assignee",
           "diagnosis", "category", "expected_at", "estimate_hours", "contract_id", "billable")


def snapshot(ticket: Ticket) -> str:
    """The 'created' event's record of the call as logged."""
    return json.dumps({name: _text(getattr(ticket, name)) for name in TRACKED}, sort_keys=True)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def replay(events: Iterable[Event]) -> dict[str, str | None]:
    """The tracked fields after applying ``events`` in order."""
    state: dict[str, str | None] = {}
    for e in events:
        if e.kind == "created":
            if e.new and e.new.startswith("{"):
                state.update(json.loads(e.new))
            else:
                state["status"] = e.new
        elif e.kind in ("status", "field", "priority") and e.field in TRACKED:
            state[e.field] = e.new
            if e.field == "service" and "billable" in (e.note or ""):
                state["billable"] = "1"
            elif e.field == "service":
                state["billable"] = "0"
    return state


def differences(ticket: Ticket, events: Iterable[Event]) -> list[str]:
    """Where the replayed trail disagrees with the stored ticket (empty: consistent)."""
    state = replay(events)
    out = []
    for name in TRACKED:
        if name not in state:
            continue
        expected = _text(getattr(ticket, name))
        got = state[name]
        if name == "expected_at" and got is not None and expected is not None:
            from datetime import datetime

            if datetime.fromisoformat(got) == datetime.fromisoformat(expected):
                continue
        if name in ("estimate_hours",) and got is not None and expected is not None and float(got) == float(expected):
            continue
        if got != expected:
            out.append(f"#{ticket.id} {name}: the trail says {got!r}, the ticket says {expected!r}")
    return out


def out_of_order(ticket: Ticket, events: Iterable[Event]) -> list[str]:
    """What happened to the call before it was reported: a resolution, a closing, a
    status change or an event dated before ``reported_at`` (a writer whose clock was
    behind). Such a call stops its clocks before they start, so its outcome is never
    written and reports leave it out. The 'created' event is exempt: a call may be
    logged a little before the reported time an operator typed."""
    reported = ticket.reported_at
    out = []
    for name in ("resolved_at", "closed_at"):
        moment = getattr(ticket, name)
        if moment is not None and moment < reported:
            what = name.removesuffix("_at")
            out.append(f"#{ticket.id}: {what} at {moment.isoformat()}, before it was reported at {reported.isoformat()}")
    early = [e for e in events if e.kind != "created" and e.at < reported]
    if early:
        first = min(early, key=lambda e: e.at)
        what = f"{first.kind} {first.field}" if first.field else first.kind
        out.append(f"#{ticket.id}: {len(early)} event(s) dated before it was reported at {reported.isoformat()}, "
                   f"the first a {what} at {first.at.isoformat()} by {first.operator}")
    return out
