"""Where the database is, who the operator is, and what time it is.

``--db`` beats ``SLABOARD_DB`` beats a file in the user data directory;
``--operator`` beats ``SLABOARD_OPERATOR`` beats the login name; ``SLABOARD_NOW``
(an ISO-8601 instant) fixes the clock of every command, for tests and replays.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

APP = "slaboard"


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and how to fix it."""


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "slaboard.db"


def db_path(cli_value: str | None = None) -> Path | str:
    """The database --db or SLABOARD_DB names: a SQLite file's path, or (as it was
    given, a str) a PostgreSQL URL."""
    value = cli_value or os.environ.get("SLABOARD_DB")
    if value and value.strip().lower().startswith(("postgresql://", "postgres://")):
        return value.strip()  # a URL, which Store.open tells from a path
    return Path(value).expanduser() if value else default_db_path()


def operator_name(cli_value: str | None = None) -> str:
    value = cli_value or os.environ.get("SLABOARD_OPERATOR")
    if value is None:
        try:
            value = getpass.getuser()
        except (KeyError, OSError):
            value = "operator"
    value = value.strip()
    if not value:
        raise ConfigError("the operator name is empty; set --operator or SLABOARD_OPERATOR")
    if any(ch in value for ch in "\n\r\t\x00\x1b"):
        raise ConfigError("the operator name has control characters; use plain text")
    return value


def parse_instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not an ISO-8601 instant like 2026-06-01T09:30:00+02:00") from None
    if value.tzinfo is None:
        raise ConfigError(f"{what} {text!r} has no time zone; add one, like +02:00 or Z")
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 2 <= year <= 9998:  # the years the SLA engine counts business time in
        raise ConfigError(f"{what} {text!r} is outside the years slaboard counts in (2 to 9998)")
    return value


def now() -> datetime:
    """The current instant, or SLABOARD_NOW when set."""
    fixed = os.environ.get("SLABOARD_NOW")
    if fixed:
        return parse_instant(fixed, "SLABOARD_NOW")
    return datetime.now(UTC).replace(microsecond=0)
