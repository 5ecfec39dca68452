"""A real PostgreSQL server for the tests and the benchmarks, started in a temporary
folder with ``initdb`` and ``pg_ctl``, listening on a Unix socket in that folder only
(no TCP port), run as an unprivileged user when we are root, and stopped after.

Debian's ``postgresql`` package provides the programs (``.ci/run`` installs it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file: nothing listens on TCP


class Unavailable(Exception):
    """The PostgreSQL programs are not installed, or the server would not start."""


def _bindir() -> Path:
    for name in ("pg_ctl", "initdb"):
        found = shutil.which(name)
        if found:
            return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return Path(candidates[-1]).parent
    raise Unavailable("initdb and pg_ctl are not installed (Debian: apt-get install postgresql)")


def _run_as() -> dict[str, object]:
    """As root, the server runs as the unprivileged user postgres (or nobody)."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise Unavailable("running as root, and there is no unprivileged user to run the server as")


class PgServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.as_user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="slaboard-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.log = self.root / "server.log"
        if self.as_user:
            os.chown(self.root, int(self.as_user["user"]), int(self.as_user["group"]))  # type: ignore[call-overload]
        self.counter = 0

    def _tool(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
        env.pop("PGPASSWORD", None)
        return subprocess.run([str(self.bindir / name), *args], capture_output=True, text=True, env=env,
                              check=check, timeout=120, cwd=self.root, **self.as_user)  # type: ignore[arg-type]

    def start(self) -> PgServer:
        try:
            self._tool("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                       "--locale=C", "--no-sync")
            self._pg_ctl("start")
        except subprocess.CalledProcessError as err:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise Unavailable(f"{err.cmd[0]} failed: {err.stderr.strip()} {log[-1500:]}") from None
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-k {self.socket_dir} -c listen_addresses='' -p {PORT} -c fsync=off -c max_connections=200"
        self._tool("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                   "-o", options, *extra)

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._tool("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", check=False)

    def start_again(self) -> None:
        self._pg_ctl("start")

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql:///{database}?host={quote(str(self.socket_dir), safe='')}&user={user}&port={PORT}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self, prefix: str = "t") -> str:
        """The URL of a new, empty database."""
        self.counter += 1
        name = f"{prefix}_{os.getpid()}_{self.counter}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def require_password(server: PgServer, role: str) -> None:
    """Make ``role`` sign in with a password on the server's socket (every other
    role stays trusted), and have the server read it now."""
    hba = server.data / "pg_hba.conf"
    text = hba.read_text()
    line = f"local all {role} scram-sha-256\n"
    if line not in text:
        hba.write_text(line + text)
    server._tool("pg_ctl", "reload", "-D", str(server.data))
