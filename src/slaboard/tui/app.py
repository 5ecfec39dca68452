"""The Textual app: themes, settings, keymap, the command palette and the screens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter
from textual.screen import Screen

from slaboard.services.access import USER_ERRORS, Store, open_store
from slaboard.services.tickets import update_ticket
from slaboard.settings import Settings
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.help import HelpScreen, binding_rows
from slaboard.tui.screens.wall import WallScreen
from slaboard.tui.terminal import end_with_terminal
from slaboard.tui.text import TerminalGuard
from slaboard.tui.themes import use_theme

T = TypeVar("T")


class SlaboardApp(App[None]):
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

    def __init__(
        self,
        db_path: str | Path,
        *,
        operator: str,
        clock: Callable[[], datetime],
        settings: Settings | None = None,
        theme: str | None = None,
        live: bool = True,
        notices: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self._guard = TerminalGuard()
        self.db_path = Path(db_path)
        self.operator = operator
        self.clock = clock
        self.settings = settings or Settings()
        self.live = live
        self._notices = list(notices)
        notice = use_theme(self, theme or self.settings.theme, "slaboard-dark")
        if notice:
            self._notices.append(notice)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def slaboard_themes(self) -> list[str]:
        return sorted(name for name in self.available_themes if name.startswith("slaboard-"))

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=10, markup=False)
        if self.live:
            end_with_terminal(self)

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then the guard that keeps terminal controls off the screen."""
        return [*super().get_line_filters(), *([self._guard] if self._guard.enabled else [])]

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

    def open_ticket(self, ticket_id: int) -> None:
        self.push_screen(TicketScreen(ticket_id))

    def board_changed(self, select: int | None = None) -> None:
        """After a local write: the board reads the database at once (and puts the
        cursor on ``select``, e.g. a call just logged)."""
        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen):
                screen.refresh_now(select)

    # ---------------------------------------------------------------- data

    def read(self, query: Callable[[Store], T], done: Callable[[T], None], failed: Callable[[str], None] | None = None) -> None:
        """Run ``query`` on its own connection in a thread worker; ``done`` gets the
        result on the main thread. A failure is shown to the operator (or passed to
        ``failed``), never raised into the app."""
        self._run_store(query, done, failed, write=False)

    def write(self, change: Callable[[Store], T], done: Callable[[T], None] | None = None,
              failed: Callable[[str], None] | None = None,
              select: int | Callable[[T], int | None] | None = None) -> None:
        """Like :meth:`read` for a change; the board shows it at once afterwards,
        with the cursor on ``select`` (a ticket number, or a function of the result
        for a call whose number the write gives)."""
        self._run_store(change, done, failed, write=True, select=select)

    @work(thread=True, group="store", exit_on_error=False)
    def _run_store(self, job: Callable[[Store], T], done: Callable[[T], None] | None,
                   failed: Callable[[str], None] | None, write: bool,
                   select: int | Callable[[T], int | None] | None = None) -> None:
        try:
            with open_store(self.db_path) as store:
                result = job(store)
        except USER_ERRORS as err:
            self.call_from_thread(self._job_failed, str(err), failed)
            return
        except Exception as err:  # a bug: say so on screen rather than end the app
            self.call_from_thread(self._job_failed, f"unexpected error: {err!r}", failed)
            return
        self.call_from_thread(self._job_done, result, done, write, select)

    def _job_failed(self, message: str, failed: Callable[[str], None] | None) -> None:
        if failed is not None:
            failed(message)
        else:
            self.notify(message, severity="error", timeout=8, markup=False)

    def _job_done(self, result: T, done: Callable[[T], None] | None, write: bool,
                  select: int | Callable[[T], int | None] | None) -> None:
        if write:
            self.board_changed(select(result) if callable(select) else select)
        if done is not None:
            try:
                done(result)
            except Exception as err:  # a bug in a screen: say so, keep the app running
                self.notify(f"unexpected error: {err!r}", severity="error", timeout=10, markup=False)

    # ---------------------------------------------------------------- actions

    def take_ticket(self, ticket_id: int) -> None:
        """Assign a call to the operator."""
        now = self.clock()
        self.write(
            lambda store: update_ticket(store, ticket_id, operator=self.operator, now=now, assignee=self.operator),
            done=lambda view: self.notify(f"#{ticket_id} is yours", timeout=3, markup=False),
        )

    def diagnose(self, ticket_id: int) -> None:
        from slaboard.tui.screens.diagnosis import DiagnosisScreen

        self.push_screen(DiagnosisScreen(ticket_id))

    def action_new_call(self) -> None:
        from slaboard.tui.screens.newcall import NewCallScreen

        self.push_screen(NewCallScreen())

    def action_triage(self) -> None:
        from slaboard.tui.screens.triage import TriageScreen

        self.push_screen(TriageScreen())

    def action_contracts(self, customer: str | None = None) -> None:
        from slaboard.tui.screens.contracts import ContractScreen

        self.push_screen(ContractScreen(customer))

    def action_report(self, customer: str | None = None) -> None:
        from slaboard.tui.screens.report import ReportScreen

        self.push_screen(ReportScreen(customer))

    def action_comm_log(self, ticket_id: int | None = None, customer: str | None = None) -> None:
        from slaboard.tui.screens.commlog import CommLogScreen

        self.push_screen(CommLogScreen(ticket_id=ticket_id, customer=customer))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.key_rows()))

    def key_rows(self) -> list[tuple[str, str, str, str, str]]:
        return key_rows(self.settings.keymap)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
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


class WallApp(App[None]):
    """``slaboard wall``: only the wall, in the high-contrast theme by default."""

    TITLE = "slaboard wall"
    HELP_GROUP = "wall"
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
        super().__init__()
        self._guard = TerminalGuard()
        self.db_path = Path(db_path)
        self.clock = clock
        self.settings = settings or Settings()
        self.page_seconds = page_seconds or self.settings.wall_page_seconds
        self.live = live
        self._notices = list(notices)
        notice = use_theme(self, theme or self.settings.wall_theme, "slaboard-contrast")
        if notice:
            self._notices.append(notice)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=15, markup=False)
        if self.live:
            end_with_terminal(self)

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then the guard that keeps terminal controls off the screen."""
        return [*super().get_line_filters(), *([self._guard] if self._guard.enabled else [])]

    def wall(self) -> WallScreen:
        screen = self.screen
        assert isinstance(screen, WallScreen)
        return screen


# The order of the help and the README's key table; every other class under
# slaboard.tui with bindings of its own follows (see key_classes), so none is left out.
KEY_ORDER = ("BoardScreen", "SlaTable", "SlaboardApp", "WallScreen", "WallApp", "TicketScreen", "_Dialog",
             "DiagnosisScreen", "NewCallScreen", "CustomerBox", "LevelChoice", "ConfirmDiscard", "TriageScreen",
             "ContractScreen", "CustomerFinder", "CommLogScreen", "ReportScreen", "FiguresTable", "GroupCallsScreen",
             "ExportChooser", "HelpScreen")


def key_classes() -> list[type]:
    """Every class defined under slaboard.tui that declares bindings of its own, in
    KEY_ORDER and then by module."""
    import importlib
    import pkgutil

    import slaboard.tui

    found: list[type] = []
    for info in sorted(pkgutil.walk_packages(slaboard.tui.__path__, "slaboard.tui."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ and "BINDINGS" in vars(value):
                found.append(value)
    rank = {name: n for n, name in enumerate(KEY_ORDER)}
    return sorted(found, key=lambda cls: (rank.get(cls.__name__, len(rank)), cls.__module__, cls.__name__))


def key_rows(keymap: dict[str, str] | None = None) -> list[tuple[str, str, str, str, str]]:
    """Every key of the app with its id, description and tooltip, screen by screen."""
    return binding_rows(key_classes(), keymap)
