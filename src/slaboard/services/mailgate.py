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
5. Anyone else: recorded as unmatched (no call is opened for now).

Every message is recorded in ``mail_messages`` with what happened to it, in the
same transaction as the call or log entry it made.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from slaboard.domain import Communication, Customer
from slaboard.services.tickets import NewCall, ServiceError, open_call, update_ticket
from slaboard.store import Store
from slaboard.textfmt import plain, plain_block

LONGEST_MESSAGE = 50 * 1024 * 1024  # bytes; larger is refused (and kept aside) as not mail we take
LONGEST_TEXT = 20_000  # characters of a body kept in a call or a log entry
PLAUSIBLE_AGE = timedelta(days=3)
OPERATOR = "mail"


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


def deliver(store: Store, raw: bytes, now: datetime, *, tag: str = "SLA", own: str = "") -> Delivery:
    """Take one message (see the module's notes); MailDataError when it is not mail."""
    message = parse(raw)
    message_id = message_id_of(message, raw)
    subject = header(message, "Subject")[:300]
    found_sender = sender_of(message)
    name, address = found_sender if found_sender else ("", "")
    with store.write():
        if store.mail_seen(message_id):
            return Delivery("ignored", "already taken in (the same Message-ID)", message_id)

        def record(disposition: str, reason: str, ticket_id: int | None = None, comm_id: int | None = None,
                   customer: str | None = None) -> Delivery:
            store.record_mail(message_id=message_id, direction="in", disposition=disposition, received_at=now,
                              ticket_id=ticket_id, communication_id=comm_id, customer=customer, sender=address,
                              subject=subject, sent_at=plausible_date(message, now), reason=reason)
            return Delivery(disposition, reason, message_id, ticket_id)

        why = automatic(message, address)
        if why:
            return record("ignored", f"an automatic message ({why})")
        if own and address == own.lower():
            return record("ignored", "sent by slaboard's own address")
        ticket_id = tagged_ticket(subject, tag) or store.mail_ticket(referenced(message))
        ticket = store.ticket(ticket_id) if ticket_id else None
        if ticket is not None:
            return _log(store, ticket.id, ticket.customer, ticket.status, message, name or address, subject, now,
                        record)
        if not address:
            return record("unmatched", "no single sender address")
        matched = match_customer(store.customers(), address)
        if matched is None:
            return record("unmatched", f"{address} is no customer's contact or domain")
        customer, contact = matched
        text = body_text(message)
        call = NewCall(customer=customer.key, service=_service_for(store, customer, now), channel="email",
                       title=subject or "(no subject)", description=text, caller=contact or name or address,
                       reported_at=plausible_date(message, now) or now)
        view = open_call(store, call, OPERATOR, now)
        return record("opened", f"a new call for {customer.name}", view.ticket.id, customer=customer.key)


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
         subject: str, now: datetime, record: Callable[..., Delivery]) -> Delivery:
    text = body_text(message)
    summary = (subject + ("\n" + text if text else "")).strip()[:LONGEST_TEXT] or "(an empty message)"
    comm = store.add_communication(Communication(customer=customer, ticket_id=ticket_id, at=now, operator=OPERATOR,
                                                 channel="email", direction="in", contact=contact[:200],
                                                 summary=summary), now)
    reason = "a message in the call's customer log"
    if status == "waiting_customer":
        update_ticket(store, ticket_id, operator=OPERATOR, now=now, status="in_progress",
                      reason="the customer answered by mail")
        reason += "; the call is in progress again"
    return record("logged", reason, ticket_id, comm.id, customer)
