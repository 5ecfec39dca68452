"""The Textual app: themes, settings, keymap, the command palette and the screens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from textual.app import SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from slaboard.settings import Settings
from slaboard.tui.host import BoardHost, Host
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.help import HelpScreen, KeyRow, binding_rows
from slaboard.tui.screens.wall import WallScreen


class SlaboardApp(BoardHost):
    """The board and its screens on one database file."""

    HELP_GROUP = "everywhere"

    TITLE = "slaboard"
    MODES = {"board": BoardScreen, "wall": WallScreen}
    DEFAULT_MODE = "board"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key, from the bindings themselves"),
        Binding("w", "toggle_wall", "Wall", id="app.wall",
                tooltip="From the board: the NOC wall of the same calls; w again comes back"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave slaboard"),
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit_ctrl_c", system=True, tooltip="Leave slaboard"),
    ]

    def slaboard_themes(self) -> list[str]:
        return sorted(name for name in self.available_themes if name.startswith("slaboard-"))

    # ---------------------------------------------------------------- screens

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_wall":  # only between the board and the wall (hidden elsewhere)
            return isinstance(self.screen, (BoardScreen, WallScreen))
        return True

    def action_toggle_wall(self) -> None:
        """The board's key to the wall view and back (only from those two screens)."""
        if isinstance(self.screen, WallScreen):
            self.switch_mode("board")
        elif isinstance(self.screen, BoardScreen):
            self.switch_mode("wall")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.key_rows()))

    def key_rows(self) -> list[KeyRow]:
        return key_rows(self.settings.keymap)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, BoardScreen):
            yield SystemCommand("Filter calls", "Show only calls whose row contains some text (/)", screen.action_filter)
            yield SystemCommand("Refresh", "Read the database now (r)", screen.action_refresh)
            yield SystemCommand("Cycle sort", "Time to breach, priority, age, customer, newest (s)", screen.action_cycle_sort)
            yield SystemCommand("Next view", "All, Mine, Unassigned, Breached, levels (])", screen.action_next_view)
            yield SystemCommand("New call", "Log a call that just came in (n)", self.action_new_call)
            yield SystemCommand("Triage", "Step through new, unassigned calls (t)", self.action_triage)
            yield SystemCommand("Contract lookup", "What a customer's contract covers and costs (c)", self.action_contracts)
            yield SystemCommand("SLA report", "Figures for a period, the calls behind them, export (R)", self.action_report)
        yield SystemCommand("Help: keys", "Every key and what it does (?)", self.action_help)


class WallApp(Host):
    """``slaboard wall``: only the wall, in the high-contrast theme by default."""

    TITLE = "slaboard wall"
    HELP_GROUP = "wall"
    NOTICE_SECONDS = 15
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    MODES = {"wall": WallScreen}
    DEFAULT_MODE = "wall"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="wall.quit", tooltip="Leave the wall"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, system=True, id="wall.quit_ctrl_c",
                tooltip="Leave the wall"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        *,
        clock: Callable[[], datetime],
        settings: Settings | None = None,
        theme: str | None = None,
        page_seconds: float | None = None,
        live: bool = True,
        notices: Iterable[str] = (),
    ) -> None:
        settings = settings or Settings()
        super().__init__(db_path, clock=clock, settings=settings, theme=theme or settings.wall_theme,
                         default_theme="slaboard-contrast", live=live, notices=notices)
        self.page_seconds = page_seconds or self.settings.wall_page_seconds

    def wall(self) -> WallScreen:
        screen = self.screen
        assert isinstance(screen, WallScreen)
        return screen


# The order of the help and the README's key table; every other class under
# slaboard.tui with bindings of its own follows (see key_classes), so none is left out.
KEY_ORDER = ("BoardScreen", "SlaTable", "SlaboardApp", "WallScreen", "WallApp", "TicketScreen", "FullTextScreen", "_Dialog",
             "DiagnosisScreen", "NewCallScreen", "CustomerBox", "LevelChoice", "ConfirmDiscard", "TriageScreen",
             "ContractScreen", "CustomerFinder", "CommLogScreen", "ReportScreen", "FiguresTable", "GroupCallsScreen",
             "ExportChooser", "HelpScreen")


def key_classes() -> list[type[DOMNode]]:
    """Every class defined under slaboard.tui that declares bindings of its own, in
    KEY_ORDER and then by module."""
    import importlib
    import pkgutil

    import slaboard.tui

    found: list[type[DOMNode]] = []
    for info in sorted(pkgutil.walk_packages(slaboard.tui.__path__, "slaboard.tui."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DOMNode) and value.__module__ == module.__name__ and "BINDINGS" in vars(value):
                found.append(value)
    rank = {name: n for n, name in enumerate(KEY_ORDER)}
    return sorted(found, key=lambda cls: (rank.get(cls.__name__, len(rank)), cls.__module__, cls.__name__))


def key_rows(keymap: dict[str, str] | None = None) -> list[KeyRow]:
    """Every key of the app with its id, description and tooltip, screen by screen."""
    return binding_rows(key_classes(), keymap)
