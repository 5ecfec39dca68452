"""The database file itself: permissions for a shared host, where it lives, online
backups and restoring only a file nobody has open.

Every file written beside or from the database (a backup, an upgrade's ``.bak``, a
report) is first written under a ``NAME.partial-XXXXXXXX`` name created afresh (never
through a symbolic link), with the database's permissions or narrower, made durable,
and only then given its name: a killed process leaves at most a ``.partial-`` file,
never a half-written file under the name people trust."""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable
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
        if path.is_symlink() and not path.exists():
            # SQLite would create the link's target with the default, wider permissions.
            raise StoreError(f"{path} is a symbolic link to {os.readlink(path)}, which does not exist; "
                             "create the database at its real path") from None
    except OSError as err:
        raise StoreError(f"cannot create {path}: {err.strerror or err}") from None
    finally:
        os.umask(old)


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through a link, a hard link or another spelling)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


PARTIAL = ".partial-"  # what a file being written is called until it is complete


class LinkRefused(StoreError):
    """The destination is a symbolic link: nothing is written through one."""


def copy_permissions(database: Path | None) -> tuple[int, int | None]:
    """The permission bits and group a copy of ``database`` gets: the database's own
    (read and write bits only), or owner-only 0600 when the database cannot be seen
    (or is no file: None, a PostgreSQL database)."""
    if database is None:
        return 0o600, None
    try:
        st = os.stat(database)
    except OSError:
        return 0o600, None
    return stat.S_IMODE(st.st_mode) & 0o666, st.st_gid


def refuse_link(path: Path) -> None:
    """Raise LinkRefused if ``path`` is a symbolic link (dangling or not)."""
    if path.is_symlink():
        raise LinkRefused(f"{path} is a symbolic link; give the name of a real file (nothing is written through a link)")


def _open_partial(final: Path, database: Path | None) -> tuple[int, Path]:
    """A new file beside ``final`` that no link can redirect, with ``database``'s
    permissions or narrower; owner-only from the first instant."""
    mode, gid = copy_permissions(database)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        partial = final.with_name(f"{final.name}{PARTIAL}{secrets.token_hex(4)}")
        try:
            fd = os.open(partial, flags, 0o600)
            break
        except FileExistsError:
            continue
    try:
        if gid is not None and os.fstat(fd).st_gid != gid:
            try:
                os.fchown(fd, -1, gid)
            except OSError:
                mode &= 0o600  # not a member of the database's group: keep the copy to its owner
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        partial.unlink(missing_ok=True)
        raise
    return fd, partial


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is synced
    finally:
        os.close(fd)


def _publish(partial: Path, final: Path, *, replace: bool) -> None:
    if replace:
        os.replace(partial, final)  # renames over the name itself: a link there is replaced, not followed
        return
    try:
        os.link(partial, final)  # fails if anything, a link included, has the name: never overwrites
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(final):  # no hard links on this file system: check, then rename
            raise FileExistsError(errno.EEXIST, "File exists", str(final)) from None
        os.rename(partial, final)
        return
    partial.unlink()


def write_private(final: Path, database: Path | None, fill: Callable[[int, Path], None], *, replace: bool) -> None:
    """Write ``final`` through ``fill(fd, partial_path)``, which writes the content
    to the open partial file (by its descriptor or its path); then make it durable
    and give it its name. With ``replace`` an existing file of that name is
    replaced at once; without, FileExistsError if the name is taken meanwhile.
    A symbolic link at ``final`` raises LinkRefused; on any failure the partial
    file is removed."""
    refuse_link(final)
    fd, partial = _open_partial(final, database)
    try:
        try:
            fill(fd, partial)
            os.fsync(fd)
            opened, named = os.fstat(fd), os.lstat(partial)
            if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
                # Someone swapped the file while it was written by name: what is there now is not ours.
                raise StoreError(f"{partial} was replaced by another file while it was written; "
                                 f"{final} not written (who else can write to {final.parent}?)")
        finally:
            os.close(fd)
        _publish(partial, final, replace=replace)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_folder(final.parent)


def write_text_private(final: Path, database: Path | None, text: str) -> None:
    """``final`` holds ``text`` (UTF-8), replacing any file of that name at once, with
    the database's permissions or narrower (and never wider than the file it replaces)."""
    data = text.encode("utf-8")

    def fill(fd: int, partial: Path) -> None:
        try:
            os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & stat.S_IMODE(os.stat(final).st_mode))
        except FileNotFoundError:
            pass
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    write_private(final, database, fill, replace=True)


def backup_file(conn: sqlite3.Connection, destination: Path) -> None:
    """Copy the open database with SQLite's online backup (consistent while others
    write) to ``destination``, which must not exist (FileExistsError if it appears
    meanwhile); the copy has the database's permissions or narrower."""
    database = Path(conn.execute("PRAGMA database_list").fetchone()[2] or destination)

    def fill(fd: int, partial: Path) -> None:
        target = sqlite3.connect(partial)
        try:
            conn.backup(target, pages=1024)
        finally:
            target.close()

    try:
        write_private(destination, database, fill, replace=False)
    except sqlite3.DatabaseError as err:
        raise StoreError(f"backup to {destination} failed: {err}") from None
    except FileExistsError:
        raise StoreError(f"{destination} exists; give a new file name (a backup never overwrites)") from None
    except OSError as err:
        raise StoreError(f"cannot write {destination}: {err.strerror or err}") from None


def replace_unused(source: Path, database: Path) -> None:
    """Copy ``source`` over ``database`` if no other process has it open (leaving WAL
    mode needs every other connection closed: that is the test)."""
    if same_file(source, database):
        # Copying a file onto itself waits for its own lock for ever.
        raise StoreError(f"{source} is the database itself ({database}); give a backup file to restore from")
    if not database.exists():
        create_private(database)
    conn = sqlite3.connect(database, isolation_level=None, timeout=0.2)
    left_wal = False
    try:
        try:
            left_wal = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
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
        left_wal = False
    except sqlite3.DatabaseError as err:
        raise StoreError(f"restore into {database} failed: {err}") from None
    finally:
        if left_wal:  # the restore failed after leaving WAL: the boards expect it back
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.DatabaseError:
                pass
        conn.close()
