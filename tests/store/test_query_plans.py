"""The queries the board, the live feed and the reports run on large databases use
their indexes: each store method is called, the SQL it ran is captured, and
SQLite's EXPLAIN QUERY PLAN for it must name the index (a plan, not a timing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from slaboard.store import Store

pytestmark = pytest.mark.sqlite_only  # SQLite's query planner

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)

CALLS: list[tuple[str, Callable[[Store], object], str, str]] = [
    ("open calls for the board", lambda s: s.open_tickets(), "FROM tickets", "tickets_open"),
    ("changes since the last poll", lambda s: s.tickets_changed_since(0), "FROM tickets", "tickets_by_seq"),
    ("the last write sequence", lambda s: s.last_seq(), "MAX(seq)", "tickets_by_seq"),
    ("calls opened in a period", lambda s: s.report_opened(START, END), "FROM tickets", "tickets_by_reported"),
    ("calls resolved in a period", lambda s: s.report_resolved(START, END), "FROM tickets", "tickets_by_resolved"),
    ("targets met and missed", lambda s: s.report_outcomes(START, END), "FROM clock_outcomes", "clock_outcomes_by_stop"),
    ("a call's history", lambda s: s.events(1001), "FROM events", "events_by_ticket"),
    ("a call's messages", lambda s: s.communications(ticket_id=1001), "FROM communications", "communications_by_ticket"),
    ("a customer's messages", lambda s: s.communications(customer="acme"), "FROM communications", "communications_by_customer"),
    ("the contract in force", lambda s: s.contract_in_force("acme", date(2026, 6, 1)), "FROM contracts", "contracts_by_customer"),
]


def captured(store: Store, call: Callable[[Store], object], marker: str) -> str:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        call(store)
    finally:
        store.conn.set_trace_callback(None)
    matching = [s for s in statements if marker in s and s.lstrip().upper().startswith("SELECT")]
    assert matching, f"no SELECT with {marker!r} among {statements}"
    return matching[-1]


@pytest.mark.parametrize(("what", "call", "marker", "index"), CALLS, ids=[c[0] for c in CALLS])
def test_store_query_uses_its_index(small_store: Store, what: str, call, marker: str, index: str) -> None:  # type: ignore[no-untyped-def]
    small_store.conn.execute("ANALYZE")
    sql = captured(small_store, call, marker)
    plan = " | ".join(row[3] for row in small_store.conn.execute("EXPLAIN QUERY PLAN " + sql))
    assert index in plan, f"{what}: {plan}\n{sql}"
