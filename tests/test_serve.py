"""``slaboard serve``: the command textual-serve runs, what it says on start, and a
real server on a free loopback port whose page is fetched (and, through its
websocket, the wall itself), with everything that page loads. textual-serve is a
dependency: without it these fail."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest

from slaboard.serve import (
    PAGE_TEMPLATES,
    allowed_origins,
    app_command,
    checked_public_url,
    known_names,
    listen,
    notice,
    origin_allowed,
    public_url,
    serve,
)
from slaboard.services.demo import build_demo
from slaboard.services.tickets import ServiceError

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
STARTUP_TIMEOUT = 20.0
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
ANY_ADDRESS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", re.I)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode} before listening:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f}s")


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "noc demo's.db"  # a space and a quote: the command must quote
    build_demo(path, NOW, history=0, seed=7)
    return path


@contextmanager
def running_server(demo_path: Path, folder: Path, host: str = "127.0.0.1",
                   **options: object) -> Iterator[tuple[int, Path]]:
    """``serve(demo, **options)`` in its own process on a free port (its output in a
    file); always stopped."""
    port = free_port()
    log = folder / "serve.log"
    env = {**os.environ, "SLABOARD_SETTINGS": str(folder / "none.toml"),
           "SLABOARD_NOW": NOW.isoformat(), "TEXTUAL_ANIMATIONS": "none"}
    code = f"from slaboard.serve import serve; serve({str(demo_path)!r}, host={host!r}, port={port}, **{options!r})"
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
    try:
        wait_for_port(port, proc, log)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def server(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """``serve(demo)`` with its defaults on a free loopback port."""
    with running_server(demo_path, tmp_path_factory.mktemp("server")) as running:
        yield running


class PageParts(HTMLParser):
    """What a page makes a browser load: src/href attributes, url() and @import in
    its <style> and style="", and which links are stylesheets; every id, class and
    data- attribute (the hooks textual.js looks for)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.addresses: list[str] = []
        self.stylesheets: list[str] = []
        self.hooks: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in ("src", "href", "action", "formaction", "poster", "srcset"):
                self.addresses.append(value)
            if name == "style":
                self.addresses += css_addresses(value)
            if name.startswith("data-"):
                self.hooks.add(f"[{name}]")
        if tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.stylesheets.append(values["href"])
        if "id" in values:
            self.hooks.add(f"#{values['id']}")
        self.hooks.update(f".{name}" for name in values.get("class", "").split())
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.addresses += css_addresses(data)


def css_addresses(css: str) -> list[str]:
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(CSS_COMMENT.sub("", css))]


def parse_page(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    parts.close()
    return parts


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get_content_type(), response.read()


# --------------------------------------------------------------------- without a server


def test_textual_serve_is_installed() -> None:
    from textual_serve.server import Server  # a dependency, never skipped

    assert Server


def test_the_app_command_is_quoted_and_runs_this_python(tmp_path: Path) -> None:
    path = tmp_path / "it's a $HOME; rm -rf x.db"
    command = app_command(path, "wall", python="/opt/py 3/bin/python", options=["--page-seconds", "15"])
    assert shlex.split(command) == ["exec", "/opt/py 3/bin/python", "-m", "slaboard", "wall", "--db", str(path.resolve()),
                                    "--page-seconds", "15"]
    assert shlex.split(app_command(path, "board"))[:5] == ["exec", sys.executable, "-m", "slaboard", "board"]


def tab_processes(db_path: Path) -> list[list[str]]:
    """The command lines of every process running a tab's slaboard on ``db_path``
    (a shell that starts one included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if str(db_path.resolve()) in " ".join(argv) and not any("slaboard.serve" in a for a in argv):
            found.append(argv)
    return found


def test_notice_says_there_is_no_login_and_where_it_listens() -> None:
    text = notice("/x/noc.db", "wall", "127.0.0.1", 8000, "http://127.0.0.1:8000")
    assert "NO LOGIN" in text and "authenticating reverse proxy" in text
    assert "loopback (127.0.0.1) only" in text and "--host" in text and "read-only" in text
    wide = notice("/x/noc.db", "board", "0.0.0.0", 8000, "http://noc:8000")
    assert "LISTENING ON 0.0.0.0" in wide and "can change them" in wide


def test_public_url_names_this_machine_for_a_wildcard_host() -> None:
    assert public_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert public_url("::1", 8123) == "http://[::1]:8123"
    assert public_url("0.0.0.0", 80).startswith("http://") and "0.0.0.0" not in public_url("0.0.0.0", 80)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "kiosk"}, "mode must be wall or board"),
    ({"port": 0}, "--port must be"),
    ({"db": "missing.db"}, "no database at"),
])
def test_serve_refuses_what_cannot_work_before_listening(demo_path: Path, tmp_path: Path, kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    db = tmp_path / kwargs.pop("db") if "db" in kwargs else demo_path
    out = io.StringIO()
    with pytest.raises(ServiceError, match=message):
        serve(db, out=out, **kwargs)
    assert out.getvalue() == ""


def test_our_page_keeps_every_hook_of_textual_serves_own() -> None:
    """slaboard's page is a copy of textual-serve's with the outside links taken out;
    when textual-serve is upgraded, the copy must still carry every id, class, data-
    attribute and template value its textual.js and server rely on."""
    import textual_serve

    theirs = (Path(textual_serve.__file__).parent / "templates" / "app_index.html").read_text(encoding="utf-8")
    ours = (PAGE_TEMPLATES / "app_index.html").read_text(encoding="utf-8")
    values = re.compile(r"{{\s*(.*?)\s*}}")
    assert set(values.findall(theirs)) <= set(values.findall(ours))
    assert parse_page(theirs).hooks <= parse_page(ours).hooks


# --------------------------------------------------------------------- a real server


def test_the_server_serves_the_textual_serve_page(server: tuple[int, Path]) -> None:
    port, _ = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/html"
        html = response.read().decode("utf-8")
    assert "<div>slaboard wall</div>" in html, "textual-serve's page, titled with the mode"
    assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html, "it connects back to this server"
    assert f"http://127.0.0.1:{port}/static/js/textual.js" in html
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/js/textual.js", timeout=10) as response:
        assert response.status == 200


def test_the_page_loads_nothing_from_outside_this_server(server: tuple[int, Path]) -> None:
    """A NOC screen may have no internet, and a font fetched from elsewhere tells that
    host the wall was opened: every address the page (and each stylesheet it links)
    names is this loopback server, and each one is there."""
    port, _ = server
    page = f"http://127.0.0.1:{port}/"
    status, _, body = fetch(page)
    html = body.decode("utf-8")
    assert status == 200
    elsewhere = [address for address in ANY_ADDRESS.findall(html) if urlsplit(address).netloc != f"127.0.0.1:{port}"]
    assert elsewhere == [], "the page names an address outside this server (a script could fetch it too)"

    parts = parse_page(html)
    assert parts.stylesheets, "textual-serve's page links xterm.css"
    loaded: dict[str, tuple[int, str, bytes]] = {}
    pending = [(page, address) for address in parts.addresses]
    while pending:
        base, address = pending.pop()
        url = urljoin(base, address)
        split = urlsplit(url)
        assert (split.scheme, split.hostname, split.port) == ("http", "127.0.0.1", port), f"{address!r} in {base}"
        if url in loaded:
            continue
        loaded[url] = fetch(url)
        assert loaded[url][0] == 200, url
        if loaded[url][1] == "text/css":
            pending += [(url, found) for found in css_addresses(loaded[url][2].decode("utf-8"))]

    fonts = {url.rsplit("/", 1)[1]: body for url, (_, _, body) in loaded.items() if url.endswith(".ttf")}
    assert set(fonts) == {"RobotoMono-VariableFont_wght.ttf", "RobotoMono-Italic-VariableFont_wght.ttf"}
    assert all(body[:4] == b"\x00\x01\x00\x00" for body in fonts.values()), "real TrueType files, not an error page"
    assert any(url.endswith("/static/js/textual.js") for url in loaded)
    websocket = urlsplit(re.search(r'data-session-websocket-url="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert (websocket.scheme, websocket.hostname, websocket.port) == ("ws", "127.0.0.1", port)


def test_a_browser_tab_gets_the_wall(server: tuple[int, Path], demo_path: Path) -> None:
    """The websocket a browser opens starts ``python -m slaboard wall`` and streams it."""
    import aiohttp

    from slaboard.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "wall" in commands, "slaboard needs its 'wall' command (cli.py) for serve to show anything"
    port, _ = server

    async def first_screen() -> str:
        seen = b""
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=160&height=48") as ws:
                deadline = time.monotonic() + STARTUP_TIMEOUT
                while b"OPEN CALLS" not in seen and time.monotonic() < deadline:
                    try:
                        message = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                    except TimeoutError:
                        break
                    if message.type == aiohttp.WSMsgType.BINARY:
                        seen += message.data
                    elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        break
                running.extend(tab_processes(demo_path))
                await ws.close()
        return seen.decode("utf-8", errors="replace")

    running: list[list[str]] = []
    screen = asyncio.run(first_screen())
    assert "SLABOARD WALL" in screen and "OPEN CALLS" in screen, screen[-2000:]
    assert "NOT LIVE" not in screen
    assert len(running) == 1 and running[0][1:4] == ["-m", "slaboard", "wall"], f"one process per tab: {running}"


def test_the_server_said_there_is_no_login(server: tuple[int, Path]) -> None:
    _, log = server
    text = log.read_text(errors="replace")
    assert "NO LOGIN" in text and "loopback (127.0.0.1) only" in text, text


# --------------------------------------------------------------------- who may use it, and how many


def test_an_origin_must_be_this_server_under_a_name_it_knows() -> None:
    origins = allowed_origins(known_names("127.0.0.1"), 8000)
    for ours in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "HTTP://LocalHost:8000"):
        assert origin_allowed(ours, origins), ours
    for theirs in ("http://evil.example", "http://evil.example:8000", "http://localhost.evil.example:8000",
                   "http://127.0.0.1:8001", "https://127.0.0.1:8000", "null", "", "file://", "http://[::1:8000"):
        assert not origin_allowed(theirs, origins), theirs
    proxied = allowed_origins(known_names("127.0.0.1", "https://wall.example.com"), 8000, "https://wall.example.com")
    assert origin_allowed("https://wall.example.com", proxied)
    assert origin_allowed("https://wall.example.com:443", proxied)
    assert not origin_allowed("https://wall.example.com.evil.example", proxied)


def test_a_public_url_must_be_a_web_address() -> None:
    assert checked_public_url(" https://wall.example.com/ ") == "https://wall.example.com"
    assert checked_public_url("http://noc:8080/wall/") == "http://noc:8080/wall"
    for wrong in ("wall.example.com", "ftp://wall.example.com", "http://", "http://noc:port", "https://noc/?a=1"):
        with pytest.raises(ServiceError, match="--public-url must be an http"):
            checked_public_url(wrong)


def test_listening_beyond_loopback_without_a_public_url_says_which_names_work() -> None:
    wide = notice("/x/noc.db", "wall", "0.0.0.0", 8000, "http://noc:8000", names={"noc.example", "10.0.0.5", "::1"},
                  max_sessions=3)
    assert "--public-url" in wide and "noc.example" in wide and "at most 3 at a time" in wide
    assert "--public-url" not in notice("/x/noc.db", "wall", "0.0.0.0", 8000, "https://w", public="https://w")
    assert "--public-url" not in notice("/x/noc.db", "wall", "127.0.0.1", 8000, "http://127.0.0.1:8000")


@pytest.mark.parametrize("host", ["bogus..host", "no-such-host.invalid", "192.0.2.254"])
def test_a_host_that_cannot_be_listened_on_is_one_line(host: str) -> None:
    with pytest.raises(ServiceError, match=r"cannot listen on .*(not a host name|not an address of this machine)"):
        listen(host, free_port())


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(ServiceError, match=f"port {port} is in use"):
            listen("127.0.0.1", port)


@pytest.mark.parametrize("options", [["--host", "bogus..host"], ["--host", "no-such-host.invalid"],
                                     ["--public-url", "wall.example.com"], ["--max-sessions", "0"], ["port in use"]])
def test_serve_on_the_command_line_says_what_cannot_work_in_one_line(demo_path: Path, options: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1] if options == ["port in use"] else free_port()
        args = [] if options == ["port in use"] else options
        command = [sys.executable, "-m", "slaboard", "serve", "--db", str(demo_path), "--port", str(port), *args]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == "", "nothing is announced for a server that does not start"


def http_get(url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


async def handshake(url: str, origin: str | None = None, *, cookies: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None, local: str | None = None) -> int:
    """The HTTP status a websocket handshake with ``origin`` (and these cookies and
    headers, from the local address ``local``) gets: 101 when accepted."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(local, 0) if local else None)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=STARTUP_TIMEOUT), connector=connector,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        if cookies:
            session.cookie_jar.update_cookies(cookies)
        try:
            async with session.ws_connect(url, origin=origin, headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


def test_a_page_from_elsewhere_can_neither_open_a_tab_nor_fetch_the_page(server: tuple[int, Path]) -> None:
    port, log = server
    websocket = f"ws://127.0.0.1:{port}/ws"
    for theirs in ("http://evil.example", f"http://evil.example:{port}", f"http://127.0.0.1:{port + 1}", "null"):
        assert asyncio.run(handshake(websocket, theirs)) == 403, theirs
    status, body = http_get(f"http://127.0.0.1:{port}/", {"Origin": "http://evil.example"})
    assert status == 403 and "evil.example" in body
    assert "refused /ws for a page at 'http://evil.example'" in log.read_text(errors="replace")


def test_this_servers_own_page_and_non_browsers_open_tabs(server: tuple[int, Path]) -> None:
    port, _ = server
    for ours in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", None):
        assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws", ours)) == 101, ours


def test_the_page_sends_the_browser_back_to_the_address_it_used(server: tuple[int, Path]) -> None:
    port, _ = server
    status, html = http_get(f"http://127.0.0.1:{port}/", {"Host": f"localhost:{port}"})
    assert status == 200
    assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in html
    assert f"http://localhost:{port}/static/js/textual.js" in html


def test_a_name_the_server_does_not_know_is_refused_and_told_about_public_url(server: tuple[int, Path]) -> None:
    """A page fetched by another name (a DNS alias, or a site rebinding its own name
    to this address) would point its websocket at that name: refused, with the fix."""
    port, _ = server
    status, body = http_get(f"http://127.0.0.1:{port}/", {"Host": f"wall.evil.example:{port}"})
    assert status == 403 and f"--public-url http://wall.evil.example:{port}" in body


@pytest.fixture(scope="module")
def capped(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    with running_server(demo_path, tmp_path_factory.mktemp("capped"), max_sessions=1) as running:
        yield running


def wait_for_line(log: Path, text: str, timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            pytest.fail(f"the server never said {text!r}:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def test_a_tab_beyond_the_cap_is_told_why_and_a_closed_tab_makes_room(capped: tuple[int, Path]) -> None:
    import aiohttp

    port, log = capped
    url = f"ws://127.0.0.1:{port}/ws?width=120&height=40"
    origin = f"http://127.0.0.1:{port}"

    async def first_message(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
        return await ws.receive(timeout=STARTUP_TIMEOUT)

    async def scenario() -> tuple[aiohttp.WSMessage, aiohttp.WSMessage, aiohttp.WSMessage]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3 * STARTUP_TIMEOUT)) as session:
            async with session.ws_connect(url, origin=origin) as first:
                running = await first_message(first)
                async with session.ws_connect(url, origin=origin) as second:
                    refused = await first_message(second)
                await first.close()
            await asyncio.to_thread(wait_for_line, log, "a tab closed: 0 of 1 sessions")
            async with session.ws_connect(url, origin=origin) as third:
                again = await first_message(third)
                await third.close()
        return running, refused, again

    running, refused, again = asyncio.run(scenario())
    assert running.type == aiohttp.WSMsgType.BINARY, "the first tab gets its wall"
    assert refused.type == aiohttp.WSMsgType.CLOSE and refused.data == 1013, refused
    assert refused.extra == "This server already shows 1 tab, as many as it allows. Close one, then Restart."
    assert again.type == aiohttp.WSMsgType.BINARY, "the closed tab's session was given back"
    assert "refused a tab: 1 of 1 sessions open" in log.read_text(errors="replace")


def test_the_page_shows_why_its_websocket_was_closed() -> None:
    """The reason the server gives lands in the page's "Session ended." box."""
    html = (PAGE_TEMPLATES / "app_index.html").read_text(encoding="utf-8")
    script = html.split("window.WebSocket = class extends NativeWebSocket", 1)[1].split("</script>", 1)[0]
    assert 'document.querySelector(".closed-dialog .message")' in script and "event.reason" in script
    assert {".closed-dialog", ".message"} <= parse_page(html).hooks


def this_machines_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_listening_everywhere_a_remote_browser_gets_addresses_it_can_reach(demo_path: Path, tmp_path: Path) -> None:
    address = this_machines_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    with running_server(demo_path, tmp_path, host="0.0.0.0") as (port, log):
        status, html = http_get(f"http://{address}:{port}/", {})
        assert status == 200
        assert f'data-session-websocket-url="ws://{address}:{port}/ws"' in html
        assert f"http://{address}:{port}/static/js/textual.js" in html
        assert asyncio.run(handshake(f"ws://{address}:{port}/ws", f"http://{address}:{port}")) == 101
        assert asyncio.run(handshake(f"ws://{address}:{port}/ws", f"http://evil.example:{port}")) == 403
        assert "--public-url" in log.read_text(errors="replace")


def test_behind_a_proxy_the_page_uses_the_public_url(demo_path: Path, tmp_path: Path) -> None:
    with running_server(demo_path, tmp_path, public="https://wall.example.com/") as (port, _):
        status, html = http_get(f"http://127.0.0.1:{port}/", {"Host": "wall.example.com"})
        assert status == 200
        assert 'data-session-websocket-url="wss://wall.example.com/ws"' in html
        assert "https://wall.example.com/static/js/textual.js" in html
        assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws", "https://wall.example.com")) == 101
        assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws", "http://wall.example.com.evil.example")) == 403
