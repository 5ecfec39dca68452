"""A report replays only the open calls whose stored due instants say they could have
breached: it must never leave out one that did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from slaboard.services.clocks import clocks_for
from slaboard.sla import leading_clock
from slaboard.store import Store

from .test_figures import at, build_history


def breached_at(store: Store, moment, **kw) -> set[int]:  # type: ignore[no-untyped-def]
    contracts = store.all_contracts()
    out = set()
    for ticket, tz in store.open_at(moment, **kw):
        contract = contracts.get(ticket.contract_id) if ticket.contract_id is not None else None
        lead = leading_clock(clocks_for(ticket, contract, tz, moment))
        if lead is not None and lead.state == "breached":
            out.add(ticket.id)
    return out


def test_the_calls_that_could_breach_include_every_call_that_did(tmp_path: Path) -> None:
    path = build_history(tmp_path / "h.db").path
    with Store.open(path) as store:
        moment, end = at("2026-06-30 20:00"), at("2026-08-10 00:00")
        seen = set()
        while moment < end:
            every = breached_at(store, moment)
            assert breached_at(store, moment, could_breach=True) == every, moment
            seen |= every
            moment += timedelta(minutes=37)
        assert len(seen) >= 3  # the history has calls that breached while open
        # A call whose dues were never stored (written by another tool) is replayed.
        store.conn.execute("UPDATE tickets SET response_due = NULL, plan_due = NULL, resolution_due = NULL")
        late = at("2026-08-05 12:00")
        assert breached_at(store, late, could_breach=True) == breached_at(store, late) != set()
        # And one whose dues say "not yet" is not.
        store.conn.execute("UPDATE tickets SET resolution_due = '2999-01-01T00:00:00+00:00', "
                           "response_due = '2999-01-01T00:00:00+00:00'")
        assert store.open_at(late, could_breach=True) == []
