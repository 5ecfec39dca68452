"""Bad input on the command line: arbitrary text (brackets, Rich markup, escape
sequences, NUL, right-to-left marks, ~1 MB strings), wrong types, missing fields,
impossible dates and zones, through `ticket new` (options and --json-input), `comm
add`, time options and `report`. Each input is either stored and shown exactly as
given (read back with `ticket show --json`), or gets one clear line on stderr,
exit code 2 and a database that did not change; never a traceback.

Hypothesis drives `slaboard.cli.main` in this process (fast, and an exception
escaping `main` is exactly what would be a traceback); a few cases that need a
real process (argv, stdin bytes, the terminal) run `python -m slaboard`."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .conftest import (
    Unchanged,
    as_stored,
    assert_one_line_error,
    contents,
    counts,
    invoke,
    make_db,
    refused_cleanly,
    run_cli,
)

EXAMPLES = int(os.environ.get("SLABOARD_RELIABILITY_EXAMPLES", "60"))  # per hypothesis test
HUGE = 1_000_000  # characters in a huge string
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

FRAGMENTS = [
    "[bold]x[/]", "[@click=app.quit]x[/]", "[link=file:///etc/passwd]y[/link]", "[", "]", "[/]", "[[", "\\[",
    "\x1b[31m", "\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x1b\\", "\x9b31m", "\x07", "\x08",
    "\x00", "\r", "\n", "\t", "\x7f", "\u202e", "\u200f", "\u2066", "\ufeff", "\u0000\u0000",
    "'; DROP TABLE tickets; --", '" OR 1=1 --', "%", "_", "\\", "😀", "𝔘𝔫𝔦", "\U0010fffd", "ﷺ", "עברית",
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=8).map("".join),
)
LONG = 20_000  # characters of a long string in hypothesis examples (the ~1 MB ones have their own test)
LONG_TEXT = st.sampled_from(FRAGMENTS + ["abc"]).map(lambda f: (f * (LONG // len(f) + 1))[:LONG])
ANY_TEXT = st.integers(0, 19).flatmap(lambda n: LONG_TEXT if n == 0 else TEXT)
TIMES = st.one_of(st.sampled_from([
    "2026-11-26T09:00", "2026-11-26T08:00Z", "20m ago", "-20m", "+4h", "in 2h", "09:30", "tomorrow 12:00",
    "0001-01-01T00:00", "0001-01-01T00:00+14:00", "0001-01-02T00:00", "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:00Z", "9999-01-01", "2026-02-30T10:00", "2026-11-26T10:00+25:00", "2026-13-01", "24:00",
    "99:99", "tomorrow 25:00", "-99999999999999h", "in 99999999999h", "+9999999999m", "-0m", "20 ago",
    "2026-03-29T02:30", "2026-10-25T02:30", "1969-12-31T23:59:59Z", "2026-11-26T10:00:00.123456789+01:00",
    "now", "", " ",
]), TEXT)


pytestmark = pytest.mark.usefixtures("in_process_env")


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory, in_process_env: None) -> Path:
    """One database for every example of a test: a rejected input must leave it alone;
    an accepted one only adds what it said."""
    db = make_db(tmp_path_factory.mktemp("bad-input") / "floor.db")
    code, out, err = invoke(["ticket", "new", "--customer=ACME", "--service=email", "--title=first", "--db", str(db)])
    assert code == 0, err
    return db


def shown(db: Path, ticket_id: int) -> dict[str, Any]:
    code, out, err = invoke(["ticket", "show", str(ticket_id), "--json", "--db", str(db)])
    assert code == 0, err
    return json.loads(out)


def outcome_of_new_call(db: Path, argv: list[str], given_fields: dict[str, Any], stdin: str = "") -> str:
    guard = Unchanged(db)
    result = invoke(argv, stdin)
    code, out, _ = result
    if code == 0:
        guard.close()
        made = json.loads(out)
        stored = shown(db, made["id"])
        for name in ("title", "caller", "description"):
            if name in given_fields:
                want = as_stored(given_fields[name])
                assert made[name] == want and stored[name] == want, name
        event("stored")
        return "stored"
    refused_cleanly(result)
    guard.check()
    event(f"refused: {result[2][:40]}")
    return "refused"


# ----------------------------------------------------------------------------- ticket new


def mostly(valid: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid about four times in five: enough calls get through for "stored exactly" to be tested."""
    return st.integers(0, 9).flatmap(lambda n: bad if n >= 8 else valid)


GOOD_CUSTOMERS = st.sampled_from(["ACME", "acme", "TUL", "Tulip", "Acme Logistics", "jan@acme.example"])
GOOD_SERVICES = st.sampled_from(["email", "E-mail", "network", "printing", "EMAIL"])
CUSTOMERS = st.one_of(GOOD_CUSTOMERS, st.sampled_from(["a", " ", "%", "_", "ACME'; --"]), TEXT)
SERVICES = st.one_of(GOOD_SERVICES, TEXT)
LEVEL = st.one_of(st.sampled_from(["1", "2", "3"]), st.sampled_from(["0", "4", "-1", "1.0", "one", ""]), TEXT)


@PROPERTY
@given(
    customer=mostly(GOOD_CUSTOMERS, st.none() | CUSTOMERS), service=mostly(GOOD_SERVICES, st.none() | SERVICES),
    title=mostly(ANY_TEXT.filter(str.strip), st.none() | ANY_TEXT), caller=st.none() | ANY_TEXT, description=st.none() | ANY_TEXT,
    impact=mostly(st.none() | st.sampled_from(["1", "2", "3"]), LEVEL),
    urgency=mostly(st.none() | st.sampled_from(["1", "2", "3"]), LEVEL),
    channel=mostly(st.none() | st.sampled_from(["phone", "email", "portal", "monitoring"]), TEXT),
    reported=mostly(st.none(), TIMES),
)
def test_ticket_new_options(floor: Path, **fields: str | None) -> None:
    names = {"reported": "reported-at"}
    argv = ["ticket", "new", "--json", "--db", str(floor)]
    argv += [f"--{names.get(k, k)}={v}" for k, v in fields.items() if v is not None]
    given_fields = {k: v for k, v in fields.items() if v is not None}
    if given_fields.get("caller") is None and "caller" not in given_fields:
        given_fields["caller"] = ""
    outcome_of_new_call(floor, argv, given_fields)


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), ANY_TEXT)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                           max_leaves=6)
CALL_FIELDS = {
    "customer": mostly(GOOD_CUSTOMERS, st.one_of(CUSTOMERS, JSON_VALUES)),
    "service": mostly(GOOD_SERVICES, st.one_of(SERVICES, JSON_VALUES)),
    "title": mostly(ANY_TEXT.filter(str.strip), JSON_VALUES),
}
OPTIONAL_FIELDS = {
    "caller": mostly(ANY_TEXT, JSON_VALUES), "description": mostly(ANY_TEXT, JSON_VALUES),
    "impact": mostly(st.integers(1, 3), st.one_of(st.integers(-5, 5), JSON_VALUES)),
    "urgency": mostly(st.integers(1, 3), st.one_of(st.integers(-5, 5), JSON_VALUES)),
    "channel": mostly(st.sampled_from(["phone", "email", "portal", "monitoring"]), st.one_of(st.just("fax"), JSON_VALUES)),
    "reported_at": mostly(st.sampled_from(["20m ago", "09:00", "2026-11-26T08:00Z"]), st.one_of(TIMES, JSON_VALUES)),
}
CALLS = st.fixed_dictionaries(CALL_FIELDS, optional=OPTIONAL_FIELDS)
JSON_INPUT = mostly(CALLS.map(json.dumps), st.one_of(
    st.tuples(CALLS, TEXT, JSON_VALUES).map(lambda t: json.dumps({**t[0], t[1]: t[2]})),  # an unknown field
    st.dictionaries(TEXT, JSON_VALUES, max_size=4).map(json.dumps),
    JSON_VALUES.map(lambda v: json.dumps(v)),
    TEXT,  # not JSON at all
))


@PROPERTY
@given(document=JSON_INPUT)
def test_ticket_new_json_input(floor: Path, document: str) -> None:
    try:
        given_fields = json.loads(document)
    except ValueError:
        given_fields = {}
    if not isinstance(given_fields, dict):
        given_fields = {}
    given_fields = {k: v for k, v in given_fields.items() if k in ("title", "caller", "description")}
    given_fields.setdefault("caller", "")
    outcome_of_new_call(floor, ["ticket", "new", "--json-input", "-", "--json", "--db", str(floor)], given_fields,
                        stdin=document)


# ----------------------------------------------------------------------------- comm add


TICKETS = st.one_of(st.sampled_from(["{fresh}", "#{fresh}", "1001", "999999", "0", "-1", "abc", "", "1e3",
                                     "99999999999999999999999"]), TEXT)


@PROPERTY
@given(
    customer=mostly(st.none() | GOOD_CUSTOMERS, CUSTOMERS), ticket=mostly(st.none() | st.just("{fresh}"), TICKETS),
    summary=mostly(ANY_TEXT.filter(str.strip), st.none() | ANY_TEXT), contact=st.none() | ANY_TEXT,
    promised=mostly(st.none() | st.sampled_from(["+4h", "tomorrow 12:00", "in 2h"]), TIMES),
    at=mostly(st.none() | st.sampled_from(["-10m", "09:00"]), TIMES),
    channel=mostly(st.none() | st.sampled_from(["phone", "email", "meeting", "portal"]), TEXT),
    direction=mostly(st.none() | st.sampled_from(["in", "out"]), TEXT),
    tells=st.booleans(),
)
def test_comm_add(floor: Path, tells: bool, **fields: str | None) -> None:
    code, out, err = invoke(["ticket", "new", "--customer=ACME", "--service=email", "--title=to talk about", "--json",
                             "--db", str(floor)])
    assert code == 0, err
    fresh = str(json.loads(out)["id"])  # a call of its own, so its log stays short
    if fields["ticket"] is not None:
        fields["ticket"] = fields["ticket"].replace("{fresh}", fresh)
    argv = ["comm", "add", "--json", "--db", str(floor)]
    argv += [f"--{k}={v}" for k, v in fields.items() if v is not None]
    if tells:
        argv.append("--tells-of-miss")
    guard = Unchanged(floor)
    result = invoke(argv)
    code, out, _ = result
    if code != 0:
        refused_cleanly(result)
        guard.check()
        event(f"refused: {result[2][:40]}")
        return
    event("stored")
    guard.close()
    made = json.loads(out)
    assert made["summary"] == as_stored(fields["summary"])  # type: ignore[arg-type]
    assert made["contact"] == as_stored(fields["contact"] or "")
    conn = sqlite3.connect(floor)
    try:
        assert conn.execute("SELECT summary, contact FROM communications WHERE id = ?", [made["id"]]).fetchall() == [
            (made["summary"], made["contact"])]
    finally:
        conn.close()
    if made["ticket_id"] == int(fresh):
        code, listed, err = invoke(["comm", "list", "--ticket", fresh, "--json", "--db", str(floor)])
        assert code == 0, err
        [shown_comm] = [c for c in json.loads(listed) if c["id"] == made["id"]]
        assert (shown_comm["summary"], shown_comm["contact"]) == (made["summary"], made["contact"])


# ----------------------------------------------------------------------------- ticket update and times


@PROPERTY
@given(expected=mostly(st.none() | st.sampled_from(["+4h", "tomorrow 17:00"]), TIMES),
       assignee=st.none() | ANY_TEXT, reason=st.none() | ANY_TEXT,
       status=mostly(st.none() | st.sampled_from(["diagnosing", "in_progress", "resolved", "closed"]),
                     st.one_of(st.just("open"), TEXT)),
       version=mostly(st.none() | st.just("1"), st.one_of(st.sampled_from(["0", "-1", "x", "99999999999999999999999"]), TEXT)))
def test_ticket_update(floor: Path, **fields: str | None) -> None:
    code, out, err = invoke(["ticket", "new", "--customer=ACME", "--service=email", "--title=to update", "--json",
                             "--db", str(floor)])
    assert code == 0, err
    ticket_id = json.loads(out)["id"]
    argv = ["ticket", "update", str(ticket_id), "--json", "--db", str(floor)]
    argv += [f"--{k}={v}" for k, v in fields.items() if v is not None]
    guard = Unchanged(floor)
    result = invoke(argv)
    if result[0] != 0:
        refused_cleanly(result)
        guard.check()
        return
    guard.close()
    stored = shown(floor, ticket_id)
    if fields["assignee"] is not None:
        assert stored["assignee"] == fields["assignee"].strip()


@pytest.mark.parametrize(("option", "value"), [
    ("--reported-at", "-99999999999h"),  # past what a timedelta holds
    ("--reported-at", "0001-01-01T00:00+14:00"),  # before the year 1 in UTC
])
def test_impossible_reported_times_are_one_line(floor: Path, option: str, value: str) -> None:
    guard = Unchanged(floor)
    refused_cleanly(invoke(["ticket", "new", "--customer=ACME", "--service=email", "--title=t", f"{option}={value}",
                            "--db", str(floor)]))
    guard.check()


@pytest.mark.parametrize("value", ["+99999999999h", "9999-12-31T23:59:59-14:00"])
def test_impossible_promised_times_are_one_line(floor: Path, value: str) -> None:
    for argv in (["ticket", "update", "1001", f"--expected={value}"], ["ticket", "diagnose", "1001", f"--expected={value}"],
                 ["comm", "add", "--ticket=1001", "--summary=s", f"--promised={value}"]):
        guard = Unchanged(floor)
        result = invoke([*argv, "--db", str(floor)])
        if result[0] != 0:
            refused_cleanly(result)
            guard.check()
        else:
            guard.close()
            assert invoke(["ticket", "list", "--db", str(floor)])[0] == 0  # the board's list still works


@pytest.mark.parametrize("value", ["0001-01-01T00:00+14:00", "-99999999999h"])
def test_impossible_message_times_are_one_line(floor: Path, value: str) -> None:
    guard = Unchanged(floor)
    refused_cleanly(invoke(["comm", "add", "--ticket=1001", "--summary=s", f"--at={value}", "--db", str(floor)]))
    guard.check()


BIG = "99999999999999999999999"  # a ticket number past SQLite's 64-bit integers


@pytest.mark.parametrize("argv", [
    ["ticket", "show", BIG], ["ticket", "update", BIG, "--assignee=x"], ["comm", "add", f"--ticket={BIG}", "--summary=s"],
    ["ticket", "list", "--all", f"--limit={BIG}"], ["ticket", "list", "--all", "--limit=-5"],
], ids=lambda a: " ".join(a[:2] + a[-1:]))
def test_impossible_ticket_numbers_are_one_line(floor: Path, argv: list[str]) -> None:
    guard = Unchanged(floor)
    result = invoke([*argv, "--db", str(floor)])
    if result[0] != 0:
        refused_cleanly(result)
    guard.check()


# ----------------------------------------------------------------------------- report


PERIODS = st.one_of(st.sampled_from(["2026-Q3", "2026-07", "2026", "2026-q4", " 2026 ", "0000", "9999", "0001",
                                     "9999-Q4", "0000-01", "9999-12", "2026-00", "2026-13", "2026-Q5", "2026-Q0",
                                     "26-07", "2026/07", "Q3", "last quarter", ""]), TEXT)
DATES = st.one_of(st.sampled_from(["2026-01-01", "2026-12-31", "2026-02-30", "0001-01-01", "9999-12-31", "x", "",
                                   "2026-1-1", "20260101"]), TEXT)


@PROPERTY
@given(period=st.none() | PERIODS, start=st.none() | DATES, end=st.none() | DATES,
       customer=st.none() | CUSTOMERS,
       fmt=st.sampled_from(["table", "json", "csv", "md", "html"]),
       by=st.sampled_from(["customer", "level", "service", "priority", "contract", "month"]))
def test_report_period(floor: Path, period: str | None, start: str | None, end: str | None, customer: str | None,
                       fmt: str, by: str) -> None:
    argv = ["report", f"--format={fmt}", f"--by={by}", "--db", str(floor)]
    for option, value in (("--period", period), ("--from", start), ("--to", end), ("--customer", customer)):
        if value is not None:
            argv.append(f"{option}={value}")
    before = contents(floor)
    result = invoke(argv)
    if result[0] != 0:
        refused_cleanly(result)
    # A report changes nothing of the data (it may keep the sums of whole months).
    assert contents(floor) == before


HUGE_FRAGMENTS = ["[bold]x[/]", "\x1b[31m\x00", "\u202eעברית", "'; DROP TABLE tickets; --", "😀"]


@pytest.mark.parametrize("fragment", HUGE_FRAGMENTS)
def test_huge_strings_through_every_text_option(floor: Path, fragment: str) -> None:
    """~1 MB in each text a command takes: stored and shown exactly as given."""
    huge = (fragment * (HUGE // len(fragment) + 1))[:HUGE]
    code, out, err = invoke(["ticket", "new", "--customer=ACME", "--service=email", f"--title={huge}",
                             f"--caller={huge}", f"--description={huge}", "--json", "--db", str(floor)])
    assert code == 0, err[:300]
    ticket_id = json.loads(out)["id"]
    for argv in (["ticket", "diagnose", str(ticket_id), f"--diagnosis={huge}", f"--category={huge}"],
                 ["ticket", "assign", str(ticket_id), huge],
                 ["ticket", "comment", str(ticket_id), huge],
                 ["ticket", "update", str(ticket_id), "--status=waiting_customer", f"--reason={huge}"],
                 ["comm", "add", f"--ticket={ticket_id}", f"--summary={huge}", f"--contact={huge}"]):
        code, _, err = invoke([*argv, "--db", str(floor)])
        assert code == 0, (argv[:2], err[:300])
    stored = shown(floor, ticket_id)
    want = as_stored(huge)
    for name in ("title", "caller", "description", "diagnosis", "category", "assignee"):
        assert stored[name] == want, name
    assert [e["note"] for e in stored["events"] if e["kind"] == "comment"] == [want]
    assert stored["statuses"][-1]["reason"] == want
    code, listed, _ = invoke(["comm", "list", f"--ticket={ticket_id}", "--json", "--db", str(floor)])
    [comm] = json.loads(listed)
    assert comm["summary"] == want and comm["contact"] == want


# ----------------------------------------------------------------------------- real processes


def test_huge_strings_through_a_real_command_line(floor: Path) -> None:
    title = "[bold]x[/] \u202e\x1b[31m" * 5_000  # 90 kB: Linux allows 128 KiB per argument
    result = run_cli(floor, "ticket", "new", "--customer=ACME", "--service=email", f"--title={title}", "--json")
    assert result.returncode == 0, result.stderr[-500:]
    ticket_id = json.loads(result.stdout)["id"]
    big = "\u05d0[/]\x00x" * (HUGE // 6)
    piped = run_cli(floor, "ticket", "new", "--json-input", "-", "--json",
                    stdin=json.dumps({"customer": "ACME", "service": "email", "title": "t", "description": big}))
    assert piped.returncode == 0, piped.stderr[-500:]
    other = json.loads(piped.stdout)["id"]
    assert json.loads(run_cli(floor, "ticket", "show", str(ticket_id), "--json").stdout)["title"] == title
    assert json.loads(run_cli(floor, "ticket", "show", str(other), "--json").stdout)["description"] == big


@pytest.mark.parametrize("data", [
    b'{"customer": "ACME", "service": "email", "title": "\xff\xfe broken"}',
    b'{"customer": "ACME", "service": "email", "title": "caf\xe9"}',  # Latin-1, not UTF-8
], ids=["invalid-utf8", "latin-1"])
def test_json_input_that_is_not_utf8(floor: Path, data: bytes) -> None:
    """Standard input as on a host with a UTF-8 locale (strict decoding: the test
    environment sets PYTHONIOENCODING=utf-8, as such a locale would)."""
    before = counts(floor)
    assert_one_line_error(run_cli(floor, "ticket", "new", "--json-input", "-", stdin=data))
    assert counts(floor) == before


@pytest.mark.parametrize("command", [["ticket", "show", "{id}"], ["ticket", "list"], ["comm", "list", "--ticket", "{id}"]],
                         ids=["show", "list", "comm-list"])
def test_text_output_never_sends_control_codes_to_the_terminal(floor: Path, command: list[str]) -> None:
    """DESIGN: user text is shown as plain text, never as terminal control codes
    (an escape sequence in a title must not recolour, clear or retitle the screen)."""
    nasty = "Mail \x1b[2J\x1b]0;owned\x07 \x9b31m down"
    made = run_cli(floor, "ticket", "new", "--customer=ACME", "--service=email", f"--title={nasty}",
                   f"--description={nasty}", "--json")
    assert made.returncode == 0, made.stderr
    ticket_id = json.loads(made.stdout)["id"]
    assert run_cli(floor, "comm", "add", f"--ticket={ticket_id}", f"--summary={nasty}").returncode == 0
    result = run_cli(floor, *[part.format(id=ticket_id) for part in command])
    assert result.returncode == 0, result.stderr
    assert "Mail" in result.stdout
    for code in ("\x1b", "\x07", "\x9b"):
        assert code not in result.stdout, (code, result.stdout[-300:])
