"""Mail that arrives (``slaboard mailgate``): a customer's message opens a call with
the contract's clocks, a reply threads onto its call and resumes a waiting clock,
automatic mail and a second delivery never open anything, and the command answers
an MTA in sysexits, keeping what it cannot take."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from slaboard.services.mailgate import MailDataError, deliver, html_text
from slaboard.services.tickets import update_ticket
from slaboard.store import Store

ROOT = Path(__file__).resolve().parents[2]


def mail(*, sender: str = "Marieke van den Berg <Marieke@VDBerg-Transport.example>", subject: str = "Mail is down",
         body: str = "Since 9:00 nobody can send mail.", message_id: str = "<m1@vdberg-transport.example>",
         date: datetime | None = None, extra: str = "", content_type: str = "text/plain; charset=utf-8") -> bytes:
    lines = [f"From: {sender}", "To: support@msp.example", f"Subject: {subject}", f"Message-ID: {message_id}"]
    if date is not None:
        lines.append(f"Date: {format_datetime(date)}")
    if extra:
        lines.append(extra)
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}", "", body]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_contacts_mail_opens_a_call_on_the_customers_mail_service(loaded_store: Store, now: datetime) -> None:
    sent = now - timedelta(minutes=20)
    got = deliver(loaded_store, mail(date=sent), now)
    assert got.disposition == "opened" and got.ticket_id is not None
    ticket = loaded_store.ticket(got.ticket_id)
    assert ticket is not None
    assert (ticket.customer, ticket.service, ticket.channel, ticket.title) == ("vdberg-transport", "email", "email",
                                                                             "Mail is down")
    assert ticket.caller == "Marieke van den Berg" and ticket.description == "Since 9:00 nobody can send mail."
    assert ticket.reported_at == sent and ticket.contract_id is not None  # its clocks run from when it was sent
    assert [e.operator for e in loaded_store.events(ticket.id)] == ["mail"]


def test_a_second_delivery_of_the_same_message_opens_nothing(loaded_store: Store, now: datetime) -> None:
    first = deliver(loaded_store, mail(), now)
    again = deliver(loaded_store, mail(), now + timedelta(minutes=1))
    assert first.disposition == "opened" and again.disposition == "ignored"
    assert loaded_store.count_tickets() == 1


def test_a_domain_matches_and_a_stranger_is_unmatched(loaded_store: Store, now: datetime) -> None:
    by_domain = deliver(loaded_store, mail(sender="Piet <piet@vdberg-transport.example>", message_id="<d@x>"), now)
    stranger = deliver(loaded_store, mail(sender="someone@elsewhere.example", message_id="<s@x>"), now)
    assert by_domain.disposition == "opened"
    assert loaded_store.ticket(by_domain.ticket_id).caller == "Piet"  # type: ignore[arg-type, union-attr]
    assert stranger.disposition == "unmatched" and loaded_store.count_tickets() == 1


@pytest.mark.parametrize("extra", ["Auto-Submitted: auto-replied", "Precedence: bulk", "X-Autoreply: yes"])
def test_automatic_mail_never_opens_a_call(loaded_store: Store, now: datetime, extra: str) -> None:
    assert deliver(loaded_store, mail(extra=extra), now).disposition == "ignored"
    bounce = mail(sender="MAILER-DAEMON@mx.vdberg-transport.example", message_id="<b@x>")
    assert deliver(loaded_store, bounce, now).disposition == "ignored"
    assert deliver(loaded_store, mail(message_id="<own@x>", sender="support@msp.example"), now,
                   own="support@msp.example").disposition == "ignored"
    assert loaded_store.count_tickets() == 0


def test_a_reply_threads_onto_its_call_and_resumes_a_waiting_clock(loaded_store: Store, now: datetime) -> None:
    opened = deliver(loaded_store, mail(), now)
    assert opened.ticket_id is not None
    update_ticket(loaded_store, opened.ticket_id, operator="ann", now=now + timedelta(minutes=5),
                  status="waiting_customer", reason="asked for the error message")
    reply = mail(subject="Re: Mail is down", body="Here is the error: 550 5.7.1", message_id="<m2@x>",
                 extra="In-Reply-To: <m1@vdberg-transport.example>")
    got = deliver(loaded_store, reply, now + timedelta(minutes=30))
    assert (got.disposition, got.ticket_id) == ("logged", opened.ticket_id)
    assert loaded_store.ticket(opened.ticket_id).status == "in_progress"  # type: ignore[union-attr]
    log = loaded_store.communications(ticket_id=opened.ticket_id)
    assert [(c.direction, c.channel) for c in log] == [("in", "email")] and "550 5.7.1" in log[0].summary
    tagged = deliver(loaded_store, mail(subject=f"[SLA #{opened.ticket_id}] one more thing", message_id="<m3@x>"),
                     now + timedelta(minutes=40))
    assert (tagged.disposition, tagged.ticket_id) == ("logged", opened.ticket_id)
    assert loaded_store.count_tickets() == 1


def test_an_implausible_date_is_replaced_by_the_time_it_arrived(loaded_store: Store, now: datetime) -> None:
    future = deliver(loaded_store, mail(date=now + timedelta(days=2), message_id="<f@x>"), now)
    ancient = deliver(loaded_store, mail(date=now - timedelta(days=400), message_id="<a@x>"), now)
    for got in (future, ancient):
        assert loaded_store.ticket(got.ticket_id).reported_at == now  # type: ignore[arg-type, union-attr]


def test_html_only_mail_becomes_readable_text(loaded_store: Store, now: datetime) -> None:
    html = "<html><head><style>p{}</style></head><body><p>Printer <b>offline</b></p><p>Since &amp; today</p></body></html>"
    got = deliver(loaded_store, mail(body=html, content_type="text/html; charset=utf-8"), now)
    assert loaded_store.ticket(got.ticket_id).description == "Printer offline\nSince & today"  # type: ignore[arg-type, union-attr]
    assert html_text("<script>alert(1)</script>x") == "x"


@pytest.mark.parametrize("raw", [b"", b"   \n", b"this is not a mail message at all\n"])
def test_what_is_not_mail_is_refused(loaded_store: Store, now: datetime, raw: bytes) -> None:
    with pytest.raises(MailDataError):
        deliver(loaded_store, raw, now)


def gate(db: Path | str, raw: bytes, tmp_path: Path, *extra: str, settings: Path | None = None,
         now: str = "2026-11-26T10:00:00+01:00") -> subprocess.CompletedProcess[bytes]:
    """The mailgate as an MTA runs it: a process with the message on standard input."""
    env = {**os.environ, "SLABOARD_SETTINGS": str(settings or tmp_path / "none.toml"), "SLABOARD_NOW": now,
           "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "slaboard", "mailgate", "--db", str(db), *extra], input=raw,
                          capture_output=True, env=env, timeout=60, check=False)


@pytest.mark.sqlite_only  # the quarantine beside the file, a file that is not there
def test_the_mailgate_answers_an_mta_in_sysexits(loaded_store: Store, tmp_path: Path) -> None:
    db = Path(loaded_store.path)
    done = gate(db, mail(), tmp_path)
    assert done.returncode == 0 and done.stdout.decode().startswith("slaboard mailgate: opened #1001"), done.stderr
    assert gate(db, mail(), tmp_path).returncode == 0  # delivered twice: taken once
    assert loaded_store.count_tickets() == 1
    garbage = b"\x00\x01 not mail \xff\n"
    refused = gate(db, garbage, tmp_path)
    assert refused.returncode == 65 and refused.stderr.count(b"\n") == 1, refused.stderr
    kept = list((db.parent / "mail-quarantine").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == garbage and kept[0].stat().st_mode & 0o077 == 0
    missing = gate(tmp_path / "nowhere" / "slaboard.db", mail(message_id="<n@x>"), tmp_path)
    assert missing.returncode == 75 and b"try again" in missing.stderr and b"Traceback" not in missing.stderr


def test_a_database_server_that_is_down_is_a_temporary_failure(tmp_path: Path) -> None:
    """The MTA keeps the message and tries again; nothing is set aside."""
    down = "postgresql:///slaboard?host=" + str(tmp_path / "no-server-here")
    done = gate(down, mail(), tmp_path, "--quarantine", str(tmp_path / "kept"))
    assert done.returncode == 75 and done.stderr.count(b"\n") == 1 and b"try again" in done.stderr
    assert not (tmp_path / "kept").exists()


@pytest.mark.sqlite_only  # a quarantine folder that cannot be written
def test_a_message_that_cannot_be_kept_aside_is_left_to_the_mta(loaded_store: Store, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be\n")
    done = gate(Path(loaded_store.path), b"not mail\n", tmp_path, "--quarantine", str(blocked / "kept"))
    assert done.returncode == 75 and done.stderr.count(b"\n") == 1 and b"try again" in done.stderr
