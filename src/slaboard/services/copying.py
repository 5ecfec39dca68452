"""``slaboard copy``: a whole database from one engine to the other (a SQLite file to
PostgreSQL when an MSP outgrows one host, and back for a test system).

Everything is copied with its numbers kept: the catalog, every contract version,
tickets, their events (the audit trail), the customer log, the stopped clocks and
the operators. The sums reports keep for whole months are not: the destination's
first report makes them again. The destination must be empty; it is written in one
transaction, so a copy that fails leaves it as empty as it was. Afterwards both
sides get the checks of ``slaboard check``, and the row counts and a digest of the
audit trail must agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from slaboard.services.maintenance import CheckReport, check
from slaboard.services.tickets import ServiceError
from slaboard.store import Store, StoreError

# In the order their references need.
TABLES = ("meta", "calendars", "levels", "services", "customers", "contracts", "tickets", "events",
          "communications", "clock_outcomes", "operators", "mail_messages",
          "outbox", "mail_attachments", "time_entries", "billing_periods", "escalations", "webhook_outbox")
BATCH = 2000


@dataclass
class CopyReport:
    source: str
    destination: str
    counts: dict[str, int] = field(default_factory=dict)
    trail: str = ""  # the digest of the audit trail, the same on both sides
    checks: list[CheckReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "destination": self.destination, "ok": self.ok, "counts": self.counts,
                "audit_trail_sha256": self.trail, "problems": self.problems,
                "checks": [c.to_dict() for c in self.checks]}


def _columns(store: Store, table: str) -> list[str]:
    cur = store.conn.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    return [d[0] for d in cur.description]


def counts(store: Store) -> dict[str, int]:
    return {t: int(store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}


def trail_digest(store: Store) -> str:
    """A digest of every event, in order, as the store gives it back (instants as
    UTC ISO text on both engines): two databases with the same audit trail agree."""
    digest = hashlib.sha256()
    cur = store.conn.execute("SELECT id, ticket_id, at, operator, kind, field, old, new, note, version "
                             "FROM events ORDER BY id")
    for row in cur:
        digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def _empty(store: Store) -> list[str]:
    return [t for t, n in counts(store).items() if n]


def copy_database(source: str | Path, destination: str | Path, now: datetime) -> CopyReport:
    """Copy ``source`` into the empty ``destination`` (see the module's notes)."""
    if str(source).strip() == str(destination).strip():
        raise ServiceError("copy: the source and the destination are the same database")
    try:
        src = Store.open(source, readonly=True)
    except StoreError as err:
        raise ServiceError(f"copy: the source: {err}") from None
    try:
        try:
            dst = Store.open(destination, create=True)
        except StoreError as err:
            raise ServiceError(f"copy: the destination: {err}") from None
        try:
            filled = _empty(dst)
            if filled:
                raise ServiceError(f"copy: {dst.path} is not empty (it has {', '.join(filled)}); "
                                   "give an empty database: nothing was copied")
            if src.schema_version() != dst.schema_version():
                raise ServiceError(f"copy: {src.path} has schema {src.schema_version()} and {dst.path} "
                                   f"{dst.schema_version()}; open the older one with this slaboard first")
            report = CopyReport(str(src.path), str(dst.path))
            with src.read(), dst.write():
                for table in TABLES:
                    _copy_table(src, dst, table)
                _after_copy(dst)
            _compare(src, dst, report, now)
            return report
        finally:
            dst.close()
    finally:
        src.close()


def _copy_table(src: Store, dst: Store, table: str) -> None:
    names = _columns(src, table)
    wanted = set(_columns(dst, table))
    missing = [n for n in names if n not in wanted]
    if missing:
        raise ServiceError(f"copy: {dst.path} has no column {table}.{missing[0]}; not copied")
    columns = ", ".join(names)
    marks = ", ".join("?" for _ in names)
    order = "id" if "id" in names else "1"
    cur = src.conn.execute(f"SELECT {columns} FROM {table} ORDER BY {order}")
    while True:
        rows: list[Any] = cur.fetchmany(BATCH)
        if not rows:
            break
        dst.conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _after_copy(dst: Store) -> None:
    """Numbers given by the database go on after the copied ones."""
    if dst.engine != "postgresql":
        return
    for table in ("contracts", "events", "communications", "mail_messages", "outbox", "mail_attachments",
                  "time_entries", "escalations", "webhook_outbox"):
        dst.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    dst.conn.execute("DELETE FROM report_months")  # the inserts' triggers did; made again by the first report


def _compare(src: Store, dst: Store, report: CopyReport, now: datetime) -> None:
    report.counts = counts(src)
    copied = counts(dst)
    for table, n in report.counts.items():
        if copied[table] != n:
            report.problems.append(f"{table}: {n} rows in the source, {copied[table]} in the copy")
    report.trail = trail_digest(src)
    if trail_digest(dst) != report.trail:
        report.problems.append("the audit trails differ")
    for store in (src, dst):
        checked = check(store, now)
        report.checks.append(checked)
        report.problems.extend(f"{store.path}: {p}" for p in checked.problems)
