"""The domain models: the priority matrix, validation of levels, calendars and
customers, and which target a contract gives a call."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest
from pydantic import ValidationError

from slaboard.domain import (
    PRIORITY_MATRIX,
    TRANSITIONS,
    CalendarDef,
    ContractDef,
    Customer,
    ServiceLevel,
    TargetOverride,
    build_catalog,
    priority_for,
)

FULL = {"P1": "15m", "P2": "30m", "P3": "1h", "P4": "4h"}


def level(**overrides):
    spec = {"key": "gold", "calendar": "always", "response": dict(FULL), "resolution": dict(FULL)}
    spec.update(overrides)
    return ServiceLevel.model_validate(spec)


def message(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(excinfo.value)


# ------------------------------------------------------------------ priority matrix


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, "P1"), (1, 2, "P2"), (1, 3, "P3"),
        (2, 1, "P2"), (2, 2, "P3"), (2, 3, "P4"),
        (3, 1, "P3"), (3, 2, "P4"), (3, 3, "P4"),
    ],
)
def test_priority_matrix_cell(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority


def test_priority_matrix_has_exactly_the_nine_cells():
    assert sorted(PRIORITY_MATRIX) == [(i, u) for i in (1, 2, 3) for u in (1, 2, 3)]


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (1, 4), (4, 4), ("1", 1)])
def test_priority_outside_the_matrix_is_refused(impact, urgency):
    with pytest.raises(ValueError, match="must each be 1, 2 or 3"):
        priority_for(impact, urgency)


def test_status_life_cycle():
    assert TRANSITIONS["closed"] == ()
    assert set(TRANSITIONS["resolved"]) == {"in_progress", "closed"}
    assert "waiting_customer" in TRANSITIONS["in_progress"]
    assert "in_progress" in TRANSITIONS["waiting_customer"]


# ------------------------------------------------------------------ validation


def test_level_reads_durations():
    gold = level(resolution={"P1": "1h", "P2": "1h30m", "P3": "8h", "P4": "2bd"})
    assert gold.resolution["P1"].seconds == 3600
    assert gold.resolution["P2"].seconds == 5400
    assert gold.resolution["P4"].business_days == 2
    assert gold.title == "Gold"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4x", "'4x' is not a duration"),
        ("0m", "'0m' is zero"),
        ("3d", "use 'bd' for business days"),
        (15, "15 is not a duration"),
        ("30m1h", "repeats or reorders units"),
    ],
)
def test_level_with_a_bad_duration_names_the_field_and_the_value(value, expected):
    with pytest.raises(ValidationError) as excinfo:
        level(response={**FULL, "P2": value})
    text = message(excinfo)
    assert "response.P2" in text
    assert expected in text


@pytest.mark.parametrize("clock", ["response", "resolution"])
def test_level_missing_a_priority_says_which(clock):
    targets = {k: v for k, v in FULL.items() if k != "P3"}
    with pytest.raises(ValidationError) as excinfo:
        level(**{clock: targets})
    assert f"{clock}: no target for P3" in message(excinfo)


def test_level_missing_several_priorities_lists_them():
    with pytest.raises(ValidationError) as excinfo:
        level(resolution={"P1": "1h"})
    assert "resolution: no target for P2, P3, P4" in message(excinfo)


def test_level_with_a_fifth_priority_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        level(response={**FULL, "P5": "1h"})
    assert "P5" in message(excinfo)


def test_level_warning_above_critical_is_refused():
    with pytest.raises(ValidationError, match=r"warning \(0.95\) must not be above critical \(0.9\)"):
        level(warning=0.95, critical=0.90)


def test_level_warning_left_in_business_days_is_refused():
    with pytest.raises(ValidationError, match="warning_left: '1bd' must be hours or minutes"):
        level(warning_left="1bd")


def test_level_unknown_field_is_refused():
    with pytest.raises(ValidationError, match="colour"):
        level(colour="gold")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Amsterdm", ""])
def test_customer_with_an_unknown_zone_is_refused(zone):
    with pytest.raises(ValidationError) as excinfo:
        Customer(key="acme", name="Acme", tz=zone)
    text = message(excinfo)
    assert "tz" in text
    if zone:
        assert f"unknown time zone {zone!r}" in text


def test_customer_code_defaults_to_the_key_in_capitals():
    assert Customer(key="acme", name="Acme", tz="Europe/Amsterdam").code == "ACME"
    assert Customer(key="acme", name="Acme", tz="Europe/Amsterdam", code="AC").code == "AC"


def test_calendar_with_an_impossible_time_of_day_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        CalendarDef(key="office", tz="Europe/Amsterdam", hours={"mon": [("09:00", "25:00")]})
    assert "hours.mon[0]: '25:00' is not a valid time of day" in message(excinfo)


def test_calendar_with_an_unknown_zone_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        CalendarDef(key="office", tz="Europe/Atlantis", hours={"mon": [("09:00", "17:00")]})
    assert "unknown time zone 'Europe/Atlantis'" in message(excinfo)


def test_calendar_without_opening_hours_is_refused():
    with pytest.raises(ValidationError, match="no opening time at all"):
        CalendarDef(key="never", tz="Europe/Amsterdam", hours={})


def test_calendar_without_zone_is_a_template():
    cal = CalendarDef(key="office", hours={"mon": [("09:00", "17:00")]})
    assert "tz" not in cal.spec()
    assert cal.build("America/New_York").tz.key == "America/New_York"


def test_contract_ending_before_it_starts_is_refused():
    with pytest.raises(ValidationError, match="valid_to 2025-12-31 is before valid_from 2026-01-01"):
        ContractDef(customer="acme", level="gold", valid_from=date(2026, 1, 1), valid_to=date(2025, 12, 31))


def test_contract_without_level_is_refused_unless_bespoke():
    with pytest.raises(ValidationError, match="level: missing"):
        ContractDef(customer="acme", valid_from=date(2026, 1, 1))


def test_contract_with_own_targets_must_be_bespoke():
    with pytest.raises(ValidationError, match="need bespoke = true"):
        ContractDef(customer="acme", level="gold", valid_from=date(2026, 1, 1), response=dict(FULL))


def test_bespoke_contract_without_level_needs_every_target_and_a_calendar():
    with pytest.raises(ValidationError, match="missing resolution.P1"):
        ContractDef(customer="acme", bespoke=True, calendar="office", valid_from=date(2026, 1, 1), response=dict(FULL))
    with pytest.raises(ValidationError, match="needs its own calendar"):
        ContractDef(
            customer="acme", bespoke=True, valid_from=date(2026, 1, 1), response=dict(FULL), resolution=dict(FULL)
        )


def test_contract_key_defaults_to_customer_and_start():
    contract = ContractDef(customer="acme", level="gold", valid_from=date(2026, 1, 1))
    assert contract.key == "acme-2026-01-01"
    assert contract.covers(date(2030, 1, 1))  # open-ended
    assert not contract.covers(date(2025, 12, 31))


# ------------------------------------------------------------------ targets


@pytest.fixture
def acme_terms(small_contracts):
    catalog = build_catalog([("small.toml", tomllib.loads(small_contracts))])
    acme = next(c for c in catalog.contracts if c.customer == "acme")
    return catalog.terms(acme)


@pytest.mark.parametrize("priority", ["P1", "P2", "P3", "P4"])
def test_override_for_every_priority_beats_the_level(acme_terms, priority):
    # email: resolution = "4h" whatever the priority.
    duration, override = acme_terms.target("resolution", "email", priority)
    assert (duration.seconds, override) == (4 * 3600, True)


@pytest.mark.parametrize("priority", ["P1", "P2", "P3", "P4"])
def test_override_of_one_clock_leaves_the_others_at_the_level(acme_terms, priority):
    level_response = {"P1": 15 * 60, "P2": 30 * 60, "P3": 3600, "P4": 4 * 3600}
    duration, override = acme_terms.target("response", "email", priority)
    assert (duration.seconds, override) == (level_response[priority], False)


@pytest.mark.parametrize(
    ("priority", "seconds", "business_days", "override"),
    [
        ("P1", 3600, 0, False),
        ("P2", 4 * 3600, 0, False),
        ("P3", 2 * 3600, 0, True),  # network = { resolution = { P3 = "2h" } }
        ("P4", 0, 2, False),
    ],
)
def test_per_priority_override_only_changes_its_priority(acme_terms, priority, seconds, business_days, override):
    duration, from_override = acme_terms.target("resolution", "network", priority)
    assert (duration.seconds, duration.business_days, from_override) == (seconds, business_days, override)


@pytest.mark.parametrize(
    ("priority", "seconds", "business_days"),
    [("P1", 3600, 0), ("P2", 4 * 3600, 0), ("P3", 8 * 3600, 0), ("P4", 0, 2)],
)
def test_service_without_override_gets_the_level_target(acme_terms, priority, seconds, business_days):
    duration, override = acme_terms.target("resolution", "printing", priority)
    assert (duration.seconds, duration.business_days, override) == (seconds, business_days, False)


def test_clock_without_target_gives_none(acme_terms):
    # gold in the small contracts has no plan targets.
    assert acme_terms.target("plan", "email", "P1") == (None, False)


def test_terms_carry_level_calendar_and_prices(acme_terms):
    assert acme_terms.level == "gold"
    assert acme_terms.level_name == "Gold"
    assert acme_terms.calendar_key == "always"
    assert acme_terms.calendar == {"always_open": True}
    assert float(acme_terms.price_per_month) == 2000  # the contract's, not the level's 2400
    assert float(acme_terms.hourly_rate) == 95
    assert acme_terms.covers_service("network") and not acme_terms.covers_service("printing")


def test_contract_without_price_takes_the_level_price(small_contracts):
    catalog = build_catalog([("small.toml", tomllib.loads(small_contracts))])
    tulip = next(c for c in catalog.contracts if c.customer == "tulip")
    assert float(catalog.terms(tulip).price_per_month) == 450


def test_bespoke_terms_take_own_targets_and_fill_gaps_from_the_level(small_contracts):
    doc = tomllib.loads(small_contracts)
    doc["contracts"][0].update(bespoke=True, calendar="office", resolution={"P1": "2h"})
    catalog = build_catalog([("small.toml", doc)])
    terms = catalog.terms(next(c for c in catalog.contracts if c.customer == "acme"))
    assert terms.bespoke and terms.level_name == "Bespoke"
    assert terms.calendar_key == "office"
    assert terms.target("resolution", "printing", "P1")[0].seconds == 2 * 3600  # own
    assert terms.target("resolution", "printing", "P2")[0].seconds == 4 * 3600  # from gold


def test_target_override_forms():
    single = TargetOverride.model_validate({"resolution": "4h"})
    per = TargetOverride.model_validate({"resolution": {"P1": "2h"}})
    assert single.for_priority("resolution", "P4").seconds == 4 * 3600
    assert per.for_priority("resolution", "P1").seconds == 2 * 3600
    assert per.for_priority("resolution", "P2") is None
    assert per.for_priority("response", "P1") is None
