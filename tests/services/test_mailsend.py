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


# --------------------------------------------------------------------- the acknowledgement


def test_a_new_mail_call_is_acknowledged_with_its_deadlines_and_that_is_no_response(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    # Van den Berg: Silver (weekdays 07:00-22:00), e-mail solved within 4 hours; a
    # mail call is P4 (respond within 4 hours). Reported Thu 10:00: both by 14:00.
    settings = settings_for(smtp_server)
    got = deliver(loaded_store, mail(), now, mail=settings)
    assert got.reason.endswith("; an acknowledgement is queued")
    flush(loaded_store, settings, now)
    [sent] = smtp_server.received
    message = sent.message()
    assert sent.rcpt_tos == ["marieke@vdberg-transport.example"]
    assert message["Subject"] == f"[SLA #{got.ticket_id}] Mail is down"
    assert message["In-Reply-To"] == "<m1@vdberg-transport.example>"
    assert message["Auto-Submitted"] == "auto-replied"  # the customer's autoresponder leaves it be
    text = message.get_content().replace("\r\n", "\n")
    assert text.startswith("Dear Marieke van den Berg,\n")
    assert ("Under your Silver contract we will respond by Thu 14:00 and aim to resolve it by Thu 14:00 "
            "(Europe/Amsterdam).") in text
    ticket = loaded_store.ticket(got.ticket_id)  # type: ignore[arg-type]
    assert ticket is not None and ticket.responded_at is None  # an automatic message answers nothing
    [entry] = [c for c in loaded_store.communications(ticket_id=ticket.id) if c.direction == "out"]
    assert (entry.operator, entry.channel) == ("mail", "email") and "respond by Thu 14:00" in entry.summary


def test_the_acknowledgement_counts_in_business_hours_past_the_evening(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    # Reported Thu 20:30: 1h30 left on Thursday (to 22:00), 2h30 from Friday 07:00.
    evening = now.replace(hour=20, minute=30)
    settings = settings_for(smtp_server)
    got = deliver(loaded_store, mail(), evening, mail=settings)
    subject, text = preview(loaded_store, settings, got.ticket_id, evening)  # type: ignore[arg-type]
    assert "we will respond by Fri 09:30 and aim to resolve it by Fri 09:30 (Europe/Amsterdam)" in text


def test_no_acknowledgement_without_mail_set_up_or_when_the_level_says_no(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer, sample_file: Path, tmp_path: Path) -> None:
    deliver(loaded_store, mail(), now)  # no mail settings
    deliver(loaded_store, mail(message_id="<m2@x>"), now, mail=settings_for(smtp_server, from_address=""))
    deliver(loaded_store, mail(message_id="<m3@x>"), now, mail=settings_for(smtp_server, acknowledge=False))
    assert loaded_store.outbox(everything=True) == []
    quiet = tmp_path / "quiet.toml"
    quiet.write_text(sample_file.read_text().replace('[levels.silver]\n', '[levels.silver]\nacknowledge = false\n'))
    load_files(loaded_store, [quiet], now)
    got = deliver(loaded_store, mail(message_id="<m4@x>"), now, mail=settings_for(smtp_server))
    assert got.reason.endswith("; its service level sends no acknowledgement")
    assert loaded_store.outbox(everything=True) == []


def test_a_broken_template_costs_the_acknowledgement_never_the_call(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer, tmp_path: Path) -> None:
    (tmp_path / "acknowledgement.txt").write_text("Subject: x\n\n{{ nonsense.here }}\n")
    got = deliver(loaded_store, mail(), now, mail=settings_for(smtp_server, templates=tmp_path))
    assert got.disposition == "opened" and "no acknowledgement was sent (mail template" in got.reason
    assert loaded_store.outbox(everything=True) == []
    assert [c for c in loaded_store.communications(ticket_id=got.ticket_id) if c.direction == "out"] == []


def test_unmatched_mail_named_later_is_acknowledged_with_deadlines_from_its_arrival(
        loaded_store: Store, now: datetime, smtp_server: SmtpServer) -> None:
    from slaboard.services.mailgate import assign_unmatched

    settings = settings_for(smtp_server)
    stranger = deliver(loaded_store, mail(sender="Kees <kees@gmail.example>", message_id="<u1@gmail.example>"),
                       now, mail=settings)
    assert stranger.disposition == "unmatched" and loaded_store.outbox(everything=True) == []
    [waiting] = loaded_store.unmatched_mail()
    view = assign_unmatched(loaded_store, int(waiting["id"]), "VDB", None, "ann", now + timedelta(hours=2),
                            mail=settings)
    assert view.ticket.reported_at == now  # its clocks run from its arrival at 10:00 ...
    flush(loaded_store, settings, now + timedelta(hours=2))
    [sent] = smtp_server.received
    assert sent.rcpt_tos == ["kees@gmail.example"]
    assert "respond by Thu 14:00" in sent.message().get_content()  # ... so it is due at 14:00, not 16:00
