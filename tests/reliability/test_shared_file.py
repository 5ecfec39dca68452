"""The shared file's safety: created group-writable and not world-readable (with its
WAL and shared-memory files) whatever the umask; warnings for a world-writable
file and for a network file system; SQL fragments through every text field are
stored literally and change nothing else."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from slaboard.store import files
from slaboard.store.files import filesystem_type, safety_warnings

from .conftest import (
    HERE,
    PY,
    as_stored,
    cli_env,
    invoke,
    make_db,
    refused_cleanly,
    run_cli,
    schema,
    small_contracts_text,
)

pytestmark = pytest.mark.usefixtures("in_process_env")

SQL = ["'; DROP TABLE tickets; --", '" OR 1=1 --', "%", "_", "\\", "Robert'); DELETE FROM events; --",
       "1; ATTACH DATABASE '/tmp/evil.db' AS evil; --", "x' UNION SELECT sql FROM sqlite_master --", "%' OR '%'='"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def with_umask(mask: int):  # type: ignore[no-untyped-def]
    return lambda: os.umask(mask)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_init_makes_the_file_and_its_wal_group_writable_not_world_readable(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "floor.db"
    result = run_cli(db, "init", preexec_fn=with_umask(umask))
    assert result.returncode == 0, result.stderr
    assert mode(db) == 0o660
    contracts = tmp_path / "c.toml"
    contracts.write_text(small_contracts_text(), encoding="utf-8")
    assert run_cli(db, "load", str(contracts), preexec_fn=with_umask(umask)).returncode == 0
    # A board keeps the file open (as on a floor): the -wal and -shm files stay, made by slaboard processes.
    stop = tmp_path / "stop"
    feed = subprocess.Popen([PY, str(HERE / "feed.py"), str(db), str(stop)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(), preexec_fn=with_umask(umask))
    try:
        assert feed.stdout is not None and feed.stdout.readline().strip() == "ready"
        assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x",
                       preexec_fn=with_umask(umask)).returncode == 0
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{db}{suffix}")
            assert path.exists(), suffix
            assert mode(path) == 0o660, (suffix, oct(mode(path)))
    finally:
        stop.touch()
        feed.communicate(timeout=30)
    assert mode(db) == 0o660


def test_a_backup_is_as_private_as_the_database(tmp_path: Path) -> None:
    db = make_db(tmp_path / "floor.db")
    assert run_cli(db, "backup", str(tmp_path / "copy.db"), preexec_fn=with_umask(0o022)).returncode == 0
    assert mode(tmp_path / "copy.db") == 0o660


def test_warning_for_a_world_writable_file(tmp_path: Path) -> None:
    db = make_db(tmp_path / "floor.db")
    assert not [w for w in safety_warnings(db) if "writable by every user" in w]
    db.chmod(0o666)
    [warning] = [w for w in safety_warnings(db) if "writable by every user" in w]
    assert "chmod o-rw" in warning and str(db) in warning


@pytest.mark.parametrize("kind", ["nfs", "nfs4", "cifs", "smb3", "fuse.sshfs"])
def test_warning_for_a_network_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    db = make_db(tmp_path / "floor.db")
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "proc /proc proc rw 0 0\n"
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        f"server:/export {tmp_path} {kind} rw,relatime 0 0\n"
        f"tmpfs {tmp_path}/elsewhere tmpfs rw 0 0\n"
    )
    assert filesystem_type(db, mounts=str(mounts)) == kind
    assert filesystem_type(tmp_path / "elsewhere" / "x.db", mounts=str(mounts)) == "tmpfs"  # the deepest mount wins
    monkeypatch.setattr(files, "filesystem_type", functools.partial(filesystem_type, mounts=str(mounts)))
    [warning] = [w for w in files.safety_warnings(db) if "network file system" in w]
    assert kind in warning


def test_no_network_warning_on_a_local_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = make_db(tmp_path / "floor.db")
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/x {tmp_path}-other nfs rw 0 0\n")
    monkeypatch.setattr(files, "filesystem_type", functools.partial(filesystem_type, mounts=str(mounts)))
    assert files.safety_warnings(db) == []


def test_a_mount_point_with_a_space(tmp_path: Path) -> None:
    folder = tmp_path / "shared floor"
    folder.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(f"server:/x {str(folder).replace(' ', chr(92) + '040')} cifs rw 0 0\n")
    assert filesystem_type(folder / "floor.db", mounts=str(mounts)) == "cifs"


# ----------------------------------------------------------------------------- SQL through every text field


@pytest.fixture
def floor(tmp_path: Path) -> Path:
    return make_db(tmp_path / "floor.db")


def run(db: Path, *argv: str) -> tuple[int, str, str]:
    return invoke([*argv, "--db", str(db)])


@pytest.mark.parametrize("text", SQL)
def test_sql_fragments_are_stored_literally_and_change_nothing_else(floor: Path, text: str) -> None:
    before = schema(floor)
    code, out, err = run(floor, "ticket", "new", "--customer=ACME", "--service=email", f"--title={text}",
                         f"--caller={text}", f"--description={text}", f"--operator={text}", "--json")
    assert code == 0, err
    ticket_id = str(json.loads(out)["id"])
    for argv in (["ticket", "diagnose", ticket_id, f"--diagnosis={text}", f"--category={text}"],
                 ["ticket", "assign", ticket_id, text],
                 ["ticket", "update", ticket_id, "--status=waiting_customer", f"--reason={text}"],
                 ["ticket", "comment", ticket_id, text],
                 ["comm", "add", f"--ticket={ticket_id}", f"--summary={text}", f"--contact={text}"],
                 ["comm", "add", "--customer=TUL", f"--summary={text}", f"--contact={text}"],
                 ["ticket", "resolve", ticket_id, f"--note={text}", f"--justification={text}"],
                 ["ticket", "reopen", ticket_id, f"--reason={text}"]):
        code, _, err = run(floor, *argv, f"--operator={text}")
        assert code == 0, (argv, err)
    want = as_stored(text)
    code, out, _ = run(floor, "ticket", "show", ticket_id, "--json")
    shown = json.loads(out)
    for name in ("title", "caller", "description", "diagnosis", "category", "assignee"):
        assert shown[name] == want, name
    assert shown["resolution_note"] == want
    assert {e["operator"] for e in shown["events"]} == {want}
    assert [e["note"] for e in shown["events"] if e["kind"] == "comment"] == [want]
    assert [s["reason"] for s in shown["statuses"][1:]] == [want, want, want]
    code, out, _ = run(floor, "comm", "list", f"--ticket={ticket_id}", "--json")
    [comm] = json.loads(out)
    assert (comm["summary"], comm["contact"], comm["operator"]) == (want, want, want)
    # As a search text, a fragment finds nobody (no LIKE wildcards, no injection).
    for argv in (["ticket", "new", f"--customer={text}", "--service=email", "--title=t"],
                 ["comm", "list", f"--customer={text}"], ["contract", "show", text],
                 ["report", f"--customer={text}"], ["ticket", "new", "--customer=ACME", f"--service={text}", "--title=t"]):
        refused_cleanly(run(floor, *argv))
    assert schema(floor) == before
    assert run(floor, "check")[0] == 0


def test_sql_fragments_through_the_json_input(floor: Path) -> None:
    before = schema(floor)
    for text in SQL:
        document = json.dumps({"customer": "ACME", "service": "email", "title": text, "caller": text, "description": text})
        code, out, err = invoke(["ticket", "new", "--json-input", "-", "--json", "--db", str(floor)], document)
        assert code == 0, err
        made = json.loads(out)
        assert (made["title"], made["caller"], made["description"]) == (as_stored(text),) * 3
    assert schema(floor) == before
