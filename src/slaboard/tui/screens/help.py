"""Help generated from the bindings themselves, so it cannot drift from the keys."""

from __future__ import annotations

from typing import NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static


class KeyRow(NamedTuple):
    """One key of the app as the help and the README's key table show it."""

    keys: str
    id: str
    description: str
    tooltip: str
    where: str


def binding_rows(classes: list[type[DOMNode]], keymap: dict[str, str] | None = None) -> list[KeyRow]:
    """(keys, id, description, tooltip, where) of every binding with an id, in order,
    with the keys a keymap gives them; ``where`` is the class's HELP_GROUP."""
    rows: list[KeyRow] = []
    seen: set[str] = set()
    for cls in classes:
        where = getattr(cls, "HELP_GROUP", cls.__name__)
        for item in cls.BINDINGS:
            if not isinstance(item, Binding) or not item.id or item.id in seen:
                continue
            seen.add(item.id)
            remapped = (keymap or {}).get(item.id)
            keys = remapped or item.key
            shown = (item.key_display if not remapped else None) or ", ".join(display_key(k) for k in keys.split(","))
            rows.append(KeyRow(shown, item.id, item.description, item.tooltip or "", where))
    return rows


def display_key(key: str) -> str:
    names = {"slash": "/", "question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
             "escape": "esc", "pagedown": "pgdn", "pageup": "pgup"}
    return names.get(key.strip(), key.strip())


class HelpScreen(ModalScreen[None]):
    """Every key, grouped by where it works."""

    HELP_GROUP = "help"

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close", id="help.close", tooltip="Close the help")]

    def __init__(self, rows: list[KeyRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = [
            Content.styled("Keys", "bold $primary"),
            Content.styled("Remap any key by its id in settings.toml, e.g. [keymap] \"board.filter\" = \"ctrl+f\"", "dim"),
            Content(""),
        ]
        group = None
        for keys, binding_id, description, tooltip, where in collapse_views(self.rows):
            if where != group:
                group = where
                lines.append(Content(""))
                lines.append(Content.styled(where, "bold underline"))
            lines.append(Content.assemble((f"{keys:<10}", "bold"), (f"{description:<15}", "$primary"), tooltip))
            lines.append(Content.styled(f"{'':<25}{binding_id}", "dim"))
        with VerticalScroll():
            yield Static(Content("\n").join(lines))


def collapse_views(rows: list[KeyRow]) -> list[KeyRow]:
    """The nine "view N" keys as one line."""
    views = [r for r in rows if r[1].startswith("board.view_")]
    if len(views) < 2:
        return rows
    out = [r for r in rows if not r[1].startswith("board.view_")]
    at = rows.index(views[0])
    out.insert(at, KeyRow(f"{views[0][0]}-{views[-1][0]}", f"{views[0][1]} .. {views[-1][1]}", "View N",
                    "Jump to the N-th view tab", views[0][4]))
    return out


def markdown_key_table(rows: list[KeyRow]) -> str:
    """The README's key table, generated from the bindings."""
    lines = ["| where | key | what it does | binding id |", "|---|---|---|---|"]
    for keys, binding_id, description, tooltip, where in collapse_views(rows):
        shown = keys.replace("|", "\\|")
        what = f"{description}: {tooltip}" if tooltip else description
        lines.append(f"| {where} | `{shown}` | {what} | `{binding_id}` |")
    return "\n".join(lines)
