"""The store: the only code that reads and writes the SQLite file.

It returns domain models. Every write is one ``BEGIN IMMEDIATE`` transaction;
tickets carry a version for optimistic concurrency; events are append-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from slaboard.domain import (
    CalendarDef,
    Catalog,
    Communication,
    Contract,
    ContractDef,
    ContractTerms,
    Customer,
    Event,
    Msp,
    Operator,
    Person,
    Service,
    ServiceLevel,
    Ticket,
    Webhook,
    contract_in_force,
    match_customers,
)
from slaboard.store.connection import (
    BUSY_TIMEOUT_MS,
    ConflictError,
    StoreError,
    check_identity,
    connect,
    error_kind,
    migrate,
    share,
    write_transaction,
)
from slaboard.store.files import LinkRefused, backup_file, create_private
from slaboard.store.schema import local_day, local_midnight_utc, next_month

TICKET_START = 1001  # the first ticket number
KEEP_WAIT_MS = 250  # how long a report waits for the write lock to keep a month's sums
_TICKET_COLUMNS = (
    "id", "customer", "contract_id", "tz", "service", "caller", "channel", "title", "description",
    "impact", "urgency", "priority", "priority_reason", "status", "assignee", "category", "diagnosis",
    "expected_at", "expected_set_at", "customer_told_at", "estimate_hours", "billable", "reported_at", "created_at", "updated_at",
    "responded_at", "planned_at", "resolved_at", "closed_at", "resolution_note", "history",
    "response_due", "plan_due", "resolution_due", "version",
)
_TIME_FIELDS = (
    "expected_at", "expected_set_at", "customer_told_at", "reported_at", "created_at", "updated_at", "responded_at", "planned_at",
    "resolved_at", "closed_at", "response_due", "plan_due", "resolution_due",
)
_SELECT_TICKET = f"SELECT {', '.join(_TICKET_COLUMNS)} FROM tickets"


def is_url(target: object) -> bool:
    """Whether ``--db`` names a PostgreSQL database (a libpq URL) rather than a file."""
    return isinstance(target, str) and target.strip().lower().startswith(("postgresql://", "postgres://"))


def iso(t: datetime | None) -> str | None:
    """Instants are stored as ISO-8601 in UTC, so text order is time order."""
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"{t.isoformat()} has no time zone")
    return t.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _utc_text(value: str | datetime) -> str | None:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return iso(moment)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class LoadSummary:
    """What a load changed, per section: added, changed and unchanged keys."""

    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def note(self, section: str, key: str, outcome: str) -> None:
        if outcome == "added":
            self.added.setdefault(section, []).append(key)
        elif outcome == "changed":
            self.changed.setdefault(section, []).append(key)
        else:
            self.unchanged[section] = self.unchanged.get(section, 0) + 1

    @property
    def nothing_changed(self) -> bool:
        return not self.added and not self.changed


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Upgrade an older schema: a backup first, then every migration in one
    transaction (a failure leaves the file as it was)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    n = 1
    while True:
        copy = path.with_name(f"{path.name}.schema-{version}.bak" if n == 1 else f"{path.name}.schema-{version}.{n}.bak")
        # A name already taken (by a file or a link planted there) is skipped, never written through.
        if not os.path.lexists(copy):
            try:
                backup_file(conn, copy)
                break
            except LinkRefused:
                pass
            except StoreError:
                if not os.path.lexists(copy):
                    raise
        n += 1
    try:
        migrate(conn)
    except (sqlite3.DatabaseError, StoreError) as err:
        raise StoreError(f"upgrading {path} failed ({err}); the file was not changed; a copy is at {copy}") from None


def _cell_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """A report_cells row with its lists in order: the same sums compare equal
    whatever order SQLite concatenated them in."""
    def numbers(text: str | None) -> tuple[int, ...]:
        return tuple(sorted(int(v) for v in text.split(","))) if text else ()

    pauses = tuple(sorted(json.dumps(p, sort_keys=True) for p in json.loads(f"[{row[16]}]"))) if row[16] else ()
    return (*row[:11], round(float(row[11]), 6), numbers(row[12]), numbers(row[13]), numbers(row[14]), row[15], pauses)


# The sums of one group of a grouped report query (see Store.report_outcome_groups).
_GROUP_KEYS = "period, customer, service, priority, contract_id, level, clock, met"
_GROUP_OUTER = (f"{_GROUP_KEYS}, COUNT(*), SUM(billable), SUM(hours), group_concat(id), group_concat(used), "
                "group_concat(span), SUM(paused), '[' || group_concat(pauses) || ']'")
# By position: a name could mean a column of the table rather than the one selected.
_GROUP_BY = "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"


class ReportGroup(NamedTuple):
    """One group of calls or stopped clocks of a report: its keys (None where the
    query did not group by them) and its sums. Lists are comma-separated text."""

    period: int  # index of the period among the report's (its months)
    customer: str
    service: str | None
    priority: str | None
    contract_id: int | None
    level: str | None
    clock: str | None
    met: int | None
    calls: int  # how many calls or clocks (``count`` would hide tuple.count)
    billable: int
    billable_hours: float
    ticket_ids: str
    used_seconds: str | None
    calendar_seconds: str | None
    paused_seconds: int
    pauses: str | None  # a JSON list of {reason: seconds}, the clocks that paused


class OutcomeRow(NamedTuple):
    """One stopped response or resolution clock, with its call's customer, service
    and title (a row of :meth:`Store.report_outcomes`)."""

    ticket_id: int
    clock: str
    met: int
    stopped_at: str
    calendar_seconds: int  # from the clock's start to its stop
    target: str
    used_seconds: int
    late_seconds: int
    paused_seconds: int
    pauses: str  # JSON: seconds paused per reason
    level: str | None
    priority: str | None
    justification: str
    customer: str
    service: str
    title: str
    contract_id: int | None


class MailState(NamedTuple):
    """How a message in the outbox stands: queued (with its next try), sending,
    sent, or failed (``last_error`` says what the server said)."""

    outbox_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    claimed_until: datetime | None


class Attachment(NamedTuple):
    """A file that came with a message: kept (its bytes read apart, see
    Store.attachment_content) or refused (``refused`` says why)."""

    id: int
    mail_id: int
    ticket_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    refused: str
    received_at: datetime
    communication_id: int | None = None


class Store:
    """One open slaboard database. Not shared between threads: a thread worker
    opens its own Store on the same path."""

    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False, readonly: bool = False, any_thread: bool = False) -> Store:
        """Open (and with ``create`` make) a slaboard database, upgrading an older
        schema. Raises StoreError with a message for people. With ``any_thread``
        the store may be used by successive worker threads, one at a time."""
        if is_url(path):
            from slaboard.store.postgres import PgStore

            return PgStore.open(path, create=create, readonly=readonly, any_thread=any_thread)
        p = Path(path)
        try:
            if create and not p.exists() and p.parent.is_dir():
                create_private(p)
        except PermissionError:
            raise StoreError(f"cannot create {p}: permission denied") from None
        conn = connect(p, create=create, readonly=readonly, any_thread=any_thread)
        try:
            state = check_identity(conn, p)
            if state == "empty" and not create:
                raise StoreError(f"{p} is empty, not a slaboard database; run 'slaboard init --db {p}'")
            if state in ("empty", "older"):
                if readonly:
                    raise StoreError(f"{p} needs an upgrade; open it once without read-only mode")
                if state == "older":
                    _upgrade(conn, p)
                    # The first report after the upgrade need not read a year of calls.
                    cls(conn, p).keep_past_months()
                else:
                    migrate(conn)
            if not readonly:
                share(conn, p)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as err:
            conn.close()
            raise StoreError(f"{p}: {err}") from None
        return cls(conn, p)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE); nests as a no-op."""
        if self.conn.in_transaction:
            yield
            return
        try:
            with write_transaction(self.conn):
                yield
        except sqlite3.OperationalError as err:
            kind = error_kind(err)
            if kind == "SQLITE_FULL":
                raise StoreError(f"{self.path}: the disk is full; nothing was saved") from None
            if kind == "SQLITE_READONLY":
                raise StoreError(f"{self.path} is read-only for you; nothing was saved") from None
            if kind == "SQLITE_IOERR":
                raise StoreError(f"{self.path}: the disk refused the write (full, or over quota?); nothing was saved") from None
            raise

    @contextmanager
    def read(self) -> Iterator[None]:
        """A read transaction: every query inside sees the same snapshot."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def integrity_problems(self) -> list[str]:
        try:
            rows = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        except (sqlite3.DatabaseError, UnicodeDecodeError) as err:
            return [f"the file is damaged: {err}"]
        return [] if rows == ["ok"] else rows

    def foreign_key_problems(self) -> list[str]:
        return [f"{r[0]} row {r[1]} refers to a missing {r[2]}" for r in self.conn.execute("PRAGMA foreign_key_check")]

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def tickets_with_events(self) -> Iterator[tuple[Ticket, list[Event]]]:
        """Every ticket with its events, in ticket order (for the audit check)."""
        events: dict[int, list[Event]] = {}
        for r in self.conn.execute("SELECT id, ticket_id, at, operator, kind, field, old, new, note FROM events ORDER BY id"):
            events.setdefault(r[1], []).append(
                Event(id=r[0], ticket_id=r[1], at=datetime.fromisoformat(r[2]), operator=r[3], kind=r[4],
                      field=r[5], old=r[6], new=r[7], note=r[8])
            )
        for row in self.conn.execute(_SELECT_TICKET + " ORDER BY id"):
            ticket = self._ticket(row)
            yield ticket, events.get(ticket.id, [])

    def data_version(self) -> int:
        """Changes when another connection commits (cheap; for live refresh)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    # ------------------------------------------------------------ catalog

    def catalog(self) -> Catalog:
        """Everything loaded from contract files, as definitions (current contracts)."""
        cat = Catalog()
        for key, spec in self.conn.execute("SELECT key, spec FROM calendars"):
            cat.calendars[key] = CalendarDef.model_validate({"key": key, **json.loads(spec)})
        for key, spec in self.conn.execute("SELECT key, spec FROM levels"):
            cat.levels[key] = ServiceLevel.model_validate({"key": key, **json.loads(spec)})
        for key, spec in self.conn.execute("SELECT key, spec FROM services"):
            cat.services[key] = Service.model_validate({"key": key, **json.loads(spec)})
        for key, spec in self.conn.execute("SELECT key, spec FROM customers"):
            cat.customers[key] = Customer.model_validate({"key": key, **json.loads(spec)})
        for (definition,) in self.conn.execute("SELECT definition FROM contracts WHERE current = 1 ORDER BY id"):
            cat.contracts.append(ContractDef.model_validate_json(definition))
        cat.people = self.people()
        cat.webhooks = self.webhooks()
        cat.msp = self.msp(default=None)
        return cat

    def _meta_section(self, name: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [name]).fetchone()
        return {} if row is None else dict(json.loads(row[0]))

    def people(self) -> dict[str, Person]:
        """The people escalations reach, from the contract files' [people]."""
        return {k: Person.model_validate({"key": k, **v}) for k, v in sorted(self._meta_section("people").items())}

    def webhooks(self) -> dict[str, Webhook]:
        return {k: Webhook.model_validate({"key": k, **v}) for k, v in sorted(self._meta_section("webhooks").items())}

    def msp(self, default: Msp | None = Msp()) -> Msp | None:  # noqa: B008
        """The MSP's own settings from the contract files (name, zone, default rate)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'msp'").fetchone()
        return default if row is None else Msp.model_validate_json(row[0])

    def save_catalog(self, catalog: Catalog, now: datetime) -> LoadSummary:
        """Write a checked catalog in one transaction. Unchanged entries are left
        alone; a changed contract (or a change of its level or calendar) becomes a
        new version and the old one stays for the tickets opened under it."""
        summary = LoadSummary()
        stamp = iso(now)
        with self.write():
            for section, items in (
                ("calendars", catalog.calendars),
                ("levels", catalog.levels),
                ("services", catalog.services),
                ("customers", catalog.customers),
            ):
                for key, model in items.items():
                    spec = model.model_dump(mode="json", exclude={"key"})
                    outcome = self._upsert_definition(section, key, spec, catalog.where(section, key), stamp)
                    summary.note(section, key, outcome)
            if catalog.msp is not None:
                text = catalog.msp.model_dump_json()
                row = self.conn.execute("SELECT value FROM meta WHERE key = 'msp'").fetchone()
                if row is None or row[0] != text:
                    self.conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('msp', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        [text],
                    )
                    summary.note("msp", "msp", "added" if row is None else "changed")
            named: tuple[tuple[str, Mapping[str, Person | Webhook]], ...] = (
                ("people", catalog.people), ("webhooks", catalog.webhooks))
            for section, entries in named:
                known = self._meta_section(section)
                before = dict(known)
                for key, entry in entries.items():
                    spec = entry.model_dump(mode="json", exclude={"key"})
                    if known.get(key) != spec:
                        summary.note(section, key, "added" if key not in known else "changed")
                        known[key] = spec
                if known == before:
                    continue
                self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                  [section, json.dumps(known, sort_keys=True)])
            for contract in catalog.contracts:
                outcome = self._save_contract(contract, catalog.terms(contract), catalog.where("contracts", contract.key), stamp)
                summary.note("contracts", contract.key, outcome)
        return summary

    def _upsert_definition(self, section: str, key: str, spec: dict[str, Any], source: str, stamp: str | None) -> str:
        text = json.dumps(spec, sort_keys=True)
        row = self.conn.execute(f"SELECT spec FROM {section} WHERE key = ?", [key]).fetchone()
        if row is not None and row[0] == text:
            return "unchanged"
        columns: dict[str, Any] = {"key": key, "spec": text, "source": source, "updated_at": stamp}
        if section in ("levels", "services", "customers"):
            columns["name"] = spec.get("name") or key
        if section == "customers":
            columns["code"] = spec["code"]
            columns["tz"] = spec["tz"]
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "key")
        self.conn.execute(
            f"INSERT INTO {section} ({names}) VALUES ({marks}) ON CONFLICT(key) DO UPDATE SET {updates}",
            list(columns.values()),
        )
        return "added" if row is None else "changed"

    def _save_contract(self, contract: ContractDef, terms: ContractTerms, source: str, stamp: str | None) -> str:
        terms_json = terms.model_dump(mode="json")
        digest = _digest(terms_json)
        row = self.conn.execute(
            "SELECT id, version, digest, definition FROM contracts WHERE key = ? AND current = 1", [contract.key]
        ).fetchone()
        if row is not None and row[2] == digest:
            # The clocks' terms are as they were; what else the definition says (how
            # its work is billed, its escalations) is read when it is used, so it
            # is brought up to date in place rather than as a new version.
            definition = contract.model_dump_json()
            if row[3] == definition:
                return "unchanged"
            self.conn.execute("UPDATE contracts SET definition = ?, source = ? WHERE id = ?",
                              [definition, source, row[0]])
            return "changed"
        version = 1
        if row is not None:
            version = row[1] + 1
            self.conn.execute("UPDATE contracts SET current = 0 WHERE id = ?", [row[0]])
        self.conn.execute(
            """INSERT INTO contracts (key, customer, version, current, valid_from, valid_to, level, bespoke,
                   price_per_month, hourly_rate, definition, terms, digest, source, created_at)
               VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                contract.key, contract.customer, version, terms.valid_from.isoformat(),
                terms.valid_to.isoformat() if terms.valid_to else None, terms.level, int(terms.bespoke),
                float(terms.price_per_month), float(terms.hourly_rate) if terms.hourly_rate is not None else None,
                contract.model_dump_json(), json.dumps(terms_json), digest, source, stamp,
            ],
        )
        return "added" if row is None else "changed"

    def customers(self) -> list[Customer]:
        rows = self.conn.execute("SELECT key, spec FROM customers ORDER BY name COLLATE NOCASE")
        return [Customer.model_validate({"key": k, **json.loads(s)}) for k, s in rows]

    def customer(self, key: str) -> Customer | None:
        row = self.conn.execute("SELECT key, spec FROM customers WHERE key = ?", [key]).fetchone()
        return None if row is None else Customer.model_validate({"key": row[0], **json.loads(row[1])})

    def find_customers(self, text: str) -> list[Customer]:
        """Customers named by ``text``, best first (the rule of
        :func:`slaboard.domain.match_customers`)."""
        return [m.customer for m in match_customers(self.customers(), text)]

    def services(self) -> list[Service]:
        rows = self.conn.execute("SELECT key, spec FROM services ORDER BY name COLLATE NOCASE")
        return [Service.model_validate({"key": k, **json.loads(s)}) for k, s in rows]

    def service(self, key: str) -> Service | None:
        row = self.conn.execute("SELECT key, spec FROM services WHERE key = ?", [key]).fetchone()
        return None if row is None else Service.model_validate({"key": row[0], **json.loads(row[1])})

    def levels(self) -> list[ServiceLevel]:
        rows = self.conn.execute("SELECT key, spec FROM levels ORDER BY key")
        return [ServiceLevel.model_validate({"key": k, **json.loads(s)}) for k, s in rows]

    def _contract(self, row: Sequence[Any]) -> Contract:
        return Contract(id=row[0], version=row[1], current=bool(row[2]), terms=ContractTerms.model_validate_json(row[3]))

    def contract(self, contract_id: int) -> Contract | None:
        row = self.conn.execute("SELECT id, version, current, terms FROM contracts WHERE id = ?", [contract_id]).fetchone()
        return None if row is None else self._contract(row)

    def contracts(self, ids: Iterable[int]) -> dict[int, Contract]:
        wanted = sorted(set(ids))
        out: dict[int, Contract] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self.conn.execute(f"SELECT id, version, current, terms FROM contracts WHERE id IN ({marks})", chunk):
                out[row[0]] = self._contract(row)
        return out

    def contracts_of(self, customer: str, current_only: bool = False) -> list[Contract]:
        sql = "SELECT id, version, current, terms FROM contracts WHERE customer = ?"
        if current_only:
            sql += " AND current = 1"
        return [self._contract(r) for r in self.conn.execute(sql + " ORDER BY valid_from, version", [customer])]

    def contract_in_force(self, customer: str, on: date) -> Contract | None:
        """The current version of the contract valid on ``on`` (the customer's date;
        the rule of :func:`slaboard.domain.contract_in_force`)."""
        return contract_in_force(self.contracts_of(customer, current_only=True), on)

    # ------------------------------------------------------------ tickets

    def _ticket_values(self, ticket: Ticket) -> dict[str, Any]:
        data = ticket.model_dump(exclude={"statuses", "priorities"})
        for name in _TIME_FIELDS:
            data[name] = iso(data[name])
        data["billable"] = int(ticket.billable)
        data["history"] = json.dumps(
            {
                "statuses": [[iso(s.at), s.status, s.reason] for s in ticket.statuses],
                "priorities": [[iso(p.at), p.priority, p.reason] for p in ticket.priorities],
            }
        )
        return data

    def _ticket(self, row: Sequence[Any]) -> Ticket:
        data = dict(zip(_TICKET_COLUMNS, row))
        history = json.loads(data.pop("history"))
        for name in _TIME_FIELDS:
            data[name] = _parse_time(data[name])
        data["billable"] = bool(data["billable"])
        data["statuses"] = [{"at": a, "status": s, "reason": r} for a, s, r in history["statuses"]]
        data["priorities"] = [{"at": a, "priority": p, "reason": r} for a, p, r in history["priorities"]]
        data.pop("tz")
        return Ticket.model_validate(data)

    def ticket_zone(self, ticket_id: int) -> str | None:
        row = self.conn.execute("SELECT tz FROM tickets WHERE id = ?", [ticket_id]).fetchone()
        return None if row is None else row[0]

    def insert_ticket(self, ticket: Ticket, tz: str, events: Sequence[Event]) -> Ticket:
        """Store a new ticket with the next ticket number (gap-free: the number is
        taken inside the write transaction) and its first events."""
        with self.write():
            # The next number and the next write sequence in one query (one round
            # trip to a server, inside the write lock).
            next_id, next_seq = self.conn.execute(
                "SELECT (SELECT COALESCE(MAX(id), ?) + 1 FROM tickets), (SELECT COALESCE(MAX(seq), 0) + 1 FROM tickets)",
                [TICKET_START - 1]
            ).fetchone()
            stored = ticket.model_copy(update={"id": next_id, "version": 1})
            values = self._ticket_values(stored)
            values["tz"] = tz
            names = ", ".join(_TICKET_COLUMNS)
            marks = ", ".join("?" for _ in _TICKET_COLUMNS)
            self.conn.execute(
                f"INSERT INTO tickets ({names}, seq) VALUES ({marks}, ?)",
                [values[c] for c in _TICKET_COLUMNS] + [next_seq],
            )
            self._insert_events([e.model_copy(update={"ticket_id": next_id}) for e in events], 1)
        return stored

    def update_ticket(self, ticket: Ticket, expected_version: int, events: Sequence[Event]) -> Ticket:
        """Save ``ticket`` if the stored row still has ``expected_version``; else
        raise ConflictError saying what changed. Bumps the version."""
        with self.write():
            row = self.conn.execute(_SELECT_TICKET + " WHERE id = ?", [ticket.id]).fetchone()
            if row is None:
                raise StoreError(f"no ticket #{ticket.id}")
            current = self._ticket(row)
            if current.version != expected_version:
                changed = self._changes_since(ticket.id, expected_version)
                raise ConflictError(ticket.id, expected_version, current.version, changed)
            stored = ticket.model_copy(update={"version": expected_version + 1})
            values = self._ticket_values(stored)
            columns = [c for c in _TICKET_COLUMNS if c not in ("id", "tz")]
            sets = ", ".join(f"{c} = ?" for c in columns)
            self.conn.execute(
                f"UPDATE tickets SET {sets}, seq = ? WHERE id = ? AND version = ?",
                [values[c] for c in columns] + [self._next_seq(), ticket.id, expected_version],
            )
            self._insert_events(events, expected_version + 1)
        return stored

    def _next_seq(self) -> int:
        # Inside the write transaction, so two writers never take the same number.
        return self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM tickets").fetchone()[0]

    def last_seq(self) -> int:
        """The sequence number of the latest ticket write."""
        return self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM tickets").fetchone()[0]

    def tickets_changed_since(self, seq: int) -> list[tuple[Ticket, str]]:
        """Tickets written after sequence number ``seq`` (open or not), with zones."""
        return self.ticket_rows_with_zone("seq > ?", [seq], order="seq")

    def _changes_since(self, ticket_id: int, version: int) -> list[str]:
        rows = self.conn.execute(
            """SELECT operator, field, old, new FROM events
               WHERE ticket_id = ? AND version > ? AND kind NOT IN ('created', 'deadline') ORDER BY id DESC LIMIT 10""",
            [ticket_id, version],
        ).fetchall()
        return [f"{op} set {fld or 'it'} from {old!r} to {new!r}" for op, fld, old, new in reversed(rows)]

    def last_event_at(self, ticket_id: int) -> datetime | None:
        """When the ticket's latest event happened (by its time, not its order)."""
        row = self.conn.execute("SELECT MAX(at) FROM events WHERE ticket_id = ?", [ticket_id]).fetchone()
        return _parse_time(row[0]) if row and row[0] else None

    def add_events(self, events: Sequence[Event]) -> None:
        """Append events to tickets' histories (comments: no change of the ticket)."""
        with self.write():
            self._insert_events(events)

    def justify_misses(self, ticket_id: int, justification: str) -> None:
        """Attach a justification to this ticket's missed targets that have none."""
        self.conn.execute(
            "UPDATE clock_outcomes SET justification = ? WHERE ticket_id = ? AND met = 0 AND justification = ''",
            [justification, ticket_id],
        )

    def _insert_events(self, events: Sequence[Event], version: int | None = None) -> None:
        self.conn.executemany(
            "INSERT INTO events (ticket_id, at, operator, kind, field, old, new, note, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.ticket_id, iso(e.at), e.operator, e.kind, e.field, e.old, e.new, e.note, version) for e in events],
        )

    def ticket(self, ticket_id: int) -> Ticket | None:
        row = self.conn.execute(_SELECT_TICKET + " WHERE id = ?", [ticket_id]).fetchone()
        return None if row is None else self._ticket(row)

    def ticket_rows_with_zone(self, where: str = "", params: Sequence[Any] = (), order: str | None = "id") -> list[tuple[Ticket, str]]:
        sql = _SELECT_TICKET + (f" WHERE {where}" if where else "") + (f" ORDER BY {order}" if order else "")
        return [(self._ticket(r), r[3]) for r in self.conn.execute(sql, list(params))]

    def tickets_by_id(self, ticket_ids: Sequence[int]) -> dict[int, Ticket]:
        """The tickets with these numbers (read in chunks: SQLite limits the
        parameters of one statement); numbers not found are left out."""
        found: dict[int, Ticket] = {}
        ids = list(ticket_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for ticket, _tz in self.ticket_rows_with_zone(f"id IN ({', '.join('?' * len(chunk))})", chunk, order=None):
                found[ticket.id] = ticket
        return found

    def outcomes_of(self, ticket_ids: Sequence[int]) -> dict[int, dict[str, bool]]:
        """For each of these tickets, its stopped clocks: clock -> met (read in chunks,
        as :meth:`tickets_by_id`); a ticket with none is left out."""
        found: dict[int, dict[str, bool]] = {}
        ids = list(ticket_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            sql = f"SELECT ticket_id, clock, met FROM clock_outcomes WHERE ticket_id IN ({', '.join('?' * len(chunk))})"
            for ticket_id, clock, met in self.conn.execute(sql, chunk):
                found.setdefault(ticket_id, {})[clock] = bool(met)
        return found

    def resolved_tickets(self) -> list[tuple[Ticket, str]]:
        """Every resolved or closed ticket with its zone, in ticket order (for the check)."""
        return self.ticket_rows_with_zone("status IN ('resolved', 'closed')")

    def open_tickets(self) -> list[tuple[Ticket, str]]:
        """Every open ticket with its zone (uses the partial index on open tickets)."""
        # No ORDER BY: with it SQLite walks the whole table in id order instead of
        # the partial index of open calls (80 ms against 30 ms at 100,000 calls).
        rows = self.ticket_rows_with_zone("status NOT IN ('resolved', 'closed')", order=None)
        rows.sort(key=lambda row: row[0].id)
        return rows

    def recent_tickets(self, limit: int = 100) -> list[tuple[Ticket, str]]:
        return list(self.iter_recent_tickets(limit))

    def iter_recent_tickets(self, limit: int = 100) -> Iterator[tuple[Ticket, str]]:
        """The newest ``limit`` tickets with their zones, newest first, read from the
        cursor one row at a time: memory does not grow with ``limit``. Iterate
        inside :meth:`read` for one snapshot of a file others write to."""
        for row in self.conn.execute(_SELECT_TICKET + " ORDER BY id DESC LIMIT ?", [limit]):
            yield self._ticket(row), row[3]

    def count_tickets(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]

    def events(self, ticket_id: int) -> list[Event]:
        rows = self.conn.execute(
            "SELECT id, ticket_id, at, operator, kind, field, old, new, note FROM events WHERE ticket_id = ? ORDER BY id",
            [ticket_id],
        )
        return [
            Event(id=r[0], ticket_id=r[1], at=datetime.fromisoformat(r[2]), operator=r[3], kind=r[4], field=r[5], old=r[6], new=r[7], note=r[8])
            for r in rows
        ]

    def add_communication(self, comm: Communication, now: datetime) -> Communication:
        with self.write():
            cur = self.conn.execute(
                """INSERT INTO communications (customer, ticket_id, at, operator, channel, direction, contact,
                       summary, promised_at, tells_of_miss, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [comm.customer, comm.ticket_id, iso(comm.at), comm.operator, comm.channel, comm.direction,
                 comm.contact, comm.summary, iso(comm.promised_at), int(comm.tells_of_miss), iso(now)],
            )
        return comm.model_copy(update={"id": cur.lastrowid})

    def communications(self, *, ticket_id: int | None = None, customer: str | None = None) -> list[Communication]:
        where: list[str] = []
        params: list[object] = []
        if ticket_id is not None:
            where.append("ticket_id = ?")
            params.append(ticket_id)
        if customer is not None:
            where.append("customer = ?")
            params.append(customer)
        sql = """SELECT id, customer, ticket_id, at, operator, channel, direction, contact, summary, promised_at,
                        tells_of_miss FROM communications"""
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.conn.execute(sql + " ORDER BY at DESC, id DESC", params)
        return [
            Communication(
                id=r[0], customer=r[1], ticket_id=r[2], at=datetime.fromisoformat(r[3]), operator=r[4],
                channel=r[5], direction=r[6], contact=r[7], summary=r[8], promised_at=_parse_time(r[9]),
                tells_of_miss=bool(r[10]),
            )
            for r in rows
        ]

    def record_outcomes(self, ticket_id: int, outcomes: Iterable[dict[str, Any]], now: datetime) -> None:
        """Write down stopped clocks' outcomes (replacing an earlier stop of a
        reopened ticket), inside the caller's transaction. Each carries the ticket's
        customer and service, the stop's local day in the ticket's zone and the
        calendar seconds from start to stop, for the reports."""
        owner = self.conn.execute("SELECT customer, service, tz FROM tickets WHERE id = ?", [ticket_id]).fetchone()
        customer, service, tz = owner if owner else (None, None, "Etc/UTC")
        for o in outcomes:
            stopped, started = _utc_text(o["stopped_at"]), _utc_text(o["started_at"])
            assert stopped is not None and started is not None
            span = int((datetime.fromisoformat(stopped) - datetime.fromisoformat(started)).total_seconds())
            self.conn.execute(
                """INSERT INTO clock_outcomes (ticket_id, clock, met, stopped_at, due, target, target_seconds,
                       used_seconds, late_seconds, paused_seconds, contract_id, contract_version, level, priority,
                       justification, recorded_at, pauses, started_at, customer, service, local_day, span_seconds)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(ticket_id, clock) DO UPDATE SET met = excluded.met, stopped_at = excluded.stopped_at,
                       due = excluded.due, target = excluded.target, target_seconds = excluded.target_seconds,
                       used_seconds = excluded.used_seconds, late_seconds = excluded.late_seconds,
                       paused_seconds = excluded.paused_seconds, contract_id = excluded.contract_id,
                       contract_version = excluded.contract_version, level = excluded.level,
                       priority = excluded.priority, justification = excluded.justification,
                       recorded_at = excluded.recorded_at, pauses = excluded.pauses,
                       started_at = excluded.started_at, customer = excluded.customer, service = excluded.service,
                       local_day = excluded.local_day, span_seconds = excluded.span_seconds""",
                [ticket_id, o["clock"], int(o["met"]), stopped, _utc_text(o["due"]), o["target"], o["target_seconds"],
                 o["used_seconds"], o["late_seconds"], o["paused_seconds"], o.get("contract_id"),
                 o["contract_version"], o["level"], o["priority"], o.get("justification", ""), iso(now),
                 json.dumps(o.get("pauses", {}), sort_keys=True), started, customer, service, local_day(stopped, tz), span],
            )

    def clear_outcomes(self, ticket_id: int, clocks: Iterable[str]) -> None:
        for clock in clocks:
            self.conn.execute("DELETE FROM clock_outcomes WHERE ticket_id = ? AND clock = ?", [ticket_id, clock])

    def report_opened(self, start: datetime, end: datetime, customer: str | None = None) -> list[tuple[Any, ...]]:
        """Calls reported in [start, end), as tuples (no models: a year is 100,000 rows):
        (id, customer, service, priority, contract_id, billable, estimate_hours, reported_at)."""
        sql = """SELECT id, customer, service, priority, contract_id, billable, estimate_hours, reported_at
                 FROM tickets WHERE reported_at >= ? AND reported_at < ?"""
        return self._report(sql, start, end, customer, "customer")

    def report_resolved(self, start: datetime, end: datetime, customer: str | None = None) -> list[tuple[Any, ...]]:
        """Calls resolved in [start, end): (id, customer, service, priority, contract_id, resolved_at)."""
        sql = """SELECT id, customer, service, priority, contract_id, resolved_at FROM tickets
                 WHERE resolved_at >= ? AND resolved_at < ?"""
        return self._report(sql, start, end, customer, "customer")

    def report_outcomes(self, start: datetime, end: datetime, customer: str | None = None) -> list[OutcomeRow]:
        """Response and resolution clocks stopped in [start, end), one
        :class:`OutcomeRow` each."""
        sql = """SELECT o.ticket_id, o.clock, o.met, o.stopped_at,
                        CAST(strftime('%s', o.stopped_at) AS INTEGER) - CAST(strftime('%s', o.started_at) AS INTEGER),
                        o.target, o.used_seconds,
                        o.late_seconds, o.paused_seconds, o.pauses, o.level, o.priority, o.justification,
                        t.customer, t.service, t.title, o.contract_id
                 FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id
                 WHERE o.stopped_at >= ? AND o.stopped_at < ? AND o.clock != 'plan'"""
        return [OutcomeRow(*row) for row in self._report(sql, start, end, customer, "t.customer")]

    # ---------------------------------------------------------------- grouped report queries
    #
    # A report counts each call in the periods of its own zone (the customer's, as
    # recorded on the call). ``edges`` maps each zone to the UTC instants (ISO text,
    # ascending) at which the report's periods begin, the last one being the end of
    # the report; a row's period is its index among them, found by SQLite itself, so
    # a year of 100,000 calls comes back as a few hundred groups.

    @staticmethod
    def _bucket(column: str, zone_column: str, edges: Mapping[str, Sequence[str]]) -> tuple[str, list[Any]]:
        """A CASE expression giving the index of ``column``'s period in its zone
        (NULL outside the report), and its parameters."""
        parts, params = [], []
        for zone, bounds in edges.items():
            steps = " ".join(f"WHEN {column} < ? THEN {i}" for i in range(len(bounds) - 1))
            parts.append(f"WHEN ? THEN (CASE WHEN {column} < ? THEN NULL {steps} END)")
            params += [zone, bounds[0], *bounds[1:]]
        return f"(CASE {zone_column} {' '.join(parts)} END)", params

    def report_zones(self, customer: str | None = None) -> list[str]:
        """The zones the calls (of ``customer``) were recorded in."""
        if customer is not None:
            return [row[0] for row in self.conn.execute("SELECT DISTINCT tz FROM tickets WHERE customer = ?", [customer])]
        # From one zone to the next along the index: a handful of steps, not a scan.
        sql = """WITH RECURSIVE z(tz) AS (SELECT MIN(tz) FROM tickets
                     UNION ALL SELECT (SELECT MIN(tz) FROM tickets WHERE tz > z.tz) FROM z WHERE z.tz IS NOT NULL)
                 SELECT tz FROM z WHERE tz IS NOT NULL"""
        return [row[0] for row in self.conn.execute(sql)]

    def _grouped(self, select: str, source: str, column: str, zone_column: str, customer_column: str,
                 edges: Mapping[str, Sequence[str]], customer: str | None, extra_where: str = "",
                 outer: str = "", tail: str = "") -> list[tuple[Any, ...]]:
        if not edges:
            return []
        bucket, bucket_params = self._bucket(column, zone_column, edges)
        where = f"{column} >= ? AND {column} < ?" + extra_where
        params: list[Any] = [*bucket_params, min(b[0] for b in edges.values()), max(b[-1] for b in edges.values())]
        if customer is not None:
            where += f" AND {customer_column} = ?"
            params.append(customer)
        sql = (f"SELECT {outer or '*'} FROM (SELECT {bucket} AS period, {select} FROM {source} WHERE {where}) AS g "
               f"WHERE period IS NOT NULL {tail}")
        return self.conn.execute(sql, params).fetchall()

    def report_opened_groups(self, edges: Mapping[str, Sequence[str]], customer: str | None = None, *,
                             by_service: bool = False, by_priority: bool = False) -> list[ReportGroup]:
        """Calls reported in the report's periods, grouped by period, customer,
        contract (and service, priority when asked): (count, billable calls, their
        hours, ticket numbers)."""
        service = "service" if by_service else "NULL"
        priority = "priority" if by_priority else "NULL"
        rows = self._grouped(
            f"customer, {service} AS service, {priority} AS priority, contract_id, NULL AS level, NULL AS clock, "
            "NULL AS met, 1 AS n, billable, CASE WHEN billable <> 0 THEN COALESCE(estimate_hours, 0) ELSE 0 END AS hours, "
            "id, NULL AS used, NULL AS span, 0 AS paused, NULL AS pauses",
            "tickets", "reported_at", "tz", "customer", edges, customer,
            outer=_GROUP_OUTER, tail=_GROUP_BY)
        return [ReportGroup(*r) for r in rows]

    def report_resolved_groups(self, edges: Mapping[str, Sequence[str]], customer: str | None = None, *,
                               by_service: bool = False, by_priority: bool = False) -> list[ReportGroup]:
        """Calls resolved in the report's periods, grouped as :meth:`report_opened_groups`."""
        service = "service" if by_service else "NULL"
        priority = "priority" if by_priority else "NULL"
        rows = self._grouped(
            f"customer, {service} AS service, {priority} AS priority, contract_id, NULL AS level, NULL AS clock, "
            "NULL AS met, 1 AS n, 0 AS billable, 0 AS hours, id, NULL AS used, NULL AS span, 0 AS paused, NULL AS pauses",
            "tickets", "resolved_at", "tz", "customer", edges, customer,
            outer=_GROUP_OUTER, tail=_GROUP_BY)
        return [ReportGroup(*r) for r in rows]

    def report_outcome_groups(self, days: Sequence[str], customer: str | None = None, *,
                              by_service: bool = False, by_priority: bool = False) -> list[ReportGroup]:
        """Clocks (response, plan, resolution) stopped in the report's periods, by
        period, customer, contract, level, clock and met (and service, priority when
        asked): business and calendar seconds used, time paused and why.

        ``days`` are the local dates (ISO text, ascending) at which the periods begin,
        the last one the end of the report: a clock counts on the day it stopped in
        its customer's zone, as recorded with it."""
        if len(days) < 2:
            return []
        service = "service" if by_service else "NULL"
        priority = "priority" if by_priority else "NULL"
        steps = " ".join(f"WHEN local_day < ? THEN {i}" for i in range(len(days) - 1))
        where = "local_day >= ? AND local_day < ?" + (" AND customer = ?" if customer is not None else "")
        sql = f"""SELECT CASE {steps} END AS period, customer, {service} AS service, {priority} AS priority,
                         contract_id, level, clock, met, COUNT(*), 0, 0, group_concat(ticket_id),
                         group_concat(used_seconds), group_concat(span_seconds), SUM(paused_seconds),
                         '[' || group_concat(CASE WHEN paused_seconds > 0 THEN pauses END) || ']'
                  FROM clock_outcomes WHERE {where} {_GROUP_BY}"""
        params: list[Any] = [*days[1:], days[0], days[-1], *([customer] if customer is not None else [])]
        return [ReportGroup(*r) for r in self.conn.execute(sql, params)]

    # ---------------------------------------------------------------- kept report months
    #
    # The grouped sums of a whole local month (opened, resolved, stopped clocks, by
    # every key) are kept in report_cells once a report has read them, and dropped by
    # triggers as soon as a row of that month changes. A report reads kept months
    # from there and only the rest from the tickets and outcomes.

    def report_months_ready(self, months: Sequence[str], now: datetime) -> set[str]:
        """Which of ``months`` (``YYYY-MM``) have their sums kept, keeping those
        missing first when the database can be written (a read-only store reads
        them from the rows instead)."""
        if not months:
            return set()
        marks = ",".join("?" * len(months))
        ready = {r[0] for r in self.conn.execute(f"SELECT month FROM report_months WHERE month IN ({marks})", list(months))}
        missing = sorted(m for m in months if m not in ready)
        if not missing or self.conn.in_transaction:
            return ready
        try:
            with self._brief_write():
                # Built inside the write lock: no change can land between reading
                # the rows and marking the months kept.
                marks = ",".join("?" * len(missing))
                done = {r[0] for r in self.conn.execute(f"SELECT month FROM report_months WHERE month IN ({marks})", missing)}
                self._keep_months([m for m in missing if m not in done], now)
            ready.update(missing)
        except StoreError:
            pass  # read-only for us, or locked by a long write: the rows are read instead
        return ready

    @contextmanager
    def _brief_write(self) -> Iterator[None]:
        """A write transaction that waits only briefly for another writer (a
        report never waits long: it reads the rows instead); StoreError when it
        cannot write now."""
        self.conn.execute(f"PRAGMA busy_timeout = {min(KEEP_WAIT_MS, BUSY_TIMEOUT_MS)}")
        try:
            with write_transaction(self.conn, attempts=1):
                yield
        except sqlite3.OperationalError as err:
            if error_kind(err) in ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY"):
                raise StoreError(f"{self.path} cannot be written now ({error_kind(err)})") from None
            raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @staticmethod
    def _runs(months: Iterable[str]) -> list[list[str]]:
        """Ascending ``months`` as runs of consecutive months."""
        runs: list[list[str]] = []
        for month in sorted(months):
            if runs and next_month(runs[-1][-1]) == month:
                runs[-1].append(month)
            else:
                runs.append([month])
        return runs

    def _month_cells(self, run: Sequence[str]) -> list[tuple[Any, ...]]:
        """The report_cells rows of a run of consecutive months, read from the
        calls and stopped clocks with one query of each kind."""
        days = [f"{m}-01" for m in [*run, next_month(run[-1])]]
        edges = {z: [local_midnight_utc(d, z) for d in days] for z in self.report_zones()}
        kinds = (("opened", self.report_opened_groups(edges, by_service=True, by_priority=True)),
                 ("resolved", self.report_resolved_groups(edges, by_service=True, by_priority=True)),
                 ("outcome", self.report_outcome_groups(days, by_service=True, by_priority=True)))
        return [(kind, run[g.period], *g[1:15], g.pauses[1:-1] if g.pauses else None) for kind, groups in kinds for g in groups]

    def keep_past_months(self) -> list[str]:
        """Keep the sums of every month that has calls, before the month of the
        latest change to a call (the one still being worked on), that is not kept
        yet (after an upgrade); which ones."""
        first, last = self.conn.execute("SELECT MIN(reported_at), MAX(updated_at) FROM tickets").fetchone()
        if first is None:
            return []
        now = datetime.fromisoformat(last)
        # From the first call's month in the zone furthest behind UTC.
        month, current, months = local_day(first, "Etc/GMT+12")[:7], now.astimezone(UTC).strftime("%Y-%m"), []
        while month < current:
            months.append(month)
            month = next_month(month)
        before = set(self.kept_months())
        return sorted(self.report_months_ready(months, now) - before)

    def kept_months(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT month FROM report_months ORDER BY month")]

    def _keep_months(self, months: Sequence[str], now: datetime) -> None:
        for run in self._runs(months):
            marks = ",".join("?" * len(run))
            self.conn.execute(f"DELETE FROM report_cells WHERE month IN ({marks})", run)
            self.conn.executemany("INSERT INTO report_cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  self._month_cells(run))
            self.conn.executemany("INSERT INTO report_months VALUES (?, ?)", [(m, iso(now)) for m in run])

    def kept_months_astray(self) -> list[str]:
        """The kept months whose sums are not what their calls and stopped clocks
        add up to now (for ``check``: reports would show other figures)."""
        with self.read():
            kept = self.kept_months()
            astray = []
            for run in self._runs(kept):
                marks = ",".join("?" * len(run))
                stored = self.conn.execute(f"SELECT * FROM report_cells WHERE month IN ({marks})", run).fetchall()
                fresh: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
                held: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
                for rows, into in ((self._month_cells(run), fresh), (stored, held)):
                    for row in rows:
                        into[row[1]].append(_cell_key(row))
                astray += [m for m in run if sorted(fresh[m], key=repr) != sorted(held[m], key=repr)]
        return astray

    def forget_kept_months(self) -> int:
        """Drop every kept month (each is read from the rows again, and kept anew,
        by the next report); how many there were."""
        with self.write():
            n = self.conn.execute("DELETE FROM report_months").rowcount
            self.conn.execute("DELETE FROM report_cells")
        return n

    def report_kept_groups(self, kind: str, months: Sequence[str], customer: str | None = None, *,
                           by_service: bool = False, by_priority: bool = False) -> list[ReportGroup]:
        """The kept sums of ``kind`` ('opened', 'resolved' or 'outcome') in
        ``months``, grouped like the grouped report queries; a group's period is
        its month's index in ``months``."""
        if not months:
            return []
        index = {m: i for i, m in enumerate(months)}
        service = "service" if by_service else "NULL"
        priority = "priority" if by_priority else "NULL"
        where = f"kind = ? AND month IN ({','.join('?' * len(months))})" + (" AND customer = ?" if customer is not None else "")
        sql = f"""SELECT month, customer, {service}, {priority}, contract_id, level, clock, met, SUM(calls),
                         SUM(billable), SUM(hours), group_concat(ids), group_concat(used), group_concat(span),
                         SUM(paused), '[' || group_concat(pauses) || ']'
                  FROM report_cells WHERE {where} {_GROUP_BY}"""
        params: list[Any] = [kind, *months, *([customer] if customer is not None else [])]
        return [ReportGroup(index[r[0]], *r[1:]) for r in self.conn.execute(sql, params)]

    def report_misses(self, days: Sequence[str], customer: str | None = None, limit: int = 10) -> list[OutcomeRow]:
        """The ``limit`` response and resolution targets missed by most on the local
        days [``days[0]``, ``days[-1]``), most late first (a missed plan is counted,
        not listed)."""
        # Read along the index of misses, most late first, until ``limit`` are found
        # (``|| ''`` keeps the engine from reading by day and sorting a year of rows).
        where = "o.local_day || '' >= ? AND o.local_day || '' < ? AND o.met = 0 AND o.clock != 'plan'"
        params: list[Any] = [days[0], days[-1]]
        if customer is not None:
            where += " AND o.customer = ?"
            params.append(customer)
        sql = f"""SELECT o.ticket_id, o.clock, o.met, o.stopped_at, o.span_seconds, o.target, o.used_seconds,
                         o.late_seconds, o.paused_seconds, o.pauses, o.level, o.priority, o.justification,
                         o.customer, o.service, t.title, o.contract_id
                  FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id
                  WHERE {where} ORDER BY o.late_seconds DESC, o.ticket_id, o.clock LIMIT ?"""
        return [OutcomeRow(*r) for r in self.conn.execute(sql, [*params, int(limit)])]

    def _report(self, sql: str, start: datetime, end: datetime, customer: str | None, column: str) -> list[tuple[Any, ...]]:
        params: list[Any] = [iso(start), iso(end)]
        if customer is not None:
            sql += f" AND {column} = ?"
            params.append(customer)
        return self.conn.execute(sql, params).fetchall()

    def open_at(self, moment: datetime, customer: str | None = None, *, could_breach: bool = False) -> list[tuple[Ticket, str]]:
        """Calls that were open at ``moment``: reported before, not resolved by then.

        With ``could_breach``, only those whose clocks may have breached by then.
        Every write stores each clock's due instant; until the next write a running
        clock's due stays put and a paused one's only moves later, so a call last
        written by ``moment`` whose stored dues are all after it cannot have breached.
        Calls written after ``moment``, and calls with clocks but no stored dues, are
        kept (their clocks are replayed)."""
        where = "reported_at < ? AND (resolved_at IS NULL OR resolved_at > ?) AND (closed_at IS NULL OR closed_at > ?)"
        params: list[Any] = [iso(moment)] * 3
        if could_breach:
            where += """ AND (updated_at > ? OR (billable = 0 AND contract_id IS NOT NULL
                         AND ((response_due IS NULL AND plan_due IS NULL AND resolution_due IS NULL)
                              OR response_due <= ? OR plan_due <= ? OR resolution_due <= ?)))"""
            params += [iso(moment)] * 4
        if customer is not None:
            where += " AND customer = ?"
            params.append(customer)
        return self.ticket_rows_with_zone(where, params)

    # ---------------------------------------------------------------- mail

    def mail_seen(self, message_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM mail_messages WHERE message_id = ?", [message_id]).fetchone() is not None

    def mail_ticket(self, message_ids: Sequence[str]) -> int | None:
        """The call the latest of these messages (by Message-ID) belongs to."""
        ids = [m for m in message_ids if m][:100]
        if not ids:
            return None
        row = self.conn.execute(
            f"SELECT ticket_id FROM mail_messages WHERE message_id IN ({','.join('?' * len(ids))}) "
            "AND ticket_id IS NOT NULL ORDER BY id DESC LIMIT 1", ids).fetchone()
        return None if row is None else int(row[0])

    def record_mail(self, *, message_id: str, direction: str, disposition: str, received_at: datetime,
                    ticket_id: int | None = None, communication_id: int | None = None, customer: str | None = None,
                    sender: str = "", subject: str = "", sent_at: datetime | None = None, reason: str = "",
                    sender_name: str = "", body: str = "") -> int:
        """Record a message; its row's id."""
        with self.write():
            cur = self.conn.execute(
                """INSERT INTO mail_messages (message_id, direction, ticket_id, communication_id, customer, sender,
                       subject, sent_at, received_at, disposition, reason, sender_name, body)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [message_id, direction, ticket_id, communication_id, customer, sender, subject, iso(sent_at),
                 iso(received_at), disposition, reason, sender_name, body])
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def mail_message(self, mail_id: int) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM mail_messages WHERE id = ?", [mail_id])
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row))

    def unmatched_mail(self) -> list[dict[str, Any]]:
        """The messages no customer was found for, oldest first."""
        cur = self.conn.execute("SELECT * FROM mail_messages WHERE disposition = 'unmatched' ORDER BY received_at, id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def count_unmatched_mail(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM mail_messages WHERE disposition = 'unmatched'").fetchone()[0])

    def settle_mail(self, mail_id: int, *, disposition: str, reason: str, ticket_id: int | None = None,
                    customer: str | None = None) -> None:
        """What became of a message after it was recorded (an unmatched one given to a
        customer, or dismissed); its attachments follow it to the call."""
        with self.write():
            self.conn.execute("UPDATE mail_messages SET disposition = ?, reason = ?, ticket_id = ?, customer = ? "
                              "WHERE id = ?", [disposition, reason, ticket_id, customer, mail_id])
            if ticket_id is not None:
                self.conn.execute("UPDATE mail_attachments SET ticket_id = ? WHERE mail_id = ?", [ticket_id, mail_id])

    def add_mail_attachment(self, *, mail_id: int, ticket_id: int | None, filename: str, content_type: str,
                            size: int, sha256: str, content: bytes | None, refused: str = "") -> int:
        """Keep one attachment of a message (``content`` None when it was refused: ``refused`` says why)."""
        with self.write():
            cur = self.conn.execute(
                """INSERT INTO mail_attachments (mail_id, ticket_id, filename, content_type, size, sha256, content, refused)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [mail_id, ticket_id, filename, content_type, size, sha256, content, refused])
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    _ATTACHMENT = """SELECT a.id, a.mail_id, a.ticket_id, a.filename, a.content_type, a.size, a.sha256, a.refused,
                            m.received_at, m.communication_id FROM mail_attachments a JOIN mail_messages m ON m.id = a.mail_id"""

    @staticmethod
    def _attachment(row: Sequence[Any]) -> Attachment:
        return Attachment(id=int(row[0]), mail_id=int(row[1]), ticket_id=None if row[2] is None else int(row[2]),
                          filename=row[3], content_type=row[4], size=int(row[5]), sha256=row[6], refused=row[7],
                          received_at=datetime.fromisoformat(row[8]),
                          communication_id=None if row[9] is None else int(row[9]))

    def attachments(self, *, ticket_id: int | None = None, mail_id: int | None = None) -> list[Attachment]:
        """The attachments of a call's mail or of one message, in the order they came
        (without their content: see attachment_content)."""
        where, params = ("a.ticket_id = ?", [ticket_id]) if ticket_id is not None else ("a.mail_id = ?", [mail_id])
        return [self._attachment(r) for r in self.conn.execute(f"{self._ATTACHMENT} WHERE {where} ORDER BY a.id", params)]

    def communication_attachments(self, communication_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        """The attachments of the messages logged as these communications, by communication."""
        ids = list(dict.fromkeys(communication_ids))
        out: dict[int, list[Attachment]] = defaultdict(list)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self.conn.execute(f"{self._ATTACHMENT} WHERE m.communication_id IN ({','.join('?' * len(chunk))}) "
                                         "ORDER BY a.id", chunk):
                found = self._attachment(row)
                out[found.communication_id or 0].append(found)
        return dict(out)

    def mail_states(self, communication_ids: Sequence[int]) -> dict[int, MailState]:
        """How the mail sent as these log entries stands (queued, sending, sent,
        failed), by communication."""
        ids = list(dict.fromkeys(communication_ids))
        out: dict[int, MailState] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self.conn.execute(
                    "SELECT communication_id, id, status, attempts, next_attempt_at, last_error, sent_at, claimed_until "
                    f"FROM outbox WHERE communication_id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
                out[int(row[0])] = MailState(
                    outbox_id=int(row[1]), status=row[2], attempts=int(row[3]),
                    next_attempt_at=datetime.fromisoformat(row[4]), last_error=row[5],
                    sent_at=datetime.fromisoformat(row[6]) if row[6] else None,
                    claimed_until=datetime.fromisoformat(row[7]) if row[7] else None)
        return out

    def attachment(self, attachment_id: int) -> Attachment | None:
        row = self.conn.execute(f"{self._ATTACHMENT} WHERE a.id = ?", [attachment_id]).fetchone()
        return None if row is None else self._attachment(row)

    def attachment_content(self, attachment_id: int) -> bytes | None:
        """An attachment's bytes (None when it was refused or there is no such attachment)."""
        row = self.conn.execute("SELECT content FROM mail_attachments WHERE id = ?", [attachment_id]).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def mail_thread(self, ticket_id: int, direction: str | None = None) -> list[dict[str, Any]]:
        """The mail of a call, oldest first (message id, direction, sender): what a
        message about it answers and refers to."""
        where = "ticket_id = ?"
        params: list[Any] = [ticket_id]
        if direction is not None:
            where += " AND direction = ?"
            params.append(direction)
        cur = self.conn.execute(f"SELECT message_id, direction, sender, sender_name FROM mail_messages "
                                f"WHERE {where} ORDER BY id", params)
        return [{"message_id": r[0], "direction": r[1], "sender": r[2], "sender_name": r[3]} for r in cur]

    def mail_messages(self, ticket_id: int | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE ticket_id = ?", [ticket_id]) if ticket_id is not None else ("", [])
        cur = self.conn.execute(f"SELECT * FROM mail_messages {where} ORDER BY id", params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    # ---------------------------------------------------------------- the outbox

    # A query of due or claimed rows names the condition of the partial index
    # outbox_due as it is written there, so that SQLite reads the index, not the table.
    _OUTBOX = ("SELECT id, message_id, kind, ticket_id, communication_id, customer, recipients, subject, message, "
               "status, attempts, next_attempt_at, claimed_by, claimed_until, last_error, created_at, sent_at "
               "FROM outbox")

    def _outbox_rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def queue_mail(self, *, message_id: str, kind: str, recipients: Sequence[str], subject: str, message: str,
                   now: datetime, ticket_id: int | None = None, communication_id: int | None = None,
                   customer: str | None = None, sender: str = "") -> int:
        """A message to send after commit (in the caller's transaction, if any), due
        now, and its Message-ID recorded so that a reply finds its call; its id."""
        with self.write():
            cur = self.conn.execute(
                """INSERT INTO outbox (message_id, kind, ticket_id, communication_id, customer, recipients, subject,
                       message, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)""",
                [message_id, kind, ticket_id, communication_id, customer, json.dumps(list(recipients)), subject,
                 message, iso(now), iso(now)])
            self.record_mail(message_id=message_id, direction="out", disposition="queued", received_at=now,
                             ticket_id=ticket_id, communication_id=communication_id, customer=customer,
                             sender=sender, subject=subject)
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def claim_mail(self, now: datetime, claimed_by: str, claimed_until: datetime) -> dict[str, Any] | None:
        """The next due message, now ``sending`` and ours until ``claimed_until``;
        None when nothing is due. Two senders never claim one message: the claim is
        a conditional update, and only the one whose update changed the row has it."""
        with self.write():
            while True:
                row = self.conn.execute(
                    "SELECT id FROM outbox WHERE status IN ('queued', 'sending') AND status = 'queued' "
                    "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1", [iso(now)]).fetchone()
                if row is None:
                    return None
                cur = self.conn.execute(
                    "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_until = ? "
                    "WHERE id = ? AND status = 'queued'", [claimed_by, iso(claimed_until), row[0]])
                if cur.rowcount == 1:
                    return self._outbox_rows(self._OUTBOX + " WHERE id = ?", [row[0]])[0]

    def mail_sent(self, outbox_id: int, claimed_by: str, now: datetime, *, reply: str = "", refused: str = "") -> bool:
        """Our claimed message went out (``reply``: what the server said; ``refused``:
        the recipients it would not take, if any); False when it was not ours."""
        with self.write():
            cur = self.conn.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL, last_error = ?, "
                "attempts = attempts + 1 WHERE id = ? AND status = 'sending' AND claimed_by = ?",
                [iso(now), refused, outbox_id, claimed_by])
            if cur.rowcount != 1:
                return False
            self.conn.execute("UPDATE mail_messages SET disposition = 'sent', sent_at = ?, reason = ? WHERE "
                              "message_id = (SELECT message_id FROM outbox WHERE id = ?)",
                              [iso(now), "; ".join(filter(None, [reply, refused])), outbox_id])
            return True

    def mail_not_sent(self, outbox_id: int, claimed_by: str, *, error: str, next_attempt_at: datetime,
                      failed: bool) -> bool:
        """Our claimed message did not go out: queued again for ``next_attempt_at``,
        or ``failed`` (kept for an operator); False when it was not ours."""
        status = "failed" if failed else "queued"
        with self.write():
            cur = self.conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
                "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'sending' AND claimed_by = ?",
                [status, error, iso(next_attempt_at), outbox_id, claimed_by])
            if cur.rowcount != 1:
                return False
            self.conn.execute("UPDATE mail_messages SET disposition = ?, reason = ? WHERE "
                              "message_id = (SELECT message_id FROM outbox WHERE id = ?)", [status, error, outbox_id])
            return True

    def stale_mail(self, now: datetime) -> list[dict[str, Any]]:
        """Messages left ``sending`` by a sender whose claim has run out (it died
        mid-send: the message may or may not have gone)."""
        return self._outbox_rows(self._OUTBOX + " WHERE status IN ('queued', 'sending') AND status = 'sending' "
                                 "AND claimed_until < ? ORDER BY id", [iso(now)])

    def requeue_mail(self, outbox_id: int, now: datetime) -> str | None:
        """An operator's retry: a ``failed`` message, or one left ``sending`` with a
        claim run out, queued again (due now, attempts from 0). The status it had,
        or None when there is no such message; nothing changes for any other status."""
        with self.write():
            row = self.conn.execute("SELECT status, claimed_until FROM outbox WHERE id = ?", [outbox_id]).fetchone()
            if row is None:
                return None
            status, until = row
            stale = status == "sending" and until is not None and _parse_time(until) < now  # type: ignore[operator]
            if status == "failed" or stale:
                self.conn.execute("UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ?, "
                                  "claimed_by = NULL, claimed_until = NULL WHERE id = ?", [iso(now), outbox_id])
                self.conn.execute("UPDATE mail_messages SET disposition = 'queued' WHERE "
                                  "message_id = (SELECT message_id FROM outbox WHERE id = ?)", [outbox_id])
            return str(status) + (" (stale)" if stale else "")

    def outbox(self, *, everything: bool = False, limit: int = 1000) -> list[dict[str, Any]]:
        """The messages not yet sent (with ``everything`` the sent ones too), newest first."""
        where = "" if everything else " WHERE status IN ('queued', 'sending', 'failed')"
        return self._outbox_rows(self._OUTBOX + where + " ORDER BY id DESC LIMIT ?", [limit])

    def outbox_message(self, outbox_id: int) -> dict[str, Any] | None:
        rows = self._outbox_rows(self._OUTBOX + " WHERE id = ?", [outbox_id])
        return rows[0] if rows else None

    def queued_mail(self) -> int:
        """Messages queued (due now or later), read from the index outbox_due."""
        return int(self.conn.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending') "
                                     "AND status = 'queued'").fetchone()[0])

    def unsent_mail(self) -> int:
        """Messages queued, being sent or failed: the board's count, read from the
        partial indexes outbox_due and outbox_failed (sent mail is never scanned)."""
        waiting = self.conn.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')").fetchone()[0]
        failed = self.conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").fetchone()[0]
        return int(waiting) + int(failed)

    # ---------------------------------------------------------------- time entries and billing

    _TIME = ("id", "ticket_id", "customer", "operator", "started_at", "ended_at", "minutes", "note", "billable",
             "billable_reason", "period")

    def add_time_entry(self, values: dict[str, Any]) -> int:
        """A new entry (a running timer without end and minutes); its id. StoreError
        when its month is closed for billing (the database refuses it)."""
        with self.write():
            try:
                cur = self.conn.execute(
                    """INSERT INTO time_entries (ticket_id, customer, operator, started_at, ended_at, minutes, note,
                           billable, billable_reason, period, created_at, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [values["ticket_id"], values["customer"], values["operator"], iso(values["started_at"]),
                     iso(values["ended_at"]), values["minutes"], values["note"],
                     None if values["billable"] is None else int(values["billable"]), values["billable_reason"],
                     values["period"], iso(values["now"]), iso(values["now"])])
            except Exception as err:  # the closed-month trigger, on either engine
                if "billing period is closed" in str(err):
                    raise StoreError("the billing period is closed") from None
                raise
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def finish_time_entry(self, entry_id: int, ended_at: datetime, minutes: int, note: str, now: datetime) -> None:
        with self.write():
            try:
                self.conn.execute("UPDATE time_entries SET ended_at = ?, minutes = ?, note = ?, updated_at = ? "
                                  "WHERE id = ?", [iso(ended_at), minutes, note, iso(now), entry_id])
            except Exception as err:
                if "billing period is closed" in str(err):
                    raise StoreError("the billing period is closed") from None
                raise

    def time_entry(self, entry_id: int) -> dict[str, Any] | None:
        rows = self.time_entries_of(entry_id=entry_id)
        return rows[0] if rows else None

    def time_entries_of(self, *, entry_id: int | None = None, ticket_id: int | None = None,
                        operator: str | None = None, period: str | None = None, customer: str | None = None,
                        running: bool | None = None,
                        overlapping: tuple[datetime, datetime] | None = None) -> list[dict[str, Any]]:
        """Entries as rows, in the order the work was done (start, then id)."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, value in (("id", entry_id), ("ticket_id", ticket_id), ("operator", operator),
                              ("period", period), ("customer", customer)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if running is not None:
            where.append("ended_at IS NULL" if running else "ended_at IS NOT NULL")
        if overlapping is not None:
            where.append("ended_at IS NOT NULL AND started_at < ? AND ended_at > ?")
            params += [iso(overlapping[1]), iso(overlapping[0])]
        cur = self.conn.execute(f"SELECT {', '.join(self._TIME)} FROM time_entries WHERE {' AND '.join(where)} "
                                "ORDER BY started_at, id", params)
        return [dict(zip(self._TIME, row)) for row in cur]

    def set_time_entry_billable(self, entry_id: int, billable: bool | None, reason: str, now: datetime) -> None:
        with self.write():
            try:
                self.conn.execute("UPDATE time_entries SET billable = ?, billable_reason = ?, updated_at = ? "
                                  "WHERE id = ?", [None if billable is None else int(billable), reason, iso(now),
                                                   entry_id])
            except Exception as err:
                if "billing period is closed" in str(err):
                    raise StoreError("the billing period is closed") from None
                raise

    def billing_entries(self, periods: Sequence[str], customer: str | None = None) -> list[dict[str, Any]]:
        """Finished entries of these months with their call's service and title, in
        the order the work was done: what a bill is made of."""
        if not periods:
            return []
        columns = [f"e.{c}" for c in self._TIME] + ["t.service", "t.title"]
        where = f"e.period IN ({', '.join('?' for _ in periods)}) AND e.ended_at IS NOT NULL"
        params: list[Any] = list(periods)
        if customer is not None:
            where += " AND e.customer = ?"
            params.append(customer)
        cur = self.conn.execute(f"SELECT {', '.join(columns)} FROM time_entries e JOIN tickets t ON t.id = e.ticket_id "
                                f"WHERE {where} ORDER BY e.started_at, e.id", params)
        names = [*self._TIME, "service", "title"]
        return [dict(zip(names, row)) for row in cur]

    def contract_definitions(self, customer: str | None = None) -> list[tuple[Contract, ContractDef]]:
        """Current contracts with their definitions as written (billing terms and all)."""
        sql = "SELECT id, version, current, terms, definition FROM contracts WHERE current = 1"
        params: list[Any] = []
        if customer is not None:
            sql += " AND customer = ?"
            params.append(customer)
        return [(self._contract(row), ContractDef.model_validate_json(row[4]))
                for row in self.conn.execute(sql + " ORDER BY valid_from, version", params)]

    def billing_period(self, period: str) -> dict[str, Any] | None:
        """A closed month: when, by whom, and its figures as they were closed."""
        row = self.conn.execute("SELECT period, closed_at, closed_by, figures FROM billing_periods WHERE period = ?",
                                [period]).fetchone()
        return None if row is None else {"period": row[0], "closed_at": row[1], "closed_by": row[2],
                                         "figures": json.loads(row[3])}

    def close_billing_period(self, period: str, closed_by: str, figures: dict[str, Any], now: datetime) -> None:
        """Close a month; StoreError when it is closed already."""
        with self.write():
            if self.conn.execute("SELECT 1 FROM billing_periods WHERE period = ?", [period]).fetchone():
                raise StoreError(f"{period} is closed already")
            self.conn.execute("INSERT INTO billing_periods (period, closed_at, closed_by, figures) VALUES (?, ?, ?, ?)",
                              [period, iso(now), closed_by, json.dumps(figures, sort_keys=True)])

    # ---------------------------------------------------------------- escalations

    _ESCALATION = ("id", "ticket_id", "clock", "threshold", "instant", "queued_at", "queued_by", "recipients", "sent",
                   "note")

    def escalation_told(self, ticket_id: int, clock: str, threshold: str, instant: datetime) -> bool:
        """Whether this threshold was told at or after ``instant``: then it is not
        told again (a deadline moved later re-arms it; one moved earlier does not)."""
        return self.conn.execute(
            "SELECT 1 FROM escalations WHERE ticket_id = ? AND clock = ? AND threshold = ? AND queued_at >= ? LIMIT 1",
            [ticket_id, clock, threshold, iso(instant)]).fetchone() is not None

    def add_escalation(self, values: dict[str, Any]) -> int:
        """Record an escalation as queued; StoreError("told already") when another
        watcher recorded the same instant first (the unique key)."""
        with self.write():
            try:
                cur = self.conn.execute(
                    "INSERT INTO escalations (ticket_id, clock, threshold, instant, queued_at, queued_by, recipients, "
                    "sent, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [values["ticket_id"], values["clock"], values["threshold"], iso(values["instant"]),
                     iso(values["queued_at"]), values["queued_by"], json.dumps(values["recipients"]),
                     1 if values.get("sent", True) else 0, values.get("note", "")])
            except Exception as err:
                if "unique" in str(err).lower():
                    raise StoreError("told already") from None
                raise
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def escalations_of(self, ticket_id: int) -> list[dict[str, Any]]:
        """A call's escalations, sent or not, in the order they were recorded."""
        cur = self.conn.execute(f"SELECT {', '.join(self._ESCALATION)} FROM escalations WHERE ticket_id = ? "
                                "ORDER BY queued_at, id", [ticket_id])
        rows = [dict(zip(self._ESCALATION, row)) for row in cur]
        for row in rows:
            row["recipients"] = json.loads(row["recipients"])
            row["sent"] = bool(row["sent"])
        return rows

    def any_escalations(self) -> bool:
        return self.conn.execute("SELECT 1 FROM escalations LIMIT 1").fetchone() is not None

    def escalated_outcomes(self, bounds: Mapping[str, tuple[str, str]],
                           customer: str | None = None) -> tuple[int, int]:
        """Of the response and resolution clocks stopped in the period (each call in
        the period of its own zone: ``bounds`` maps a zone to its [start, end),
        stored UTC ISO text) that had a warning or critical escalation sent before
        they fell due: how many missed their target, and how many met it. Driven
        from the escalations, so it costs what they number, not the period's calls."""
        if not bounds:
            return 0, 0
        zones = " OR ".join("(t.tz = ? AND o.stopped_at >= ? AND o.stopped_at < ?)" for _ in bounds)
        params: list[Any] = [v for zone, (a, b) in bounds.items() for v in (zone, a, b)]
        sql = f"""SELECT o.met, COUNT(*)
                  FROM (SELECT DISTINCT ticket_id, clock FROM escalations
                        WHERE sent = 1 AND threshold IN ('warning', 'critical')) w
                  JOIN clock_outcomes o ON o.ticket_id = w.ticket_id AND o.clock = w.clock
                  JOIN tickets t ON t.id = o.ticket_id
                  WHERE o.clock != 'plan' AND ({zones})
                    AND EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = o.ticket_id AND e.clock = o.clock
                                AND e.sent = 1 AND e.threshold IN ('warning', 'critical') AND e.queued_at <= o.due)"""
        if customer is not None:
            sql += " AND t.customer = ?"
            params.append(customer)
        counts = {bool(met): int(n) for met, n in self.conn.execute(sql + " GROUP BY o.met", params)}
        return counts.get(False, 0), counts.get(True, 0)

    def escalated_open(self) -> dict[int, str]:
        """Open calls that were escalated: the last threshold sent, by call. Driven
        from the partial index of open calls (CROSS JOIN keeps SQLite's order), so a
        board's poll costs what the open calls number, not every escalation ever
        recorded (70 ms against 11 ms beside 150,000 of them)."""
        rows = self.conn.execute(
            "SELECT e.ticket_id, e.threshold, e.queued_at, e.id FROM tickets t CROSS JOIN escalations e "
            "WHERE t.status NOT IN ('resolved', 'closed') AND e.ticket_id = t.id AND e.sent = 1").fetchall()
        out: dict[int, str] = {}
        for ticket_id, threshold, _at, _id in sorted(rows, key=lambda row: (str(row[2]), int(row[3]))):
            out[int(ticket_id)] = str(threshold)
        return out

    _WEBHOOK = ("id", "webhook", "url", "payload", "ticket_id", "escalation_id", "status", "attempts",
                "next_attempt_at", "last_error", "created_at", "sent_at")

    def add_webhook_post(self, webhook: str, url: str, payload: str, now: datetime, *, ticket_id: int | None = None,
                         escalation_id: int | None = None) -> int:
        with self.write():
            cur = self.conn.execute(
                "INSERT INTO webhook_outbox (webhook, url, payload, ticket_id, escalation_id, status, next_attempt_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                [webhook, url, payload, ticket_id, escalation_id, iso(now), iso(now)])
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def webhook_posts(self, status: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(self._WEBHOOK)} FROM webhook_outbox"
        params: list[Any] = []
        if status is not None:
            sql += " WHERE status = ?"
            params.append(status)
        return [dict(zip(self._WEBHOOK, row)) for row in self.conn.execute(sql + " ORDER BY id", params)]

    def webhook_due(self, now: datetime) -> bool:
        return self.conn.execute("SELECT 1 FROM webhook_outbox WHERE status IN ('queued', 'sending') "
                                 "AND next_attempt_at <= ? LIMIT 1", [iso(now)]).fetchone() is not None

    def claim_webhook_post(self, now: datetime, claimed_by: str, claimed_until: datetime) -> dict[str, Any] | None:
        """The next due post, ours until ``claimed_until`` (a post left by a sender
        that stopped is due again once its claim has run out)."""
        with self.write():
            while True:
                row = self.conn.execute(
                    "SELECT id FROM webhook_outbox WHERE status IN ('queued', 'sending') AND next_attempt_at <= ? "
                    "AND (status = 'queued' OR claimed_until < ?) ORDER BY next_attempt_at, id LIMIT 1",
                    [iso(now), iso(now)]).fetchone()
                if row is None:
                    return None
                cur = self.conn.execute(
                    "UPDATE webhook_outbox SET status = 'sending', claimed_by = ?, claimed_until = ? "
                    "WHERE id = ? AND (status = 'queued' OR (status = 'sending' AND claimed_until < ?))",
                    [claimed_by, iso(claimed_until), row[0], iso(now)])
                if cur.rowcount == 1:
                    found = self.conn.execute(f"SELECT {', '.join(self._WEBHOOK)} FROM webhook_outbox WHERE id = ?",
                                              [row[0]]).fetchone()
                    return dict(zip(self._WEBHOOK, found))

    def webhook_done(self, post_id: int, claimed_by: str, now: datetime, *, error: str = "",
                     next_attempt_at: datetime | None = None, failed: bool = False) -> bool:
        """Our claimed post went out (no ``error``), is queued again for
        ``next_attempt_at``, or ``failed``; False when it was not ours."""
        status = "failed" if failed else "queued" if error else "sent"
        with self.write():
            cur = self.conn.execute(
                "UPDATE webhook_outbox SET status = ?, attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = COALESCE(?, next_attempt_at), sent_at = ?, claimed_by = NULL, claimed_until = NULL "
                "WHERE id = ? AND status = 'sending' AND claimed_by = ?",
                [status, error, iso(next_attempt_at), iso(now) if status == "sent" else None, post_id, claimed_by])
            return cur.rowcount == 1

    # ---------------------------------------------------------------- operators

    _OPERATOR = "SELECT name, password_hash IS NOT NULL, created_at, disabled_at, failed_logins, locked_until, last_login_at FROM operators"

    @staticmethod
    def _operator(row: Sequence[Any]) -> Operator:
        return Operator(name=row[0], has_password=bool(row[1]), created_at=row[2], disabled_at=row[3],
                        failed_logins=row[4], locked_until=row[5], last_login_at=row[6])

    def operators(self) -> list[Operator]:
        return [self._operator(r) for r in self.conn.execute(self._OPERATOR + " ORDER BY name")]

    def operator(self, name: str) -> Operator | None:
        row = self.conn.execute(self._OPERATOR + " WHERE name = ?", [name]).fetchone()
        return None if row is None else self._operator(row)

    def operator_password_hash(self, name: str) -> str | None:
        row = self.conn.execute("SELECT password_hash FROM operators WHERE name = ?", [name]).fetchone()
        return None if row is None else row[0]

    def add_operator(self, name: str, password_hash: str | None, now: datetime) -> None:
        """A new operator; StoreError when the name is taken."""
        with self.write():
            if self.conn.execute("SELECT 1 FROM operators WHERE name = ?", [name]).fetchone():
                raise StoreError(f"there is already an operator {name!r}")
            self.conn.execute("INSERT INTO operators (name, password_hash, created_at) VALUES (?, ?, ?)",
                              [name, password_hash, iso(now)])

    def update_operator(self, name: str, **fields: Any) -> None:
        """Set some of password_hash, disabled_at, failed_logins, locked_until and
        last_login_at; StoreError for an unknown operator."""
        allowed = {"password_hash", "disabled_at", "failed_logins", "locked_until", "last_login_at"}
        assert set(fields) <= allowed, fields
        values = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
        with self.write():
            cur = self.conn.execute(f"UPDATE operators SET {', '.join(f'{k} = ?' for k in fields)} WHERE name = ?",
                                    [*values, name])
            if cur.rowcount == 0:
                raise StoreError(f"there is no operator {name!r}; 'slaboard operator list' shows them")

    def failed_login(self, name: str, now: datetime, lock_after: int, lock_until: datetime) -> int:
        """Count a failed sign-in (one transaction, so two at once both count) and
        lock the operator at the ``lock_after``-th in a row; the count."""
        with self.write():
            self.conn.execute("UPDATE operators SET failed_logins = failed_logins + 1 WHERE name = ?", [name])
            row = self.conn.execute("SELECT failed_logins FROM operators WHERE name = ?", [name]).fetchone()
            if row is None:
                return 0
            if row[0] >= lock_after:
                self.conn.execute("UPDATE operators SET locked_until = ?, failed_logins = 0 WHERE name = ?",
                                  [iso(lock_until), name])
            return int(row[0])

    def all_contracts(self) -> dict[int, Contract]:
        """Every stored contract version by id (a handful per customer)."""
        return {r[0]: self._contract(r) for r in self.conn.execute("SELECT id, version, current, terms FROM contracts")}

    def outcomes(self, ticket_id: int) -> dict[str, dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM clock_outcomes WHERE ticket_id = ?", [ticket_id])
        names = [d[0] for d in cur.description]
        return {row[1]: dict(zip(names, row)) for row in cur}
