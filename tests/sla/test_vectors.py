"""The worked cases in ``data/sla-vectors.json``, against the engine and the reference.

The file is part of the project (``data/README.md`` names where the cases come
from); SLABOARD_VECTORS points the run at another file of the same shape. A missing
file fails the run: these cases are part of the contract. ``alt_expect`` /
``alt_semantics`` describe other engines' answers and are ignored.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .reference import ref_add, ref_add_business_days, ref_elapsed

UTC = timezone.utc


def vectors_path() -> Path:
    override = os.environ.get("SLABOARD_VECTORS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "data" / "sla-vectors.json"


def load_vectors() -> list[dict]:
    path = vectors_path()
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


VECTORS = load_vectors()
MISSING = pytest.param(None, id="vectors-file-missing")
CASES = [pytest.param(v, id=v["id"]) for v in VECTORS] or [MISSING]


def test_vectors_file_is_present_and_sane():
    path = vectors_path()
    assert path.is_file(), f"SLA vectors not found at {path} (set SLABOARD_VECTORS)"
    ids = [v["id"] for v in VECTORS]
    assert len(ids) == len(set(ids)), "duplicate vector ids"
    assert len(VECTORS) >= 40


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"vector instant without offset: {text}"
    return value


def pauses_of(vector: dict) -> list[tuple[datetime, datetime]]:
    return [(instant(a), instant(b)) for a, b in vector.get("pauses", [])]


def describe(vector: dict) -> str:
    return f"{vector['id']} ({vector['source']}): {vector.get('note', '')}"


@pytest.mark.parametrize("vector", CASES)
def test_engine_agrees_with_vector(vector):
    assert vector is not None, f"SLA vectors not found at {vectors_path()}"
    from slaboard.sla import BusinessCalendar

    calendar = BusinessCalendar.from_spec(vector["calendar"])
    start = instant(vector["start"])
    if vector["op"] == "add":
        due = calendar.add(start, vector["duration_s"], pauses=pauses_of(vector))
        assert due.tzinfo is not None and due.utcoffset() is not None
        # Compare instants in UTC: equality of two datetimes sharing a tzinfo
        # ignores fold, so it cannot tell the two 02:30s of a fall-back night apart.
        assert due.astimezone(UTC) == instant(vector["expect"]).astimezone(UTC), describe(vector)
        # The due instant spends exactly the budget (rule 3 with rule 5).
        spent = calendar.elapsed(start, due, pauses=pauses_of(vector))
        assert spent == vector["duration_s"], describe(vector)
    elif vector["op"] == "add_business_days":
        from slaboard.sla import Duration

        t = int(start.timestamp())
        due = calendar.add_business_days(t, vector["days"])
        assert due == int(instant(vector["expect"]).timestamp()), describe(vector)
        if vector["days"]:
            # A business-day target is the business time from the start to that instant.
            budget = Duration(business_days=vector["days"]).business_seconds(calendar, t)
            assert budget == calendar.elapsed_seconds(t, due), describe(vector)
    elif vector["op"] == "elapsed":
        spent = calendar.elapsed(start, instant(vector["end"]), pauses=pauses_of(vector))
        assert isinstance(spent, int) and not isinstance(spent, bool), type(spent)
        assert spent == vector["expect"], describe(vector)
    else:
        pytest.fail(f"unknown op {vector['op']!r} in {vector['id']}")


@pytest.mark.parametrize("vector", CASES)
def test_reference_agrees_with_vector(vector):
    assert vector is not None, f"SLA vectors not found at {vectors_path()}"
    spec, start = vector["calendar"], instant(vector["start"])
    if vector["op"] == "add":
        due = ref_add(spec, None, start, vector["duration_s"], pauses_of(vector))
        assert due == instant(vector["expect"]).astimezone(UTC), describe(vector)
    elif vector["op"] == "add_business_days":
        due = ref_add_business_days(spec, None, start, vector["days"])
        assert due == instant(vector["expect"]).astimezone(UTC), describe(vector)
    else:
        spent = ref_elapsed(spec, None, start, instant(vector["end"]), pauses_of(vector))
        assert spent == vector["expect"], describe(vector)
