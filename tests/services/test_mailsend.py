"""Mail to a customer about a call, end to end against a real SMTP server (aiosmtpd
on loopback) on both engines: an operator's reply goes to whoever wrote, carries
the call's tag and threads on the customer's mail; it is the call's response; the
customer's answer to it finds the call again; the drafted notice goes out as the
notice; the acknowledgement of a new mail call names its contract's deadlines in
the customer's zone, or says the work is billable; its wording is a template an
MSP can change."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from smtpserver import SmtpServer, settings_for

from slaboard.services.comms import draft_notice
from slaboard.services.loading import load_files
from slaboard.services.mailgate import deliver
from slaboard.services.mailout import MailError, flush
from slaboard.services.mailsend import deadline_text, preview, send_message
from slaboard.services.mailtemplates import TemplateError
from slaboard.services.tickets import get_view, update_ticket
from slaboard.store import Store

from .test_mailgate import mail


def opened(store: Store, now: datetime, **more: object) -> int:
    got = deliver(store, mail(**more), now)  # type: ignore[arg-type]
    assert got.disposition == "opened" and got.ticket_id is not None
    return got.ticket_id


def test_a_reply_goes_to_the_sender_with_the_tag_and_threads_on_their_mail(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    ticket_id = opened(loaded_store, now)
    later = now + timedelta(minutes=12)
    sent = send_message(loaded_store, settings, ticket_id=ticket_id, text="We are looking at it now.",
                        operator="ann", now=later)
    assert smtp_server.received == []  # nothing leaves before a flush: the outbox holds it
    report = flush(loaded_store, settings, later)
    assert report.sent_ids == [sent.outbox_id]
    [got] = smtp_server.received
    message = got.message()
    assert got.rcpt_tos == ["marieke@vdberg-transport.example"]  # as the sender wrote it, lower case
    assert message["Subject"] == f"Re: [SLA #{ticket_id}] Mail is down"
    assert message["In-Reply-To"] == "<m1@vdberg-transport.example>"
    assert message["Message-ID"] == loaded_store.outbox_message(sent.outbox_id)["message_id"]  # type: ignore[index]
    assert message.get_content().strip() == "We are looking at it now."
    # Logged as sent by the operator, and it is the call's response.
    [entry] = [c for c in loaded_store.communications(ticket_id=ticket_id) if c.direction == "out"]
    assert (entry.operator, entry.channel, entry.contact) == ("ann", "email", "Marieke van den Berg")
    ticket = loaded_store.ticket(ticket_id)
    assert ticket is not None and ticket.responded_at == later
    # The customer's answer to it finds the call, with no tag in its subject.
    answer = deliver(loaded_store, mail(subject="Re: Mail is down", message_id="<m2@vdberg-transport.example>",
                                        extra=f"In-Reply-To: {message['Message-ID']}"), later + timedelta(minutes=5))
    assert (answer.disposition, answer.ticket_id) == ("logged", ticket_id)


def test_a_second_reply_keeps_the_first_response_and_refers_to_the_whole_thread(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    ticket_id = opened(loaded_store, now)
    first = send_message(loaded_store, settings, ticket_id=ticket_id, text="On it.", operator="ann",
                         now=now + timedelta(minutes=5))
    second = send_message(loaded_store, settings, ticket_id=ticket_id, text="Fixed, please check.",
                          operator="bob", now=now + timedelta(minutes=50))
    flush(loaded_store, settings, now + timedelta(minutes=50))
    ids = [loaded_store.outbox_message(i)["message_id"] for i in (first.outbox_id, second.outbox_id)]  # type: ignore[index]
    last = smtp_server.received[-1].message()
    assert last["References"].split() == ["<m1@vdberg-transport.example>", ids[0]]
    ticket = loaded_store.ticket(ticket_id)
    assert ticket is not None and ticket.responded_at == now + timedelta(minutes=5)


def test_the_drafted_notice_goes_out_as_the_notice_with_its_promise(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    ticket_id = opened(loaded_store, now)
    promised = now + timedelta(hours=6)
    update_ticket(loaded_store, ticket_id, operator="ann", now=now + timedelta(minutes=3), expected=promised)
    view = get_view(loaded_store, ticket_id, now + timedelta(minutes=4))
    text = draft_notice(view, "ann", now)
    sent = send_message(loaded_store, settings, ticket_id=ticket_id, text=text, operator="ann",
                        now=now + timedelta(minutes=4), notice=True, promised_at=promised)
    flush(loaded_store, settings, now + timedelta(minutes=4))
    [got] = smtp_server.received
    assert "We now expect to have it solved by Thursday 26 November at 16:00." in got.message().get_content()
    entry = sent.communication
    assert entry.tells_of_miss and entry.promised_at == promised
    ticket = loaded_store.ticket(ticket_id)
    assert ticket is not None and ticket.customer_told_at is not None


def test_a_call_with_no_address_is_refused_and_nothing_is_logged(small_store: Store, now: datetime) -> None:
    from slaboard.services.tickets import NewCall, open_call

    acme = open_call(small_store, NewCall(customer="acme", service="email", title="Mail", caller="jan de vries"),
                     "ann", now)
    # No mail came in on it: its caller's address from the contract file.
    sent = send_message(small_store, settings_for(None), ticket_id=acme.ticket.id, text="x", operator="ann", now=now)
    assert sent.to == ("Jan de Vries", "jan@acme.example")
    tulip = open_call(small_store, NewCall(customer="tulip", service="email", title="Mail"), "ann", now)
    with pytest.raises(MailError, match=r"#\d+ has no address to write to.*TUL has no contact with an e-mail"):
        send_message(small_store, settings_for(None), ticket_id=tulip.ticket.id, text="x", operator="ann", now=now)
    assert small_store.communications(ticket_id=tulip.ticket.id) == []
    assert len(small_store.outbox()) == 1  # only the message to Acme


def test_deadlines_read_as_the_customer_reads_them() -> None:
    from zoneinfo import ZoneInfo

    ams = ZoneInfo("Europe/Amsterdam")
    now = datetime(2026, 11, 26, 10, 0, tzinfo=ams)
    assert deadline_text(datetime(2026, 11, 26, 14, 0, tzinfo=ams), "Europe/Amsterdam", now) == "Thu 14:00"
    assert deadline_text(datetime(2026, 11, 27, 9, 30, tzinfo=ams), "America/New_York", now) == "Fri 03:30"
    assert deadline_text(datetime(2026, 12, 8, 9, 30, tzinfo=ams), "Europe/Amsterdam", now) == "Tue 8 Dec 09:30"
    assert deadline_text(None, "Europe/Amsterdam", now) is None


def test_a_template_an_msp_writes_is_used_and_its_mistakes_are_named(
        loaded_store: Store, now: datetime, tmp_path: Path) -> None:
    ticket_id = opened(loaded_store, now)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "acknowledgement.txt").write_text("Subject: Got it: {{ call.title }}\n\nThanks, {{ contact }}.\n")
    subject, text = preview(loaded_store, settings_for(None, templates=folder), ticket_id, now)
    assert (subject, text) == ("Got it: Mail is down", "Thanks, Marieke van den Berg.\n")
    (folder / "acknowledgement.txt").write_text("Subject: x\n\n{{ call.titel }}\n")
    with pytest.raises(TemplateError, match="acknowledgement.txt.*titel"):
        preview(loaded_store, settings_for(None, templates=folder / "."), ticket_id, now)
    (folder / "acknowledgement.txt").write_text("Hello {% if %}\n")
    with pytest.raises(TemplateError, match=r"acknowledgement.txt, line 1"):
        preview(loaded_store, settings_for(None, templates=folder / ".."  / "templates"), ticket_id, now)
    (folder / "acknowledgement.txt").write_text("Hello\n")
    with pytest.raises(TemplateError, match="must begin with a line 'Subject: ...'"):
        preview(loaded_store, settings_for(None, templates=str(folder) + "/"), ticket_id, now)


def test_a_template_cannot_reach_into_slaboard(loaded_store: Store, now: datetime, tmp_path: Path) -> None:
    ticket_id = opened(loaded_store, now)
    (tmp_path / "acknowledgement.txt").write_text(
        "Subject: x\n\n{{ call.__class__.__mro__[1].__subclasses__() }}\n")
    with pytest.raises(TemplateError):
        preview(loaded_store, settings_for(None, templates=tmp_path), ticket_id, now)


def uncovered_file(tmp_path: Path, small_file: Path) -> Path:
    text = small_file.read_text().replace('code = "TUL"\n', 'code = "TUL"\ndomains = ["tulip.example"]\n'
                                                          'mail_service = "network"\n')
    path = tmp_path / "uncovered.toml"
    path.write_text(text)
    return path


def test_uncovered_work_is_named_billable_at_the_contracts_rate(
        empty_store: Store, now: datetime, tmp_path: Path, small_file: Path) -> None:
    load_files(empty_store, [uncovered_file(tmp_path, small_file)], now)
    ticket_id = opened(empty_store, now, sender="Lisa <lisa@tulip.example>", message_id="<t1@tulip.example>",
                       subject="Switch dead")
    subject, text = preview(empty_store, settings_for(None), ticket_id, now)
    assert subject == f"[SLA #{ticket_id}] Switch dead"
    assert "Your contract does not cover Network, so this is billable work at EUR 125 an hour." in text
    assert "respond by" not in text
