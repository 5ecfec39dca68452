"""What the board shows, and the live feed that keeps it current.

The feed owns its own connection (used by one poll worker at a time). A poll asks
SQLite's ``data_version`` whether any other connection has committed; only then
does it read the tickets written since the last poll (by their write sequence),
so a refresh costs in proportion to what changed, not to the size of the queue.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slaboard.domain import Contract, Customer
from slaboard.services.clocks import clocks_for
from slaboard.services.tickets import TicketView
from slaboard.services.timekeeping import running_timers
from slaboard.sla import leading_clock
from slaboard.sla.clocks import next_state_change
from slaboard.store import Store, StoreError
from slaboard.store.store import is_url
from slaboard.textfmt import compact

STATUS_LABELS = {
    "new": "new",
    "diagnosing": "diagnosing",
    "in_progress": "working",
    "waiting_customer": "wait cust",
    "waiting_third_party": "wait 3rd",
}
GLYPHS = {
    "breached": "✖",
    "critical": "▲",
    "warning": "◆",
    "ok": "●",
    "paused": "Ⅱ",
    "none": "·",
}
STATE_ORDER = ("breached", "critical", "warning", "ok", "paused", "none")


@dataclass
class Snapshot:
    """Tickets to show or update, and ids that left the board."""

    changed: list[TicketView]
    removed: set[int]
    full: bool
    loaded_at: datetime
    data_version: int
    unmatched_mail: int = 0  # messages waiting for an operator to name their customer (see triage)
    unsent_mail: int = 0  # messages in the outbox not sent yet (queued, being sent or failed)
    # Running timers by call: (operator, started at), the earliest first.
    timers: dict[int, list[tuple[str, datetime]]] = field(default_factory=dict)
    # Open calls escalated by the watcher: the last threshold told, by call.
    escalated: dict[int, str] = field(default_factory=dict)


class BoardFeed:
    """Reads what changed since the last poll. Not thread-safe: one poll at a time.

    ``readonly`` opens the file read-only (the wall, which must never write). Either
    way it notices the file removed (an error) or replaced under it (read afresh)."""

    def __init__(self, path: str | Path, *, readonly: bool = False, calls_only: bool = False) -> None:
        # A PostgreSQL URL is kept as given: there is no file to follow.
        self.path: Path | str = path if is_url(path) else Path(path)
        self.readonly = readonly
        self.calls_only = calls_only  # the calls alone: no mail counts, timers or escalation marks (the watcher)
        self._store: Store | None = None
        self._data_version: int | None = None
        self._seq = 0
        self._customers: dict[str, Customer] = {}
        self._contracts: dict[int, Contract] = {}
        self._open_ids: set[int] = set()
        self._identity: tuple[int, int] = (0, 0)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open(self) -> Store:
        # The file may have been replaced (a restore, a new demo) or removed: a
        # connection to the old inode would go on showing old data without a word.
        identity = (0, 0)
        if isinstance(self.path, Path):
            try:
                found = self.path.stat()
            except FileNotFoundError:
                self.close()
                raise StoreError(f"no database at {self.path}") from None
            identity = (found.st_ino, found.st_dev)
        if self._store is not None and identity != self._identity:
            self.close()
        if self._store is None:
            store = Store.open(self.path, readonly=self.readonly, any_thread=True)
            try:
                self._opened(store)
            except Exception:
                store.close()
                raise
            self._store = store
            self._identity = identity
            self._data_version = None
        return self._store

    def _opened(self, store: Store) -> None:
        """A new connection, before its first poll: what a subclass reads once per file."""

    def poll(self, now: datetime, force: bool = False) -> Snapshot | None:
        """A snapshot of what changed, or None when nothing did. Raises StoreError
        (or sqlite3 errors) when the file cannot be read; the next poll reconnects."""
        try:
            return self._poll(now, force)
        except Exception:
            self.close()  # a broken connection is not reused
            raise

    def _poll(self, now: datetime, force: bool) -> Snapshot | None:
        store = self._open()
        version = store.data_version()
        full = self._data_version is None
        if not force and not full and version == self._data_version:
            return None
        self._data_version = version
        with store.read():  # one consistent snapshot for the rows and the sequence
            seq = store.last_seq()
            rows = store.open_tickets() if full else store.tickets_changed_since(self._seq)
            unmatched = unsent = 0
            timers: dict[int, list[tuple[str, datetime]]] = {}
            escalated: dict[int, str] = {}
            if not self.calls_only:
                unmatched = store.count_unmatched_mail()
                unsent = store.unsent_mail()
                for entry in running_timers(store):
                    timers.setdefault(entry.ticket_id, []).append((entry.operator, entry.started_at))
                escalated = store.escalated_open()
        self._seq = seq
        needed = {t.customer for t, _ in rows} - set(self._customers)
        if needed or full:
            self._customers = {c.key: c for c in store.customers()}
        missing = {t.contract_id for t, _ in rows if t.contract_id is not None} - set(self._contracts)
        if missing:
            self._contracts.update(store.contracts(missing))
        changed: list[TicketView] = []
        removed: set[int] = set()
        for ticket, tz in rows:
            if ticket.is_open:
                contract = self._contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
                clocks = clocks_for(ticket, contract, tz, now)
                changed.append(TicketView(ticket, self._customers[ticket.customer], contract, clocks, tz))
                self._open_ids.add(ticket.id)
            elif ticket.id in self._open_ids or not full:
                removed.add(ticket.id)
                self._open_ids.discard(ticket.id)
        return Snapshot(changed, removed, full, now, version, unmatched, unsent,
                        {k: sorted(v, key=lambda t: t[1]) for k, v in timers.items()}, escalated)


_NEVER = 1 << 62


class BoardRow:
    """One open call on the board. Its leading clock (the one that will breach
    first) and state are settled when the call changes or when the state can next
    change with time alone; in between, the time left is one subtraction."""

    __slots__ = ("view", "id", "level", "clocks", "lead", "state", "search", "next_change", "_breach_pos", "_fixed_left", "group",
                 "timers", "escalated")

    def __init__(self, view: TicketView, now: int) -> None:
        self.view = view
        self.id = view.ticket.id
        self.timers: list[tuple[str, datetime]] = []  # running timers on the call: (operator, since)
        self.escalated = ""  # the last escalation threshold told for the call, if any
        self.level = view.level
        self.clocks = [c for c in view.clocks.values() if c.stopped_ts is None]
        t = view.ticket
        self.search = " ".join(
            [f"#{t.id}", view.customer.name, view.customer.code, view.level, t.service, t.priority,
             t.status, t.status.replace("_", " "), STATUS_LABELS.get(t.status, ""), t.assignee, t.title, t.caller,
             "at risk tell customer" if view.at_risk else "", "billable no sla" if t.billable else "",
             "paused" if any(c.paused for c in view.clocks.values()) else ""]
        ).lower()
        self.settle(now)

    def settle(self, now: int) -> None:
        """Bring every clock to ``now`` and choose the leading one."""
        for clock in self.clocks:
            clock.advance(now)
        lead = leading_clock({c.name: c for c in self.clocks}) if self.clocks else None
        self.lead = lead
        self._breach_pos = 0
        self._fixed_left = 0
        self.next_change = _NEVER
        if lead is None:
            self.state, self.group = "none", 3
        elif lead.paused:
            self.state = lead.state
            self.group = 0 if lead.state == "breached" else 2
            self._fixed_left = lead.remaining
        else:
            self.state = lead.state
            self.group = 0 if lead.state == "breached" else 1
            self._breach_pos = lead.base + lead.target_seconds
            change = next_state_change(lead)
            self.next_change = _NEVER if change is None else change

    def remaining(self, now: int) -> int:
        """Business seconds left on the leading clock at ``now`` (negative: overdue)."""
        lead = self.lead
        if lead is None:
            return 0
        if self._breach_pos:
            return self._breach_pos - lead.calendar.position(now)
        return self._fixed_left

    def left(self, now: int) -> str:
        if self.lead is None:
            return "no SLA" if self.view.ticket.billable else "-"
        if self.state == "paused":
            return "paused"
        return compact(self.remaining(now))

    def share(self, now: int) -> float:
        lead = self.lead
        if lead is None:
            return 0.0
        return (lead.target_seconds - self.remaining(now)) / lead.target_seconds

    def sort_key(self, now: int) -> tuple[int, int, int]:
        """Breached first (most overdue first), then by business time left; paused
        calls, then calls without an SLA, last."""
        return (self.group, self.remaining(now), self.id)


class BoardModel:
    """The open calls of a board, kept current by snapshots and by time."""

    def __init__(self) -> None:
        self.rows: dict[int, BoardRow] = {}
        self._wakeups: list[tuple[int, int]] = []  # (instant, ticket id), a heap

    def apply(self, snapshot: Snapshot, now: int) -> None:
        """A keyed diff: changed calls replace their rows, gone ones leave."""
        if snapshot.full:
            self.rows = {}
            self._wakeups = []
        for view in snapshot.changed:
            row = BoardRow(view, now)
            self.rows[row.id] = row
            if row.next_change < _NEVER:
                heapq.heappush(self._wakeups, (row.next_change, row.id))
        for ticket_id in snapshot.removed:
            self.rows.pop(ticket_id, None)
        for ticket_id, row in self.rows.items():
            row.timers = snapshot.timers.get(ticket_id, [])
            row.escalated = snapshot.escalated.get(ticket_id, "")

    def advance(self, now: int) -> int:
        """Settle the rows whose state can have changed by ``now``; how many did."""
        woken = 0
        wakeups = self._wakeups
        while wakeups and wakeups[0][0] <= now:
            when, ticket_id = heapq.heappop(wakeups)
            row = self.rows.get(ticket_id)
            if row is None or row.next_change != when:
                continue  # gone, or replaced by a newer row with its own wake-up
            row.settle(now)
            woken += 1
            if row.next_change < _NEVER:
                heapq.heappush(wakeups, (row.next_change, ticket_id))
        return woken

    def ordered(self, rows: list[BoardRow], now: int) -> list[BoardRow]:
        """``rows`` most urgent first."""
        positions: dict[int, int] = {}

        def key(row: BoardRow) -> tuple[int, int, int]:
            lead = row.lead
            if lead is None or not row._breach_pos:
                return (row.group, row._fixed_left, row.id)
            cal = lead.calendar
            pos = positions.get(id(cal))
            if pos is None:
                pos = positions[id(cal)] = cal.position(now)
            return (row.group, row._breach_pos - pos, row.id)

        return sorted(rows, key=key)


def summarise(rows: list[BoardRow], now: int) -> tuple[Counter[str], Counter[str], BoardRow | None]:
    """Counts per state and per level, and the call that will breach next."""
    states: Counter[str] = Counter(r.state for r in rows)
    levels: Counter[str] = Counter(r.level for r in rows)
    upcoming = [r for r in rows if r.group == 1]
    nxt = min(upcoming, key=lambda r: r.remaining(now)) if upcoming else None
    return states, levels, nxt
