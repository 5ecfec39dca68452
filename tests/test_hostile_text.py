"""Issue 19: text that could act on the terminal never reaches it raw.

One hostile catalog — every text field of the contract file (MSP, calendar, level,
service and customer names, keys, codes, contacts, notes) and every text an operator
types (titles, descriptions, callers, diagnoses, notes, messages, operator names)
holds an OSC 52 clipboard write, an OSC 0 window title, CSI sequences, BEL, C1
controls, a bidi override and zero-width characters. Then every command of the
parser and every screen of the app is walked, and what they print or draw is
searched for any of those characters. The walk is driven by the parser and by the
app's screen classes, so a new command or screen fails here until it is covered.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import pkgutil
import shutil
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, TextArea

from slaboard import cli
from slaboard.services.comms import NewCommunication, log_communication
from slaboard.services.loading import load_files
from slaboard.services.mailgate import deliver, unmatched_mail
from slaboard.services.tickets import NewCall, add_comment, open_call, update_ticket
from slaboard.services.timekeeping import add_entry
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.textfmt import FORMAT_RANGES, json_terminal_safe, plain, plain_block
from slaboard.tui.app import SlaboardApp, WallApp
from slaboard.tui.screens.commlog import CommLogScreen
from slaboard.tui.screens.contracts import ContractScreen
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.diagnosis import DiagnosisScreen
from slaboard.tui.screens.newcall import NewCallScreen
from slaboard.tui.screens.report import ReportScreen
from slaboard.tui.screens.triage import TriageScreen

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=AMS)
H = timedelta(hours=1)

# Everything that has hurt a terminal: a clipboard write (OSC 52), a window title
# (OSC 0), CSI clear/colour, BEL, the C1 CSI and NEL, a right-to-left override with its
# pop, an isolate, and zero-width space, joiner and no-break space (BOM).
HOSTILE = ("<\x1b]52;c;b3duZWQ=\x07\x1b]0;owned\x07\x1b[2J\x1b[31m\x07\x9b31m\x85"
           "\u202eevil\u202c\u2066iso\u2069\u200bzw\u200d\ufeff\u2028>")


OPERATOR_NAME = f"op{HOSTILE}op"


def h(label: str) -> str:
    """A field's text: its label, so a failure says which field leaked, around HOSTILE."""
    return f"{label}{HOSTILE}{label}"


def unsafe(char: str) -> bool:
    """A character that must not reach a terminal as is (a newline between lines is fine)."""
    code = ord(char)
    return ((code < 0x20 and char != "\n") or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029)
            or unicodedata.category(char) == "Cf")


def leaks(text: str) -> list[str]:
    """The unsafe characters in ``text``, each with a little of what precedes it."""
    return [f"U+{ord(c):04X} after {text[max(0, i - 30):i]!r}" for i, c in enumerate(text) if unsafe(c)]


def q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for the BMP)."""
    return json.dumps(text)


LEVEL, SERVICE, OTHER_SERVICE, CALENDAR = h("gold"), h("mail"), h("print"), h("cal")
CUSTOMER, BARE_CUSTOMER, CONTRACT = h("acme"), h("spaak"), h("acme-2026")
OPERATOR, ASSIGNEE = h("op"), h("assignee")
HOOK, PERSON = h("noc"), h("sam")

CATALOG = f"""\
[msp]
name = {q(h("MSP name"))}
tz = "Europe/Amsterdam"
default_hourly_rate = 100

[calendars.{q(CALENDAR)}]
tz = "Europe/Amsterdam"
always_open = true
holidays = ["2026-12-24"]
description = {q(h("calendar description"))}

[levels.{q(LEVEL)}]
name = {q(h("Level name"))}
description = {q(h("level description"))}
calendar = {q(CALENDAR)}
price_per_month = 2400
response   = {{ P1 = "15m", P2 = "30m", P3 = "1h", P4 = "4h" }}
plan       = {{ P1 = "30m", P2 = "1h",  P3 = "4h", P4 = "8h" }}
resolution = {{ P1 = "1h",  P2 = "4h",  P3 = "8h", P4 = "2bd" }}
escalation = [{{ at = "warning", notify = [{q("webhook:" + HOOK)}] }}, {{ at = "breached", notify = [{q("webhook:" + HOOK)}] }},
              {{ at = "opened", notify = [{q("webhook:" + HOOK)}] }}]

[people.{q(PERSON)}]
name = {q(h("Person name"))}
email = "sam@hostile.example"
roles = [{q(h("role"))}]

[webhooks.{q(HOOK)}]
url = "http://127.0.0.1:9/hook"
timeout = 1

[services.{q(SERVICE)}]
name = {q(h("Service name"))}
description = {q(h("service description"))}

[services.{q(OTHER_SERVICE)}]
name = {q(h("Other service name"))}

[customers.{q(CUSTOMER)}]
name = {q(h("Customer name"))}
code = {q(h("CODE"))}
tz = "Europe/Amsterdam"
notes = {q(h("customer notes"))}
contacts = [{{ name = {q(h("Contact name"))}, role = {q(h("role"))}, phone = {q(h("phone"))}, email = {q(h("email"))} }}]

[customers.{q(BARE_CUSTOMER)}]
name = {q(h("Bare customer"))}
code = {q(h("BARE"))}
tz = "Europe/Amsterdam"

[[contracts]]
key = {q(CONTRACT)}
customer = {q(CUSTOMER)}
level = {q(LEVEL)}
valid_from = 2026-01-01
valid_to = 2026-12-31
services = [{q(SERVICE)}]
price_per_month = 2000
hourly_rate = 95
overrides = {{ {q(SERVICE)} = {{ resolution = "4h" }} }}
notes = {q(h("contract notes"))}
"""


def build(path: Path) -> dict[str, int]:
    """The hostile database: the catalog, open calls of every kind, a resolved late
    call (so reports have figures), messages and notes. Returns ticket ids by name."""
    source = path.with_suffix(".toml")
    source.write_text(CATALOG, encoding="utf-8")
    ids: dict[str, int] = {}
    with Store.open(path, create=True) as store:
        load_files(store, [source], NOW - 120 * 24 * H)

        def call(name: str, customer: str, service: str, ago: timedelta, impact: int = 2) -> int:
            new = NewCall(customer=customer, service=service, title=h(f"{name} title"), impact=impact, urgency=2,
                          caller=h(f"{name} caller"), description=h(f"{name} description") + "\nsecond line",
                          reported_at=NOW - ago)
            ids[name] = open_call(store, new, OPERATOR, NOW - ago).ticket.id
            return ids[name]

        late = call("late", CUSTOMER, SERVICE, 6 * H)
        update_ticket(store, late, operator=OPERATOR, now=NOW - 5 * H, assignee=ASSIGNEE, status="diagnosing",
                      diagnosis=h("diagnosis"), category=h("category"), expected=NOW + 2 * H)
        add_comment(store, late, h("comment"), OPERATOR, NOW - 4 * H)
        log_communication(store, NewCommunication(customer=CUSTOMER, summary=h("comm summary"), contact=h("comm contact"),
                                                  ticket_id=late), OPERATOR, NOW - 3 * H)
        log_communication(store, NewCommunication(customer=CUSTOMER, summary=h("customer-wide message"), direction="in"),
                          OPERATOR, NOW - 2 * H)
        fresh = call("fresh", CUSTOMER, SERVICE, 10 * timedelta(minutes=1), impact=3)
        update_ticket(store, fresh, operator=OPERATOR, now=NOW - timedelta(minutes=5), status="waiting_customer",
                      reason=h("pause reason"))
        billable = call("billable", CUSTOMER, OTHER_SERVICE, 2 * H)
        ids["entry"] = add_entry(store, ticket_id=late, operator=OPERATOR, now=NOW - 4 * H, minutes=40,
                                 started_at=NOW - 5 * H, note=h("time note")).id
        add_entry(store, ticket_id=billable, operator=ASSIGNEE, now=NOW - H, minutes=25,
                  started_at=NOW - 90 * timedelta(minutes=1), note=h("billable time note"))
        call("no contract", BARE_CUSTOMER, SERVICE, 1 * H)
        for name, days in (("resolved", 20), ("last quarter", 86)):  # figures for this month and for Q3
            done = call(name, CUSTOMER, SERVICE, days * 24 * H, impact=1)
            update_ticket(store, done, operator=OPERATOR, now=NOW - (days - 1) * 24 * H, status="resolved",
                          reason=h("resolution note"), justification=h("justification"))
        # An operator whose name another tool wrote (the command line refuses such names).
        store.add_operator(OPERATOR_NAME, None, NOW - 30 * 24 * H)
        # Mail: a reply to the late call with files, and mail from a stranger waiting in triage.
        deliver(store, hostile_mail(f"[SLA #{late}] " + h("mail subject"), "<reply@hostile.example>"), NOW - 1 * H)
        deliver(store, hostile_mail(h("stranger subject"), "<stranger@hostile.example>",
                                    sender=h("stranger") + " <stranger@elsewhere.example>"), NOW - 1 * H)
        ids["mail"] = unmatched_mail(store)[0].id
        ids["attachment"] = store.attachments(ticket_id=late)[0].id
    return ids


def hostile_mail(subject: str, message_id: str, sender: str = "someone@elsewhere.example") -> bytes:
    """A message whose every part an operator sees is hostile: subject, sender, text, file names."""
    head = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
    parts = "".join(f'--h\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="{name}"\r\n\r\n'
                    "%PDF\r\n" for name in (h("file one").replace('"', ""), h("file two").replace('"', "")))
    body = (f'Content-Type: multipart/mixed; boundary="h"\r\n\r\n--h\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
            f"{h('mail body')}\r\n{parts}--h--\r\n")
    return (head + body).encode("utf-8")


@pytest.fixture(scope="module")
def hostile_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    return path, build(path)


@pytest.fixture
def hostile_db(hostile_master: tuple[Path, dict[str, int]], tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A private copy: commands that change calls must not change another test's database."""
    master, ids = hostile_master
    return Path(shutil.copy(master, tmp_path / "hostile.db")), dict(ids)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, utc_process: None) -> None:
    """A fixed clock and operator, no user settings, the process in UTC."""
    monkeypatch.setenv("SLABOARD_NOW", NOW.isoformat())
    monkeypatch.setenv("SLABOARD_OPERATOR", "anna")  # the command line refuses control codes in it; the file has them
    monkeypatch.setenv("SLABOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)


# --------------------------------------------------------------------- the sanitiser


def test_the_sanitiser_leaves_nothing_unsafe() -> None:
    assert leaks(plain(HOSTILE)) == []
    assert leaks(plain_block(HOSTILE + "\n" + HOSTILE)) == []
    assert plain_block("a\nb").count("\n") == 1
    # Visible stand-ins in the stored order: nothing is dropped, nothing reordered.
    assert plain("\x1b]0;x\x07") == "␛]0;x␇"
    assert plain("abc\u202edef\u200bg") == "abc\ufffddef\ufffdg"
    assert plain("Z\u00fcrich \u4e2d\u6587 \u05e2\u05d1\u05e8\u05d9\u05ea caf\u00e9") == "Z\u00fcrich \u4e2d\u6587 \u05e2\u05d1\u05e8\u05d9\u05ea caf\u00e9"


def test_every_format_character_of_this_python_is_covered() -> None:
    """The list in textfmt is written out (importing it must stay instant); this
    catches a newer Unicode with format characters the list does not have yet."""
    covered = {code for low, high in FORMAT_RANGES for code in range(low, high + 1)}
    cf = {code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"}
    assert cf - covered == set(), [f"U+{c:04X}" for c in sorted(cf - covered)]
    assert leaks(plain("".join(map(chr, sorted(cf))))) == []


def test_json_stays_the_same_data_but_terminal_safe() -> None:
    data = {"title": HOSTILE, "tag": "\U000e0041", "plain": "café 中文"}
    text = json_terminal_safe(json.dumps(data, ensure_ascii=False))
    assert json.loads(text) == data
    assert leaks(text) == []
    assert "café 中文" in text  # readable text is not escaped


# --------------------------------------------------------------------- the command line

# The arguments each command is run with ({id} is a ticket of the hostile database,
# {out} a file in the test's folder). A command that only opens a screen is listed
# with None: its screens are walked below.
COMMANDS: dict[str, list[list[str]] | None] = {
    "board": None,
    "wall": None,
    "serve": None,
    "demo": None,  # builds the sample MSP (no user text) and opens the board
    "keys": [[], ["--markdown"]],
    "init": [[]],
    "load": [["{catalog}"], ["{changed_catalog}"]],
    "ticket new": [["--customer", CUSTOMER, "--service", SERVICE, "--title", h("new title"),
                    "--caller", h("new caller"), "--description", h("new description")]],
    "ticket list": [[], ["--all"]],
    "ticket show": [["{late}"], ["{resolved}"], ["{no contract}"]],
    "ticket update": [["{late}", "--status", "in_progress", "--reason", h("reason"), "--assignee", h("someone")]],
    "ticket comment": [["{late}", h("note")]],
    "ticket assign": [["{late}"], ["{late}", h("name")]],
    "ticket resolve": [["{late}", "--note", h("note"), "--justification", h("why late")]],
    "ticket reopen": [["{resolved}", "--reason", h("reopen reason")]],
    "ticket diagnose": [["{fresh}", "--diagnosis", h("diag"), "--category", h("cat"), "--start"]],
    "comm add": [["--ticket", "{late}", "--summary", h("summary"), "--contact", h("contact")],
                 ["--customer", CUSTOMER, "--summary", h("summary")]],
    "comm list": [["--ticket", "{late}"], ["--customer", CUSTOMER]],
    "comm send": None,  # needs an SMTP server: tests/cli/test_mail_out.py
    "time add": [["{late}", "--minutes", "5", "--note", h("time note")]],
    "time start": [["{late}"]],
    "time stop": None,  # needs a running timer: tests/cli/test_cli.py
    "time list": [[], ["--ticket", "{late}"]],
    "time set": [["{entry}", "--billable", "--reason", h("billable reason")], ["{entry}", "--rules"]],
    "billing": [["--period", "2026-11"], ["--period", "2026-11", "--customer", CUSTOMER]]
    + [["--period", "2026-11", "--format", f] for f in ("csv", "md", "json")],
    "billing close": [["2026-10"]],
    "watch": [["--once"]],
    "contract show": [[CUSTOMER], [BARE_CUSTOMER]],
    "report": [["--period", "2026-11", "--by", by] for by in ("customer", "level", "service", "priority", "contract", "month")]
    + [["--period", "2026-11", "--format", f] for f in ("csv", "md", "html")]
    + [["--period", "2026-11", "--customer", CUSTOMER, "--format", f] for f in ("table", "md", "html")],
    "check": [[]],
    "operator list": [[]],
    "operator add": [["kim", "--no-password"]],
    "operator password": None,  # asks on the terminal; its refusals are among the mistakes
    "operator disable": [[OPERATOR_NAME]],
    "operator enable": [[OPERATOR_NAME]],
    "backup": [["{out}"]],
    "copy": [["{db}", "{out}"]],
    "mailgate": None,  # reads a message on standard input: tests/services/test_mailgate.py
    "mail fetch": None,  # needs an IMAP server: tests/services/test_mailfetch.py
    "mail test": None,  # needs an SMTP server: tests/cli/test_mail_out.py (hostile subjects there too)
    "mail flush": None,  # needs an SMTP server: tests/cli/test_mail_out.py
    "mail outbox": [[], ["--all"]],
    "mail retry": None,  # needs a message in the outbox: tests/cli/test_mail_out.py
    "mail preview": [["{late}"]],
    "mail unmatched": [[]],
    "mail assign": [["{mail}", "--customer", CUSTOMER]],
    "mail dismiss": [["{mail}", "--reason", h("dismiss reason")]],
    "attachment list": [["{late}"]],
    "attachment save": [["{attachment}", "--to", "{saved}"]],
    "restore": [["{backup}"]],
}

MISTAKES = [
    ["operator", "add", h("name"), "--no-password"],
    ["operator", "password", h("nobody")],
    ["operator", "disable", h("nobody")],
    ["ticket", "new", "--customer", h("nobody"), "--service", SERVICE, "--title", "x"],
    ["ticket", "new", "--customer", CUSTOMER, "--service", h("no service"), "--title", "x"],
    ["ticket", "update", "{late}", "--status", h("status")],
    ["ticket", "update", "{late}", "--expected", h("when")],
    ["ticket", "show", h("#1")],
    ["contract", "show", h("nobody")],
    ["comm", "list", "--customer", h("nobody")],
    ["report", "--period", h("period")],
    ["report", "--customer", h("nobody")],
    ["billing", "--period", h("period")],
    ["billing", "--customer", h("nobody")],
    ["billing", "close", h("period")],
    ["time", "set", "{entry}", "--billable", "--reason", ""],
    [h("command")],
]


def leaf_commands(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[str]:
    """Every command of the parser, as typed ("ticket new"), sub-commands included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix} {name}".strip()
                if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    if sub.get_default("func") is not None:  # runs by itself too ("billing")
                        yield full
                    yield from leaf_commands(sub, full)
                else:
                    yield full


def test_the_walk_covers_every_command() -> None:
    assert sorted(leaf_commands(cli.build_parser())) == sorted(COMMANDS)


class Terminal(io.StringIO):
    """Standard output as an operator's terminal (documents on a terminal are shown safe)."""

    def isatty(self) -> bool:
        return True


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, tty: bool = True) -> tuple[int, str, str]:
    out, err = (Terminal() if tty else io.StringIO()), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, out.getvalue(), err.getvalue()


def fill(args: list[str], db: Path, ids: dict[str, int], tmp_path: Path) -> list[str]:
    catalog = tmp_path / "hostile.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    changed = tmp_path / "changed.toml"
    changed.write_text(CATALOG.replace("price_per_month = 2000", "price_per_month = 2100")
                       + f"\n[services.{q(h('added'))}]\nname = {q(h('Added service'))}\n", encoding="utf-8")
    backup = tmp_path / "backup.db"
    if "{backup}" in args:
        with Store.open(db) as store:
            from slaboard.services.maintenance import backup as make_backup

            make_backup(store, backup, NOW)
    names = {"{catalog}": str(catalog), "{changed_catalog}": str(changed), "{out}": str(tmp_path / "copy.db"),
             "{saved}": str(tmp_path / "saved.pdf"),
             "{db}": str(db),
             "{backup}": str(backup), **{f"{{{name}}}": str(i) for name, i in ids.items()}}
    return [names.get(a, a) for a in args]


CASES = [(name, args) for name, variants in COMMANDS.items() if variants for args in variants]


@pytest.mark.parametrize(("command", "args"), CASES, ids=[f"{c}:{i}" for i, (c, _) in enumerate(CASES)])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_no_command_prints_a_raw_control_character(command: str, args: list[str], as_json: bool,
                                                   hostile_db: tuple[Path, dict[str, int]], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = hostile_db
    argv = [*command.split(), *fill(args, db, ids, tmp_path), "--db", str(db), *(["--json"] if as_json else [])]
    code, out, err = run(argv, monkeypatch)
    assert code in (0, 1), (argv, code, err)  # 1: check found a problem, said so in text
    assert out.strip()
    assert leaks(out) == [], argv
    assert leaks(err) == [], argv
    if as_json and "--format" not in args:
        json.loads(out)  # still one JSON document


@pytest.mark.parametrize("args", MISTAKES, ids=[str(i) for i in range(len(MISTAKES))])
def test_a_mistake_naming_hostile_text_is_one_safe_line(args: list[str], hostile_db: tuple[Path, dict[str, int]],
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = hostile_db
    argv = [*fill(args, db, ids, tmp_path), "--db", str(db)]
    code, out, err = run(argv, monkeypatch)
    assert code == 2, (argv, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert leaks(err) == [], err


def test_json_output_is_the_data_exactly(hostile_db: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = hostile_db
    code, out, _ = run(["ticket", "show", str(ids["late"]), "--db", str(db), "--json"], monkeypatch)
    assert code == 0
    data = json.loads(out)
    assert data["title"] == h("late title")
    assert data["assignee"] == ASSIGNEE
    assert any(e["note"] == h("comment") for e in data["events"])


@pytest.mark.parametrize("fmt", ["csv", "md", "html"])
def test_a_redirected_export_keeps_the_text_as_stored(fmt: str, hostile_db: tuple[Path, dict[str, int]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped into a file a document is data: the sanitiser is for terminals only."""
    db, _ = hostile_db
    code, out, _ = run(["report", "--period", "2026-11", "--by", "level", "--format", fmt, "--db", str(db)],
                       monkeypatch, tty=False)
    assert code == 0
    assert "\u202eevil\u202c" in out


def test_text_output_shows_the_stand_ins(hostile_db: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch) -> None:
    """What replaced the codes is visible, in place: an operator sees that the title
    holds something odd, and what."""
    db, ids = hostile_db
    code, out, _ = run(["ticket", "show", str(ids["late"]), "--db", str(db)], monkeypatch)
    assert code == 0
    assert "late title<␛]52;c;b3duZWQ=␇␛]0;owned␇␛[2J␛[31m␇" in out
    assert "\ufffdevil\ufffd" in out


# --------------------------------------------------------------------- the screens


def drawn(app: App) -> str:  # type: ignore[type-arg]
    """Every character the screen sends to the terminal as text (not the app's own
    control segments), line by line."""
    return "\n".join("".join(seg.text for seg in strip if not seg.control)
                     for strip in app.screen._compositor.render_strips())


async def settle(app: App, pilot: Pilot) -> None:  # type: ignore[type-arg]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def push(app: SlaboardApp, pilot: Pilot, screen: Screen) -> None:  # type: ignore[type-arg]
    app.push_screen(screen)
    await settle(app, pilot)


async def keys(pilot: Pilot, *pressed: str) -> None:  # type: ignore[type-arg]
    await pilot.press(*pressed)
    await settle(pilot.app, pilot)


async def on_ticket(app: SlaboardApp, pilot: Pilot, ticket_id: int, *pressed: str) -> None:  # type: ignore[type-arg]
    await push(app, pilot, TicketScreen(ticket_id))
    await keys(pilot, *pressed)


def _screens(ids: dict[str, int]) -> dict[str, list[Callable[[SlaboardApp, Pilot], Awaitable[None]]]]:  # type: ignore[type-arg]
    """How to bring up each screen of the app with hostile text on it."""

    async def board(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        """The board is the first screen: nothing to open."""

    async def board_views(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await keys(pilot, "s")  # another order, same text

    async def board_filtered(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await keys(pilot, "slash", *"evil", "enter")

    async def wall(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await keys(pilot, "w")

    async def new_call(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await push(app, pilot, NewCallScreen())
        await keys(pilot, *"Customer")  # the customer's matches, its contract and deadlines

    async def new_call_discard(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await new_call(app, pilot)
        await keys(pilot, "escape", "escape")

    async def report(app: SlaboardApp, pilot: Pilot, customer: str | None = None, *pressed: str) -> None:  # type: ignore[type-arg]
        await push(app, pilot, ReportScreen(customer))
        await keys(pilot, *pressed)

    async def find_customer(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await push(app, pilot, ContractScreen(None))
        await keys(pilot, *"Customer")  # the finder's suggestions

    async def triage_mail(app: SlaboardApp, pilot: Pilot, *pressed: str) -> None:  # type: ignore[type-arg]
        await push(app, pilot, TriageScreen())  # the unmatched mail comes first
        await keys(pilot, *pressed)

    async def triage_calls(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
        await triage_mail(app, pilot, "escape")  # past the mail, the calls

    async def contract_keys(app: SlaboardApp, pilot: Pilot, *pressed: str) -> None:  # type: ignore[type-arg]
        await push(app, pilot, ContractScreen(CUSTOMER))
        await keys(pilot, *pressed)

    async def time_typed(app: SlaboardApp, pilot: Pilot, ticket: str) -> None:  # type: ignore[type-arg]
        """The dialog with a duration typed: how the contract's rules count it (level names in it)."""
        await on_ticket(app, pilot, ids[ticket], "e", *"40m")
        await pilot.pause(0.4)  # the question to the rules waits for typing to stop
        await settle(app, pilot)

    def one(screen_factory: Callable[[], Screen]) -> Callable[[SlaboardApp, Pilot], Awaitable[None]]:  # type: ignore[type-arg]
        async def open_(app: SlaboardApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
            await push(app, pilot, screen_factory())
        return open_

    tickets = [ids[name] for name in ("late", "fresh", "billable", "no contract", "resolved")]
    return {
        "BoardScreen": [board, board_views, board_filtered],
        "WallScreen": [wall],
        "TicketScreen": [one(lambda i=i: TicketScreen(i)) for i in tickets],
        "AssignDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "a")],
        "StatusDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "s")],
        "PriorityDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "p")],
        "ResolveDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "v")],
        "FullTextScreen": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "f")],
        "DiagnosisScreen": [one(lambda i=i: DiagnosisScreen(i)) for i in tickets[:2]],
        "NewCallScreen": [new_call],
        "ConfirmDiscard": [new_call_discard],
        "TriageScreen": [lambda app, pilot: triage_calls(app, pilot)],
        "UnmatchedMailScreen": [one(TriageScreen), lambda app, pilot: triage_mail(app, pilot, "c"),
                                lambda app, pilot: triage_mail(app, pilot, "x")],
        "AttachmentChooser": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "w")],
        "SaveAttachmentDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "w", "enter")],
        "TimeEntryDialog": [lambda app, pilot: on_ticket(app, pilot, ids["late"], "e"),
                            lambda app, pilot: time_typed(app, pilot, "late"),
                            lambda app, pilot: time_typed(app, pilot, "billable")],
        "BillingScreen": [lambda app, pilot: contract_keys(app, pilot, "b"),
                          lambda app, pilot: contract_keys(app, pilot, "b", "left_square_bracket")],
        "ContractScreen": [one(lambda: ContractScreen(CUSTOMER)), one(lambda: ContractScreen(BARE_CUSTOMER)),
                           find_customer],
        "CommLogScreen": [one(lambda: CommLogScreen(ticket_id=ids["late"])), one(lambda: CommLogScreen(customer=CUSTOMER))],
        "ReportScreen": [lambda app, pilot: report(app, pilot), lambda app, pilot: report(app, pilot, CUSTOMER),
                         *[lambda app, pilot, n=n: report(app, pilot, None, *["right_square_bracket"] * n) for n in range(1, 6)]],
        "GroupCallsScreen": [lambda app, pilot: report(app, pilot, None, "enter")],
        "ExportChooser": [lambda app, pilot: report(app, pilot, None, "e")],
        "HelpScreen": [lambda app, pilot: keys(pilot, "question_mark")],
    }


def screen_classes() -> set[str]:
    """The name of every screen class of the app (modules imported, so all are known)."""
    import slaboard.tui as package

    for module in pkgutil.walk_packages(package.__path__, "slaboard.tui."):
        importlib.import_module(module.name)
    found: set[str] = set()
    todo = [Screen]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("slaboard.") and not sub.__name__.startswith("_"):
                found.add(sub.__name__)
    return found


def test_the_walk_covers_every_screen() -> None:
    assert screen_classes() == set(_screens(ANY_IDS))


ANY_IDS = dict.fromkeys(("late", "fresh", "billable", "no contract", "resolved"), 1)  # to count the cases
SCREEN_CASES = [(name, n) for name, openers in _screens(ANY_IDS).items() for n in range(len(openers))]


def unsanitised(app: App) -> list[str]:  # type: ignore[type-arg]
    """Unsafe characters drawn outside an editable field, with the widget that drew
    them (in a field the value is shown exactly as typed, guarded at the output)."""
    found = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for segment in strip:
            if segment.control:
                continue
            for char in segment.text:
                if unsafe(char):
                    widget, _ = app.screen.get_widget_at(max(x - 1, 0), y)
                    if not isinstance(widget, (Input, TextArea)):
                        found.append(f"U+{ord(char):04X} in {widget!r} on line {y}")
                x += cell_len(char)
    return found


@pytest.mark.parametrize(("screen", "n"), SCREEN_CASES, ids=[f"{s}:{n}" for s, n in SCREEN_CASES])
async def test_no_screen_draws_a_raw_control_character(screen: str, n: int, hostile_db: tuple[Path, dict[str, int]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    db, ids = hostile_db
    app = SlaboardApp(db, operator=OPERATOR, clock=lambda: NOW, settings=Settings(), theme="slaboard-dark", live=False)
    app.animation_level = "none"
    async with app.run_test(size=(220, 60)) as pilot:
        await settle(app, pilot)
        await _screens(ids)[screen][n](app, pilot)
        assert type(app.screen).__name__ == screen
        text = drawn(app)
        assert "evil" in text or screen in ("HelpScreen", "ConfirmDiscard", "ExportChooser"), text
        assert leaks(text) == []  # what reaches the terminal
        # Beneath the guard, each widget shows user text through plain(): visible stand-ins, in place.
        app._guard.enabled = False
        for widget in app.screen.walk_children():
            widget._styles_cache.clear()
        assert unsanitised(app) == []


async def test_the_wall_app_draws_no_raw_control_character(hostile_db: tuple[Path, dict[str, int]]) -> None:
    """``slaboard wall`` is an app of its own (the NOC screen): it has the guard too."""
    db, _ = hostile_db
    app = WallApp(db, clock=lambda: NOW, settings=Settings(), live=False, page_seconds=3600)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        text = drawn(app)
        assert "evil" in text
        assert leaks(text) == []
        app._guard.enabled = False
        for widget in app.screen.walk_children():
            widget._styles_cache.clear()
        assert unsanitised(app) == []
