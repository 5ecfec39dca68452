"""The one place where customer and operator text becomes something to draw.

User text is data, never markup: square brackets stay brackets, and control
characters (an escape sequence in a ticket title, a stray NUL) are shown as the
Unicode control pictures (␛, ␀, ...) instead of reaching the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_CONTROL_PICTURES[0x7F] = "\u2421"  # ␡
# C1 controls (U+0080-U+009F) can act as escape sequences in some terminals.
_CONTROL_PICTURES.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_CONTROL_PICTURES[ord("\n")] = " "
_CONTROL_PICTURES[ord("\t")] = " "


def plain(text: str | None) -> str:
    """``text`` safe to put on a terminal line: no control characters, one line."""
    if not text:
        return ""
    return text.translate(_CONTROL_PICTURES)


def plain_block(text: str | None) -> str:
    """Like :func:`plain` but keeps line breaks (for descriptions and notes)."""
    if not text:
        return ""
    table = dict(_CONTROL_PICTURES)
    table[ord("\n")] = "\n"
    return text.translate(table)


def user_text(text: str | None, style: str = "") -> Text:
    """A Rich Text of user text, for tables."""
    return Text(plain(text), style=style, no_wrap=True, end="")


def user_content(text: str | None) -> Content:
    """A Textual Content of user text, for labels and statics (never parsed)."""
    return Content(plain_block(text))
