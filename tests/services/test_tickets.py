"""Use cases on calls: opening one against the right contract version, and
changing one (status, priority, assignee, promised time) with its clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slaboard.services.tickets import (
    NewCall,
    ServiceError,
    add_comment,
    get_view,
    open_call,
    open_views,
    reopen_ticket,
    resolve_customer,
    update_ticket,
    urgency_key,
)

NEW_YORK = ZoneInfo("America/New_York")
AMS = ZoneInfo("Europe/Amsterdam")


def call(customer="acme", service="email", title="Mail is down", **kw) -> NewCall:
    return NewCall(customer=customer, service=service, title=title, **kw)


def kinds(store, ticket_id):
    return [(e.kind, e.field, e.old, e.new) for e in store.events(ticket_id)]


# ------------------------------------------------------------------ opening a call


def test_call_gets_the_contract_in_force_and_its_deadlines(small_store, now):
    view = open_call(small_store, call(impact=1, urgency=1), "ann", now)
    ticket = view.ticket
    contract = small_store.contract_in_force("acme", now.date())
    assert ticket.id == 1001
    assert ticket.contract_id == contract.id
    assert (ticket.priority, ticket.status, ticket.billable) == ("P1", "new", False)
    assert ticket.reported_at == now and ticket.created_at == now
    # gold on the 24x7 calendar: response P1 15m; e-mail resolution overridden to 4h.
    assert ticket.response_due == now + timedelta(minutes=15)
    assert ticket.resolution_due == now + timedelta(hours=4)
    assert ticket.plan_due is None
    assert view.clocks["resolution"].target.source.override is True
    assert view.level == "Gold"
    [created] = small_store.events(ticket.id)
    assert (created.kind, created.field, created.old) == ("created", "", None)
    assert json.loads(created.new) | {"status": "new", "title": "Mail is down", "priority": "P1"} == json.loads(created.new)
    assert small_store.events(ticket.id)[0].operator == "ann"


@pytest.mark.parametrize(
    ("impact", "urgency", "priority", "response"),
    [(1, 1, "P1", 15), (1, 2, "P2", 30), (2, 2, "P3", 60), (3, 1, "P3", 60), (2, 3, "P4", 240), (3, 3, "P4", 240)],
)
def test_priority_comes_from_the_matrix(small_store, now, impact, urgency, priority, response):
    ticket = open_call(small_store, call(impact=impact, urgency=urgency), "ann", now).ticket
    assert ticket.priority == priority
    assert ticket.priority_reason == ""
    assert ticket.response_due == now + timedelta(minutes=response)


def test_priority_set_by_hand_keeps_a_reason(small_store, now):
    ticket = open_call(small_store, call(impact=3, urgency=3, priority="P1"), "ann", now).ticket
    assert ticket.priority == "P1"
    assert ticket.priority_reason == "set by ann (matrix gives P4)"
    assert ticket.response_due == now + timedelta(minutes=15)


def test_clocks_start_when_the_customer_called(small_store, now):
    reported = now - timedelta(minutes=20)
    ticket = open_call(small_store, call(impact=1, urgency=1, reported_at=reported), "ann", now).ticket
    assert ticket.reported_at == reported
    assert ticket.created_at == now
    assert ticket.response_due == reported + timedelta(minutes=15)


def test_contract_is_chosen_by_the_customers_local_date(small_store):
    # Tulip is in New York; its contract runs 2026-01-01 .. 2026-12-31.
    # 2027-01-01 03:00 UTC is still 31 December in New York: covered.
    late = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)
    covered = open_call(small_store, call("tulip", reported_at=late), "ann", late + timedelta(hours=1))
    assert covered.contract is not None and covered.contract.key == "tulip-2026-01-01"
    assert not covered.ticket.billable
    # 2026-01-01 03:00 UTC is still 2025 in New York: no contract yet.
    early = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    uncovered = open_call(small_store, call("tulip", reported_at=early), "ann", early + timedelta(hours=1))
    assert uncovered.contract is None and uncovered.ticket.billable


def test_contract_change_at_local_midnight(loaded_store, now):
    # Delft Optics: silver until 2026-09-30, gold from 2026-10-01 (Amsterdam dates).
    before = datetime(2026, 9, 30, 21, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    after = datetime(2026, 9, 30, 22, 30, tzinfo=UTC)  # 00:30 on 1 October in Amsterdam
    silver = open_call(loaded_store, call("delft-optics", "servers", reported_at=before), "ann", now)
    gold = open_call(loaded_store, call("delft-optics", "servers", reported_at=after), "ann", now)
    assert silver.contract.terms.level == "silver"
    assert gold.contract.terms.level == "gold"
    assert silver.ticket.contract_id != gold.ticket.contract_id


def test_template_calendar_is_read_in_the_customers_zone(loaded_store):
    # Tulip Trading's bespoke contract counts in the office-local template
    # (08:00-18:00) read in New York: P1 response 30m, called at 17:50 their time.
    reported = datetime(2026, 11, 26, 17, 50, tzinfo=NEW_YORK)
    view = open_call(
        loaded_store, call("TTI", "network", impact=1, urgency=1, reported_at=reported), "ann", reported + timedelta(minutes=1)
    )
    assert view.tz == "America/New_York"
    assert view.ticket.response_due == datetime(2026, 11, 27, 8, 20, tzinfo=NEW_YORK)


def test_call_without_contract_is_billable_and_has_no_clocks(loaded_store, now):
    view = open_call(loaded_store, call("de-spaak", "workstations", "Laptop will not boot"), "ann", now)
    ticket = view.ticket
    assert ticket.billable and ticket.contract_id is None and view.contract is None
    assert view.clocks == {}
    assert (ticket.response_due, ticket.plan_due, ticket.resolution_due) == (None, None, None)
    assert view.level == "none"
    assert loaded_store.events(ticket.id)[0].note == "billable: no contract in force"


def test_call_after_the_contract_expired_is_billable(loaded_store, now):
    view = open_call(loaded_store, call("brabant-bouw", "email"), "ann", now)
    assert view.ticket.billable and view.contract is None and view.clocks == {}


def test_service_not_covered_is_billable_and_has_no_clocks(small_store, now):
    view = open_call(small_store, call(service="printing", title="Printer jams"), "ann", now)
    ticket = view.ticket
    assert ticket.billable
    assert ticket.contract_id == small_store.contract_in_force("acme", now.date()).id
    assert view.clocks == {}
    assert ticket.resolution_due is None
    assert small_store.events(ticket.id)[0].note == "billable: printing is not covered by acme-2026-01-01"


def test_reported_in_the_future_is_refused(small_store, now, row_counts):
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError, match="is in the future"):
        open_call(small_store, call(reported_at=now + timedelta(hours=1)), "ann", now)
    assert row_counts(small_store.path) == before


def test_reported_without_zone_is_refused(small_store, now):
    with pytest.raises(ServiceError, match="with a time zone"):
        open_call(small_store, call(reported_at=datetime(2026, 11, 26, 9, 0)), "ann", now)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer": "nobody"}, "unknown customer 'nobody'; known codes: ACME, TUL"),
        ({"service": "fax"}, "unknown service 'fax'; known: email, network, printing"),
        ({"title": "   "}, "title: give a short title"),
        ({"impact": 4}, "impact must be 1, 2 or 3, not 4"),
        ({"urgency": True}, "urgency must be 1, 2 or 3, not True"),
        ({"channel": "fax"}, "channel must be one of phone, email, portal, monitoring"),
        ({"priority": "P9"}, "priority must be P1, P2, P3 or P4"),
    ],
)
def test_bad_call_is_refused_and_nothing_is_written(small_store, now, row_counts, change, message):
    fields = {"customer": "acme", "service": "email", "title": "Mail down", **change}
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError) as excinfo:
        open_call(small_store, NewCall(**fields), "ann", now)
    assert message in str(excinfo.value)
    assert row_counts(small_store.path) == before


def test_customer_found_by_code_name_or_contact(loaded_store):
    assert resolve_customer(loaded_store, "tti").key == "tulip-trading"
    assert resolve_customer(loaded_store, "Harbour").key == "harbour-finch"
    assert resolve_customer(loaded_store, "olivia.hartley").key == "harbour-finch"
    with pytest.raises(ServiceError, match="matches .* customers"):
        resolve_customer(loaded_store, "B.V.")


# ------------------------------------------------------------------ changing a call


@pytest.mark.parametrize(
    ("path", "refused", "allowed"),
    [
        ((), "done", None),
        (("resolved",), "waiting_customer", "in_progress, closed"),
        (("closed",), "in_progress", "nothing (it is closed)"),
    ],
)
def test_invalid_status_change_is_refused(small_store, now, path, refused, allowed):
    ticket = open_call(small_store, call(), "ann", now).ticket
    for status in path:
        update_ticket(small_store, ticket.id, operator="ann", now=now, status=status)
    before, events = small_store.ticket(ticket.id), small_store.events(ticket.id)
    with pytest.raises(ServiceError) as excinfo:
        update_ticket(small_store, ticket.id, operator="ann", now=now, status=refused)
    text = str(excinfo.value)
    if allowed is None:
        assert "status must be one of new, diagnosing" in text and repr(refused) in text
    else:
        assert f"ticket #{ticket.id} is {path[-1]}; it can move to {allowed}" == text
    assert small_store.ticket(ticket.id) == before
    assert small_store.events(ticket.id) == events


def test_status_changes_are_logged_and_stop_the_response_clock(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    later = now + timedelta(minutes=10)
    view = update_ticket(small_store, ticket.id, operator="bob", now=later, status="diagnosing")
    assert view.ticket.status == "diagnosing"
    assert view.clocks["response"].state == "met"
    assert view.clocks["response"].stopped_at == later
    assert kinds(small_store, ticket.id)[-1] == ("status", "status", "new", "diagnosing")
    assert [s.status for s in view.ticket.statuses] == ["new", "diagnosing"]


def test_waiting_customer_pauses_the_resolution_clock(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket  # e-mail: 4h resolution, 24x7
    paused_at = now + timedelta(minutes=30)
    update_ticket(small_store, ticket.id, operator="ann", now=paused_at, status="waiting_customer")
    assert small_store.ticket(ticket.id).statuses[-1].reason == "waiting for the customer"

    two_hours_later = paused_at + timedelta(hours=2)
    view = get_view(small_store, ticket.id, two_hours_later)
    resolution = view.clocks["resolution"]
    assert resolution.state == "paused"
    assert resolution.used == 30 * 60  # the paused span does not count
    assert resolution.due == two_hours_later + timedelta(hours=3, minutes=30)

    resumed = update_ticket(small_store, ticket.id, operator="ann", now=two_hours_later, status="in_progress")
    assert resumed.clocks["resolution"].state == "ok"
    assert resumed.ticket.resolution_due == now + timedelta(hours=6)  # 4h target + 2h paused
    assert small_store.ticket(ticket.id).resolution_due == now + timedelta(hours=6)


def test_waiting_third_party_does_not_pause_by_default(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(minutes=30), status="waiting_third_party")
    view = get_view(small_store, ticket.id, now + timedelta(hours=2))
    assert view.clocks["resolution"].state != "paused"
    assert view.clocks["resolution"].used == 2 * 3600
    assert view.ticket.resolution_due == now + timedelta(hours=4)


def test_priority_change_applies_the_new_target_from_the_start(small_store, now):
    # network, impact 3 x urgency 3 = P4: gold resolution 2bd; response 4h.
    ticket = open_call(small_store, call(service="network", title="Wi-Fi slow"), "ann", now).ticket
    assert ticket.priority == "P4"
    assert ticket.resolution_due == now + timedelta(days=2)
    changed_at = now + timedelta(minutes=20)
    view = update_ticket(small_store, ticket.id, operator="bob", now=changed_at, impact=2, urgency=2)
    changed = view.ticket
    assert (changed.priority, changed.impact, changed.urgency) == ("P3", 2, 2)
    # P3 on network has a per-service override of 2h, counted from the call.
    assert changed.resolution_due == now + timedelta(hours=2)
    assert changed.response_due == now + timedelta(hours=1)
    assert [p.priority for p in changed.priorities] == ["P4", "P3"]
    events = kinds(small_store, ticket.id)
    assert ("field", "impact", "3", "2") in events
    assert ("field", "urgency", "3", "2") in events
    assert ("priority", "priority", "P4", "P3") in events
    assert (
        "deadline", "resolution_due",
        (now + timedelta(days=2)).astimezone(UTC).isoformat(), (now + timedelta(hours=2)).astimezone(UTC).isoformat(),
    ) in events
    priority_event = next(e for e in small_store.events(ticket.id) if e.kind == "priority")
    assert priority_event.note == "impact 2, urgency 2" and priority_event.operator == "bob"


def test_priority_change_logs_the_move_of_a_running_response_deadline(small_store, now):
    # DESIGN: "the change and its effect on the due instant are logged". The call is
    # still new, so its response clock runs; P4 -> P3 moves it from 14:00 to 11:00.
    ticket = open_call(small_store, call(service="network", title="Wi-Fi slow"), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="bob", now=now + timedelta(minutes=20), impact=2, urgency=2)
    moved = {e[1] for e in kinds(small_store, ticket.id) if e[0] == "deadline"}
    assert moved == {"resolution_due", "response_due"}


def test_same_priority_from_another_cell_logs_fields_only(small_store, now):
    ticket = open_call(small_store, call(impact=2, urgency=3), "ann", now).ticket  # P4
    view = update_ticket(small_store, ticket.id, operator="ann", now=now, impact=3, urgency=2)  # still P4
    assert view.ticket.priority == "P4"
    assert [k for k, *_ in kinds(small_store, ticket.id)] == ["created", "field", "field"]


def test_bad_impact_is_refused(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    with pytest.raises(ServiceError, match="impact must be 1, 2 or 3, not 0"):
        update_ticket(small_store, ticket.id, operator="ann", now=now, impact=0)


def test_resolving_records_the_clock_outcomes(small_store, now):
    ticket = open_call(small_store, call(impact=1, urgency=1), "ann", now).ticket
    contract = small_store.contract_in_force("acme", now.date())
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(minutes=5), status="in_progress")
    resolved_at = now + timedelta(hours=5)  # the 4h e-mail target is missed by an hour
    view = update_ticket(small_store, ticket.id, operator="ann", now=resolved_at, status="resolved", reason="mailbox restored")
    assert view.ticket.resolved_at == resolved_at
    assert view.ticket.resolution_note == "mailbox restored"
    outcomes = small_store.outcomes(ticket.id)
    assert set(outcomes) == {"response", "resolution"}
    response, resolution = outcomes["response"], outcomes["resolution"]
    assert (response["met"], response["used_seconds"], response["target"]) == (1, 300, "15m")
    assert (resolution["met"], resolution["late_seconds"], resolution["target"]) == (0, 3600, "4h")
    assert resolution["used_seconds"] == 5 * 3600
    assert (resolution["contract_id"], resolution["contract_version"]) == (contract.id, 1)
    assert (resolution["level"], resolution["priority"]) == ("Gold", "P1")
    assert datetime.fromisoformat(resolution["stopped_at"]) == resolved_at


def test_reopening_clears_the_resolution_outcome(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=1), status="resolved")
    assert set(small_store.outcomes(ticket.id)) == {"response", "resolution"}
    view = update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=2), status="in_progress")
    assert view.ticket.resolved_at is None
    assert view.clocks["resolution"].stopped_at is None
    # The hour it spent resolved does not count.
    assert view.clocks["resolution"].used == 3600
    assert set(small_store.outcomes(ticket.id)) == {"response"}


def test_closing_sets_closed_and_resolved(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    closed_at = now + timedelta(minutes=40)
    view = update_ticket(small_store, ticket.id, operator="ann", now=closed_at, status="closed")
    assert (view.ticket.closed_at, view.ticket.resolved_at) == (closed_at, closed_at)
    assert not view.ticket.is_open
    assert small_store.outcomes(ticket.id)["resolution"]["met"] == 1


def test_assignee_change_is_logged(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    view = update_ticket(small_store, ticket.id, operator="ann", now=now, assignee="  bob ")
    assert view.ticket.assignee == "bob"
    assert kinds(small_store, ticket.id)[-1] == ("field", "assignee", "", "bob")  # old value as stored: unassigned


def test_nothing_to_change_writes_nothing(small_store, now, row_counts):
    ticket = open_call(small_store, call(), "ann", now).ticket
    before = row_counts(small_store.path)
    view = update_ticket(small_store, ticket.id, operator="ann", now=now, assignee="", diagnosis="")
    assert view.ticket.version == 1
    assert row_counts(small_store.path) == before


def test_resolving_a_resolved_call_is_refused_and_keeps_nothing(small_store, now, row_counts):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=1), status="resolved",
                  reason="first fix")
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError, match=r"ticket #1001 is already resolved \(since .*\); nothing was recorded"):
        update_ticket(small_store, ticket.id, operator="bob", now=now + timedelta(hours=2), status="resolved",
                      reason="second fix", justification="late anyway")
    assert row_counts(small_store.path) == before
    assert small_store.ticket(ticket.id).resolution_note == "first fix"


def test_a_status_the_call_already_has_is_refused(small_store, now, row_counts):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now, status="in_progress")
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError, match="is already in progress .*nothing was recorded"):
        update_ticket(small_store, ticket.id, operator="ann", now=now, status="in_progress", assignee="bob")
    assert row_counts(small_store.path) == before


@pytest.mark.parametrize("status", ["new", "in_progress", "waiting_customer"])
def test_reopening_an_open_call_is_refused(small_store, now, row_counts, status):
    ticket = open_call(small_store, call(), "ann", now).ticket
    if status != "new":
        update_ticket(small_store, ticket.id, operator="ann", now=now, status=status)
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError, match=r"is already open .*only a resolved call can be reopened; nothing was recorded"):
        reopen_ticket(small_store, ticket.id, operator="ann", now=now, reason="customer called back")
    assert row_counts(small_store.path) == before
    assert small_store.ticket(ticket.id).status == status


def test_reopening_a_resolved_call_moves_it_back_to_work(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=1), status="resolved")
    view = reopen_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=2), reason="back again")
    assert (view.ticket.status, view.ticket.resolved_at) == ("in_progress", None)
    assert ("status", "status", "resolved", "in_progress") in kinds(small_store, ticket.id)


@pytest.mark.parametrize(
    "action",
    [
        lambda store, tid, at: update_ticket(store, tid, operator="bob", now=at, status="resolved", reason="fixed"),
        lambda store, tid, at: update_ticket(store, tid, operator="bob", now=at, assignee="bob"),
        lambda store, tid, at: add_comment(store, tid, "called back", "bob", at),
    ],
    ids=["resolve", "assign", "comment"],
)
def test_an_action_dated_before_the_report_is_refused(small_store, now, row_counts, action):
    reported = now - timedelta(hours=1)
    ticket = open_call(small_store, call(reported_at=reported), "ann", now).ticket
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError, match=r"ticket #1001 was reported at .*, after this action's time .*clock"):
        action(small_store, ticket.id, reported - timedelta(minutes=5))
    assert row_counts(small_store.path) == before
    assert small_store.ticket(ticket.id).status == "new"


def test_an_action_dated_before_the_calls_last_event_is_refused(small_store, now, row_counts):
    ticket = open_call(small_store, call(), "ann", now).ticket
    update_ticket(small_store, ticket.id, operator="ann", now=now + timedelta(hours=1), assignee="ann")
    before = row_counts(small_store.path)
    # After the report, but before the assignment another writer made.
    with pytest.raises(ServiceError, match=r"last changed at .*after this action's time"):
        update_ticket(small_store, ticket.id, operator="bob", now=now + timedelta(minutes=30), status="resolved")
    assert row_counts(small_store.path) == before
    # At the same second as the last event is fine: clocks are read to the second.
    update_ticket(small_store, ticket.id, operator="bob", now=now + timedelta(hours=1), status="resolved")


def test_expected_resolution_is_recorded_and_stops_the_plan_clock(loaded_store, now):
    # Gold (sample data) has a plan target: P4 8h.
    ticket = open_call(loaded_store, call("gouden-gracht", "printing", "Printer offline"), "ann", now).ticket
    assert ticket.plan_due == now + timedelta(hours=8)
    promised = now + timedelta(hours=3)
    planned_at = now + timedelta(minutes=30)
    view = update_ticket(loaded_store, ticket.id, operator="ann", now=planned_at, expected=promised)
    assert view.ticket.expected_at == promised
    assert view.ticket.planned_at == planned_at
    assert view.clocks["plan"].state == "met"
    assert kinds(loaded_store, ticket.id)[-1] == ("field", "expected_at", None, promised.isoformat())


def test_expected_in_the_past_is_refused(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    with pytest.raises(ServiceError, match="is in the past"):
        update_ticket(small_store, ticket.id, operator="ann", now=now, expected=now - timedelta(minutes=1))
    assert small_store.ticket(ticket.id).expected_at is None


def test_expected_without_zone_is_refused(small_store, now):
    ticket = open_call(small_store, call(), "ann", now).ticket
    with pytest.raises(ServiceError, match="with a time zone"):
        update_ticket(small_store, ticket.id, operator="ann", now=now, expected=datetime(2026, 11, 27, 9, 0))


def test_unknown_ticket_is_refused(small_store, now):
    with pytest.raises(ServiceError, match="no ticket #4242"):
        get_view(small_store, 4242, now)
    with pytest.raises(ServiceError, match="no ticket #4242"):
        update_ticket(small_store, 4242, operator="ann", now=now, status="resolved")


# ------------------------------------------------------------------ the queue


def test_open_views_order_breached_first_then_time_left(small_store, now):
    early = now - timedelta(hours=3)
    breached = open_call(small_store, call(impact=1, urgency=1, title="old P1", reported_at=early), "ann", now).ticket
    fresh_p4 = open_call(small_store, call(title="fresh P4"), "ann", now).ticket
    fresh_p1 = open_call(small_store, call(impact=1, urgency=1, title="fresh P1"), "ann", now).ticket
    billable = open_call(small_store, call(service="printing", title="printer"), "ann", now).ticket
    done = open_call(small_store, call(title="done"), "ann", now).ticket
    update_ticket(small_store, done.id, operator="ann", now=now, status="resolved")
    order = [v.ticket.id for v in sorted(open_views(small_store, now), key=urgency_key)]
    assert order == [breached.id, fresh_p1.id, fresh_p4.id, billable.id]


def test_view_as_json_ready_dict(small_store, now):
    view = open_call(small_store, call(impact=1, urgency=1), "ann", now)
    data = view.to_dict()
    assert data["id"] == 1001 and data["customer_code"] == "ACME" and data["level"] == "Gold"
    assert data["contract"] == {"id": view.contract.id, "key": "acme-2026-01-01", "version": 1}
    assert data["clocks"]["response"]["target"] == "15m"
    assert data["clocks"]["resolution"]["target_seconds"] == 4 * 3600
    assert datetime.fromisoformat(data["response_due"]) == now + timedelta(minutes=15)
    assert data["sla_state"] == "ok"
