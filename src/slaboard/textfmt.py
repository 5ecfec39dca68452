"""Plain-text forms of durations and instants, shared by the command line and the
screens (which wrap them in Text, never markup)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


def compact(seconds: int) -> str:
    """``2h14m``, ``45m``, ``-35m``, ``3d4h``: at most two units, rounded down to
    the minute (an overdue ``-35m`` means at least 35 minutes late)."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d{hours}h" if hours else f"{sign}{days}d"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m"
    return f"{sign}{s}s" if s else "0m"


def local(t: datetime | None, tz: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    """An instant in ``tz`` (or its own zone) for people; empty for None."""
    if t is None:
        return ""
    if tz:
        t = t.astimezone(ZoneInfo(tz))
    return t.strftime(fmt)


def money(amount: Decimal | float | None) -> str:
    """``1,290`` or ``89.50`` (no currency sign: each MSP sets its own); ``-`` for none."""
    if amount is None:
        return "-"
    value = Decimal(str(amount))
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_CONTROL_PICTURES[0x7F] = "\u2421"  # ␡
# C1 controls (U+0080-U+009F) can act as escape sequences in some terminals.
_CONTROL_PICTURES.update({code: "\ufffd" for code in range(0x80, 0xA0)})

# Format characters (Unicode category Cf, as of Unicode 14): bidi embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C)
# that make "gpj.exe" read as "exe.jpg", and zero-width characters (U+200B-U+200D,
# U+2060, U+FEFF) that make two names look the same. Listed rather than computed so
# importing this module stays instant; a test checks the list against unicodedata.
FORMAT_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
UNSHOWABLE = "\ufffd"  # the marker that stands in for a character that must not reach the screen as is
_HIDDEN = {code: UNSHOWABLE for low, high in FORMAT_RANGES for code in range(low, high + 1)}
_HIDDEN[0x00AD] = "-"  # a soft hyphen is a hyphen the typist meant; showing it as one is faithful
_UNSAFE = {**_CONTROL_PICTURES, **_HIDDEN}
UNSAFE_CODES = frozenset({*_UNSAFE, 0x2028, 0x2029})  # everything plain() replaces, but the line breaks
_LINE = {**_UNSAFE, ord("\n"): " ", ord("\t"): " ", 0x2028: " ", 0x2029: " "}
_BLOCK = {**_UNSAFE, ord("\n"): "\n", 0x2028: "\n", 0x2029: "\n"}


def plain(text: str | None) -> str:
    """User text safe to put on a terminal line: control characters (an escape
    sequence in a ticket title, a stray NUL) become visible pictures (␛, ␀), and
    bidi overrides and zero-width characters become ``\ufffd``, so what is shown
    is what is stored, in the order it is stored."""
    return text.translate(_LINE) if text else ""


def plain_block(text: str | None) -> str:
    """Like :func:`plain` but keeps line breaks (for descriptions and notes)."""
    return text.translate(_BLOCK) if text else ""


HEADLINE_CHARS = 240  # wider than any terminal line a title is drawn on
EXCERPT_CHARS = 2000
EXCERPT_LINES = 24


def headline(text: str | None, limit: int = HEADLINE_CHARS) -> str:
    """User text for one line, at most ``limit`` characters (cut with ``…``). A title
    can be a megabyte (a mail loop, a pasted log); a line never needs more, and
    measuring or wrapping all of it on every redraw is what keeps a screen busy."""
    if not text:
        return ""
    if len(text) > limit:
        return plain(text[: max(0, limit - 1)]) + "…"
    return plain(text)


def excerpt(text: str | None, chars: int = EXCERPT_CHARS, lines: int = EXCERPT_LINES) -> tuple[str, int]:
    """The start of a block of user text (line breaks kept): at most ``chars``
    characters and ``lines`` lines, and how many characters were left out (0: all of it)."""
    if not text:
        return "", 0
    cut = min(len(text), chars)
    breaks = -1
    for _ in range(lines):
        breaks = text.find("\n", breaks + 1, cut)
        if breaks < 0:
            break
    else:
        cut = breaks
    return plain_block(text[:cut]), len(text) - cut


# What JSON text leaves raw that a terminal may act on: C1 controls, DEL and the
# format characters above (C0 controls are escaped by JSON itself).
_JSON_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(UNSAFE_CODES) if code >= 0x7F) + "]")


def json_terminal_safe(text: str) -> str:
    """JSON text with every character a terminal could act on written as a
    ``\\uXXXX`` escape: the same JSON value, exactly, but safe to print."""
    return _JSON_UNSAFE.sub(lambda match: json.dumps(match.group())[1:-1], text)
