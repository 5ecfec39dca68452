"""Ending with the terminal: an app started over SSH must not linger as an orphan
on the shared host once its connection is gone."""

from __future__ import annotations

import os
import signal
import sys

from textual.app import App


def _terminal_alive() -> bool:
    stdin = sys.__stdin__
    if stdin is None:
        return False
    try:
        return os.isatty(stdin.fileno()) and os.getppid() != 1
    except (OSError, ValueError, AttributeError):
        return False


def end_with_terminal(app: App) -> None:
    """Exit ``app`` on SIGHUP or when its terminal goes away (checked every 5 s).
    Not for headless runs or the browser, which have no terminal to lose."""
    if app.is_headless or app.is_web:
        return
    try:
        signal.signal(signal.SIGHUP, lambda *_: app.call_later(app.exit))
    except (ValueError, OSError, AttributeError):
        pass  # not the main thread, or no SIGHUP on this platform: the watch still runs

    def check() -> None:
        if not _terminal_alive():
            app.exit()

    app.set_interval(5.0, check, name="terminal-watch")
