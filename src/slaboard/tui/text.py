"""The one place where customer and operator text becomes something to draw.

User text is data, never markup: square brackets stay brackets, and control
characters (an escape sequence in a ticket title, a stray NUL) are shown as the
Unicode control pictures (␛, ␀, ...) instead of reaching the terminal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.filter import LineFilter

from slaboard.textfmt import UNSAFE_CODES, UNSHOWABLE, excerpt, headline, money, plain, plain_block

__all__ = ["TerminalGuard", "excerpt", "headline", "plain", "plain_block", "user_content", "user_text"]


def user_text(text: str | None, style: str = "") -> Text:
    """A Rich Text of user text, for tables."""
    return Text(plain(text), style=style, no_wrap=True, end="")


def user_content(text: str | None) -> Content:
    """A Textual Content of user text, for labels and statics (never parsed)."""
    return Content(plain_block(text))


def hourly(rate: Decimal | float | None) -> str:
    """The hourly rate of billable work: the contract's, or the default rate."""
    return "the default rate" if rate is None else f"{money(rate)}/h"


def here(moment: datetime, fmt: str = "%a %d %b %H:%M %Z") -> str:
    """An instant in the operator's own zone (the process's, as the board's clock)."""
    return moment.astimezone().strftime(fmt)


def due_text(due: datetime, now: datetime) -> str:
    """A deadline in the operator's zone, short when it is today: ``14:30 CET``,
    ``Mon 30 Nov 10:30 CET``."""
    same_day = due.astimezone().date() == now.astimezone().date()
    return here(due, "%H:%M %Z" if same_day else "%a %d %b %H:%M %Z")


# Rich gives these characters no width, so the layout left them no cell: the guard
# drops them (a stand-in would push the line one cell wider). The few with a width
# become the stand-in.
_GUARD = {code: (UNSHOWABLE if cell_len(chr(code)) else None) for code in UNSAFE_CODES}


class TerminalGuard(LineFilter):
    """The last line of defence, on every line the app draws: no character that a
    terminal acts on (ESC, BEL, C1, bidi and zero-width controls) leaves the app as
    text, whichever widget drew it. User text is already shown through plain() with
    visible stand-ins; this catches what is not, such as an edited field's value,
    without moving a cell (the text of the field stays exactly as typed)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.control or segment.text.isprintable() for segment in segments):
            return segments  # the common case, checked in C
        out = []
        for segment in segments:
            if segment.control or segment.text.isprintable():
                out.append(segment)
                continue
            text = segment.text.translate(_GUARD)
            if text:
                out.append(Segment(text, segment.style, segment.control))
        return out
