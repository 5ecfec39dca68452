"""Bad files: contract files mangled every way (random TOML-ish mutations of a
valid file, invalid UTF-8, NUL), and database paths that cannot be used (a
folder, unreadable, read-only, on a full disk, locked by another program, not a
SQLite file, damaged). Each gets one clear line and exit code 2 with every file
left as it was, or (a contract file) is loaded and everything still works."""

from __future__ import annotations

import os
import random
import resource
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .conftest import (
    NOBODY,
    Unchanged,
    assert_one_line_error,
    checkpoint,
    cli_env,
    content,
    digest,
    invoke,
    make_db,
    refused_cleanly,
    run_cli,
    small_contracts_text,
)

pytestmark = pytest.mark.usefixtures("in_process_env")

EXAMPLES = int(os.environ.get("SLABOARD_RELIABILITY_EXAMPLES", "60"))
CONTRACT_EXAMPLES = 3 * EXAMPLES  # contract files load in this process: cheap
PROPERTY = settings(max_examples=CONTRACT_EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
VALID = small_contracts_text()
READS = (["ticket", "list"], ["check"])
WRITES = (["ticket", "new", "--customer=ACME", "--service=email", "--title=t"], ["ticket", "comment", "1001", "hi"])
BUSY_MS = "300"  # SLABOARD_BUSY_TIMEOUT_MS for the process that meets a locked file


# ----------------------------------------------------------------------------- contract files

# (Targets so long their deadlines pass the year 9999 have their own test: each call on them takes ~30 s.)
JUNK_VALUES = ['"x"', "0", "-1", "1e999", "nan", "inf", '"25:00"', '"24:00"', "[]", "{}", '"🔥"', "true", "2026-02-30",
               "0000-01-01", "9999-12-31", '"Mars/Olympus"', '"Etc/GMT+14"', '"bd"', '"0m"', '"-1h"', '"1d"', '"1h1h"',
               '[["17:00", "09:00"]]', '[["09:00", "09:00"]]', '[["00:00", "24:00"]]', '"[bold]x[/]"', '"\\u001b[31m"', '"\\u0000"', '""', '" "', "1.5", "99999999999999999999999",
               '{ P1 = "1h" }', '["email", "email"]', '"acme"', '"ACME"', "2026-12-31T23:59:59Z"]
JUNK_LINES = ["[levels.gold]", "[customers.acme]", "[[contracts]]", "[calendars.office]", 'customer = "nobody"',
              'level = "platinum"', "x = 1", "[msp]", 'tz = "UTC"', "[services.email]", "=", "[", '"""', "[[levels]]",
              'hours = { sun = [["22:00", "06:00"]] }', 'holidays = ["2026-12-25", "not a date"]', "always_open = false"]


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["value", "value", "value", "delete", "duplicate", "swap", "insert", "rename",
                                    "truncate"]))
        if how == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(st.sampled_from(JUNK_VALUES))}"
        elif how == "delete":
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "insert":
            lines.insert(i, draw(st.sampled_from(JUNK_LINES)))
        elif how == "rename" and "=" in lines[i]:
            key, value = lines[i].split("=", 1)
            lines[i] = f"{draw(st.sampled_from(['name', 'code', 'tz', 'level', 'nme', 'services', 'valid_to']))} ={value}"
        elif how == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    data = "\n".join(lines).encode()
    tail = draw(st.sampled_from([b"", b"", b"", b"\x00", b"\xff\xfe", b"\xc3\x28", b"\r\n", b"\x1b[31m"]))
    at = draw(st.integers(0, len(data)))
    return data[:at] + tail + data[at:]


@pytest.fixture(scope="module")
def contracts_db(tmp_path_factory: pytest.TempPathFactory, in_process_env: None) -> Path:
    db = make_db(tmp_path_factory.mktemp("contracts") / "floor.db")
    assert invoke(["ticket", "new", "--customer=ACME", "--service=email", "--title=before", "--db", str(db)])[0] == 0
    return db


def still_works(db: Path) -> None:
    """After a file was accepted: calls can be logged and listed, contracts shown and
    the file checked, each ending in success or one clear line."""
    for argv in (["ticket", "new", "--customer=ACME", "--service=email", "--title=after"],
                 ["ticket", "new", "--customer=TUL", "--service=printing", "--title=after"],
                 ["ticket", "new", "--customer=TUL", "--service=network", "--title=after"],
                 ["ticket", "list"], ["contract", "show", "ACME"], ["contract", "show", "TUL"], ["check"],
                 ["report", "--period=2026-Q4"]):
        result = invoke([*argv, "--db", str(db)])
        if result[0] != 0:
            refused_cleanly(result)


@PROPERTY
@given(data=mangled())
def test_mangled_contract_files(contracts_db: Path, tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("toml") / "contracts.toml"
    path.write_bytes(data)
    guard = Unchanged(contracts_db)
    result = invoke(["load", str(path), "--db", str(contracts_db)])
    if result[0] == 0:
        guard.close()
        event("loaded")
        still_works(contracts_db)
    else:
        refused_cleanly(result)
        assert str(path) in result[2]  # the error names the file
        guard.check()
        event(f"refused: {result[2].split(': ', 3)[-1][:30]}")


@pytest.mark.parametrize(("label", "data"), [
    ("invalid UTF-8", VALID.encode().replace(b"Acme Logistics", b"Acme \xff\xfe Logistics")),
    ("Latin-1", VALID.encode().replace(b"Acme Logistics", "Acmé Logistics".encode("latin-1"))),
    ("NUL", VALID.encode().replace(b"Acme Logistics", b"Acme\x00Logistics")),
    ("UTF-16", VALID.encode("utf-16")),
    ("empty", b""),
    ("binary", bytes(range(256)) * 10),
    ("a database", b"SQLite format 3\x00" + bytes(4080)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_contract_files_that_are_not_text(contracts_db: Path, tmp_path: Path, label: str, data: bytes) -> None:
    path = tmp_path / "contracts.toml"
    path.write_bytes(data)
    guard = Unchanged(contracts_db)
    result = invoke(["load", str(path), "--db", str(contracts_db)])
    if label == "empty" and result[0] == 0:
        guard.check()  # an empty file adds nothing
        return
    refused_cleanly(result)
    guard.check()


ABSURD_TIMEOUT = 5  # seconds a call may take on a contract with an absurd target


def test_absurd_targets_are_refused_or_work(tmp_path: Path) -> None:
    """A target whose deadline lies past the year 9999 (99999999999 hours): refused
    when the file is loaded, or a call on it gets its deadline (or one clear line)
    promptly; never a traceback, never minutes of computing."""
    db = make_db(tmp_path / "floor.db")
    path = tmp_path / "contracts.toml"
    path.write_text(VALID.replace('network = { resolution = { P3 = "2h" } }', 'network = { resolution = "99999999999h" }'))
    result = invoke(["load", str(path), "--db", str(db)])
    if result[0] != 0:
        refused_cleanly(result)
        return
    try:
        call = run_cli(db, "ticket", "new", "--customer=ACME", "--service=network", "--title=t", timeout=ABSURD_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"load accepted a 99999999999h target; logging a call on it took over {ABSURD_TIMEOUT}s")
    if call.returncode != 0:
        assert_one_line_error(call)


def test_missing_and_unreadable_contract_files(contracts_db: Path, tmp_path: Path, nobody_dir: Path) -> None:
    guard = Unchanged(contracts_db)
    refused_cleanly(invoke(["load", str(tmp_path / "missing.toml"), "--db", str(contracts_db)]))
    refused_cleanly(invoke(["load", str(tmp_path), "--db", str(contracts_db)]))
    guard.check()
    db = make_db(nobody_dir / "floor.db")
    checkpoint(db)
    db.chmod(0o666)
    nobody_dir.chmod(0o777)
    secret = nobody_dir / "secret.toml"
    secret.write_text(VALID)
    secret.chmod(0o000)
    before = digest(db)
    assert_one_line_error(run_cli(db, "load", str(secret), prefix=NOBODY), "secret.toml", "permission")
    assert digest(db) == before


# ----------------------------------------------------------------------------- database paths


@pytest.fixture
def floor_db(tmp_path: Path) -> Path:
    """A database with one call, everything folded into the main file."""
    db = make_db(tmp_path / "floor.db")
    assert run_cli(db, "ticket", "new", "--customer=ACME", "--service=email", "--title=x").returncode == 0
    checkpoint(db)
    return db


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)


def test_a_folder_as_the_database(tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    for argv in (*READS, *WRITES, ["init"], ["backup", str(tmp_path / "b.db")], ["restore", str(folder)]):
        assert_one_line_error(run_cli(folder, *argv), "directory")
    assert list(folder.iterdir()) == []


def test_a_missing_database_or_folder(tmp_path: Path) -> None:
    for argv in (*READS, *WRITES):
        assert_one_line_error(run_cli(tmp_path / "missing.db", *argv), "slaboard init")
    assert_one_line_error(run_cli(tmp_path / "no" / "such" / "floor.db", "init"), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_database(floor_db: Path, nobody_dir: Path) -> None:
    db = nobody_dir / "floor.db"
    shutil.copyfile(floor_db, db)
    db.chmod(0o000)
    nobody_dir.chmod(0o777)
    before = digest(db)
    for argv in (*READS, *WRITES, ["init"], ["backup", str(nobody_dir / "copy.db")]):
        assert_one_line_error(run_cli(db, *argv, prefix=NOBODY), "permission")
    assert digest(db) == before and side_files(db) == []


def test_a_database_in_a_folder_you_cannot_enter(floor_db: Path, nobody_dir: Path) -> None:
    """--db pointing into a folder this user may not enter (another user's home)."""
    private = nobody_dir / "private"
    private.mkdir()
    db = private / "floor.db"
    shutil.copyfile(floor_db, db)
    before = digest(db)
    private.chmod(0o000)
    try:
        for argv in (*READS, WRITES[0], ["init"]):
            assert_one_line_error(run_cli(db, *argv, prefix=NOBODY, cwd=Path("/")), "permission")
    finally:
        private.chmod(0o755)
    assert digest(db) == before


@pytest.mark.parametrize("folder_writable", [False, True])
def test_a_read_only_database(floor_db: Path, nobody_dir: Path, folder_writable: bool) -> None:
    """Readable but not writable for this user (and its folder writable or not):
    reading works or is one line; a write is one line; the file is untouched."""
    db = nobody_dir / "floor.db"
    shutil.copyfile(floor_db, db)
    db.chmod(0o444)
    nobody_dir.chmod(0o777 if folder_writable else 0o555)
    before = content(db), digest(db)
    for argv in (*READS, ["init"]):  # init on an existing database only opens it
        result = run_cli(db, *argv, prefix=NOBODY)
        if result.returncode != 0:
            assert_one_line_error(result, "read-only")
    for argv in WRITES:
        assert_one_line_error(run_cli(db, *argv, prefix=NOBODY), "read-only")
    assert (content(db), digest(db)) == before


def fill(folder: Path, leave: int) -> None:
    """Fill the file system holding ``folder`` until about ``leave`` bytes are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize - leave
    with (folder / "filler").open("wb") as fh:
        while free > 0:
            chunk = min(free, 1 << 20)
            try:
                fh.write(b"\0" * chunk)
                fh.flush()
            except OSError:
                break
            free -= chunk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:  # no right to mount here: the file-size limit below stands in
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.mark.parametrize("room", [0, 64 * 1024], ids=["full", "nearly-full"])
def test_a_full_disk(floor_db: Path, tiny_disk: Path, room: int) -> None:
    db = tiny_disk / "floor.db"
    shutil.copyfile(floor_db, db)
    before = content(db), digest(db)
    for suffix in ("-wal", "-shm"):  # as after the last board closed: no shared-memory file to reuse
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    fill(tiny_disk, room)
    big = "x" * 100_000  # a description bigger than the room left
    writes = [[*WRITES[0], f"--description={big}"], ["ticket", "comment", "1001", big]]
    if not room:
        writes.append(WRITES[1])  # not even a small one fits
    for argv in writes:
        assert_one_line_error(run_cli(db, *argv), "full")
    assert digest(db) == before[1]
    (tiny_disk / "filler").unlink()  # room again: the file opens cleanly, is sound and as it was
    assert (content(db), digest(db)) == before
    assert run_cli(db, "check").returncode == 0


def limit_file_size(size: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


@pytest.mark.parametrize("limit", [8 * 1024, 64 * 1024], ids=["8k", "64k"])
def test_a_file_size_limit_like_a_quota(floor_db: Path, limit: int) -> None:
    """RLIMIT_FSIZE (what a quota or a full disk does to a growing file): one line,
    nothing changed."""
    before = content(floor_db), digest(floor_db)
    big = "x" * 100_000
    for argv in ([*WRITES[0], f"--description={big}"], ["ticket", "comment", "1001", big]):
        result = run_cli(floor_db, *argv, preexec_fn=limit_file_size(limit))
        assert_one_line_error(result)
        assert any(word in result.stderr for word in ("full", "space", "quota", "size")), result.stderr
    assert (content(floor_db), digest(floor_db)) == before
    assert run_cli(floor_db, "check").returncode == 0


@pytest.mark.parametrize("mode", ["exclusive transaction", "exclusive locking mode"])
def test_a_database_locked_by_another_program(floor_db: Path, mode: str) -> None:
    before = content(floor_db)
    other = sqlite3.connect(floor_db, isolation_level=None)
    try:
        if mode == "exclusive locking mode":
            other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("INSERT INTO meta (key, value) VALUES ('other program', 'was here')")
        env = cli_env(SLABOARD_BUSY_TIMEOUT_MS=BUSY_MS)
        for argv in WRITES:
            assert_one_line_error(run_cli(floor_db, *argv, env=env, timeout=30), "locked")
        for argv in READS:  # a reader may go on beside a writer (WAL), or be told in one line
            result = run_cli(floor_db, *argv, env=env, timeout=30)
            if result.returncode != 0:
                assert_one_line_error(result, "locked")
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert content(floor_db) == before


@pytest.mark.parametrize(("label", "data"), [
    ("text", b"ticket,title\n1001,printer\n"),
    ("zip", b"PK\x03\x04" + bytes(2000)),
    ("one byte", b"S"),
    ("header only", b"SQLite format 3\x00"),
    ("random", random.Random(1).randbytes(8192)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_file_that_is_not_a_database(tmp_path: Path, label: str, data: bytes) -> None:
    path = tmp_path / "floor.db"
    path.write_bytes(data)
    for argv in (*READS, WRITES[0], ["init"], ["backup", str(tmp_path / "copy.db")]):
        assert_one_line_error(run_cli(path, *argv))
    assert path.read_bytes() == data and side_files(path) == []


def test_a_database_of_another_program(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO tickets VALUES (1, 'theirs')")
    conn.commit()
    conn.close()
    before = digest(path)
    for argv in (*READS, *WRITES, ["init"]):
        assert_one_line_error(run_cli(path, *argv), "not a slaboard database")
    assert digest(path) == before


def damaged(source: Path, target: Path, seed: int) -> Path:
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    for _ in range(300):
        data[rng.randrange(len(data) // 2, len(data))] = rng.randrange(256)
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("seed", [1, 2, 3, 6])
def test_a_damaged_database(floor_db: Path, tmp_path: Path, seed: int) -> None:
    """Pages overwritten with garbage (a disk fault): `check` reports the damage
    (exit 1, PROBLEM lines) or says it in one line; other commands work or say it
    in one line; nothing crashes."""
    for n in range(30):
        assert invoke(["ticket", "comment", "1001", f"note {n} " + "x" * 200, "--db", str(floor_db)])[0] == 0
    checkpoint(floor_db)
    db = damaged(floor_db, tmp_path / "damaged.db", seed)
    check = run_cli(db, "check")
    assert "Traceback" not in check.stderr, check.stderr[-2000:]
    if check.returncode == 1:
        assert "PROBLEM" in check.stdout
    else:
        assert_one_line_error(check)
    for argv in (["ticket", "list", "--all"], ["ticket", "show", "1001"]):
        result = run_cli(db, *argv)
        if result.returncode != 0:
            assert_one_line_error(result)
