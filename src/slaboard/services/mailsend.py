"""Mail to a customer about a call: a reply an operator writes, the notice that a
target will be missed, and the acknowledgement of a new call that came by mail,
which tells the customer the deadlines their contract gives it.

Each message is logged in the customer log and written to the outbox in one
transaction; it is sent after commit (see slaboard.services.mailout). A reply or a
notice is the call's response when none came before, as logging one is; the
acknowledgement is automatic and answers nothing, so it is not.

The wording of the acknowledgement lives in a template (see
slaboard.services.mailtemplates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slaboard.domain import Communication
from slaboard.services.comms import NewCommunication, log_communication
from slaboard.services.mailout import MailError, MailSettings, check_address, enqueue
from slaboard.services.mailtemplates import render_mail
from slaboard.services.tickets import ServiceError, TicketView, get_view
from slaboard.store import Store
from slaboard.textfmt import money


@dataclass(frozen=True)
class Outgoing:
    """A message written to the outbox, and its entry in the customer log."""

    outbox_id: int
    communication: Communication
    to: tuple[str, str]
    subject: str


# ------------------------------------------------------------------ who and which thread


def recipient(store: Store, view: TicketView) -> tuple[str, str]:
    """Who a message about the call goes to: the sender of its latest mail, else the
    caller when the contract file gives the caller an address, else the customer's
    first contact with one."""
    contacts = [c for c in view.customer.contacts if c.email]
    latest = store.mail_thread(view.ticket.id, direction="in")
    if latest and latest[-1]["sender"]:
        address = latest[-1]["sender"]
        known = next((c.name for c in contacts if c.email.lower() == address.lower()), "")
        return latest[-1]["sender_name"] or known, address
    caller = view.ticket.caller.strip().lower()
    for contact in contacts:
        if caller and caller in (contact.name.lower(), contact.email.lower()):
            return contact.name, contact.email
    if contacts:
        return contacts[0].name, contacts[0].email
    raise MailError(f"#{view.ticket.id} has no address to write to: no mail came in on it and "
                    f"{view.customer.code} has no contact with an e-mail address in the contract file")


def thread_of(store: Store, ticket_id: int) -> tuple[str | None, list[str]]:
    """In-Reply-To (the latest inbound message) and References (the thread so far,
    the last 20) for a message about the call."""
    messages = store.mail_thread(ticket_id)
    inbound = [m["message_id"] for m in messages if m["direction"] == "in"]
    return (inbound[-1] if inbound else None), [m["message_id"] for m in messages][-20:]


def subject_for(view: TicketView, tag: str, *, reply: bool = True) -> str:
    subject = f"[{tag} #{view.ticket.id}] {view.ticket.title}"
    return f"Re: {subject}" if reply else subject


# ------------------------------------------------------------------ an operator's message


def send_message(store: Store, mail: MailSettings, *, ticket_id: int, text: str, operator: str, now: datetime,
                 notice: bool = False, promised_at: datetime | None = None,
                 to: tuple[str, str] | None = None) -> Outgoing:
    """Log ``text`` as sent by mail to the customer of call ``ticket_id`` and queue it;
    ``notice`` marks it as telling the customer a target will be missed."""
    if not text.strip():
        raise ServiceError("text: say what the message says")
    with store.write():
        view = get_view(store, ticket_id, now)
        name, address = to or recipient(store, view)
        in_reply_to, references = thread_of(store, ticket_id)
        subject = subject_for(view, mail.tag)
        comm = log_communication(store, NewCommunication(
            customer=view.customer.key, summary=text, channel="email", direction="out",
            contact=name or address, ticket_id=ticket_id, promised_at=promised_at, tells_of_miss=notice,
        ), operator, now)
        outbox_id = enqueue(store, mail, kind="notice" if notice else "reply", to=[(name, address)],
                            subject=subject, body=text, now=now, ticket_id=ticket_id, customer=view.customer.key,
                            communication_id=comm.id, in_reply_to=in_reply_to, references=references)
    return Outgoing(outbox_id, comm, (name, address), subject)


# ------------------------------------------------------------------ the acknowledgement


def deadline_text(moment: datetime | None, tz: str, now: datetime) -> str | None:
    """'Tue 10:15' within the coming week, else 'Tue 8 Dec 10:15', in the zone given."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(tz))
    if moment - now < timedelta(days=6):
        return f"{local:%a} {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def acknowledgement_context(store: Store, mail: MailSettings, view: TicketView, now: datetime,
                            contact: str) -> dict[str, Any]:
    t, tz = view.ticket, view.customer.tz
    service = next((s.name for s in store.services() if s.key == t.service), t.service)
    msp = store.msp()
    rate = None
    if view.contract is not None and view.contract.terms.hourly_rate is not None:
        rate = view.contract.terms.hourly_rate
    elif msp is not None and msp.default_hourly_rate is not None:
        rate = msp.default_hourly_rate
    currency = msp.currency if msp is not None else ""

    def due(clock: str) -> str | None:
        found = view.clocks.get(clock)
        return deadline_text(found.due if found is not None else None, tz, now)

    covered = view.contract is not None and not t.billable
    return {
        "call": {"id": t.id, "title": t.title, "service": service, "priority": t.priority},
        "customer": {"name": view.customer.name, "tz": tz},
        "contact": contact or view.ticket.caller or view.customer.name,
        "msp": mail.name or (msp.name if msp is not None else "") or "the service desk",
        "tag": mail.tag,
        "covered": covered,
        "level": view.level,
        "respond_by": due("response") if covered else None,
        "plan_by": due("plan") if covered else None,
        "resolve_by": due("resolution") if covered else None,
        "hourly_rate": f"{currency} {money(rate)}".strip() if rate is not None else None,
    }


def acknowledges(store: Store, view: TicketView) -> bool:
    """Whether the call's service level acknowledges mail calls (it does unless its
    level says ``acknowledge = false``; a call no contract covers is acknowledged)."""
    level_key = view.contract.terms.level if view.contract is not None else None
    if level_key is None:
        return True
    level = next((lv for lv in store.levels() if lv.key == level_key), None)
    return level is None or level.acknowledge


def acknowledge(store: Store, mail: MailSettings, view: TicketView, now: datetime, *, to: tuple[str, str],
                in_reply_to: str | None) -> int:
    """Queue the acknowledgement of a new mail call and log it (inside the caller's
    transaction); the outbox id."""
    subject, body = render_mail(mail.templates, "acknowledgement.txt", acknowledgement_context(store, mail, view, now, to[0]))
    check_address(to[1])  # before anything is written: a bad address costs nothing
    check_address(mail.from_address)
    with store.write():
        comm = store.add_communication(Communication(
            customer=view.customer.key, ticket_id=view.ticket.id, at=now, operator="mail", channel="email",
            direction="out", contact=(to[0] or to[1])[:200], summary=body.strip()), now)
        return enqueue(store, mail, kind="acknowledgement", to=[to], subject=subject, body=body, now=now,
                       ticket_id=view.ticket.id, customer=view.customer.key, communication_id=comm.id,
                       in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [])


def preview(store: Store, mail: MailSettings, ticket_id: int, now: datetime) -> tuple[str, str]:
    """The acknowledgement call ``ticket_id`` gets (or would get), for an MSP that
    changes the templates: subject and text."""
    view = get_view(store, ticket_id, now)
    try:
        name = recipient(store, view)[0]
    except MailError:
        name = view.ticket.caller
    return render_mail(mail.templates, "acknowledgement.txt", acknowledgement_context(store, mail, view, now, name))
