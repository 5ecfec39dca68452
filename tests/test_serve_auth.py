"""Who is at the keyboard of a served board: slaboard's own sign-in and an
authenticating proxy's header, tried with real HTTP and WebSocket clients against a
real ``serve`` on loopback; each browser tab's board runs as its operator, and the
audit trail names them. The wall needs no sign-in and changes nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_serve import ANY_ADDRESS, NOW, STARTUP_TIMEOUT, handshake, parse_page, running_server

from slaboard.cli import main
from slaboard.serve import check_auth, from_trusted, login_page, serve, trusted_networks
from slaboard.services.demo import build_demo
from slaboard.services.operators import LOCK_AFTER, add_operator, disable_operator
from slaboard.services.tickets import ServiceError
from slaboard.store import Store

PASSWORDS = {"yara": "yara's long password", "zeno": "zeno's long password", "dora": "dora's long password",
             "carl": "carl's long password"}
PROXY = "127.0.0.2"  # the proxy's address: Linux answers for all of 127.0.0.0/8 on loopback


@pytest.fixture(scope="module")
def board_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "board.db"
    build_demo(path, NOW, history=0, seed=11)
    with Store.open(path) as store:
        for name, password in PASSWORDS.items():
            add_operator(store, name, password, NOW)
        add_operator(store, "pim", None, NOW)  # known only through the proxy
        disable_operator(store, "carl", NOW)
    return path


def events_by(db: Path, operator: str) -> list[tuple[int, str, str | None]]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT ticket_id, kind, new FROM events WHERE operator = ? AND field = 'assignee'",
                            [operator]).fetchall()
    finally:
        conn.close()


async def request(method: str, url: str, *, data: dict[str, str] | None = None, cookies: Any = None,
                  headers: dict[str, str] | None = None, local: str | None = None) -> tuple[int, dict[str, str], str, Any]:
    """(status, headers, body, the session's cookies) of one request, redirects not followed."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(local, 0) if local else None)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        if cookies:
            session.cookie_jar.update_cookies(cookies)
        async with session.request(method, url, data=data, headers=headers, allow_redirects=False) as response:
            body = await response.text()
            jar = {c.key: c.value for c in session.cookie_jar}
            return response.status, dict(response.headers), body, jar


async def sign_in(port: int, name: str, password: str) -> tuple[int, dict[str, str], str, Any]:
    return await request("POST", f"http://127.0.0.1:{port}/login", data={"name": name, "password": password})


async def drive(url: str, keys: list[str], ready: str, *, cookies: Any = None, headers: dict[str, str] | None = None,
                local: str | None = None, until: Any = None) -> str:
    """Open a tab, wait until its screen shows ``ready``, type ``keys``, wait until
    ``until()`` holds (or a few seconds), and return what the screen showed."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(local, 0) if local else None)
    seen = b""
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        if cookies:
            session.cookie_jar.update_cookies(cookies)
        async with session.ws_connect(url + "?width=160&height=48", headers=headers) as ws:

            async def read_for(seconds: float, stop: Any) -> None:
                nonlocal seen
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline and not stop():
                    try:
                        message = await ws.receive(timeout=0.2)
                    except TimeoutError:
                        continue
                    if message.type == aiohttp.WSMsgType.BINARY:
                        seen += message.data
                    elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        return

            await read_for(STARTUP_TIMEOUT, lambda: ready.encode() in seen)
            assert ready.encode() in seen, seen.decode("utf-8", "replace")[-2000:]
            await read_for(1.0, lambda: False)  # let the first refresh settle
            for key in keys:
                await ws.send_json(["stdin", key])
                await read_for(0.5, lambda: False)
            await read_for(10.0 if until else 1.0, until or (lambda: False))
            await ws.close()
    return seen.decode("utf-8", "replace")


# --------------------------------------------------------------------- the rules, without a server


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "board", "host": "0.0.0.0", "auth": "none"}, "must know who is at the keyboard"),
    ({"mode": "board", "host": "192.0.2.7", "auth": "none"}, "--auth login"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "proxy"}, "--auth proxy needs --trusted-proxy"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "login", "trusted_proxies": ["10.0.0.5"]}, "goes with --auth proxy"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "proxy", "trusted_proxies": ["proxy.example"]}, "IP address or network"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "proxy", "trusted_proxies": ["10.0.0.5"],
      "trusted_header": "X-User: anna"}, "header name"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "login", "operator": "yara"}, "--operator goes with --auth none"),
    ({"mode": "board", "host": "127.0.0.1", "auth": "kerberos"}, "--auth must be one of"),
])
def test_what_cannot_know_the_operator_is_refused(kwargs: dict[str, Any], message: str) -> None:
    mode, host = kwargs.pop("mode"), kwargs.pop("host")
    with pytest.raises(ServiceError, match=message):
        check_auth(mode, host, kwargs.pop("auth"), **kwargs)


def test_the_wall_and_a_loopback_board_need_no_auth() -> None:
    check_auth("wall", "0.0.0.0", "none")
    check_auth("board", "127.0.0.1", "none")
    check_auth("board", "0.0.0.0", "login")
    check_auth("board", "0.0.0.0", "proxy", trusted_proxies=["10.0.0.0/24", "::1"])


def test_only_the_trusted_proxy_is_trusted() -> None:
    networks = trusted_networks(["10.0.0.5", "192.168.7.0/24", "::1"])
    assert from_trusted("10.0.0.5", networks) and from_trusted("192.168.7.200", networks)
    assert from_trusted("::ffff:10.0.0.5", networks) and from_trusted("::1", networks)
    for other in ("10.0.0.6", "192.168.8.1", "127.0.0.1", "", None, "not an address"):
        assert not from_trusted(other, networks), other


def test_the_command_line_refuses_the_open_board_on_the_network_in_one_line(board_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--board", "--host", "0.0.0.0", "--db", str(board_db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--auth login" in err and "--auth proxy" in err


def test_login_needs_an_operator_who_can_sign_in(tmp_path: Path) -> None:
    path = tmp_path / "nobody.db"
    build_demo(path, NOW, history=0, seed=3)
    with pytest.raises(ServiceError, match="no operator can sign in yet"):
        serve(path, mode="board", auth="login")


def test_the_sign_in_page_escapes_what_it_shows() -> None:
    page = login_page("slaboard board", "<script>x</script>", '"><img src=x>')
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert '"><img' not in page


# --------------------------------------------------------------------- slaboard's own sign-in


@pytest.fixture(scope="module")
def login_server(board_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    with running_server(board_db, tmp_path_factory.mktemp("login"), mode="board", auth="login") as running:
        yield running


def test_without_signing_in_there_is_only_the_sign_in_page(login_server: tuple[int, Path]) -> None:
    port, _ = login_server
    base = f"http://127.0.0.1:{port}"
    status, headers, _, _ = asyncio.run(request("GET", base + "/"))
    assert status == 303 and headers["Location"] == "login"
    for path in ("/static/js/textual.js", "/download/x", "/nothing"):
        status, _, body, _ = asyncio.run(request("GET", base + path))
        assert status == 401 and "sign in first" in body, path
    assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws")) == 401
    status, headers, page, _ = asyncio.run(request("GET", base + "/login"))
    assert status == 200 and headers["Content-Security-Policy"].startswith("default-src 'none'")
    parts = parse_page(page)
    assert 'name="password"' in page and 'type="password"' in page
    assert parts.addresses == ["login"] and parts.stylesheets == []  # the form posts here; nothing is loaded
    assert ANY_ADDRESS.findall(page) == []  # no outside host: not a font, not a script


def test_a_wrong_password_an_unknown_name_and_a_disabled_operator_get_the_same_answer(login_server: tuple[int, Path]) -> None:
    port, _ = login_server
    answers = set()
    for name, password in (("yara", "not her password"), ("nobody", "any password at all"),
                           ("carl", PASSWORDS["carl"]), ("pim", "pim has no password")):
        status, headers, body, jar = asyncio.run(sign_in(port, name, password))
        assert status == 401 and "slaboard_session" not in jar, name
        answers.add(body.replace(f'value="{name}"', ""))
    assert len(answers) == 1 and "the name or the password is wrong" in answers.pop()


def test_a_browser_posts_the_form_with_this_servers_origin(login_server: tuple[int, Path]) -> None:
    port, _ = login_server
    ours = {"Origin": f"http://127.0.0.1:{port}"}
    status, _, _, jar = asyncio.run(request("POST", f"http://127.0.0.1:{port}/login", headers=ours,
                                            data={"name": "yara", "password": PASSWORDS["yara"]}))
    assert status == 303 and "slaboard_session" in jar
    for theirs in ("null", "http://evil.example"):  # "null": what a no-referrer page would make a browser send
        status, _, _, jar = asyncio.run(request("POST", f"http://127.0.0.1:{port}/login", headers={"Origin": theirs},
                                                data={"name": "yara", "password": PASSWORDS["yara"]}))
        assert status == 403 and "slaboard_session" not in jar, theirs
    status, _, page, _ = asyncio.run(request("GET", f"http://127.0.0.1:{port}/login"))
    assert '<meta name="referrer" content="same-origin">' in page


def test_five_wrong_passwords_lock_the_account(login_server: tuple[int, Path], board_db: Path,
                                              capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    port, _ = login_server
    monkeypatch.setenv("SLABOARD_NOW", NOW.isoformat())  # the server's clock
    for _ in range(LOCK_AFTER):
        assert asyncio.run(sign_in(port, "dora", "a wrong guess"))[0] == 401
    status, _, body, jar = asyncio.run(sign_in(port, "dora", PASSWORDS["dora"]))
    assert status == 401 and "locked" in body and "slaboard_session" not in jar
    assert main(["operator", "list", "--db", str(board_db)]) == 0
    assert "locked until" in next(line for line in capsys.readouterr().out.splitlines() if line.startswith("dora"))
    assert main(["operator", "enable", "dora", "--db", str(board_db)]) == 0  # an administrator lifts it
    status, _, _, jar = asyncio.run(sign_in(port, "dora", PASSWORDS["dora"]))
    assert status == 303 and "slaboard_session" in jar


def test_two_operators_take_different_calls_and_the_history_names_each(login_server: tuple[int, Path],
                                                                        board_db: Path) -> None:
    port, log = login_server
    cookies = {}
    for name in ("yara", "zeno"):
        status, headers, _, jar = asyncio.run(sign_in(port, name, PASSWORDS[name]))
        assert status == 303 and headers["Location"] == "./"
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http here
        cookies[name] = jar
    assert asyncio.run(request("GET", f"http://127.0.0.1:{port}/", cookies=cookies["yara"]))[0] == 200
    ws = f"ws://127.0.0.1:{port}/ws"
    asyncio.run(drive(ws, ["a"], "Take", cookies=cookies["yara"], until=lambda: events_by(board_db, "yara")))
    asyncio.run(drive(ws, ["j", "a"], "Take", cookies=cookies["zeno"], until=lambda: events_by(board_db, "zeno")))
    (yara_ticket, _, yara_new), = events_by(board_db, "yara")
    (zeno_ticket, _, zeno_new), = events_by(board_db, "zeno")
    assert (yara_new, zeno_new) == ("yara", "zeno") and yara_ticket != zeno_ticket
    with Store.open(board_db) as store:
        assert store.ticket(yara_ticket).assignee == "yara"  # type: ignore[union-attr]
        assert store.ticket(zeno_ticket).assignee == "zeno"  # type: ignore[union-attr]
    text = log.read_text(errors="replace")
    assert "yara signed in from 127.0.0.1" in text and "a tab opened for zeno" in text
    assert PASSWORDS["yara"] not in text


def test_a_disabled_operator_is_signed_out_and_keeps_their_past_work(login_server: tuple[int, Path], board_db: Path,
                                                                     tmp_path: Path) -> None:
    port, _ = login_server
    with Store.open(board_db) as store:
        add_operator(store, "eva", "eva's long password", NOW)
    _, _, _, jar = asyncio.run(sign_in(port, "eva", "eva's long password"))
    assert asyncio.run(request("GET", f"http://127.0.0.1:{port}/", cookies=jar))[0] == 200
    assert main(["operator", "disable", "eva", "--db", str(board_db)]) == 0
    assert asyncio.run(request("GET", f"http://127.0.0.1:{port}/", cookies=jar))[0] == 303
    assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws", cookies=jar)) == 401
    assert asyncio.run(sign_in(port, "eva", "eva's long password"))[0] == 401
    with Store.open(board_db) as store:
        assert store.operator("eva").disabled_at is not None  # type: ignore[union-attr]


def test_signing_out_ends_the_session(login_server: tuple[int, Path]) -> None:
    port, _ = login_server
    _, _, _, jar = asyncio.run(sign_in(port, "yara", PASSWORDS["yara"]))
    status, _, body, _ = asyncio.run(request("GET", f"http://127.0.0.1:{port}/logout", cookies=jar))
    assert status == 200 and "signed out" in body
    assert asyncio.run(request("GET", f"http://127.0.0.1:{port}/", cookies=jar))[0] == 303


def test_over_https_the_cookie_is_secure(board_db: Path, tmp_path: Path) -> None:
    with running_server(board_db, tmp_path, mode="board", auth="login", public="https://board.example.com") as (port, _):
        status, headers, _, _ = asyncio.run(sign_in(port, "yara", PASSWORDS["yara"]))
        assert status == 303 and "Secure" in headers["Set-Cookie"]


# --------------------------------------------------------------------- behind an authenticating proxy


@pytest.fixture(scope="module")
def proxied(board_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    with running_server(board_db, tmp_path_factory.mktemp("proxied"), mode="board", auth="proxy",
                        trusted_proxies=[PROXY]) as running:
        yield running


def test_the_header_is_believed_only_from_the_proxy(proxied: tuple[int, Path]) -> None:
    port, log = proxied
    page = f"http://127.0.0.1:{port}/"
    forged = {"X-Remote-User": "yara"}
    status, _, body, _ = asyncio.run(request("GET", page, headers=forged))  # from 127.0.0.1, not the proxy
    assert status == 403 and "through the sign-on proxy" in body
    assert asyncio.run(handshake(f"ws://127.0.0.1:{port}/ws", headers=forged)) == 403
    assert asyncio.run(request("GET", page, headers=forged, local=PROXY))[0] == 200
    assert asyncio.run(request("GET", page, local=PROXY))[0] == 401  # the proxy named nobody
    for name in ("nobody", "carl"):  # unknown, disabled
        status, _, body, _ = asyncio.run(request("GET", page, headers={"X-Remote-User": name}, local=PROXY))
        assert status == 403 and "not an operator of this board" in body, name
    assert "not the trusted proxy" in log.read_text(errors="replace")


def test_behind_the_proxy_the_tab_runs_as_the_named_operator(proxied: tuple[int, Path], board_db: Path) -> None:
    port, _ = proxied
    asyncio.run(drive(f"ws://127.0.0.1:{port}/ws", ["j", "j", "a"], "Take", headers={"X-Remote-User": "pim"},
                      local=PROXY, until=lambda: events_by(board_db, "pim")))
    assert [new for _, _, new in events_by(board_db, "pim")] == ["pim"]


# --------------------------------------------------------------------- the wall


def test_the_wall_needs_no_sign_in_and_cannot_change_anything(board_db: Path, tmp_path: Path) -> None:
    def state() -> tuple[int, ...]:
        conn = sqlite3.connect(f"{board_db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return (*conn.execute("SELECT COUNT(*), SUM(version), MAX(seq) FROM tickets").fetchone(),
                    *conn.execute("SELECT COUNT(*) FROM events").fetchone(),
                    *conn.execute("SELECT COUNT(*) FROM communications").fetchone())
        finally:
            conn.close()

    before = state()
    with running_server(board_db, tmp_path, mode="wall") as (port, _):
        screen = asyncio.run(drive(f"ws://127.0.0.1:{port}/ws", ["a", "n", "d", "r", "\r", "x", "q"], "OPEN CALLS"))
    assert "SLABOARD WALL" in screen
    assert state() == before


def test_the_wall_is_served_from_postgresql_through_a_read_only_role(board_db: Path, tmp_path: Path,
                                                                     pg_server: Any) -> None:
    from slaboard.services.copying import copy_database

    url = pg_server.new_database()
    assert copy_database(board_db, url, NOW).ok
    database = url.split("///", 1)[1].split("?", 1)[0]
    role = f"wall_{database}"
    pg_server.sql(f"CREATE ROLE {role} LOGIN")
    pg_server.sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}", database=database)
    reader = pg_server.url(database, user=role)
    with running_server(reader, tmp_path, mode="wall") as (port, log):  # type: ignore[arg-type]
        screen = asyncio.run(drive(f"ws://127.0.0.1:{port}/ws", ["a", "n"], "OPEN CALLS"))
    assert "SLABOARD WALL" in screen and "NOT LIVE" not in screen
    assert "postgresql://" in log.read_text(errors="replace")
