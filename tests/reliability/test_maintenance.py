"""`slaboard check`, `backup` and `restore` through the command line, with other
processes on the file: a backup taken while a writer writes passes `check`; a
restore is refused while a board's feed has the file open and works once nobody
has; a backup never overwrites."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .conftest import HERE, PY, assert_one_line_error, cli_env, content, counts, digest, integrity, run_cli

WRITE_WHILE_BACKING_UP = 3.0  # seconds the writer streams around the backup (at most)


def start_writer(db: Path, tmp_path: Path, name: str = "w") -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([PY, str(HERE / "writer.py"), str(db), name, "--via", "store", "--ops", "0",
                             "--seconds", str(WRITE_WHILE_BACKING_UP * 4)],
                            stdout=(tmp_path / f"{name}.out").open("w"), stderr=(tmp_path / f"{name}.err").open("w"),
                            env=cli_env())
    deadline = time.monotonic() + 30
    while not (tmp_path / f"{name}.out").read_text().count("\n") >= 5:  # it is writing
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / f"{name}.err").read_text()
        time.sleep(0.02)
    return proc


def test_check_passes_on_a_sound_file_and_says_what_it_checked(db: Path) -> None:
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x").returncode == 0
    result = run_cli(db, "check", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["tickets"] == 1 and report["problems"] == []
    assert {"integrity_check", "foreign_key_check", "open tickets' clocks", "events replay to every ticket"} <= set(report["checked"])


def test_check_finds_a_call_whose_events_do_not_match(db: Path) -> None:
    import sqlite3

    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE tickets SET assignee = 'mallory' WHERE id = 1001")  # behind slaboard's back
    conn.commit()
    conn.close()
    result = run_cli(db, "check")
    assert result.returncode == 1 and "PROBLEM #1001 assignee" in result.stdout, result.stdout


def test_backup_while_a_writer_writes_passes_check(db: Path, tmp_path: Path) -> None:
    writer = start_writer(db, tmp_path)
    try:
        copy = tmp_path / "copy.db"
        result = run_cli(db, "backup", str(copy))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok" in result.stdout.splitlines()[-1]
        assert writer.poll() is None  # the writer was still writing when the backup ended
    finally:
        writer.kill()
        writer.wait(timeout=30)
    assert integrity(copy) == ["ok"]
    check = run_cli(copy, "check")
    assert check.returncode == 0, check.stdout
    assert counts(copy)["tickets"] >= 1
    assert copy.stat().st_mode & 0o777 == 0o660  # the copy is as private as the database


def test_backup_refuses_an_existing_destination(db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "precious.db"
    dest.write_bytes(b"not to be overwritten")
    assert_one_line_error(run_cli(db, "backup", str(dest)), "exists")
    assert dest.read_bytes() == b"not to be overwritten"
    other = tmp_path / "other.db"
    assert run_cli(db, "backup", str(other)).returncode == 0
    before = digest(other)
    assert_one_line_error(run_cli(db, "backup", str(other)), "exists")
    assert digest(other) == before


def test_backup_into_a_missing_folder_is_one_line(db: Path, tmp_path: Path) -> None:
    assert_one_line_error(run_cli(db, "backup", str(tmp_path / "nowhere" / "copy.db")), "does not exist")


def test_restore_refuses_while_a_board_has_the_file_open_and_works_after(db: Path, tmp_path: Path) -> None:
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=in the backup").returncode == 0
    backup = tmp_path / "backup.db"
    assert run_cli(db, "backup", str(backup)).returncode == 0
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=after the backup").returncode == 0
    stop = tmp_path / "stop"
    feed = subprocess.Popen([PY, str(HERE / "feed.py"), str(db), str(stop), "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        assert feed.stdout is not None and feed.stdout.readline().strip() == "ready"
        before = content(db)
        refused = run_cli(db, "restore", str(backup))
        assert_one_line_error(refused, "in use")
        assert content(db) == before  # nothing restored, nothing lost
    finally:
        stop.touch()
        out, err = feed.communicate(timeout=30)
    assert feed.returncode == 0, err  # the board never noticed the attempt
    done = run_cli(db, "restore", str(backup))
    assert done.returncode == 0, done.stdout + done.stderr
    assert content(db) == content(backup)
    assert run_cli(db, "check").returncode == 0
    listed = run_cli(db, "ticket", "list", "--json")
    assert [t["title"] for t in json.loads(listed.stdout)] == ["in the backup"]


def test_restore_refuses_a_backup_that_is_not_a_database(db: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"PK\x03\x04 a zip, not a database" * 100)
    before = content(db)
    assert_one_line_error(run_cli(db, "restore", str(junk)), "not a SQLite database")
    assert_one_line_error(run_cli(db, "restore", str(tmp_path / "missing.db")), "no such backup")
    assert content(db) == before


def test_check_finds_a_call_resolved_before_it_was_reported(db: Path) -> None:
    """What a writer whose clock was behind left before such changes were refused:
    the resolution (and its event) dated an hour before the report."""
    import sqlite3

    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x").returncode == 0
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=fine").returncode == 0
    assert run_cli(db, "ticket", "resolve", "1001", "--note=fixed").returncode == 0
    assert run_cli(db, "check").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE tickets SET resolved_at = '2026-11-26T08:00:00+00:00' WHERE id = 1001")  # reported 09:00 UTC
    conn.execute("INSERT INTO events (ticket_id, at, operator, kind, field, old, new, note, version) "
                 "VALUES (1001, '2026-11-26T08:00:00+00:00', 'skewed', 'comment', '', NULL, NULL, 'early', 2)")
    conn.commit()
    conn.close()
    result = run_cli(db, "check")
    assert result.returncode == 1, result.stdout
    assert "PROBLEM #1001: resolved at 2026-11-26T08:00:00+00:00, before it was reported at 2026-11-26T09:00:00" \
        in result.stdout, result.stdout
    assert "PROBLEM #1001: 1 event(s) dated before it was reported" in result.stdout and "by skewed" in result.stdout
    assert "#1002" not in result.stdout
    report = json.loads(run_cli(db, "check", "--json").stdout)
    assert not report["ok"] and len(report["problems"]) == 2


def test_check_finds_a_resolved_call_whose_outcome_was_never_written(db: Path) -> None:
    """What a writer whose clock was behind once left: a resolved call with no
    resolution outcome, which every report then leaves out."""
    import sqlite3

    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x").returncode == 0
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=fine").returncode == 0
    assert run_cli(db, "ticket", "resolve", "1001", "--note=fixed").returncode == 0
    assert run_cli(db, "ticket", "resolve", "1002", "--note=fixed").returncode == 0
    assert run_cli(db, "check").returncode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("DELETE FROM clock_outcomes WHERE ticket_id = 1001 AND clock = 'resolution'").rowcount == 1
    conn.commit()
    conn.close()
    result = run_cli(db, "check")
    assert result.returncode == 1, result.stdout
    assert "PROBLEM #1001: its resolution clock stopped at" in result.stdout, result.stdout
    assert "no outcome is recorded" in result.stdout and "#1002" not in result.stdout
