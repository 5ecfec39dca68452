"""The database file itself: permissions for a shared host, where it lives, online
backups and restoring only a file nobody has open."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from slaboard.store.connection import StoreError, error_kind

# File systems on which SQLite's locking cannot be trusted.
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "9p", "afs", "glusterfs", "ceph",
                       "davfs", "fuse.davfs", "lustre", "gpfs"}


def filesystem_type(path: Path, mounts: str = "/proc/mounts") -> str | None:
    """The type of the file system holding ``path`` (Linux), or None if unknown."""
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, kind = mount, parts[2]
    return kind


def safety_warnings(path: Path) -> list[str]:
    """What is unsafe about where and how the shared file lives."""
    warnings: list[str] = []
    try:
        mode = path.stat().st_mode
    except OSError:
        return warnings
    if mode & stat.S_IWOTH:
        warnings.append(f"{path} is writable by every user on this host; run: chmod o-rw {path}")
    kind = filesystem_type(path)
    if kind in NETWORK_FILESYSTEMS:
        warnings.append(
            f"{path} lies on a network file system ({kind}), where SQLite's locking cannot be trusted; "
            "keep the database on a local disk of the host operators log in to"
        )
    return warnings


def create_private(path: Path) -> None:
    """Create an empty database file that the operators' group may write and others
    may not read; SQLite gives its -wal and -shm files the same permissions."""
    old = os.umask(0o007)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o660)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as err:
        raise StoreError(f"cannot create {path}: {err.strerror or err}") from None
    finally:
        os.umask(old)


def backup_file(conn: sqlite3.Connection, destination: Path) -> None:
    """Copy the open database with SQLite's online backup (consistent while others write)."""
    create_private(destination)
    try:
        target = sqlite3.connect(destination)
        try:
            conn.backup(target, pages=1024)
        finally:
            target.close()
    except sqlite3.DatabaseError as err:
        destination.unlink(missing_ok=True)
        raise StoreError(f"backup to {destination} failed: {err}") from None


def replace_unused(source: Path, database: Path) -> None:
    """Copy ``source`` over ``database`` if no other process has it open (leaving WAL
    mode needs every other connection closed: that is the test)."""
    if not database.exists():
        create_private(database)
    conn = sqlite3.connect(database, isolation_level=None, timeout=0.2)
    try:
        try:
            conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlite3.OperationalError as err:
            if error_kind(err) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise StoreError(
                    f"{database} is in use (a board, the wall or a script has it open); "
                    "close them all before restoring"
                ) from None
            raise
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            src.backup(conn)
        finally:
            src.close()
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as err:
        raise StoreError(f"restore into {database} failed: {err}") from None
    finally:
        conn.close()
