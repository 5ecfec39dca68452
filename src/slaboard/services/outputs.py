"""Files written from the database for people: reports and exports."""

from __future__ import annotations

from pathlib import Path

from slaboard.services.tickets import ServiceError
from slaboard.store import StoreError
from slaboard.store.files import write_text_private


def write_output(path: Path, text: str, database: Path | None) -> None:
    """Write a report or export to ``path``, replacing a file of that name at once
    (a killed writer leaves the old one whole), with the database's permissions or
    narrower; a symbolic link there is refused, not written through. ServiceError
    says what went wrong in one line."""
    try:
        write_text_private(path, database, text if text.endswith("\n") else text + "\n")
    except StoreError as err:
        raise ServiceError(str(err)) from None
    except OSError as err:
        raise ServiceError(f"cannot write {path}: {err.strerror or err}") from None
