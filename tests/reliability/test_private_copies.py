"""Files slaboard writes from the database — `backup DEST`, the upgrade's `.bak`,
`report --output` and the screen's exports — are never wider than the database,
never written through a symbolic link planted at their name, and never left
half-written under that name by a process killed while writing; `restore` of the
database onto itself is one line, not a hang."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from slaboard.services.tickets import ServiceError

from .conftest import PY, ROOT, assert_one_line_error, cli_env, content, digest, integrity, run_cli

SCHEMA_1 = ROOT / "tests" / "data" / "schema-1.db"
KILL_TIMEOUT = 60  # seconds a child may take before it counts as hung

# A child process that runs slaboard's command line with os.fsync replaced: when it
# is asked to make durable a file whose path starts with TARGET (the destination or
# a temporary file beside it), the process is killed with SIGKILL at that instant —
# every byte of the copy written, nothing yet given the name people trust.
KILLED_AT_WRITE = r"""
import os, signal, sys
target = sys.argv[1]
real_fsync = os.fsync

def fsync(fd):
    if os.readlink(f"/proc/self/fd/{fd}").startswith(target):
        os.kill(os.getpid(), signal.SIGKILL)
    real_fsync(fd)

os.fsync = fsync
from slaboard.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def killed_at_write(target: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-c", KILLED_AT_WRITE, str(target), *argv], check=False, capture_output=True,
                          text=True, env=cli_env(), timeout=KILL_TIMEOUT, cwd=ROOT)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------ backup DEST


def test_backup_refuses_a_planted_link_and_writes_nothing_through_it(db: Path, tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "victim.db"
    victim.parent.mkdir()
    dangling = tmp_path / "copy.db"
    dangling.symlink_to(victim)
    assert_one_line_error(run_cli(db, "backup", str(dangling)), "symbolic link")
    assert not victim.exists() and os.readlink(dangling) == str(victim)
    victim.write_bytes(b"someone else's file")
    assert_one_line_error(run_cli(db, "backup", str(dangling)), "symbolic link")
    assert victim.read_bytes() == b"someone else's file"
    assert not [n for n in names(tmp_path) if ".partial-" in n]


@pytest.mark.parametrize("db_mode", [0o600, 0o640, 0o660])
def test_a_backup_has_the_databases_permissions_never_wider(db: Path, tmp_path: Path, db_mode: int) -> None:
    db.chmod(db_mode)
    old = os.umask(0o000)  # the umask of whoever runs the backup must not widen it
    try:
        result = run_cli(db, "backup", str(tmp_path / "copy.db"))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "copy.db") == db_mode
    assert integrity(tmp_path / "copy.db") == ["ok"]
    assert not [n for n in names(tmp_path) if ".partial-" in n]  # nothing left beside it


def test_a_backup_killed_while_writing_leaves_nothing_under_its_name(db: Path, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    result = killed_at_write(dest, "backup", str(dest), "--db", str(db))
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stdout, result.stderr)
    assert not os.path.lexists(dest)
    partial = [n for n in names(tmp_path) if n.startswith("copy.db")]
    assert len(partial) == 1 and ".partial-" in partial[0]  # what is left says what it is
    # The name is still free: the next backup takes it and is whole.
    done = run_cli(db, "backup", str(dest))
    assert done.returncode == 0, done.stderr
    assert integrity(dest) == ["ok"]


# ------------------------------------------------------------------ the upgrade's .bak


def old_copy(tmp_path: Path, file_mode: int = 0o600) -> Path:
    path = tmp_path / "old.db"
    shutil.copyfile(SCHEMA_1, path)
    path.chmod(file_mode)
    return path


def test_the_upgrade_skips_a_link_planted_at_its_bak_name(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    before = content(path)
    victim = tmp_path / "victim.db"
    (tmp_path / "old.db.schema-1.bak").symlink_to(victim)
    listed = run_cli(path, "ticket", "list")
    assert listed.returncode == 0, listed.stderr
    assert not victim.exists()
    backup = tmp_path / "old.db.schema-1.2.bak"
    assert content(backup) == before and mode(backup) == 0o600
    assert os.readlink(tmp_path / "old.db.schema-1.bak") == str(victim)


def test_the_bak_is_as_private_as_the_database(tmp_path: Path) -> None:
    path = old_copy(tmp_path, 0o640)
    old = os.umask(0o000)
    try:
        assert run_cli(path, "ticket", "list").returncode == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "old.db.schema-1.bak") == 0o640


def test_an_upgrade_killed_while_taking_its_backup_leaves_no_bak_and_the_file_as_it_was(tmp_path: Path) -> None:
    path = old_copy(tmp_path)
    before = content(path)
    bak = tmp_path / "old.db.schema-1.bak"
    result = killed_at_write(bak, "ticket", "list", "--db", str(path))
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stdout, result.stderr)
    assert not [n for n in names(tmp_path) if n.endswith(".bak")]  # no half copy under a trusted name
    assert content(path) == before  # not upgraded: the backup comes first
    assert run_cli(path, "ticket", "list").returncode == 0  # the next open upgrades, with a whole backup
    assert content(bak) == before


# ------------------------------------------------------------------ report --output and exports


def test_report_output_refuses_a_planted_link(db: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    out = tmp_path / "q3.md"
    out.symlink_to(victim)
    assert_one_line_error(run_cli(db, "report", "--period", "2026-Q3", "--format", "md", "--output", str(out)),
                          "symbolic link")
    assert victim.read_text() == "someone else's file" and out.is_symlink()
    dangling = tmp_path / "q3.html"
    dangling.symlink_to(tmp_path / "nowhere.html")
    assert_one_line_error(run_cli(db, "report", "--period", "2026-Q3", "--format", "html", "--output", str(dangling)),
                          "symbolic link")
    assert not (tmp_path / "nowhere.html").exists()


def test_report_output_is_never_wider_than_the_database_nor_the_file_it_replaces(db: Path, tmp_path: Path) -> None:
    db.chmod(0o600)
    out = tmp_path / "q3.csv"
    old = os.umask(0o000)
    try:
        first = run_cli(db, "report", "--period", "2026-Q3", "--format", "csv", "--output", str(out))
        assert first.returncode == 0, first.stderr
        assert mode(out) == 0o600 and out.read_text().startswith("group")
        db.chmod(0o660)
        out.write_text("last quarter's figures\n")
        out.chmod(0o640)
        again = run_cli(db, "report", "--period", "2026-Q3", "--format", "csv", "--output", str(out))
        assert again.returncode == 0, again.stderr
    finally:
        os.umask(old)
    assert out.read_text().startswith("group")  # an existing report is replaced
    assert mode(out) == 0o640  # neither wider than the database (0660) nor than the file it replaced (0640)


def test_a_report_killed_while_writing_leaves_the_old_file_whole(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "q3.md"
    out.write_text("last quarter's report\n")
    result = killed_at_write(out, "report", "--period", "2026-Q3", "--format", "md", "--output", str(out), "--db", str(db))
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stdout, result.stderr)
    assert out.read_text() == "last quarter's report\n"


def test_write_output_the_screens_exports_use(tmp_path: Path) -> None:
    from slaboard.services.outputs import write_output

    database = tmp_path / "floor.db"
    database.write_bytes(b"")
    database.chmod(0o600)
    link = tmp_path / "export.csv"
    link.symlink_to(tmp_path / "victim.csv")
    with pytest.raises(ServiceError, match="symbolic link"):
        write_output(link, "a,b\n", database)
    assert not (tmp_path / "victim.csv").exists()
    plain = tmp_path / "export.json"
    write_output(plain, "{}", database)
    assert plain.read_text() == "{}\n" and mode(plain) == 0o600
    with pytest.raises(ServiceError, match="cannot write"):
        write_output(tmp_path / "no-such-folder" / "x.csv", "a\n", database)


# ------------------------------------------------------------------ restore onto itself


def same_file_spellings(db: Path, tmp_path: Path) -> list[Path]:
    link = tmp_path / "link-to-floor.db"
    link.symlink_to(db)
    hard = tmp_path / "hard-floor.db"
    os.link(db, hard)
    (tmp_path / "sub").mkdir()
    return [db, link, hard, tmp_path / "sub" / ".." / db.name]


def test_restore_of_the_database_onto_itself_is_one_line_and_changes_nothing(db: Path, tmp_path: Path) -> None:
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=kept").returncode == 0
    assert journal_mode(db) == "wal"
    before, data = digest(db), content(db)
    # Nobody else has the file open (a watching connection would make it "in use"): the case that hung.
    for source in same_file_spellings(db, tmp_path):
        result = run_cli(db, "restore", str(source), timeout=KILL_TIMEOUT)  # a hang fails here, it does not hang
        assert_one_line_error(result, "database itself")
        assert journal_mode(db) == "wal", source
        assert digest(db) == before and content(db) == data, source
    assert run_cli(db, "check").returncode == 0


def test_init_through_a_dangling_link_is_one_line(tmp_path: Path) -> None:
    victim = tmp_path / "victim.db"
    link = tmp_path / "floor.db"
    link.symlink_to(victim)
    assert_one_line_error(run_cli(link, "init"), "symbolic link")
    assert not victim.exists()


def test_a_partial_file_swapped_while_written_is_not_given_the_name(tmp_path: Path) -> None:
    from slaboard.store import StoreError
    from slaboard.store.files import write_private

    database = tmp_path / "floor.db"
    database.write_bytes(b"")
    final = tmp_path / "copy.db"

    def fill(fd: int, partial: Path) -> None:  # another user of the folder puts a file of theirs in its place
        planted = tmp_path / "planted"
        planted.write_bytes(b"not the backup")
        planted.replace(partial)

    with pytest.raises(StoreError, match="replaced by another file"):
        write_private(final, database, fill, replace=False)
    assert not final.exists() and names(tmp_path) == ["floor.db"]
