"""Loading contract files: validate everything first, then write it in one go."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from slaboard.domain import ContractFileError, build_catalog
from slaboard.services.tickets import ServiceError
from slaboard.store import LoadSummary, Store


def read_contract_file(path: Path) -> dict[str, Any]:
    """Parse one TOML contract file; errors name the file and the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ServiceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ServiceError(f"{path}: is a directory; give a .toml file") from None
    except OSError as err:
        raise ServiceError(f"{path}: cannot read it ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ServiceError(f"{path}: line {line}: not valid UTF-8 text; save the file as UTF-8") from None
    if "\x00" in text:
        raise ServiceError(f"{path}: contains a NUL byte; is it really a TOML file?")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ServiceError(f"{path}: invalid TOML: {err}") from None
    except RecursionError:
        raise ServiceError(f"{path}: nested too deeply to read; is it really a contract file?") from None


def load_files(store: Store, paths: Sequence[Path], now: datetime) -> LoadSummary:
    """Validate every file completely against what the database already holds, then
    write all of it in one transaction. Nothing is written if anything is wrong."""
    if not paths:
        raise ServiceError("give at least one contract file to load")
    return load_documents(store, [(str(p), read_contract_file(p)) for p in paths], now)


def load_documents(store: Store, documents: Sequence[tuple[str, dict[str, Any]]], now: datetime) -> LoadSummary:
    """``load_files`` for contract files already parsed: (name, document) pairs."""
    try:
        catalog = build_catalog(documents, base=store.catalog())
    except ContractFileError as err:
        raise ServiceError(str(err)) from None
    return store.save_catalog(catalog, now)
