"""Target durations: business time ("45m", "4h", "1h30m") or business days ("3bd")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slaboard.sla.calendar import BusinessCalendar

_PART_RE = re.compile(r"(\d+)\s*(h|m|s)", re.IGNORECASE)
_BD_RE = re.compile(r"^(\d+)\s*bd$", re.IGNORECASE)
_TIME_RE = re.compile(r"^(?:\d+\s*[hms]\s*)+$", re.IGNORECASE)
_EXAMPLES = "'45m', '4h', '1h30m' or '3bd'"
# A target longer than this is a typing mistake, not a promise an MSP makes.
MAX_SECONDS = 366 * 24 * 3600
MAX_BUSINESS_DAYS = 366


class DurationError(ValueError):
    """A target duration that cannot be read."""


@dataclass(frozen=True, slots=True)
class Duration:
    """A target: ``seconds`` of business time, or ``business_days`` (exactly one is set)."""

    seconds: int = 0
    business_days: int = 0

    @property
    def text(self) -> str:
        """The canonical spelling: ``"1h30m"``, ``"45m"``, ``"3bd"``."""
        if self.business_days:
            return f"{self.business_days}bd"
        h, rest = divmod(self.seconds, 3600)
        m, s = divmod(rest, 60)
        parts = [f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s else ""]
        return "".join(parts)

    def describe(self) -> str:
        """Words for people: "4 business hours", "3 business days"."""
        if self.business_days:
            n = self.business_days
            return f"{n} business day{'s' if n != 1 else ''}"
        h, rest = divmod(self.seconds, 3600)
        m, s = divmod(rest, 60)
        words = []
        if h:
            words.append(f"{h} hour{'s' if h != 1 else ''}")
        if m:
            words.append(f"{m} minute{'s' if m != 1 else ''}")
        if s:
            words.append(f"{s} second{'s' if s != 1 else ''}")
        return " ".join(words) + " of business time"

    def business_seconds(self, calendar: BusinessCalendar, start: int) -> int:
        """The budget in business seconds for a clock starting at UTC second ``start``.

        Business days become the business time from ``start`` to the same local time
        of day on the N-th following business date (a date on which a shift starts;
        see :meth:`BusinessCalendar.add_business_days`), so pauses and priority
        changes treat both kinds of target alike.
        """
        if not self.business_days:
            return self.seconds
        return calendar.business_days_budget(start, self.business_days)

    def __str__(self) -> str:
        return self.text


def parse_duration(value: object, field: str = "duration") -> Duration:
    """Read ``"45m"``, ``"4h"``, ``"1h30m"``, ``"90s"`` or ``"3bd"``.

    Raises :class:`DurationError` naming ``field`` and the value.
    """
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise DurationError(f"{field}: {value!r} is not a duration; write it like {_EXAMPLES}")
    text = value.strip()
    bd = _BD_RE.match(text)
    if bd:
        days = int(bd[1])
        if days > MAX_BUSINESS_DAYS:
            raise DurationError(f"{field}: {value!r} is more than {MAX_BUSINESS_DAYS} business days; is it a typing mistake?")
        if days == 0:
            raise DurationError(f"{field}: {value!r} is zero; a target must be longer than nothing")
        return Duration(business_days=days)
    if not text or not _TIME_RE.match(text):
        hint = ""
        if re.match(r"^\d+\s*d$", text, re.IGNORECASE):
            hint = " ('d' is ambiguous: use 'bd' for business days or hours like '24h')"
        raise DurationError(f"{field}: {value!r} is not a duration; write it like {_EXAMPLES}{hint}")
    units = {"h": 3600, "m": 60, "s": 1}
    seen: list[str] = []
    total = 0
    for number, unit in _PART_RE.findall(text):
        unit = unit.lower()
        if seen and (unit in seen or "hms".index(unit) < "hms".index(seen[-1])):
            raise DurationError(
                f"{field}: {value!r} repeats or reorders units; write hours, then minutes, like '1h30m'"
            )
        seen.append(unit)
        total += int(number) * units[unit]
    if total == 0:
        raise DurationError(f"{field}: {value!r} is zero; a target must be longer than nothing")
    if total > MAX_SECONDS:
        raise DurationError(f"{field}: {value!r} is longer than a year of business time; is it a typing mistake?")
    return Duration(seconds=total)
