"""The inbound half of customer e-mail: attachments kept with their call (or
refused over the limit, listed and said in the call), and unmatched mail as a call
waiting for an operator to name the customer (or dismiss it), on both engines, from
the services, the mailgate as an MTA runs it, and the command line."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from slaboard.services.mailgate import (
    assign_unmatched,
    attachments_of,
    deliver,
    dismiss_unmatched,
    parse,
    safe_filename,
    save_attachment,
    unmatched_mail,
)
from slaboard.services.tickets import ServiceError
from slaboard.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW_ISO = "2026-11-26T10:00:00+01:00"  # the conftest's `now`
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8
STRANGER = "Jan de Vries <jan@mail.vdberg-transport.example>"  # a parent domain is Van den Berg's


def message(*, sender: str = "Marieke van den Berg <marieke@vdberg-transport.example>", subject: str = "Scanner broken",
            message_id: str = "<a1@x>", files: tuple[tuple[str, bytes], ...] = (("scan.pdf", PDF),),
            text: str = "The scanner stopped; the log is attached.", extra: str = "") -> bytes:
    head = [f"From: {sender}", "To: support@msp.example", f"Subject: {subject}", f"Message-ID: {message_id}",
            "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"']
    if extra:
        head.append(extra)
    out = ("\r\n".join(head) + "\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n").encode()
    for name, content in files:
        out += (f'--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(content)
    return out + b"--b--\r\n"


# ------------------------------------------------------------------ attachments


def test_an_attachment_is_kept_with_the_call_it_opened(loaded_store: Store, now: datetime) -> None:
    got = deliver(loaded_store, message(), now)
    assert got.disposition == "opened" and got.ticket_id is not None
    [kept] = loaded_store.attachments(ticket_id=got.ticket_id)
    assert (kept.filename, kept.size, kept.refused, kept.received_at) == ("scan.pdf", len(PDF), "", now)
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest()
    assert loaded_store.attachment_content(kept.id) == PDF
    assert loaded_store.ticket(got.ticket_id).description == "The scanner stopped; the log is attached."  # type: ignore[union-attr]


def test_an_attachment_over_the_limit_is_listed_refused_and_said_in_the_log_entry(loaded_store: Store,
                                                                                     now: datetime) -> None:
    opened = deliver(loaded_store, message(), now)
    big = bytes(3 * 1024 * 1024)
    reply = message(subject=f"[SLA #{opened.ticket_id}] the backup", message_id="<a2@x>", text="Here it is.",
                    files=(("backup.zip", big), ("small.txt", b"ok")))
    got = deliver(loaded_store, reply, now + timedelta(minutes=5), attachment_limit=2 * 1024 * 1024)
    assert (got.disposition, got.ticket_id) == ("logged", opened.ticket_id)
    found = loaded_store.attachments(ticket_id=opened.ticket_id)
    assert [(a.filename, a.size, a.refused) for a in found] == [
        ("scan.pdf", len(PDF), ""), ("backup.zip", len(big), "over the 2.0 MB limit"), ("small.txt", 2, "")]
    assert loaded_store.attachment_content(found[1].id) is None and found[1].sha256 == hashlib.sha256(big).hexdigest()
    [entry] = loaded_store.communications(ticket_id=opened.ticket_id)
    assert "Attachment refused: backup.zip (3.0 MB, over the 2.0 MB limit)" in entry.summary
    assert found[2].communication_id == entry.id  # the log screen shows it beside its message


def test_hostile_names_become_names_a_file_can_have() -> None:
    assert safe_filename("../../etc/passwd", 1) == "passwd"
    assert safe_filename("\x00evil.exe", 2) == "evil.exe"
    assert safe_filename("..\\..\\boot.ini", 3) == "boot.ini"
    assert safe_filename("...", 4) == safe_filename("", 4) == "attachment-4"
    assert safe_filename("a\u202egpj.exe", 5) == "agpj.exe"
    long = safe_filename("4" * 400 + ".zip", 6)
    assert len(long) == 150 and long.endswith(".zip")


def test_only_the_files_are_attachments_not_the_body_it_shows() -> None:
    alternative = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
                   b"--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                   b"--i\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--i--\r\n"
                   b"--o\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n"
                   b"--o\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: inline; filename=notes.txt\r\n\r\nn\r\n"
                   b"--o--\r\n")
    found = attachments_of(parse(alternative))
    assert [(f.filename, f.content_type) for f in found.files] == [("attachment-1", "image/png"),
                                                                    ("notes.txt", "text/plain")]


# ------------------------------------------------------------------ unmatched calls


def test_unmatched_mail_keeps_its_sender_text_and_attachments(loaded_store: Store, now: datetime) -> None:
    got = deliver(loaded_store, message(sender=STRANGER), now)
    assert got.disposition == "unmatched" and loaded_store.count_tickets() == 0
    [waiting] = unmatched_mail(loaded_store)
    assert (waiting.sender, waiting.sender_name, waiting.subject, waiting.received_at) == (
        "jan@mail.vdberg-transport.example", "Jan de Vries", "Scanner broken", now)
    assert waiting.text == "The scanner stopped; the log is attached."
    assert [(a.filename, a.ticket_id) for a in waiting.attachments] == [("scan.pdf", None)]
    assert waiting.suggested == "vdberg-transport"  # mail.vdberg-transport.example is under its domain
    assert loaded_store.count_unmatched_mail() == 1


def test_assigning_unmatched_mail_opens_a_call_reported_when_it_came(loaded_store: Store, now: datetime) -> None:
    came = now - timedelta(hours=3)
    deliver(loaded_store, message(sender=STRANGER), came)
    [waiting] = unmatched_mail(loaded_store)
    view = assign_unmatched(loaded_store, waiting.id, "VDB", None, "ann", now)
    t = view.ticket
    assert (t.customer, t.service, t.channel, t.title) == ("vdberg-transport", "email", "email", "Scanner broken")
    assert t.reported_at == came and t.caller == "Jan de Vries <jan@mail.vdberg-transport.example>"
    assert t.description == "The scanner stopped; the log is attached."
    assert view.clocks["response"].due > came  # the contract's clocks run from when it came
    events = loaded_store.events(t.id)
    assert [(e.kind, e.operator) for e in events] == [("created", "ann"), ("comment", "ann")]
    assert f"unmatched mail #{waiting.id}" in events[1].note and "jan@mail.vdberg-transport.example" in events[1].note
    [row] = loaded_store.mail_messages(ticket_id=t.id)
    assert (row["disposition"], row["customer"]) == ("opened", "vdberg-transport") and "ann" in row["reason"]
    assert [a.ticket_id for a in loaded_store.attachments(mail_id=waiting.id)] == [t.id]
    assert unmatched_mail(loaded_store) == [] and loaded_store.count_unmatched_mail() == 0
    with pytest.raises(ServiceError, match="not waiting"):
        assign_unmatched(loaded_store, waiting.id, "VDB", None, "bob", now)
    assert loaded_store.count_tickets() == 1


def test_assigning_with_a_service_and_mistakes(loaded_store: Store, now: datetime) -> None:
    deliver(loaded_store, message(sender=STRANGER), now)
    [waiting] = unmatched_mail(loaded_store)
    with pytest.raises(ServiceError, match="unknown customer"):
        assign_unmatched(loaded_store, waiting.id, "nobody-like-this", None, "ann", now)
    with pytest.raises(ServiceError, match="no inbound mail #999"):
        assign_unmatched(loaded_store, 999, "VDB", None, "ann", now)
    assert loaded_store.count_tickets() == 0 and len(unmatched_mail(loaded_store)) == 1  # nothing half-done
    service = loaded_store.services()[-1].key
    view = assign_unmatched(loaded_store, waiting.id, "VDB", service, "ann", now)
    assert view.ticket.service == service


def test_dismissing_unmatched_mail_records_who_and_why(loaded_store: Store, now: datetime) -> None:
    deliver(loaded_store, message(sender="Winner <lottery@spam.example>"), now)
    [waiting] = unmatched_mail(loaded_store)
    said = dismiss_unmatched(loaded_store, waiting.id, "ann", now, "spam, a lottery")
    row = loaded_store.mail_message(waiting.id)
    assert row is not None and row["disposition"] == "dismissed" and row["reason"] == said
    assert "ann" in said and "spam, a lottery" in said
    assert unmatched_mail(loaded_store) == [] and loaded_store.count_tickets() == 0
    with pytest.raises(ServiceError, match="dismissed"):
        assign_unmatched(loaded_store, waiting.id, "VDB", None, "bob", now)


# ------------------------------------------------------------------ saving an attachment


@pytest.mark.sqlite_only  # about files on disk, the same for both engines
def test_an_attachment_is_saved_whole_and_never_over_a_file(loaded_store: Store, now: datetime, tmp_path: Path) -> None:
    got = deliver(loaded_store, message(), now)
    [kept] = loaded_store.attachments(ticket_id=got.ticket_id)
    folder = tmp_path / "out"
    folder.mkdir()
    assert save_attachment(loaded_store, kept.id, folder) == folder / "scan.pdf"
    assert (folder / "scan.pdf").read_bytes() == PDF
    with pytest.raises(ServiceError, match="exists"):
        save_attachment(loaded_store, kept.id, folder / "scan.pdf")
    (folder / "scan.pdf").write_bytes(b"mine")
    save_attachment(loaded_store, kept.id, folder / "scan.pdf", force=True)
    assert (folder / "scan.pdf").read_bytes() == PDF
    with pytest.raises(ServiceError, match="no folder"):
        save_attachment(loaded_store, kept.id, tmp_path / "missing" / "x.pdf")
    assert sorted(p.name for p in folder.iterdir()) == ["scan.pdf"]  # no partial file left behind


# ------------------------------------------------------------------ the mailgate, as an MTA runs it


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SLABOARD_SETTINGS": str(tmp_path / "none.toml"), "SLABOARD_NOW": NOW_ISO,
            "PYTHONPATH": str(ROOT / "src"), "SLABOARD_OPERATOR": "ann"}


def slaboard(tmp_path: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "slaboard", *argv], input=stdin, capture_output=True,
                          env=_env(tmp_path), timeout=120, check=False, cwd=tmp_path)


def test_the_mailgate_keeps_an_attachment_and_refuses_a_25_mb_one(loaded_store: Store, store_target: str | Path,
                                                                  tmp_path: Path) -> None:
    big = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    raw = message(files=(("scan.pdf", PDF), ("backup.zip", big)))
    done = slaboard(tmp_path, "mailgate", "--db", str(store_target), stdin=raw)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("slaboard mailgate: opened #1001") and not done.stderr
    found = loaded_store.attachments(ticket_id=1001)
    assert [(a.filename, bool(a.refused)) for a in found] == [("scan.pdf", False), ("backup.zip", True)]
    assert "Attachment refused: backup.zip (25.0 MB, over the 10.0 MB limit)" in loaded_store.ticket(1001).description  # type: ignore[union-attr]


def test_two_operators_assigning_the_same_mail_at_once_open_one_call(loaded_store: Store, store_target: str | Path,
                                                                     tmp_path: Path) -> None:
    deliver(loaded_store, message(sender=STRANGER), datetime.fromisoformat(NOW_ISO) - timedelta(minutes=5))
    [waiting] = unmatched_mail(loaded_store)
    argv = [sys.executable, "-m", "slaboard", "mail", "assign", str(waiting.id), "--customer", "VDB", "--db",
            str(store_target)]
    procs = [subprocess.Popen([*argv, "--operator", who], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=_env(tmp_path), cwd=tmp_path) for who in ("ann", "bob")]
    results = [(p.wait(timeout=120), p.stdout.read().decode(), p.stderr.read().decode()) for p in procs]  # type: ignore[union-attr]
    for p in procs:
        p.stdout.close()  # type: ignore[union-attr]
        p.stderr.close()  # type: ignore[union-attr]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    [refused] = [err for code, _, err in results if code == 2]
    assert "not waiting for a customer" in refused and refused.count("\n") == 1
    assert loaded_store.count_tickets() == 1
    assert [m["ticket_id"] for m in loaded_store.mail_messages()] == [1001]


# ------------------------------------------------------------------ the command line


@pytest.mark.sqlite_only  # the commands' words; the services above run on both engines
def test_attachment_list_and_save_on_the_command_line(loaded_store: Store, now: datetime, tmp_path: Path) -> None:
    deliver(loaded_store, message(files=(("scan.pdf", PDF), ("big.iso", bytes(5000)))), now, attachment_limit=3000)
    db = str(loaded_store.path)
    listed = slaboard(tmp_path, "attachment", "list", "1001", "--db", db)
    assert listed.returncode == 0 and "scan.pdf" in listed.stdout.decode() and "refused" in listed.stdout.decode()
    data = json.loads(slaboard(tmp_path, "attachment", "list", "#1001", "--json", "--db", db).stdout)
    assert [(a["filename"], a["refused"]) for a in data] == [("scan.pdf", ""), ("big.iso", "over the 2.9 KB limit")]
    saved = slaboard(tmp_path, "attachment", "save", str(data[0]["id"]), "--db", db)
    assert saved.returncode == 0 and (tmp_path / "scan.pdf").read_bytes() == PDF
    for argv, words in (
        (["save", str(data[0]["id"])], "exists"),
        (["save", str(data[1]["id"])], "was refused"),
        (["save", "77"], "no attachment 77"),
        (["save", "x"], "not an attachment number"),
        (["list", "4242"], "4242"),
        (["save", str(data[0]["id"]), "--to", str(tmp_path / "no" / "such" / "x")], "no folder"),
    ):
        done = slaboard(tmp_path, "attachment", *argv, "--db", db)
        err = done.stderr.decode()
        assert done.returncode == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, (argv, err)
    forced = slaboard(tmp_path, "attachment", "save", str(data[0]["id"]), "--to", str(tmp_path / "again.pdf"), "--db", db)
    assert forced.returncode == 0 and (tmp_path / "again.pdf").read_bytes() == PDF


@pytest.mark.sqlite_only  # the commands' words; the services above run on both engines
def test_mail_unmatched_assign_and_dismiss_on_the_command_line(loaded_store: Store, now: datetime,
                                                               tmp_path: Path) -> None:
    deliver(loaded_store, message(sender=STRANGER, subject="Scanner \x1b[31mred"), now)
    deliver(loaded_store, message(sender="Winner <lottery@spam.example>", message_id="<spam@x>"), now)
    db = str(loaded_store.path)
    listed = slaboard(tmp_path, "mail", "unmatched", "--db", db)
    text = listed.stdout.decode()
    assert listed.returncode == 0 and "jan@mail.vdberg-transport.example" in text and "\x1b" not in text
    data = json.loads(slaboard(tmp_path, "mail", "unmatched", "--json", "--db", db).stdout)
    assert [m["suggested_customer"] for m in data] == ["vdberg-transport", None]
    assert data[0]["attachments"][0]["filename"] == "scan.pdf"
    for argv, words in (
        (["assign", str(data[0]["id"])], "--customer"),
        (["assign", str(data[0]["id"]), "--customer", "nobody-like-this"], "unknown customer"),
        (["assign", "abc", "--customer", "VDB"], "not a mail number"),
        (["dismiss", "999"], "no inbound mail #999"),
    ):
        done = slaboard(tmp_path, "mail", *argv, "--db", db)
        err = done.stderr.decode()
        assert done.returncode == 2 and err.count("\n") == 1 and words in err and "Traceback" not in err, (argv, err)
    assigned = slaboard(tmp_path, "mail", "assign", str(data[0]["id"]), "--customer", "VDB", "--json", "--db", db)
    assert assigned.returncode == 0, assigned.stderr
    assert json.loads(assigned.stdout)["id"] == 1001
    dismissed = slaboard(tmp_path, "mail", "dismiss", str(data[1]["id"]), "--reason", "spam", "--db", db)
    assert dismissed.returncode == 0 and "dismissed by ann" in dismissed.stdout.decode()
    assert slaboard(tmp_path, "mail", "unmatched", "--db", db).stdout.decode() == "no unmatched mail\n"
