"""``slaboard serve``: the wall (or the board) in a web browser, through textual-serve.

textual-serve starts one slaboard process per browser tab (``python -m slaboard wall
--db PATH``), each with its own connection to the database, and streams its screen
to the page. textual-serve has no login of its own: without ``auth`` whoever reaches
the address sees the calls, so it listens on loopback unless told otherwise, says
so plainly when it starts, and serves the board beyond loopback only with a way to
know the operator (below).

What slaboard adds to textual-serve's server (:class:`BoardServer`):

* **Origin check.** A browser sends an ``Origin`` header with every websocket it
  opens. A websocket (or any request) whose Origin is not this server, under a name
  it knows (:func:`known_names`), is refused with 403: a web page the operator
  happens to visit, or one that rebinds its own name to this address, cannot read
  the wall or drive the board. A request without Origin comes from no browser (curl,
  a monitoring probe, a script): it is let through, as it gets no more than anyone
  who can reach the port gets anyway.
* **A cap on sessions.** Every tab is a process (some 55 to 70 MB for the wall); beyond
  ``max_sessions`` a new websocket is closed at once with a reason the page shows.
  A session is released when its tab closes (or its connection drops: the
  websocket's heartbeat notices in 15 s).
* **Addresses browsers can reach.** Without ``--public-url`` the page tells the
  browser to open its websocket, and load its files, at the name the browser used
  to reach the page (when it is one of the names this server knows), not at a
  wildcard's host name the browser may not resolve.
* **One line for a host or port that cannot work**, before anything is printed:
  the listening sockets are bound first (:func:`listen`).

* **Who is at the keyboard** (``auth``). A browser session runs the board as the
  operator it signed in as, so the audit trail, "Mine" and "Take" name that person:

  - ``login``: slaboard's own sign-in page; operators and their argon2 password
    hashes are in the database (``slaboard operator``); a session cookie that is
    HttpOnly, SameSite=Strict, and Secure when the public address is https; a
    lockout after repeated failures. Nothing but the sign-in page is served to a
    browser that has not signed in.
  - ``proxy``: an authenticating reverse proxy names the operator in a header
    (``X-Remote-User`` unless told otherwise); requests from any address but the
    proxy's are refused, so the header is never believed from anywhere else.
  - ``none``: everyone is the serve process's operator. The board is then served
    on loopback only; the wall, read-only, may be served openly.

The page comes from slaboard's own template (``web/app_index.html``): textual-serve's
links its font from fonts.googleapis.com, and a NOC screen may have no internet or
should not tell anyone it was opened. Everything the page loads comes from this
server.
"""

from __future__ import annotations

import asyncio
import errno
import html
import ipaddress
import re
import secrets
import shlex
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from slaboard.services.tickets import ServiceError
from slaboard.settings import is_loopback

if TYPE_CHECKING:
    from aiohttp import web

MODES = ("wall", "board")
AUTH_MODES = ("none", "login", "proxy")
SESSION_COOKIE = "slaboard_session"
SESSION_HOURS = 12
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
WILDCARD = ("0.0.0.0", "::", "")
PAGE_TEMPLATES = Path(__file__).resolve().parent / "web"
DEFAULT_MAX_SESSIONS = 4
MOST_SESSIONS = 64
# RFC 6455 1013 "try again later": the page shows the reason (at most 123 bytes).
SESSIONS_FULL_CODE = 1013


def app_command(
    db_path: str | Path,
    mode: str = "wall",
    *,
    python: str = sys.executable,
    options: Sequence[str] = (),
) -> str:
    """The shell command textual-serve runs for each browser tab, every part quoted.
    ``exec``: the shell becomes slaboard, so a tab is one process, not two, and the
    signal that ends a closed tab reaches slaboard itself."""
    target = db_path if _is_url(db_path) else str(Path(db_path).expanduser().resolve())
    args = [python, "-m", "slaboard", mode, "--db", str(target), *options]
    return "exec " + " ".join(shlex.quote(a) for a in args)


def _is_url(target: object) -> bool:
    """A PostgreSQL URL (passed to each tab as given; it never holds a password)."""
    from slaboard.services.access import is_database_url

    return is_database_url(target)


def _bracketed(name: str) -> str:
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def machine_name() -> str:
    """This machine as others on the network know it: its full name, or (where that
    is only loopback, as on many hosts whose name maps to 127.0.x.1) the address it
    sends from."""
    name = socket.getfqdn()
    if not is_loopback(name) and not all(is_loopback(a) for a in _addresses_of(name) or {"-"}):
        return name
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a documentation address; a UDP connect sends nothing
            return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()


def public_url(host: str, port: int) -> str:
    """The address to tell people (and the default for browsers that give no Host):
    a wildcard host is replaced by this machine's name."""
    name = machine_name() if host in WILDCARD else host
    return f"http://{_bracketed(name)}:{port}"


def checked_public_url(url: str) -> str:
    """``--public-url`` as the page will use it (no trailing slash); ServiceError when
    it is not an http(s) address with a host."""
    try:
        split = urlsplit(url.strip())
        split.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        split = None
    if split is None or split.scheme not in ("http", "https") or not split.hostname or split.query or split.fragment:
        raise ServiceError(f"serve: --public-url must be an http:// or https:// address such as "
                           f"https://wall.example.com, not {url!r}")
    return url.strip().rstrip("/")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _addresses_of(name: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        return set()


def known_names(host: str, public: str | None = None) -> frozenset[str]:
    """The host names and addresses under which browsers may use this server: the
    --public-url's host; loopback's names when listening on loopback or everywhere;
    otherwise the --host itself and this machine's names, with their addresses."""
    names: set[str] = set()
    if public:
        names.add(urlsplit(public).hostname or "")
    if host in WILDCARD or is_loopback(host):
        names |= {"localhost", "127.0.0.1", "::1"}
    if not is_loopback(host):
        machine = {socket.gethostname(), socket.getfqdn(), machine_name()}
        if host not in WILDCARD:
            machine.add(host.strip("[]"))
        for name in machine:
            names |= {name} | _addresses_of(name)
    return frozenset(name.lower() for name in names if name)


def _origin_parts(url: str) -> tuple[str, str, int] | None:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return None
    if split.scheme not in ("http", "https") or not split.hostname:
        return None
    return split.scheme, split.hostname.lower(), port or (443 if split.scheme == "https" else 80)


def allowed_origins(names: Iterable[str], port: int, public: str | None = None) -> frozenset[tuple[str, str, int]]:
    """(scheme, host, port) of every page allowed to open a websocket here."""
    origins = {("http", name, port) for name in names}
    if public and (parts := _origin_parts(public)):
        origins.add(parts)
    return frozenset(origins)


def origin_allowed(origin: str, origins: frozenset[tuple[str, str, int]]) -> bool:
    """Whether a browser's Origin header names one of ``origins`` ("null", from a
    sandboxed frame or a file, never does)."""
    parts = _origin_parts(origin.strip())
    return parts is not None and parts in origins


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound, listening sockets for ``host:port`` (every address a name resolves to);
    ServiceError, one line, for a host that does not resolve or is not this
    machine's, or a port that is taken or needs privileges."""
    where = f"{_bracketed(host) or '*'}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise ServiceError(f"serve: cannot listen on {where}: {host!r} is not a host name or address "
                           "this machine can resolve; give --host 127.0.0.1, 0.0.0.0 or one of its addresses") from None
    sockets: list[socket.socket] = []
    seen: set[Any] = set()
    try:
        for family, kind, proto, _, address in infos:
            if address in seen:
                continue
            seen.add(address)
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            if sys.platform != "win32":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(128)
            sock.setblocking(False)
    except OSError as err:
        for sock in sockets:
            sock.close()
        raise ServiceError(f"serve: cannot listen on {where}: {_why_not(err, port)}") from None
    return sockets


def _why_not(err: OSError, port: int) -> str:
    if err.errno == errno.EADDRINUSE:
        return f"port {port} is in use (another slaboard serve?); stop it or give another --port"
    if err.errno == errno.EADDRNOTAVAIL:
        return "not an address of this machine; give one of its addresses as --host, or 0.0.0.0 for all"
    if err.errno == errno.EACCES:
        return f"not allowed to use port {port} (ports below 1024 need privileges); give --port 8000 or another"
    return err.strerror or str(err)


def trusted_networks(values: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``--trusted-proxy`` values (addresses or networks) as networks; ServiceError,
    one line, for one that is neither."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip().strip("[]"), strict=False))
        except ValueError:
            raise ServiceError(f"serve: --trusted-proxy must be an IP address or network such as 10.0.0.5 or "
                               f"10.0.0.0/24, not {value!r}") from None
    return tuple(out)


def from_trusted(remote: str | None, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """Whether a peer address is one of the trusted proxies (an IPv4 address seen
    as ::ffff:a.b.c.d counts as itself)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == n.version and address in n for n in networks)


def check_auth(mode: str, host: str, auth: str, *, trusted_proxies: Sequence[str] = (),
               trusted_header: str = "X-Remote-User", operator: str | None = None) -> None:
    """ServiceError, one line, for a way of knowing the operator that cannot work:
    the board beyond loopback with nobody known, a proxy mode with no proxy."""
    if auth not in AUTH_MODES:
        raise ServiceError(f"serve: --auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
    if auth == "none" and mode == "board" and not is_loopback(host):
        raise ServiceError(
            f"serve: the board on {host or 'every interface'} must know who is at the keyboard: give --auth login "
            "(operators sign in with their own passwords: slaboard operator add NAME) or --auth proxy "
            "--trusted-proxy ADDRESS (behind an authenticating reverse proxy); only the read-only wall is served "
            "without a login")
    if auth == "proxy" and not trusted_proxies:
        raise ServiceError("serve: --auth proxy needs --trusted-proxy ADDRESS: the proxy's address, the only one "
                           "whose header naming the operator is believed")
    if auth != "proxy" and trusted_proxies:
        raise ServiceError("serve: --trusted-proxy goes with --auth proxy")
    if not HEADER_NAME.match(trusted_header):
        raise ServiceError(f"serve: --trusted-header must be a header name such as X-Remote-User, not {trusted_header!r}")
    if auth != "none" and operator:
        raise ServiceError("serve: --operator goes with --auth none; operators who sign in work under their own names")
    trusted_networks(trusted_proxies)


def login_page(title: str, message: str = "", name: str = "") -> str:
    """slaboard's sign-in page: one form, its own styles, nothing from elsewhere.
    Its referrer policy is same-origin: under "no-referrer" a browser posts the form
    with ``Origin: null``, which the Origin check must refuse."""
    note = f'<p class="note" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Sign in - {html.escape(title)}</title>
<style>
  body {{ background: #0c181f; color: #e0e6ea; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
         display: flex; min-height: 100vh; margin: 0; align-items: center; justify-content: center; }}
  form {{ background: #13242e; padding: 2em 2.5em; border: 1px solid #2b4a5a; min-width: 20em; }}
  h1 {{ font-size: 1.2em; margin: 0 0 1em 0; }}
  label {{ display: block; margin: 0.8em 0 0.2em 0; }}
  input {{ width: 100%; box-sizing: border-box; padding: 0.4em; font: inherit; background: #0c181f;
          color: inherit; border: 1px solid #2b4a5a; }}
  button {{ margin-top: 1.4em; padding: 0.5em 1.5em; font: inherit; background: #2b6e8a; color: #fff; border: 0; }}
  .note {{ color: #ffb4a8; max-width: 24em; }}
</style>
</head>
<body>
<form method="post" action="login">
<h1>{html.escape(title)}</h1>
{note}
<label for="name">Operator</label>
<input id="name" name="name" autocomplete="username" required autofocus value="{html.escape(name, quote=True)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""


@dataclass
class Session:
    operator: str
    expires: float  # time.monotonic()


def notice(db_path: str | Path, mode: str, host: str, port: int, url: str, *,
           max_sessions: int = DEFAULT_MAX_SESSIONS, public: str | None = None,
           names: Iterable[str] = (), auth: str = "none", trusted_proxies: Sequence[str] = (),
           trusted_header: str = "X-Remote-User") -> str:
    """What ``serve`` prints before it starts: where, who may use it (or that there
    is no login), how many tabs, and which names browsers must use."""
    what = "the wall (read-only)" if mode == "wall" else "the board (operators can change calls in it)"
    lines = [
        f"slaboard serve: {what} of {db_path}",
        (f"  open {url} in a browser; every tab runs its own slaboard, at most {max_sessions} at a time"
         " (--max-sessions)."),
    ]
    if auth == "login":
        lines.append("  Operators sign in with their own passwords (slaboard operator add NAME); "
                     "each tab works under the name it signed in with.")
    elif auth == "proxy":
        lines.append(f"  The operator is the {trusted_header} header set by the proxy at {', '.join(trusted_proxies)}; "
                     "requests from anywhere else are refused.")
    else:
        lines += [
            "  There is NO LOGIN: anyone who can reach this address sees every open call"
            + (" and can change them." if mode == "board" else "."),
            "  Keep it behind an authenticating reverse proxy (single sign-on, or basic auth over HTTPS).",
        ]
    if host in LOOPBACK:
        lines.append(f"  Listening on loopback ({host}) only; give --host to listen on a network interface.")
    else:
        lines.append(f"  LISTENING ON {host or 'every interface'}: reachable from the network"
                     + (", without a login." if auth == "none" else "."))
        if not public:
            known = ", ".join(sorted(n for n in names if not is_loopback(n) and not _is_address(n)))
            lines.append(f"  Browsers must reach it by an address of this machine{' or as ' + known if known else ''}."
                         " Known by another name, or through a proxy? Give that address as --public-url;"
                         " pages at other names are refused.")
    lines.append("  Ctrl+C stops it.")
    return "\n".join(lines)


def _server_class() -> type:
    """textual-serve's Server with slaboard's guards (imported late: a dependency
    whose absence is one line, see :func:`serve`)."""
    import aiohttp_jinja2
    from aiohttp import web
    from aiohttp.web_runner import GracefulExit
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    class BoardServer(Server):
        def __init__(self, command_for: Callable[[str | None], str], *, host: str, port: int, title: str,
                     public: str | None, names: frozenset[str], max_sessions: int, out: TextIO,
                     auth: str = "none", db_path: Path | str | None = None, trusted: Sequence[Any] = (),
                     trusted_header: str = "X-Remote-User") -> None:
            super().__init__(command_for(None), host=host, port=port, title=title,
                             public_url=public or public_url(host, port), templates_path=PAGE_TEMPLATES)
            self.command_for = command_for
            self.public = public
            self.names = names
            self.max_sessions = max_sessions
            self.sessions = 0
            self.out = out
            self.auth = auth
            self.db_path = db_path
            self.trusted = tuple(trusted)
            self.trusted_header = trusted_header
            self.signed_in: dict[str, Session] = {}
            self.secure_cookie = bool(public and public.startswith("https:"))

        def say(self, line: str) -> None:
            self.out.write(f"slaboard serve: {line}\n")
            self.out.flush()

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(self.check_origin)
            app.middlewares.append(self.check_who)
            if self.auth == "login":
                app.router.add_get("/login", self.handle_login_page, name="login")
                app.router.add_post("/login", self.handle_login)
                app.router.add_get("/logout", self.handle_logout, name="logout")
            return app

        # ------------------------------------------------------------ who is at the keyboard

        async def in_store(self, work: Callable[[Any], Any]) -> Any:
            """``work(store)`` on a connection of its own, off the event loop (a
            password hash takes tens of milliseconds; the database may be busy)."""
            from slaboard.store import Store

            def run() -> Any:
                assert self.db_path is not None
                with Store.open(self.db_path) as store:
                    return work(store)

            return await asyncio.get_running_loop().run_in_executor(None, run)

        async def still_may_work(self, name: str) -> bool:
            from slaboard.services.operators import may_work

            return await self.in_store(lambda store: may_work(store, name)) is not None

        def session_of(self, request: web.Request) -> tuple[str, Session] | None:
            token = request.cookies.get(SESSION_COOKIE, "")
            session = self.signed_in.get(token)
            if session is None:
                return None
            if session.expires < time.monotonic():
                del self.signed_in[token]
                return None
            return token, session

        @web.middleware
        async def check_who(self, request: web.Request, handler: Any) -> web.StreamResponse:
            """Every request but the sign-in page's must name a known, enabled operator
            (in login and proxy mode); the handler finds it as request["operator"]."""
            if self.auth == "proxy":
                if not from_trusted(request.remote, self.trusted):
                    self.say(f"refused {request.path} from {request.remote}: not the trusted proxy")
                    raise web.HTTPForbidden(text="slaboard serve: requests must come through the sign-on proxy\n")
                name = request.headers.get(self.trusted_header, "").strip()
                if not name:
                    raise web.HTTPUnauthorized(text=f"slaboard serve: the proxy did not name the operator "
                                                    f"({self.trusted_header})\n")
                if not await self.still_may_work(name):
                    self.say(f"refused {request.path} for {name[:64]!r}: not an enabled operator")
                    raise web.HTTPForbidden(text=f"slaboard serve: {name[:64]} is not an operator of this board "
                                                 "(or is disabled); 'slaboard operator add' adds one\n")
                request["operator"] = name
            elif self.auth == "login":
                if request.path in ("/login", "/logout"):
                    return await handler(request)
                found = self.session_of(request)
                if found is not None and not await self.still_may_work(found[1].operator):
                    self.signed_in.pop(found[0], None)  # disabled since signing in
                    found = None
                if found is None:
                    if request.method == "GET" and request.path == "/":
                        raise web.HTTPSeeOther(location="login")
                    raise web.HTTPUnauthorized(text="slaboard serve: sign in first (the page at /login)\n")
                request["operator"] = found[1].operator
            return await handler(request)

        async def handle_login_page(self, request: web.Request) -> web.Response:
            if self.session_of(request) is not None:
                raise web.HTTPSeeOther(location="./")
            return self.page(login_page(self.title))

        def page(self, body: str, status: int = 200) -> web.Response:
            response = web.Response(text=body, status=status, content_type="text/html")
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                           "form-action 'self'; frame-ancestors 'none'")
            return response

        async def handle_login(self, request: web.Request) -> web.Response:
            from slaboard import config
            from slaboard.services.operators import LONGEST_PASSWORD, LoginRefused, authenticate

            form = await request.post()
            name = str(form.get("name", ""))[:200]
            password = str(form.get("password", ""))[:LONGEST_PASSWORD + 1]
            try:
                who = await self.in_store(lambda store: authenticate(store, name, password, config.now()))
            except LoginRefused as err:
                self.say(f"refused a sign-in as {name.strip()[:64]!r} from {request.remote}: {err}")
                return self.page(login_page(self.title, str(err), name.strip()), status=401)
            token = secrets.token_urlsafe(32)
            self.signed_in[token] = Session(who.name, time.monotonic() + SESSION_HOURS * 3600)
            self.say(f"{who.name} signed in from {request.remote}")
            response = web.HTTPSeeOther(location="./")
            response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                                samesite="Strict", secure=self.secure_cookie)
            raise response

        async def handle_logout(self, request: web.Request) -> web.Response:
            found = self.session_of(request)
            if found is not None:
                self.signed_in.pop(found[0], None)
                self.say(f"{found[1].operator} signed out")
            response = self.page(login_page(self.title, "You are signed out."))
            response.del_cookie(SESSION_COOKIE, path="/")
            return response

        def names_for(self, request: web.Request) -> frozenset[str]:
            """The known names, and the address this connection reached (an address
            cannot be rebound by another site's DNS, and a wildcard listens on
            interfaces the machine's names may not resolve to)."""
            local = request.transport.get_extra_info("sockname") if request.transport else None
            return self.names | {str(local[0]).lower()} if local else self.names

        @web.middleware
        async def check_origin(self, request: web.Request, handler: Any) -> web.StreamResponse:
            origin = request.headers.get("Origin")
            if origin is not None and not origin_allowed(origin, allowed_origins(self.names_for(request), self.port,
                                                                                   self.public)):
                self.say(f"refused {request.path} for a page at {origin[:200]!r}: not this server")
                raise web.HTTPForbidden(text=f"slaboard serve: pages at {origin[:200]} may not use this server\n")
            return await handler(request)

        def page_base(self, request: web.Request) -> str | None:
            """The address the page's websocket and files use: --public-url, else
            the one the browser used (None when it is no name this server knows)."""
            if self.public:
                return self.public
            given = request.headers.get("Host")
            if given is None:
                return self.public_url
            parts = _origin_parts(f"http://{given}")
            if parts is None or parts[1] not in self.names_for(request):
                return None
            _, name, port = parts
            return f"http://{_bracketed(name)}" + ("" if port == 80 else f":{port}")

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any] | web.Response:
            base = self.page_base(request)
            if base is None:
                name = request.headers.get("Host", "")[:200]
                self.say(f"refused the page for {name!r}: not a name of this server (give it as --public-url)")
                return web.Response(status=403, text=f"slaboard serve does not know itself as {name}; start it "
                                    f"with --public-url http://{name} to be used at that address\n")
            websocket = base + str(request.app.router["websocket"].url_for())
            scheme = "wss:" if websocket.startswith("https:") else "ws:"
            font_size = request.query.get("fontsize", "16")
            return {
                "font_size": int(font_size) if font_size.isdigit() and 4 <= int(font_size) <= 96 else 16,
                "app_websocket_url": scheme + websocket.split(":", 1)[1],
                "config": {"static": {"url": base + "/static/"}},
                "application": {"name": self.title},
            }

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            if self.sessions >= self.max_sessions:  # no await between the check and the count
                self.say(f"refused a tab: {self.sessions} of {self.max_sessions} sessions open (--max-sessions)")
                websocket = web.WebSocketResponse()
                await websocket.prepare(request)
                tabs = f"{self.sessions} tab" + ("" if self.sessions == 1 else "s")
                reason = f"This server already shows {tabs}, as many as it allows. Close one, then Restart."
                await websocket.close(code=SESSIONS_FULL_CODE, message=reason.encode("utf-8")[:123])
                return websocket
            self.sessions += 1
            who = request.get("operator")
            self.say(f"a tab opened{' for ' + who if who else ''}: {self.sessions} of {self.max_sessions} sessions")
            try:
                return await self.run_tab(request, self.command_for(who))
            finally:
                self.sessions -= 1
                self.say(f"a tab closed: {self.sessions} of {self.max_sessions} sessions")

        async def run_tab(self, request: web.Request, command: str) -> web.WebSocketResponse:
            """textual-serve's handle_websocket, with this tab's own command (the
            operator it signed in as)."""
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            app_service: AppService | None = None
            try:
                await websocket.prepare(request)
                app_service = AppService(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                         close=websocket.close,  # type: ignore[arg-type]  # as textual-serve passes it
                                         download_manager=self.download_manager,
                                         debug=self.debug)
                await app_service.start(width, height)
                try:
                    await self._process_messages(websocket, app_service)
                finally:
                    await app_service.stop()
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # textual-serve's own handler logs and goes on the same way
                self.say(f"a tab failed: {error}")
            finally:
                if app_service is not None:
                    await app_service.stop()
            return websocket

        async def on_startup(self, app: web.Application) -> None:
            """slaboard prints its own notice (textual-serve's names the wildcard host)."""

        def serve_on(self, sockets: list[socket.socket]) -> None:
            """Serve on sockets already bound (see :func:`listen`) until Ctrl+C or SIGTERM."""
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)

            def stop() -> None:
                raise GracefulExit()

            for signum in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(signum, stop)
                except (NotImplementedError, RuntimeError):  # Windows
                    pass
            web.run_app(self._make_app(), sock=sockets, handle_signals=False, loop=loop, print=lambda *_: None)

    return BoardServer


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
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    out: TextIO | None = None,
    auth: str = "none",
    trusted_proxies: Sequence[str] = (),
    trusted_header: str = "X-Remote-User",
) -> None:
    """Serve the wall (default) or the board of ``db_path`` until Ctrl+C.

    Raises ServiceError (one line for people) for a mode, port, host, address or
    file that cannot work, before anything is printed."""
    if mode not in MODES:
        raise ServiceError(f"serve: mode must be wall or board, not {mode!r}")
    if not 0 < port < 65536:
        raise ServiceError(f"serve: --port must be 1-65535, not {port}")
    if not 1 <= max_sessions <= MOST_SESSIONS:
        raise ServiceError(f"serve: --max-sessions must be 1-{MOST_SESSIONS}, not {max_sessions}")
    public = checked_public_url(public) if public is not None else None
    check_auth(mode, host, auth, trusted_proxies=trusted_proxies, trusted_header=trusted_header, operator=operator)
    path: Path | str = db_path if _is_url(db_path) else Path(db_path).expanduser()
    if isinstance(path, Path) and not path.is_file():
        raise ServiceError(f"no database at {path}; create one with 'slaboard init' (or try 'slaboard demo')")
    if auth == "login":
        from slaboard.store import Store

        with Store.open(path) as store:  # an older file is upgraded here, once, not by each sign-in
            able = [o for o in store.operators() if o.has_password and o.disabled_at is None]
        if not able:
            raise ServiceError("serve: --auth login, but no operator can sign in yet; "
                               "add one with 'slaboard operator add NAME'")
    try:
        server_class = _server_class()
    except ImportError:  # a dependency; a broken install gets one line, not a traceback
        raise ServiceError("serve needs textual-serve: pip install textual-serve") from None

    options: list[str] = []
    if mode == "wall" and page_seconds is not None:
        options += ["--page-seconds", f"{page_seconds:g}"]
    if theme:
        options += ["--theme", theme]
    if operator and mode == "board":
        options += ["--operator", operator]
    def command_for(who: str | None) -> str:
        return app_command(path, mode, options=[*options, "--operator", who] if who else options)

    sockets = listen(host, port)
    names = known_names(host, public)
    stream = out or sys.stdout
    server = server_class(command_for, host=host, port=port, title=f"slaboard {mode}",
                          public=public, names=names, max_sessions=max_sessions, out=stream, auth=auth,
                          db_path=path, trusted=trusted_networks(trusted_proxies), trusted_header=trusted_header)
    stream.write(notice(path, mode, host, port, public or public_url(host, port), max_sessions=max_sessions,
                        public=public, names=names, auth=auth, trusted_proxies=trusted_proxies,
                        trusted_header=trusted_header) + "\n")
    stream.flush()
    server.serve_on(sockets)
