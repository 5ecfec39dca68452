"""Mail that leaves: a message is written to the outbox in the same transaction as
what caused it (a log entry, a new call), and sent after commit by ``flush``.

What the outbox promises:

- Nothing is sent for a transaction that was rolled back: ``enqueue`` only writes
  a row; no SMTP traffic happens inside a transaction.
- Nothing is lost: a message that could not be sent stays queued, with why, and
  is tried again after 1, 2, 4, 8 ... minutes (at most 60); one the server refuses
  for good (5xx for every recipient) is ``failed`` after 8 tries, kept and shown.
- Nothing is sent twice: a sender claims a message with a conditional update
  before it sends, and only the one whose update changed the row sends it. A
  sender that died between claiming and marking the message sent leaves it
  ``sending``: it may or may not have gone, so it waits for an operator
  (``slaboard mail retry ID``) instead of being sent again unasked.

The server is named by ``[mail] smtp`` of the settings or ``SLABOARD_SMTP``:
``smtp://`` (STARTTLS; the password is never sent in clear text), ``smtps://``
(TLS from the start) or ``smtp+plain://`` (a relay on this host). The password
comes from ``SLABOARD_SMTP_PASSWORD`` or ``password_file`` (readable by its owner
only), never from the command line.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import smtplib
import socket
import ssl
import stat
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from slaboard.services.tickets import ServiceError
from slaboard.settings import MailSettings, Settings, SmtpServer, parse_smtp
from slaboard.store import Store

__all__ = ["FlushReport", "MailError", "MailSettings", "check_settings", "compose", "enqueue", "flush", "mail_settings",
           "new_message_id", "retry", "send_test", "SendError", "unsent"]

AUTOMATIC_KINDS = ("acknowledgement", "escalation")  # answered by no autoresponder
GIVE_UP_AFTER = 8  # tries of a message every recipient of which the server refuses for good
LONGEST_BACKOFF = 60  # minutes
CLAIM = timedelta(minutes=15)  # how long a sender may take over one message before it counts as dead
_MESSAGE_ID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,400}>")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class MailError(ServiceError):
    """Mail cannot be written or sent as asked: one line for people."""


class SendError(MailError):
    """The server could not be reached or would not take the message (mail is set
    up; the server, the network or the password is the trouble)."""


@dataclass
class FlushReport:
    """What one flush did. ``problem`` is set when the server could not be used at
    all (down, TLS, sign-in); the messages then wait, nothing is lost."""

    server: str = ""
    sent: int = 0
    retrying: int = 0  # not sent now, queued for a later try
    failed: int = 0  # given up on in this flush (kept, shown, retried only when asked)
    waiting: int = 0  # queued after the flush (due now or later)
    stale: list[int] = field(default_factory=list)  # left "sending" by a sender that died
    lines: list[str] = field(default_factory=list)  # one per message handled
    problem: str = ""
    sent_ids: list[int] = field(default_factory=list)  # the outbox ids sent in this flush

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "waiting": self.waiting, "stale": self.stale, "messages": self.lines, "problem": self.problem}


# ------------------------------------------------------------------ settings


def mail_settings(settings: Settings, environ: Mapping[str, str] = os.environ) -> MailSettings:
    """The ``[mail]`` settings with the environment over them: ``SLABOARD_SMTP``,
    ``SLABOARD_SMTP_PASSWORD`` and ``SLABOARD_SMTP_CAFILE`` win. MailError when
    ``SLABOARD_SMTP`` is not an SMTP address."""
    mail = settings.mail
    changes: dict[str, Any] = {}
    if environ.get("SLABOARD_SMTP", "").strip():
        try:
            changes["smtp"] = parse_smtp(environ["SLABOARD_SMTP"])
        except ValueError as err:
            raise MailError(f"SLABOARD_SMTP: {err}") from None
    if environ.get("SLABOARD_SMTP_PASSWORD"):
        changes["password"] = environ["SLABOARD_SMTP_PASSWORD"]
    if environ.get("SLABOARD_SMTP_CAFILE"):
        changes["cafile"] = str(Path(environ["SLABOARD_SMTP_CAFILE"]).expanduser())
    return replace(mail, **changes)


def _ready(settings: MailSettings) -> SmtpServer:
    """The server, when mail is set up; MailError that says what to set otherwise."""
    if not settings.from_address:
        raise MailError("mail is not set up: give slaboard's own address as 'from' in [mail] of the settings file")
    if settings.smtp is None:
        raise MailError("mail is not set up: give the SMTP server as 'smtp' in [mail] of the settings file "
                        "or in SLABOARD_SMTP, e.g. smtp://support@smtp.example:587")
    return settings.smtp


def check_settings(settings: MailSettings) -> None:
    """MailError when no mail can be sent with these settings: not set up, or the
    password needed and not to be had (so a command says so before it opens
    anything)."""
    _password(settings)


def _password(settings: MailSettings) -> str | None:
    """The SMTP password (None when the server is used without signing in);
    MailError when it is needed and cannot be had safely."""
    server = _ready(settings)
    if not server.user:
        return None
    if settings.password:
        return settings.password
    path = settings.password_file
    if path is None:
        raise MailError(f"{server.where()} needs a password: set SLABOARD_SMTP_PASSWORD or password_file in [mail]")
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise MailError(f"cannot read the SMTP password file {path}: {reason}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MailError(f"the SMTP password file {path} can be read by others; chmod 600 it")
    password = text.strip()
    if not password:
        raise MailError(f"the SMTP password file {path} is empty")
    return password


# ------------------------------------------------------------------ writing a message


def header_text(text: str) -> str:
    """Text from data (a call's title, a contact's name) fit for one header: CR, LF
    and every other control or line-separating character become a space, so the
    text can never end a header and begin another."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())


def check_address(address: str) -> str:
    """``address`` when it is one plausible mail address (one ``@``, a domain with a
    dot, no spaces or controls, at most 254 characters); MailError naming it otherwise."""
    shown = repr(header_text(address)[:80])
    if len(address) > 254 or address.count("@") != 1 or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F
                                                              for ch in address):
        raise MailError(f"{shown} is not a mail address")
    local, domain = address.split("@")
    labels = domain.split(".")
    if not (local and len(local) <= 64 and _LOCAL_PART.match(local)):
        raise MailError(f"{shown} is not a mail address (the part before @)")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise MailError(f"{shown} is not a mail address (the domain)")
    return address


def _addresses(people: Sequence[tuple[str, str]]) -> list[Address]:
    return [Address(display_name=header_text(name)[:200], addr_spec=check_address(address.strip()))
            for name, address in people]


def _message_ids(ids: Sequence[str]) -> list[str]:
    """Well-formed Message-IDs only, each once, in order (the last 20: a thread
    of hundreds would make a header no server takes)."""
    seen: list[str] = []
    for one in ids:
        found = _MESSAGE_ID.fullmatch(header_text(one or ""))
        if found and found.group(0) not in seen:
            seen.append(found.group(0))
    return seen[-20:]


def new_message_id(settings: MailSettings) -> str:
    """A Message-ID of slaboard's own: ``<random.slaboard@domain-of-from>``."""
    if not settings.from_address:
        _ready(settings)
    return f"<{secrets.token_hex(12)}.slaboard@{settings.from_address.rsplit('@', 1)[-1]}>"


def compose(settings: MailSettings, *, to: list[tuple[str, str]], subject: str, body: str, message_id: str,
            in_reply_to: str | None = None, references: Sequence[str] = (), date: datetime,
            cc: Sequence[tuple[str, str]] = (), kind: str = "message") -> EmailMessage:
    """One message from slaboard's address: text/plain in UTF-8 (quoted-printable,
    so it passes any server), non-ASCII names and subjects as encoded words, and
    no header that data could have added. MailError for a bad address."""
    if not to:
        raise MailError("a message needs at least one recipient")
    if not _KIND.match(kind):
        raise MailError(f"{kind!r} is not a kind of message")
    if date.tzinfo is None:
        raise MailError("the message's date has no time zone")
    if not settings.from_address:
        _ready(settings)
    found_id = _MESSAGE_ID.fullmatch(message_id)
    if not found_id:
        raise MailError(f"{header_text(message_id)[:80]!r} is not a Message-ID")
    message = EmailMessage(policy=policy.SMTP)
    message["Date"] = format_datetime(date)
    message["From"] = Address(display_name=header_text(settings.name)[:200],
                              addr_spec=check_address(settings.from_address))
    message["To"] = _addresses(to)
    if cc:
        message["Cc"] = _addresses(cc)
    message["Subject"] = header_text(subject)[:900] or "(no subject)"
    message["Message-ID"] = message_id
    replied = _message_ids([in_reply_to or ""])
    if replied:
        message["In-Reply-To"] = replied[0]
    thread = _message_ids([*references, *replied])
    if thread:
        message["References"] = " ".join(thread)
    if kind in AUTOMATIC_KINDS:
        message["Auto-Submitted"] = "auto-replied"  # RFC 3834: autoresponders do not answer it
    message["X-Slaboard-Kind"] = kind
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    message.set_content(text if text.endswith("\n") else text + "\n", charset="utf-8", cte="quoted-printable")
    return message


def _text_of(message: EmailMessage) -> str:
    return message.as_string(policy=policy.SMTP)


def enqueue(store: Store, settings: MailSettings, *, kind: str, to: list[tuple[str, str]], subject: str,
            body: str, now: datetime, ticket_id: int | None = None, customer: str | None = None,
            communication_id: int | None = None, in_reply_to: str | None = None,
            references: Sequence[str] = ()) -> int:
    """Queue one message (the id of its outbox row), in the caller's transaction
    when there is one: it is sent only after that commits, by ``flush``. Its
    Message-ID is recorded, so that a reply finds the call. MailError for a bad
    address (nothing is written then)."""
    message_id = new_message_id(settings)
    message = compose(settings, to=to, subject=subject, body=body, message_id=message_id,
                      in_reply_to=in_reply_to, references=references, date=now, kind=kind)
    recipients = [address.strip() for _name, address in to]
    with store.write():
        return store.queue_mail(message_id=message_id, kind=kind, recipients=recipients,
                                subject=str(message["Subject"]), message=_text_of(message), now=now,
                                ticket_id=ticket_id, communication_id=communication_id, customer=customer,
                                sender=settings.from_address)


def unsent(store: Store) -> int:
    """Messages queued, being sent or failed (the board shows the number)."""
    return store.unsent_mail()


def retry(store: Store, outbox_id: int, now: datetime) -> str:
    """Queue a failed message again, or one a dead sender left ``sending`` (it may
    have gone: the operator decides to send it again); a line that says so.
    MailError for any other message."""
    before = store.requeue_mail(outbox_id, now)
    if before is None:
        raise MailError(f"there is no message {outbox_id} in the outbox; 'slaboard mail outbox' lists them")
    if before == "failed":
        return f"message {outbox_id} is queued again (it had failed)"
    if before == "sending (stale)":
        return f"message {outbox_id} is queued again (its sender stopped while sending it; it may arrive twice)"
    if before == "sending":
        raise MailError(f"message {outbox_id} is being sent right now; retry it only if it is still sending later")
    raise MailError(f"message {outbox_id} is {before}; only a failed message or one left sending can be retried")


# ------------------------------------------------------------------ sending


class _Failure(Exception):
    """A message not sent: ``permanent`` when the server refused it for good,
    ``connection`` when the server could not be used at all."""

    def __init__(self, line: str, *, permanent: bool = False, connection: bool = False, lost: bool = False) -> None:
        super().__init__(line)
        self.line = line
        self.permanent = permanent
        self.connection = connection
        self.lost = lost  # the session is gone with it


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return header_text(f"{code} {words}")[:300]


def _reason(err: BaseException) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({err.verify_message}); name its CA in cafile or SLABOARD_SMTP_CAFILE"
    if isinstance(err, smtplib.SMTPResponseException):
        return _said(err.smtp_code, err.smtp_error)
    if isinstance(err, TimeoutError | socket.timeout):
        return "it did not answer in time"
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return "it closed the connection"
    return header_text(getattr(err, "strerror", None) or str(err) or type(err).__name__)[:300]


def _ehlo_name(settings: MailSettings) -> str:
    """The name we greet with: this host's, when it is a full name, else the
    domain of our address (getfqdn() can wait long on DNS)."""
    name = socket.gethostname()
    return name if "." in name else settings.from_address.rsplit("@", 1)[-1]


def _connect(settings: MailSettings, password: str | None) -> smtplib.SMTP:
    """An SMTP session, signed in when a user is given; _Failure(connection=True)
    with what went wrong."""
    server = _ready(settings)
    where = server.where()
    try:
        context = ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ssl.SSLError) as err:
        raise MailError(f"cannot read the CA file {settings.cafile}: {_reason(err)}") from None
    conn: smtplib.SMTP | None = None
    try:
        if server.scheme == "smtps":
            conn = smtplib.SMTP_SSL(server.host, server.port, local_hostname=_ehlo_name(settings),
                                    timeout=settings.timeout, context=context)
        else:
            conn = smtplib.SMTP(server.host, server.port, local_hostname=_ehlo_name(settings),
                                timeout=settings.timeout)
        conn.ehlo()
        if server.scheme == "smtp":
            if conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
            elif server.user and not server.loopback:
                raise _Failure(f"{where} does not offer STARTTLS, so the password would travel in clear text; "
                               "not sent (use smtps:// if the server has it)", connection=True)
        if server.user:
            if not conn.has_extn("auth"):
                raise _Failure(f"{where} does not offer to sign in (no AUTH); remove the user from the address "
                               "if it needs none", connection=True)
            conn.login(server.user, password or "")
    except _Failure:
        _close(conn)
        raise
    except smtplib.SMTPAuthenticationError as err:
        _close(conn)
        raise _Failure(f"{where} refused the user or the password ({_reason(err)})", connection=True) from None
    except (OSError, ssl.SSLError, smtplib.SMTPException) as err:
        _close(conn)
        raise _Failure(f"cannot use {where}: {_reason(err)}", connection=True) from None
    return conn


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()


def _transmit(conn: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes) -> tuple[str, dict[str, str]]:
    """One message over an open session: the server's last reply and the
    recipients it refused (when it took the message for the others). _Failure
    when it took it for nobody."""
    try:
        code, text = conn.mail(sender)
        if code != 250:
            conn.rset()
            raise _Failure(f"the server refused the sender: {_said(code, text)}", permanent=code >= 500)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in recipients:
            code, text = conn.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, text)
        if len(refused) == len(recipients):
            conn.rset()
            said = "; ".join(f"{r}: {_said(c, t)}" for r, (c, t) in refused.items())
            raise _Failure(f"the server refused every recipient: {said}",
                           permanent=all(c >= 500 for c, _t in refused.values()))
        code, text = conn.data(data)
        if code != 250:
            conn.rset()
            raise _Failure(f"the server refused the message: {_said(code, text)}", permanent=code >= 500)
    except _Failure:
        raise
    except (OSError, smtplib.SMTPException) as err:
        # The session is gone; the next message opens another.
        raise _Failure(f"the connection failed: {_reason(err)}", lost=True) from None
    return _said(code, text), {r: _said(c, t) for r, (c, t) in refused.items()}


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its ``attempts``-th failed try: 1, 2, 4, 8 ...
    minutes, never more than an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), LONGEST_BACKOFF))


class _Session:
    """One SMTP session for a whole flush, opened at the first message; when the
    server cannot be used, every further message of the flush gets the same answer
    without another try."""

    def __init__(self, settings: MailSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.conn: smtplib.SMTP | None = None
        self.broken: _Failure | None = None

    def send(self, recipients: Sequence[str], data: bytes) -> tuple[str, dict[str, str]]:
        if self.broken is not None:
            raise self.broken
        if self.conn is None:
            try:
                self.conn = _connect(self.settings, self.password)
            except _Failure as err:
                self.broken = err
                raise
        try:
            return _transmit(self.conn, self.settings.from_address, recipients, data)
        except _Failure as err:
            if err.lost:
                _close(self.conn)
                self.conn = None
            raise

    def close(self) -> None:
        _close(self.conn)
        self.conn = None


def _claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def flush(store: Store, settings: MailSettings, now: datetime, *, limit: int = 100) -> FlushReport:
    """Send up to ``limit`` due messages (see the module's notes), one SMTP session
    for all. A server that is down is no error: the report says so and the
    messages wait. MailError only when mail is not set up or the password cannot
    be read (before any message is touched)."""
    server = _ready(settings)
    password = _password(settings)
    report = FlushReport(server=server.where())
    report.stale = [int(row["id"]) for row in store.stale_mail(now)]
    report.lines.extend(f"message {i} was left sending by a sender that stopped; it may have gone: "
                        f"'slaboard mail retry {i}' sends it again" for i in report.stale)
    me = _claimant()
    session = _Session(settings, password)
    started = time.monotonic()
    try:
        for _ in range(limit):
            elapsed = timedelta(seconds=time.monotonic() - started)  # a claim's deadline is real time ahead
            row = store.claim_mail(now, me, now + elapsed + CLAIM)
            if row is None:
                break
            _send_one(store, session, row, me, now, report)
    finally:
        session.close()
    report.waiting = store.queued_mail()
    return report


def _send_one(store: Store, session: _Session, row: dict[str, Any], me: str, now: datetime,
              report: FlushReport) -> None:
    outbox_id = int(row["id"])
    recipients = json.loads(row["recipients"])
    what = f"message {outbox_id} ({row['kind']}" + (f", call #{row['ticket_id']}" if row["ticket_id"] else "") + ")"
    try:
        reply, refused = session.send(recipients, row["message"].encode("utf-8"))
    except _Failure as err:
        attempts = int(row["attempts"]) + 1
        give_up = err.permanent and attempts >= GIVE_UP_AFTER
        later = now + backoff(attempts)
        store.mail_not_sent(outbox_id, me, error=err.line, next_attempt_at=later, failed=give_up)
        if err.connection and not report.problem:
            report.problem = err.line
        if give_up:
            report.failed += 1
            report.lines.append(f"{what} FAILED after {attempts} tries: {err.line}")
        else:
            report.retrying += 1
            report.lines.append(f"{what} not sent, try {attempts}: {err.line}; next try at {later.isoformat()}")
        return
    note = "; ".join(f"refused {r}: {said}" for r, said in refused.items())
    store.mail_sent(outbox_id, me, now, reply=reply, refused=note)
    report.sent += 1
    report.sent_ids.append(outbox_id)
    report.lines.append(f"{what} sent to {', '.join(r for r in recipients if r not in refused)}: {reply}"
                        + (f" ({note})" if note else ""))


def send_test(settings: MailSettings, address: str, now: datetime) -> str:
    """Send a short test message to ``address`` now, not through the outbox; what
    the server said when it took it. MailError with what went wrong otherwise."""
    check_address(address)
    password = _password(settings)
    message = compose(settings, to=[("", address)], subject="slaboard test message",
                      body="This is a test message from slaboard: mail from the service desk reaches you.\n",
                      message_id=new_message_id(settings), date=now, kind="test")
    session = _Session(settings, password)
    try:
        reply, _refused = session.send([address], _text_of(message).encode("utf-8"))
    except _Failure as err:
        raise SendError(f"the test message was not sent: {err.line}") from None
    finally:
        session.close()
    return reply
