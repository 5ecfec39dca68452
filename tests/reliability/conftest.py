"""What the reliability tests share: a loaded database, the command line run as a
real process (optionally as another user or with resource limits), and views of
the file that do not go through the store under test (row counts, the schema,
``PRAGMA data_version`` from a watching connection, the bytes)."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from slaboard.cli import main
from slaboard.services.loading import load_files
from slaboard.store import Store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PY = sys.executable
NOW_ISO = "2026-11-26T10:00:00+01:00"  # a Thursday; the small contracts run through 2026
TABLES = ("meta", "calendars", "levels", "services", "customers", "contracts", "tickets", "events",
          "communications", "clock_outcomes")
# What must never reach a user: SQLite's own words for a busy file, and a crash.
FORBIDDEN = ("database is locked", "SQLITE_BUSY", "Traceback", "sqlite3.OperationalError")
# Permission tests run the command as user nobody when we are root (root reads
# everything); as anybody else, the file modes already apply to the user itself.
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
IN_PROCESS_TIMEOUT = 30  # seconds one in-process command may take before it counts as hung


@functools.cache
def small_contracts_text() -> str:
    """The small contract file of tests/conftest.py (read from there, not copied)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_slaboard_tests_conftest", ROOT / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SMALL_CONTRACTS


def make_db(path: Path) -> Path:
    """A database holding the small contracts (acme: gold 24x7; tulip: bronze)."""
    from datetime import datetime

    contracts = path.with_name(path.stem + "-contracts.toml")
    contracts.write_text(small_contracts_text(), encoding="utf-8")
    with Store.open(path, create=True) as store:
        load_files(store, [contracts], datetime.fromisoformat(NOW_ISO).replace(month=1, day=2))
    return path


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLABOARD_")}
    if env.get("PYTHONPATH"):
        # The commands run in another folder: a relative PYTHONPATH=src would import some other slaboard.
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    env.update({"SLABOARD_NOW": NOW_ISO, "SLABOARD_OPERATOR": "ann", "PYTHONIOENCODING": "utf-8",
                "SLABOARD_SETTINGS": "/nonexistent/slaboard-settings.toml"})
    env.update(extra)
    return env


def run_cli(db: Path | str, *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
            timeout: float = 60, prefix: Sequence[str] = (), preexec_fn: Callable[[], None] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m slaboard ARGS --db DB`` as a process of its own."""
    argv = [*prefix, PY, "-m", "slaboard", *args, "--db", str(db)]
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(argv, input=data, capture_output=True, env=env or cli_env(), timeout=timeout,
                          preexec_fn=preexec_fn, cwd=cwd or HERE)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit code 2, nothing on stdout, exactly one line on stderr, no traceback."""
    err = result.stderr
    assert result.returncode == 2, (result.args[-8:], result.returncode, result.stdout[-500:], err[-2000:])
    assert result.stdout == "", result.stdout[-500:]
    assert err.endswith("\n") and err.count("\n") == 1, repr(err[-2000:])
    for bad in FORBIDDEN:
        assert bad not in err, err
    words = re.sub(r"(?:/[^\s:'\"]+)+", "PATH", err).lower()  # a path must not satisfy a fragment by itself
    for fragment in fragments:
        where = err.lower() if ("/" in fragment or "." in fragment) else words
        assert fragment.lower() in where, (fragment, err)
    return err


def counts(path: Path) -> dict[str, int]:
    """Rows per slaboard table through a plain read-only sqlite3 connection."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def contents(path: Path) -> dict[str, str]:
    """A digest of every row of every slaboard table (not the report sums kept
    beside them), through a plain read-only sqlite3 connection."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        out = {}
        for t in TABLES:
            digest = hashlib.sha256()
            for row in conn.execute(f"SELECT * FROM {t} ORDER BY rowid"):
                digest.update(repr(row).encode())
            out[t] = digest.hexdigest()
        return out
    finally:
        conn.close()


def schema(path: Path) -> list[tuple[str, str, str]]:
    """sqlite_master as (type, name, sql), sorted: the schema as any tool sees it."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return sorted((r[0], r[1], r[2] or "") for r in conn.execute("SELECT type, name, sql FROM sqlite_master"))
    finally:
        conn.close()


def content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (sorted), plus the header pragmas: the data, whatever the bytes."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out: dict[str, list[tuple[object, ...]]] = {
            f"table {t}": sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }
        out["schema"] = sorted((r[0], r[1], r[2] or "") for r in conn.execute("SELECT type, name, sql FROM sqlite_master"))
        out["pragmas"] = [(conn.execute("PRAGMA user_version").fetchone()[0],
                           conn.execute("PRAGMA application_id").fetchone()[0])]
        return out
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the file alone holds everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


class Watcher:
    """A connection kept open beside the process under test: ``PRAGMA data_version``
    moves exactly when another connection commits to the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)

    def version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


class Hung(Exception):
    pass


def _hung(signum: int, frame: object) -> None:
    raise Hung(f"a command took more than {IN_PROCESS_TIMEOUT}s")


def invoke(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """main(argv) in this process -> (exit code, stdout, stderr). An exception
    escaping main (what a user would see as a traceback) fails the test, and so
    does a command that hangs."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(IN_PROCESS_TIMEOUT)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def refused_cleanly(result: tuple[int, str, str]) -> None:
    code, out, err = result
    assert code == 2, (code, out[-300:], err[-1000:])
    assert out == "", out[-300:]
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("slaboard"), err[-1000:]
    assert "Traceback" not in err and "database is locked" not in err


class Unchanged:
    """The database is as it was: row counts, and no commit seen by a watching connection."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.watcher = Watcher(db)
        self.version = self.watcher.version()
        self.counts = counts(db)

    def check(self) -> None:
        try:
            assert self.watcher.version() == self.version, "a rejected input committed something"
            assert counts(self.db) == self.counts
        finally:
            self.watcher.close()

    def close(self) -> None:
        self.watcher.close()


class _Trimmed(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    text: str


def as_stored(text: str) -> str:
    """The domain trims surrounding white space from every text (by design: its
    models use pydantic's str_strip_whitespace); everything else is kept exactly."""
    return _Trimmed(text=text).text


@pytest.fixture(scope="module")
def in_process_env() -> Iterator[None]:
    """The environment a command run in this process (invoke) reads: a fixed clock and operator."""
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("SLABOARD_")]:
            mp.delenv(key)
        mp.setenv("SLABOARD_NOW", NOW_ISO)
        mp.setenv("SLABOARD_OPERATOR", "ann")
        yield


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh database with the small contracts, no calls."""
    return make_db(tmp_path / "floor.db")


@pytest.fixture
def nobody_dir() -> Iterator[Path]:
    """A folder user nobody can reach: made under /tmp (which everybody may enter),
    so no folder of pytest's has its permissions changed."""
    folder = Path(tempfile.mkdtemp(prefix="slaboard-reliability-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for sub in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
            sub.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def records(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """The JSON lines a writer process left in ``path``."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def writers_ended_well(writers: list[tuple[str, Path, Path, subprocess.Popen]],  # type: ignore[type-arg]
                       forbidden: tuple[str, ...] = FORBIDDEN) -> list[dict]:  # type: ignore[type-arg]
    """Every writer (name, its output, its stderr, its process) ended well: exit 0,
    nothing on stderr, no failed write, none of ``forbidden``'s words (in any case)
    in what it printed; all their records."""
    done: list[dict] = []  # type: ignore[type-arg]
    for name, out, err, proc in writers:
        text = err.read_text()
        recs = records(out)
        errors = [r for r in recs if r["op"] == "error"]
        assert not errors and proc.returncode == 0 and not text, (name, proc.returncode, errors[:3], text[-3000:])
        printed = out.read_text().lower()
        for word in forbidden:
            assert word.lower() not in printed, (name, word)
        done.extend(recs)
    return done


Writer = tuple[str, Path, Path, "subprocess.Popen[bytes]"]


def start_writers(target: str, folder: Path, shared: list[int], *, store: int, cli: int, store_ops: int,
                  cli_ops: int) -> list[Writer]:
    """``store`` writer processes through the services and ``cli`` through the
    command line (writer.py), each logging to its own files in ``folder``."""
    writers: list[Writer] = []
    for i in range(store + cli):
        via = "store" if i < store else "cli"
        name = f"{via}{i}"
        out, err = folder / f"{name}.out", folder / f"{name}.err"
        argv = [PY, str(HERE / "writer.py"), target, name, "--via", via, "--seed", str(i),
                "--ops", str(store_ops if via == "store" else cli_ops), "--shared", ",".join(map(str, shared))]
        writers.append((name, out, err, subprocess.Popen(argv, stdout=out.open("w"), stderr=err.open("w"),
                                                         env=cli_env(), cwd=HERE)))
    return writers


def wait_for_writers(writers: list[Writer], started: float, timeout: float, stop: Path) -> None:
    """Every writer done within ``timeout`` of ``started`` (the rest killed), then
    the feeds told to stop."""
    try:
        for _, _, _, proc in writers:
            proc.wait(timeout=max(1.0, timeout - (time.monotonic() - started)))
    finally:
        for _, _, _, proc in writers:
            if proc.poll() is None:
                proc.kill()
        stop.touch()


def assert_no_update_lost(versions: dict[int, int], done: list[dict], logged: Iterable[int]) -> None:  # type: ignore[type-arg]
    """Each call's stored version counts its changes, and the last version a writer
    was told is the one stored."""
    changes = Counter(r["id"] for r in done if r["op"] == "status")
    last_told = {r["id"]: r["version"] for r in done if r["op"] == "status"}
    for ticket_id in logged:
        assert versions[ticket_id] == 1 + changes[ticket_id], ticket_id
        if ticket_id in last_told:
            assert last_told[ticket_id] == versions[ticket_id]
