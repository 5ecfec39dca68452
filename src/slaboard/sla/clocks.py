"""SLA clocks: from a ticket's targets and status history to deadlines and states.

Three clocks run per ticket, all from ``reported_at``:

- ``response`` stops at the first response: the first communication to the customer
  or the first move out of ``new``. It never pauses.
- ``plan`` (when the level has one) stops when a diagnosis with an expected
  resolution time is recorded, or at the resolution if that comes first.
- ``resolution`` stops at ``resolved`` (or ``closed``). ``waiting_customer`` pauses
  it, and ``waiting_third_party`` does when the level says so. A reopened ticket's
  resolved span counts as a pause, so the clock carries on where it stopped.

A target changed mid-ticket (a new priority or contract) applies from the start: the
start, elapsed time and pauses are kept and only the budget changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slaboard.sla.calendar import BusinessCalendar, to_epoch
from slaboard.sla.durations import Duration

CLOCK_NAMES = ("response", "plan", "resolution")
STATES = ("ok", "warning", "critical", "breached", "paused", "met", "missed")
RUNNING_STATES = ("ok", "warning", "critical", "breached", "paused")
# How urgent a state is, most urgent first; used to pick a ticket's leading clock.
STATE_RANK = {"breached": 0, "critical": 1, "warning": 2, "ok": 3, "paused": 4, "missed": 5, "met": 6}

OPEN_STATUSES = ("new", "diagnosing", "in_progress", "waiting_customer", "waiting_third_party")
STOP_STATUSES = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class TargetSource:
    """Where a target came from, for the explanation of a deadline."""

    contract: str | None = None
    contract_version: int | None = None
    level: str | None = None
    service: str | None = None
    priority: str | None = None
    override: bool = False
    bespoke: bool = False
    calendar: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """The budget of one clock."""

    clock: str
    duration: Duration
    source: TargetSource = TargetSource()

    def __post_init__(self) -> None:
        if self.clock not in CLOCK_NAMES:
            raise ValueError(f"clock: {self.clock!r} is not one of {', '.join(CLOCK_NAMES)}")


@dataclass(frozen=True, slots=True)
class TargetChange:
    """A target that took effect at ``at`` (a new priority or contract)."""

    at: datetime
    target: Target
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a running clock turns warning and critical: shares of the target used,
    and optionally business seconds left (whichever comes first)."""

    warning: float = 0.75
    critical: float = 0.90
    warning_left: int | None = None
    critical_left: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.warning <= self.critical <= 1:
            raise ValueError(
                f"thresholds: warning {self.warning} and critical {self.critical} must satisfy "
                "0 < warning <= critical <= 1"
            )
        for name in ("warning_left", "critical_left"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"thresholds: {name} {value} must be positive")

    def classify(self, used: int, target: int) -> str:
        """The state of a running, unpaused clock."""
        if used > target:
            return "breached"
        left = target - used
        if used >= self.critical * target or (self.critical_left is not None and left <= self.critical_left):
            return "critical"
        if used >= self.warning * target or (self.warning_left is not None and left <= self.warning_left):
            return "warning"
        return "ok"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The ticket entered ``status`` at ``at`` (``reason`` says why, e.g. for a pause).

    Instants here and in :class:`Timeline` are aware datetimes or UTC seconds."""

    at: datetime | int
    status: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the clocks need to know of one ticket's history."""

    reported_at: datetime | int
    statuses: Sequence[StatusChange] = ()
    responded_at: datetime | int | None = None
    planned_at: datetime | int | None = None
    pause_on_third_party: bool = False


def _ts(t: datetime | int, what: str) -> int:
    return t if type(t) is int else to_epoch(t, what)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """A span in which a clock did not run; ``end`` is None while it goes on."""

    start: int
    end: int | None
    reason: str


@dataclass(slots=True, eq=False)
class Clock:
    """One clock of one ticket at one ``now``. Instants are UTC seconds (``*_ts``),
    with datetime properties in the calendar's zone."""

    name: str
    target: Target
    target_seconds: int
    calendar: BusinessCalendar = field(repr=False)
    thresholds: Thresholds = field(repr=False)
    start_ts: int
    due_ts: int
    now_ts: int
    used: int
    state: str
    stopped_ts: int | None = None
    pauses: tuple[PauseSpan, ...] = ()
    # (UTC seconds, target, reason) of every target this clock had, when it had more than one.
    changes: tuple[tuple[int, Target, str], ...] = ()
    # position(start) plus the business time lost to finished pauses: for a running,
    # unpaused clock, used(now) = position(now) - base.
    base: int = field(default=0, repr=False)

    @property
    def remaining(self) -> int:
        """Business seconds left; negative when overdue."""
        return self.target_seconds - self.used

    @property
    def share(self) -> float:
        """The share of the target used (over 1.0 when overdue)."""
        return self.used / self.target_seconds

    @property
    def running(self) -> bool:
        return self.stopped_ts is None

    @property
    def paused(self) -> bool:
        return self.stopped_ts is None and bool(self.pauses) and self.pauses[-1].end is None

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_ts, self.calendar.tz)

    @property
    def due(self) -> datetime:
        """The deadline. For a paused clock: the deadline if it resumed now."""
        return datetime.fromtimestamp(self.due_ts, self.calendar.tz)

    @property
    def stopped_at(self) -> datetime | None:
        return None if self.stopped_ts is None else datetime.fromtimestamp(self.stopped_ts, self.calendar.tz)

    @property
    def met(self) -> bool | None:
        """True or False once stopped; None while running."""
        return None if self.stopped_ts is None else self.used <= self.target_seconds

    @property
    def outcome(self) -> dict[str, object] | None:
        """What is written down when the clock stops (None while it runs)."""
        if self.stopped_ts is None:
            return None
        src = self.target.source
        stopped_at = self.stopped_at
        assert stopped_at is not None  # stopped_ts is set
        return {
            "clock": self.name,
            "met": self.used <= self.target_seconds,
            "stopped_at": stopped_at.isoformat(),
            "due": self.due.isoformat(),
            "target": self.target.duration.text,
            "target_seconds": self.target_seconds,
            "used_seconds": self.used,
            "late_seconds": max(0, self.used - self.target_seconds),
            "paused_seconds": self.paused_business_seconds(),
            "pauses": self.paused_by_reason(),
            "started_at": self.start.isoformat(),
            "contract": src.contract,
            "contract_version": src.contract_version,
            "level": src.level,
            "priority": src.priority,
            "override": src.override,
        }

    def paused_business_seconds(self) -> int:
        """Business time lost to pauses up to now (or the stop)."""
        return sum(self.paused_by_reason().values())

    def paused_by_reason(self) -> dict[str, int]:
        """Business time lost to pauses up to now (or the stop), per reason."""
        end = self.stopped_ts if self.stopped_ts is not None else self.now_ts
        out: dict[str, int] = {}
        for p in self.pauses:
            b = min(p.end if p.end is not None else end, end)
            if b > p.start:
                out[p.reason] = out.get(p.reason, 0) + self.calendar.elapsed_seconds(p.start, b)
        return out

    def advance(self, now: datetime | int) -> Clock:
        """Move this clock, in place, to a later ``now`` without new history: the
        board's per-second tick (one calendar look-up shared by every clock of a
        calendar, no allocation). Returns the clock."""
        ts = now if type(now) is int else to_epoch(now, "now")  # type: ignore[arg-type]
        if self.stopped_ts is not None or ts == self.now_ts:
            return self
        self.now_ts = ts
        if self.pauses and self.pauses[-1].end is None:
            # Used time is frozen; the deadline is where it would be if work resumed
            # now (a breached deadline stays where it was).
            if self.used <= self.target_seconds:
                self.due_ts = self.calendar.add_seconds(ts, self.target_seconds - self.used)
            return self
        self.used = used = self.calendar.position(ts) - self.base
        self.state = self.thresholds.classify(used, self.target_seconds)
        return self


def _stop_and_pauses(
    timeline: Timeline, reported: int, now: int
) -> tuple[int | None, int | None, list[PauseSpan], int | None]:
    """Response stop, resolution stop, resolution pauses and first resolution, in
    UTC seconds, from the status history (only changes at or before ``now``)."""
    response_stop: int | None = None
    if timeline.responded_at is not None:
        r = _ts(timeline.responded_at, "responded_at")
        if r <= now:
            response_stop = max(r, reported)
    pause_statuses = ("waiting_customer", "waiting_third_party") if timeline.pause_on_third_party else ("waiting_customer",)
    pauses: list[PauseSpan] = []
    open_pause: tuple[int, str] | None = None
    stop: int | None = None
    first_stop: int | None = None
    for change in timeline.statuses:
        at = _ts(change.at, "status change")
        if at < reported:
            at = reported
        if at > now:
            break
        status = change.status
        if status != "new" and (response_stop is None or at < response_stop):
            response_stop = at
        if open_pause is not None:
            if status in pause_statuses:
                continue  # still paused, perhaps for another reason
            if open_pause[0] < at:
                pauses.append(PauseSpan(open_pause[0], at, open_pause[1]))
            open_pause = None
        if status in STOP_STATUSES:
            if stop is None:
                stop = at
                if first_stop is None:
                    first_stop = at
            continue
        if stop is not None:  # reopened: the resolved span did not count
            if stop < at:
                pauses.append(PauseSpan(stop, at, "resolved, then reopened"))
            stop = None
        if status in pause_statuses:
            open_pause = (at, change.reason or status.replace("_", " "))
    if open_pause is not None and stop is None:
        pauses.append(PauseSpan(open_pause[0], None, open_pause[1]))
    return response_stop, stop, pauses, first_stop


_Change = tuple[int, Target, str]


def _effective(changes: list[_Change], until: int) -> Target:
    chosen = changes[0][1]
    for at, target, _ in changes[1:]:
        if at <= until:
            chosen = target
    return chosen


def _make_clock(
    name: str,
    changes: list[_Change],
    calendar: BusinessCalendar,
    thresholds: Thresholds,
    start: int,
    stop: int | None,
    pauses: list[PauseSpan],
    now: int,
    p_start: int,
    p_now: int,
) -> Clock:
    end = stop if stop is not None else now
    target = changes[0][1] if len(changes) == 1 else _effective(changes, end)
    duration = target.duration
    budget = calendar.business_days_budget(start, duration.business_days) if duration.business_days else duration.seconds
    position = calendar.position
    if pauses:
        # Pauses count only up to the clock's end; an open one ends "now" for the sums.
        closed = []
        lost = 0
        for p in pauses:
            b = end if p.end is None or p.end > end else p.end
            if b > p.start:
                closed.append((p.start, b))
                lost += position(b) - position(p.start)
        due = calendar.add_seconds_paused(start, budget, closed)
    else:
        lost = 0
        due = calendar.at_position(p_start + budget)
    base = p_start + lost
    used = (p_now if stop is None else position(stop)) - base
    if stop is not None:
        state = "met" if used <= budget else "missed"
    elif pauses and pauses[-1].end is None:
        # Paused: the due instant is where the deadline falls if work resumed now.
        state = "breached" if used > budget else "paused"
    else:
        state = thresholds.classify(used, budget)
    return Clock(
        name, target, budget, calendar, thresholds, start, due, now, used, state,
        stop, tuple(pauses) if pauses else (), tuple(changes) if len(changes) > 1 else (), base,
    )


def compute_clocks(
    timeline: Timeline,
    targets: Iterable[Target | TargetChange],
    calendar: BusinessCalendar,
    now: datetime | int,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, Clock]:
    """Every clock of one ticket at ``now``, keyed by clock name.

    ``targets`` holds a :class:`Target` per clock (in force from ``reported_at``) and
    any later :class:`TargetChange`; a clock without a target is not computed.
    Status changes after ``now`` are ignored, so the past can be replayed.
    """
    now_ts = now if type(now) is int else to_epoch(now, "now")  # type: ignore[arg-type]
    start = _ts(timeline.reported_at, "reported_at")
    by_clock: dict[str, list[_Change]] = {}
    for item in targets:
        if type(item) is Target:
            by_clock.setdefault(item.clock, []).append((start, item, ""))
        else:
            change: TargetChange = item  # type: ignore[assignment]
            by_clock.setdefault(change.target.clock, []).append(
                (_ts(change.at, "target change"), change.target, change.reason)
            )
    for changes in by_clock.values():
        if len(changes) > 1:
            changes.sort(key=lambda c: c[0])
    response_stop, resolution_stop, pauses, first_stop = _stop_and_pauses(timeline, start, now_ts)
    p_start = calendar.position(start)
    p_now = calendar.position(now_ts)
    clocks: dict[str, Clock] = {}
    if "response" in by_clock:
        clocks["response"] = _make_clock(
            "response", by_clock["response"], calendar, thresholds, start, response_stop, [], now_ts, p_start, p_now
        )
    if "plan" in by_clock:
        plan_stop = None
        if timeline.planned_at is not None:
            planned = _ts(timeline.planned_at, "planned_at")
            if planned <= now_ts:
                plan_stop = max(start, planned)
        if first_stop is not None and (plan_stop is None or first_stop < plan_stop):
            plan_stop = first_stop
        clocks["plan"] = _make_clock("plan", by_clock["plan"], calendar, thresholds, start, plan_stop, [], now_ts, p_start, p_now)
    if "resolution" in by_clock:
        clocks["resolution"] = _make_clock(
            "resolution", by_clock["resolution"], calendar, thresholds, start, resolution_stop, pauses, now_ts, p_start, p_now
        )
    return clocks


def next_state_change(clock: Clock) -> int | None:
    """The first instant after the clock's ``now`` at which its state can change
    with time alone (a threshold or the breach); None if it cannot (stopped or
    paused). A board re-examines the clock then, instead of every second."""
    if clock.stopped_ts is not None or clock.paused:
        return None
    cal, budget, t, base = clock.calendar, clock.target_seconds, clock.thresholds, clock.base
    marks = [math.ceil(t.warning * budget), math.ceil(t.critical * budget), budget + 1]
    if t.warning_left is not None:
        marks.append(budget - t.warning_left)
    if t.critical_left is not None:
        marks.append(budget - t.critical_left)
    ahead = [m for m in marks if m > clock.used]
    if not ahead:
        return None
    return cal.reach(base + min(ahead))


def leading_clock(clocks: dict[str, Clock]) -> Clock | None:
    """The running clock that will breach first (breached ones lead, paused ones
    trail); None when every clock has stopped."""
    running = [c for c in clocks.values() if c.stopped_ts is None]
    if not running:
        return None
    return min(running, key=lambda c: (c.state == "paused", c.remaining))


def threshold_instants(clock: Clock) -> list[tuple[str, int]]:
    """Where each warning threshold and the breach fall, as (label, UTC seconds)."""
    cal, budget, t = clock.calendar, clock.target_seconds, clock.thresholds
    end = clock.stopped_ts if clock.stopped_ts is not None else clock.now_ts
    closed = [(p.start, min(p.end if p.end is not None else end, end)) for p in clock.pauses]
    closed = [(a, b) for a, b in closed if b > a]
    marks: list[tuple[str, int]] = []
    points = [
        (f"warning at {round(t.warning * 100)}% used", math.ceil(t.warning * budget)),
        (f"critical at {round(t.critical * 100)}% used", math.ceil(t.critical * budget)),
    ]
    if t.warning_left is not None and t.warning_left < budget:
        points.append((f"warning with {Duration(seconds=t.warning_left).text} left", budget - t.warning_left))
    if t.critical_left is not None and t.critical_left < budget:
        points.append((f"critical with {Duration(seconds=t.critical_left).text} left", budget - t.critical_left))
    for label, used in points:
        marks.append((label, cal.add_seconds_paused(clock.start_ts, used, closed)))
    marks.sort(key=lambda m: m[1])
    marks.append(("breached after", clock.due_ts))
    return marks
