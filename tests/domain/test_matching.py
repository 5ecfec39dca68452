"""The two look-up rules shared by the command line, the store and every screen:
which customers a typed text names, and which contract is in force on a day (and,
for the new-call form, why none is)."""

from __future__ import annotations

from datetime import date

import pytest

from slaboard.domain import Contact, Contract, ContractTerms, Customer, contract_in_force, match_customers
from slaboard.services.contracts import contract_standing

CUSTOMERS = [
    Customer(key="harbour-finch", name="Harbour & Finch Ltd", code="HFL", tz="Europe/London",
             contacts=[Contact(name="Olivia Hartley", email="olivia@harbourfinch.example")]),
    Customer(key="noord", name="Stichting Noorderlicht Onderwijs", code="SNO", tz="Europe/Amsterdam"),
    Customer(key="old-harbour", name="Old Harbour Bakery", code="OHB", tz="Europe/Amsterdam"),
    Customer(key="tzk", name="Tandartspraktijk De Zeeuwse Kust", code="TZK", tz="Europe/Amsterdam"),
    Customer(key="vdb", name="Van den Berg Transport B.V.", code="VDB", tz="Europe/Amsterdam"),
    Customer(key="mcs", name="Medisch Centrum Schelde NV", code="MCS", tz="Europe/Amsterdam",
             contacts=[Contact(name="Thijs de Boer", email="t.deboer@mcs.example")]),
]


def codes(text: str) -> list[str]:
    return [m.customer.code for m in match_customers(CUSTOMERS, text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("HFL", ["HFL"]),                # an exact code wins alone
    ("old-harbour", ["OHB"]),        # an exact key too
    ("harb", ["HFL", "OHB"]),        # names that start with it, then a word that does
    ("de", ["TZK", "VDB", "MCS", "SNO"]),  # word starts, then anywhere in a name, then a contact
    ("noorder", ["SNO"]),
    ("OLIVIA", ["HFL"]),             # case does not matter
    ("deboer@", ["MCS"]),            # a contact's e-mail address
    ("  ", []),
    ("zz", []),
])
def test_customers_best_first(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_a_match_on_a_contact_says_which_contact() -> None:
    assert match_customers(CUSTOMERS, "olivia") == [(CUSTOMERS[0], "Olivia Hartley")]
    assert match_customers(CUSTOMERS, "harbour")[0].contact == ""


def contract(id: int, valid_from: date, valid_to: date | None, *, version: int = 1, current: bool = True,
             level_name: str = "Gold") -> Contract:
    terms = ContractTerms(key=f"k{id}", customer="acme", level="gold", level_name=level_name, bespoke=False,
                          valid_from=valid_from, valid_to=valid_to, services=["email"], price_per_month=100,
                          hourly_rate=None, calendar_key="office", calendar={}, response={}, resolution={})
    return Contract(id=id, version=version, current=current, terms=terms)


def test_the_contract_in_force_is_the_current_one_that_started_last() -> None:
    old = contract(1, date(2025, 1, 1), date(2026, 12, 31))
    new = contract(2, date(2026, 7, 1), None)
    superseded = contract(3, date(2026, 9, 1), None, current=False)
    assert contract_in_force([old, new, superseded], date(2026, 6, 30)) == old
    assert contract_in_force([old, new, superseded], date(2026, 10, 1)) == new
    assert contract_in_force([old, new], date(2024, 12, 31)) is None
    assert contract_in_force([old], date(2026, 12, 31)) == old  # the last day is in force
    assert contract_in_force([old], date(2027, 1, 1)) is None


def test_without_a_contract_the_form_says_why() -> None:
    ended = contract(1, date(2025, 1, 1), date(2025, 12, 31), level_name="Silver")
    later = contract(2, date(2027, 1, 1), None, level_name="Gold")
    assert contract_standing([ended], date(2026, 3, 1)).why == "Contract expired on 2025-12-31 (Silver)"
    assert contract_standing([later], date(2026, 3, 1)).why == "No contract in force yet (Gold from 2027-01-01)"
    assert contract_standing([], date(2026, 3, 1)).why == "No valid contract"
    standing = contract_standing([ended, later], date(2027, 2, 1), "printing")
    assert standing.contract == later and standing.uncovered and standing.why == ""
    assert not contract_standing([later], date(2027, 2, 1), "email").uncovered
