"""The contract file format: levels, calendars, services, customers and contracts.

:func:`parse_document` turns one parsed TOML document into definitions, and
:class:`Catalog` checks that every reference resolves. Errors name the file, the
entry and the field.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from slaboard.domain.models import (
    CalendarDef,
    ContractDef,
    ContractTerms,
    Customer,
    EscalationRule,
    Msp,
    Person,
    Service,
    ServiceLevel,
    Webhook,
)

SECTIONS = ("msp", "calendars", "levels", "services", "customers", "contracts", "people", "webhooks")


class ContractFileError(ValueError):
    """A problem in a contract file: ``file: entry: field: what is wrong``."""

    def __init__(self, source: str, entry: str, message: str) -> None:
        self.source, self.entry, self.message = source, entry, message
        super().__init__(f"{source}: {entry}: {message}" if entry else f"{source}: {message}")


def _explain(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function-", "tagged-union")))
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        msg = "missing"
    elif first["type"] == "extra_forbidden":
        msg = "unknown field"
    elif first["type"] == "literal_error" and "input" in first:
        msg = f"{first['input']!r}: {msg}"
    return f"{loc}: {msg}" if loc else msg


@dataclass
class Catalog:
    """Definitions by key, from one or more files (and the database)."""

    calendars: dict[str, CalendarDef] = field(default_factory=dict)
    levels: dict[str, ServiceLevel] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    contracts: list[ContractDef] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    msp: Msp | None = None
    sources: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_document(self, source: str, document: Mapping[str, Any]) -> None:
        """Add the definitions of one parsed contract file; a key defined twice with
        different content is an error."""
        unknown = sorted(set(document) - set(SECTIONS))
        if unknown:
            raise ContractFileError(
                source, unknown[0], f"unknown section; expected {', '.join(SECTIONS)}"
            )
        if "msp" in document:
            body = document["msp"]
            if not isinstance(body, Mapping):
                raise ContractFileError(source, "msp", "must be a table, written [msp]")
            try:
                msp = Msp.model_validate(dict(body))
            except ValidationError as err:
                raise ContractFileError(source, "msp", _explain(err)) from None
            if self.msp is not None and self.msp != msp:
                raise ContractFileError(source, "msp", f"also defined differently in {self.sources.get(('msp', 'msp'), '?')}")
            self.msp = msp
            self.sources[("msp", "msp")] = source
        tables: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
            "calendars": (CalendarDef, self.calendars),
            "levels": (ServiceLevel, self.levels),
            "services": (Service, self.services),
            "customers": (Customer, self.customers),
            "people": (Person, self.people),
            "webhooks": (Webhook, self.webhooks),
        }
        for section, (model, target) in tables.items():
            entries = document.get(section, {})
            if not isinstance(entries, Mapping):
                raise ContractFileError(source, section, "must be a table of named entries, like [levels.gold]")
            for key, body in entries.items():
                entry = f"{section}.{key}"
                if not isinstance(body, Mapping):
                    raise ContractFileError(source, entry, "must be a table")
                if "key" in body:
                    raise ContractFileError(source, entry, "key: the key is the table's name; remove it")
                try:
                    value = model.model_validate({"key": str(key), **body})
                except ValidationError as err:
                    raise ContractFileError(source, entry, _explain(err)) from None
                self._put(source, section, str(key), value, target)
        contracts = document.get("contracts", [])
        if not isinstance(contracts, list):
            raise ContractFileError(source, "contracts", "must be an array of tables, written [[contracts]]")
        for n, body in enumerate(contracts):
            entry = f"contracts[{n}]"
            if not isinstance(body, Mapping):
                raise ContractFileError(source, entry, "must be a table")
            try:
                contract = ContractDef.model_validate(dict(body))
            except ValidationError as err:
                raise ContractFileError(source, entry, _explain(err)) from None
            existing = [c for c in self.contracts if c.key == contract.key]
            if existing and existing[0] != contract:
                where = self.sources.get(("contracts", contract.key), "?")
                raise ContractFileError(source, entry, f"contract {contract.key!r} is also defined in {where}")
            if not existing:
                self.contracts.append(contract)
                self.sources[("contracts", contract.key)] = f"{source} {entry}"

    def _put(self, source: str, section: str, key: str, value: Any, target: dict[str, Any]) -> None:
        if key in target and target[key] != value:
            where = self.sources.get((section, key), "?")
            raise ContractFileError(source, f"{section}.{key}", f"also defined differently in {where}")
        target[key] = value
        self.sources[(section, key)] = source

    def where(self, section: str, key: str) -> str:
        return self.sources.get((section, key), "database")

    def check(self) -> None:
        """Every reference resolves: raises ContractFileError naming the entry."""
        for key, level in self.levels.items():
            if level.calendar not in self.calendars:
                raise ContractFileError(
                    self.where("levels", key), f"levels.{key}",
                    f"calendar: unknown calendar {level.calendar!r}{self._known('calendars')}",
                )
        for key, level in self.levels.items():
            self._check_rules(self.where("levels", key), f"levels.{key}", level.escalation)
        codes: dict[str, str] = {}
        for key, customer in self.customers.items():
            other = codes.get(customer.code.upper())
            if other is not None and other != key:
                raise ContractFileError(
                    self.where("customers", key), f"customers.{key}",
                    f"code: {customer.code!r} is already the code of {other!r}",
                )
            codes[customer.code.upper()] = key
            if customer.mail_service and customer.mail_service not in self.services:
                raise ContractFileError(
                    self.where("customers", key), f"customers.{key}",
                    f"mail_service: unknown service {customer.mail_service!r}{self._known('services')}",
                )
        # Contracts from the files first, so an error names the file being loaded.
        ordered = sorted(self.contracts, key=lambda c: ("contracts", c.key) not in self.sources)
        overlaps = _Overlaps(self.contracts)
        for contract in ordered:
            src = self.sources.get(("contracts", contract.key), "database")
            entry = f"contract {contract.key}"
            if contract.customer not in self.customers:
                raise ContractFileError(src, entry, f"customer: unknown customer {contract.customer!r}{self._known('customers')}")
            if contract.level is not None and contract.level not in self.levels:
                raise ContractFileError(src, entry, f"level: unknown level {contract.level!r}{self._known('levels')}")
            if contract.calendar is not None and contract.calendar not in self.calendars:
                raise ContractFileError(src, entry, f"calendar: unknown calendar {contract.calendar!r}{self._known('calendars')}")
            for service in [*contract.services, *contract.overrides]:
                if service not in self.services:
                    raise ContractFileError(src, entry, f"services: unknown service {service!r}{self._known('services')}")
            if contract.escalation is not None:
                self._check_rules(src, entry, contract.escalation)
            overlapped = overlaps.first_other(contract)
            if overlapped is not None:
                raise ContractFileError(
                    src, entry,
                    f"valid_from/valid_to overlap contract {overlapped.key} of the same customer"
                    " (to change a contract's dates, give it a stable key = \"...\" in the file)",
                )

    def roles(self) -> set[str]:
        return {role for person in self.people.values() for role in person.roles}

    def _check_rules(self, source: str, entry: str, rules: list[EscalationRule]) -> None:
        """Every name a rule notifies is "assignee", a person, a role or a webhook."""
        for n, rule in enumerate(rules):
            for name in rule.notify:
                if name.startswith("webhook:"):
                    if name.removeprefix("webhook:") not in self.webhooks:
                        raise ContractFileError(source, entry, f"escalation.{n}.notify: unknown webhook "
                                                f"{name.removeprefix('webhook:')!r}{self._known('webhooks')}")
                elif name != "assignee" and name not in self.people and name not in self.roles():
                    known = sorted({*self.people, *self.roles()})
                    shown = f" (known: assignee, {', '.join(known[:10])})" if known else " ([people] names none yet)"
                    raise ContractFileError(source, entry, f"escalation.{n}.notify: {name!r} is neither "
                                            f"'assignee', a person nor a role of [people]{shown}")

    def _known(self, section: str) -> str:
        keys = sorted(getattr(self, section))
        if not keys:
            return ""
        shown = ", ".join(keys[:10]) + (" ..." if len(keys) > 10 else "")
        return f" (known: {shown})"

    def terms(self, contract: ContractDef) -> ContractTerms:
        """Freeze a contract with its level and calendar into the terms tickets use."""
        level = self.levels.get(contract.level) if contract.level else None
        calendar_key = contract.calendar or (level.calendar if level else None)
        assert calendar_key is not None  # checked by ContractDef and check()
        calendar = self.calendars[calendar_key]
        price = contract.price_per_month
        if price is None:
            price = level.price_per_month if level else Decimal(0)
        return ContractTerms(
            key=contract.key,
            customer=contract.customer,
            level=contract.level,
            level_name="Bespoke" if contract.bespoke or level is None else level.title,
            bespoke=contract.bespoke,
            valid_from=contract.valid_from,
            valid_to=contract.valid_to,
            services=list(contract.services),
            price_per_month=price,
            hourly_rate=contract.hourly_rate,
            calendar_key=calendar_key,
            calendar=calendar.spec(),
            response={**(level.response if level else {}), **contract.response},
            resolution={**(level.resolution if level else {}), **contract.resolution},
            plan={**(level.plan if level else {}), **contract.plan},
            overrides=dict(contract.overrides),
            warning=level.warning if level else 0.75,
            critical=level.critical if level else 0.90,
            warning_left=level.warning_left if level else None,
            critical_left=level.critical_left if level else None,
            pause_on_third_party=level.pause_on_third_party if level else False,
        )


def _end(contract: ContractDef) -> date:
    return contract.valid_to or date.max


class _Overlaps:
    """Which other contract of the same customer a contract's validity overlaps, in
    O(log n) a question after O(n log n) of sorting (a file of ten thousand
    contracts must load as fast as one of ten).

    Per customer the contracts are sorted by start; those starting on or before a
    contract's end are a prefix, and of that prefix it is enough to know the two
    that end last: if any other ends on or after the contract's start, the one of
    those two that is not the contract itself does."""

    def __init__(self, contracts: Iterable[ContractDef]) -> None:
        by_customer: dict[str, list[ContractDef]] = {}
        for contract in contracts:
            by_customer.setdefault(contract.customer, []).append(contract)
        self._starts: dict[str, list[date]] = {}
        self._top: dict[str, list[tuple[ContractDef, ...]]] = {}
        for customer, group in by_customer.items():
            group.sort(key=lambda c: c.valid_from)
            self._starts[customer] = [c.valid_from for c in group]
            tops: list[tuple[ContractDef, ...]] = []
            best: tuple[ContractDef, ...] = ()
            for contract in group:
                best = tuple(sorted((*best, contract), key=_end, reverse=True)[:2])
                tops.append(best)
            self._top[customer] = tops

    def first_other(self, contract: ContractDef) -> ContractDef | None:
        starts = self._starts.get(contract.customer, [])
        k = bisect_right(starts, _end(contract))
        if k == 0:
            return None
        for other in self._top[contract.customer][k - 1]:
            if other is not contract:
                return other if _end(other) >= contract.valid_from else None
        return None


def build_catalog(documents: Iterable[tuple[str, Mapping[str, Any]]], base: Catalog | None = None) -> Catalog:
    """A checked catalog: ``base`` (what the database holds) with the documents laid
    over it. A key defined differently in two documents is an error; a document's
    definition replaces the database's under the same key."""
    files = Catalog()
    for source, document in documents:
        files.add_document(source, document)
    catalog = Catalog()
    named = ("calendars", "levels", "services", "customers", "people", "webhooks")
    if base is not None:
        for section in named:
            getattr(catalog, section).update(getattr(base, section))
        catalog.contracts.extend(base.contracts)
    for section in named:
        getattr(catalog, section).update(getattr(files, section))
    catalog.msp = files.msp or (base.msp if base is not None else None)
    keys = {c.key for c in files.contracts}
    catalog.contracts = [c for c in catalog.contracts if c.key not in keys] + files.contracts
    catalog.sources.update(files.sources)
    catalog.check()
    return catalog
