"""The one place where customer and operator text becomes something to draw.

User text is data, never markup: square brackets stay brackets, and control
characters (an escape sequence in a ticket title, a stray NUL) are shown as the
Unicode control pictures (␛, ␀, ...) instead of reaching the terminal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rich.text import Text
from textual.content import Content

from slaboard.textfmt import excerpt, headline, money, plain, plain_block

__all__ = ["excerpt", "headline", "plain", "plain_block", "user_content", "user_text"]


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
