import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slaboard.sla import (
    BusinessCalendar,
    StatusChange,
    Target,
    TargetChange,
    TargetSource,
    Thresholds,
    Timeline,
    compute_clocks,
    explain,
    leading_clock,
    parse_duration,
)

AMS = ZoneInfo("Europe/Amsterdam")
CAL = BusinessCalendar.from_spec(
    {
        "tz": "Europe/Amsterdam",
        "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-06-04"],
    },
    name="office",
)
SOURCE = TargetSource(contract="ACME 2026", contract_version=2, level="gold", service="email", priority="P2")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in June 2026 (Monday 1 June), Amsterdam time."""
    return datetime(2026, 6, day, hour, minute, second, tzinfo=AMS)


def targets(response: str = "1h", resolution: str = "4h", plan: str | None = None) -> list[Target]:
    out = [
        Target("response", parse_duration(response), SOURCE),
        Target("resolution", parse_duration(resolution), SOURCE),
    ]
    if plan:
        out.append(Target("plan", parse_duration(plan), SOURCE))
    return out


def clocks_at(now: datetime, statuses=(), thresholds=Thresholds(), reported=None, **kw):
    timeline = Timeline(
        reported_at=reported or at(1, 9),
        statuses=[StatusChange(at(1, 9) if reported is None else reported, "new"), *statuses],
        **{k: v for k, v in kw.items() if k in ("responded_at", "planned_at", "pause_on_third_party")},
    )
    return compute_clocks(timeline, kw.get("targets", targets()), CAL, now, thresholds)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (at(1, 10), "ok"),
        (at(1, 11, 59, 59), "ok"),
        (at(1, 12), "warning"),  # 75 % of 4h used
        (at(1, 12, 36), "critical"),  # 90 %
        (at(1, 13), "critical"),  # exactly at the deadline: not yet breached
        (at(1, 13, 0, 1), "breached"),
    ],
)
def test_resolution_states_follow_share_used(now, state):
    clock = clocks_at(now)["resolution"]
    assert clock.state == state
    assert clock.due == at(1, 13)
    assert clock.used == int((now - at(1, 9)).total_seconds())
    assert clock.remaining == 4 * 3600 - clock.used


def test_absolute_thresholds_warn_earlier():
    th = Thresholds(warning=0.75, critical=0.9, warning_left=4 * 3600, critical_left=2 * 3600)
    c = clocks_at(at(1, 13), thresholds=th, targets=targets(resolution="8h"))["resolution"]
    assert c.state == "warning"  # 4h of 8h used: 50 %, but only 4h left
    c = clocks_at(at(1, 15), thresholds=th, targets=targets(resolution="8h"))["resolution"]
    assert c.state == "critical"


def test_budget_ending_at_closing_time_is_due_at_next_opening_and_not_breached_overnight():
    c = clocks_at(at(1, 20), targets=targets(resolution="8h"))["resolution"]
    assert c.due == at(2, 9)
    assert c.state == "critical"  # all time used, but the deadline is tomorrow 09:00
    assert clocks_at(at(2, 9, 0, 1), targets=targets(resolution="8h"))["resolution"].state == "breached"


def test_response_stops_at_first_move_out_of_new():
    statuses = [StatusChange(at(1, 9, 40), "in_progress")]
    c = clocks_at(at(1, 15), statuses)["response"]
    assert (c.state, c.stopped_at, c.used, c.met) == ("met", at(1, 9, 40), 2400, True)
    assert c.outcome["met"] is True and c.outcome["late_seconds"] == 0
    assert c.outcome["contract"] == "ACME 2026" and c.outcome["contract_version"] == 2


def test_response_stops_at_first_communication_when_earlier():
    statuses = [StatusChange(at(1, 11), "in_progress")]
    c = clocks_at(at(1, 15), statuses, responded_at=at(1, 9, 20))["response"]
    assert c.stopped_at == at(1, 9, 20)


def test_late_response_is_missed_with_how_late():
    c = clocks_at(at(1, 15), [StatusChange(at(1, 10, 30), "diagnosing")])["response"]
    assert c.state == "missed"
    assert c.outcome["late_seconds"] == 1800


def test_waiting_customer_pauses_resolution_not_response():
    statuses = [StatusChange(at(1, 10), "waiting_customer", "customer tests the fix")]
    clocks = clocks_at(at(1, 16), statuses)
    # Moving out of new at 10:00 is the response: exactly the 1h target, so met.
    assert (clocks["response"].state, clocks["response"].stopped_at) == ("met", at(1, 10))
    res = clocks["resolution"]
    assert res.state == "paused" and res.paused
    assert res.used == 3600  # 09:00-10:00, then paused
    assert res.due == at(2, 11)  # if work resumed now: 3h left from 16:00 -> 1h today, 2h tomorrow
    assert res.pauses[0].reason == "customer tests the fix"


def test_finished_pause_moves_the_deadline_by_its_business_time():
    statuses = [
        StatusChange(at(1, 10), "waiting_customer"),
        StatusChange(at(2, 10), "in_progress"),  # paused Mon 10:00 -> Tue 10:00: 8 business hours
    ]
    res = clocks_at(at(2, 11), statuses)["resolution"]
    assert res.due == at(2, 13)
    assert res.used == 2 * 3600
    assert res.state == "ok"
    assert res.paused_business_seconds() == 8 * 3600


def test_pause_across_a_weekend_and_a_holiday():
    # Paused Wed 3 June 16:00 to Mon 8 June 10:00; Thu 4 June is a holiday.
    statuses = [StatusChange(at(3, 16), "waiting_customer"), StatusChange(at(8, 10), "in_progress")]
    res = clocks_at(at(8, 10), statuses, reported=at(3, 15))["resolution"]
    assert res.used == 3600
    assert res.due == at(8, 13)
    assert res.paused_business_seconds() == 1 * 3600 + 8 * 3600 + 1 * 3600  # Wed 16-17, Fri, Mon 9-10


def test_third_party_pauses_only_when_the_level_says_so():
    statuses = [StatusChange(at(1, 10), "waiting_third_party")]
    assert clocks_at(at(1, 11), statuses)["resolution"].used == 2 * 3600
    paused = clocks_at(at(1, 11), statuses, pause_on_third_party=True)["resolution"]
    assert (paused.state, paused.used) == ("paused", 3600)


def test_paused_after_breach_stays_breached():
    statuses = [StatusChange(at(1, 14), "waiting_customer")]
    res = clocks_at(at(1, 16), statuses)["resolution"]
    assert res.state == "breached"
    assert res.due == at(1, 13)


def test_resolved_in_time_is_met_and_late_is_missed():
    met = clocks_at(at(2, 9), [StatusChange(at(1, 12), "resolved")])["resolution"]
    assert (met.state, met.used) == ("met", 3 * 3600)
    late = clocks_at(at(2, 9), [StatusChange(at(1, 15), "resolved"), StatusChange(at(1, 16), "closed")])
    res = late["resolution"]
    assert (res.state, res.stopped_at, res.outcome["late_seconds"]) == ("missed", at(1, 15), 7200)
    assert leading_clock(late) is None


def test_reopened_ticket_carries_on_where_it_stopped():
    statuses = [
        StatusChange(at(1, 10), "resolved"),
        StatusChange(at(2, 9), "in_progress"),  # reopened: Mon 10-17 does not count
    ]
    res = clocks_at(at(2, 10), statuses)["resolution"]
    assert res.stopped_ts is None
    assert res.used == 2 * 3600
    assert res.due == at(2, 12)
    assert [p.reason for p in res.pauses] == ["resolved, then reopened"]


def test_priority_change_applies_new_target_from_the_start():
    raised = TargetChange(at(1, 11), Target("resolution", parse_duration("2h"), SOURCE), "P3 -> P2")
    timeline_targets = [Target("resolution", parse_duration("8h"), SOURCE), raised]
    before = clocks_at(at(1, 10, 30), targets=timeline_targets)["resolution"]
    assert before.target_seconds == 8 * 3600
    after = clocks_at(at(1, 11, 30), targets=timeline_targets)["resolution"]
    assert after.target_seconds == 2 * 3600
    assert after.due == at(1, 11)
    assert after.state == "breached"
    assert after.start == at(1, 9)


def test_stopped_clock_keeps_the_target_in_force_when_it_stopped():
    lowered = TargetChange(at(1, 12), Target("resolution", parse_duration("1h"), SOURCE))
    res = clocks_at(
        at(1, 15),
        [StatusChange(at(1, 11), "resolved")],
        targets=[Target("resolution", parse_duration("4h"), SOURCE), lowered],
    )["resolution"]
    assert res.state == "met" and res.target_seconds == 4 * 3600


def test_plan_clock_stops_at_diagnosis_or_resolution():
    c = clocks_at(at(1, 12), planned_at=at(1, 10), targets=targets(plan="2h"))["plan"]
    assert (c.state, c.stopped_at) == ("met", at(1, 10))
    c = clocks_at(at(1, 12), [StatusChange(at(1, 11, 30), "resolved")], targets=targets(plan="2h"))["plan"]
    assert c.stopped_at == at(1, 11, 30)
    assert "plan" not in clocks_at(at(1, 12))


def test_history_after_now_is_ignored_for_replays():
    statuses = [StatusChange(at(1, 10), "in_progress"), StatusChange(at(1, 12), "resolved")]
    replay = clocks_at(at(1, 11), statuses)
    assert replay["resolution"].state == "ok" and replay["resolution"].stopped_ts is None
    assert replay["response"].state == "met"


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        clocks_at(datetime(2026, 6, 1, 10))


@pytest.mark.parametrize("minutes", [1, 59, 61, 200, 239, 241, 600, 3000, 9000])
def test_advance_agrees_with_full_recompute(minutes):
    statuses = [StatusChange(at(1, 9, 30), "waiting_customer"), StatusChange(at(1, 10), "in_progress")]
    first = clocks_at(at(1, 10, 5), statuses)
    later = at(1, 10, 5) + timedelta(minutes=minutes)
    fresh = clocks_at(later, statuses)
    for name, clock in first.items():
        moved = clock.advance(later)
        assert (moved.used, moved.state, moved.due_ts) == (fresh[name].used, fresh[name].state, fresh[name].due_ts)


def test_advance_of_a_paused_clock_moves_its_deadline():
    statuses = [StatusChange(at(1, 10), "waiting_customer")]
    paused = clocks_at(at(1, 11), statuses)["resolution"]
    later = paused.advance(at(1, 16))
    fresh = clocks_at(at(1, 16), statuses)["resolution"]
    assert (later.used, later.state, later.due) == (fresh.used, fresh.state, fresh.due)


def test_leading_clock_is_the_one_closest_to_breach_with_paused_last():
    clocks = clocks_at(at(1, 9, 50), targets=targets(response="1h", resolution="4h"))
    assert leading_clock(clocks).name == "response"
    statuses = [StatusChange(at(1, 9, 10), "waiting_customer")]
    clocks = clocks_at(at(1, 9, 50), statuses, targets=targets(response="1h", resolution="4h"))
    # Response stopped (moved out of new); resolution paused.
    assert leading_clock(clocks).name == "resolution"


def test_explain_gives_the_whole_chain():
    statuses = [
        StatusChange(at(3, 10), "waiting_customer", "waiting for the new password"),
        StatusChange(at(3, 11), "in_progress"),
    ]
    clock = clocks_at(at(3, 12), statuses, targets=targets(resolution="2bd"))["resolution"]
    ex = explain(clock)
    kinds = [s.kind for s in ex.chain]
    assert kinds == ["contract", "level", "priority", "target", "calendar"]
    assert ex.chain[0].value == "ACME 2026" and "version 2" in ex.chain[0].detail
    assert ex.chain[3].value == "2bd"
    assert "Europe/Amsterdam" in ex.chain[4].detail
    # Mon 09:00 + 2 business days = Wed 09:00; the pause came after the breach.
    assert (ex.due, ex.state) == (at(3, 9), "breached")
    assert ex.pauses[0][2] == "waiting for the new password"
    assert ex.pauses[0][3] == 3600
    labels = [label for label, _ in ex.thresholds]
    assert labels[0].startswith("warning at 75%") and labels[-1] == "breached after"
    data = ex.to_dict()
    json.dumps(data)
    assert data["due"] == at(3, 9).isoformat()
    assert data["business_intervals"][0][0] == at(1, 9).isoformat()
    assert any("2bd" in line for line in ex.lines())


def test_explain_lists_holidays_and_pauses_inside_the_deadline():
    statuses = [
        StatusChange(at(3, 10), "waiting_customer", "customer on leave"),
        StatusChange(at(3, 12), "in_progress"),
    ]
    clock = clocks_at(at(3, 13), statuses, reported=at(3, 9), targets=targets(resolution="16h"))["resolution"]
    ex = explain(clock)
    # Wed 9-10 (1h), pause 10-12, Wed 12-17 (5h), Thu holiday, Fri 8h, Mon 9-11 (2h).
    assert ex.due == at(8, 11)
    assert [d.isoformat() for d, _ in ex.holidays] == ["2026-06-04"]
    assert ex.pauses[0][3] == 2 * 3600
    assert ex.intervals[0] == (at(3, 9), at(3, 10))
    assert ex.intervals[1] == (at(3, 12), at(3, 17))
    # The intervals are the whole budget laid out up to the deadline.
    total = sum(int((b - a).total_seconds()) for a, b in ex.intervals)
    assert total == clock.target_seconds
    assert ex.intervals[-1] == (at(8, 9), at(8, 11))
