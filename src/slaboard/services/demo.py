"""The demo database: the sample MSP with calls placed relative to ``now``.

Open calls are placed so that the board has something of everything: a few
breached, some close to breach, some paused, most fine. Each target state is hit by
choosing ``reported_at``: the engine's own clocks are computed for the call's planned
history, and a binary search on real time finds the instant at which the leading
clock has used the wanted share of its target. Closed calls spread over the past
year give the reports something to count.

Every call goes through the same services an operator uses (``open_call`` and
``update_ticket``) at realistic instants, so events, outcomes and deadlines are the
real thing. One ``random.Random(seed)`` makes every choice: the same seed and the
same ``now`` give the same database.
"""

from __future__ import annotations

import random
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import platformdirs

from slaboard.domain import Contract, Customer, Ticket, priority_for
from slaboard.resources import data_dir
from slaboard.services.clocks import calendar_for, targets_for, thresholds_for
from slaboard.services.loading import load_documents, read_contract_file
from slaboard.services.tickets import NewCall, ServiceError, open_call, update_ticket
from slaboard.services.timekeeping import TimeError, add_entry
from slaboard.sla import BusinessCalendar, Clock, StatusChange, Timeline, compute_clocks, leading_clock
from slaboard.store import Store

MINUTE = 60
HOUR = 3600
DAY = 86400

# How far back the search for a reported instant may go: far more than the longest
# target (bronze P4, 3 business days) at twice its length, holidays included.
_SEARCH_SPAN = 60 * DAY

# The share of the leading clock's target used at ``now`` (for "paused": at the pause).
_SHARES = {
    "breached": (1.1, 2.0),
    "critical": (0.91, 0.98),
    "warning": (0.76, 0.88),
    "ok": (0.05, 0.6),
    "paused": (0.15, 0.7),
}

# The open calls of the board: (status at now, wanted state of the leading clock,
# how many, how many of them nobody has been assigned to).
_OPEN_MIX: tuple[tuple[str, str, int, int], ...] = (
    ("new", "breached", 1, 1),
    ("new", "critical", 1, 0),
    ("new", "warning", 1, 1),
    ("new", "ok", 4, 2),
    ("in_progress", "breached", 2, 0),
    ("in_progress", "critical", 2, 0),
    ("in_progress", "warning", 3, 0),
    ("in_progress", "ok", 12, 0),
    ("diagnosing", "warning", 1, 0),
    ("diagnosing", "ok", 2, 0),
    ("waiting_customer", "paused", 5, 0),
    ("waiting_third_party", "ok", 2, 0),
)

# Impact x urgency as they come in: mostly one user who can wait a little.
_IMPACT_URGENCY = (
    ((3, 3), 24), ((3, 2), 26), ((2, 3), 10), ((2, 2), 15), ((3, 1), 8),
    ((2, 1), 6), ((1, 3), 2), ((1, 2), 5), ((1, 1), 4),
)

_WAITING_CUSTOMER = (
    "Waiting for the caller to test after the restart",
    "Customer will send a screenshot of the error message",
    "User is out of the office until tomorrow; will try again then",
    "Waiting for approval of the quote for a replacement device",
    "Asked the office manager which users need access",
    "Customer to confirm a time for a remote session",
    "Waiting for the customer's supplier details",
)
_WAITING_THIRD_PARTY = (
    "Fault reported to the internet provider; engineer visit pending",
    "Case opened with the software vendor's support desk",
    "Replacement part ordered; delivery next business day",
    "Microsoft support case opened",
    "Waiting for the printer lease company's technician",
)
_JUSTIFICATIONS = (
    "Replacement part arrived a day later than the supplier promised.",
    "The fault was in the internet provider's network; we escalated twice.",
    "Two P1 outages elsewhere took every engineer that afternoon.",
    "The vendor's support desk needed three days to supply a patch.",
    "The user could only give us access outside office hours.",
    "Root cause was hard to find: the fault came and went for days.",
)
_BILLABLE_DIAGNOSES = (
    "Work outside the contract: setting up a new employee's laptop.",
    "Not covered: moving the customer's website to a new host.",
    "Billable: data recovery from a damaged external disk.",
)
_RESOLUTIONS = (
    "Restarted the service; the caller confirms it works again.",
    "Reinstalled the application and restored the user's settings.",
    "Corrected the configuration; tested together with the caller.",
    "Replaced the faulty hardware; user back to work.",
    "Cleared the queue and updated the driver.",
    "Reset the account and enrolled MFA again with the user.",
    "Restored the files from last night's backup.",
    "Applied the vendor's patch; monitoring is green again.",
    "Freed up space and added an alert for next time.",
    "Explained the workaround; the caller agreed to close.",
)
_REOPEN_REASONS = (
    "Caller reports the problem came back",
    "Fix did not hold after the reboot",
)
# Services that a monitoring system reports on.
_MONITORED = ("network", "servers", "backup", "security", "email")


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` made."""

    path: Path
    open: int
    closed: int
    seconds: float


def default_demo_path() -> Path:
    """Where ``slaboard demo`` keeps its database (the folder is created)."""
    folder = Path(platformdirs.user_data_dir("slaboard"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "demo.db"


@dataclass
class _Step:
    """One update of a call: ``update_ticket`` keyword arguments at instant ``at``.
    ``promise`` marks a step whose ``expected`` is filled in once the deadline is known."""

    at: int
    changes: dict[str, Any]
    promise: bool = False


@dataclass
class _Plan:
    """A call to be made: what is said at intake, when, and what happens after."""

    call: NewCall
    operator: str
    created: int
    steps: list[_Step] = field(default_factory=list)
    closed: bool = False


@dataclass
class _Templates:
    """sample_data/calls.toml: titles per service, descriptions, channel weights."""

    titles: dict[str, list[str]]
    descriptions: list[str]
    channels: list[str]
    channel_weights: list[int]

    @classmethod
    def load(cls, path: Path) -> _Templates:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        channels = raw.get("channels") or {"phone": 1}
        titles = {k: list(v.get("titles", [])) for k, v in raw.items() if isinstance(v, dict) and "titles" in v}
        return cls(titles, list(raw.get("descriptions") or [""]), list(channels), list(channels.values()))


_WORK_NOTES = (
    "Remote session with the caller.",
    "Checked the logs and applied the fix.",
    "Tested with the caller; works again.",
    "Reconfigured and documented the change.",
    "Called the supplier and followed up.",
    "On site: replaced the part.",
)


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _quarter_up(ts: int) -> int:
    """Promises are made in quarter hours."""
    return -(-ts // (15 * MINUTE)) * (15 * MINUTE)


def _clamp(ts: int, lo: int, hi: int) -> int:
    return max(lo, min(ts, hi))


class _Builder:
    def __init__(self, store: Store, now: datetime, seed: int, operators: Sequence[str], templates: _Templates) -> None:
        if not operators:
            raise ServiceError("operators: give at least one operator name for the demo calls")
        self.store = store
        self.now = int(now.timestamp())
        self.rng = random.Random(seed)
        self.operators = list(operators)
        self.templates = templates
        self.customers = sorted(store.customers(), key=lambda c: c.key)
        self.services = sorted(s.key for s in store.services())
        self._contracts: dict[tuple[str, date], Contract | None] = {}
        self._used_titles: set[str] = set()

    # ------------------------------------------------------------ look-ups

    def contract_on(self, customer: Customer, ts: int) -> Contract | None:
        day = datetime.fromtimestamp(ts, ZoneInfo(customer.tz)).date()
        key = (customer.key, day)
        if key not in self._contracts:
            self._contracts[key] = self.store.contract_in_force(customer.key, day)
        return self._contracts[key]

    def covered(self, customer: Customer, contract: Contract | None) -> list[str]:
        if contract is None:
            return []
        return [s for s in contract.terms.services if s in self.services]

    def call(self, customer: Customer, service: str, reported: int, *, fresh_title: bool = False) -> NewCall:
        rng = self.rng
        channel = rng.choices(self.templates.channels, self.templates.channel_weights)[0]
        if channel == "monitoring" and service not in _MONITORED:
            channel = "phone"
        titles = self.templates.titles.get(service) or [f"Problem with {service}"]
        if fresh_title:
            unused = [t for t in titles if t not in self._used_titles]
            titles = unused or titles
        title = rng.choice(titles)
        self._used_titles.add(title)
        if channel == "monitoring":
            caller = "Monitoring"
            description = next((d for d in self.templates.descriptions if "monitoring" in d.lower()), "")
        else:
            caller = rng.choice(customer.contacts).name if customer.contacts else ""
            description = rng.choice(self.templates.descriptions)
        (impact, urgency), = rng.choices([iu for iu, _ in _IMPACT_URGENCY], [w for _, w in _IMPACT_URGENCY])
        return NewCall(
            customer=customer.key, service=service, title=title, impact=impact, urgency=urgency,
            caller=caller, channel=channel, description=description, reported_at=_utc(reported),
        )

    @staticmethod
    def clocks(call: NewCall, contract: Contract, calendar: BusinessCalendar, reported: int,
               steps: Sequence[_Step], at: int) -> dict[str, Clock]:
        """The engine's clocks at ``at`` for a call reported at ``reported`` with ``steps``."""
        priority = priority_for(call.impact, call.urgency)
        template = Ticket.model_construct(service=call.service, priority=priority, priorities=[])
        statuses = [StatusChange(reported, "new")]
        planned = None
        for step in steps:
            if "status" in step.changes:
                statuses.append(StatusChange(step.at, step.changes["status"], step.changes.get("reason", "")))
            if (step.promise or "expected" in step.changes) and planned is None:
                planned = step.at
        timeline = Timeline(reported, statuses, planned_at=planned,
                            pause_on_third_party=contract.terms.pause_on_third_party)
        return compute_clocks(timeline, targets_for(template, contract), calendar, at, thresholds_for(contract))

    # ------------------------------------------------------------ open calls

    def open_plans(self) -> list[_Plan]:
        rng = self.rng
        with_contract = [
            (c, k) for c in self.customers
            if (k := self.contract_on(c, self.now)) is not None and self.covered(c, k)
        ]
        plans: list[_Plan] = []
        if with_contract:
            rng.shuffle(with_contract)
            slot = 0
            for status, state, count, unassigned in _OPEN_MIX:
                for i in range(count):
                    customer, contract = with_contract[slot % len(with_contract)]
                    slot += 1
                    plans.append(self.open_plan(customer, contract, status, state, assigned=i >= unassigned))
        plans.extend(self.billable_open_plans(with_contract))
        return plans

    def open_plan(self, customer: Customer, contract: Contract, status: str, state: str, *, assigned: bool) -> _Plan:
        rng = self.rng
        calendar = calendar_for(contract, customer.tz)
        call = self.call(customer, rng.choice(self.covered(customer, contract)), self.now, fresh_title=True)
        operator = rng.choice(self.operators)
        # Real-time delays drawn once, so the history is a fixed shape of reported_at.
        intake = rng.randint(1, 6) * MINUTE
        respond_share = rng.uniform(0.15, 0.7)
        plan_delay = rng.randint(10, 90) * MINUTE
        pause_length = rng.randint(20 * MINUTE, 26 * HOUR)
        assign_delay = rng.randint(1, 8) * MINUTE
        reason = rng.choice(_WAITING_THIRD_PARTY if status == "waiting_third_party" else _WAITING_CUSTOMER)
        plan_first = status != "in_progress" or rng.random() < 0.7
        probe = self.clocks(call, contract, calendar, self.now, [], self.now)
        respond_budget = probe["response"].target_seconds if "response" in probe else 30 * MINUTE
        now = self.now

        def shape(reported: int) -> tuple[int, list[_Step]]:
            created = min(reported + intake, now)
            if status == "new":
                return created, ([_Step(min(created + assign_delay, now), {"assignee": operator})] if assigned else [])
            first = _clamp(calendar.add_seconds(reported, int(respond_share * respond_budget)), created, now)
            planned = _clamp(first + plan_delay, first, now)
            if status == "in_progress" and not plan_first:
                return created, [_Step(first, {"status": "in_progress", "assignee": operator})]
            steps = [_Step(first, {"status": "diagnosing", "assignee": operator})]
            if status == "diagnosing":
                steps.append(_Step(planned, {}, promise=True))
                return created, steps
            steps.append(_Step(planned, {"status": "in_progress"}, promise=True))
            if status in ("waiting_customer", "waiting_third_party"):
                paused = _clamp(now - pause_length, planned, now)
                steps.append(_Step(paused, {"status": status, "reason": reason}))
            return created, steps

        def share(reported: int) -> float:
            lead = leading_clock(self.clocks(call, contract, calendar, reported, shape(reported)[1], now))
            return 0.0 if lead is None else lead.used / lead.target_seconds

        # A call reported before the contract began would be billable work.
        start = contract.terms.valid_from
        earliest = int(datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(customer.tz)).timestamp())
        low, high = _SHARES[state]
        reported = now
        for _attempt in range(4):
            reported = self.search(share, rng.uniform(low, high), earliest)
            lead = leading_clock(self.clocks(call, contract, calendar, reported, shape(reported)[1], now))
            if lead is not None and lead.state == state:
                break
        created, steps = shape(reported)
        call.reported_at = _utc(reported)
        at_risk = status == "diagnosing" and state == "ok" and rng.random() < 0.5
        self.promise(call, contract, calendar, reported, steps, now, at_risk=at_risk)
        return _Plan(call, rng.choice(self.operators), created, steps)

    def search(self, share: Callable[[int], float], wanted: float, earliest: int) -> int:
        """The latest reported instant, not before ``earliest``, at which ``share``
        reaches ``wanted`` (share falls as the report moves later; bounded, whatever
        the calendar)."""
        early, late = max(self.now - _SEARCH_SPAN, min(earliest, self.now)), self.now
        if share(early) < wanted:
            return early
        while late - early > 1:
            middle = (early + late) // 2
            if share(middle) >= wanted:
                early = middle
            else:
                late = middle
        return early

    def promise(self, call: NewCall, contract: Contract, calendar: BusinessCalendar, reported: int,
                steps: list[_Step], at: int, *, at_risk: bool = False) -> None:
        """Fill in the expected resolution of the step that promises one: a little
        before the resolution deadline as it stands at ``at`` (after it when
        ``at_risk``), never before the promise is made."""
        step = next((s for s in steps if s.promise), None)
        if step is None:
            return
        clocks = self.clocks(call, contract, calendar, reported, steps, max(at, step.at))
        if "resolution" in clocks:
            due = clocks["resolution"].due_ts
        else:
            due = step.at + self.rng.randint(2, 48) * HOUR
        if at_risk:
            expected = due + self.rng.randint(1, 4) * HOUR
        else:
            expected = due - int(self.rng.uniform(0.0, 0.3) * max(0, due - step.at))
        step.changes["expected"] = _utc(_quarter_up(max(expected, step.at + 30 * MINUTE)))

    def billable_open_plans(self, with_contract: list[tuple[Customer, Contract]]) -> list[_Plan]:
        """Work outside any contract: customers with none (or an expired one) and a
        service a contract does not cover."""
        rng = self.rng
        plans = []
        uncontracted = [c for c in self.customers if self.contract_on(c, self.now) is None]
        for customer in uncontracted[:2]:
            plans.append(self.billable_open(customer, rng.choice(self.services)))
        for customer, contract in with_contract:
            missing = [s for s in self.services if s not in contract.terms.services]
            if missing:
                plans.append(self.billable_open(customer, rng.choice(missing)))
                break
        return plans

    def billable_open(self, customer: Customer, service: str) -> _Plan:
        rng = self.rng
        reported = self.now - rng.randint(20 * MINUTE, 30 * HOUR)
        call = self.call(customer, service, reported, fresh_title=True)
        created = min(reported + rng.randint(1, 6) * MINUTE, self.now)
        operator = rng.choice(self.operators)
        steps = []
        if rng.random() < 0.7:
            steps.append(_Step(_clamp(created + rng.randint(10, 120) * MINUTE, created, self.now),
                               {"status": "in_progress", "assignee": operator}))
        return _Plan(call, operator, created, steps)

    # ------------------------------------------------------------ history

    def history_plans(self, count: int) -> list[_Plan]:
        plans = []
        for _ in range(count):
            plan = None
            for _attempt in range(40):
                plan = self.history_plan()
                if plan is not None:
                    break
            if plan is not None:
                plans.append(plan)
        return plans

    def history_reported(self, customer: Customer) -> int:
        """A report instant in the past year: mostly weekday office hours in the
        customer's zone, some at any time (monitoring, night shifts)."""
        rng = self.rng
        tz = ZoneInfo(customer.tz)
        day = datetime.fromtimestamp(self.now - rng.randint(14 * DAY, 365 * DAY), tz).date()
        if rng.random() < 0.88:
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            minutes = rng.randint(7 * 60 + 45, 17 * 60 + 45)
        else:
            minutes = rng.randint(0, 24 * 60 - 1)
        local = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        return int(local.timestamp())

    def history_plan(self) -> _Plan | None:
        """One closed call, or None when the draw does not fit (redrawn by the caller)."""
        rng = self.rng
        customer = rng.choice(self.customers)
        reported = self.history_reported(customer)
        contract = self.contract_on(customer, reported)
        covered = self.covered(customer, contract)
        billable = rng.random() < 0.04
        if billable:
            others = [s for s in self.services if s not in covered]
            if not others:
                return None
            service = rng.choice(others)
        elif not covered:
            return None
        else:
            service = rng.choice(covered)
        call = self.call(customer, service, reported)
        operator = rng.choice(self.operators)
        created = reported + rng.randint(1, 6) * MINUTE
        if contract is None or billable:
            steps = self.billable_history(created, operator)
        else:
            steps = self.contract_history(call, contract, calendar_for(contract, customer.tz), reported, created, operator)
        if steps[-1].at >= self.now:
            return None
        return _Plan(call, operator, created, steps, closed=True)

    def late(self, low: float, high: float, miss: float) -> float:
        """A share of a target: within it, or (with chance ``miss``) over it."""
        return self.rng.uniform(1.05, 1.8) if self.rng.random() < miss else self.rng.uniform(low, high)

    def contract_history(self, call: NewCall, contract: Contract, calendar: BusinessCalendar,
                         reported: int, created: int, operator: str) -> list[_Step]:
        rng = self.rng
        budgets = {n: c.target_seconds for n, c in self.clocks(call, contract, calendar, reported, [], reported).items()}
        respond = budgets.get("response", 30 * MINUTE)
        resolve = budgets.get("resolution", 8 * HOUR)
        first = max(calendar.add_seconds(reported, int(self.late(0.1, 0.8, 0.05) * respond)), created + MINUTE)
        steps: list[_Step] = []
        if "plan" in budgets or rng.random() < 0.3:
            steps.append(_Step(first, {"status": "diagnosing", "assignee": operator}))
            plan_budget = budgets.get("plan", respond * 2)
            planned = max(calendar.add_seconds(reported, int(self.late(0.3, 0.9, 0.06) * plan_budget)), first + 5 * MINUTE)
            steps.append(_Step(planned, {"status": "in_progress"}, promise=True))
        else:
            steps.append(_Step(first, {"status": "in_progress", "assignee": operator}))
        last = steps[-1].at
        if call.urgency > 1 and rng.random() < 0.04:
            # The caller turns out to be more stuck than said: the tighter target
            # applies from the start, and the desk works to it.
            last += rng.randint(10, 60) * MINUTE
            steps.append(_Step(last, {"urgency": call.urgency - 1}))
            sharper = self.clocks(replace(call, urgency=call.urgency - 1), contract, calendar, reported, [], reported)
            if "resolution" in sharper:
                resolve = sharper["resolution"].target_seconds
        pauses: list[tuple[int, int]] = []
        roll = rng.random()
        if roll < 0.28:
            waiting = "waiting_customer" if roll < 0.2 else "waiting_third_party"
            reasons = _WAITING_CUSTOMER if waiting == "waiting_customer" else _WAITING_THIRD_PARTY
            start = max(calendar.add_seconds(last, int(rng.uniform(0.05, 0.3) * resolve)), last + 5 * MINUTE)
            if waiting == "waiting_customer" or contract.terms.pause_on_third_party:
                end = start + rng.randint(1 * HOUR, 3 * DAY)
                pauses.append((start, end))
            else:  # the clock runs on: a supplier that takes days makes the call late
                end = calendar.add_seconds(start, int(rng.uniform(0.1, 0.6) * resolve))
            steps.append(_Step(start, {"status": waiting, "reason": rng.choice(reasons)}))
            steps.append(_Step(end, {"status": "in_progress"}))
            last = end
        self.promise(call, contract, calendar, reported, steps, last)
        resolved = calendar.add_seconds_paused(reported, int(self.late(0.15, 0.9, 0.08) * resolve), pauses)
        resolved = max(resolved, last + rng.randint(5, 30) * MINUTE)
        steps.append(_Step(resolved, self.resolution()))
        if rng.random() < 0.03:
            reopened = resolved + rng.randint(2 * HOUR, 2 * DAY)
            steps.append(_Step(reopened, {"status": "in_progress", "reason": rng.choice(_REOPEN_REASONS)}))
            resolved = reopened + rng.randint(1 * HOUR, 1 * DAY)
            steps.append(_Step(resolved, self.resolution()))
        steps.append(_Step(resolved + rng.randint(2 * HOUR, 4 * DAY), {"status": "closed"}))
        return steps

    def resolution(self) -> dict[str, object]:
        """A resolve step; most late calls get the operator's justification (it is
        recorded only with a missed target)."""
        step: dict[str, object] = {"status": "resolved", "reason": self.rng.choice(_RESOLUTIONS)}
        if self.rng.random() < 0.8:
            step["justification"] = self.rng.choice(_JUSTIFICATIONS)
        return step

    def billable_history(self, created: int, operator: str) -> list[_Step]:
        rng = self.rng
        first = created + rng.randint(10, 180) * MINUTE
        resolved = first + rng.randint(1 * HOUR, 3 * DAY)
        hours = rng.choice((0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0))
        return [
            _Step(first, {"status": "in_progress", "assignee": operator, "estimate_hours": hours,
                          "diagnosis": rng.choice(_BILLABLE_DIAGNOSES)}),
            _Step(resolved, {"status": "resolved", "reason": rng.choice(_RESOLUTIONS)}),
            _Step(resolved + rng.randint(2 * HOUR, 4 * DAY), {"status": "closed"}),
        ]

    # ------------------------------------------------------------ replay

    def replay(self, plans: list[_Plan]) -> None:
        """Make every call and change in time order across all calls, so ticket
        numbers follow the order in which calls came in."""
        actions: list[tuple[int, int, int]] = []
        for i, plan in enumerate(plans):
            actions.append((plan.created, i, -1))
            actions.extend((step.at, i, j) for j, step in enumerate(plan.steps))
        actions.sort()
        ids: dict[int, int] = {}
        workers: dict[int, str] = {}  # whoever has the call does the work on it
        work = random.Random(self.rng.random())  # its own draws: the calls stay as they were
        for at, i, j in actions:
            plan = plans[i]
            if j < 0:
                ids[i] = open_call(self.store, plan.call, plan.operator, now=_utc(at)).ticket.id
                continue
            step = plan.steps[j]
            workers[i] = step.changes.get("assignee") or workers.get(i) or plan.operator
            update_ticket(self.store, ids[i], operator=workers[i], now=_utc(at), **step.changes)
            if step.changes.get("status") == "resolved":
                self.log_work(ids[i], workers[i], at, work)

    def log_work(self, ticket_id: int, operator: str, resolved: int, rng: random.Random) -> None:
        """The time the solver logged, ending when the call was solved: a quarter of
        an hour to a few hours. Work that would overlap the operator's other
        entries, or start before the call came in, is left out."""
        minutes = rng.choice((10, 15, 20, 25, 30, 40, 45, 60, 75, 90, 120, 180))
        try:
            add_entry(self.store, ticket_id=ticket_id, operator=operator, now=_utc(resolved), minutes=minutes,
                      note=rng.choice(_WORK_NOTES))
        except TimeError:
            pass


# sample_data/msp.toml is written as seen from this year; the demo moves every date
# in it by whole years so that this year is the year of ``now``. Contracts that run
# "from this January to the end of next year" then stay in force whenever the demo
# is built, and the year before now (the history) meets the contracts it met then.
SAMPLE_YEAR = 2026


def shift_years(value: Any, years: int) -> Any:
    """``value`` (a parsed TOML document, or any part of one) with every date and
    date-time moved by ``years`` whole years; 29 February becomes the 28th in a year
    that has none. Times of day and everything else are left as they are."""
    if isinstance(value, dict):
        return {k: shift_years(v, years) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_years(v, years) for v in value]
    if isinstance(value, date):  # datetime is a date too
        year = value.year + years
        try:
            return value.replace(year=year)
        except ValueError:  # 29 February
            return value.replace(year=year, day=28)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        # Holidays and closures are written as strings; only a whole ISO date or
        # date-time is moved, never a date inside a name or a note.
        try:
            datetime.fromisoformat(value)
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return shift_years(day, years).isoformat() + value[10:]
    return value


def sample_documents(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The sample MSP's contract file, its dates moved to the year of ``now``."""
    path = data_dir("sample_data") / "msp.toml"
    return [(str(path), shift_years(read_contract_file(path), now.year - SAMPLE_YEAR))]


def build_demo(
    path: Path,
    now: datetime,
    *,
    history: int = 300,
    seed: int = 7,
    operators: Sequence[str] = ("anna", "bram", "chris", "dewi"),
) -> DemoSummary:
    """Build a fresh demo database at ``path`` (replacing any file there) from
    sample_data/, with about 40 open calls placed relative to ``now`` and
    ``history`` closed calls from the year before."""
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ServiceError("now must be a date-time with a time zone")
    if history < 0:
        raise ServiceError(f"history must be zero or more calls, not {history}")
    started = time.perf_counter()
    path = Path(path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    samples = data_dir("sample_data")
    templates = _Templates.load(samples / "calls.toml")
    with Store.open(path, create=True) as store:
        # One transaction for the whole build: a failure leaves no half-built demo behind.
        with store.write():
            load_documents(store, sample_documents(now), now)
            builder = _Builder(store, now, seed, operators, templates)
            history_plans = builder.history_plans(history)
            open_plans = builder.open_plans()
            builder.replay(history_plans + open_plans)
    return DemoSummary(path, len(open_plans), len(history_plans), time.perf_counter() - started)


__all__ = ["DemoSummary", "build_demo", "default_demo_path"]
