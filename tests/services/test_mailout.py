"""Mail that leaves, against a real SMTP server the tests start (aiosmtpd on a
loopback port): a message is composed with no header that data could add, queued
in the caller's transaction, sent after commit exactly as stored, retried with
back-off when the server is down or says 451, failed (and kept) after 8 refusals,
never sent again when a sender stopped mid-send, and sent once when two processes
flush at once, on both engines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import start_or_skip
from smtpserver import TLS_PASSWORD, SmtpServer, settings_for

from slaboard.services.mailout import (
    CLAIM,
    MailError,
    MailSettings,
    SendError,
    compose,
    enqueue,
    flush,
    mail_settings,
    new_message_id,
    retry,
    send_test,
    unsent,
)
from slaboard.services.tickets import NewCall, open_call
from slaboard.settings import Settings, load_settings, parse_smtp
from slaboard.store import Store

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = TLS_PASSWORD
JAN = ("Jan de Vries", "jan@acme.example")


@pytest.fixture
def server(smtp_server: SmtpServer) -> SmtpServer:
    return smtp_server


def queue(store: Store, settings: MailSettings, now: datetime, **more: object) -> int:
    values: dict[str, object] = {"kind": "update", "to": [JAN], "subject": "[SLA #1001] Mail is down",
                                 "body": "We are on it.", **more}
    return enqueue(store, settings, now=now, **values)  # type: ignore[arg-type]


def parsed(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def row(store: Store, outbox_id: int) -> dict:
    found = store.outbox_message(outbox_id)
    assert found is not None
    return found


# ------------------------------------------------------------------ composing


def test_a_message_carries_the_headers_a_mail_program_and_a_reply_need(now: datetime) -> None:
    settings = settings_for(None)
    message = compose(settings, to=[JAN], cc=[("", "ops@acme.example")], subject="Re: [SLA #1001] Mail is down",
                      body="Fixed.\nRegards", message_id="<m1.slaboard@msp.example>", in_reply_to="<c2@acme.example>",
                      references=["<c1@acme.example>", "<c2@acme.example>"], date=now, kind="update")
    got = parsed(message.as_bytes(policy=policy.SMTP))
    assert str(got["From"]) == "Example MSP service desk <support@msp.example>"
    assert str(got["To"]) == "Jan de Vries <jan@acme.example>" and str(got["Cc"]) == "ops@acme.example"
    assert got["Message-ID"] == "<m1.slaboard@msp.example>" and got["In-Reply-To"] == "<c2@acme.example>"
    assert got["References"] == "<c1@acme.example> <c2@acme.example>"  # the reply's own id once, last
    assert got["Date"].datetime == now and got["X-Slaboard-Kind"] == "update"
    assert got["Auto-Submitted"] is None  # a person's message: an autoresponder may answer it
    assert got.get_content_type() == "text/plain" and got.get_content_charset() == "utf-8"
    assert got.get_content().replace("\r\n", "\n") == "Fixed.\nRegards\n"  # lines end in CRLF on the wire


@pytest.mark.parametrize("kind", ["acknowledgement", "escalation"])
def test_automatic_messages_say_so_so_that_autoresponders_do_not_loop(kind: str, now: datetime) -> None:
    message = compose(settings_for(None), to=[JAN], subject="s", body="b", message_id="<a@msp.example>", date=now,
                      kind=kind)
    assert message["Auto-Submitted"] == "auto-replied"


def test_non_ascii_names_subjects_and_text_travel_as_seven_bit_encoded_words(now: datetime) -> None:
    settings = replace(settings_for(None), name="Dienstverlening Zuid — Müller")
    message = compose(settings, to=[("Zoë Ångström", "zoe@acme.example")], subject="Storing: e-mail ligt eruit ✉",
                      body="Geachte heer Müller,\nhet is opgelost.", message_id="<u@msp.example>", date=now)
    raw = message.as_bytes(policy=policy.SMTP)
    assert raw.isascii()  # passes any server, 8BITMIME or not
    assert b"=?utf-8?" in raw and "Zoë".encode() not in raw
    got = parsed(raw)
    assert str(got["Subject"]) == "Storing: e-mail ligt eruit ✉"
    assert got["To"].addresses[0].display_name == "Zoë Ångström"
    assert got["From"].addresses[0].display_name == "Dienstverlening Zuid — Müller"
    assert got.get_content().replace("\r\n", "\n") == "Geachte heer Müller,\nhet is opgelost.\n"


HOSTILE = ["Down\r\nBcc: evil@attacker.example", "Down\nX-Injected: 1", "Down\rBcc: evil@attacker.example",
           "Down\x00\x1b]52;c;evil\x07 \x85Bcc: e@x.example\u2028Bcc: f@x.example"]


@pytest.mark.parametrize("title", HOSTILE)
def test_cr_lf_in_a_title_or_a_name_cannot_add_a_header(server: SmtpServer, empty_store: Store, now: datetime,
                                                        title: str) -> None:
    settings = settings_for(server)
    with empty_store.write():
        queue(empty_store, settings, now, subject=f"[SLA #1001] {title}", to=[(title, "jan@acme.example")])
    assert flush(empty_store, settings, now).sent == 1
    [got] = server.received
    assert got.rcpt_tos == ["jan@acme.example"]
    message = got.message()
    assert sorted(message.keys()) == sorted(["Date", "From", "To", "Subject", "Message-ID", "X-Slaboard-Kind",
                                             "Content-Type", "Content-Transfer-Encoding", "MIME-Version"])
    assert not re.search(rb"^(Bcc|X-Injected):", got.data, re.M | re.I)
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert str(message["Subject"]).startswith("[SLA #1001] Down ")


@pytest.mark.parametrize("address", ["jan", "jan@", "@acme.example", "jan@@acme.example", "jan@x@acme.example",
                                     "jan de vries@acme.example", "jan@acme", "jan@acme.example\r\nBcc: e@x.example",
                                     "jan\n@acme.example", "jan@-acme.example", "jan@acme..example", ".jan@acme.example",
                                     "jan@127.0.0.1", "j" * 250 + "@acme.example", "jän@acme.example", "jan@ac me.example"])
def test_a_bad_address_is_refused_by_name_and_nothing_is_queued(empty_store: Store, now: datetime,
                                                                address: str) -> None:
    with pytest.raises(MailError, match="is not a mail address"):
        queue(empty_store, settings_for(None), now, to=[("Jan", address)])
    assert empty_store.outbox(everything=True) == [] and empty_store.mail_messages() == []


def test_a_message_id_is_slaboards_own_and_new_each_time() -> None:
    settings = settings_for(None)
    one, two = new_message_id(settings), new_message_id(settings)
    assert one != two and re.fullmatch(r"<[0-9a-f]{24}\.slaboard@msp\.example>", one)


# ------------------------------------------------------------------ the outbox


def test_a_queued_message_is_sent_after_commit_exactly_as_stored(server: SmtpServer, small_store: Store,
                                                                 now: datetime) -> None:
    settings = settings_for(server)
    with small_store.write():
        call = open_call(small_store, NewCall(customer="acme", service="email", title="Mail is down"), "ann", now)
        outbox_id = queue(small_store, settings, now, ticket_id=call.ticket.id, customer="acme",
                          in_reply_to="<c1@acme.example>")
        assert server.received == []  # nothing leaves inside the transaction
    stored = row(small_store, outbox_id)
    assert (stored["status"], stored["attempts"], stored["ticket_id"]) == ("queued", 0, call.ticket.id)
    assert unsent(small_store) == 1
    report = flush(small_store, settings, now)
    assert (report.sent, report.retrying, report.failed, report.waiting, report.problem) == (1, 0, 0, 0, "")
    [got] = server.received
    assert got.data == stored["message"].encode() and got.mail_from == "support@msp.example"
    sent = row(small_store, outbox_id)
    assert sent["status"] == "sent" and sent["sent_at"] is not None and unsent(small_store) == 0
    [recorded] = small_store.mail_messages(call.ticket.id)
    assert (recorded["direction"], recorded["disposition"], recorded["customer"]) == ("out", "sent", "acme")
    assert recorded["message_id"] == stored["message_id"] == str(got.message()["Message-ID"])
    assert small_store.mail_ticket([stored["message_id"]]) == call.ticket.id  # a reply finds the call
    assert flush(small_store, settings, now + timedelta(hours=1)).sent == 0 and len(server.received) == 1


def test_a_message_of_a_transaction_rolled_back_is_never_sent(server: SmtpServer, empty_store: Store,
                                                              now: datetime) -> None:
    settings = settings_for(server)
    with pytest.raises(RuntimeError), empty_store.write():
        queue(empty_store, settings, now)
        raise RuntimeError("the caller's change failed")
    assert empty_store.outbox(everything=True) == [] and empty_store.mail_messages() == []
    assert flush(empty_store, settings, now).sent == 0 and server.received == []


def test_a_server_that_is_down_backs_off_1_2_4_8_minutes_up_to_an_hour(empty_store: Store, now: datetime) -> None:
    down = settings_for(None)
    outbox_id = queue(empty_store, down, now)
    at, waits = now, []
    for attempt in range(1, 10):
        report = flush(empty_store, down, at)
        assert (report.sent, report.retrying, report.waiting) == (0, 1, 1) and "cannot use" in report.problem
        got = row(empty_store, outbox_id)
        assert got["status"] == "queued" and got["attempts"] == attempt and "refused" in got["last_error"].lower()
        due = datetime.fromisoformat(got["next_attempt_at"])
        waits.append(int((due - at).total_seconds() // 60))
        assert flush(empty_store, down, due - timedelta(seconds=1)).retrying == 0  # not due yet: not tried
        at = due
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert row(empty_store, outbox_id)["status"] == "queued"  # a server down never fails a message


def test_a_message_waits_while_the_server_is_down_and_goes_when_it_is_back(empty_store: Store,
                                                                            now: datetime) -> None:
    server = start_or_skip(lambda: SmtpServer().start(), "aiosmtpd (SMTP)")
    try:
        settings = settings_for(server)
        first, second = queue(empty_store, settings, now), queue(empty_store, settings, now)
        server.stop_accepting()
        report = flush(empty_store, settings, now)
        assert (report.sent, report.retrying, report.waiting) == (0, 2, 2) and report.problem
        assert all(row(empty_store, i)["last_error"] for i in (first, second))
        server.resume()
        report = flush(empty_store, settings, now + timedelta(minutes=1))
        assert (report.sent, report.waiting) == (2, 0)
        assert len(server.received) == 2
    finally:
        server.close()


def test_a_451_is_tried_again_later_and_then_sent_once(server: SmtpServer, empty_store: Store,
                                                       now: datetime) -> None:
    settings = settings_for(server)
    outbox_id = queue(empty_store, settings, now)
    server.answer("451 4.3.0 Greylisted, try again later")
    report = flush(empty_store, settings, now)
    assert (report.sent, report.retrying, report.problem) == (0, 1, "")  # the server works; it said "later"
    got = row(empty_store, outbox_id)
    assert got["status"] == "queued" and "451 4.3.0 Greylisted" in got["last_error"]
    assert datetime.fromisoformat(got["next_attempt_at"]) == now + timedelta(minutes=1)
    assert flush(empty_store, settings, now + timedelta(minutes=1)).sent == 1
    assert len(server.received) == 1 and row(empty_store, outbox_id)["status"] == "sent"


def test_a_550_fails_after_8_tries_and_is_kept_until_retried(server: SmtpServer, empty_store: Store,
                                                             now: datetime) -> None:
    settings = settings_for(server)
    outbox_id = queue(empty_store, settings, now)
    server.answer("550 5.7.1 Message rejected as spam", times=8)
    at = now
    for attempt in range(1, 9):
        report = flush(empty_store, settings, at)
        got = row(empty_store, outbox_id)
        assert got["attempts"] == attempt
        if attempt < 8:
            assert got["status"] == "queued" and report.retrying == 1
            at = datetime.fromisoformat(got["next_attempt_at"])
    assert got["status"] == "failed" and report.failed == 1 and "550 5.7.1" in got["last_error"]
    assert unsent(empty_store) == 1  # kept, counted on the board
    assert [m["disposition"] for m in empty_store.mail_messages()] == ["failed"]
    assert flush(empty_store, settings, at + timedelta(days=1)).sent == 0 and server.received == []
    assert "queued again" in retry(empty_store, outbox_id, at + timedelta(days=1))
    assert flush(empty_store, settings, at + timedelta(days=1)).sent == 1 and len(server.received) == 1


def test_a_recipient_refused_for_good_does_not_stop_the_others(server: SmtpServer, empty_store: Store,
                                                               now: datetime) -> None:
    settings = settings_for(server)
    server.refuse_recipient("gone@acme.example")
    outbox_id = queue(empty_store, settings, now, to=[JAN, ("", "gone@acme.example")])
    assert flush(empty_store, settings, now).sent == 1
    [got] = server.received
    assert got.rcpt_tos == ["jan@acme.example"]
    assert "gone@acme.example" in row(empty_store, outbox_id)["last_error"]  # said, not sent again


def test_a_message_left_sending_by_a_stopped_sender_is_not_sent_again(server: SmtpServer, empty_store: Store,
                                                                      now: datetime) -> None:
    settings = settings_for(server)
    outbox_id = queue(empty_store, settings, now)
    # A sender claims it and stops before it could say whether it went.
    assert empty_store.claim_mail(now, "host:4242:dead", now + CLAIM) is not None
    later = now + CLAIM + timedelta(minutes=1)
    report = flush(empty_store, settings, later)
    assert report.sent == 0 and report.stale == [outbox_id] and server.received == []
    assert any("mail retry" in line for line in report.lines)
    assert row(empty_store, outbox_id)["status"] == "sending" and unsent(empty_store) == 1
    with pytest.raises(MailError, match="being sent right now"):
        retry(empty_store, outbox_id, now + timedelta(minutes=1))  # its claim has not run out
    assert "may arrive twice" in retry(empty_store, outbox_id, later)
    assert flush(empty_store, settings, later).sent == 1 and len(server.received) == 1


def test_retry_refuses_what_there_is_nothing_to_retry_for(server: SmtpServer, empty_store: Store,
                                                          now: datetime) -> None:
    settings = settings_for(server)
    outbox_id = queue(empty_store, settings, now)
    with pytest.raises(MailError, match="is queued"):
        retry(empty_store, outbox_id, now)
    flush(empty_store, settings, now)
    with pytest.raises(MailError, match="is sent"):
        retry(empty_store, outbox_id, now)
    with pytest.raises(MailError, match="no message 999"):
        retry(empty_store, 999, now)
    assert len(server.received) == 1


def test_two_processes_flushing_at_once_send_each_message_exactly_once(server: SmtpServer, empty_store: Store,
                                                                       now: datetime, tmp_path: Path) -> None:
    settings = settings_for(server)
    with empty_store.write():
        ids = [queue(empty_store, settings, now, subject=f"message {i}") for i in range(50)]
    target = empty_store.url if empty_store.engine == "postgresql" else str(empty_store.path)  # type: ignore[attr-defined]
    (tmp_path / "settings.toml").write_text(
        f'[mail]\nfrom = "support@msp.example"\nsmtp = "smtp+plain://127.0.0.1:{server.port}"\n')
    env = {**os.environ, "SLABOARD_SETTINGS": str(tmp_path / "settings.toml"), "SLABOARD_NOW": now.isoformat(),
           "PYTHONPATH": str(ROOT / "src")}
    for name in ("SLABOARD_SMTP", "SLABOARD_SMTP_PASSWORD", "SLABOARD_SMTP_CAFILE"):
        env.pop(name, None)
    flushers = [subprocess.Popen([sys.executable, "-m", "slaboard", "mail", "flush", "--db", target, "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in flushers]
    assert [p.returncode for p in flushers] == [0, 0], outputs
    sent = Counter(str(got.message()["Message-ID"]) for got in server.received)
    stored = {row(empty_store, i)["message_id"] for i in ids}
    assert set(sent) == stored and set(sent.values()) == {1}
    assert {row(empty_store, i)["status"] for i in ids} == {"sent"}
    import json

    assert sum(json.loads(out)["sent"] for out, _err in outputs) == 50


# ------------------------------------------------------------------ the connection


def test_send_test_speaks_starttls_and_signs_in_with_the_cafile(smtp_tls: SmtpServer, now: datetime) -> None:
    smtp_tls.clear()
    settings = MailSettings(from_address="support@msp.example", smtp=parse_smtp(f"smtp://desk@127.0.0.1:{smtp_tls.port}"),
                            password=PASSWORD, cafile=str(smtp_tls.cert))
    reply = send_test(settings, "jan@acme.example", now)
    assert reply.startswith("250 ") and "queued as" in reply
    [got] = smtp_tls.received
    assert got.rcpt_tos == ["jan@acme.example"] and got.message()["X-Slaboard-Kind"] == "test"
    assert smtp_tls.handler.logins[-1] == "desk"


def test_send_test_says_what_went_wrong(smtp_tls: SmtpServer, now: datetime) -> None:
    base = MailSettings(from_address="support@msp.example", smtp=parse_smtp(f"smtp://desk@127.0.0.1:{smtp_tls.port}"),
                        password="wrong", cafile=str(smtp_tls.cert))
    with pytest.raises(SendError, match="refused the user or the password .*535"):
        send_test(base, "jan@acme.example", now)
    with pytest.raises(SendError, match="certificate is not trusted"):
        send_test(replace(base, cafile=None, password=PASSWORD), "jan@acme.example", now)
    with pytest.raises(SendError, match="cannot use smtp\\+plain://127.0.0.1"):
        send_test(settings_for(None), "jan@acme.example", now)
    with pytest.raises(MailError, match="is not a mail address"):
        send_test(replace(base, password=PASSWORD), "jan", now)


def test_smtps_is_tls_from_the_first_byte(now: datetime) -> None:
    server = start_or_skip(lambda: SmtpServer(implicit=True, users={"desk": PASSWORD}).start(), "aiosmtpd (SMTP)")
    try:
        settings = MailSettings(from_address="support@msp.example", password=PASSWORD, cafile=str(server.cert),
                                smtp=parse_smtp(f"smtps://desk@127.0.0.1:{server.port}"))
        assert send_test(settings, "jan@acme.example", now).startswith("250 ")
        assert len(server.received) == 1
    finally:
        server.close()


def test_on_loopback_a_server_without_starttls_may_take_the_password(now: datetime) -> None:
    server = start_or_skip(lambda: SmtpServer(users={"desk": PASSWORD}).start(), "aiosmtpd (SMTP)")
    try:
        settings = MailSettings(from_address="support@msp.example", password=PASSWORD,
                                smtp=parse_smtp(f"smtp://desk@127.0.0.1:{server.port}"))
        assert send_test(settings, "jan@acme.example", now).startswith("250 ")
        assert server.handler.logins == ["desk"] and len(server.received) == 1
    finally:
        server.close()


def test_the_password_file_must_be_readable_by_its_owner_only(smtp_tls: SmtpServer, empty_store: Store,
                                                              now: datetime, tmp_path: Path) -> None:
    smtp_tls.clear()
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o640)
    settings = MailSettings(from_address="support@msp.example", smtp=parse_smtp(f"smtp://desk@127.0.0.1:{smtp_tls.port}"),
                            password_file=secret, cafile=str(smtp_tls.cert))
    outbox_id = queue(empty_store, settings, now)
    with pytest.raises(MailError, match="can be read by others; chmod 600"):
        flush(empty_store, settings, now)
    assert row(empty_store, outbox_id)["status"] == "queued"  # refused before anything was claimed
    secret.chmod(0o600)
    assert flush(empty_store, settings, now).sent == 1 and len(smtp_tls.received) == 1


# ------------------------------------------------------------------ the settings


def test_the_mail_section_is_read_and_checked_like_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("""[mail]
from = "support@msp.example"
name = "Example MSP service desk"
tag = "MSP"
smtp = "smtp://desk%40msp@smtp.msp.example"
password_file = "secret"
attachment_limit = "500KB"
acknowledge = false
flush_interval = 0
""")
    settings, problems = load_settings(path)
    mail = settings.mail
    assert problems == []
    assert (mail.from_address, mail.name, mail.tag, mail.acknowledge, mail.flush_interval) == (
        "support@msp.example", "Example MSP service desk", "MSP", False, 0)
    assert mail.smtp is not None and (mail.smtp.scheme, mail.smtp.host, mail.smtp.port, mail.smtp.user) == (
        "smtp", "smtp.msp.example", 587, "desk@msp")
    assert mail.attachment_limit == 500 * 1024 and mail.password_file == Path("secret")


@pytest.mark.parametrize(("line", "problem"), [
    ('from = "not an address"', "mail.from"),
    ('smtp = "http://smtp.example"', "must begin with smtp://"),
    ('smtp = "smtp://user:secret@smtp.example"', "holds a password"),
    ('smtp = "smtp+plain://smtp.example:25"', "only to this host"),
    ('smtp = "smtp://smtp.example:99999"', "is not an SMTP address"),
    ('smtp = "smtp://user:secret@smtp.example:99999"', "is not an SMTP address"),
    ('attachment_limit = "lots"', "500KB, 10MB or 1GB"),
    ("acknowledge = 1", "mail.acknowledge"),
    ("flush_interval = -5", "mail.flush_interval"),
    ('name = "Desk\\nBcc: x@y.example"', "mail.name"),
    ("colour = 1", "unknown setting mail.colour"),
])
def test_a_bad_mail_setting_is_one_problem_and_the_default(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[mail]\n{line}\n")
    settings, problems = load_settings(path)
    assert len(problems) == 1 and problem in problems[0] and problems[0].startswith("settings: ")
    assert settings.mail == MailSettings()
    assert "secret" not in problems[0]


def test_the_environment_wins_over_the_file() -> None:
    settings = Settings(mail=MailSettings(from_address="support@msp.example", smtp=parse_smtp("smtp://a@one.example")))
    mail = mail_settings(settings, {"SLABOARD_SMTP": "smtps://b@two.example", "SLABOARD_SMTP_PASSWORD": "pw",
                                    "SLABOARD_SMTP_CAFILE": "/ca.pem"})
    assert mail.smtp == parse_smtp("smtps://b@two.example:465") and mail.password == "pw" and mail.cafile == "/ca.pem"
    assert "pw" not in repr(mail)
    assert mail_settings(settings, {}).smtp == parse_smtp("smtp://a@one.example")
    with pytest.raises(MailError, match="SLABOARD_SMTP: .*must begin with smtp://"):
        mail_settings(settings, {"SLABOARD_SMTP": "imap://x"})
