"""The contract file format end to end: parsing and checking (domain.catalog), and
loading into a database (services.loading) — all or nothing, idempotent, versioned."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slaboard.domain import ContractFileError, build_catalog
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, ServiceError, get_view, open_call

ISSUE_EXAMPLE = """\
[calendars.office-nl]
tz = "Europe/Amsterdam"
hours = { mon = [["08:30", "17:30"]], tue = [["08:30", "17:30"]], wed = [["08:30", "17:30"]], thu = [["08:30", "17:30"]], fri = [["08:30", "17:30"]] }
holidays = ["2026-12-24"]          # extra closed days
holiday_country = "NL"             # public holidays from the holidays package

[calendars.always]
always_open = true

[levels.gold]
calendar = "always"
price_per_month = 2400
response   = { P1 = "15m", P2 = "30m", P3 = "1h", P4 = "4h" }
resolution = { P1 = "1h",  P2 = "4h",  P3 = "8h", P4 = "2bd" }

[services.email]
name = "E-mail"

[customers.acme]
name = "Acme Logistics"
tz = "Europe/Amsterdam"
contacts = [{ name = "Jan de Vries", phone = "+31 20 555 0101", email = "jan@acme.example" }]

[[contracts]]
customer = "acme"
level = "silver"
valid_from = 2026-01-01
valid_to = 2026-12-31
services = ["email", "network", "printing"]
price_per_month = 950
hourly_rate = 95
overrides = { email = { resolution = "4h" } }
"""

# What the issue's example refers to without defining it.
ISSUE_EXAMPLE_REST = """
[levels.silver]
calendar = "office-nl"
response   = { P1 = "30m", P2 = "1h", P3 = "2h", P4 = "4h" }
resolution = { P1 = "4h",  P2 = "8h", P3 = "1bd", P4 = "2bd" }

[services.network]
name = "Network"

[services.printing]
name = "Printing"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def contract_rows(store):
    return store.conn.execute("SELECT id, key, version, current, digest FROM contracts ORDER BY id").fetchall()


# ------------------------------------------------------------------ the examples


def test_issue_example_with_what_it_refers_to_loads(empty_store, tmp_path, now):
    path = write(tmp_path, "example.toml", ISSUE_EXAMPLE + ISSUE_EXAMPLE_REST)
    summary = load_files(empty_store, [path], now)
    assert summary.added["contracts"] == ["acme-2026-01-01"]
    assert sorted(summary.added["services"]) == ["email", "network", "printing"]
    contract = empty_store.contract_in_force("acme", now.date())
    assert contract.terms.level == "silver"
    assert contract.terms.target("resolution", "email", "P1") == (contract.terms.overrides["email"].resolution, True)
    assert contract.terms.target("resolution", "email", "P1")[0].seconds == 4 * 3600
    assert float(contract.terms.price_per_month) == 950


def test_issue_example_alone_names_the_missing_level(empty_store, tmp_path, now):
    path = write(tmp_path, "example.toml", ISSUE_EXAMPLE)
    with pytest.raises(ServiceError) as excinfo:
        load_files(empty_store, [path], now)
    text = str(excinfo.value)
    assert str(path) in text and "acme-2026-01-01" in text and "level: unknown level 'silver'" in text


def test_issue_example_loads_on_top_of_the_sample_msp(loaded_store, tmp_path, now):
    # The sample defines silver, network and printing; the file's own gold and
    # office-nl replace the database's.
    path = write(tmp_path, "example.toml", ISSUE_EXAMPLE)
    summary = load_files(loaded_store, [path], now)
    assert "acme-2026-01-01" in summary.added["contracts"]
    assert summary.changed["levels"] == ["gold"]
    assert loaded_store.contract_in_force("acme", now.date()).terms.level_name == "Silver"


def test_sample_data_is_a_realistic_msp(loaded_store, now):
    levels = {lvl.key: lvl for lvl in loaded_store.levels()}
    assert {"gold", "silver", "bronze"} <= set(levels)
    assert levels["gold"].resolution["P1"].seconds == 3600
    assert levels["bronze"].resolution["P4"].business_days == 3
    assert len(loaded_store.services()) >= 8
    customers = loaded_store.customers()
    assert len(customers) >= 10
    assert len({c.tz for c in customers}) >= 3
    in_force = {c.key: loaded_store.contract_in_force(c.key, now.date()) for c in customers}
    assert sum(1 for c in in_force.values() if c is not None and c.terms.bespoke) >= 2
    assert any(
        c is not None and c.terms.bespoke and c.terms.target("resolution", "email", "P4")[0].seconds == 4 * 3600
        for c in in_force.values()
    )
    assert loaded_store.contracts_of("de-spaak") == []  # a customer with no contract
    expired = [k for k, c in in_force.items() if c is None and loaded_store.contracts_of(k)]
    assert expired  # a customer whose only contract has expired


# ------------------------------------------------------------------ errors name file, entry and field


def edit(old: str, new: str):
    def apply(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return apply


def append(extra: str):
    return lambda text: text + extra


ERRORS = {
    "unknown level": (
        edit('level = "bronze"', 'level = "platinum"'),
        ["contract tulip-2026-01-01", "level:", "unknown level 'platinum'", "known: bronze, gold"],
    ),
    "unknown calendar": (
        edit('calendar = "office"', 'calendar = "nowhere"'),
        ["levels.bronze", "calendar:", "unknown calendar 'nowhere'"],
    ),
    "unknown service": (
        edit('services = ["email", "printing"]', 'services = ["email", "fax"]'),
        ["contract tulip-2026-01-01", "services:", "unknown service 'fax'"],
    ),
    "unknown service in overrides": (
        edit("network = { resolution", "fax = { resolution"),
        ["contract acme-2026-01-01", "services:", "unknown service 'fax'"],
    ),
    "unknown customer": (
        edit('customer = "tulip"', 'customer = "nobody"'),
        ["contract nobody-2026-01-01", "customer:", "unknown customer 'nobody'"],
    ),
    "bad duration": (
        edit('P2 = "1bd"', 'P2 = "4x"'),
        ["levels.bronze", "resolution.P2", "'4x' is not a duration"],
    ),
    "bad duration in an override": (
        edit('email = { resolution = "4h" }', 'email = { resolution = "4x" }'),
        ["contracts[0]", "overrides.email.resolution", "'4x' is not a duration"],
    ),
    "25:00 in hours": (
        edit('mon = [["09:00", "17:00"]]', 'mon = [["09:00", "25:00"]]'),
        ["calendars.office", "hours.mon[0]", "'25:00' is not a valid time of day"],
    ),
    "unknown zone": (
        edit('tz = "America/New_York"', 'tz = "Mars/Olympus"'),
        ["customers.tulip", "tz:", "unknown time zone 'Mars/Olympus'"],
    ),
    "unknown calendar zone": (
        edit('tz = "Europe/Amsterdam"\nhours', 'tz = "Europe/Amsterdm"\nhours'),
        ["calendars.office", "tz:", "unknown time zone 'Europe/Amsterdm'"],
    ),
    "unknown section": (
        append('\n[widgets.knob]\nsize = 1\n'),
        ["widgets", "unknown section"],
    ),
    "unknown field": (
        edit("hourly_rate = 125", 'hourly_rate = 125\ncolour = "red"'),
        ["contracts[1]", "colour", "unknown field"],
    ),
    "level missing a priority": (
        edit('P3 = "1h", P4 = "4h" }', 'P4 = "4h" }'),
        ["levels.gold", "response", "no target for P3"],
    ),
    "price is text": (
        edit("price_per_month = 450", 'price_per_month = "lots"'),
        ["levels.bronze", "price_per_month"],
    ),
    "negative rate": (
        edit("hourly_rate = 125", "hourly_rate = -5"),
        ["contracts[1]", "hourly_rate", "greater than or equal to 0"],
    ),
    "services is a string": (
        edit('services = ["email", "printing"]', 'services = "email"'),
        ["contracts[1]", "services", "valid list"],
    ),
    "zone is a number": (
        edit('tz = "America/New_York"', "tz = 5"),
        ["customers.tulip", "tz", "valid string"],
    ),
    "valid_from is text": (
        edit("valid_from = 2026-01-01\nvalid_to = 2026-12-31\nservices = [\"email\", \"printing\"]",
             'valid_from = "soon"\nservices = ["email", "printing"]'),
        ["contracts[1]", "valid_from", "valid date"],
    ),
    "entry is not a table": (
        append("\n[services]\nfax = 3\n"),
        ["services.fax", "must be a table"],
    ),
    "contracts is a table": (
        lambda text: text.split("[[contracts]]")[0] + '[contracts.acme]\ncustomer = "acme"\n',
        ["contracts", "array of tables"],
    ),
    "overlapping contracts": (
        append('\n[[contracts]]\ncustomer = "tulip"\nlevel = "gold"\nvalid_from = 2026-06-01\nservices = ["email"]\n'),
        ["contract tulip-2026-01-01", "valid_from/valid_to", "overlap contract tulip-2026-06-01"],
    ),
    "contract ends before it starts": (
        edit("valid_to = 2026-12-31\nservices = [\"email\", \"printing\"]",
             "valid_to = 2025-12-31\nservices = [\"email\", \"printing\"]"),
        ["contracts[1]", "valid_to 2025-12-31 is before valid_from 2026-01-01"],
    ),
    "invalid TOML": (
        append("\n[[contracts]\n"),
        ["invalid TOML", "line"],
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_load_error_names_file_entry_and_field_and_writes_nothing(case, empty_store, small_contracts, tmp_path, now, row_counts):
    change, fragments = ERRORS[case]
    path = write(tmp_path, "broken.toml", change(small_contracts))
    before = row_counts(empty_store.path)
    with pytest.raises(ServiceError) as excinfo:
        load_files(empty_store, [path], now)
    text = str(excinfo.value)
    assert text.startswith(str(path)), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "\n" not in text
    assert row_counts(empty_store.path) == before


def test_invalid_utf8_names_the_file_and_line(empty_store, tmp_path, now, row_counts):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[services.cafe]\nname = "Caf\xe9"\n')
    before = row_counts(empty_store.path)
    with pytest.raises(ServiceError, match=r"latin1.toml: line 2: not valid UTF-8"):
        load_files(empty_store, [path], now)
    assert row_counts(empty_store.path) == before


def test_missing_file_is_named(empty_store, tmp_path, now):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ServiceError, match=f"{path}: no such file"):
        load_files(empty_store, [path], now)


def test_directory_instead_of_file_is_named(empty_store, tmp_path, now):
    with pytest.raises(ServiceError, match="is a directory"):
        load_files(empty_store, [tmp_path], now)


def test_no_files_is_refused(empty_store, now):
    with pytest.raises(ServiceError, match="at least one"):
        load_files(empty_store, [], now)


def test_key_defined_differently_in_two_files(empty_store, small_file, tmp_path, now, row_counts):
    other = write(tmp_path, "other.toml", '[services.email]\nname = "Mail"\n')
    with pytest.raises(ServiceError) as excinfo:
        load_files(empty_store, [small_file, other], now)
    text = str(excinfo.value)
    assert text.startswith(f"{other}: services.email:")
    assert f"also defined differently in {small_file}" in text
    assert sum(row_counts(empty_store.path).values()) == 0


def test_key_defined_identically_in_two_files_is_fine(empty_store, small_file, tmp_path, now):
    other = write(tmp_path, "other.toml", '[services.email]\nname = "E-mail"\n')
    summary = load_files(empty_store, [small_file, other], now)
    assert summary.added["services"] == ["email", "network", "printing"]


def test_good_file_is_not_written_when_another_file_is_bad(loaded_store, small_contracts, tmp_path, now, row_counts):
    good = write(tmp_path, "good.toml", '[services.fax]\nname = "Fax"\n')
    bad = write(tmp_path, "bad.toml", '[services.scanner]\nname = "Scanner"\ndpi = 300\n')
    before_counts, before_rows = row_counts(loaded_store.path), contract_rows(loaded_store)
    with pytest.raises(ServiceError, match=r"bad.toml: services.scanner: dpi: unknown field"):
        load_files(loaded_store, [good, bad], now)
    assert row_counts(loaded_store.path) == before_counts
    assert contract_rows(loaded_store) == before_rows
    assert loaded_store.service("fax") is None


def test_file_contract_overlapping_a_stored_contract_is_refused(small_store, tmp_path, now, row_counts):
    path = write(
        tmp_path, "more.toml",
        '[[contracts]]\ncustomer = "acme"\nlevel = "bronze"\nvalid_from = 2026-12-01\nservices = ["email"]\n',
    )
    before = row_counts(small_store.path)
    with pytest.raises(ServiceError) as excinfo:
        load_files(small_store, [path], now)
    text = str(excinfo.value)
    # The error is about the file being loaded: it must name that file and its
    # entry (not only "database"), so the operator knows what to fix.
    assert text.startswith(str(path)), text
    assert "acme-2026-12-01" in text and "acme-2026-01-01" in text and "overlap" in text
    assert row_counts(small_store.path) == before


def test_catalog_error_carries_source_and_entry(small_contracts):
    doc = tomllib.loads(small_contracts)
    doc["customers"]["tulip"]["tz"] = "Nowhere/City"
    with pytest.raises(ContractFileError) as excinfo:
        build_catalog([("small.toml", doc)])
    err = excinfo.value
    assert (err.source, err.entry) == ("small.toml", "customers.tulip")
    assert err.message.startswith("tz: unknown time zone")


def test_customer_codes_must_be_unique(small_contracts):
    doc = tomllib.loads(small_contracts)
    doc["customers"]["tulip"]["code"] = "acme"
    with pytest.raises(ContractFileError, match="code: 'acme' is already the code of 'acme'"):
        build_catalog([("small.toml", doc)])


# ------------------------------------------------------------------ reloading and versions


def test_loading_the_same_files_again_changes_nothing(loaded_store, sample_file, now, row_counts):
    rows, counts = contract_rows(loaded_store), row_counts(loaded_store.path)
    summary = load_files(loaded_store, [sample_file], now + timedelta(days=1))
    assert summary.nothing_changed
    assert summary.added == {} and summary.changed == {}
    assert summary.unchanged["contracts"] == len(rows)
    assert summary.unchanged["customers"] == len(loaded_store.customers())
    assert contract_rows(loaded_store) == rows
    assert row_counts(loaded_store.path) == counts
    assert all(version == 1 and current == 1 for _, _, version, current, _ in rows)


def test_first_load_reports_what_was_added(empty_store, small_file, now):
    summary = load_files(empty_store, [small_file], now)
    assert not summary.nothing_changed
    assert summary.added == {
        "calendars": ["office", "always"],
        "levels": ["gold", "bronze"],
        "services": ["email", "network", "printing"],
        "customers": ["acme", "tulip"],
        "contracts": ["acme-2026-01-01", "tulip-2026-01-01"],
    }


def test_changed_contract_becomes_version_2_and_old_tickets_keep_version_1(
    small_store, small_contracts, tmp_path, now
):
    old = open_call(small_store, NewCall(customer="acme", service="email", title="Mail down"), "ann", now)
    v1 = small_store.contract_in_force("acme", now.date())
    assert old.ticket.contract_id == v1.id and v1.version == 1
    assert old.ticket.resolution_due == now + timedelta(hours=4)

    changed = small_contracts.replace('email = { resolution = "4h" }', 'email = { resolution = "2h" }')
    summary = load_files(small_store, [write(tmp_path, "small-v2.toml", changed)], now)
    assert summary.changed == {"contracts": ["acme-2026-01-01"]}
    assert summary.unchanged["contracts"] == 1  # tulip's is untouched

    v2 = small_store.contract_in_force("acme", now.date())
    assert v2.version == 2 and v2.id != v1.id and v2.key == v1.key
    stored_v1 = small_store.contract(v1.id)
    assert stored_v1.version == 1 and not stored_v1.current
    assert stored_v1.terms.target("resolution", "email", "P4")[0].seconds == 4 * 3600
    assert [(c.version, c.current) for c in small_store.contracts_of("acme")] == [(1, False), (2, True)]
    assert small_store.contracts_of("tulip")[0].version == 1

    later = now + timedelta(minutes=5)
    kept = get_view(small_store, old.ticket.id, later)
    assert kept.ticket.contract_id == v1.id
    assert kept.contract.version == 1
    assert kept.clocks["resolution"].due == now + timedelta(hours=4)

    new = open_call(small_store, NewCall(customer="acme", service="email", title="Mail down again"), "ann", later)
    assert new.ticket.contract_id == v2.id
    assert new.ticket.resolution_due == later + timedelta(hours=2)


def test_changed_level_gives_its_contracts_a_new_version(small_store, small_contracts, tmp_path, now):
    changed = small_contracts.replace('P1 = "8h", P2 = "1bd"', 'P1 = "6h", P2 = "1bd"')
    summary = load_files(small_store, [write(tmp_path, "small-v2.toml", changed)], now)
    assert summary.changed == {"levels": ["bronze"], "contracts": ["tulip-2026-01-01"]}
    tulip = small_store.contract_in_force("tulip", now.date())
    assert tulip.version == 2
    assert tulip.terms.target("resolution", "email", "P1")[0].seconds == 6 * 3600
    assert small_store.contract_in_force("acme", now.date()).version == 1


def test_changed_validity_of_a_contract_is_a_new_version(small_store, small_contracts, tmp_path, now):
    changed = small_contracts.replace(
        'valid_to = 2026-12-31\nservices = ["email", "network"]', 'valid_to = 2027-12-31\nservices = ["email", "network"]'
    )
    load_files(small_store, [write(tmp_path, "small-v2.toml", changed)], now)
    versions = small_store.contracts_of("acme")
    assert [(c.version, c.terms.valid_to.year) for c in versions] == [(1, 2026), (2, 2027)]


def test_a_file_definition_replaces_the_database_one(small_store, tmp_path, now):
    summary = load_files(small_store, [write(tmp_path, "rename.toml", '[services.email]\nname = "Mail"\n')], now)
    assert summary.changed == {"services": ["email"]}
    assert small_store.service("email").name == "Mail"
    # The contracts did not change: their terms do not hold service names.
    assert small_store.contract_in_force("acme", now.date()).version == 1


# ------------------------------------------------------------------ closures at the edge of the years


OFFICE_TZ = 'tz = "Europe/Amsterdam"\nhours'

EDGE_CLOSURES = {
    "through 9999-12-31": ("Europe/Amsterdam", '[["2027-01-01", "9999-12-31"]]'),
    "to 9999-12-31T23:00 in Etc/GMT+12": ("Etc/GMT+12", '[["2027-01-01T00:00", "9999-12-31T23:00"]]'),
    "from 0001-01-01T00:00 in Etc/GMT-14": ("Etc/GMT-14", '[["0001-01-01T00:00", "2026-01-01T00:00"]]'),
}


@pytest.mark.parametrize("case", list(EDGE_CLOSURES))
def test_a_closure_reaching_the_first_or_last_year_loads_and_counts(case, empty_store, small_contracts, tmp_path, now):
    tz, closed = EDGE_CLOSURES[case]
    text = small_contracts.replace(OFFICE_TZ, f'tz = "{tz}"\nclosed = {closed}\nhours', 1)
    load_files(empty_store, [write(tmp_path, "edge.toml", text)], now)
    view = open_call(empty_store, NewCall(customer="tulip", service="email", title="Printer jam"), "ann", now)
    assert view.ticket.resolution_due > now


def test_a_closure_past_year_9999_names_file_entry_and_field(empty_store, small_contracts, tmp_path, now, row_counts):
    text = small_contracts.replace(OFFICE_TZ, f'{OFFICE_TZ.split(chr(10))[0]}\nclosed = [["2027-01-01", "10000-01-01"]]\nhours', 1)
    path = write(tmp_path, "past.toml", text)
    before = row_counts(empty_store.path)
    with pytest.raises(ServiceError) as excinfo:
        load_files(empty_store, [path], now)
    assert str(excinfo.value) == (
        f"{path}: calendars.office: closed[0]: '10000-01-01' is not a date-time like '2026-12-24T12:00'"
    )
    assert row_counts(empty_store.path) == before


def slaboard_load(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLABOARD_DB": str(tmp_path / "cli.db"), "SLABOARD_NOW": "2026-11-26T10:00:00+01:00"}
    if not (tmp_path / "cli.db").exists():
        subprocess.run([sys.executable, "-m", "slaboard", "init"], env=env, capture_output=True, check=True, timeout=60)
    return subprocess.run(
        [sys.executable, "-m", "slaboard", "load", str(path)], env=env, capture_output=True, text=True, timeout=60
    )


def test_slaboard_load_accepts_a_closure_to_the_end_of_9999(small_contracts, tmp_path):
    text = small_contracts.replace(OFFICE_TZ, f'{OFFICE_TZ.split(chr(10))[0]}\nclosed = [["2027-01-01", "9999-12-31"]]\nhours', 1)
    done = slaboard_load(write(tmp_path, "edge.toml", text), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_slaboard_load_refuses_a_bad_edge_closure_in_one_line(small_contracts, tmp_path):
    text = small_contracts.replace(OFFICE_TZ, f'{OFFICE_TZ.split(chr(10))[0]}\nclosed = [["2027-01-01", "10000-01-01"]]\nhours', 1)
    path = write(tmp_path, "past.toml", text)
    done = slaboard_load(path, tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"{path}: calendars.office: closed[0]:" in done.stderr


def _brute_overlaps(contracts: list, contract) -> bool:  # type: ignore[no-untyped-def]
    end = contract.valid_to or date.max
    return any(o is not contract and o.customer == contract.customer
               and o.valid_from <= end and contract.valid_from <= (o.valid_to or date.max) for o in contracts)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from(["acme", "tulip"]), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 20))),
                min_size=1, max_size=12))
def test_the_overlap_check_finds_exactly_the_overlapping_contracts(spans: list[tuple[str, int, int | None]]) -> None:
    """The sorted check (a file of 10,000 contracts loads in a blink) agrees with
    comparing every pair, and names a contract that really overlaps."""
    from slaboard.domain.catalog import _Overlaps
    from slaboard.domain.models import ContractDef

    day = date(2026, 1, 1)
    contracts = [ContractDef(key=f"c{n}", customer=customer, level="gold", valid_from=day + timedelta(days=start),
                             valid_to=None if length is None else day + timedelta(days=start + length))
                 for n, (customer, start, length) in enumerate(spans)]
    overlaps = _Overlaps(contracts)
    for contract in contracts:
        other = overlaps.first_other(contract)
        assert (other is not None) == _brute_overlaps(contracts, contract)
        if other is not None:
            assert _brute_overlaps([contract, other], contract)


# ------------------------------------------------------------------ billing terms


BILLING_TERMS = [
    ({"kind": "block_hours", "block_hours": 20, "block_period": "quarter", "rollover": True, "rounding": "15m",
      "minimum": "30m"}, None),
    ({"kind": "time_and_materials", "rounding": "1h"}, None),
    ({"kind": "block_hours"}, "block_hours: a block_hours contract needs its hours"),
    ({"kind": "block_hours", "block_hours": -5}, "block_hours: -5 is not a block; give more than 0 hours"),
    ({"kind": "block_hours", "block_hours": 0}, "block_hours: 0 is not a block"),
    ({"kind": "block_hours", "block_hours": 20, "block_period": "contract", "rollover": True},
     "rollover: a block for the whole contract has no next period"),
    ({"block_hours": 20}, "block_hours and rollover belong to kind = \"block_hours\", not 'fixed'"),
    ({"rollover": True}, "block_hours and rollover belong to kind"),
    ({"kind": "time_and_materials", "hourly_rate": None}, "hourly_rate: a time_and_materials contract bills work"),
    ({"kind": "prepaid"}, "kind"),
    ({"rounding": "0m"}, "'0m' must be more than 0 minutes"),
    ({"minimum": "half an hour"}, "is not a time of work such as '15m'"),
    ({"rounding": "25h"}, "is more than a day"),
    ({"block_period": "week", "kind": "block_hours", "block_hours": 5}, "block_period"),
]


@pytest.mark.parametrize(("terms", "problem"), BILLING_TERMS)
def test_billing_terms_are_checked_on_loading(small_contracts, terms, problem) -> None:
    doc = tomllib.loads(small_contracts)
    contract = doc["contracts"][0]
    for key, value in terms.items():
        if value is None:
            contract.pop(key, None)
        else:
            contract[key] = value
    if problem is None:
        catalog = build_catalog([("small.toml", doc)])
        [written] = [c for c in catalog.contracts if c.customer == "acme"]
        assert written.kind == terms["kind"]
        assert written.rounding == {"15m": 15, "1h": 60}[terms["rounding"]]
        assert written.model_dump(mode="json")["rounding"] == terms["rounding"]  # written back as it was given
        return
    with pytest.raises(ContractFileError) as excinfo:
        build_catalog([("small.toml", doc)])
    assert excinfo.value.entry.startswith("contracts") and problem in excinfo.value.message, excinfo.value.message
    assert "\n" not in excinfo.value.message
