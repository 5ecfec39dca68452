"""``slaboard serve``: the wall (or the board) in a web browser, through textual-serve.

textual-serve starts one slaboard process per browser tab (``python -m slaboard wall
--db PATH``), each with its own connection to the database, and streams its screen
to the page. It has no login of its own: whoever reaches the address sees the calls
(and, with the board, can change them). So it listens on loopback unless told
otherwise, and says so, plainly, when it starts.

The page comes from slaboard's own template (``web/app_index.html``): textual-serve's
links its font from fonts.googleapis.com, and a NOC screen may have no internet or
should not tell anyone it was opened. Everything the page loads comes from this
server.
"""

from __future__ import annotations

import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from slaboard.services.tickets import ServiceError

MODES = ("wall", "board")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
WILDCARD = ("0.0.0.0", "::", "")
PAGE_TEMPLATES = Path(__file__).resolve().parent / "web"


def app_command(
    db_path: str | Path,
    mode: str = "wall",
    *,
    python: str = sys.executable,
    options: Sequence[str] = (),
) -> str:
    """The shell command textual-serve runs for each browser tab, every part quoted."""
    args = [python, "-m", "slaboard", mode, "--db", str(Path(db_path).expanduser().resolve()), *options]
    return " ".join(shlex.quote(a) for a in args)


def public_url(host: str, port: int) -> str:
    """The address browsers use (textual-serve writes it into the page for the
    websocket): a wildcard host is replaced by this machine's name."""
    name = socket.getfqdn() if host in WILDCARD else host
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"  # an IPv6 literal
    return f"http://{name}:{port}"


def notice(db_path: str | Path, mode: str, host: str, port: int, url: str) -> str:
    """What ``serve`` prints before it starts: where, and that there is no login."""
    what = "the wall (read-only)" if mode == "wall" else "the board (operators can change calls in it)"
    lines = [
        f"slaboard serve: {what} of {db_path}",
        f"  open {url} in a browser; every tab runs its own slaboard.",
        "  There is NO LOGIN: anyone who can reach this address sees every open call"
        + (" and can change them." if mode == "board" else "."),
        "  Keep it behind an authenticating reverse proxy (single sign-on, or basic auth over HTTPS).",
    ]
    if host in LOOPBACK:
        lines.append(f"  Listening on loopback ({host}) only; give --host to listen on a network interface.")
    else:
        lines.append(f"  LISTENING ON {host or 'every interface'}: reachable from the network, without a login.")
    lines.append("  Ctrl+C stops it.")
    return "\n".join(lines)


def serve(
    db_path: str | Path,
    *,
    mode: str = "wall",
    host: str = "127.0.0.1",
    port: int = 8000,
    public: str | None = None,
    page_seconds: float | None = None,
    theme: str | None = None,
    operator: str | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve the wall (default) or the board of ``db_path`` until Ctrl+C.

    Raises ServiceError (one line for people) for a mode, port or file that cannot
    work, before anything listens."""
    if mode not in MODES:
        raise ServiceError(f"serve: mode must be wall or board, not {mode!r}")
    if not 0 < port < 65536:
        raise ServiceError(f"serve: --port must be 1-65535, not {port}")
    path = Path(db_path).expanduser()
    if not path.is_file():
        raise ServiceError(f"no database at {path}; create one with 'slaboard init' (or try 'slaboard demo')")
    try:
        from textual_serve.server import Server
    except ImportError:  # a dependency; a broken install gets one line, not a traceback
        raise ServiceError("serve needs textual-serve: pip install textual-serve") from None

    options: list[str] = []
    if mode == "wall" and page_seconds is not None:
        options += ["--page-seconds", f"{page_seconds:g}"]
    if theme:
        options += ["--theme", theme]
    if operator and mode == "board":
        options += ["--operator", operator]
    url = public or public_url(host, port)
    server = Server(app_command(path, mode, options=options), host=host, port=port,
                    title=f"slaboard {mode}", public_url=url, templates_path=PAGE_TEMPLATES)
    stream = out or sys.stdout
    stream.write(notice(path, mode, host, port, url) + "\n")
    stream.flush()
    server.serve()
