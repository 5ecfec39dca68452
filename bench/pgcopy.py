"""Copies a slaboard SQLite file into an empty PostgreSQL database, for the benchmarks
(there is no ``slaboard copy`` command yet).

``Store.open(url, create=True)`` makes the schema; then every table is read from
the file with sqlite3 and written with ``COPY ... FROM STDIN`` in dependency order,
all in one transaction; the identity sequences are then set past the largest ids,
and the tables analysed. The columns are the file's, by name (the same set on both
engines). Instants are the file's UTC ISO text, which PostgreSQL reads as
``timestamptz``. Triggers run as they would for any insert (the audit trail's
append-only trigger only forbids changes, the report-month triggers only forget
months: none is kept in a fresh database).

    .venv/bin/python bench/pgcopy.py FILE URL
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from slaboard.store import Store

ORDER = ["meta", "calendars", "levels", "services", "customers", "contracts", "tickets", "events",
         "communications", "clock_outcomes", "report_months", "report_cells", "operators"]
IDENTITIES = ["contracts", "events", "communications"]
BATCH = 5000


def copy_file(path: Path, url: str, *, log=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Copy every table of the file at ``path`` into the (new, empty) database at
    ``url``; the row counts copied, by table. Raises if the database has rows."""
    import psycopg
    from psycopg import sql

    say = log or (lambda message: None)
    Store.open(url, create=True).close()  # the schema, as slaboard makes it
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    try:
        # One transaction: all or nothing.
        with psycopg.connect(url, options="-c TimeZone=UTC") as target, target.cursor() as cur:
            for table in ORDER:
                found = cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table))).fetchone()
                if found and found[0]:
                    raise RuntimeError(f"{table} already holds {found[0]} rows; copy into an empty database")
            for table in ORDER:
                columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
                if not columns:
                    counts[table] = 0
                    continue
                t0 = time.perf_counter()
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
                rows = source.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"')
                n = 0
                with cur.copy(statement) as copy:
                    while batch := rows.fetchmany(BATCH):
                        for row in batch:
                            copy.write_row(row)
                        n += len(batch)
                counts[table] = n
                say(f"  {table}: {n:,} rows in {time.perf_counter() - t0:.1f} s")
            for table in IDENTITIES:
                cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), "
                                    "COALESCE((SELECT MAX(id) FROM {i}), 0) + 1, false)").format(
                                        t=sql.Literal(table), i=sql.Identifier(table)))
        with psycopg.connect(url, autocommit=True) as target:
            target.execute("ANALYZE")
    finally:
        source.close()
    say(f"copied {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f} s")
    return counts


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    copy_file(Path(sys.argv[1]), sys.argv[2], log=lambda m: print(m, file=sys.stderr))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
