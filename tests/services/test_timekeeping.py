"""Time worked on calls, on both engines: an entry by minutes or by start and end,
a timer that is stored (a new connection finds it running) and stops into an
entry, every refusal one line naming its field with nothing written, an overlap
logged only with a reason, a decision about billing only with one, and a month
closed for billing refusing new time. Each is an event in the call's history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from slaboard.services.tickets import NewCall, open_call
from slaboard.services.timekeeping import (
    TimeError,
    add_entry,
    running_timers,
    start_timer,
    stop_timer,
    time_entries,
    time_spent,
)
from slaboard.store import Store, iso

M = timedelta(minutes=1)


@pytest.fixture
def call(small_store: Store, now: datetime) -> int:
    return open_call(small_store, NewCall(customer="acme", service="email", title="Mail is down",
                                          reported_at=now - 4 * 60 * M), "ann", now - 4 * 60 * M).ticket.id


def test_an_entry_by_minutes_ends_now_and_one_by_start_and_end_is_rounded_up(small_store: Store, now: datetime,
                                                                             call: int) -> None:
    first = add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=45, note="reset the profile")
    assert (first.started_at, first.ended_at, first.minutes) == (now - 45 * M, now, 45)
    assert (first.customer, first.period, first.billable, first.running) == ("acme", "2026-11", None, False)
    second = add_entry(small_store, ticket_id=call, operator="bob", now=now, started_at=now - 3 * 60 * M,
                       ended_at=now - 2 * 60 * M - 20 * M + timedelta(seconds=1))
    assert second.minutes == 41  # 40 minutes and a second: a started minute counts
    assert [e.id for e in time_entries(small_store, ticket_id=call)] == [second.id, first.id]  # as worked
    assert time_spent(small_store, call, now) == 86
    assert [e.note for e in small_store.events(call) if e.kind == "time"] == [
        "logged 45m from 2026-11-26 09:15", "logged 41m from 2026-11-26 07:00"]


@pytest.mark.parametrize(("given", "field", "said"), [
    ({}, "minutes", "say how long you worked"),
    ({"minutes": 0}, "minutes", "0 is no time worked"),
    ({"minutes": -5}, "minutes", "-5 is no time worked"),
    ({"minutes": 30 * 60}, "minutes", "30h is more than a day"),
    ({"minutes": 30, "started_at": "+10m"}, "at", "after now"),
    ({"started_at": "-60m", "ended_at": "-90m"}, "end", "is not after the start"),
    ({"minutes": 30, "ended_at": "-10m"}, "minutes", "not both"),
    ({"minutes": 30, "started_at": "-5h"}, "at", "before #1001 was reported"),
    ({"minutes": 30, "billable": True}, "billable", "say why you log it as billable"),
    ({"minutes": 30, "billable": False, "reason": "  "}, "billable", "say why you log it as covered"),
    ({"minutes": 30, "note": "x" * 2001}, "note", "at most 2,000"),
])
def test_bad_time_is_one_line_naming_its_field_and_nothing_is_written(small_store: Store, now: datetime, call: int,
                                                                       given: dict, field: str, said: str) -> None:
    values = {k: (now + int(v[:-1]) * M if isinstance(v, str) and v.endswith("m") else
                  now + int(v[:-1]) * 60 * M if isinstance(v, str) and v.endswith("h") else v) for k, v in given.items()}
    events = len(small_store.events(call))
    with pytest.raises(TimeError) as raised:
        add_entry(small_store, ticket_id=call, operator="ann", now=now, **values)
    assert raised.value.field == field and said in str(raised.value) and "\n" not in str(raised.value)
    assert time_entries(small_store) == [] and len(small_store.events(call)) == events
    with pytest.raises(TimeError, match="ticket: there is no call #4242"):
        add_entry(small_store, ticket_id=4242, operator="ann", now=now, minutes=5)


def test_an_overlap_with_your_own_time_needs_a_reason(small_store: Store, now: datetime, call: int) -> None:
    add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=60)
    with pytest.raises(TimeError, match=r"at: this overlaps your entry #\d+ on #1001 .*give a reason") as raised:
        add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=30, started_at=now - 45 * M)
    assert raised.value.field == "at" and len(time_entries(small_store)) == 1
    add_entry(small_store, ticket_id=call, operator="bob", now=now, minutes=30, started_at=now - 45 * M)  # not yours
    add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=30, started_at=now - 120 * M)  # before it
    logged = add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=30, started_at=now - 45 * M,
                       overlap_reason="two calls at once on the phone")
    assert logged.minutes == 30 and len(time_entries(small_store, operator="ann")) == 3
    assert "overlaps #" in small_store.events(call)[-1].note and "two calls at once" in small_store.events(call)[-1].note


def test_a_decision_about_billing_is_kept_with_its_reason(small_store: Store, now: datetime, call: int) -> None:
    entry = add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=20, billable=True,
                      reason="the customer asked for a training")
    assert (entry.billable, entry.billable_reason) == (True, "the customer asked for a training")
    assert small_store.events(call)[-1].note.endswith("as billable: the customer asked for a training")


def test_a_timer_is_stored_and_stops_into_an_entry(small_store: Store, now: datetime, call: int) -> None:
    started = start_timer(small_store, call, "ann", now - 25 * M)
    assert started.running and started.minutes is None
    with pytest.raises(TimeError, match="your timer on #1001 runs already"):
        start_timer(small_store, call, "ann", now - 20 * M)
    with Store.open(small_store.path if small_store.engine == "sqlite" else small_store.url) as again:  # type: ignore[attr-defined]
        assert [(e.ticket_id, e.operator) for e in running_timers(again)] == [(call, "ann")]  # survives a restart
    assert time_spent(small_store, call, now) == 25
    with pytest.raises(TimeError, match="you have no timer running on #1001"):
        stop_timer(small_store, call, "bob", now)
    stopped = stop_timer(small_store, call, "ann", now, note="found the cause")
    assert (stopped.id, stopped.minutes, stopped.ended_at, stopped.note) == (started.id, 25, now, "found the cause")
    assert running_timers(small_store) == []
    start_timer(small_store, call, "ann", now)
    assert stop_timer(small_store, call, "ann", now + timedelta(seconds=5)).minutes == 1  # a started minute counts
    start_timer(small_store, call, "ann", now - 26 * 60 * M)
    with pytest.raises(TimeError, match="the timer ran 26h") as raised:
        stop_timer(small_store, call, "ann", now)
    assert raised.value.field == "minutes"
    assert stop_timer(small_store, call, "ann", now, minutes=90).minutes == 90  # the operator says how long it was
    assert [e.note for e in small_store.events(call) if e.kind == "time"][:2] == ["timer started", "timer stopped: 25m"]


def test_a_month_closed_for_billing_takes_no_new_time(small_store: Store, now: datetime, call: int) -> None:
    with small_store.write():
        small_store.conn.execute("INSERT INTO billing_periods (period, closed_at, closed_by, figures) "
                                 "VALUES ('2026-11', ?, 'ann', '{}')", [iso(now)])
    with pytest.raises(TimeError, match="at: the month 2026-11 is closed for billing; log a correction") as raised:
        add_entry(small_store, ticket_id=call, operator="ann", now=now, minutes=30)
    assert raised.value.field == "at" and time_entries(small_store) == []
    assert [e for e in small_store.events(call) if e.kind == "time"] == []
