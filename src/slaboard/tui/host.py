"""What the screens may ask of the app that runs them, typed.

``Host`` is what the board app and the wall app share (the database, the clock,
the settings, whether the clock is live); ``BoardHost`` adds the operator, the
store workers and the ways from one screen to another. The screens declare
``app = getters.app(BoardHost)`` (or ``Host`` for the wall, which runs in both),
so a type checker knows every attribute they use, and a screen mounted in some
other app fails at once instead of at its first key. The screen classes are
imported only inside the methods that open them: the screens import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from textual import work
from textual.app import App
from textual.filter import LineFilter

from slaboard.domain.models import minutes_text
from slaboard.services.access import USER_ERRORS, Store, is_database_url, open_store
from slaboard.services.mailout import MailError, MailSettings, flush, mail_settings
from slaboard.services.tickets import update_ticket
from slaboard.services.timekeeping import TimeEntry, running_timers, start_timer, stop_timer
from slaboard.settings import Settings
from slaboard.tui.terminal import end_with_terminal
from slaboard.tui.text import TerminalGuard
from slaboard.tui.themes import use_theme

T = TypeVar("T")


class Host(App[None]):
    """An app over one database file: the board's or the wall's."""

    #: Seconds between wall pages when the app sets its own (the wall app's
    #: ``--page``); None means the settings file's.
    page_seconds: float | None = None
    #: How long a start-up notice stays on screen.
    NOTICE_SECONDS = 10

    def __init__(
        self,
        db_path: str | Path,
        *,
        clock: Callable[[], datetime],
        settings: Settings | None,
        theme: str,
        default_theme: str,
        live: bool,
        notices: Iterable[str],
    ) -> None:
        super().__init__()
        self._guard = TerminalGuard()
        # A SQLite file's path, or a PostgreSQL URL as given (see slaboard.store.postgres).
        self.db_path: Path | str = db_path if is_database_url(db_path) else Path(db_path)
        self.clock = clock
        self.settings = settings or Settings()
        self.live = live
        self._notices = list(notices)
        notice = use_theme(self, theme, default_theme)
        if notice:
            self._notices.append(notice)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then the guard that keeps terminal controls off the screen."""
        return [*super().get_line_filters(), *([self._guard] if self._guard.enabled else [])]

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=self.NOTICE_SECONDS, markup=False)
        if self.live:
            end_with_terminal(self)


class BoardHost(Host):
    """The operator's app: who is at the keyboard, reads and writes in workers,
    and the screens one screen opens from another."""

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
        settings = settings or Settings()
        super().__init__(db_path, clock=clock, settings=settings, theme=theme or settings.theme,
                         default_theme="slaboard-dark", live=live, notices=notices)
        self.operator = operator
        # Mail that leaves (the [mail] settings with the environment over them).
        try:
            self.mail = mail_settings(settings)
        except MailError as err:  # a bad SLABOARD_SMTP: the board runs, mail does not leave from it
            self.mail = MailSettings()
            self._notices.append(f"{err}; mail is not sent from this board")

    def on_mount(self) -> None:  # Textual runs Host.on_mount too, before this
        if self.live and self.mail.configured and self.mail.flush_interval > 0:
            self.set_interval(self.mail.flush_interval, self.flush_mail, name="mail flush")

    @work(thread=True, group="mail", exclusive=False, exit_on_error=False)
    def flush_mail(self, tell: bool = False, done: Callable[[], None] | None = None) -> None:
        """Send the mail that is due (any board may: a message is claimed by one
        sender only). ``tell``: say what happened (after the operator sent one);
        ``done`` runs on the main thread afterwards."""
        if not self.mail.configured:
            return
        try:
            with open_store(self.db_path) as store:
                report = flush(store, self.mail, self.clock())
        except USER_ERRORS as err:
            if tell:
                self.call_from_thread(self.notify, f"Mail not sent now: {err}", severity="warning", timeout=8,
                                      markup=False)
            return
        except Exception as err:  # a bug: say so rather than end the app
            self.call_from_thread(self.notify, f"unexpected error sending mail: {err!r}", severity="error",
                                  timeout=10, markup=False)
            return
        if tell and report.problem:
            self.call_from_thread(self.notify, f"The mail waits in the outbox: {report.problem}",
                                  severity="warning", timeout=8, markup=False)
        elif tell and report.sent:
            self.call_from_thread(self.notify, f"Mail sent ({report.sent}).", timeout=4, markup=False)
        if done is not None:
            self.call_from_thread(done)

    # ---------------------------------------------------------------- screens

    def open_ticket(self, ticket_id: int) -> None:
        from slaboard.tui.screens.detail import TicketScreen

        self.push_screen(TicketScreen(ticket_id))

    def board_changed(self, select: int | None = None) -> None:
        """After a local write: the board reads the database at once (and puts the
        cursor on ``select``, e.g. a call just logged)."""
        from slaboard.tui.screens.board import BoardScreen

        for screen in self.screen_stack:
            if isinstance(screen, BoardScreen):
                screen.refresh_now(select)

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

    def toggle_timer(self, ticket_id: int, done: Callable[[], None] | None = None) -> None:
        """Start the operator's timer on a call, or stop it when it runs (it is
        stored: it survives a restart of the board, and stopping it logs the time)."""
        now, operator = self.clock(), self.operator

        def toggle(store: Store) -> TimeEntry:
            if any(e.ticket_id == ticket_id for e in running_timers(store, operator)):
                return stop_timer(store, ticket_id, operator, now)
            return start_timer(store, ticket_id, operator, now)

        def said(entry: TimeEntry) -> None:
            if entry.running:
                self.notify(f"⏱ timer started on #{ticket_id}; T again stops it", timeout=4, markup=False)
            else:
                self.notify(f"Logged {minutes_text(entry.minutes or 0)} on #{ticket_id}.", timeout=4, markup=False)
            if done is not None:
                done()

        self.write(toggle, said, select=ticket_id)

    def take_ticket(self, ticket_id: int) -> None:
        """Assign a call to the operator."""
        now = self.clock()
        self.write(
            lambda store: update_ticket(store, ticket_id, operator=self.operator, now=now, assignee=self.operator),
            done=lambda view: self.notify(f"#{ticket_id} is yours", timeout=3, markup=False),
        )
