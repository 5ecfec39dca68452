"""Mail that came in, on the screens: the board counts unmatched mail, triage shows
it first and makes a call of it for the customer chosen (or sets it aside), the
call's detail lists its attachments and saves one. Senders' text is shown as typed."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.mailgate import deliver
from slaboard.store import Store
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.triage import TriageScreen
from slaboard.tui.screens.unmatched import UnmatchedMailScreen
from slaboard.tui.widgets.dialogs import AttachmentChooser, SaveAttachmentDialog

from .conftest import BOARD_NOW, AppFactory, settle

M = timedelta(minutes=1)
ODD = "Scanner [bold]broken[/] \x1b[2J"


def mail(sender: str, subject: str, message_id: str, files: tuple[tuple[str, bytes], ...]) -> bytes:
    out = (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
           "It stopped at [red]nine[/red].\r\n").encode()
    for name, content in files:
        out += (f'--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(content)
    return out + b"--b--\r\n"


@pytest.fixture
def mail_db(tmp_path: Path) -> tuple[Path, int]:
    """A stranger's mail waiting (two files), and a contact's call with two files and one refused."""
    path = tmp_path / "mail.db"
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], BOARD_NOW - 30 * 24 * 60 * M)
        deliver(store, mail("Jan [x] <jan@mail.vdberg-transport.example>", ODD, "<u@x>", (("a[1].pdf", b"%PDF"),)),
                BOARD_NOW - 30 * M)
        opened = deliver(store, mail("marieke@vdberg-transport.example", "Printer", "<c@x>",
                                     (("one.pdf", b"%PDF-1"), ("two [b].pdf", b"%PDF-2"), ("big.iso", bytes(4096)))),
                         BOARD_NOW - 20 * M, attachment_limit=1024)
        assert opened.ticket_id is not None
    return path, opened.ticket_id


def text_of(screen: object, selector: str) -> str:
    return screen.query_one(selector, Static).render().plain  # type: ignore[attr-defined]


async def test_triage_shows_unmatched_mail_first_and_makes_a_call_of_it(mail_db: tuple[Path, int],
                                                                       make_app: AppFactory) -> None:
    path, _ = mail_db
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot.app, pilot)
        assert "1 unmatched mail waits" in text_of(app.screen, "#summary")
        await pilot.press("t")
        await settle(pilot.app, pilot)
        screen = app.screen
        assert isinstance(screen, UnmatchedMailScreen)
        head = text_of(screen, "#mail-head")
        assert "Jan [x] <jan@mail.vdberg-transport.example>" in head and "Scanner [bold]broken[/] ␛[2J" in head
        assert "It stopped at [red]nine[/red]." in text_of(screen, "#mail-text")
        assert "a[1].pdf" in text_of(screen, "#mail-files")
        await pilot.press("enter")  # the suggested customer is chosen already
        await settle(pilot.app, pilot)
        assert "opened for Van den Berg Transport" in text_of(screen, "#mail-message")
        await pilot.press("escape")
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, TriageScreen)
        assert "Scanner" in text_of(app.screen, "#call-title")  # the new call is one to triage now
    with Store.open(path) as store:
        [row] = [m for m in store.mail_messages() if m["message_id"] == "<u@x>"]
        assert row["disposition"] == "opened" and row["customer"] == "vdberg-transport"
        ticket = store.ticket(row["ticket_id"])
        assert ticket is not None and ticket.reported_at == BOARD_NOW - 30 * M
        assert store.count_unmatched_mail() == 0


async def test_unmatched_mail_set_aside_with_a_reason(mail_db: tuple[Path, int], make_app: AppFactory) -> None:
    path, _ = mail_db
    app = make_app(path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot.app, pilot)
        await pilot.press("t")
        await settle(pilot.app, pilot)
        await pilot.press("x")
        await settle(pilot.app, pilot)
        assert isinstance(app.focused, Input)
        await pilot.press(*"spam", "enter")
        await settle(pilot.app, pilot)
        assert "No more unmatched mail" in text_of(app.screen, "#mail-head")
    with Store.open(path) as store:
        [row] = [m for m in store.mail_messages() if m["message_id"] == "<u@x>"]
        assert row["disposition"] == "dismissed" and "anna" in row["reason"] and "spam" in row["reason"]
        assert store.count_tickets() == 1


async def test_the_detail_lists_attachments_and_saves_one(mail_db: tuple[Path, int], make_app: AppFactory,
                                                          tmp_path: Path) -> None:
    path, ticket_id = mail_db
    app = make_app(path)
    target = tmp_path / "out"
    target.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot.app, pilot)
        app.push_screen(TicketScreen(ticket_id))
        await settle(pilot.app, pilot)
        body = text_of(app.screen, "#body")
        assert "one.pdf" in body and "two [b].pdf" in body and "refused: over the 1.0 KB limit" in body
        await pilot.press("w")
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, AttachmentChooser)  # two kept: choose one
        await pilot.press("down", "enter")
        await settle(pilot.app, pilot)
        dialog = app.screen
        assert isinstance(dialog, SaveAttachmentDialog)
        box = dialog.query_one("#path", Input)
        assert box.value.endswith("two [b].pdf")
        box.value = str(target / "two.pdf")
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert (target / "two.pdf").read_bytes() == b"%PDF-2"
        # Again to the same name: refused, asked again with the reason.
        await pilot.press("w", "down", "enter")
        await settle(pilot.app, pilot)
        app.screen.query_one("#path", Input).value = str(target / "two.pdf")
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert isinstance(app.screen, SaveAttachmentDialog)
        assert "exists" in text_of(app.screen, "#problem")
        assert (target / "two.pdf").read_bytes() == b"%PDF-2"
