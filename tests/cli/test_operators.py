"""``slaboard operator``: the people who sign in to a served board, their passwords
(argon2 hashes only), disabling and lockout, with one line for every mistake."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from slaboard.cli import main
from slaboard.services.operators import LOCK_AFTER, LOCK_MINUTES, LoginRefused, authenticate
from slaboard.store import Store

NOW = datetime.fromisoformat("2026-11-26T10:00:00+01:00")
GOOD = "a long enough password"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ops.db"
    monkeypatch.setenv("SLABOARD_DB", str(path))
    monkeypatch.setenv("SLABOARD_NOW", NOW.isoformat())
    monkeypatch.setenv("SLABOARD_SETTINGS", str(tmp_path / "none.toml"))
    assert main(["init"]) == 0
    return path


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str,
        stdin: str = "") -> tuple[int, str, str]:
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(result: tuple[int, str, str], words: str) -> None:
    code, out, err = result
    assert code == 2 and out == "" and err.count("\n") == 1 and words in err, result


def test_add_list_disable_enable(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "operator", "list")[1] == "no operators yet; 'slaboard operator add NAME' adds one\n"
    code, out, _ = run(capsys, monkeypatch, "operator", "add", "anna", "--password-stdin", stdin=GOOD + "\n")
    assert code == 0 and out == "added operator anna\n"
    code, out, _ = run(capsys, monkeypatch, "operator", "add", "pim", "--no-password")
    assert code == 0 and "only through --auth proxy" in out
    code, out, _ = run(capsys, monkeypatch, "operator", "list", "--json")
    listed = {o["name"]: o for o in json.loads(out)}
    assert listed["anna"]["has_password"] and not listed["pim"]["has_password"]
    assert not listed["anna"]["locked"] and listed["anna"]["disabled_at"] is None
    assert run(capsys, monkeypatch, "operator", "disable", "anna")[0] == 0
    assert "disabled" in run(capsys, monkeypatch, "operator", "list")[1].splitlines()[0]
    assert run(capsys, monkeypatch, "operator", "enable", "anna")[0] == 0
    assert "active" in run(capsys, monkeypatch, "operator", "list")[1].splitlines()[0]
    # Only a hash is stored, never the password.
    conn = sqlite3.connect(db)
    (stored,), = conn.execute("SELECT password_hash FROM operators WHERE name = 'anna'").fetchall()
    conn.close()
    assert stored.startswith("$argon2id$") and GOOD not in stored


def test_mistakes_are_one_line_and_change_nothing(db: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "operator", "add", "anna", "--password-stdin", stdin=GOOD)[0] == 0
    one_line(run(capsys, monkeypatch, "operator", "add", "anna", "--password-stdin", stdin=GOOD), "already an operator")
    one_line(run(capsys, monkeypatch, "operator", "add", "bram", "--password-stdin", stdin="short\n"), "at least 10")
    one_line(run(capsys, monkeypatch, "operator", "add", "bram", "--password-stdin", stdin=""), "gave no password")
    one_line(run(capsys, monkeypatch, "operator", "add", "bram"), "--password-stdin")  # no terminal to ask on
    one_line(run(capsys, monkeypatch, "operator", "add", "x\u202ey", "--no-password"), "plain text")
    one_line(run(capsys, monkeypatch, "operator", "add", "n" * 65, "--no-password"), "at most 64")
    one_line(run(capsys, monkeypatch, "operator", "add", "  ", "--no-password"), "empty")
    one_line(run(capsys, monkeypatch, "operator", "disable", "nobody"), "no operator 'nobody'")
    one_line(run(capsys, monkeypatch, "operator", "password", "nobody", "--password-stdin", stdin=GOOD), "no operator")
    with Store.open(db) as store:
        assert [o.name for o in store.operators()] == ["anna"]


def test_the_password_is_never_an_argument(db: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, _ = run(capsys, monkeypatch, "operator", "add", "anna", "--password", GOOD)
    with Store.open(db) as store:
        assert code == 2 and store.operators() == []


def test_a_new_password_lifts_a_lockout(db: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "operator", "add", "anna", "--password-stdin", stdin=GOOD)[0] == 0
    with Store.open(db) as store:
        for _ in range(LOCK_AFTER):
            with pytest.raises(LoginRefused, match="wrong"):
                authenticate(store, "anna", "not the password", NOW)
        with pytest.raises(LoginRefused, match="locked"):
            authenticate(store, "anna", GOOD, NOW)
        later = NOW + timedelta(minutes=LOCK_MINUTES, seconds=1)
        assert authenticate(store, "anna", GOOD, later).last_login_at == later  # it wears off
        for _ in range(LOCK_AFTER):
            with pytest.raises(LoginRefused):
                authenticate(store, "anna", "not the password", later)
    assert "locked until" in run(capsys, monkeypatch, "operator", "list")[1]
    assert run(capsys, monkeypatch, "operator", "password", "anna", "--password-stdin", stdin="another long one\n")[0] == 0
    with Store.open(db) as store:
        assert authenticate(store, "anna", "another long one", NOW).failed_logins == 0
        with pytest.raises(LoginRefused):
            authenticate(store, "anna", GOOD, NOW)  # the old password no longer works


def test_a_good_password_resets_the_count_of_failures(db: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "operator", "add", "anna", "--password-stdin", stdin=GOOD)[0] == 0
    with Store.open(db) as store:
        for _ in range(2):
            for _ in range(LOCK_AFTER - 1):
                with pytest.raises(LoginRefused):
                    authenticate(store, "anna", "nope, wrong", NOW)
            authenticate(store, "anna", GOOD, NOW)  # never locked: the failures were not in a row
