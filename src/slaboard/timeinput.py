"""Times as operators type them: ``2026-06-01T09:30``, ``09:30``, ``tomorrow 12:00``,
``20m ago``, ``-20m``, ``+4h``, ``in 2h``. A time without a zone is read in the
customer's zone. Used by the command line and the forms alike."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slaboard.sla import DurationError, parse_duration

_AMOUNT = r"(?P<amount>\d+\s*[hms](?:\s*\d+\s*[hms])*)"
_PAST = re.compile(rf"^(?:-\s*{_AMOUNT}|{_AMOUNT.replace('amount', 'amount2')}\s+ago)$", re.IGNORECASE)
_FUTURE = re.compile(rf"^(?:\+\s*|in\s+){_AMOUNT}$", re.IGNORECASE)
_CLOCK = re.compile(r"^(?:(?P<day>today|tomorrow)\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})$", re.IGNORECASE)
HINT = "use 2026-06-01T09:30, 09:30, tomorrow 12:00, 20m ago, -20m, +4h or in 2h"


class TimeInputError(ValueError):
    """A time that cannot be read; the message says how to write it."""


def is_relative(text: str) -> bool:
    return bool(_PAST.match(text.strip()) or _FUTURE.match(text.strip()))


def _seconds(amount: str, what: str) -> int:
    try:
        return parse_duration(amount.replace(" ", ""), what).seconds
    except DurationError as err:
        raise TimeInputError(str(err)) from None


def parse_when(text: str, now: datetime, tz: str, what: str = "time") -> datetime:
    """The instant ``text`` names, relative to ``now`` and read in zone ``tz``."""
    value = text.strip()
    if not value:
        raise TimeInputError(f"{what}: empty; {HINT}")
    if m := _PAST.match(value):
        return now - timedelta(seconds=_seconds(m["amount"] or m["amount2"], what))
    if m := _FUTURE.match(value):
        return now + timedelta(seconds=_seconds(m["amount"], what))
    zone = ZoneInfo(tz)
    if m := _CLOCK.match(value):
        hour, minute = int(m["h"]), int(m["m"])
        if hour > 23 or minute > 59:
            raise TimeInputError(f"{what}: {value!r} is not a time of day")
        day = now.astimezone(zone).date()
        if (m["day"] or "").lower() == "tomorrow":
            day += timedelta(days=1)
        return datetime.combine(day, time(hour, minute), zone)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TimeInputError(f"{what}: {value!r} is not a time; {HINT}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
