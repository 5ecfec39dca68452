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
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest

from slaboard.serve import PAGE_TEMPLATES, app_command, notice, public_url, serve
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


@pytest.fixture(scope="module")
def server(demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """``serve(demo)`` in its own process on a free loopback port (its output in a
    file); always stopped."""
    port = free_port()
    folder = tmp_path_factory.mktemp("server")
    log = folder / "serve.log"
    env = {**os.environ, "SLABOARD_SETTINGS": str(folder / "none.toml"),
           "SLABOARD_NOW": NOW.isoformat(), "TEXTUAL_ANIMATIONS": "none"}
    code = f"from slaboard.serve import serve; serve({str(demo_path)!r}, port={port})"
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
    assert shlex.split(command) == ["/opt/py 3/bin/python", "-m", "slaboard", "wall", "--db", str(path.resolve()),
                                    "--page-seconds", "15"]
    assert shlex.split(app_command(path, "board"))[:4] == [sys.executable, "-m", "slaboard", "board"]


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


def test_a_browser_tab_gets_the_wall(server: tuple[int, Path]) -> None:
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
                await ws.close()
        return seen.decode("utf-8", errors="replace")

    screen = asyncio.run(first_screen())
    assert "SLABOARD WALL" in screen and "OPEN CALLS" in screen, screen[-2000:]
    assert "NOT LIVE" not in screen


def test_the_server_said_there_is_no_login(server: tuple[int, Path]) -> None:
    _, log = server
    text = log.read_text(errors="replace")
    assert "NO LOGIN" in text and "loopback (127.0.0.1) only" in text, text
