"""Times as operators type them, for the command line and every form alike.

- relative to now: ``20m ago``, ``-1h30m``, ``20 ago`` (minutes), ``+4h``,
  ``in 2h30m``, ``in 2 days``;
- a time of day: ``09:45`` (today), ``today 17:00``, ``tomorrow 12:00``,
  ``fri 9:00`` (the next Friday; said on a Friday, next week's);
- ISO-8601: ``2026-06-01T09:30`` or ``2026-06-01 09:30``, with or without an offset.

A time without a zone is read in the customer's zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HINT = "write it like 20m ago, 09:45, tomorrow 12:00, fri 9:00, +4h, in 2 days or 2026-06-01T09:30"
_UNITS = {
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
}
_PART = re.compile(r"(\d+)\s*([a-z]*)")
_PAST = re.compile(r"^(?:-\s*(?P<minus>.+)|(?P<ago>.+?)\s+ago)$")
_FUTURE = re.compile(r"^(?:\+\s*|in\s+)(?P<amount>.+)$")
_CLOCK = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class TimeInputError(ValueError):
    """A time that cannot be read; the message says how to write it."""


def _seconds(amount: str, raw: str, bare_unit: str) -> int:
    parts = _PART.findall(amount)
    if not parts or _PART.sub("", amount).strip(" ,and"):
        raise TimeInputError(f"{raw!r} is not a duration; write it like 4h, 2h30m or 2 days")
    total = 0
    for number, unit in parts:
        unit = unit or bare_unit  # "20 ago" is minutes, as operators say it
        if unit not in _UNITS:
            raise TimeInputError(f"{raw!r}: {unit!r} is not a unit; use d, h or m")
        total += int(number) * _UNITS[unit]
    return total


def _clock(text: str, raw: str) -> time:
    m = _CLOCK.match(text) or re.match(r"^(\d{1,2})()$", text)
    if not m or int(m[1]) > 23 or int(m[2] or 0) > 59:
        raise TimeInputError(f"{raw!r}: {text!r} is not a time of day; write it like 12:00")
    return time(int(m[1]), int(m[2] or 0))


def _weekday(word: str) -> int | None:
    """Monday is 0; "fri", "friday" and "frid" all name Friday."""
    if len(word) < 3:
        return None
    return next((i for i, name in enumerate(_WEEKDAYS) if name.startswith(word)), None)


def _day(word: str, today: date) -> date:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    wanted = _weekday(word) or 0
    return today + timedelta(days=(wanted - today.weekday()) % 7 or 7)


def parse_when(text: str, now: datetime, tz: str, what: str = "time") -> datetime:
    """The instant ``text`` names, relative to ``now`` and read in zone ``tz``.
    Raises TimeInputError (a ValueError) naming ``what`` and how to write it."""
    raw = text.strip()
    if not raw:
        raise TimeInputError(f"{what}: empty; {HINT}")
    try:
        moment = _parse(raw, now, tz)
    except TimeInputError as err:
        raise TimeInputError(f"{what}: {err}") from None
    except (OverflowError, ValueError):
        raise TimeInputError(f"{what}: {raw!r} is out of range; give a time between 1970 and 2200") from None
    if not 1970 <= moment.year <= 2200:
        raise TimeInputError(f"{what}: {raw!r} is out of range; give a time between 1970 and 2200")
    return moment


def parse_optional(text: str, now: datetime, tz: str, what: str = "time") -> datetime | None:
    """Like :func:`parse_when`, but empty text (or ``now``) is None: "not given"."""
    if text.strip().lower() in ("", "now"):
        return None
    return parse_when(text, now, tz, what)


def _parse(raw: str, now: datetime, tz: str) -> datetime:
    lowered = raw.lower()
    zone = ZoneInfo(tz)
    if lowered == "now":
        return now
    if m := _PAST.match(lowered):
        return now - timedelta(seconds=_seconds(m["minus"] or m["ago"], raw, "m"))
    if m := _FUTURE.match(lowered):
        seconds = _seconds(m["amount"], raw, "h")
        if seconds <= 0:
            raise TimeInputError(f"{raw!r}: give a time after now")
        return now + timedelta(seconds=seconds)
    words = lowered.split()
    if words and (words[0] in ("today", "tomorrow") or _weekday(words[0]) is not None) and not words[0][0].isdigit():
        if len(words) != 2:
            raise TimeInputError(f"{raw!r}: give a time too, like '{words[0]} 12:00'")
        return datetime.combine(_day(words[0], now.astimezone(zone).date()), _clock(words[1], raw), zone)
    if _CLOCK.match(lowered):
        return datetime.combine(now.astimezone(zone).date(), _clock(lowered, raw), zone)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise TimeInputError(f"{raw!r} is not a time; {HINT}") from None
    if len(raw) <= 10:  # a date alone: midnight is rarely what was meant
        raise TimeInputError(f"{raw!r}: give a time too, like '{raw} 12:00'")
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
