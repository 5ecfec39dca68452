"""The whole title and description of one call, however long, in a scrolling view.

The detail screen shows the start of each; this screen draws only the lines in
view (Textual's ``Log``), so a megabyte of pasted log scrolls as easily as a line."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

from slaboard.textfmt import plain, plain_block


def wrapped(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters, its own line breaks kept."""
    width = max(1, width)
    out: list[str] = []
    for line in text.split("\n"):
        if not line:
            out.append("")
            continue
        out.extend(line[i : i + width] for i in range(0, len(line), width))
    return out


class FullTextScreen(Screen[None]):
    """A call's title and description, whole, read-only."""

    HELP_GROUP = "full text"
    DEFAULT_CSS = """
    FullTextScreen #full-heading { background: $panel; text-style: bold; padding: 0 1; }
    FullTextScreen #full-text { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,f", "app.pop_screen", "Back", id="fulltext.back", tooltip="Back to the call"),
    ]

    def __init__(self, ticket_id: int, title: str, description: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.title_text = title
        self.description = description
        self._width = 0

    def compose(self) -> ComposeResult:
        chars = len(self.title_text) + len(self.description)
        yield Static(Content(f"#{self.ticket_id} · title and description, {chars:,} characters · esc back"),
                     id="full-heading")
        yield Log(id="full-text", highlight=False, auto_scroll=False)
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self._fill()

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        log = self.query_one(Log)
        width = log.scrollable_content_region.width or self.size.width - 2
        if width <= 0 or width == self._width:
            return
        self._width = width
        lines = ["TITLE", *wrapped(plain(self.title_text), width), "", "DESCRIPTION"]
        lines += wrapped(plain_block(self.description), width) if self.description else ["(none)"]
        log.clear()
        log.write_lines(lines)
        log.scroll_home(animate=False)

    def shown_lines(self) -> list[str]:
        """Every line the view holds (for tests)."""
        return list(self.query_one(Log).lines)
