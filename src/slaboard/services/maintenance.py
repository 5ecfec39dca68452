"""Keeping the shared file healthy: check it, back it up while boards run, restore
a copy only when nobody has the file open."""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from slaboard.services.audit import differences, out_of_order
from slaboard.services.clocks import clocks_for
from slaboard.services.tickets import ServiceError
from slaboard.store import Store, StoreError
from slaboard.store.files import backup_file, replace_unused, same_file, write_private


@dataclass
class CheckReport:
    """What `slaboard check` found; ``ok`` when nothing is wrong."""

    path: str
    schema_version: int = 0
    tickets: int = 0
    open_tickets: int = 0
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "ok": self.ok, "schema_version": self.schema_version, "tickets": self.tickets,
                "open_tickets": self.open_tickets, "checked": self.checked, "problems": self.problems}


def check(store: Store, now: datetime) -> CheckReport:
    """SQLite's integrity and foreign-key checks, the schema version, every open
    ticket's clocks recomputable, every stopped clock of a resolved call recorded
    (the reports read those outcomes), every ticket's events replaying to it, and
    no call resolved, closed or changed before it was reported, and the report
    sums kept for whole months what their calls add up to."""
    report = CheckReport(str(store.path))
    integrity = store.integrity_problems()
    report.problems.extend(f"integrity: {p}" for p in integrity)
    report.checked.append("integrity_check")
    report.problems.extend(f"foreign key: {p}" for p in store.foreign_key_problems())
    report.checked.append("foreign_key_check")
    report.schema_version = store.schema_version()
    report.checked.append(f"schema version {report.schema_version}")
    if integrity:
        return report  # the rest would read a damaged file
    contracts = store.all_contracts()
    for ticket, tz in store.open_tickets():
        report.open_tickets += 1
        contract = contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
        if ticket.contract_id is not None and contract is None:
            report.problems.append(f"#{ticket.id}: contract {ticket.contract_id} is missing")
            continue
        try:
            clocks_for(ticket, contract, tz, now)
        except Exception as err:  # the point of the check: report, don't stop
            report.problems.append(f"#{ticket.id}: clocks cannot be computed ({err})")
    report.checked.append("open tickets' clocks")
    resolved = store.resolved_tickets()
    recorded = store.outcomes_of([ticket.id for ticket, _ in resolved])
    for ticket, tz in resolved:
        contract = contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
        try:
            clocks = clocks_for(ticket, contract, tz, now)
        except Exception as err:  # the point of the check: report, don't stop
            report.problems.append(f"#{ticket.id}: clocks cannot be computed ({err})")
            continue
        for name, clock in clocks.items():
            if clock.stopped_at is not None and name not in recorded.get(ticket.id, {}):
                report.problems.append(f"#{ticket.id}: its {name} clock stopped at {clock.stopped_at.isoformat()} "
                                       "but no outcome is recorded, so reports leave it out")
    report.checked.append("every stopped clock of a resolved call has its outcome")
    for ticket, events in store.tickets_with_events():
        report.tickets += 1
        report.problems.extend(differences(ticket, events))
        report.problems.extend(out_of_order(ticket, events))
    report.checked.append("events replay to every ticket")
    report.checked.append("nothing happens to a call before it was reported")
    for month in store.kept_months_astray():
        report.problems.append(f"the report sums kept for {month} differ from its calls, so reports show other figures; "
                               "'slaboard check --forget-kept-sums' drops them")
    report.checked.append("the report sums kept for whole months")
    return report


def backup(store: Store, destination: Path, now: datetime) -> CheckReport:
    """An online copy (SQLite's backup API, or pg_dump for PostgreSQL: safe while
    boards write), checked."""
    if destination.is_symlink():
        raise ServiceError(f"{destination} is a symbolic link; give the name of a new file "
                           "(a backup is never written through a link)")
    if destination.exists():
        raise ServiceError(f"{destination} exists; give a new file name (a backup never overwrites)")
    if not destination.parent.exists():
        raise ServiceError(f"cannot write {destination}: the folder {destination.parent} does not exist")
    if store.engine == "postgresql":
        return _pg_dump(store, destination, now)
    try:
        backup_file(store.conn, destination)
    except StoreError as err:
        raise ServiceError(str(err)) from None
    with Store.open(destination) as copy:
        return check(copy, now)


def pg_program(name: str) -> str:
    """PostgreSQL's own ``pg_dump`` or ``pg_restore``: on the PATH, else the newest
    Debian puts in /usr/lib/postgresql."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise ServiceError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _pg_run(argv: list[str], **kw: object) -> None:
    """A PostgreSQL tool; its first line of complaint as a ServiceError."""
    kw.setdefault("stdout", subprocess.PIPE)
    done = subprocess.run(argv, stderr=subprocess.PIPE, text=True, check=False, **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
        why = lines[0].split(": ", 1)[-1] if lines else f"exit code {done.returncode}"
        raise ServiceError(f"{Path(argv[0]).name}: {why}")


def _pg_dump(store: Store, destination: Path, now: datetime) -> CheckReport:
    """pg_dump's custom format into a new file (private, named only when whole)."""
    url = getattr(store, "url")
    program = pg_program("pg_dump")

    def fill(fd: int, partial: Path) -> None:
        _pg_run([program, "--format=custom", "--no-owner", f"--dbname={url}"], stdout=fd)

    try:
        write_private(destination, None, fill, replace=False)
    except StoreError as err:
        raise ServiceError(str(err)) from None
    report = check(store, now)
    report.checked.append(f"pg_dump --format=custom to {destination}")
    return report


def restore_postgres(source: Path, url: str, now: datetime) -> CheckReport:
    """A pg_dump backup into the PostgreSQL database at ``url``, in one transaction
    (a failure leaves it as it was), then checked."""
    if not source.is_file():
        raise ServiceError(f"{source}: no such backup")
    program = pg_program("pg_restore")
    _pg_run([program, "--list", str(source)])  # a file that is no dump is said so before anything is changed
    with Store.open(url):  # the database is reachable and a slaboard one (or empty)
        pass
    _pg_run([program, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
             f"--dbname={url}", str(source)])
    with Store.open(url) as restored:
        return check(restored, now)


def restore(source: Path, database: Path, now: datetime) -> CheckReport:
    """Put a backup in place of the database, only when no process has it open."""
    if not source.exists():
        raise ServiceError(f"{source}: no such backup")
    with Store.open(source, readonly=True) as copy:  # a folder or a non-database is named as such first
        report = check(copy, now)
    if same_file(source, database):
        raise ServiceError(f"{source} is the database itself ({database}); give a backup file to restore from")
    if not report.ok:
        raise ServiceError(f"{source} fails its check ({report.problems[0]}); not restored")
    try:
        replace_unused(source, database)
    except StoreError as err:
        raise ServiceError(str(err)) from None
    with Store.open(database) as restored:
        return check(restored, now)

