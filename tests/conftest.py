"""Shared fixtures: a frozen clock, a small hand-written contract file, and stores
on temporary databases (the sample MSP or the small contracts)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from pgserver import PgServer, Unavailable
from smtpserver import TLS_PASSWORD, TLS_USER, SmtpServer

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.store import Store
from slaboard.store.store import is_url

T = TypeVar("T")
AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=AMS)  # a Thursday, 09:00 UTC
NOW_ISO = "2026-11-26T10:00:00+01:00"

# Two calendars, two levels, three services, two customers (in two zones), two
# contracts. Acme (Amsterdam) has gold on the 24x7 calendar with an override for
# e-mail (every priority) and for network (P3 only); Tulip (New York) has bronze on
# the office calendar and does not cover network.
SMALL_CONTRACTS = """\
[calendars.office]
tz = "Europe/Amsterdam"
hours = { mon = [["09:00", "17:00"]], tue = [["09:00", "17:00"]], wed = [["09:00", "17:00"]], thu = [["09:00", "17:00"]], fri = [["09:00", "17:00"]] }

[calendars.always]
always_open = true

[levels.gold]
name = "Gold"
calendar = "always"
price_per_month = 2400
response   = { P1 = "15m", P2 = "30m", P3 = "1h", P4 = "4h" }
resolution = { P1 = "1h",  P2 = "4h",  P3 = "8h", P4 = "2bd" }

[levels.bronze]
name = "Bronze"
calendar = "office"
price_per_month = 450
response   = { P1 = "1h", P2 = "2h",  P3 = "4h",  P4 = "1bd" }
resolution = { P1 = "8h", P2 = "1bd", P3 = "2bd", P4 = "3bd" }

[services.email]
name = "E-mail"

[services.network]
name = "Network"

[services.printing]
name = "Printing"

[customers.acme]
name = "Acme Logistics"
code = "ACME"
tz = "Europe/Amsterdam"
contacts = [{ name = "Jan de Vries", phone = "+31 20 555 0101", email = "jan@acme.example" }]

[customers.tulip]
name = "Tulip Trading"
code = "TUL"
tz = "America/New_York"

[[contracts]]
customer = "acme"
level = "gold"
valid_from = 2026-01-01
valid_to = 2026-12-31
services = ["email", "network"]
price_per_month = 2000
hourly_rate = 95
overrides = { email = { resolution = "4h" }, network = { resolution = { P3 = "2h" } } }

[[contracts]]
customer = "tulip"
level = "bronze"
valid_from = 2026-01-01
valid_to = 2026-12-31
services = ["email", "printing"]
hourly_rate = 125
"""

TABLES = ("calendars", "levels", "services", "customers", "contracts", "tickets", "events", "communications", "clock_outcomes")


@pytest.fixture
def utc_process() -> Iterator[None]:
    """The process's local zone set to UTC for the test (screens show some times,
    such as "refreshed HH:MM:SS", in it), and put back afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def now() -> datetime:
    """Thursday 2026-11-26 10:00 in Amsterdam."""
    return NOW


@pytest.fixture
def sample_file() -> Path:
    return data_dir("sample_data") / "msp.toml"


@pytest.fixture
def small_contracts() -> str:
    """The text of a small contract file (see SMALL_CONTRACTS)."""
    return SMALL_CONTRACTS


@pytest.fixture
def small_file(tmp_path: Path, small_contracts: str) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(small_contracts, encoding="utf-8")
    return path


# Every test whose store comes from empty_store (and so small_store, loaded_store)
# runs on both engines; one marked sqlite_only (it is about the file itself) on the
# file alone.
ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself; runs on that engine alone")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("engine", ["sqlite"] if only else list(ENGINES))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of the test run's own (one per worker), on a Unix socket
    in a temporary folder. Without the programs a test that needs it is skipped on
    a developer's machine and fails in CI (where CI is set)."""
    server = start_or_skip(lambda: PgServer().start(), "PostgreSQL")
    yield server
    server.close()


def start_or_skip(start: Callable[[], T], what: str) -> T:
    """A server the tests start themselves: ``start()``, or (when its programs are
    missing: it raises Unavailable) a skip on a developer's machine and a
    failure in CI, where CI is set."""
    try:
        return start()
    except Unavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is needed in CI: {err}")
        pytest.skip(f"no {what} server for the tests: {err}")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd on a loopback port) for the whole run."""
    server = start_or_skip(lambda: SmtpServer().start(), "aiosmtpd (SMTP)")
    yield server
    server.close()


@pytest.fixture(scope="session")
def smtp_tls() -> Iterator[SmtpServer]:
    """A real SMTP server with STARTTLS (its own certificate) that requires AUTH
    (TLS_USER, TLS_PASSWORD)."""
    server = start_or_skip(lambda: SmtpServer(tls=True, users={TLS_USER: TLS_PASSWORD}).start(), "aiosmtpd (SMTP)")
    yield server
    server.close()


@pytest.fixture
def smtp_server(smtp: SmtpServer) -> SmtpServer:
    """The run's SMTP server with nothing received and no refusals pending."""
    smtp.clear()
    return smtp


@pytest.fixture
def store_target(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Where a new database of ``engine`` is: a file, or a new PostgreSQL database's URL."""
    if engine == "sqlite":
        return tmp_path / "t.db"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def empty_store(store_target: str | Path) -> Iterator[Store]:
    store = Store.open(store_target, create=True)
    yield store
    store.close()


@pytest.fixture
def loaded_store(empty_store: Store, sample_file: Path, now: datetime) -> Store:
    """A database holding sample_data/msp.toml."""
    load_files(empty_store, [sample_file], now)
    return empty_store


@pytest.fixture
def small_store(empty_store: Store, small_file: Path, now: datetime) -> Store:
    """A database holding the small contracts."""
    load_files(empty_store, [small_file], now)
    return empty_store


@pytest.fixture
def row_counts() -> Callable[[Path], dict[str, int]]:
    """Row counts of every slaboard table, read through a plain sqlite3 connection
    (so the check does not depend on the store under test)."""

    def counts(path: Path | str) -> dict[str, int]:
        if is_url(path):  # a PostgreSQL database, through a psycopg connection of its own
            import psycopg

            with psycopg.connect(str(path)) as pg:
                return {t: pg.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        finally:
            conn.close()

    return counts
