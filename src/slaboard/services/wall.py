"""What the NOC wall reads: the board's feed opened read-only, plus today's figures
(targets met and missed per service level since midnight in the MSP's zone), the
MSP's name and the order of its levels, read once per file; and the calls that will
breach next, by the real instant of their breach."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from slaboard.services.board import BoardFeed, BoardRow, Snapshot
from slaboard.store import Store


@dataclass
class LevelToday:
    """Targets met and missed today for one service level (response and resolution)."""

    level: str
    met: int = 0
    missed: int = 0
    response: tuple[int, int] = (0, 0)  # (met, of)
    resolution: tuple[int, int] = (0, 0)
    open_breached: int = 0  # open calls already past a deadline: missed, though no clock stopped yet

    @property
    def total(self) -> int:
        return self.met + self.missed + self.open_breached

    @property
    def share(self) -> float | None:
        """The share of targets met so far today, or None when none was due yet."""
        return self.met / self.total if self.total else None


def day_start(now: datetime, zone: str) -> datetime:
    """Midnight of ``now``'s date in ``zone`` (the MSP's home zone)."""
    tz = ZoneInfo(zone)
    return datetime.combine(now.astimezone(tz).date(), time(), tz)


def todays_figures(store: Store, now: datetime, zone: str) -> dict[str, LevelToday]:
    """Per level, the response and resolution targets met and missed by the clocks
    stopped since midnight (in ``zone``) up to ``now``."""
    figures: dict[str, LevelToday] = {}
    for row in store.report_outcomes(day_start(now, zone), now + timedelta(seconds=1)):
        if row.clock not in ("response", "resolution"):
            continue
        level = row.level or "none"
        f = figures.setdefault(level, LevelToday(level))
        done, of = getattr(f, row.clock)
        if row.met:
            f.met += 1
            setattr(f, row.clock, (done + 1, of + 1))
        else:
            f.missed += 1
            setattr(f, row.clock, (done, of + 1))
    return figures


def with_open_breaches(figures: dict[str, LevelToday], breached: Mapping[str, int]) -> dict[str, LevelToday]:
    """Today's figures with each level's open breached calls counted against it, so
    a level with live breaches never shows 100% met."""
    combined = {level: replace(f) for level, f in figures.items()}
    for level, count in breached.items():
        if count and level != "none":
            combined.setdefault(level, LevelToday(level)).open_breached += count
    return combined


def zone_time(ts: int, zone: str, fmt: str = "%a %H:%M") -> str:
    """UTC second ``ts`` in ``zone``, with the zone's abbreviation: ``Fri 03:00 EST``.
    A NOC screen is read by people in other zones, so no time goes without one."""
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime(f"{fmt} %Z")


@dataclass(frozen=True)
class UpcomingBreach:
    """A call whose leading clock runs and has not breached yet: when it breaches,
    and, when its business hours are closed now, when its clock starts again."""

    row: BoardRow
    breach_ts: int  # the instant the leading clock breaches (UTC seconds)
    resumes_ts: int | None  # the next opening of its calendar, when the clock is stopped by the hours
    zone: str  # the customer's zone, in which its times are shown

    @property
    def stopped(self) -> bool:
        return self.resumes_ts is not None

    @property
    def breach_text(self) -> str:
        """``breaches Fri 09:02 CET``, in the customer's zone."""
        return f"breaches {zone_time(self.breach_ts, self.zone)}"

    @property
    def resumes_text(self) -> str:
        """``resumes Fri 07:00 CET`` in the customer's zone; empty while the clock runs."""
        return "" if self.resumes_ts is None else f"resumes {zone_time(self.resumes_ts, self.zone)}"


def resumes_at(row: BoardRow, now: int) -> int | None:
    """When the leading clock of ``row`` counts again, if its business hours are
    closed at ``now``; None while it counts (or has no running clock)."""
    lead = row.lead
    if lead is None or lead.paused or lead.stopped_ts is not None:
        return None
    opens = lead.calendar.add_seconds(now, 0)  # the first business instant at or after now
    return opens if opens > now else None


def next_breaches(rows: Iterable[BoardRow], now: int, count: int | None = None) -> list[UpcomingBreach]:
    """The running calls not yet breached, soonest real breach first (not least
    business time left: a call with two office minutes left at night breaches in the
    morning, after a 24x7 call with half an hour left). ``count`` keeps the first ones."""
    upcoming = sorted(
        ((row.lead.due_ts, row.id, row) for row in rows if row.group == 1 and row.lead is not None),
        key=lambda item: item[:2],
    )
    if count is not None:
        upcoming = upcoming[:count]
    return [UpcomingBreach(row, due, resumes_at(row, now), row.view.tz) for due, _, row in upcoming]


@dataclass
class WallData:
    """What one poll of the wall brought back."""

    snapshot: Snapshot | None
    figures: dict[str, LevelToday] | None
    msp_name: str
    level_order: list[str]


class WallFeed(BoardFeed):
    """The board's feed, read-only, that also reads today's figures."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, readonly=True)
        self.zone = "Etc/UTC"
        self.msp_name = ""
        self.level_order: list[str] = []

    def _opened(self, store: Store) -> None:
        msp = store.msp()
        levels = sorted(store.levels(), key=lambda level: (-level.price_per_month, level.key))
        self.zone = msp.tz if msp else "Etc/UTC"
        self.msp_name = msp.name if msp else ""
        self.level_order = [level.title for level in levels]

    def read(self, now: datetime, *, force: bool = False, figures: bool = False) -> WallData:
        """A poll plus, when something changed or ``figures`` is asked, today's
        figures. Raises (StoreError, sqlite3 errors, OSError) when the file cannot be
        read; the next call starts afresh."""
        snapshot = self.poll(now, force=force)
        found = None
        if snapshot is not None or figures:
            try:
                found = todays_figures(self._open(), now, self.zone)
            except Exception:
                self.close()
                raise
        return WallData(snapshot, found, self.msp_name, list(self.level_order))
