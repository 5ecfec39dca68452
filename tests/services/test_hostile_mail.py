"""Mail is hostile input: a corpus of messages shaped like real ones and worse
(multipart/alternative and mixed, base64 and quoted-printable, ISO-8859-1,
Windows-1252 and broken charsets, encoded-word subjects, no From, two From
headers, a 1,000-line header, a 25 MB attachment, a zip bomb, NUL bytes, escape
sequences, malformed MIME boundaries, things that are not mail at all).

Every message is either taken (recorded in ``mail_messages`` with one of the four
dispositions) or refused as not mail (MailDataError; the mailgate keeps its bytes
in the quarantine folder): never a traceback, never a lost message, and what a
customer wrote reaches the call as plain text (no control characters, no escape
sequences, no bidi tricks), decoded in the charset it was sent in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.mailgate import LONGEST_MESSAGE, Delivery, MailDataError, deliver
from slaboard.store import Store
from slaboard.textfmt import plain, plain_block

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # the `now` fixture, and SLABOARD_NOW
NOW_ISO = "2026-11-26T10:00:00+01:00"
DATE = format_datetime(NOW - timedelta(minutes=20))

MARIEKE = "Marieke van den Berg <marieke@vdberg-transport.example>"  # a contact of Van den Berg
PIET = "Piet Jansen <piet@vdberg-transport.example>"  # no contact, but from Van den Berg's domain
STRANGER = "Someone <someone@elsewhere.example>"
DISPOSITIONS = ("opened", "logged", "ignored", "unmatched")
CRLF = b"\r\n"


@dataclass(frozen=True)
class Case:
    """One message and what must come of it (None: anything but a traceback)."""

    raw: bytes
    expect: str | None = None  # a disposition, or "refused" (MailDataError)
    title: str | None = None  # the call's title, exactly
    caller: str | None = None  # the call's caller, exactly
    text: str | None = None  # the call's description, exactly
    contains: tuple[str, ...] = ()  # words the description must hold
    lacks: tuple[str, ...] = ()  # what the description must not hold (markup, script)
    files: tuple[tuple[str, bool], ...] | None = None  # the attachments kept with it: (name, kept), in order


BUILDERS: dict[str, Callable[[], Case]] = {}


def add(name: str, build: Callable[[], Case]) -> None:
    assert name not in BUILDERS, name
    BUILDERS[name] = build


@cache
def corpus(name: str) -> Case:
    return BUILDERS[name]()


def b(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def raw(name: str, *headers: str | bytes, body: str | bytes = b"", sender: str | bytes | None = MARIEKE,
        subject: str | bytes | None = "Printer down", message_id: bool = True, date: bool = True,
        eol: bytes = CRLF) -> bytes:
    """A message written byte by byte (for what the email package would not build)."""
    lines: list[bytes] = []
    if sender is not None:
        lines.append(b"From: " + b(sender))
    lines.append(b"To: support@msp.example")
    if subject is not None:
        lines.append(b"Subject: " + b(subject))
    if message_id:
        lines.append(f"Message-ID: <{name}@corpus.example>".encode())
    if date:
        lines.append(f"Date: {DATE}".encode())
    lines += [b(h) for h in headers]
    return eol.join(lines) + eol + eol + b(body)


def text_mail(name: str, body: bytes, charset: str, *, cte: str = "8bit", sender: str = MARIEKE,
              subject: str = "Printer down") -> bytes:
    return raw(name, "MIME-Version: 1.0", f"Content-Type: text/plain; charset={charset}",
               f"Content-Transfer-Encoding: {cte}", body=body, sender=sender, subject=subject)


def built(name: str, *, sender: str = MARIEKE, subject: str = "Printer down") -> EmailMessage:
    """A message the email package builds (for well-formed MIME structures)."""
    m = EmailMessage(policy=policy.SMTP)
    m["From"] = sender
    m["To"] = "support@msp.example"
    m["Subject"] = subject
    m["Message-ID"] = f"<{name}@corpus.example>"
    m["Date"] = DATE
    return m


def multipart(name: str, content_type: str, body: str | bytes, *headers: str) -> bytes:
    return raw(name, "MIME-Version: 1.0", f"Content-Type: {content_type}", *headers, body=body)


def plain_part(text: str = "Printer broken since nine.") -> str:
    return f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"


# ------------------------------------------------------------------ ordinary shapes

add("plain-utf8", lambda: Case(
    raw("plain-utf8", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", subject="Mail is down",
        body="Since 9:00 nobody can send mail.\r\n"),
    "opened", title="Mail is down", caller="Marieke van den Berg", text="Since 9:00 nobody can send mail."))
add("plain-domain-sender", lambda: Case(
    raw("plain-domain-sender", body="Printer broken.\r\n", sender=PIET), "opened", caller="Piet Jansen",
    text="Printer broken."))
add("plain-contact-upper-case", lambda: Case(
    raw("plain-contact-upper-case", body="Printer broken.\r\n", sender="MARIEKE@VDBERG-TRANSPORT.EXAMPLE"),
    "opened", caller="Marieke van den Berg"))
add("plain-stranger", lambda: Case(raw("plain-stranger", body="Buy now\r\n", sender=STRANGER), "unmatched"))
add("plain-bare-lf", lambda: Case(
    raw("plain-bare-lf", body=b"line one\nline two\n", eol=b"\n"), "opened", title="Printer down",
    text="line one\nline two"))
add("mbox-from-line", lambda: Case(  # a pipe transport that writes the "From " envelope line first
    b"From marieke@vdberg-transport.example Thu Nov 26 08:40:00 2026\n"
    + raw("mbox-from-line", body="Printer broken.\n", eol=b"\n"), "opened", title="Printer down",
    text="Printer broken."))
add("address-with-comment", lambda: Case(
    raw("address-with-comment", body="x\r\n", sender="marieke@vdberg-transport.example (Marieke, office)"),
    "opened", caller="Marieke van den Berg"))
add("no-subject", lambda: Case(raw("no-subject", body="Printer broken.\r\n", subject=None), "opened",
                               title="(no subject)"))
add("date-garbage", lambda: Case(
    raw("date-garbage", "Date: Thu, 31 Feb 2026 25:61:00 +9999", body="x\r\n", date=False), "opened"))
add("headers-only-no-body", lambda: Case(
    raw("headers-only-no-body").rstrip(CRLF) + CRLF, "opened", title="Printer down", text=""))
add("format-flowed", lambda: Case(
    raw("format-flowed", "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",
        body="The printer on the second \r\nfloor is down.\r\n"), "opened", contains=("second",)))

# ------------------------------------------------------------------ multipart


def _alternative() -> Case:
    m = built("multipart-alternative")
    m.set_content("Printer broken since nine.\n")
    m.add_alternative("<html><body><p>Printer <b>broken</b> since nine.</p></body></html>", subtype="html")
    return Case(m.as_bytes(), "opened", text="Printer broken since nine.")


def _outlook() -> Case:
    m = built("multipart-outlook-nested")
    m.set_content("Please see the attached report.\n")
    m.add_alternative("<p>Please see the <i>attached</i> report.</p><img src='cid:logo@x'>", subtype="html")
    html = list(m.iter_parts())[1]
    html.add_related(b"\x89PNG\r\n\x1a\n" + bytes(200), maintype="image", subtype="png", cid="<logo@x>")
    m.add_attachment(b"PK\x03\x04" + bytes(500), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="report.docx")
    return Case(m.as_bytes(), "opened", text="Please see the attached report.")


def _mixed_pdf() -> Case:
    m = built("multipart-mixed-pdf")
    m.set_content("Invoice attached, the printer ate the other one.\n")
    m.add_attachment(b"%PDF-1.7\n" + bytes(range(256)) * 40, maintype="application", subtype="pdf",
                     filename="invoice.pdf")
    return Case(m.as_bytes(), "opened", text="Invoice attached, the printer ate the other one.")


def _related_html() -> Case:
    m = built("multipart-related-html")
    m.set_content("<p>Screen shows <b>error 0x80070005</b></p><img src='cid:shot@x'>", subtype="html")
    m.add_related(b"\x89PNG\r\n\x1a\n" + bytes(100), maintype="image", subtype="png", cid="<shot@x>")
    return Case(m.as_bytes(), "opened", text="Screen shows error 0x80070005", lacks=("<",))


def _forwarded() -> Case:
    inner = built("inner", sender=STRANGER, subject="Your account is suspended")
    inner.set_content("Click here.\n")
    m = built("forwarded-rfc822", subject="Fwd: Your account is suspended")
    m.set_content("Is this phishing?\n")
    m.add_attachment(inner)
    return Case(m.as_bytes(), "opened", caller="Marieke van den Berg", text="Is this phishing?")


def _nested(name: str, depth: int) -> bytes:
    body = b"Content-Type: text/plain; charset=utf-8\r\n\r\nDeep text\r\n"
    for i in range(depth):
        body = (f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n".encode() + body
                + f"\r\n--b{i}--\r\n".encode())
    head, _, rest = body.partition(b"\r\n\r\n")
    return raw(name, "MIME-Version: 1.0", head.decode(), body=rest)


add("multipart-alternative", _alternative)
add("multipart-outlook-nested", _outlook)
add("multipart-mixed-pdf", _mixed_pdf)
add("multipart-related-html", _related_html)
add("forwarded-rfc822", _forwarded)
add("html-only", lambda: Case(
    raw("html-only", "Content-Type: text/html; charset=utf-8",
        body="<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
             "<p onclick='x()'>Printer <b>offline</b></p><!-- hidden --><p>Since &amp; today &lt;b&gt;</p>"
             "</body></html>\r\n"),
    "opened", text="Printer offline\nSince & today <b>", lacks=("alert", "color", "hidden", "onclick")))
add("multipart-nested-200-deep", lambda: Case(_nested("multipart-nested-200-deep", 200), "opened",
                                              text="Deep text"))
add("multipart-nested-3000-deep", lambda: Case(_nested("multipart-nested-3000-deep", 3000)))

# ------------------------------------------------------------------ transfer encodings and charsets

add("base64-utf8", lambda: Case(
    text_mail("base64-utf8", base64.encodebytes("Café – printer on floor 2\n".encode()), "utf-8", cte="base64"),
    "opened", text="Café – printer on floor 2"))
add("qp-utf8-soft-breaks", lambda: Case(
    text_mail("qp-utf8-soft-breaks", b"The printer on the second floor of the warehouse =\r\nin Rotterdam is do=\r\n"
              b"wn since nine o'clock, Caf=C3=A9 too.\r\n", "utf-8", cte="quoted-printable"),
    "opened", text="The printer on the second floor of the warehouse in Rotterdam is down since nine o'clock, Café too."))
add("qp-iso-8859-1", lambda: Case(
    text_mail("qp-iso-8859-1", b"Caf=E9 printer\r\n", "iso-8859-1", cte="quoted-printable"), "opened",
    text="Café printer"))
add("8bit-iso-8859-1", lambda: Case(text_mail("8bit-iso-8859-1", b"Caf\xe9 printer\r\n", "ISO-8859-1"), "opened",
                                    text="Café printer"))
add("8bit-windows-1252", lambda: Case(
    text_mail("8bit-windows-1252", b"\x93Caf\xe9\x94 costs \x805 \x96 ok\r\n", "windows-1252"), "opened",
    text="“Café” costs €5 – ok"))
add("windows-1252-labelled-iso-8859-1", lambda: Case(  # what Outlook and old clients send; every browser reads it so
    text_mail("windows-1252-labelled-iso-8859-1", b"\x93Caf\xe9\x94 costs \x805 \x96 ok\r\n", "iso-8859-1"),
    "opened", contains=("Café", "costs")))
add("utf8-invalid-bytes", lambda: Case(
    text_mail("utf8-invalid-bytes", b"Caf\xc3 \xff\xfe ok\r\n", "utf-8"), "opened", contains=("ok",)))
add("unknown-charset", lambda: Case(
    text_mail("unknown-charset", b"Printer broken since nine.\r\n", "x-no-such-charset"), "opened",
    contains=("Printer broken since nine.",)))
add("empty-charset", lambda: Case(
    raw("empty-charset", "Content-Type: text/plain; charset=", body="Printer broken since nine.\r\n"), "opened",
    contains=("Printer broken since nine.",)))
add("us-ascii-with-8bit", lambda: Case(text_mail("us-ascii-with-8bit", b"Caf\xe9 ok\r\n", "us-ascii"), "opened",
                                       contains=("ok",)))
add("utf-7", lambda: Case(text_mail("utf-7", b"Caf+AOk- printer\r\n", "utf-7"), "opened", text="Café printer"))
add("8bit-utf8-no-content-type", lambda: Case(
    raw("8bit-utf8-no-content-type", body="Printer broken, Café\r\n".encode()), "opened", contains=("Printer broken",)))
add("base64-broken", lambda: Case(
    text_mail("base64-broken", b"UHJpbnRlciBi!!cm9rZW4=\r\n====\r\n", "utf-8", cte="base64"), "opened"))
add("qp-invalid-escapes", lambda: Case(
    text_mail("qp-invalid-escapes", b"price =ZZ =4 =\r\n=C3 total\r\n", "utf-8", cte="quoted-printable"), "opened",
    contains=("price",)))
add("cte-bogus", lambda: Case(
    text_mail("cte-bogus", b"Printer broken since nine.\r\n", "utf-8", cte="base65"), "opened",
    contains=("Printer broken since nine.",)))
add("cte-x-uuencode", lambda: Case(
    text_mail("cte-x-uuencode", b"begin 644 note.txt\r\n" + binascii.b2a_uu(b"Printer broken")
              + b"`\r\nend\r\n", "utf-8", cte="x-uuencode"), "opened"))

# ------------------------------------------------------------------ header text: encoded words and raw bytes

add("ew-subject-utf8-q", lambda: Case(raw("ew-subject-utf8-q", body="x\r\n", subject="=?utf-8?q?Caf=C3=A9?="),
                                      "opened", title="Café"))
add("ew-subject-latin1-b", lambda: Case(
    raw("ew-subject-latin1-b", body="x\r\n", subject="=?iso-8859-1?b?Q2Fm6Q==?="), "opened", title="Café"))
add("ew-subject-windows-1252", lambda: Case(
    raw("ew-subject-windows-1252", body="x\r\n", subject="=?windows-1252?q?=93Caf=E9=94?="), "opened",
    title="“Café”"))
add("ew-subject-split-words", lambda: Case(
    raw("ew-subject-split-words", body="x\r\n", subject="=?utf-8?q?Caf?=\r\n =?utf-8?q?=C3=A9_kapot?="), "opened",
    title="Café kapot"))
add("ew-subject-unknown-charset", lambda: Case(
    raw("ew-subject-unknown-charset", body="x\r\n", subject="=?x-bogus?q?Printer_down?="), "opened"))
add("ew-subject-malformed", lambda: Case(
    raw("ew-subject-malformed", body="x\r\n", subject="=?utf-8?q?unterminated Printer =?=?"), "opened"))
add("ew-subject-crlf-injection", lambda: Case(
    raw("ew-subject-crlf-injection", body="x\r\n",
        subject="=?utf-8?q?Printer_down=0D=0ABcc:_attacker@evil.example=0D=0A=0D=0Abody?="), "opened"))
add("ew-subject-escape-sequence", lambda: Case(
    raw("ew-subject-escape-sequence", body="x\r\n", subject="=?utf-8?q?=1B]0;owned=07=1B[2J=1B[31mPrinter?="),
    "opened"))
add("ew-subject-bidi-override", lambda: Case(
    raw("ew-subject-bidi-override", body="x\r\n", subject="=?utf-8?q?invoice_=E2=80=AEfdp.exe?="), "opened"))
add("raw-utf8-headers", lambda: Case(  # SMTPUTF8 (RFC 6532): UTF-8 in headers is legal
    raw("raw-utf8-headers", body="x\r\n", subject="Café kapot", sender="Renée Visser <renee@vdberg-transport.example>"),
    "opened", title="Café kapot", caller="Renée Visser"))
add("raw-latin1-subject", lambda: Case(raw("raw-latin1-subject", body="x\r\n", subject=b"Caf\xe9 kapot"), "opened"))
add("raw-nul-in-subject", lambda: Case(raw("raw-nul-in-subject", body="x\r\n", subject=b"Printer\x00down"), "opened"))
add("subject-folded-with-tabs", lambda: Case(
    raw("subject-folded-with-tabs", body="x\r\n", subject="Printer\t\r\n\tdown"), "opened", title="Printer down"))
add("ew-from-name-with-comma", lambda: Case(
    raw("ew-from-name-with-comma", body="x\r\n", sender="=?iso-8859-1?q?Visser=2C_Ren=E9?= <rene@vdberg-transport.example>"),
    "opened", caller="Visser, René"))
add("ew-from-name-crlf", lambda: Case(
    raw("ew-from-name-crlf", body="x\r\n", sender="=?utf-8?q?Piet=0D=0ABcc:_x@evil.example?= <piet@vdberg-transport.example>"),
    "opened"))
add("raw-escape-in-from-name", lambda: Case(
    raw("raw-escape-in-from-name", body="x\r\n", sender=b"Piet \x1b[31mJansen <piet@vdberg-transport.example>"),
    "opened"))

# ------------------------------------------------------------------ senders

add("no-from", lambda: Case(raw("no-from", body="x\r\n", sender=None), "unmatched"))
add("two-from-headers", lambda: Case(
    raw("two-from-headers", f"From: {PIET}", body="x\r\n"), "unmatched"))
add("from-two-addresses", lambda: Case(
    raw("from-two-addresses", body="x\r\n", sender=f"{MARIEKE}, {PIET}"), "unmatched"))
add("from-empty-group", lambda: Case(
    raw("from-empty-group", body="x\r\n", sender="undisclosed-recipients:;"), "unmatched"))
add("from-garbage", lambda: Case(raw("from-garbage", body="x\r\n", sender="<<<>>>@@@ \"\\"), "unmatched"))
add("bounce-report", lambda: Case(multipart(
    "bounce-report", 'multipart/report; report-type=delivery-status; boundary="r"',
    "--r\r\n" + plain_part("Delivery failed.") + "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
    "Action: failed\r\n--r--\r\n").replace(b"From: " + MARIEKE.encode(),
                                            b"From: MAILER-DAEMON@mx.vdberg-transport.example"), "ignored"))
add("auto-reply", lambda: Case(raw("auto-reply", "Auto-Submitted: auto-replied", body="Out of office\r\n"), "ignored"))
add("precedence-bulk", lambda: Case(raw("precedence-bulk", "Precedence: bulk", body="Newsletter\r\n"), "ignored"))

# ------------------------------------------------------------------ header monsters

add("header-1000-line-subject", lambda: Case(
    raw("header-1000-line-subject", body="x\r\n", subject="\r\n".join(f" word{i}" for i in range(1000)).lstrip()),
    "opened"))
add("header-1000-received", lambda: Case(
    raw("header-1000-received", *[f"Received: from relay{i}.example by relay{i + 1}.example; {DATE}"
                                  for i in range(1000)], body="x\r\n"), "opened", title="Printer down"))
add("header-100k-one-line", lambda: Case(
    raw("header-100k-one-line", "X-Junk: " + "A" * 100_000, body="x\r\n"), "opened", title="Printer down"))
add("message-id-10k", lambda: Case(
    raw("message-id-10k", "Message-ID: <" + "m" * 10_000 + "@corpus.example>", body="x\r\n", message_id=False),
    "opened"))
add("message-id-nul", lambda: Case(
    raw("message-id-nul", b"Message-ID: <nul\x00id@corpus.example>", body="x\r\n", message_id=False), "opened"))
add("message-id-twice", lambda: Case(
    raw("message-id-twice", "Message-ID: <message-id-twice-2@corpus.example>", body="x\r\n"), "opened"))
add("header-line-without-colon", lambda: Case(
    raw("header-line-without-colon", "this line is no header", "X-After: y", body="Printer broken\r\n")))
add("references-1000", lambda: Case(
    raw("references-1000", "References: " + "\r\n ".join(f"<ref{i}@nowhere.example>" for i in range(1000)),
        body="x\r\n"), "opened"))
add("tag-huge-number", lambda: Case(
    raw("tag-huge-number", body="x\r\n", subject="[SLA #99999999999999999999999] Printer down"), "opened"))
add("tag-unknown-ticket", lambda: Case(
    raw("tag-unknown-ticket", body="x\r\n", subject="[SLA #424242] Printer down"), "opened",
    title="[SLA #424242] Printer down"))
add("reply-to-plain-utf8", lambda: Case(
    raw("reply-to-plain-utf8", "In-Reply-To: <plain-utf8@corpus.example>", body="Here is the error: 550\r\n",
        subject="Re: Mail is down")))
add("leading-blank-line", lambda: Case(CRLF + raw("leading-blank-line", body="x\r\n")))

# ------------------------------------------------------------------ bodies

add("body-nul-bytes", lambda: Case(
    text_mail("body-nul-bytes", b"Printer\x00 down\x00\x00 since nine\r\n", "utf-8"), "opened",
    contains=("Printer", "since nine")))
add("body-ansi-escapes", lambda: Case(
    text_mail("body-ansi-escapes", b"\x1b[2J\x1b[31mRED\x1b[0m \x1b]0;owned\x07 \x9b31m done\r\n", "utf-8"), "opened",
    contains=("RED", "done")))
add("body-c1-controls-utf8", lambda: Case(
    text_mail("body-c1-controls-utf8", "a\u009b31mb \u0085 c\u2028d".encode(), "utf-8"), "opened"))
add("body-pasted-log-with-tabs", lambda: Case(
    text_mail("body-pasted-log-with-tabs", b"Host\tStatus\r\nprn01\tdown\r\n", "utf-8"), "opened",
    contains=("prn01",)))
add("body-lone-cr", lambda: Case(
    text_mail("body-lone-cr", base64.encodebytes(b"line one\rline two\r\n"), "utf-8", cte="base64"), "opened",
    contains=("line one", "line two")))
add("body-bidi-and-zero-width", lambda: Case(
    text_mail("body-bidi-and-zero-width", "pay to NL\u200b91\u202eABNA\u2066x\u2069\ufeff".encode(), "utf-8"),
    "opened"))
add("body-30k-characters", lambda: Case(
    text_mail("body-30k-characters", b"log line\r\n" * 3000, "utf-8"), "opened", contains=("log line",)))
add("html-charref-escapes", lambda: Case(
    raw("html-charref-escapes", "Content-Type: text/html; charset=utf-8",
        body="<p>&#27;[31mred&#x1b;[0m &#0; &#x9b; &#128; &#x202e;txt.exe</p>\r\n"), "opened", contains=("red",)))

# ------------------------------------------------------------------ attachments


def _big_attachment() -> Case:
    payload = base64.encodebytes(bytes(range(256)) * (25 * 1024 * 1024 // 256)).replace(b"\n", CRLF)
    body = (b'--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attached dump.\r\n'
            b'--big\r\nContent-Type: application/octet-stream; name="memory.dmp"\r\n'
            b'Content-Disposition: attachment; filename="memory.dmp"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + payload + b"--big--\r\n")
    return Case(multipart("attachment-25mb", 'multipart/mixed; boundary="big"', body), "opened",
                contains=("See the attached dump.", "Attachment refused: memory.dmp (25.0 MB, over the 10.0 MB limit)"),
                files=(("memory.dmp", False),))


def _zip_bomb() -> Case:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(4):
            z.writestr(f"../../../../etc/{i}.dat", bytes(5 * 1024 * 1024))  # 20 MB of zeros in a few kB
    m = built("attachment-zip-bomb")
    m.set_content("The scanner sends this file.\n")
    m.add_attachment(data.getvalue(), maintype="application", subtype="zip", filename="42.zip")
    return Case(m.as_bytes(), "opened", text="The scanner sends this file.", files=(("42.zip", True),))


add("attachment-25mb", _big_attachment)
add("attachment-zip-bomb", _zip_bomb)
add("attachment-name-crlf-rtl", lambda: Case(multipart(
    "attachment-name-crlf-rtl", 'multipart/mixed; boundary="n"',
    "--n\r\n" + plain_part() + "--n\r\nContent-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename*=utf-8''invoice%0D%0ABcc%3A%20x%E2%80%AEfdp.exe\r\n\r\nMZ\r\n--n--\r\n"),
    "opened", text="Printer broken since nine."))
add("attachment-only", lambda: Case(multipart(  # the message itself is the file
    "attachment-only", "application/octet-stream; name=\"scan.tif\"", "II*\x00junk\r\n",
    "Content-Disposition: attachment; filename=\"scan.tif\""), "opened", text="", files=(("scan.tif", True),)))


def _part(filename_header: str, content: bytes = b"data", kind: str = "application/octet-stream") -> bytes:
    return (f"--h\r\nContent-Type: {kind}\r\nContent-Disposition: attachment; {filename_header}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(content) + CRLF


def _hostile_names() -> Case:
    long_name = "4" * 300 + ".zip"
    parts = [
        _part('filename="../../etc/passwd"'),
        _part("filename*=utf-8''%00evil.exe"),
        _part("filename*=utf-8''..%5C..%5CWindows%5Cboot.ini"),
        _part('filename=".bashrc"'),
        _part('filename="..."'),
        _part(f'filename="{long_name}"', b"PK\x05\x06" + bytes(18), "application/zip"),
        _part('filename="=?utf-8?b?' + base64.b64encode("Offerte €.pdf".encode()).decode() + '?="', b"%PDF"),
        _part("filename*=iso-8859-1''r%E9sum%E9.txt"),
        _part('filename="\x1b[31mred.txt"'),
        _part('filename="x.bin"', b"x", "../../bad; type"),
    ]
    body = b"--h\r\n" + plain_part().encode() + b"".join(parts) + b"--h--\r\n"
    return Case(multipart("attachment-hostile-names", 'multipart/mixed; boundary="h"', body), "opened",
                text="Printer broken since nine.",
                files=(("passwd", True), ("evil.exe", True), ("boot.ini", True), ("bashrc", True), ("attachment-5", True),
                       ("4" * 146 + ".zip", True), ("Offerte €.pdf", True), ("résumé.txt", True), ("[31mred.txt", True),
                       ("x.bin", True)))


def _sixty() -> Case:
    parts = [_part(f'filename="page-{i:02}.png"', bytes([i]) * 100, "image/png") for i in range(60)]
    body = b"--h\r\n" + plain_part().encode() + b"".join(parts) + b"--h--\r\n"
    return Case(multipart("attachment-60", 'multipart/mixed; boundary="h"', body), "opened",
                contains=("Printer broken since nine.", "Attachment refused: page-50.png (100 bytes, more than 50 attachments "
                          "in one message)"),
                files=tuple((f"page-{i:02}.png", i < 50) for i in range(60)))


def _broken_base64() -> Case:
    body = (b"--h\r\n" + plain_part().encode() + b"--h\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="scan.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            b"JVBERi0x!!!not*base64***\r\nQUJD=\r\n--h--\r\n")
    return Case(multipart("attachment-broken-base64", 'multipart/mixed; boundary="h"', body), "opened",
                contains=("Printer broken since nine.", "Attachment scan.pdf: its encoding is broken; kept as it came"),
                files=(("scan.pdf", True),))


add("attachment-hostile-names", _hostile_names)
add("attachment-60", _sixty)
add("attachment-broken-base64", _broken_base64)
add("attachment-unknown-sender", lambda: Case(raw(
    "attachment-unknown-sender", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="h"', sender=STRANGER,
    body=b"--h\r\n" + plain_part().encode() + _part('filename="cv.pdf"') + b"--h--\r\n"), "unmatched"))

# ------------------------------------------------------------------ malformed MIME boundaries

add("boundary-never-appears", lambda: Case(multipart(
    "boundary-never-appears", 'multipart/mixed; boundary="XYZ"', "Printer broken since nine.\r\n"), "opened",
    contains=("Printer broken since nine.",)))
add("boundary-parameter-missing", lambda: Case(multipart(
    "boundary-parameter-missing", "multipart/mixed", "--XYZ\r\n" + plain_part() + "--XYZ--\r\n"), "opened",
    contains=("Printer broken since nine.",)))
add("boundary-close-missing", lambda: Case(multipart(
    "boundary-close-missing", 'multipart/mixed; boundary="XYZ"', "--XYZ\r\n" + plain_part()), "opened",
    contains=("Printer broken since nine.",)))
add("boundary-nested-same-as-outer", lambda: Case(multipart(
    "boundary-nested-same-as-outer", 'multipart/mixed; boundary="S"',
    '--S\r\nContent-Type: multipart/alternative; boundary="S"\r\n\r\n--S\r\n' + plain_part() + "--S--\r\n--S--\r\n"),
    "opened"))
add("boundary-with-spaces-and-quotes", lambda: Case(multipart(
    "boundary-with-spaces-and-quotes", 'multipart/alternative; boundary="  a \\"b\\" c  "',
    '--  a "b" c\r\n' + plain_part() + '--  a "b" c--\r\n'), "opened"))
add("boundary-too-long", lambda: Case(multipart(
    "boundary-too-long", f'multipart/mixed; boundary="{"B" * 5000}"',
    f"--{'B' * 5000}\r\n" + plain_part() + f"--{'B' * 5000}--\r\n"), "opened"))
add("content-type-garbage", lambda: Case(multipart(
    "content-type-garbage", ';;;/=; charset="; boundary=', "Printer broken since nine.\r\n"), "opened",
    contains=("Printer broken since nine.",)))
add("preamble-epilogue-nul", lambda: Case(multipart(
    "preamble-epilogue-nul", 'multipart/mixed; boundary="P"',
    b"\x00\x00preamble\x1b[2J\r\n--P\r\n" + plain_part().encode() + b"--P--\r\n\x00epilogue\xff\r\n"),
    "opened", text="Printer broken since nine."))

# ------------------------------------------------------------------ not mail


def _over_limit() -> Case:
    head = raw("over-50mb", "Content-Type: text/plain")
    return Case(head + b"a" * (LONGEST_MESSAGE + 1 - len(head)), "refused")


add("empty", lambda: Case(b"", "refused"))
add("only-whitespace", lambda: Case(b"  \r\n\t\r\n", "refused"))
add("binary-garbage", lambda: Case(b"\x00\x01 not mail \xff\n", "refused"))
add("png-file", lambda: Case(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "refused"))
add("over-50mb", _over_limit)
add("nul-header-name", lambda: Case(b"\x00\x00: \x00\r\n\r\n\x00\r\n"))

NAMES = list(BUILDERS)

# The ones that go through the real command (each a process of its own), as an MTA's pipe runs it.
CLI_NAMES = ["plain-utf8", "multipart-alternative", "8bit-iso-8859-1", "ew-subject-utf8-q", "no-from",
             "two-from-headers", "header-1000-line-subject", "attachment-25mb", "attachment-zip-bomb",
             "body-nul-bytes", "boundary-never-appears", "ew-subject-escape-sequence", "tag-huge-number",
             "raw-latin1-subject", "mbox-from-line", "binary-garbage", "empty", "attachment-hostile-names",
             "attachment-60"]


def test_the_corpus_is_large_and_every_message_is_its_own() -> None:
    assert len(NAMES) >= 50 and set(CLI_NAMES) <= set(NAMES)
    assert len({corpus(name).raw for name in NAMES}) == len(NAMES)


def _check_delivered(store: Store, name: str, case: Case, got: Delivery) -> None:
    assert got.disposition in DISPOSITIONS, got
    assert store.mail_seen(got.message_id), f"{name}: not recorded"
    line = got.line()
    assert plain(line) == line, f"{name}: the log line {line!r} is not plain text"
    if case.expect is not None:
        assert got.disposition == case.expect, f"{name}: {got.line()}"
    if got.disposition != "opened":
        return
    assert got.ticket_id is not None
    ticket = store.ticket(got.ticket_id)
    assert ticket is not None
    assert (ticket.customer, ticket.channel) == ("vdberg-transport", "email")
    for field, value in (("title", ticket.title), ("caller", ticket.caller)):
        assert plain(value) == value, f"{name}: the {field} {value!r} is not plain text"
    assert ticket.title.strip()
    assert plain_block(ticket.description) == ticket.description, (
        f"{name}: the description {ticket.description[:300]!r} is not plain text")
    if case.title is not None:
        assert ticket.title == case.title
    if case.caller is not None:
        assert ticket.caller == case.caller
    if case.text is not None:
        assert ticket.description == case.text
    for words in case.contains:
        assert words in ticket.description, f"{name}: {words!r} not in {ticket.description[:300]!r}"
    for words in case.lacks:
        assert words not in ticket.description, f"{name}: {words!r} in {ticket.description[:300]!r}"
    if case.files is not None:
        found = store.attachments(ticket_id=ticket.id)
        assert [(a.filename, not a.refused) for a in found] == list(case.files), f"{name}: {found}"


SAFE_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def _check_attachments(store: Store, name: str) -> None:
    """Every attachment kept is safe to name and to save, and exactly the bytes that came."""
    for row in store.mail_messages():
        found = store.attachments(mail_id=row["id"])
        assert sum(1 for a in found if not a.refused) <= 50, f"{name}: more than 50 kept"
        for a in found:
            assert a.ticket_id == row["ticket_id"]
            assert a.filename and len(a.filename) <= 150 and not a.filename.startswith("."), a.filename
            assert a.filename.isprintable() and not set(a.filename) & set("/\\"), f"{name}: {a.filename!r}"
            assert SAFE_TYPE.match(a.content_type), f"{name}: {a.content_type!r}"
            content = store.attachment_content(a.id)
            if a.refused:
                assert content is None and a.size > 0 or "cannot be read" in a.refused, a
            else:
                assert content is not None and len(content) == a.size
                assert hashlib.sha256(content).hexdigest() == a.sha256


@pytest.mark.parametrize("name", NAMES)
def test_every_message_is_taken_or_refused_as_not_mail(loaded_store: Store, now: datetime, name: str) -> None:
    case = corpus(name)
    try:
        got = deliver(loaded_store, case.raw, now)
    except MailDataError:
        assert case.expect in (None, "refused"), f"{name}: refused, but it is mail"
        return
    assert case.expect != "refused", f"{name}: taken, but it is not mail: {got.line()}"
    _check_delivered(loaded_store, name, case, got)
    _check_attachments(loaded_store, name)


def test_no_message_of_the_corpus_is_lost(loaded_store: Store, now: datetime) -> None:
    """All of them into one database, in order: each is recorded or refused, nothing else."""
    taken, refused, lost = [], [], []
    for i, name in enumerate(NAMES):
        try:
            got = deliver(loaded_store, corpus(name).raw, now + timedelta(seconds=i))
        except MailDataError:
            refused.append(name)
        except Exception as err:  # noqa: BLE001 - what this test counts
            lost.append(f"{name}: {type(err).__name__}: {err}"[:300])
        else:
            if loaded_store.mail_seen(got.message_id):
                taken.append(name)
            else:
                lost.append(f"{name}: {got.line()} but not recorded")
    assert not lost, "lost:\n" + "\n".join(lost)
    assert len(taken) + len(refused) == len(NAMES)
    assert len(loaded_store.mail_messages()) == len(taken)  # every Message-ID in the corpus is its own
    assert {n for n in NAMES if corpus(n).expect == "refused"} <= set(refused)
    assert all(corpus(n).expect in (None, "refused") for n in refused), refused
    reply = [m for m in loaded_store.mail_messages() if m["message_id"] == "<reply-to-plain-utf8@corpus.example>"]
    assert [m["disposition"] for m in reply] == ["logged"]  # the answer finds the call the first message opened


# ------------------------------------------------------------------ the command, as an MTA runs it


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the sample MSP, made once and copied for each message."""
    path = tmp_path_factory.mktemp("sample") / "slaboard.db"
    store = Store.open(path, create=True)
    try:
        load_files(store, [data_dir("sample_data") / "msp.toml"], NOW)
    finally:
        store.close()
    return path


def gate(db: Path, raw_bytes: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "SLABOARD_SETTINGS": str(tmp_path / "none.toml"), "SLABOARD_NOW": NOW_ISO,
           "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "slaboard", "mailgate", "--db", str(db)], input=raw_bytes,
                          capture_output=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize("name", CLI_NAMES)
def test_the_mailgate_takes_or_keeps_every_message(sample_db: Path, tmp_path: Path, name: str) -> None:
    case = corpus(name)
    db = tmp_path / "mail" / "slaboard.db"
    db.parent.mkdir()
    shutil.copyfile(sample_db, db)
    done = gate(db, case.raw, tmp_path)
    said = done.stdout + done.stderr
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")[-3000:]
    assert done.returncode in (0, 65), (done.returncode, said.decode(errors="replace")[-3000:])
    assert said.count(b"\n") <= 1 and said.endswith(b"\n"), said[-3000:]
    text = said.decode("utf-8")  # a log line an MTA writes: UTF-8, no escape sequences
    assert plain(text[:-1]) == text[:-1], f"{name}: the log line {text!r} is not plain text"
    kept = db.parent / "mail-quarantine"
    if done.returncode == 65:
        assert case.expect in (None, "refused"), f"{name}: kept aside, but it is mail: {text}"
        assert [p.read_bytes() == case.raw for p in kept.iterdir()] == [True], f"{name}: not kept exactly"
        return
    assert case.expect != "refused", f"{name}: taken, but it is not mail: {text}"
    assert not kept.exists()
    store = Store.open(db)
    try:
        rows = store.mail_messages()
    finally:
        store.close()
    assert len(rows) == 1 and rows[0]["disposition"] in DISPOSITIONS
    assert text.startswith(f"slaboard mailgate: {case.expect or rows[0]['disposition']}"), text
