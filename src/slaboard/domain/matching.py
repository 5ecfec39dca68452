"""The two look-up rules every part of slaboard shares: which customers a typed text
names, and which contract is in force on a day. The command line, the store, the new
call form, the contract lookup and the customer log all use these, so a suggestion
on screen always resolves to the same customer on the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from slaboard.domain.models import Contract, Customer

_WORD = re.compile(r"[\s&.,()/-]+")


class CustomerMatch(NamedTuple):
    """A customer found for a text, with the contact it matched on ("" when the
    customer's own key, code or name did)."""

    customer: Customer
    contact: str


def match_customers(customers: Iterable[Customer], text: str) -> list[CustomerMatch]:
    """Customers for what was typed, best first (case-insensitive):

    1. an exact key or code wins alone;
    2. then names that start with the text, then names with a word that does;
    3. then the text anywhere in the name, code or key;
    4. then a contact whose name or e-mail address contains it.

    Ties go by name. An empty text matches nothing."""
    needle = text.strip().lower()
    if not needle:
        return []
    ranked: list[tuple[int, str, CustomerMatch]] = []
    for c in customers:
        name = c.name.lower()
        if needle in (c.key.lower(), c.code.lower()):
            return [CustomerMatch(c, "")]
        if name.startswith(needle):
            rank, why = 1, ""
        elif any(word.startswith(needle) for word in _WORD.split(name)):
            rank, why = 2, ""
        elif needle in name or needle in c.code.lower() or needle in c.key.lower():
            rank, why = 3, ""
        else:
            contact = next((x for x in c.contacts if needle in x.name.lower() or needle in x.email.lower()), None)
            if contact is None:
                continue
            rank, why = 4, contact.name
        ranked.append((rank, name, CustomerMatch(c, why)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [m for _, _, m in ranked]


def contract_in_force(contracts: Sequence[Contract], day: date) -> Contract | None:
    """The current version of the contract valid on ``day`` (the customer's date):
    of several, the one that started last."""
    valid = [c for c in contracts if c.current and c.terms.covers(day)]
    return max(valid, key=lambda c: (c.terms.valid_from, c.version)) if valid else None
