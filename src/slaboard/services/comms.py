"""The customer log: everything said to and heard from a customer, and the draft
of the message that tells a customer a target will be missed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from slaboard.domain import COMM_CHANNELS, Communication, Customer
from slaboard.services.tickets import (
    ServiceError,
    TicketView,
    check_in_order,
    commit_change,
    get_view,
    plan_change,
    resolve_customer,
)
from slaboard.store import Attachment, MailState, Store
from slaboard.textfmt import compact


@dataclass
class NewCommunication:
    customer: str
    summary: str
    channel: str = "phone"
    direction: str = "out"
    contact: str = ""
    ticket_id: int | None = None
    promised_at: datetime | None = None
    tells_of_miss: bool = False
    at: datetime | None = None


def log_communication(store: Store, entry: NewCommunication, operator: str, now: datetime) -> Communication:
    """Record a message. A message to the customer about a call is its first
    response if none came before; a promised time becomes the call's expected
    resolution; a notice of a miss (or a new promise) means the customer knows."""
    if entry.channel not in COMM_CHANNELS:
        raise ServiceError(f"channel must be one of {', '.join(COMM_CHANNELS)}, not {entry.channel!r}")
    if entry.direction not in ("in", "out"):
        raise ServiceError(f"direction must be 'in' (from the customer) or 'out' (to the customer), not {entry.direction!r}")
    if not entry.summary or not entry.summary.strip():
        raise ServiceError("summary: say what was said")
    at = entry.at or now
    if at.tzinfo is None:
        raise ServiceError("the time of a message needs a time zone")
    if at > now:
        raise ServiceError(f"the message time {at.isoformat()} is in the future")
    view: TicketView | None = None
    if entry.ticket_id is not None:
        view = get_view(store, entry.ticket_id, now)
        check_in_order(store, view.ticket, now)
        customer_key = view.customer.key
        if entry.customer and resolve_customer(store, entry.customer).key != customer_key:
            raise ServiceError(f"ticket #{entry.ticket_id} belongs to {view.customer.code}, not {entry.customer}")
    else:
        customer_key = resolve_customer(store, entry.customer).key
    if entry.promised_at is not None:
        if entry.promised_at.tzinfo is None:
            raise ServiceError("the promised time needs a time zone")
        if entry.promised_at < now:
            raise ServiceError(f"the promised time {entry.promised_at.isoformat()} is in the past")
    try:
        comm = Communication(
            customer=customer_key, ticket_id=entry.ticket_id, at=at, operator=operator,
            channel=entry.channel, direction=entry.direction, contact=entry.contact,  # type: ignore[arg-type]
            summary=entry.summary, promised_at=entry.promised_at, tells_of_miss=entry.tells_of_miss,
        )
    except ValidationError as err:
        first = err.errors()[0]
        raise ServiceError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    with store.write():
        stored = store.add_communication(comm, now)
        if view is not None and entry.direction == "out":
            _note_on_ticket(store, view, comm, operator, now)
    return stored


def _note_on_ticket(store: Store, view: TicketView, comm: Communication, operator: str, now: datetime) -> None:
    ticket = view.ticket
    promised = comm.promised_at if comm.promised_at is not None and comm.promised_at != ticket.expected_at else None
    change = plan_change(
        store, ticket.id, operator=operator, now=now, expected=promised,
        responded_at=comm.at, told_customer=comm.tells_of_miss or comm.promised_at is not None,
    )
    commit_change(store, change, now)


def draft_notice(view: TicketView, operator: str, now: datetime, templates: str | Path | None = None) -> str:
    """A message that tells the customer a call will miss (or has missed) its
    target: what happened, what the contract promises, the new expected time. The
    wording is the notice.txt mail template (``templates``: a folder that overrides
    the built-in ones)."""
    from slaboard.services.mailtemplates import render_text

    t = view.ticket
    tz = ZoneInfo(view.customer.tz)
    contact = t.caller or (view.customer.contacts[0].name if view.customer.contacts else view.customer.name)

    def when(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%A %d %B at %H:%M")

    clock = view.clocks.get("resolution")
    promise = clock is not None and view.contract is not None
    context = {
        "contact": contact, "call": {"id": t.id, "title": t.title}, "reported": when(t.reported_at),
        "diagnosis": t.diagnosis.rstrip("."), "level": view.level,
        "target": clock.target.duration.describe() if promise and clock else None,
        "due": when(clock.due) if promise and clock else None,
        "breached": bool(promise and clock and clock.state == "breached"),
        "over": compact(-clock.remaining) if promise and clock else None,
        "expected": when(t.expected_at) if t.expected_at is not None else None,
        "operator": operator,
    }
    return render_text(templates, "notice.txt", context).rstrip("\n")


def communications_of(store: Store, *, ticket_id: int | None = None, customer: str | None = None) -> list[Communication]:
    """The log, newest first, for a ticket or a customer."""
    key = resolve_customer(store, customer).key if customer else None
    return store.communications(ticket_id=ticket_id, customer=key)


def needs_notice(view: TicketView) -> bool:
    """A call the customer should hear about: at risk, breached or about to breach."""
    clock = view.clocks.get("resolution")
    return view.at_risk or (clock is not None and clock.stopped_ts is None and clock.state in ("breached", "critical"))




@dataclass
class CustomerLog:
    """What the screen shows: the customer, the call (if the log is about one), the
    messages newest first, and the drafted notice when the call needs one."""

    customer: Customer
    view: TicketView | None
    entries: list[Communication]
    draft: str | None
    everything: bool  # all of the customer's messages, not only the call's
    attachments: dict[int, list[Attachment]] = field(default_factory=dict)  # by message (communication id)
    mail: dict[int, MailState] = field(default_factory=dict)  # how the mail sent as an entry stands, by entry


def customer_log(store: Store, *, ticket_id: int | None, customer: str | None, everything: bool,
                 operator: str, now: datetime, templates: str | Path | None = None) -> CustomerLog:
    """The customer log of a call (its messages, or with ``everything`` all of its
    customer's) or of a customer, with the notice to draft when the call needs one."""
    view = get_view(store, ticket_id, now) if ticket_id is not None else None
    who = view.customer if view is not None else resolve_customer(store, customer or "")
    if view is not None and not everything:
        entries = communications_of(store, ticket_id=ticket_id)
    else:
        entries = communications_of(store, customer=who.key)
    draft = draft_notice(view, operator, now, templates) if view is not None and needs_notice(view) else None
    inbound = [e.id for e in entries if e.direction == "in" and e.channel == "email" and e.id is not None]
    attachments = store.communication_attachments(inbound) if inbound else {}
    outbound = [e.id for e in entries if e.direction == "out" and e.channel == "email" and e.id is not None]
    mail = store.mail_states(outbound) if outbound else {}
    return CustomerLog(who, view, entries, draft, everything or view is None, attachments, mail)


__all__ = ["CustomerLog", "NewCommunication", "communications_of", "customer_log", "draft_notice", "log_communication",
           "needs_notice"]
