"""The command line: every command with and without --json, reading a call from
standard input, and one line on stderr with exit code 2 for every user mistake."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.cli import main

NOW_ISO = "2026-11-26T10:00:00+01:00"  # the conftest's `now`
NOW = datetime.fromisoformat(NOW_ISO)
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """The database the environment points at (not created yet)."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SLABOARD_DB", str(path))
    monkeypatch.setenv("SLABOARD_NOW", NOW_ISO)
    monkeypatch.setenv("SLABOARD_OPERATOR", "ann")
    return path


@pytest.fixture
def run(capsys, monkeypatch):
    """main(argv) -> (exit code, stdout, stderr)."""

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse mistakes
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def loaded(db, small_file, run) -> Path:
    """A database with the small contracts."""
    assert run("init")[0] == 0
    assert run("load", str(small_file))[0] == 0
    return db


def counts(path: Path) -> dict[str, int]:
    """Rows per table (every table of the file), read with a plain sqlite3 connection."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def assert_user_error(result: tuple[int, str, str], *fragments: str) -> str:
    code, out, err = result
    assert code == 2, result
    assert out == "", out
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def new_json(run, *argv: str) -> dict:
    code, out, err = run("ticket", "new", "--json", *argv)
    assert (code, err) == (0, ""), err
    return json.loads(out)


# ------------------------------------------------------------------ init and load


def test_init_creates_a_database(db, run):
    code, out, err = run("init")
    assert (code, err) == (0, "")
    assert out == f"created slaboard database at {db}\n"
    assert db.exists()
    code, out, _ = run("init", "--json")
    assert code == 0 and json.loads(out) == {"path": str(db), "created": False}


def test_init_json_on_a_new_file(db, run):
    code, out, _ = run("init", "--json")
    assert code == 0 and json.loads(out) == {"path": str(db), "created": True}


def test_load_prints_what_it_added_then_nothing(db, small_file, run):
    run("init")
    code, out, err = run("load", str(small_file))
    assert (code, err) == (0, "")
    assert "added 2 customers: acme, tulip" in out
    assert "added 2 contracts: acme-2026-01-01, tulip-2026-01-01" in out
    code, out, _ = run("load", str(small_file))
    assert code == 0 and out.startswith("nothing changed")


def test_load_json(db, small_file, run):
    run("init")
    code, out, _ = run("load", "--json", str(small_file))
    assert code == 0
    data = json.loads(out)
    assert data["added"]["services"] == ["email", "network", "printing"]
    assert data["changed"] == {} and data["unchanged"] == {}
    code, out, _ = run("load", str(small_file), "--json")
    assert json.loads(out) == {
        "added": {}, "changed": {},
        "unchanged": {"calendars": 2, "levels": 2, "services": 3, "customers": 2, "contracts": 2},
    }


def test_load_needs_an_existing_database(db, small_file, run):
    assert_user_error(run("load", str(small_file)), "no database at", "slaboard init")
    assert not db.exists()


def test_load_of_invalid_toml_writes_nothing(loaded, tmp_path, run):
    bad = tmp_path / "bad.toml"
    bad.write_text('[services.fax]\nname = "Fax\n', encoding="utf-8")
    before = counts(loaded)
    assert_user_error(run("load", str(bad)), str(bad), "invalid TOML")
    assert counts(loaded) == before


def test_load_error_names_file_entry_and_field(loaded, small_contracts, tmp_path, run):
    bad = tmp_path / "bad.toml"
    bad.write_text(small_contracts.replace('P2 = "1bd"', 'P2 = "4x"'), encoding="utf-8")
    before = counts(loaded)
    assert_user_error(run("load", str(bad)), f"{bad}: levels.bronze: resolution.P2: '4x' is not a duration")
    assert counts(loaded) == before


# ------------------------------------------------------------------ ticket new


def test_ticket_new_prints_the_ticket(loaded, run):
    code, out, err = run("ticket", "new", "--customer", "ACME", "--service", "email", "--title", "Mail down",
                         "--impact", "1", "--urgency", "1", "--caller", "Jan")
    assert (code, err) == (0, "")
    assert out.startswith("#1001 Mail down\n")
    assert "Acme Logistics (ACME)" in out
    assert "acme-2026-01-01 v1, Gold" in out
    assert "priority P1" in out
    assert "due 2026-11-26 10:15 CET" in out  # response, 15m
    assert "due 2026-11-26 14:00 CET" in out  # resolution, the 4h e-mail override


def test_ticket_new_json(loaded, run):
    data = new_json(run, "--customer", "acme", "--service", "network", "--title", "Switch down",
                    "--impact", "2", "--urgency", "1", "--channel", "monitoring")
    assert {"id", "status", "priority", "response_due", "resolution_due"} <= set(data)
    assert (data["id"], data["status"], data["priority"], data["channel"]) == (1001, "new", "P2", "monitoring")
    assert datetime.fromisoformat(data["response_due"]) == NOW + timedelta(minutes=30)
    assert datetime.fromisoformat(data["resolution_due"]) == NOW + timedelta(hours=4)
    assert data["contract"]["key"] == "acme-2026-01-01"
    assert data["billable"] is False


def test_ticket_new_billable_json(loaded, run):
    data = new_json(run, "--customer", "acme", "--service", "printing", "--title", "Printer jams")
    assert data["billable"] is True
    assert data["response_due"] is None and data["resolution_due"] is None
    assert data["clocks"] == {}


def test_reported_at_relative(loaded, run):
    data = new_json(run, "--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "20m ago")
    assert datetime.fromisoformat(data["reported_at"]) == NOW - timedelta(minutes=20)
    assert datetime.fromisoformat(data["created_at"]) == NOW


def test_reported_at_relative_with_a_minus(loaded, run):
    # The README and --help both offer "-20m" as a form of --reported-at.
    data = new_json(run, "--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "-20m")
    assert datetime.fromisoformat(data["reported_at"]) == NOW - timedelta(minutes=20)


def test_reported_at_without_zone_is_read_in_the_customers_zone(loaded, run):
    data = new_json(run, "--customer", "tulip", "--service", "email", "--title", "x",
                    "--reported-at", "2026-11-26T03:00")
    assert datetime.fromisoformat(data["reported_at"]) == datetime(2026, 11, 26, 3, 0, tzinfo=NEW_YORK)
    data = new_json(run, "--customer", "acme", "--service", "email", "--title", "x",
                    "--reported-at", "2026-11-26T09:15")
    assert datetime.fromisoformat(data["reported_at"]) == datetime(2026, 11, 26, 9, 15, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_reported_at_with_zone_is_kept(loaded, run):
    data = new_json(run, "--customer", "tulip", "--service", "email", "--title", "x",
                    "--reported-at", "2026-11-26T08:30Z")
    assert datetime.fromisoformat(data["reported_at"]) == datetime.fromisoformat("2026-11-26T08:30+00:00")


def test_json_input_from_stdin(loaded, run):
    call = {"customer": "ACME", "service": "network", "title": "Switch down", "channel": "monitoring",
            "impact": 1, "urgency": 2, "caller": "Zabbix", "description": "port 24 down", "reported_at": "5m ago"}
    code, out, err = run("ticket", "new", "--json-input", "-", "--json", stdin=json.dumps(call))
    assert (code, err) == (0, ""), err
    data = json.loads(out)
    assert (data["id"], data["priority"], data["channel"], data["caller"]) == (1001, "P2", "monitoring", "Zabbix")
    assert data["description"] == "port 24 down"
    assert datetime.fromisoformat(data["reported_at"]) == NOW - timedelta(minutes=5)
    assert {"id", "status", "priority", "response_due", "resolution_due"} <= set(data)


def test_json_input_minimal(loaded, run):
    code, out, _ = run("ticket", "new", "--json-input", "-", "--json",
                       stdin='{"customer": "acme", "service": "email", "title": "Mail down"}')
    assert code == 0
    data = json.loads(out)
    assert (data["priority"], data["channel"], data["impact"], data["urgency"]) == ("P4", "phone", 3, 3)


@pytest.mark.parametrize(
    ("stdin", "fragment"),
    [
        ('{"customer": "acme"', "not valid JSON"),
        ("", "not valid JSON"),
        ('["acme", "email"]', "give one JSON object"),
        ('{"customer": "acme", "service": "email", "title": "t", "impact": "2"}', "impact must be 1, 2 or 3, not '2'"),
        ('{"customer": "acme", "service": "email", "title": "t", "urgency": true}', "urgency must be 1, 2 or 3"),
        ('{"customer": "acme", "service": "email", "title": 5}', "title must be a string, not int"),
        ('{"customer": "acme", "service": "email", "title": "t", "colour": "red"}', "unknown field 'colour'"),
        ('{"customer": "acme", "service": "email"}', "title is missing"),
        ('{"service": "email", "title": "t"}', "customer is missing"),
        ('{"customer": "acme", "service": "email", "title": "t", "impact": 7}', "impact must be 1, 2 or 3, not 7"),
        ('{"customer": "acme", "service": "email", "title": "t", "channel": "fax"}', "channel must be one of"),
        ('{"customer": "acme", "service": "email", "title": "t", "reported_at": "soon"}', "'soon' is not a time"),
        ('{"customer": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"customer": "acme", "service": "email", "title": "t", "impact": ' + "7" * 5000 + "}", "digits"),
    ],
)
def test_bad_json_input_is_one_line_and_writes_nothing(loaded, run, stdin, fragment):
    before = counts(loaded)
    assert_user_error(run("ticket", "new", "--json-input", "-", stdin=stdin), fragment)
    assert counts(loaded) == before


def test_json_input_takes_only_a_dash(loaded, run):
    assert_user_error(run("ticket", "new", "--json-input", "call.json"), "--json-input takes '-'")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--customer", "nobody", "--service", "email", "--title", "x"], "unknown customer 'nobody'"),
        (["--customer", "acme", "--service", "fax", "--title", "x"], "unknown service 'fax'"),
        (["--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "yesterday"],
         "reported_at: 'yesterday' is not a time"),
        (["--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "2026-13-40T10:00"],
         "is not a time"),
        (["--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "+1h"], "is in the future"),
        (["--customer", "acme", "--service", "email"], "missing --title"),
        (["--customer", "acme", "--service", "email", "--title", "x", "--impact", "4"], "must be 1, 2 or 3"),
        (["--customer", "acme", "--service", "email", "--title", "x", "--channel", "fax"], "invalid choice"),
    ],
)
def test_bad_new_call_is_one_line_and_writes_nothing(loaded, run, argv, fragment):
    before = counts(loaded)
    assert_user_error(run("ticket", "new", *argv), fragment)
    assert counts(loaded) == before


# ------------------------------------------------------------------ list, show, update


def test_list_open_calls_most_urgent_first(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "Slow mail")  # P4, 4h
    new_json(run, "--customer", "acme", "--service", "email", "--title", "No mail", "--impact", "1", "--urgency", "1")
    code, out, _ = run("ticket", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("#1002") and "No mail" in lines[0] and "P1" in lines[0]
    assert lines[1].startswith("#1001") and "Slow mail" in lines[1]


def test_list_json_and_all(loaded, run):
    first = new_json(run, "--customer", "acme", "--service", "email", "--title", "One")
    second = new_json(run, "--customer", "tulip", "--service", "email", "--title", "Two")
    assert run("ticket", "update", str(first["id"]), "--status", "resolved")[0] == 0
    code, out, _ = run("ticket", "list", "--json")
    assert code == 0 and [t["id"] for t in json.loads(out)] == [second["id"]]
    code, out, _ = run("ticket", "list", "--all", "--json")
    assert [t["id"] for t in json.loads(out)] == [second["id"], first["id"]]


def test_list_when_empty(loaded, run):
    assert run("ticket", "list") == (0, "no open calls\n", "")
    code, out, _ = run("ticket", "list", "--json")
    assert json.loads(out) == []


def test_show_text_and_json(loaded, run):
    ticket = new_json(run, "--customer", "acme", "--service", "email", "--title", "Mail down")
    run("ticket", "update", "1001", "--assignee", "bob")
    code, out, err = run("ticket", "show", "1001")
    assert (code, err) == (0, "")
    assert out.startswith("#1001 Mail down")
    assert "history" in out and "assignee: - -> bob" in out
    code, out, _ = run("ticket", "show", "#1001", "--json")
    data = json.loads(out)
    assert data["id"] == ticket["id"] and data["assignee"] == "bob"
    assert [(e["kind"], e["field"], e["operator"]) for e in data["events"]] == [
        ("created", "", "ann"), ("field", "assignee", "ann"),
    ]


def test_update_text_and_json(loaded, run):
    new_json(run, "--customer", "acme", "--service", "network", "--title", "Wi-Fi slow")  # P4
    code, out, err = run("ticket", "update", "1001", "--status", "in_progress", "--assignee", "bob",
                         "--operator", "carol")
    assert (code, err) == (0, "")
    assert "status in_progress" in out and "assignee bob" in out
    code, out, _ = run("ticket", "update", "1001", "--impact", "2", "--urgency", "2", "--json")
    data = json.loads(out)
    assert (data["priority"], data["version"]) == ("P3", 3)
    assert datetime.fromisoformat(data["resolution_due"]) == NOW + timedelta(hours=2)
    code, out, _ = run("ticket", "show", "1001", "--json")
    events = json.loads(out)["events"]
    assert {e["operator"] for e in events[1:3]} == {"carol"}
    assert ("priority", "P3") in [(e["kind"], e["new"]) for e in events]


def test_update_expected_relative_and_in_customer_zone(loaded, run):
    new_json(run, "--customer", "tulip", "--service", "email", "--title", "x")
    code, out, _ = run("ticket", "update", "1001", "--expected", "+4h", "--json")
    assert code == 0 and datetime.fromisoformat(json.loads(out)["expected_at"]) == NOW + timedelta(hours=4)
    code, out, _ = run("ticket", "update", "1001", "--expected", "2026-11-27T09:00", "--json")
    assert datetime.fromisoformat(json.loads(out)["expected_at"]) == datetime(2026, 11, 27, 9, 0, tzinfo=NEW_YORK)


def test_update_with_a_stale_version_is_refused(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    run("ticket", "update", "1001", "--assignee", "bob")
    before = counts(loaded)
    assert_user_error(run("ticket", "update", "1001", "--assignee", "carol", "--version", "1"),
                      "changed by someone else", "reload it and try again")
    assert counts(loaded) == before


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["ticket", "show", "4242"], "no ticket #4242"),
        (["ticket", "update", "4242", "--status", "resolved"], "no ticket #4242"),
        (["ticket", "update", "1001", "--status", "bogus"], "invalid choice"),
        (["ticket", "update", "1001", "--expected", "-1h"], ""),
        (["ticket", "update", "1001", "--expected", "2020-01-01T09:00"], "is in the past"),
        (["ticket", "update", "1001", "--expected", "tomorrowish"], "is not a time"),
        (["ticket", "show", "abc"], "'abc' is not a ticket number"),
    ],
)
def test_bad_update_or_show_is_one_line_and_writes_nothing(loaded, run, argv, fragment):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    before = counts(loaded)
    assert_user_error(run(*argv), fragment)
    assert counts(loaded) == before


def test_closed_ticket_cannot_move(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    assert run("ticket", "update", "1001", "--status", "closed")[0] == 0
    assert_user_error(run("ticket", "update", "1001", "--status", "in_progress"), "#1001 is closed")


# ------------------------------------------------------------------ options and environment


def test_db_option_before_or_after_the_subcommand(tmp_path, small_file, run, monkeypatch):
    monkeypatch.delenv("SLABOARD_DB", raising=False)
    monkeypatch.setenv("SLABOARD_NOW", NOW_ISO)
    monkeypatch.setenv("SLABOARD_OPERATOR", "ann")
    path = str(tmp_path / "opt.db")
    assert run("--db", path, "init")[0] == 0
    assert run("load", str(small_file), "--db", path)[0] == 0
    assert run("--db", path, "ticket", "new", "--customer", "acme", "--service", "email", "--title", "a")[0] == 0
    assert run("ticket", "--db", path, "new", "--customer", "acme", "--service", "email", "--title", "b")[0] == 0
    assert run("ticket", "new", "--customer", "acme", "--service", "email", "--title", "c", "--db", path)[0] == 0
    for argv in (["--db", path, "--json", "ticket", "list"], ["ticket", "list", "--db", path, "--json"]):
        code, out, _ = run(*argv)
        assert code == 0 and [t["title"] for t in json.loads(out)] == ["a", "b", "c"]


def test_db_option_beats_the_environment(loaded, tmp_path, run):
    other = tmp_path / "other.db"
    assert run("init", "--db", str(other))[0] == 0
    assert run("ticket", "list", "--db", str(other)) == (0, "no open calls\n", "")
    assert counts(other)["customers"] == 0 and counts(loaded)["customers"] == 2


def test_operator_from_the_environment_or_option(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    run("ticket", "update", "1001", "--assignee", "bob", "--operator", "dave")
    code, out, _ = run("ticket", "show", "1001", "--json")
    assert [e["operator"] for e in json.loads(out)["events"]] == ["ann", "dave"]


def test_bad_clock_in_the_environment(loaded, run, monkeypatch):
    monkeypatch.setenv("SLABOARD_NOW", "2026-11-26T10:00")
    assert_user_error(run("ticket", "list"), "SLABOARD_NOW", "no time zone")
    monkeypatch.setenv("SLABOARD_NOW", "half past ten")
    assert_user_error(run("ticket", "list"), "SLABOARD_NOW")


def test_db_path_that_is_a_directory(tmp_path, run, monkeypatch, db):
    monkeypatch.setenv("SLABOARD_DB", str(tmp_path))
    for argv in (["init"], ["ticket", "list"], ["ticket", "new", "--customer", "acme", "--service", "email", "--title", "x"]):
        assert_user_error(run(*argv), "is a directory")


def test_db_that_is_not_a_slaboard_database(tmp_path, small_file, run, monkeypatch, db):
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 20, encoding="utf-8")
    before = text.read_bytes()
    for argv in (["init", "--db", str(text)], ["ticket", "list", "--db", str(text)], ["load", str(small_file), "--db", str(text)]):
        assert_user_error(run(*argv), "is not a SQLite database")
    assert text.read_bytes() == before


def test_db_of_another_application_is_refused_untouched(tmp_path, small_file, run, db):
    other = tmp_path / "photos.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for argv in (["init", "--db", str(other)], ["load", str(small_file), "--db", str(other)]):
        assert_user_error(run(*argv), "not a slaboard database")
    assert other.read_bytes() == before


def test_missing_ticket_action_is_a_usage_error(loaded, run):
    code, out, err = run("ticket")
    assert code == 2 and out == "" and err.count("\n") == 1 and "ACTION" in err


# ------------------------------------------------------------------ the real console script


def slaboard(*argv: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slaboard", *argv],
        input=stdin, capture_output=True, text=True, env={**os.environ, **env}, timeout=60,
    )


def test_console_script_round_trip(tmp_path, small_file):
    env = {"SLABOARD_DB": str(tmp_path / "p.db"), "SLABOARD_NOW": NOW_ISO, "SLABOARD_OPERATOR": "ann"}
    assert slaboard("init", env=env).returncode == 0
    assert slaboard("load", str(small_file), env=env).returncode == 0
    done = slaboard("ticket", "new", "--json-input", "-", "--json", env=env,
                    stdin='{"customer": "acme", "service": "email", "title": "Mail down", "impact": 1, "urgency": 1}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["priority"] == "P1"


def test_console_script_user_errors_have_no_traceback(tmp_path, small_file):
    env = {"SLABOARD_DB": str(tmp_path / "p.db"), "SLABOARD_NOW": NOW_ISO, "SLABOARD_OPERATOR": "ann"}
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[services.x]\nname = \"\xff\"\n")
    results = [
        slaboard("ticket", "show", "1001", env=env),  # no database yet
        slaboard("load", str(bad), "--db", str(tmp_path), env=env),  # a directory
    ]
    slaboard("init", env=env)
    results += [
        slaboard("load", str(bad), env=env),  # not UTF-8
        slaboard("ticket", "show", "1001", env=env),  # no such ticket
        slaboard("ticket", "new", "--json-input", "-", env=env, stdin="{oops"),
    ]
    for result in results:
        assert result.returncode == 2, result
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("slaboard") and result.stderr.count("\n") == 1, result.stderr
    after = counts(tmp_path / "p.db")
    assert after["tickets"] == after["customers"] == after["events"] == 0


def test_demo_keeps_its_own_file_whatever_slaboard_db_says(db, run, tmp_path, monkeypatch):
    """The help, the README and the behaviour agree: the demo never writes the
    database SLABOARD_DB names, and --db is honoured."""
    from slaboard.services import demo

    monkeypatch.setattr(demo.platformdirs, "user_data_dir", lambda name: str(tmp_path / "data" / name))
    code, out, _ = run("demo", "--build-only", "--tickets", "0")
    assert code == 0
    assert not db.exists(), "the demo wrote the database SLABOARD_DB names"
    assert (tmp_path / "data" / "slaboard" / "demo.db").is_file()
    assert str(tmp_path / "data" / "slaboard" / "demo.db") in out

    elsewhere = tmp_path / "mine.db"
    code, out, _ = run("demo", "--build-only", "--tickets", "0", "--db", str(elsewhere))
    assert code == 0 and elsewhere.is_file() and not db.exists()

    code, out, _ = run("demo", "--help")
    help_text = " ".join(out.split())
    assert "demo.db in the user data folder" in help_text
    assert "$SLABOARD_DB is not used" in help_text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "it never uses `SLABOARD_DB`" in readme


@pytest.mark.parametrize("command", [["ticket", "list"], ["board"], ["wall"], ["report"], ["check"]])
def test_a_pipe_given_as_the_database_is_refused_without_waiting(tmp_path: Path, command: list[str]) -> None:
    """Opening a FIFO to read its header would wait for a writer forever; in a child
    process with a time limit, so a regression fails instead of hanging the suite."""
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "slaboard", *command, "--db", str(fifo)], capture_output=True,
                            text=True, timeout=30, env={**os.environ, "SLABOARD_NOW": "2026-11-26T10:00:00+01:00"})
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and "not a regular file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("fixed", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00+00:00", "0001-01-01T00:30:00+14:00"])
@pytest.mark.parametrize("command", [["ticket", "list"], ["board"], ["wall"]])
def test_a_clock_outside_the_counted_years_is_one_line(run, monkeypatch, tmp_path: Path, fixed: str,
                                                       command: list[str]) -> None:
    db = tmp_path / "t.db"
    assert run("init", "--db", str(db))[0] == 0
    monkeypatch.setenv("SLABOARD_NOW", fixed)
    assert_user_error(run(*command, "--db", str(db)), "SLABOARD_NOW", "2 to 9998")


@pytest.mark.parametrize("argv", [
    ["ticket", "update", "1001", "--status", "in_progress", "--version", "99999999999999999999999"],
    ["ticket", "update", "1001", "--status", "in_progress", "--version", "-3"],
    ["serve", "--port", "70000"],
    ["demo", "--tickets", "10000000000"],
])
def test_numbers_out_of_range_are_refused_by_name(run, tmp_path: Path, argv: list[str]) -> None:
    code, out, err = run(*argv, "--db", str(tmp_path / "t.db"))
    assert code == 2 and "Traceback" not in err and "from" in err and "to" in err, (code, err)


def test_deep_contract_and_settings_files_are_one_line(run, monkeypatch, tmp_path: Path, loaded: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert_user_error(run("load", str(deep), "--db", str(loaded)), "nested too deeply")
    from slaboard.settings import load_settings

    _settings, problems = load_settings(deep)
    assert len(problems) == 1 and "nested too deeply" in problems[0]


# ------------------------------------------------------------------ no-op changes and skewed clocks


def resolved_call(run) -> None:
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    assert run("ticket", "resolve", "1001", "--note", "restarted the mail server")[0] == 0


def test_resolving_a_resolved_call_is_refused_and_says_nothing_was_recorded(loaded, run):
    resolved_call(run)
    before = counts(loaded)
    assert_user_error(run("ticket", "resolve", "1001", "--note", "also cleared the queue", "--justification", "busy"),
                      "ticket #1001 is already resolved", "nothing was recorded")
    assert counts(loaded) == before
    code, out, _ = run("ticket", "show", "1001", "--json")
    assert code == 0 and json.loads(out)["resolution_note"] == "restarted the mail server"


def test_reopening_an_open_call_is_refused(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    before = counts(loaded)
    assert_user_error(run("ticket", "reopen", "1001", "--reason", "customer called back"),
                      "ticket #1001 is already open (new)", "only a resolved call can be reopened", "nothing was recorded")
    assert counts(loaded) == before


def test_reopening_a_resolved_call_works(loaded, run):
    resolved_call(run)
    code, out, _ = run("ticket", "reopen", "1001", "--reason", "back again", "--json")
    assert code == 0 and json.loads(out)["status"] == "in_progress"


def test_update_to_the_status_the_call_has_is_refused(loaded, run):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x")
    assert run("ticket", "update", "1001", "--status", "in_progress")[0] == 0
    before = counts(loaded)
    assert_user_error(run("ticket", "update", "1001", "--status", "in_progress", "--reason", "still on it"),
                      "ticket #1001 is already in progress", "nothing was recorded")
    assert counts(loaded) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["ticket", "resolve", "1001", "--note", "fixed"],
        ["ticket", "update", "1001", "--status", "in_progress"],
        ["ticket", "assign", "1001", "bob"],
        ["ticket", "comment", "1001", "called back"],
        ["comm", "add", "--ticket", "1001", "--summary", "told them it is fixed"],
    ],
    ids=["resolve", "update", "assign", "comment", "message"],
)
def test_an_action_whose_clock_is_before_the_report_is_refused(loaded, run, monkeypatch, argv):
    new_json(run, "--customer", "acme", "--service", "email", "--title", "x", "--reported-at", "-30m")
    before = counts(loaded)
    monkeypatch.setenv("SLABOARD_NOW", (NOW - timedelta(hours=1)).isoformat())
    assert_user_error(run(*argv), "ticket #1001 was reported at", "after this action's time", "clock",
                      "nothing was recorded")
    assert counts(loaded) == before


# ------------------------------------------------------------------ listing every call, streamed


def many_calls(path: Path, n: int) -> None:
    from slaboard.services.tickets import NewCall, open_call, update_ticket
    from slaboard.store import Store

    with Store.open(path) as store:
        for i in range(n):
            ticket = open_call(store, NewCall(customer=("acme", "tulip")[i % 2], service="email", title=f"call {i}",
                                              impact=1 + i % 3), "ann", NOW).ticket
            if i % 3 == 0:
                update_ticket(store, ticket.id, operator="ann", now=NOW + timedelta(hours=1), status="resolved",
                              reason="done", justification="late")


def test_list_all_json_is_the_same_document_as_a_whole_array(loaded, run):
    """Streamed item by item, the output is byte for byte what one json.dumps of the
    whole list printed before."""
    from slaboard.services.tickets import view_of
    from slaboard.store import Store

    many_calls(loaded, 7)
    code, out, err = run("ticket", "list", "--all", "--limit", "1000000", "--json")
    with Store.open(loaded) as store:
        whole = [view_of(store, t, tz, NOW).to_dict() for t, tz in store.recent_tickets(1_000_000)]
    assert (code, err) == (0, "")
    assert out == json.dumps(whole, indent=2, ensure_ascii=False, default=str) + "\n"
    assert [t["id"] for t in json.loads(out)] == list(range(1007, 1000, -1))
    code, out, _ = run("ticket", "list", "--all", "--limit", "3")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["#1007", "#1006", "#1005"]


def test_list_all_on_an_empty_file(loaded, run):
    assert run("ticket", "list", "--all") == (0, "no calls\n", "")
    assert run("ticket", "list", "--all", "--json") == (0, "[]\n", "")


@pytest.mark.parametrize("json_output", [False, True], ids=["table", "json"])
def test_list_all_prints_each_call_as_it_is_read(loaded, monkeypatch, json_output):
    """The listing is streamed from the store's cursor: when the reader goes away
    after the first call, only a few rows have been read, not all of them (before,
    every row was read and turned into a view before the first line was printed)."""
    from slaboard.store import store as store_module

    many_calls(loaded, 40)
    read = []
    real = store_module.Store._ticket

    def counting(self, row):  # type: ignore[no-untyped-def]
        read.append(row[0])
        return real(self, row)

    monkeypatch.setattr(store_module.Store, "_ticket", counting)

    class GoneAfterTheFirstCall(io.StringIO):
        def write(self, text: str) -> int:
            if "1040" in self.getvalue():
                raise BrokenPipeError
            return super().write(text)

    out = GoneAfterTheFirstCall()
    monkeypatch.setattr(sys, "stdout", out)
    argv = ["ticket", "list", "--all", "--limit", "1000000"] + (["--json"] if json_output else [])
    assert main(argv) == 0
    assert "1040" in out.getvalue() and "1039" not in out.getvalue()
    assert 1 <= len(read) <= 3, read


# ---------------------------------------------------------------------- time


def test_time_on_the_command_line(loaded, run) -> None:
    assert run("ticket", "new", "--customer", "acme", "--service", "email", "--title", "Mail",
               "--reported", "2026-11-26T06:00")[0] == 0
    code, out, _ = run("time", "add", "1001", "--minutes", "45", "--note", "reset the profile")
    assert code == 0 and out.split()[:6] == ["1", "#1001", "2026-11-26", "09:15", "ann", "45m"]
    code, out, _ = run("time", "add", "1001", "--at", "07:00", "--end", "08:30", "--covered", "--reason", "warranty",
                       "--json")
    assert code == 0 and json.loads(out)["minutes"] == 90 and json.loads(out)["billable"] is False
    assert run("time", "start", "1001")[1].startswith("timer started on #1001 at 10:00")
    code, out, _ = run("time", "list", "--ticket", "1001")
    assert code == 0 and "running" in out and out.strip().endswith("3 entries, 2h15m")
    assert json.loads(run("time", "list", "--operator", "bob", "--json")[1]) == []
    assert run("time", "stop", "1001", "--note", "done")[1].split()[5] == "1m"
    assert len(json.loads(run("time", "list", "--period", "2026-11", "--customer", "ACME", "--json")[1])) == 3


@pytest.mark.parametrize(("argv", "said"), [
    (["time", "add", "1001", "--minutes", "0"], "--minutes: '0m' must be more than 0 minutes"),
    (["time", "add", "1001", "--minutes", "-5"], "--minutes: '-5' is not a time of work"),
    (["time", "add", "1001", "--minutes", "30h"], "--minutes: '30h' is more than a day"),
    (["time", "add", "1001", "--at", "09:00", "--end", "08:00"], "end: 2026-11-26T08:00+01:00 is not after the start"),
    (["time", "add", "1001", "--minutes", "30", "--at", "+1h"], "at: the work would end"),
    (["time", "add", "1001", "--minutes", "30", "--billable"], "billable: say why you log it as billable"),
    (["time", "add", "1001", "--minutes", "30", "--billable", "--covered", "--reason", "x"], "not allowed with"),
    (["time", "add", "4242", "--minutes", "30"], "ticket: there is no call #4242"),
    (["time", "add", "1001", "--minutes", "30", "--at", "soon"], "--at: 'soon' is not a time"),
    (["time", "stop", "1001"], "you have no timer running on #1001"),
    (["time", "list", "--period", "2026-13"], "--period: '2026-13' is not a month"),
])
def test_bad_time_on_the_command_line_is_one_line_and_exit_2(loaded, run, argv, said) -> None:
    assert run("ticket", "new", "--customer", "acme", "--service", "email", "--title", "Mail",
               "--reported", "2026-11-26T06:00")[0] == 0
    before = counts(loaded)
    code, out, err = run(*argv)
    assert (code, out) == (2, "") and said in err and err.count("\n") == 1, err
    assert counts(loaded) == before


# ---------------------------------------------------------------------- billing


@pytest.fixture
def worked(loaded, run) -> Path:
    """Acme (Gold, fixed, 2,000 a month, 95 an hour): 30m covered e-mail work and 45m
    on printing, which the contract does not cover (45m at 95 = 71.25)."""
    for service, title in (("email", "Mail"), ("printing", "=HYPERLINK(\"http://x\")")):
        assert run("ticket", "new", "--customer", "acme", "--service", service, "--title", title,
                   "--reported", "2026-11-26T06:00")[0] == 0
    assert run("time", "add", "1001", "--minutes", "30", "--at", "07:00")[0] == 0
    assert run("time", "add", "1002", "--minutes", "45", "--at", "08:00")[0] == 0
    return loaded


def test_billing_a_month_on_the_command_line(worked, run) -> None:
    code, out, _ = run("billing", "--period", "2026-11", "--customer", "acme")
    assert code == 0, out
    assert "open: the figures may change" in out
    assert "fee       Gold contract, November 2026" in out and "€2,000.00" in out
    assert "fees €2,000.00 + work €71.25 = €2,071.25" in out
    assert "hours     worked 1h15m, covered 30m, billable 45m" in out
    code, out, _ = run("billing", "--period", "2026-11", "--format", "json")
    bills = {b["customer"]: b for b in json.loads(out)["customers"]}
    assert bills["acme"]["totals"]["total"] == "2071.25" and bills["tulip"]["totals"]["work"] == "0"
    assert bills["tulip"]["fees"][0]["amount"] == "450.00"  # Bronze's price: the contract names none
    code, out, _ = run("billing", "--period", "2026-11", "--format", "csv", "--customer", "acme")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["amount"]) for r in rows] == [("fee", "2000.00"), ("covered", "0.00"), ("billable", "71.25")]
    assert rows[2]["title"] == "'=HYPERLINK(\"http://x\")"  # never a formula in a spreadsheet
    code, out, _ = run("billing", "--period", "2026-11", "--format", "md", "--customer", "acme")
    assert code == 0 and out.startswith("# Billing November 2026") and "**Total: €2,071\\.25**" in out


def test_closing_a_month_on_the_command_line(worked, run, monkeypatch) -> None:
    code, _, err = run("billing", "close", "2026-11")
    assert code == 2 and "period: 2026-11 is not over yet" in err
    monkeypatch.setenv("SLABOARD_NOW", "2026-12-02T09:00:00+01:00")
    code, out, _ = run("billing", "close", "2026-11")
    assert code == 0 and out.startswith("closed 2026-11: 2 customers, €2,521.25 in all"), out
    code, out, _ = run("billing", "--period", "2026-11", "--customer", "acme")
    assert "closed 2026-12-02 by ann: these figures are final" in out and "= €2,071.25" in out
    code, _, err = run("time", "add", "1001", "--minutes", "30", "--at", "2026-11-26T07:30")
    assert code == 2 and "the month 2026-11 is closed for billing" in err
    code, _, err = run("time", "set", "1", "--billable", "--reason", "project")
    assert code == 2 and "closed for billing" in err


def test_an_operator_decides_an_entry_on_the_command_line(worked, run) -> None:
    code, out, _ = run("time", "set", "1", "--billable", "--reason", "weekend project")
    assert code == 0 and out.rstrip().endswith("[billable: weekend project]")
    assert "work €118.75" in run("billing", "--period", "2026-11", "--customer", "acme")[1]  # 75m at 95
    assert run("time", "set", "1", "--rules")[0] == 0
    assert "work €71.25" in run("billing", "--period", "2026-11", "--customer", "acme")[1]


@pytest.mark.parametrize(("argv", "said"), [
    (["billing", "--period", "2026-13"], "period: '2026-13' is not a month such as 2026-11"),
    (["billing", "--period", "November"], "period: 'November' is not a month"),
    (["billing", "--customer", "nobody"], "nobody"),
    (["billing", "--format", "xls"], "invalid choice: 'xls'"),
    (["billing", "close", "2026-1"], "period: '2026-1' is not a month"),
    (["time", "set", "99", "--covered", "--reason", "x"], "entry: there is no time entry #99"),
    (["time", "set", "1", "--covered"], "reason: say why entry #1 is covered"),
    (["time", "set", "1"], "one of the arguments --billable --covered --rules is required"),
    (["time", "set", "x1", "--rules"], "'x1' is not a time entry number"),
])
def test_bad_billing_on_the_command_line_is_one_line_and_exit_2(worked, run, argv, said) -> None:
    before = counts(worked)
    code, out, err = run(*argv)
    assert (code, out) == (2, "") and said in err and err.count("\n") <= 3, err
    assert counts(worked) == before
