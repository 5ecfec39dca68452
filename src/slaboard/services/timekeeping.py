"""Time worked on calls: entries (who, which call, from when, how long, a note) and
running timers, stored so that they survive a restart of the board.

An entry's month (``period``) is the month its work started in the customer's
zone. Whether it is covered by the contract or billable is decided by the
contract's rules when the month is billed, unless an operator decided it with a
reason (``billable``). Every entry, timer and decision is an event in the call's
history. A month closed for billing refuses new entries and changes (the
database itself does: see schema 8); a correction is a new entry in an open month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slaboard.domain import Event
from slaboard.domain.models import minutes_text
from slaboard.services.tickets import ServiceError
from slaboard.store import Store, StoreError

LONGEST = 24 * 60  # minutes: a longer entry is a day's work logged as one; log each day apart
NOTE_CHARS = 2000
SLACK = timedelta(minutes=1)  # an entry may end this far after now (clocks differ a little)


class TimeError(ServiceError):
    """Time that cannot be logged; one line, and ``field`` names the form field
    to mend: minutes, at, end, note, billable or ticket."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TimeEntry:
    id: int
    ticket_id: int
    customer: str
    operator: str
    started_at: datetime
    ended_at: datetime | None
    minutes: int | None
    note: str
    billable: bool | None  # None: as the contract's rules decide
    billable_reason: str
    period: str

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "ticket": self.ticket_id, "customer": self.customer, "operator": self.operator,
                "started_at": self.started_at.isoformat(),
                "ended_at": self.ended_at.isoformat() if self.ended_at else None, "minutes": self.minutes,
                "note": self.note, "billable": self.billable, "billable_reason": self.billable_reason,
                "period": self.period, "running": self.running}


def period_of(moment: datetime, tz: str) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.year:04d}-{local.month:02d}"


def _ticket(store: Store, ticket_id: int, start: datetime | None = None) -> tuple[str, str]:
    """The call's customer and zone; TimeError for a call that is not there, or
    for work that would start before the call was reported."""
    ticket = store.ticket(ticket_id)
    if ticket is None:
        raise TimeError(f"ticket: there is no call #{ticket_id}", "ticket")
    tz = store.ticket_zone(ticket_id) or "Etc/UTC"
    if start is not None and start < ticket.reported_at:
        raise TimeError(f"at: the work would start {start.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}, before #{ticket_id} "
                        f"was reported ({ticket.reported_at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M})", "at")
    return ticket.customer, tz


def _event(store: Store, ticket_id: int, operator: str, now: datetime, note: str) -> None:
    store.add_events([Event(ticket_id=ticket_id, at=now, operator=operator, kind="time", note=note[:1000])])


def _insert(store: Store, values: dict[str, object]) -> int:
    try:
        return store.add_time_entry(values)
    except StoreError as err:
        if "billing period is closed" in str(err):
            raise TimeError(f"at: the month {values['period']} is closed for billing; "
                            "log a correction in an open month", "at") from None
        raise


def add_entry(store: Store, *, ticket_id: int, operator: str, now: datetime, minutes: int | None = None,
              started_at: datetime | None = None, ended_at: datetime | None = None, note: str = "",
              billable: bool | None = None, reason: str = "", overlap_reason: str = "") -> TimeEntry:
    """Log time on a call: ``minutes`` (from ``started_at``, else ending now) or a
    start and an end. Refused with a TimeError naming the field, and nothing
    written: no time or more than a day, an end before its start or in the
    future, a decision without a reason, a closed month, and an overlap with the
    operator's other entries unless ``overlap_reason`` says why."""
    if (minutes is None) == (ended_at is None):
        raise TimeError("minutes: give how long (or a start and an end), not both" if minutes is not None
                        else "minutes: say how long you worked, e.g. 45m", "minutes")
    if ended_at is not None:
        if started_at is None:
            raise TimeError("at: an end needs a start", "at")
        if ended_at <= started_at:
            raise TimeError(f"end: {ended_at.isoformat(timespec='minutes')} is not after the start "
                            f"{started_at.isoformat(timespec='minutes')}", "end")
        minutes = math.ceil((ended_at - started_at).total_seconds() / 60)
    assert minutes is not None
    if minutes <= 0:
        raise TimeError(f"minutes: {minutes} is no time worked; give more than 0", "minutes")
    if minutes > LONGEST:
        raise TimeError(f"minutes: {minutes_text(minutes)} is more than a day; log each day's work apart", "minutes")
    start = started_at if started_at is not None else now - timedelta(minutes=minutes)
    end = start + timedelta(minutes=minutes)
    if start.tzinfo is None:
        raise TimeError("at: the start needs a time zone", "at")
    if end > now + SLACK:
        raise TimeError(f"at: the work would end {end.isoformat(timespec='minutes')}, after now; "
                        "log time once it is worked", "at")
    if billable is not None and not reason.strip():
        raise TimeError(f"billable: say why you log it as {'billable' if billable else 'covered'}", "billable")
    if len(note) > NOTE_CHARS:
        raise TimeError(f"note: {len(note):,} characters; at most {NOTE_CHARS:,}", "note")
    with store.write():
        customer, tz = _ticket(store, ticket_id, start)
        clash = overlaps(store, operator, start, end)
        if clash and not overlap_reason.strip():
            first = clash[0]
            raise TimeError(f"at: this overlaps your entry #{first.id} on #{first.ticket_id} "
                            f"({first.started_at.astimezone(ZoneInfo(tz)):%a %H:%M}, "
                            f"{minutes_text(first.minutes or 0)}); give a reason to log it anyway", "at")
        entry_id = _insert(store, {
            "ticket_id": ticket_id, "customer": customer, "operator": operator, "started_at": start,
            "ended_at": end, "minutes": minutes, "note": " ".join(note.split()) if "\n" not in note else note.strip(),
            "billable": billable, "billable_reason": " ".join(reason.split()), "period": period_of(start, tz),
            "now": now})
        said = f"logged {minutes_text(minutes)} from {start.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"
        if billable is not None:
            said += f", as {'billable' if billable else 'covered'}: {' '.join(reason.split())}"
        if clash:
            said += f"; overlaps #{', #'.join(str(e.id) for e in clash)}: {' '.join(overlap_reason.split())}"
        _event(store, ticket_id, operator, now, said)
        found = store.time_entry(entry_id)
    assert found is not None
    return _entry(found)


def overlaps(store: Store, operator: str, start: datetime, end: datetime,
             exclude: int | None = None) -> list[TimeEntry]:
    """The operator's finished entries whose work overlaps start-end."""
    return [_entry(r) for r in store.time_entries_of(operator=operator, overlapping=(start, end))
            if r["id"] != exclude]


def start_timer(store: Store, ticket_id: int, operator: str, now: datetime) -> TimeEntry:
    with store.write():
        customer, tz = _ticket(store, ticket_id)
        if any(e.ticket_id == ticket_id for e in running_timers(store, operator)):
            raise TimeError(f"ticket: your timer on #{ticket_id} runs already; stop it first", "ticket")
        entry_id = _insert(store, {"ticket_id": ticket_id, "customer": customer, "operator": operator,
                                   "started_at": now, "ended_at": None, "minutes": None, "note": "",
                                   "billable": None, "billable_reason": "", "period": period_of(now, tz), "now": now})
        _event(store, ticket_id, operator, now, "timer started")
        found = store.time_entry(entry_id)
    assert found is not None
    return _entry(found)


def stop_timer(store: Store, ticket_id: int, operator: str, now: datetime, note: str = "",
               minutes: int | None = None) -> TimeEntry:
    """Stop the operator's timer on a call: the time it ran (at least a minute), or
    ``minutes`` when the operator says how long it really was (a timer left
    running overnight)."""
    with store.write():
        running = next((e for e in running_timers(store, operator) if e.ticket_id == ticket_id), None)
        if running is None:
            raise TimeError(f"ticket: you have no timer running on #{ticket_id}", "ticket")
        ran = max(1, math.ceil((now - running.started_at).total_seconds() / 60))
        worked = minutes if minutes is not None else ran
        if worked <= 0:
            raise TimeError(f"minutes: {worked} is no time worked; give more than 0", "minutes")
        if worked > LONGEST:
            raise TimeError(f"minutes: the timer ran {minutes_text(worked)} since "
                            f"{running.started_at.isoformat(timespec='minutes')}; say how long you worked "
                            "(slaboard time stop TICKET --minutes M)", "minutes")
        if minutes is not None and minutes > ran:
            raise TimeError(f"minutes: the timer ran {minutes_text(ran)}; log more with 'time add'", "minutes")
        end = running.started_at + timedelta(minutes=worked)
        clash = overlaps(store, operator, running.started_at, end, exclude=running.id)
        store.finish_time_entry(running.id, end, worked, " ".join(note.split()), now)
        said = f"timer stopped: {minutes_text(worked)}"
        if clash:
            said += f" (overlaps your entries #{', #'.join(str(e.id) for e in clash)})"
        _event(store, ticket_id, operator, now, said)
        found = store.time_entry(running.id)
    assert found is not None
    return _entry(found)


def running_timers(store: Store, operator: str | None = None) -> list[TimeEntry]:
    return [_entry(r) for r in store.time_entries_of(operator=operator, running=True)]


def time_entries(store: Store, *, ticket_id: int | None = None, operator: str | None = None,
                 period: str | None = None, customer: str | None = None) -> list[TimeEntry]:
    """Entries in the order the work was done."""
    return [_entry(r) for r in store.time_entries_of(ticket_id=ticket_id, operator=operator, period=period,
                                                     customer=customer)]


def time_spent(store: Store, ticket_id: int, now: datetime) -> int:
    """Minutes worked on a call, a running timer counted up to now."""
    return sum(e.minutes if e.minutes is not None else max(0, int((now - e.started_at).total_seconds() // 60))
               for e in time_entries(store, ticket_id=ticket_id))


def _entry(row: dict[str, object]) -> TimeEntry:
    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(str(value)) if value is not None else None

    started = when(row["started_at"])
    assert started is not None
    billable = row["billable"]
    return TimeEntry(id=int(str(row["id"])), ticket_id=int(str(row["ticket_id"])), customer=str(row["customer"]),
                     operator=str(row["operator"]), started_at=started, ended_at=when(row["ended_at"]),
                     minutes=int(str(row["minutes"])) if row["minutes"] is not None else None, note=str(row["note"]),
                     billable=None if billable is None else bool(billable),
                     billable_reason=str(row["billable_reason"]), period=str(row["period"]))
