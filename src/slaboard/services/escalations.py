"""Escalations: the right person is told when a call's clock crosses a threshold,
whether or not anyone is looking at a board.

The rules come from the contract file (a level's ``escalation``, or a contract's
own): at ``opened`` (the call was logged, or raised to a priority the rule names),
``warning``, ``critical`` or ``breached`` of a clock, notify "assignee", people,
roles and webhooks. Each threshold has an instant, worked out in business time
from the call's history like every deadline; it is *reached* when the clock's
used business time has come to the threshold's mark. A paused clock uses no time,
so it reaches nothing while paused; a stopped clock (responded, resolved) is no
longer escalated.

Exactly once: telling a threshold writes a row of ``escalations`` (call, clock,
threshold, the instant it was told for) in the same transaction as its messages
(the mail outbox, the webhook outbox) and an event in the call's history. A
threshold is told again only when it was last told *before* its instant (the
deadline moved later, so its new instant is still to come); two watchers that
tell the same instant at once are kept apart by the table's unique key.

Never stale news: of a clock's thresholds due at once (after a gap) only the most
severe is sent, and one that passed over CATCH_UP before it could be seen (rules
just added, a watcher stopped for hours) is not; both are recorded as not sent,
with why, so no later watcher sends them. So is one whose rule reached no one.

Delivery: mail through the outbox of :mod:`slaboard.services.mailout` (retried,
never twice), webhooks through their own outbox here, each post with its own
timeout and back-off, so a receiver that hangs or fails never holds up mail or
another call.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slaboard.domain import ContractDef, EscalationRule, Event, Person, ServiceLevel, Webhook
from slaboard.domain.models import ESCALATION_ORDER
from slaboard.services.board import BoardFeed
from slaboard.services.comms import communications_of
from slaboard.services.mailout import MailError, enqueue, flush
from slaboard.services.tickets import ServiceError, TicketView, open_views
from slaboard.settings import MailSettings
from slaboard.sla import Clock
from slaboard.store import Store, StoreError
from slaboard.textfmt import compact, local

CLOCK_WORDS = {"response": "response", "plan": "resolution plan", "resolution": "resolution", "call": "call"}
WEBHOOK_ATTEMPTS = 8  # then the post is kept as failed, for an operator to see
POLL = 1.0  # seconds between looks at the change feed while nothing is due
RETRY = 5.0  # seconds before the watcher tries a database that failed again
# A threshold that passed longer ago than this when a watcher first sees it (rules
# just added, the watcher stopped for a while) is recorded, not sent: a warning
# hours late is noise, and the board shows the call's state anyway.
CATCH_UP = timedelta(hours=1)


class EscalationError(ServiceError):
    """Escalations that cannot run (mail not set up for rules that name people); one line."""


# ---------------------------------------------------------------- thresholds and instants


@dataclass(frozen=True, order=True)
class Threshold:
    """One threshold a call's rules ask about: when it falls and whom it tells."""

    instant: int  # UTC seconds
    ticket_id: int
    clock: str  # response | plan | resolution | call
    threshold: str  # opened | warning | critical | breached
    notify: tuple[str, ...] = field(compare=False)
    reached: bool = field(compare=False, default=False)

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.ticket_id, self.clock, self.threshold)

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.instant, UTC)


def mark_of(clock: Clock, threshold: str) -> int:
    """The business seconds a clock has used when it reaches ``threshold``."""
    budget, t = clock.target_seconds, clock.thresholds
    if threshold == "breached":
        return budget
    share, left = (t.warning, t.warning_left) if threshold == "warning" else (t.critical, t.critical_left)
    mark = math.ceil(share * budget)
    if left is not None and left < budget:
        mark = min(mark, budget - left)
    return mark


def instant_of(clock: Clock, threshold: str) -> tuple[int, bool] | None:
    """When a running clock reaches ``threshold`` (UTC seconds) and whether it has
    by the clock's now; None for a stopped clock, and for a paused one that has not
    reached it (it cannot while paused: its resumption is a change of the call)."""
    if clock.stopped_ts is not None:
        return None
    mark = mark_of(clock, threshold)
    reached = clock.used >= mark
    if clock.paused and not reached:
        return None
    closed = [(p.start, min(p.end if p.end is not None else clock.now_ts, clock.now_ts)) for p in clock.pauses]
    closed = [(a, b) for a, b in closed if b > a]
    if threshold == "breached" and not clock.pauses:
        return clock.due_ts, reached
    return clock.calendar.add_seconds_paused(clock.start_ts, mark, closed), reached


def thresholds_of(view: TicketView, rules: Sequence[EscalationRule]) -> list[Threshold]:
    """Every threshold the rules ask about for an open call, with its instant."""
    ticket = view.ticket
    if not ticket.is_open:
        return []
    wanted: dict[tuple[str, str], list[str]] = {}
    for rule in rules:
        if not rule.applies(ticket.priority):
            continue
        for clock in rule.clocks():
            names = wanted.setdefault((clock, rule.at), [])
            names += [n for n in rule.notify if n not in names]
    out = []
    for (clock_name, at), notify in wanted.items():
        if clock_name == "call":
            created = int(ticket.created_at.timestamp())
            out.append(Threshold(created, ticket.id, "call", at, tuple(notify), reached=True))
            continue
        running = view.clocks.get(clock_name)
        if running is None:
            continue
        found = instant_of(running, at)
        if found is not None:
            out.append(Threshold(found[0], ticket.id, clock_name, at, tuple(notify), reached=found[1]))
    return sorted(out)


# ---------------------------------------------------------------- rules, people and whom a rule tells


@dataclass
class Rules:
    """The escalation rules, people and webhooks as the contract files give them."""

    levels: dict[str, ServiceLevel]
    contracts: dict[str, ContractDef]  # by contract key
    people: dict[str, Person]
    webhooks: dict[str, Webhook]

    @classmethod
    def read(cls, store: Store) -> Rules:
        return cls({lv.key: lv for lv in store.levels()}, {d.key: d for _, d in store.contract_definitions()},
                   store.people(), store.webhooks())

    def for_view(self, view: TicketView) -> list[EscalationRule]:
        if view.contract is None:
            return []
        definition = self.contracts.get(view.contract.terms.key)
        if definition is not None and definition.escalation is not None:
            return definition.escalation
        level = self.levels.get(view.contract.terms.level or "")
        return level.escalation if level is not None else []

    def _all(self) -> list[EscalationRule]:
        return [*(r for lv in self.levels.values() for r in lv.escalation),
                *(r for d in self.contracts.values() for r in (d.escalation or []))]

    @property
    def any(self) -> bool:
        return bool(self._all())

    def names_people(self) -> bool:
        return any(not n.startswith("webhook:") for r in self._all() for n in r.notify)

    def recipients(self, names: Iterable[str], assignee: str | None) -> tuple[list[Person], list[Webhook], list[str]]:
        """The people and webhooks ``names`` reach, each once, and what reached no one."""
        people: dict[str, Person] = {}
        hooks: dict[str, Webhook] = {}
        missed: list[str] = []
        for name in names:
            if name.startswith("webhook:"):
                hook = self.webhooks.get(name.removeprefix("webhook:"))
                if hook is not None:
                    hooks[hook.key] = hook
                else:
                    missed.append(name)
                continue
            if name == "assignee":
                found = [p for p in self.people.values() if assignee and p.login == assignee]
                if not found:
                    missed.append(f"assignee ({assignee}; no person in [people] logs in as that)" if assignee
                                  else "assignee (nobody has the call)")
            elif name in self.people:
                found = [self.people[name]]
            else:
                found = [p for p in self.people.values() if name in p.roles]
                if not found:
                    missed.append(f"{name} (no person has that role)")
            for person in found:
                people[person.key] = person
        return list(people.values()), list(hooks.values()), missed


# ---------------------------------------------------------------- what the message says


def _left(clock: Clock | None) -> str:
    if clock is None:
        return ""
    if clock.remaining < 0:
        return f"overdue by {compact(-clock.remaining)} of business time"
    return f"{compact(clock.remaining)} of business time left"


def _headline(view: TicketView, t: Threshold) -> str:
    if t.threshold == "opened":
        return f"new {view.ticket.priority} call"
    clock = CLOCK_WORDS[t.clock]
    return {"warning": f"{clock} warning", "critical": f"{clock} critical",
            "breached": f"{clock} target missed"}[t.threshold]


def subject(view: TicketView, t: Threshold, tag: str = "SLA") -> str:
    # Not the call's own tag: a colleague's reply must not land in the customer's log.
    return f"[{tag} escalation #{view.ticket.id}] {_headline(view, t)}: {view.customer.name}: {view.ticket.title}"


def body(store: Store, view: TicketView, t: Threshold, recipient_tz: str) -> str:
    """The call, the customer, the clock, when it breaches in the customer's zone
    and the recipient's, the business time left, the last customer log entry, and
    how to open it."""
    ticket, clock = view.ticket, view.clocks.get(t.clock)
    lines = [f"Call #{ticket.id} for {view.customer.name}: {ticket.title}",
             f"Priority {ticket.priority}, {ticket.status.replace('_', ' ')}, "
             f"{'assigned to ' + ticket.assignee if ticket.assignee else 'not assigned'}; "
             f"{view.level} contract.", ""]
    if t.threshold == "opened":
        lines.append(f"It was logged at {local(ticket.created_at, view.tz, '%a %d %b %H:%M %Z')} (the customer's zone).")
    elif clock is not None:
        verb = "breached at" if t.threshold == "breached" else "breaches at"
        lines.append(f"The {CLOCK_WORDS[t.clock]} clock is {t.threshold}: it {verb}")
        lines.append(f"  {local(clock.due, view.tz, '%a %d %b %Y %H:%M %Z')} ({view.tz}, the customer's zone)")
        if recipient_tz != view.tz:
            lines.append(f"  {local(clock.due, recipient_tz, '%a %d %b %Y %H:%M %Z')} ({recipient_tz}, your zone)")
        lines.append(f"  {_left(clock)}.")
    for name, other in view.clocks.items():
        if other is not clock and other.stopped_ts is None:
            lines.append(f"{CLOCK_WORDS[name].capitalize()} due {local(other.due, view.tz, '%a %d %b %H:%M')}: "
                         f"{_left(other)}.")
    lines.append("")
    said = communications_of(store, ticket_id=ticket.id)
    if said:
        last = said[-1]
        arrow = "to" if last.direction == "out" else "from"
        lines.append(f"Last in the customer log ({local(last.at, view.tz, '%a %d %b %H:%M')}, {last.operator} "
                     f"{arrow} {last.contact or last.customer}): {' '.join(last.summary.split())[:500]}")
    else:
        lines.append("Nothing in the customer log yet.")
    lines += ["", f"Open it: on the board press / and type {ticket.id}, then enter; or run: "
              f"slaboard ticket show {ticket.id}", "", "-- slaboard, escalations"]
    return "\n".join(lines) + "\n"


def payload(view: TicketView, t: Threshold, text: str) -> str:
    """One JSON shape that Slack's and Microsoft Teams' incoming webhooks both take
    (``text``), with the escalation's fields for any other receiver."""
    clock = view.clocks.get(t.clock)
    return json.dumps({
        "text": text,
        "slaboard": {
            "ticket": view.ticket.id, "title": view.ticket.title, "customer": view.customer.key,
            "customer_name": view.customer.name, "priority": view.ticket.priority, "clock": t.clock,
            "threshold": t.threshold, "instant": t.moment.isoformat(),
            "due": clock.due.isoformat() if clock is not None else None,
            "remaining_seconds": clock.remaining if clock is not None else None,
            "assignee": view.ticket.assignee, "command": f"slaboard ticket show {view.ticket.id}",
        },
    }, ensure_ascii=False)


# ---------------------------------------------------------------- telling


@dataclass
class Told:
    ticket_id: int
    clock: str
    threshold: str
    instant: datetime
    people: list[str]
    webhooks: list[str]
    missed: list[str]

    def to_dict(self) -> dict[str, object]:
        return {"ticket": self.ticket_id, "clock": self.clock, "threshold": self.threshold,
                "instant": self.instant.isoformat(), "people": self.people, "webhooks": self.webhooks,
                "reached_no_one_for": self.missed}

    @property
    def whom(self) -> list[str]:
        """The people and webhooks told, as the rules name them."""
        return [*self.people, *(f"webhook:{w}" for w in self.webhooks)]

    def told_text(self) -> str:
        """"told anna, webhook:noc" and what reached no one."""
        text = f"told {', '.join(self.whom) or 'no one'}"
        return text + (f"; reached no one for {', '.join(self.missed)}" if self.missed else "")

    def line(self) -> str:
        return (f"#{self.ticket_id} {CLOCK_WORDS[self.clock]} {self.threshold} "
                f"({self.instant.isoformat(timespec='seconds')}): {self.told_text()}")


def _due_order(t: Threshold) -> tuple[int, int]:
    """Thresholds due together: by instant, then the less severe first."""
    return t.instant, ESCALATION_ORDER.index(t.threshold)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Escalator:
    """Tells what is due, once. Not thread-safe: one per store connection."""

    def __init__(self, store: Store, mail: MailSettings | None) -> None:
        self.store, self.mail = store, mail
        self.me = _me()
        self.passed: list[str] = []  # thresholds recorded as passed, not sent, in words (for the log)
        self.rules = Rules.read(store)
        msp = store.msp()
        self.msp_tz = msp.tz if msp else "Etc/UTC"

    def reload(self) -> None:
        self.rules = Rules.read(self.store)

    def check(self) -> None:
        """EscalationError when rules name people but no mail is set up to reach them."""
        if self.rules.names_people() and (self.mail is None or not self.mail.configured):
            raise EscalationError("escalation rules name people, but mail is not set up to reach them: "
                                  "give [mail] from and smtp in the settings file (or SLABOARD_SMTP)")

    def thresholds(self, view: TicketView) -> list[Threshold]:
        return thresholds_of(view, self.rules.for_view(view))

    def due(self, views: Iterable[TicketView], now: datetime) -> list[tuple[TicketView, Threshold]]:
        ts = int(now.timestamp())
        out = []
        for view in views:
            for t in self.thresholds(view):
                if t.instant <= ts and t.reached:
                    out.append((view, t))
        return out

    def settle(self, due: list[tuple[TicketView, Threshold]], now: datetime) -> list[Told]:
        """Tell what is due: of each call's clock only the most severe threshold due
        (the ones it passed on the way are recorded with it, not sent: one message,
        not three, after a gap), and none that passed over CATCH_UP before it could
        be seen (recorded as passed unseen). Thresholds told already are left alone."""
        ts = int(now.timestamp())
        by_clock: dict[tuple[int, str], list[tuple[TicketView, Threshold]]] = defaultdict(list)
        seen: set[tuple[int, str, str]] = set()
        for view, t in sorted(due, key=lambda pair: _due_order(pair[1])):
            if t.key not in seen:  # the same threshold twice (a change that did not move it) is one
                seen.add(t.key)
                by_clock[(t.ticket_id, t.clock)].append((view, t))
        passed: list[tuple[TicketView, Threshold, str]] = []
        to_tell = []
        for pairs in by_clock.values():
            view, t = pairs[-1]
            passed += [(v, earlier, f"the {t.threshold} was due with it") for v, earlier in pairs[:-1]]
            # Known from the instant, or from the call's last change when that came later
            # (a priority raised past a deadline makes news of an old instant).
            known = max(t.instant, int(view.ticket.updated_at.timestamp()))
            if ts - known > CATCH_UP.total_seconds():
                passed.append((view, t, f"it passed at {local(t.moment, self.msp_tz, '%a %d %b %H:%M %Z')}, "
                                        "over an hour before a watcher saw it"))
            else:
                to_tell.append((view, t))
        for view, t, why in sorted(passed, key=lambda p: _due_order(p[1])):
            self.record_passed(view, t, now, why)
        told = []
        for view, t in to_tell:
            done = self.tell(view, t, now)
            if done is not None:
                told.append(done)
        return told

    def record_passed(self, view: TicketView, t: Threshold, now: datetime, why: str) -> bool:
        """Record a threshold as passed and not sent (so no watcher sends it later),
        with why in the call's history. False when it was recorded already."""
        store = self.store
        try:
            with store.write():
                if store.escalation_told(t.ticket_id, t.clock, t.threshold, t.moment):
                    return False
                store.add_escalation({"ticket_id": t.ticket_id, "clock": t.clock, "threshold": t.threshold,
                                      "instant": t.moment, "queued_at": now, "queued_by": self.me, "recipients": [],
                                      "sent": False, "note": why})
                store.add_events([Event(ticket_id=t.ticket_id, at=now, operator="slaboard", kind="escalation",
                                        note=f"escalation: {CLOCK_WORDS[t.clock]} {t.threshold} not sent: {why}"[:1000])])
        except StoreError as err:
            if "told already" in str(err):
                return False
            raise
        self.passed.append(f"#{t.ticket_id} {CLOCK_WORDS[t.clock]} {t.threshold}: not sent, {why}")
        return True

    def tell(self, view: TicketView, t: Threshold, now: datetime) -> Told | None:
        """Tell one threshold, in one transaction: the record, the mail, the posts,
        the event. None when it was told already (here or by another watcher)."""
        store, moment = self.store, t.moment
        people, hooks, missed = self.rules.recipients(t.notify, view.ticket.assignee)
        try:
            with store.write():
                if store.escalation_told(t.ticket_id, t.clock, t.threshold, moment):
                    return None
                told = Told(t.ticket_id, t.clock, t.threshold, moment, [p.key for p in people],
                            [h.key for h in hooks], missed)
                reached = bool(told.whom)  # one that reached no one counts as not sent
                escalation_id = store.add_escalation({
                    "ticket_id": t.ticket_id, "clock": t.clock, "threshold": t.threshold, "instant": moment,
                    "queued_at": now, "queued_by": self.me, "recipients": told.whom, "sent": reached,
                    "note": "" if reached else f"reached no one for {', '.join(missed)}"[:1000]})
                tag = self.mail.tag if self.mail is not None else "SLA"
                title = subject(view, t, tag)
                for person in people:
                    assert self.mail is not None  # check() saw to it
                    enqueue(store, self.mail, kind="escalation", to=[(person.title, person.email)], subject=title,
                            body=body(store, view, t, person.tz or self.msp_tz), now=now)
                for hook in hooks:
                    store.add_webhook_post(hook.key, hook.url, payload(view, t, f"{title}\n{_left(view.clocks.get(t.clock))}"),
                                           now, ticket_id=t.ticket_id, escalation_id=escalation_id)
                note = f"escalation: {CLOCK_WORDS[t.clock]} {t.threshold}; {told.told_text()}"
                store.add_events([Event(ticket_id=t.ticket_id, at=now, operator="slaboard", kind="escalation",
                                        note=note[:1000])])
        except StoreError as err:
            if "told already" in str(err):
                return None
            raise
        except MailError as err:
            raise EscalationError(f"#{t.ticket_id}: {err}") from None
        return told


def run_once(store: Store, mail: MailSettings | None, now: datetime, passed: list[str] | None = None) -> list[Told]:
    """Tell everything due now, once (``slaboard watch --once``, from cron); what
    was recorded as passed and not sent is added to ``passed``, in words."""
    escalator = Escalator(store, mail)
    escalator.check()
    told = escalator.settle(escalator.due(open_views(store, now), now), now)
    if passed is not None:
        passed.extend(escalator.passed)
    return told


def send_mail(store: Store, mail: MailSettings, now: datetime) -> list[str]:
    """Send the outbox's messages that are due; what happened, a line each (a
    server that cannot be used is a line too: the messages wait). MailError for
    settings that cannot send at all."""
    report = flush(store, mail, now)
    return [*report.lines, *([f"mail: {report.problem}; the messages wait"]
                             if report.problem else [])]


# ---------------------------------------------------------------- webhooks


def webhook_backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... at most an hour between tries."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class PostReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def post(url: str, data: str, timeout: float) -> str:
    """POST ``data`` as JSON; "" when the receiver took it (2xx), else why not."""
    request = urllib.request.Request(url, data=data.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "slaboard"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (http(s) checked on load)
            return "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code} {err.reason}"
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        return f"no answer: {reason}" if not isinstance(reason, str) else f"no answer: {reason}"


def flush_webhooks(store: Store, now: Callable[[], datetime], *, limit: int = 50,
                   webhooks: dict[str, Webhook] | None = None) -> PostReport:
    """Post what is due, one at a time, each with its webhook's timeout."""
    report = PostReport()
    me = _me()
    hooks = webhooks if webhooks is not None else store.webhooks()
    for _ in range(limit):
        moment = now()
        timeout = max((h.timeout for h in hooks.values()), default=5.0)
        row = store.claim_webhook_post(moment, me, moment + timedelta(seconds=timeout + 30))
        if row is None:
            break
        hook = hooks.get(str(row["webhook"]))
        problem = post(str(row["url"]), str(row["payload"]), hook.timeout if hook else 5.0)
        attempts = int(row["attempts"]) + 1
        if not problem:
            store.webhook_done(int(row["id"]), me, now())
            report.sent += 1
            report.lines.append(f"webhook {row['webhook']}: post {row['id']} sent")
        elif attempts >= WEBHOOK_ATTEMPTS:
            store.webhook_done(int(row["id"]), me, now(), error=problem, failed=True)
            report.failed += 1
            report.lines.append(f"webhook {row['webhook']}: post {row['id']} failed after {attempts} tries: {problem}")
        else:
            later = now() + webhook_backoff(attempts)
            store.webhook_done(int(row["id"]), me, now(), error=problem, next_attempt_at=later)
            report.retrying += 1
            report.lines.append(f"webhook {row['webhook']}: post {row['id']} not taken ({problem}); "
                                f"tried again at {later.isoformat(timespec='seconds')}")
    return report


# ---------------------------------------------------------------- the watcher


class Watcher:
    """``slaboard watch``: follows the board's change feed, keeps a heap of the
    next threshold of every open call, and sleeps until the next instant or the
    next look at the feed (a data_version read: no work when nothing changed).

    ``clock`` gives now (injected by tests); ``stop`` ends :meth:`run`."""

    def __init__(self, path: Any, mail: MailSettings | None, *, clock: Callable[[], datetime],
                 log: Callable[[str], None] = lambda line: None, poll: float = POLL) -> None:
        self.feed = BoardFeed(path, calls_only=True)
        self.path, self.mail, self.clock, self.log, self.poll = path, mail, clock, log, poll
        self.views: dict[int, TicketView] = {}
        self.heap: list[Threshold] = []
        # Per call, the instant of each of its thresholds as last scheduled: a heap
        # entry that differs is stale (a change moved it) and is dropped when the
        # heap is compacted, so the heap does not grow with every change.
        self.latest: dict[int, dict[tuple[int, str, str], int]] = {}
        self.stop = threading.Event()
        self.store = Store.open(path, any_thread=True)
        self.escalator = Escalator(self.store, mail)
        self.escalator.check()
        self._hooks_thread: threading.Thread | None = None
        self.evaluations: list[float] = []  # seconds each change took to evaluate (for the benchmark)

    def close(self) -> None:
        self.stop.set()
        if self._hooks_thread is not None:
            self._hooks_thread.join(timeout=10)
        self.feed.close()
        self.store.close()

    def _schedule(self, view: TicketView) -> None:
        mine = self.latest[view.ticket.id] = {}
        for t in self.escalator.thresholds(view):
            mine[t.key] = t.instant
            heapq.heappush(self.heap, t)

    def _compact(self) -> None:
        live = sum(len(keys) for keys in self.latest.values())
        if len(self.heap) > 2 * live + 1024:
            self.heap = [t for t in self.heap if self.latest.get(t.ticket_id, {}).get(t.key) == t.instant]
            heapq.heapify(self.heap)

    def look(self) -> bool:
        """Read the feed; True when something changed."""
        now = self.clock()
        snapshot = self.feed.poll(now)
        if snapshot is None:
            return False
        started = time.perf_counter()
        if snapshot.full:
            self.escalator.reload()
            self.views.clear()
            self.heap.clear()
            self.latest.clear()
        for ticket_id in snapshot.removed:
            self.views.pop(ticket_id, None)
            self.latest.pop(ticket_id, None)
        for view in snapshot.changed:
            self.views[view.ticket.id] = view
            self._schedule(view)
        self._compact()
        self.evaluations.append(time.perf_counter() - started)
        return True

    def _current(self, t: Threshold, now: datetime) -> tuple[TicketView, Threshold] | None:
        """The threshold as the call stands now (a stale heap entry, from before a
        change, is dropped: the change pushed the fresh one)."""
        view = self.views.get(t.ticket_id)
        if view is None:
            return None
        for clock in view.clocks.values():
            clock.advance(now)
        fresh = next((f for f in self.escalator.thresholds(view) if f.key == t.key), None)
        if fresh is None or fresh.instant != t.instant:
            return None
        return view, fresh

    def tell_due(self) -> list[Told]:
        now = self.clock()
        ts = int(now.timestamp())
        due, seen = [], set()
        while self.heap and self.heap[0].instant <= ts:
            t = heapq.heappop(self.heap)
            if t.key in seen:
                continue  # pushed again by a change that did not move it
            current = self._current(t, now)
            if current is not None and current[1].reached:
                seen.add(t.key)
                due.append(current)
        told = self.escalator.settle(due, now) if due else []
        for done in told:
            self.log(done.line())
        for line in self.escalator.passed:
            self.log(line)
        self.escalator.passed.clear()
        return told

    def deliver(self) -> None:
        if self.mail is not None and self.mail.configured and self.store.unsent_mail():
            try:
                lines = send_mail(self.store, self.mail, self.clock())
            except MailError as err:
                lines = [f"mail: {err}"]
            for line in lines:
                self.log(line)
        # Webhooks post from a thread of their own (a hanging receiver never holds up
        # mail or the next threshold), started only when a post is due.
        if (self._hooks_thread is None or not self._hooks_thread.is_alive()) and self._webhooks_waiting():
            self._hooks_thread = threading.Thread(target=self._post_hooks, name="webhooks", daemon=True)
            self._hooks_thread.start()

    def _post_hooks(self) -> None:
        try:
            with Store.open(self.path, any_thread=True) as store:
                for line in flush_webhooks(store, self.clock).lines:
                    self.log(line)
        except Exception as err:  # noqa: BLE001 — one line in the log; the next round tries again
            self.log(f"webhooks: cannot post now: {err}")

    def step(self) -> float:
        """One round: look, tell, deliver; the seconds to sleep until the next."""
        self.look()
        self.tell_due()
        self.deliver()
        wait = self.poll
        if self.heap:
            wait = min(wait, max(0.0, self.heap[0].instant - self.clock().timestamp()))
        return wait

    def _webhooks_waiting(self) -> bool:
        return self.store.webhook_due(self.clock())

    def run(self) -> None:
        """Step until stopped. A database that cannot be read or written for a while
        (locked, a server restarting, a disk full) is a line in the log and another
        try after RETRY seconds on a new connection; nothing due is lost (it is told
        when the database answers again, within the catch-up hour)."""
        while not self.stop.is_set():
            try:
                wait = self.step()
            except (StoreError, ServiceError, EscalationError, OSError) as err:
                self.log(f"cannot read or write the database now: {err}; trying again in {RETRY:g} s")
                self._reconnect()
                wait = RETRY
            except Exception as err:  # noqa: BLE001 — a driver's own error (sqlite3, psycopg)
                self.log(f"the database failed: {type(err).__name__}: {err}; trying again in {RETRY:g} s")
                self._reconnect()
                wait = RETRY
            self.stop.wait(wait)

    def _reconnect(self) -> None:
        self.feed.close()  # the next look reads every open call afresh
        try:
            self.store.close()
        except Exception:  # noqa: BLE001 — a broken connection may not even close
            pass
        try:
            self.store = Store.open(self.path, any_thread=True)
            self.escalator = Escalator(self.store, self.mail)
        except Exception as err:  # noqa: BLE001 — the next step fails too, and comes back here
            self.log(f"cannot open the database: {err}")


__all__ = ["ESCALATION_ORDER", "EscalationError", "Escalator", "Rules", "Threshold", "Told", "Watcher",
           "flush_webhooks", "run_once", "thresholds_of"]
