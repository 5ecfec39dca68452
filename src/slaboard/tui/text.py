"""The one place where customer and operator text becomes something to draw.

User text is data, never markup: square brackets stay brackets, and control
characters (an escape sequence in a ticket title, a stray NUL) are shown as the
Unicode control pictures (␛, ␀, ...) instead of reaching the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from slaboard.textfmt import plain, plain_block

__all__ = ["plain", "plain_block", "user_content", "user_text"]


def user_text(text: str | None, style: str = "") -> Text:
    """A Rich Text of user text, for tables."""
    return Text(plain(text), style=style, no_wrap=True, end="")


def user_content(text: str | None) -> Content:
    """A Textual Content of user text, for labels and statics (never parsed)."""
    return Content(plain_block(text))
