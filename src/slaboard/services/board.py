"""What the board shows, and the live feed that keeps it current.

The feed owns its own connection (used by one poll worker at a time). A poll asks
SQLite's ``data_version`` whether any other connection has committed; only then
does it read the tickets written since the last poll (by their write sequence),
so a refresh costs in proportion to what changed, not to the size of the queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slaboard.domain import Contract, Customer
from slaboard.services.clocks import clocks_for
from slaboard.services.tickets import TicketView, urgency_key
from slaboard.sla import Clock, leading_clock
from slaboard.store import Store
from slaboard.textfmt import compact

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


class BoardFeed:
    """Reads what changed since the last poll. Not thread-safe: one poll at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._store: Store | None = None
        self._data_version: int | None = None
        self._seq = 0
        self._customers: dict[str, Customer] = {}
        self._contracts: dict[int, Contract] = {}
        self._open_ids: set[int] = set()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.path, any_thread=True)
            self._data_version = None
        return self._store

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
        return Snapshot(changed, removed, full, now, version)


@dataclass(eq=False)
class BoardRow:
    """One open call on the board, with what its row shows cached between ticks."""

    view: TicketView
    lead: Clock | None = None
    state: str = "none"
    left: str = ""
    sort_key: tuple[int, int, int] = (3, 0, 0)
    search: str = ""
    clocks: list[Clock] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clocks = [c for c in self.view.clocks.values() if c.stopped_ts is None]
        t = self.view.ticket
        self.search = " ".join(
            [f"#{t.id}", self.view.customer.name, self.view.customer.code, self.view.level, t.service,
             t.priority, t.status, t.assignee, t.title, t.caller]
        ).lower()
        self.recompute()

    @property
    def id(self) -> int:
        return self.view.ticket.id

    def advance(self, now: int) -> bool:
        """Move the clocks to ``now``; True when what the row shows changed."""
        for clock in self.clocks:
            clock.advance(now)
        before = (self.state, self.left)
        self.recompute()
        return (self.state, self.left) != before

    def recompute(self) -> None:
        lead = leading_clock({c.name: c for c in self.clocks}) if self.clocks else None
        self.lead = lead
        if lead is None:
            self.state = "none"
            self.left = "no SLA" if self.view.ticket.billable else "-"
        else:
            self.state = lead.state
            self.left = "paused" if lead.state == "paused" else compact(lead.remaining)
        self.sort_key = urgency_key(self.view) if lead is None else (
            (2, lead.remaining, self.id) if lead.state == "paused"
            else (0 if lead.state == "breached" else 1, lead.remaining, self.id)
        )

    @property
    def share(self) -> float:
        return 0.0 if self.lead is None else self.lead.share


def summarise(rows: list[BoardRow]) -> tuple[Counter[str], Counter[str], BoardRow | None]:
    """Counts per state and per level, and the call that will breach next."""
    states: Counter[str] = Counter(r.state for r in rows)
    levels: Counter[str] = Counter(r.view.level for r in rows)
    upcoming = [r for r in rows if r.lead is not None and r.state in ("ok", "warning", "critical")]
    nxt = min(upcoming, key=lambda r: r.lead.remaining) if upcoming else None  # type: ignore[union-attr]
    return states, levels, nxt
