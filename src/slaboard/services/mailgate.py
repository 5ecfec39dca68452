"""Mail that arrives: one RFC 5322 message becomes a new call, or a message in the
customer log of the call it answers, or is set aside (never an error that loses it).

What happens to a message, in order:

1. Its Message-ID was seen before (an MTA or a fetch delivering twice): ignored.
2. An auto-reply or a bounce (``Auto-Submitted`` other than ``no``, ``Precedence:
   bulk/junk/list``, ``X-Autoreply``/``X-Autorespond``, a mailer-daemon or postmaster
   sender, a ``multipart/report``): recorded, ignored; it never opens a call.
3. A call's tag in the subject (``[TAG #1234]``) or an In-Reply-To/References that
   names a message of a call: an inbound message in that call's customer log; a call
   waiting on the customer goes back to in progress (its clock resumes).
4. A sender who is a contact of a customer (by address, any case) or writes from
   one of the customer's ``domains``: a new call for that customer, on its
   ``mail_service`` (else the first service its contract covers), channel email,
   the title from the subject, the text from the body (HTML-only mail as text),
   the caller from the contact, reported at the Date header when that is plausible
   (not in the future, not more than a few days old), else at receipt.
5. Anyone else: an unmatched call: the message is recorded with its sender, its
   text and its attachments until an operator names the customer
   (assign_unmatched: a call reported when the message arrived) or dismisses it
   (dismiss_unmatched).

Attachments of a message that is taken (a new call, a log entry, unmatched) are
kept with it, each up to ``attachment_limit`` bytes and at most MOST_ATTACHMENTS
of them; the others are listed by name and size, refused, and the call's text or
the log entry says so.

Every message is recorded in ``mail_messages`` with what happened to it, in the
same transaction as the call or log entry it made.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from slaboard.domain import Communication, Customer, Event
from slaboard.services.tickets import NewCall, ServiceError, TicketView, open_call, resolve_customer, update_ticket
from slaboard.settings import MailSettings
from slaboard.store import Attachment, Store
from slaboard.textfmt import plain, plain_block

LONGEST_MESSAGE = 50 * 1024 * 1024  # bytes; larger is refused (and kept aside) as not mail we take
LONGEST_TEXT = 20_000  # characters of a body kept in a call or a log entry
PLAUSIBLE_AGE = timedelta(days=3)
OPERATOR = "mail"
ATTACHMENT_LIMIT = 10 * 1024 * 1024  # bytes of one attachment kept; larger ones are listed and refused
MOST_ATTACHMENTS = 50  # kept per message; the rest are listed and refused
MOST_LISTED = 500  # attachments listed per message at all; beyond, the log only counts them
LONGEST_FILENAME = 150
MOST_NOTES = 20  # lines about attachments in a call's text or a log entry


class MailDataError(ServiceError):
    """A message that cannot be read as mail (kept aside by the caller)."""


@dataclass
class Delivery:
    disposition: str  # opened | logged | ignored | unmatched
    reason: str
    message_id: str
    ticket_id: int | None = None

    def line(self) -> str:
        call = f" #{self.ticket_id}" if self.ticket_id else ""
        return f"{self.disposition}{call}: {self.reason}"


def parse(raw: bytes) -> EmailMessage:
    if not raw.strip():
        raise MailDataError("the message is empty")
    if len(raw) > LONGEST_MESSAGE:
        raise MailDataError(f"the message has {len(raw):,} bytes, more than {LONGEST_MESSAGE:,}")
    first = raw.lstrip().split(b"\n", 1)[0]
    if b":" not in first:
        raise MailDataError("the message does not begin with a header line")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as err:  # noqa: BLE001 - the parser is lenient; what it refuses is not mail we can read
        raise MailDataError(f"the message cannot be parsed ({err})") from None
    assert isinstance(message, EmailMessage)
    return message


def header(message: EmailMessage, name: str) -> str:
    """A header as one line of text ('' when absent or unreadable)."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a malformed header reads as absent
        return ""
    return clean_line(str(value)) if value is not None else ""


def clean_line(text: str) -> str:
    """One line of inbound text as it is stored and shown: white space runs become
    one space, control and invisible characters visible stand-ins (see plain())."""
    return plain(" ".join(text.split()))


def clean_block(text: str) -> str:
    """Inbound text of several lines: line ends as newlines (a lone CR too), tabs as
    spaces, trailing spaces gone, and the rest as clean_line keeps it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return plain_block("\n".join(line.rstrip() for line in text.split("\n")).strip())


def message_id_of(message: EmailMessage, raw: bytes) -> str:
    value = header(message, "Message-ID").strip()
    found = re.search(r"<[^<>\s\x00-\x1f\x7f]+>", value)
    if found:
        return found.group(0)[:500]
    # None given: the same bytes delivered twice still count once.
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@slaboard.invalid>"


def referenced(message: EmailMessage) -> list[str]:
    text = " ".join(header(message, name) for name in ("In-Reply-To", "References"))
    return list(reversed(re.findall(r"<[^<>\s\x00-\x1f\x7f]+>", text)))


_TAG = r"\[{tag} #(\d{{1,9}})\]"  # a call number, not any run of digits


def tagged_ticket(subject: str, tag: str) -> int | None:
    found = re.search(_TAG.format(tag=re.escape(tag)), subject, re.I)
    return int(found.group(1)) if found else None


def automatic(message: EmailMessage, sender: str) -> str | None:
    """Why ``message`` is an auto-reply or a bounce, or None."""
    submitted = header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if header(message, name) and name != "X-Auto-Response-Suppress":
            return f"{name} header"
    local = sender.split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster") or local.startswith("mailer-daemon"):
        return f"from {local}"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    return None


def sender_of(message: EmailMessage) -> tuple[str, str] | None:
    """(name, address) of the one sender, or None when there is none or more than one."""
    # Read from the raw header (encoded words decoded): the email package refuses or
    # cuts short a From whose name holds CR/LF or an escape, and the address is
    # still the customer's.
    values = [" ".join(_unescaped(v).split()) for k, v in message.raw_items() if k.lower() == "from"]
    if len(values) != 1:
        return None
    one = _ONE_SENDER.match(values[0])
    # "Name <address>" with no second address: the name may hold what a parser trips
    # over (an encoded word hiding "Bcc:", an escape), the address is still one.
    found = [(one.group(1).strip().strip('"'), one.group(2))] if one else \
        [(name, address) for name, address in getaddresses(values) if "@" in address]
    if not found:  # a name the parser trips over, before the address in <>
        last = re.search(r"^(.*?)<([^<>\s]+@[^<>\s]+)>$", values[0])
        if last is None:
            return None
        found = [(last.group(1).strip().strip('"'), last.group(2))]
    if len(found) != 1:
        return None
    name, address = _decoded(found[0][0]), found[0][1]
    address = address.strip().lower()
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in address):
        return None
    return clean_line(name), address


_ONE_SENDER = re.compile(r"^((?:=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=|[^,<>@])*?)\s*<([^<>\s,]+@[^<>\s,]+)>$")


def _unescaped(value: object) -> str:
    """A raw header value as text: 8-bit bytes (UTF-8 headers are legal) decoded,
    anything undecodable replaced."""
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _decoded(value: object) -> str:
    """A raw header value with its encoded words decoded."""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # noqa: BLE001 - undecodable: as it came
        return str(value)


class _Text(HTMLParser):
    """Readable text of an HTML body: block elements become line breaks."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def body_text(message: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part as text ('' if none)."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - a structure the parser cannot walk
        part = None
    if part is None:
        # A multipart whose boundary never comes: its payload is still the
        # customer's words (an attachment alone is not).
        payload = message.get_payload()
        text = payload if isinstance(payload, str) and message.get_content_maintype() in ("multipart", "text") else ""
        return clean_block(text)[:LONGEST_TEXT]
    content = _content(part)
    text = html_text(content) if part.get_content_type() == "text/html" else content
    return clean_block(text)[:LONGEST_TEXT]


# Labels that mail programs put on Windows text: read as Windows-1252, as browsers do.
_AS_WINDOWS = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"}


def _content(part: Any) -> str:
    charset = (part.get_content_charset() or "").lower()
    raw = part.get_payload(decode=True)
    if isinstance(raw, bytes) and charset in _AS_WINDOWS:
        return raw.decode("cp1252", errors="replace")
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError, KeyError, AssertionError):
        # An unknown or broken charset: the bytes as UTF-8, anything else replaced.
        return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else ""


def plausible_date(message: EmailMessage, now: datetime) -> datetime | None:
    try:
        sent = parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if sent is None or sent.tzinfo is None:
        return None
    if sent > now + timedelta(minutes=5) or sent < now - PLAUSIBLE_AGE:
        return None
    return sent


def match_customer(customers: list[Customer], address: str) -> tuple[Customer, str] | None:
    """The customer whose contact this address is (and the contact's name), or whose
    mail domain it is ('' for the name)."""
    for customer in customers:
        for contact in customer.contacts:
            if contact.email and contact.email.strip().lower() == address:
                return customer, contact.name
    domain = address.rsplit("@", 1)[-1]
    for customer in customers:
        if domain in customer.domains:
            return customer, ""
    return None


# ---------------------------------------------------------------------- attachments


@dataclass
class Enclosure:
    """One attachment as it came with a message: its bytes (None when refused)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None
    refused: str = ""
    note: str = ""  # what the log says of it besides a refusal (a broken encoding)


@dataclass
class Enclosures:
    files: list[Enclosure] = field(default_factory=list)
    unlisted: int = 0  # beyond MOST_LISTED: counted only

    def notes(self) -> list[str]:
        """The lines an operator reads in the call or the log entry about what was not
        kept as sent (at most MOST_NOTES, then how many more)."""
        lines = [f"Attachment refused: {f.filename} ({size_text(f.size)}, {f.refused})" for f in self.files if f.refused]
        lines += [f"Attachment {f.filename}: {f.note}" for f in self.files if f.note]
        more = max(0, len(lines) - MOST_NOTES) + self.unlisted
        if more:
            lines = lines[:MOST_NOTES] + [f"… and {more:,} more attachments refused or not kept as sent "
                                          "(the call's attachments list them)"]
        return lines


def size_text(size: int) -> str:
    """A size as an operator reads it: 512 bytes, 12.5 KB, 25.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def safe_filename(name: str, number: int) -> str:
    """A name an attachment can be saved under: its last path component, without
    control or invisible characters, path separators and leading dots, at most
    LONGEST_FILENAME characters (the extension kept); ``attachment-N`` when nothing is left."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "/\\")
    name = name.strip().lstrip(".").strip()
    if len(name) > LONGEST_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[:LONGEST_FILENAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:LONGEST_FILENAME].rstrip()
    return name or f"attachment-{number}"


_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def _declared_type(part: Any) -> str:
    """The part's own type/subtype when it is a valid one, else application/octet-stream
    (the email package would say text/plain, which an attachment is not)."""
    try:
        value = part.get("Content-Type")
    except Exception:  # noqa: BLE001 - a malformed header reads as absent
        value = None
    kind = str(value).split(";", 1)[0].strip().lower() if value is not None else ""
    return kind if _CONTENT_TYPE.match(kind) else "application/octet-stream"


def _filename(part: Any) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a parameter the parser trips over: no name
        name = ""
    name = _unescaped(name)
    return _decoded(name) if "=?" in name else name


def _disposition(part: Any) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


def _leaves(part: Any) -> Iterator[Any]:
    """The non-multipart parts, in order; a message inside a message is one part (its bytes)."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.iter_parts():
            yield from _leaves(sub)
    else:
        yield part


def _is_attachment(part: Any, body: Any) -> bool:
    if part is body:
        return False
    if _disposition(part) == "attachment" or _filename(part):
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _payload(part: Any) -> tuple[bytes, str]:
    """The part's bytes, decoded from its transfer encoding, and a note when that
    could not be done (the bytes are then those that came, undecoded)."""
    if part.get_content_maintype() == "message":
        try:
            inner = part.get_payload(0) if part.is_multipart() else part.get_payload()
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else str(inner).encode("utf-8", "surrogateescape")
            return data, ""
        except Exception:  # noqa: BLE001 - the inner message as it came, below
            pass
    raw = part.get_payload(decode=False)
    undecoded = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - an encoding the package cannot undo
        return undecoded, "its encoding cannot be read; kept as it came (undecoded)"
    broken = [d for d in getattr(part, "defects", []) if "Base64" in type(d).__name__]
    if broken or not isinstance(data, bytes):
        return undecoded, "its encoding is broken; kept as it came (undecoded)"
    return data, ""


def attachments_of(message: EmailMessage, limit: int = ATTACHMENT_LIMIT) -> Enclosures:
    """The files that came with ``message``; never raises (a part that cannot be read
    is kept as it came, or listed as refused with the reason)."""
    found = Enclosures()
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - a structure the parser cannot walk
        body = None
    try:
        parts = [p for p in _leaves(message) if _is_attachment(p, body)]
    except Exception:  # noqa: BLE001 - what cannot be walked has no attachments to list
        return found
    kept = 0
    for number, part in enumerate(parts, 1):
        if number > MOST_LISTED:
            found.unlisted = len(parts) - MOST_LISTED
            break
        name, kind = safe_filename(" ".join(_filename(part).split()), number), _declared_type(part)
        try:
            data, note = _payload(part)
        except Exception as err:  # noqa: BLE001 - listed, refused, the reason told
            found.files.append(Enclosure(name, kind, 0, "", None, f"it cannot be read ({type(err).__name__})"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        refused = ""
        if len(data) > limit:
            refused = f"over the {size_text(limit)} limit"
        elif kept >= MOST_ATTACHMENTS:
            refused = f"more than {MOST_ATTACHMENTS} attachments in one message"
        if refused:
            found.files.append(Enclosure(name, kind, len(data), digest, None, refused))
        else:
            kept += 1
            found.files.append(Enclosure(name, kind, len(data), digest, data, note=note))
    return found


def _keep(store: Store, mail_id: int, ticket_id: int | None, enclosures: Enclosures) -> None:
    for f in enclosures.files:
        store.add_mail_attachment(mail_id=mail_id, ticket_id=ticket_id, filename=f.filename, content_type=f.content_type,
                                  size=f.size, sha256=f.sha256, content=f.content, refused=f.refused)


def _with_notes(text: str, enclosures: Enclosures) -> str:
    """The text with the notes about attachments after it; the notes always fit."""
    notes = "\n".join(enclosures.notes())
    if not notes:
        return text[:LONGEST_TEXT]
    room = max(0, LONGEST_TEXT - len(notes) - 2)
    return (text[:room] + "\n\n" if text[:room] else "") + notes


def deliver(store: Store, raw: bytes, now: datetime, *, tag: str = "SLA", own: str = "",
            attachment_limit: int = ATTACHMENT_LIMIT, mail: MailSettings | None = None) -> Delivery:
    """Take one message (see the module's notes); MailDataError when it is not mail.
    With ``mail`` set up, a new call is acknowledged (queued in the same transaction)."""
    message = parse(raw)
    message_id = message_id_of(message, raw)
    subject = header(message, "Subject")[:300]
    found_sender = sender_of(message)
    name, address = found_sender if found_sender else ("", "")
    with store.write():
        if store.mail_seen(message_id):
            return Delivery("ignored", "already taken in (the same Message-ID)", message_id)

        def record(disposition: str, reason: str, ticket_id: int | None = None, comm_id: int | None = None,
                   customer: str | None = None, body: str = "", enclosures: Enclosures | None = None) -> Delivery:
            mail_id = store.record_mail(message_id=message_id, direction="in", disposition=disposition,
                                        received_at=now, ticket_id=ticket_id, communication_id=comm_id,
                                        customer=customer, sender=address, subject=subject,
                                        sent_at=plausible_date(message, now), reason=reason, sender_name=name[:200],
                                        body=body)
            if enclosures is not None:
                _keep(store, mail_id, ticket_id, enclosures)
            return Delivery(disposition, reason, message_id, ticket_id)

        why = automatic(message, address)
        if why:
            return record("ignored", f"an automatic message ({why})")
        if own and address == own.lower():
            return record("ignored", "sent by slaboard's own address")
        enclosures = attachments_of(message, attachment_limit)
        ticket_id = tagged_ticket(subject, tag) or store.mail_ticket(referenced(message))
        ticket = store.ticket(ticket_id) if ticket_id else None
        if ticket is not None:
            return _log(store, ticket.id, ticket.customer, ticket.status, message, name or address, subject, now,
                        enclosures, record)
        text = _with_notes(body_text(message), enclosures)
        if not address:
            return record("unmatched", "no single sender address", body=text, enclosures=enclosures)
        matched = match_customer(store.customers(), address)
        if matched is None:
            return record("unmatched", f"{address} is no customer's contact or domain", body=text,
                          enclosures=enclosures)
        customer, contact = matched
        call = NewCall(customer=customer.key, service=_service_for(store, customer, now), channel="email",
                       title=subject or "(no subject)", description=text, caller=contact or name or address,
                       reported_at=plausible_date(message, now) or now)
        view = open_call(store, call, OPERATOR, now)
        delivery = record("opened", f"a new call for {customer.name}", view.ticket.id, customer=customer.key,
                          enclosures=enclosures)
        delivery.reason += acknowledged(store, mail, view, now, (name or contact, address), message_id)
        return delivery


def acknowledged(store: Store, mail: MailSettings | None, view: TicketView, now: datetime, to: tuple[str, str],
                 message_id: str) -> str:
    """Queue the acknowledgement of a new mail call when mail is set up and its level
    acknowledges; what happened, for the delivery's line. A template or address
    that fails is said there and never costs the call (nothing of it is written)."""
    if mail is None or not mail.configured or not mail.acknowledge:
        return ""
    from slaboard.services.mailsend import acknowledge, acknowledges

    if not acknowledges(store, view):
        return "; its service level sends no acknowledgement"
    try:
        acknowledge(store, mail, view, now, to=to, in_reply_to=message_id)
    except ServiceError as err:
        return f"; no acknowledgement was sent ({err})"
    return "; an acknowledgement is queued"


def _service_for(store: Store, customer: Customer, now: datetime) -> str:
    if customer.mail_service:
        return customer.mail_service
    contract = store.contract_in_force(customer.key, now.astimezone(UTC).date())
    if contract is not None and contract.terms.services:
        return contract.terms.services[0]
    services = store.services()
    if not services:
        raise ServiceError("no services are loaded; load the contract file first")
    return services[0].key


def _log(store: Store, ticket_id: int, customer: str, status: str, message: EmailMessage, contact: str,
         subject: str, now: datetime, enclosures: Enclosures, record: Callable[..., Delivery]) -> Delivery:
    text = body_text(message)
    summary = _with_notes((subject + ("\n" + text if text else "")).strip(), enclosures) or "(an empty message)"
    comm = store.add_communication(Communication(customer=customer, ticket_id=ticket_id, at=now, operator=OPERATOR,
                                                 channel="email", direction="in", contact=contact[:200],
                                                 summary=summary), now)
    reason = "a message in the call's customer log"
    if status == "waiting_customer":
        update_ticket(store, ticket_id, operator=OPERATOR, now=now, status="in_progress",
                      reason="the customer answered by mail")
        reason += "; the call is in progress again"
    return record("logged", reason, ticket_id, comm.id, customer, enclosures=enclosures)


# ---------------------------------------------------------------------- unmatched calls


@dataclass
class UnmatchedMail:
    """A message no customer was found for, waiting for an operator to name one."""

    id: int
    message_id: str
    sender: str  # the address
    sender_name: str
    subject: str
    received_at: datetime
    text: str
    reason: str
    attachments: list[Attachment]
    suggested: str | None  # the customer whose domain the sender's is, if any

    @property
    def who(self) -> str:
        return f"{self.sender_name} <{self.sender}>" if self.sender_name and self.sender else (self.sender or self.sender_name or "(no sender)")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "message_id": self.message_id, "sender": self.sender, "sender_name": self.sender_name,
                "subject": self.subject, "received_at": self.received_at.isoformat(), "text": self.text,
                "reason": self.reason, "suggested_customer": self.suggested,
                "attachments": [attachment_dict(a) for a in self.attachments]}


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "mail_id": a.mail_id, "ticket": a.ticket_id, "filename": a.filename,
            "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "refused": a.refused,
            "received_at": a.received_at.isoformat()}


def suggested_customer(customers: list[Customer], address: str) -> Customer | None:
    """The customer the sender's mail domain (or a parent domain of it) belongs to:
    one of its ``domains`` or the domain of one of its contacts."""
    domain = address.rsplit("@", 1)[-1].lower() if "@" in address else ""
    while domain:
        for customer in customers:
            known = {d.lower() for d in customer.domains}
            known |= {c.email.rsplit("@", 1)[-1].strip().lower() for c in customer.contacts if c.email and "@" in c.email}
            if domain in known:
                return customer
        domain = domain.partition(".")[2] if domain.count(".") > 1 else ""
    return None


def _unmatched(store: Store, row: dict[str, Any], customers: list[Customer]) -> UnmatchedMail:
    suggested = suggested_customer(customers, row["sender"])
    return UnmatchedMail(id=int(row["id"]), message_id=row["message_id"], sender=row["sender"],
                         sender_name=row["sender_name"], subject=row["subject"],
                         received_at=datetime.fromisoformat(row["received_at"]), text=row["body"],
                         reason=row["reason"], attachments=store.attachments(mail_id=int(row["id"])),
                         suggested=suggested.key if suggested else None)


def unmatched_mail(store: Store) -> list[UnmatchedMail]:
    """The unmatched calls, oldest first."""
    with store.read():
        customers = store.customers()
        return [_unmatched(store, row, customers) for row in store.unmatched_mail()]


def _waiting(store: Store, mail_id: int) -> dict[str, Any]:
    """The unmatched message ``mail_id``, read inside the caller's write transaction
    (so that two operators never both take it); ServiceError when it is no longer waiting."""
    row = store.mail_message(mail_id)
    if row is None or row["direction"] != "in":
        raise ServiceError(f"there is no inbound mail #{mail_id}; 'slaboard mail unmatched' lists what waits")
    if row["disposition"] != "unmatched":
        already = f" (call #{row['ticket_id']})" if row["ticket_id"] else ""
        raise ServiceError(f"mail #{mail_id} is not waiting for a customer: it was {row['disposition']}{already}; "
                           f"{row['reason']}")
    return row


def assign_unmatched(store: Store, mail_id: int, customer: str, service: str | None, operator: str,
                     now: datetime, mail: MailSettings | None = None) -> TicketView:
    """Make an unmatched message a call of ``customer`` (on ``service``, else the one
    its mail goes to): reported when the message arrived, so its clocks run from
    then; the message and its attachments belong to the call from now on."""
    with store.write():
        row = _waiting(store, mail_id)
        chosen = resolve_customer(store, customer)
        received = datetime.fromisoformat(row["received_at"])
        address, name = row["sender"], row["sender_name"]
        caller = f"{name} <{address}>" if name and address else (address or name)
        call = NewCall(customer=chosen.key, service=service or _service_for(store, chosen, now), channel="email",
                       title=row["subject"] or "(no subject)", description=row["body"], caller=caller[:200],
                       reported_at=min(received, now))
        view = open_call(store, call, operator, now)
        note = (f"opened from unmatched mail #{mail_id} {row['message_id']} from {address or '(no sender)'}, "
                f"received {received.isoformat()}; {chosen.name} named by {operator}")
        store.add_events([Event(ticket_id=view.ticket.id, at=now, operator=operator, kind="comment", note=note)])
        reason = f"a call for {chosen.name}, named by {operator} at {now.isoformat(timespec='seconds')}"
        if address:
            reason += acknowledged(store, mail, view, now, (name, address), row["message_id"])
        store.settle_mail(mail_id, disposition="opened", ticket_id=view.ticket.id, customer=chosen.key,
                          reason=reason)
    return view


def dismiss_unmatched(store: Store, mail_id: int, operator: str, now: datetime, reason: str = "") -> str:
    """Set an unmatched message aside as no call (spam, a newsletter); what is recorded."""
    why = " ".join(reason.split()) or "not a call"
    recorded = f"dismissed by {operator} at {now.isoformat(timespec='seconds')}: {why}"[:1000]
    with store.write():
        _waiting(store, mail_id)
        store.settle_mail(mail_id, disposition="dismissed", reason=recorded)
    return recorded


# ---------------------------------------------------------------------- saving an attachment


def save_attachment(store: Store, attachment_id: int, target: Path, *, force: bool = False) -> Path:
    """Write an attachment's bytes to ``target`` (a folder: the attachment's name in
    it), all or nothing: never over an existing file unless ``force``. The path
    written; ServiceError, one line, for a refused attachment or a place it cannot go."""
    found = store.attachment(attachment_id)
    if found is None:
        raise ServiceError(f"there is no attachment {attachment_id}; 'slaboard attachment list CALL' lists them")
    if found.refused:
        raise ServiceError(f"{found.filename} was refused when the mail came ({found.refused}); it was not kept")
    content = store.attachment_content(attachment_id)
    if content is None:
        raise ServiceError(f"{found.filename} has no content kept")
    path = target / found.filename if target.is_dir() else target
    if not force and os.path.lexists(path):
        raise ServiceError(f"{path} exists; choose another name (or --force to replace it)")
    folder = path.parent
    try:
        fd, partial = tempfile.mkstemp(dir=folder, prefix=".slaboard-", suffix=".part")
    except FileNotFoundError:
        raise ServiceError(f"there is no folder {folder}") from None
    except (PermissionError, OSError) as err:
        raise ServiceError(f"cannot write in {folder}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(partial, 0o666 & ~mask)
        if force:
            os.replace(partial, path)
        else:
            os.link(partial, path)  # fails when the name was taken meanwhile: nothing is overwritten
            os.unlink(partial)
    except FileExistsError:
        os.unlink(partial)
        raise ServiceError(f"{path} exists; choose another name (or --force to replace it)") from None
    except OSError as err:
        if os.path.lexists(partial):
            os.unlink(partial)
        raise ServiceError(f"cannot write {path}: {err.strerror or err}") from None
    return path
