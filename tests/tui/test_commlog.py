"""The customer log, driven with the keyboard: the drafted notice for a call diagnosed
past its deadline is edited, copied and logged, and the call is no longer at risk;
any text is stored exactly and shown literally; a message without text or with a
promised time in the past is refused and nothing typed is lost; the call's log and
the customer's; promised times as operators write them; and what the screen looks
like at 80x24 and 160x48.

The database: the sample contract file, and two calls of Harbour & Finch (Gold,
24x7, Europe/London): an e-mail outage reported at 03:30 (P3: solved within 8h, so
due at 11:30 London time), diagnosed ten minutes before BOARD_NOW with a promised
time two days out, and a quiet printer call. Three messages were logged earlier."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from smtpserver import SmtpServer, settings_for
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea

from slaboard.resources import data_dir
from slaboard.services.comms import NewCommunication, communications_of, draft_notice, log_communication
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, get_view, open_call, update_ticket
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp
from slaboard.tui.screens.commlog import CommLogScreen, parse_promise
from slaboard.tui.screens.detail import TicketScreen

from .conftest import BOARD_NOW, OPERATOR, AppFactory, H, M, settle, type_text

LONDON = "Europe/London"
ODD_TEXT = "Printer [bold]on fire[/] see C:\\[temp] \x1b[31mred\x1b[0m [@click=app.quit]x[/] — مرحبا بالعالم 🔥🖨️ ok"


@pytest.fixture(scope="module")
def log_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("commlog") / "commlog.db"
    ids: dict[str, int] = {}
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], BOARD_NOW - 30 * 24 * H)
        reported = BOARD_NOW - 6 * H
        outage = NewCall(customer="HFL", service="email", title="Mail server rejects every message", impact=2, urgency=2,
                         caller="Tom Whitfield", reported_at=reported)
        ids["outage"] = open_call(store, outage, "bram", reported).ticket.id
        printer = NewCall(customer="HFL", service="workstations", title="Label printer prints blank labels",
                          reported_at=BOARD_NOW - H)
        ids["printer"] = open_call(store, printer, "bram", BOARD_NOW - H).ticket.id
        log_communication(store, NewCommunication(
            customer="HFL", ticket_id=ids["outage"], channel="phone", direction="in", contact="Tom Whitfield",
            summary="Tom: nobody has received mail since 04:00; the CEO waits for a signed contract"), "bram", reported)
        log_communication(store, NewCommunication(
            customer="HFL", ticket_id=ids["outage"], channel="phone", direction="out", contact="Tom Whitfield",
            summary="Told Tom we are on it and will call back within the hour."), "bram", reported + 10 * M)
        log_communication(store, NewCommunication(
            customer="HFL", channel="email", direction="out", contact="Olivia Hartley",
            summary="Sent the quarterly service report."), "anna", BOARD_NOW - 48 * H)
        update_ticket(store, ids["outage"], operator="anna", now=BOARD_NOW - 10 * M,
                      diagnosis="the spam filter's licence expired", expected=BOARD_NOW + 2 * 24 * H)
    return path, ids


@pytest.fixture
def log_db(log_master: tuple[Path, dict[str, int]], tmp_path: Path) -> tuple[Path, dict[str, int]]:
    source, ids = log_master
    return Path(shutil.copy(source, tmp_path / "commlog.db")), dict(ids)




def log_screen(app: SlaboardApp) -> CommLogScreen:
    assert isinstance(app.screen, CommLogScreen), f"expected the customer log, got {type(app.screen).__name__}"
    return app.screen


def static_text(app: SlaboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def shown_entries(app: SlaboardApp) -> list[str]:
    entries = app.screen.query_one("#log-entries", OptionList)
    return [str(entries.get_option_at_index(i).prompt) for i in range(entries.option_count)]


def stored(path: Path, ticket_id: int) -> list:  # type: ignore[type-arg]
    with Store.open(path) as store:
        return communications_of(store, ticket_id=ticket_id)


# --------------------------------------------------------------------- the notice


async def test_at_risk_call_offers_the_draft_and_logging_it_tells_the_customer(
        log_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, ids = log_db
    outage = ids["outage"]
    with Store.open(path) as store:
        view = get_view(store, outage, BOARD_NOW)
        assert view.at_risk and view.ticket.customer_told_at is None
        draft = draft_notice(view, OPERATOR, BOARD_NOW)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=outage)  # what l does on the board with the call selected
        await settle(app, pilot)
        screen = log_screen(app)
        assert screen.query_one("#log-notice").display
        assert f"#{outage} is at risk" in static_text(app, "#log-notice")
        assert len(shown_entries(app)) == 2  # this call's two messages, newest first
        assert shown_entries(app)[0].startswith("Thu 26 Nov 03:40  bram  → phone   Tom Whitfield")

        await pilot.press("d")
        said = screen.query_one("#log-said", TextArea)
        assert app.focused is said and said.text == draft
        assert "Your Gold contract promises a solution within 8 hours of business time" in said.text
        assert screen.query_one("#log-tells", Checkbox).value is True
        assert screen.query_one("#log-channel", Select).value == "email"
        assert screen.query_one("#log-contact", Input).value == "Tom Whitfield"
        assert screen.query_one("#log-promised", Input).value == "2026-11-28 09:30"  # the promise, in London time
        assert "Sat 28 Nov 09:30 GMT · in 2d · past the deadline" in static_text(app, "#log-promised-hint")

        # The operator edits the draft, copies it for the e-mail and logs it.
        await pilot.press("end")
        await type_text(pilot, " (Anna)")
        await pilot.press("ctrl+t")
        assert app.clipboard == draft.replace("Dear Tom Whitfield,", "Dear Tom Whitfield, (Anna)", 1)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        # The form closes, the log shows the notice on top and offers no draft any more.
        assert not screen.query_one("#log-form").has_class("-shown")
        assert not screen.query_one("#log-notice").display
        assert screen.check_action("draft", ()) is False
        first = shown_entries(app)[0]
        assert first.startswith("Thu 26 Nov 09:30  anna  → email   Tom Whitfield\n  Dear Tom Whitfield, (Anna)")
        assert "promised Sat 28 Nov 09:30 · told the customer a target will be missed" in first
        assert screen.query_one("#log-entries", OptionList).highlighted == 0

    entries = stored(path, outage)
    assert len(entries) == 3
    newest = entries[0]
    assert newest.summary == app.clipboard and newest.tells_of_miss and newest.direction == "out"
    assert (newest.operator, newest.channel, newest.contact) == (OPERATOR, "email", "Tom Whitfield")
    assert newest.at == BOARD_NOW and newest.promised_at == BOARD_NOW + 2 * 24 * H
    with Store.open(path) as store:
        ticket = store.ticket(outage)
        assert ticket is not None and ticket.customer_told_at == BOARD_NOW
        assert ticket.expected_at == BOARD_NOW + 2 * 24 * H  # the promise itself did not move
        assert not get_view(store, outage, BOARD_NOW).at_risk
        assert any(e.kind == "told" and e.operator == OPERATOR for e in store.events(outage))


async def test_the_drafted_notice_is_sent_by_mail_from_the_log(
        log_db: tuple[Path, dict[str, int]], smtp_server: SmtpServer) -> None:
    path, ids = log_db
    outage = ids["outage"]
    settings = Settings(mail=settings_for(smtp_server, flush_interval=0))
    app = SlaboardApp(path, operator=OPERATOR, clock=lambda: BOARD_NOW, settings=settings, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=outage)
        await settle(app, pilot)
        screen = log_screen(app)
        assert screen.check_action("send", ()) is False  # no form yet
        await pilot.press("d")
        assert screen.check_action("send", ()) is True
        assert "send it (ctrl+r)" in static_text(app, "#log-form-title")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        error = static_text(app, "#log-form-error")
        assert not screen.query_one("#log-form").has_class("-shown"), error
        await settle(app, pilot)
        assert "✉ sent Thu 26 Nov 09:30" in shown_entries(app)[0]
    [got] = smtp_server.received
    message = got.message()
    assert got.rcpt_tos == ["tom.whitfield@harbourfinch.example"]  # the contact in the form, from the contract file
    assert message["Subject"] == f"Re: [SLA #{outage}] Mail server rejects every message"
    assert "Dear Tom Whitfield," in message.get_content()
    newest = stored(path, outage)[0]
    assert (newest.channel, newest.direction, newest.tells_of_miss) == ("email", "out", True)
    with Store.open(path) as store:
        ticket = store.ticket(outage)
        assert ticket is not None and ticket.customer_told_at == BOARD_NOW
        assert [m["status"] for m in store.outbox(everything=True)] == ["sent"]


async def test_mail_that_cannot_leave_now_waits_and_the_board_counts_it(
        log_db: tuple[Path, dict[str, int]]) -> None:
    path, ids = log_db
    settings = Settings(mail=settings_for(None, flush_interval=0))  # a server that is down
    app = SlaboardApp(path, operator=OPERATOR, clock=lambda: BOARD_NOW, settings=settings, live=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "unsent" not in str(app.screen.query_one("#summary", Static).render())
        app.action_comm_log(ticket_id=ids["outage"])
        await settle(app, pilot)
        await pilot.press("n")
        await type_text(pilot, "We are on it.")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        said = shown_entries(app)[0]
        assert "✉ waiting in the outbox, next try Thu 26 Nov 09:31 (try 1: " in said, said
        await pilot.press("escape")
        app.board_changed()
        await settle(app, pilot)
        assert "✉ 1 unsent" in str(app.screen.query_one("#summary", Static).render())
    with Store.open(path) as store:
        [waiting] = store.outbox()
        assert waiting["status"] == "queued" and waiting["attempts"] == 1 and waiting["last_error"]


def test_the_log_says_when_mail_failed_or_its_sender_stopped() -> None:
    from slaboard.services.access import MailState
    from slaboard.tui.screens.commlog import mail_line

    failed = MailState(7, "failed", 8, BOARD_NOW, "550 5.1.1 [no] such user\x1b[2J", None, None)
    said = mail_line(failed, LONDON, BOARD_NOW)
    assert said.plain == "  ✉ NOT SENT: 550 5.1.1 [no] such user␛[2J (slaboard mail retry 7)"
    stale = MailState(8, "sending", 0, BOARD_NOW, "", None, BOARD_NOW - M)
    assert "its sender stopped while sending it; 'slaboard mail retry 8'" in mail_line(stale, LONDON, BOARD_NOW).plain
    sending = MailState(9, "sending", 0, BOARD_NOW, "", None, BOARD_NOW + M)
    assert mail_line(sending, LONDON, BOARD_NOW).plain == "  ✉ being sent"


async def test_without_mail_settings_the_log_offers_no_sending(log_db: tuple[Path, dict[str, int]],
                                                              make_app: AppFactory) -> None:
    path, ids = log_db
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=ids["outage"])
        await settle(app, pilot)
        await pilot.press("d")
        assert log_screen(app).check_action("send", ()) is False
        await pilot.press("ctrl+r")  # nothing happens: the key is not offered
        await settle(app, pilot)
        assert log_screen(app).query_one("#log-form").has_class("-shown")
    with Store.open(path) as store:
        assert store.outbox(everything=True) == []


# --------------------------------------------------------------------- user text


async def test_any_text_is_stored_exactly_and_shown_literally(log_db: tuple[Path, dict[str, int]],
                                                              make_app: AppFactory) -> None:
    path, ids = log_db
    printer = ids["printer"]
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=printer)
        await settle(app, pilot)
        screen = log_screen(app)
        assert not screen.query_one("#log-notice").display and screen.check_action("draft", ()) is False
        assert "No messages logged yet" in shown_entries(app)[0]
        await pilot.press("n")
        assert app.focused is screen.query_one("#log-said", TextArea)
        app.post_message(events.Paste(ODD_TEXT + "\nsecond line"))  # pasted from an e-mail, as the terminal sends it
        await pilot.pause()
        await pilot.press("shift+tab")  # back to the contact: a suggestion from the customer's contacts
        assert app.focused is screen.query_one("#log-contact", Input)
        assert app.focused.value == ""  # the call has no caller to fill in
        await type_text(pilot, "oli")
        await pilot.press("right")  # takes the suggestion
        assert app.focused.value == "Olivia Hartley"
        assert "Operations director" in static_text(app, "#log-contact-hint")
        await pilot.press("tab", "tab")  # past the text, to the promised time
        assert app.focused is screen.query_one("#log-promised", Input)
        await type_text(pilot, "in 4h")
        assert static_text(app, "#log-promised-hint") == "Thu 26 Nov 13:30 GMT · in 4h00m"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        first = shown_entries(app)[0]
        assert app.is_running  # the [@click=app.quit] in the text is text
    entries = stored(path, printer)
    assert [e.summary for e in entries] == [ODD_TEXT + "\nsecond line"]
    assert entries[0].contact == "Olivia Hartley" and entries[0].promised_at == BOARD_NOW + 4 * H
    assert not entries[0].tells_of_miss
    # Shown as typed: brackets kept, the escape character as a visible ␛, both lines.
    assert ODD_TEXT.replace("\x1b", "␛") in first and "\n  second line" in first
    assert "\x1b" not in first
    with Store.open(path) as store:
        ticket = store.ticket(printer)
        assert ticket is not None and ticket.expected_at == BOARD_NOW + 4 * H  # a promise becomes the expected time


# --------------------------------------------------------------------- bad input


async def test_empty_text_or_a_past_promise_cannot_be_saved_and_nothing_is_lost(
        log_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, ids = log_db
    outage = ids["outage"]
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=outage)
        await settle(app, pilot)
        screen = log_screen(app)
        await pilot.press("n")
        await pilot.press("tab")  # to the promised time
        await type_text(pilot, "08:00")  # today, in the customer's zone: already past
        hint = screen.query_one("#log-promised-hint", Static)
        assert "is in the past" in str(hint.render()) and hint.has_class("-error")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Not saved: required: say what was said" in static_text(app, "#log-form-error")
        assert app.focused is screen.query_one("#log-said", TextArea)  # where the problem is
        await type_text(pilot, "   ")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert len(stored(path, outage)) == 2
        await pilot.press("ctrl+u", "ctrl+a")
        await type_text(pilot, "Rang Tom")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Not saved: Thu 26 Nov 08:00 GMT is in the past" in static_text(app, "#log-form-error")
        assert app.focused is screen.query_one("#log-promised", Input)
        assert len(stored(path, outage)) == 2
        # esc closes the form and keeps it; n brings it back as it was.
        await pilot.press("escape")
        assert not screen.query_one("#log-form").has_class("-shown")
        assert isinstance(app.screen, CommLogScreen)
        await pilot.press("n")
        said = screen.query_one("#log-said", TextArea)
        assert said.text.strip() == "Rang Tom"
        assert screen.query_one("#log-promised", Input).value == "08:00"
        await pilot.press("tab")
        await pilot.press("ctrl+u")
        await type_text(pilot, "+2h")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    entries = stored(path, outage)
    assert len(entries) == 3 and entries[0].summary.strip() == "Rang Tom"
    assert entries[0].promised_at == BOARD_NOW + 2 * H
    assert entries[0].contact == "Tom Whitfield"  # the call's caller, filled in


# --------------------------------------------------------------------- scope


async def test_the_call_log_the_customer_log_and_opening_a_call(log_db: tuple[Path, dict[str, int]],
                                                                make_app: AppFactory) -> None:
    path, ids = log_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=ids["outage"])
        await settle(app, pilot)
        assert len(shown_entries(app)) == 2
        await pilot.press("a")
        await settle(app, pilot)
        entries = shown_entries(app)
        assert len(entries) == 3 and "Olivia Hartley" in entries[2] and "Sent the quarterly service report." in entries[2]
        assert static_text(app, "#log-scope").startswith("all of the customer's messages")
        await pilot.press("a")
        await settle(app, pilot)
        assert len(shown_entries(app)) == 2
        await pilot.press("enter")  # on a message about a call: open the call
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == ids["outage"]
        await pilot.press("escape", "escape")
        assert not isinstance(app.screen, CommLogScreen)

        # The customer's log, found by part of a contact's name; nothing to draft.
        app.action_comm_log(customer="olivia")
        await settle(app, pilot)
        screen = log_screen(app)
        assert len(shown_entries(app)) == 3 and screen.check_action("scope", ()) is False
        await pilot.press("escape")

        # Neither call nor customer: find the customer first.
        app.action_comm_log()
        await settle(app, pilot)
        assert isinstance(app.focused, Input)
        await type_text(pilot, "harb")
        await pilot.press("enter")
        await settle(app, pilot)
        assert log_screen(app).log_data is not None and len(shown_entries(app)) == 3


async def test_unknown_ticket_is_one_line(log_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, _ = log_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_comm_log(ticket_id=999)
        await settle(app, pilot)
        assert log_screen(app).error == "no ticket #999"
        assert shown_entries(app) == ["no ticket #999"]
        await pilot.press("n")  # nothing to log against
        assert not app.screen.query_one("#log-form").has_class("-shown")


# --------------------------------------------------------------------- promised times


@pytest.mark.parametrize(("text", "expected"), [
    ("", None),
    ("+4h", BOARD_NOW + 4 * H),
    ("in 4h", BOARD_NOW + 4 * H),
    ("in 2h30m", BOARD_NOW + 2 * H + 30 * M),
    ("+ 90m", BOARD_NOW + 90 * M),
    ("in 2 days", BOARD_NOW + 48 * H),
    ("in 1 hour and 15 minutes", BOARD_NOW + 75 * M),
    ("tomorrow 12:00", datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo(LONDON))),
    ("Tomorrow 9:05", datetime(2026, 11, 27, 9, 5, tzinfo=ZoneInfo(LONDON))),
    ("today 17:30", datetime(2026, 11, 26, 17, 30, tzinfo=ZoneInfo(LONDON))),
    ("17:30", datetime(2026, 11, 26, 17, 30, tzinfo=ZoneInfo(LONDON))),
    ("fri 09:00", datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo(LONDON))),
    ("thursday 09:00", datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo(LONDON))),  # said on a Thursday: next week
    ("2026-11-27 12:00", datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo(LONDON))),
    ("2026-11-27T12:00+01:00", datetime(2026, 11, 27, 11, 0, tzinfo=ZoneInfo(LONDON))),
    ("2026-11-27T11:00Z", datetime(2026, 11, 27, 11, 0, tzinfo=ZoneInfo(LONDON))),
])
def test_promised_times_as_operators_write_them(text: str, expected: datetime | None) -> None:
    assert parse_promise(text, BOARD_NOW, LONDON) == expected


@pytest.mark.parametrize(("text", "says"), [
    ("soon", "is not a time"),
    ("tomorrow", "give a time too"),
    ("2026-11-27", "give a time too"),
    ("tomorrow 25:00", "is not a time of day"),
    ("+4 weeks", "is not a unit"),
    ("in 0h", "a time after now"),
    ("+4x", "is not a unit"),
    ("in a while", "is not a duration"),
])
def test_promised_times_that_cannot_be_read(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_promise(text, BOARD_NOW, LONDON)


# --------------------------------------------------------------------- snapshots


def _open_log(*keys: str, **where: object):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        pilot.app.action_comm_log(**where)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False

    return run_before


def test_commlog_at_risk_call_80x24(snap_compare, log_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(log_db[0]), terminal_size=(80, 24), run_before=_open_log(ticket_id=log_db[1]["outage"]))


def test_commlog_customer_160x48(snap_compare, log_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(log_db[0]), terminal_size=(160, 48),
                        run_before=_open_log("a", ticket_id=log_db[1]["outage"]))


def test_commlog_draft_notice_80x24(snap_compare, log_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(log_db[0]), terminal_size=(80, 24), run_before=_open_log("d", ticket_id=log_db[1]["outage"]))


def test_commlog_draft_notice_160x48(snap_compare, log_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(log_db[0]), terminal_size=(160, 48), run_before=_open_log("d", ticket_id=log_db[1]["outage"]))
