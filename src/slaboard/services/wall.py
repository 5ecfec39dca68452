"""What the NOC wall reads: the board's feed opened read-only, plus today's figures
(targets met and missed per service level since midnight in the MSP's zone), the
MSP's name and the order of its levels, read once per file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from slaboard.services.board import BoardFeed, Snapshot
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
