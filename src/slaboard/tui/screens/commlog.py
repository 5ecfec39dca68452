"""The customer log: what was said to and heard from a customer, per call and per
customer, newest first, and the form to log a new message. For a call that is at
risk or breaching, slaboard drafts the message that tells the customer.

Nothing typed in the form is lost: closing it (esc) keeps its content until a save
succeeds, and a save that is refused leaves every field as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Footer, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from slaboard.domain import COMM_CHANNELS, Communication, Customer
from slaboard.services.access import Attachment, MailState
from slaboard.services.comms import CustomerLog, NewCommunication, customer_log, log_communication
from slaboard.services.mailsend import Outgoing, send_message
from slaboard.services.tickets import TicketView
from slaboard.textfmt import compact, local
from slaboard.timeinput import parse_optional
from slaboard.tui.host import BoardHost
from slaboard.tui.text import headline, plain, plain_block
from slaboard.tui.widgets.dialogs import attachment_line
from slaboard.tui.widgets.finder import CustomerFinder

ARROWS = {"out": "→", "in": "←"}
DIRECTIONS = (("→ to the customer", "out"), ("← from the customer", "in"))
WHEN = "%a %d %b %H:%M"

# ------------------------------------------------------------------ promised times

EXAMPLES = "'+4h', 'in 2h30m', 'tomorrow 12:00', 'fri 09:00' or '2026-11-27 12:00'"


def parse_promise(text: str, now: datetime, tz: str) -> datetime | None:
    """The instant an operator promised (see slaboard.timeinput); empty: no promise.
    Raises ValueError with a message for the operator. Does not judge past times."""
    return parse_optional(text, now, tz, "promised time")


# ------------------------------------------------------------------ reading


def mail_line(state: MailState, tz: str, now: datetime) -> Content:
    """Whether the mail an entry was sent as has gone."""
    if state.status == "sent" and state.sent_at is not None:
        return Content.styled(f"  ✉ sent {local(state.sent_at, tz, WHEN)}", "$text-muted")
    if state.status == "failed":
        return Content.styled(f"  ✉ NOT SENT: {plain(state.last_error)} (slaboard mail retry {state.outbox_id})",
                              "$error bold")
    if state.status == "sending" and state.claimed_until is not None and state.claimed_until < now:
        return Content.styled(f"  ✉ its sender stopped while sending it; 'slaboard mail retry {state.outbox_id}' "
                              "sends it again", "$warning")
    if state.status == "sending":
        return Content.styled("  ✉ being sent", "$text-muted")
    why = f" (try {state.attempts}: {plain(state.last_error)})" if state.attempts else ""
    return Content.styled(f"  ✉ waiting in the outbox, next try {local(state.next_attempt_at, tz, WHEN)}{why}",
                          "$warning")


def entry_prompt(entry: Communication, tz: str, show_ticket: bool, attachments: Sequence[Attachment] = (),
                 mail: tuple[MailState, datetime] | None = None) -> Content:
    """One message: when (customer's zone), who, direction, channel, contact; what
    was said; what was promised; the files that came with it (their names as sent,
    plain); whether the mail it was sent as has gone."""
    head = Content.assemble(
        (local(entry.at, tz, WHEN), "bold"), "  ", plain(entry.operator), "  ",
        (ARROWS.get(entry.direction, "?"), "bold $accent"), f" {entry.channel:<7} ", (plain(entry.contact) or "-", "bold"),
        (f"  #{entry.ticket_id}" if show_ticket and entry.ticket_id is not None else "", "$text-muted"),
    )
    lines = [head]
    lines.extend(Content("  " + line) for line in plain_block(entry.summary).split("\n"))
    promised = []
    if entry.promised_at is not None:
        promised.append(f"promised {local(entry.promised_at, tz, WHEN)}")
    if entry.tells_of_miss:
        promised.append("told the customer a target will be missed")
    if promised:
        lines.append(Content.styled("  " + " · ".join(promised), "$warning"))
    for a in attachments:
        lines.append(Content.assemble(("  attached ", "$text-muted"), attachment_line(a)))
    if mail is not None:
        lines.append(mail_line(mail[0], tz, mail[1]))
    return Content("\n").join(lines)


def notice_text(view: TicketView) -> str:
    """Why the customer should hear about this call now."""
    t = view.ticket
    clock = view.clocks.get("resolution")
    if view.at_risk:
        why = f"#{t.id} is at risk: the time promised lies past the deadline and the customer has not been told"
    elif clock is not None and clock.state == "breached":
        why = f"#{t.id} has breached its resolution target"
    else:
        why = f"#{t.id} is about to breach its resolution target"
    told = f" (last told {local(t.customer_told_at, view.tz, WHEN)})" if t.customer_told_at and not view.at_risk else ""
    return f"⚠ {why}{told}. d drafts the message."


# ------------------------------------------------------------------ the screen


class CommLogScreen(Screen[None]):
    """The customer log of a call (``ticket_id``) or of a customer (``customer``:
    key, code or an unambiguous part of a name or contact)."""
    app = getters.app(BoardHost)

    HELP_GROUP = "customer log"

    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    DEFAULT_CSS = """
    CommLogScreen #log-title { background: $panel; text-style: bold; padding: 0 1; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    CommLogScreen #log-scope { color: $text-muted; padding: 0 1; height: 1; }
    CommLogScreen #log-notice { display: none; height: auto; padding: 0 1; background: $warning 25%; color: $text; }
    CommLogScreen #log-notice.-shown { display: block; }
    CommLogScreen #log-finder { display: none; }
    CommLogScreen #log-finder.-shown { display: block; }
    CommLogScreen #log-entries { height: 1fr; border: none; padding: 0 1; }
    CommLogScreen #log-form { display: none; height: auto; border-top: solid $primary; padding: 0 1; background: $surface; }
    CommLogScreen #log-form.-shown { display: block; }
    CommLogScreen #log-form-title { text-style: bold; color: $primary; height: 1; }
    CommLogScreen .row { height: auto; }
    CommLogScreen .label { width: 10; height: 1; color: $text-muted; }
    CommLogScreen .label-wide { width: 12; height: 1; color: $text-muted; padding-left: 2; }
    CommLogScreen #log-channel { width: 12; }
    CommLogScreen #log-direction { width: 22; }
    CommLogScreen #log-contact { width: 26; }
    CommLogScreen #log-promised { width: 17; }
    CommLogScreen .hint { width: 1fr; height: auto; padding-left: 1; color: $text-muted; }
    CommLogScreen .hint.-error { color: $error; }
    CommLogScreen .hint.-warning { color: $warning; }
    CommLogScreen #log-said { height: 6; width: 1fr; }
    CommLogScreen.-tall #log-said { height: 12; }
    CommLogScreen #log-said-hint { padding-left: 10; height: 1; }
    CommLogScreen #log-tells { margin-left: 10; }
    CommLogScreen #log-form-error { color: $error; text-style: bold; height: auto; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "Back", key_display="esc", id="commlog.back", tooltip="Close the form (it keeps what you typed), or go back"),
        Binding("n", "new", "New", id="commlog.new", tooltip="Log a message to or from the customer"),
        Binding("d", "draft", "Draft notice", id="commlog.draft",
                tooltip="A message telling the customer a target will be missed, to edit and log"),
        Binding("ctrl+t", "copy", "Copy", id="commlog.copy",
                tooltip="Copy the message text to your clipboard (OSC 52: works over SSH)"),
        Binding("ctrl+s", "save", "Save", id="commlog.save", tooltip="Log the message in the form"),
        Binding("ctrl+r", "send", "Send mail", id="commlog.send",
                tooltip="Send the message in the form to the customer by e-mail (logged as sent)"),
        Binding("a", "scope", "All/this call", id="commlog.scope",
                tooltip="Switch between this call's messages and all of the customer's"),
        Binding("r", "reload", "Reload", show=False, id="commlog.reload", tooltip="Read the log again"),
    ]

    def __init__(self, ticket_id: int | None = None, customer: str | None = None) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.customer_text = customer
        self.everything = ticket_id is None
        self.log_data: CustomerLog | None = None
        self.error = ""
        self.save_attempted = False
        self.saving = False
        self._request = 0

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Static(Content("Customer log"), id="log-title")
        yield Static(id="log-scope")
        yield Static(id="log-notice")
        yield CustomerFinder("customer: part of a name, code or contact", id="log-finder")
        yield OptionList(markup=False, id="log-entries")
        with Vertical(id="log-form"):
            yield Static(Content("New entry"), id="log-form-title")
            with Horizontal(classes="row"):
                yield Static(Content("channel"), classes="label")
                yield Select([(name, name) for name in COMM_CHANNELS], value="phone", allow_blank=False,
                             compact=True, id="log-channel", tooltip="How the message went")
                yield Static(Content("direction"), classes="label-wide")
                yield Select(DIRECTIONS, value="out", allow_blank=False, compact=True, id="log-direction",
                             tooltip="To the customer (→) or from the customer (←)")
            with Horizontal(classes="row"):
                yield Static(Content("contact"), classes="label")
                yield Input(placeholder="who (→ takes a suggestion)", compact=True, id="log-contact",
                            tooltip="The customer's contact; suggested from the contract file")
                yield Static(classes="hint", id="log-contact-hint")
            with Horizontal(classes="row"):
                yield Static(Content("said"), classes="label")
                yield TextArea(compact=True, id="log-said", placeholder="what was said (required)",
                               tooltip="What was said, in your words or the message itself")
            yield Static(classes="hint", id="log-said-hint")
            with Horizontal(classes="row"):
                yield Static(Content("promised"), classes="label")
                yield Input(placeholder="+4h, tomorrow 12:00", compact=True, id="log-promised",
                            tooltip=f"Optional: the time promised to the customer, like {EXAMPLES}")
                yield Static(classes="hint", id="log-promised-hint")
            yield Checkbox("tells the customer a target will be missed", compact=True, id="log-tells",
                           tooltip="Tick when this message tells the customer that a target will be missed")
            yield Static(id="log-form-error")
        yield Footer()

    def on_mount(self) -> None:
        if self.ticket_id is None and not self.customer_text:
            finder = self.query_one(CustomerFinder)
            finder.add_class("-shown")
            self.app.read(lambda store: store.customers(), self._customers_read)
            finder.focus_input()
            self.query_one("#log-scope", Static).update(Content("Find the customer whose log you want to see."))
        else:
            self.load()
            self.query_one("#log-entries").focus()

    # ---------------------------------------------------------------- reading

    def load(self, highlight_first: bool = False) -> None:
        self._request += 1
        request = self._request
        ticket_id, customer, everything = self.ticket_id, self.customer_text, self.everything
        operator: str = self.app.operator
        now: datetime = self.app.clock()
        templates = self.app.mail.templates
        self.app.read(
            lambda store: customer_log(store, ticket_id=ticket_id, customer=customer, everything=everything,
                                   operator=operator, now=now, templates=templates),
            lambda data: self._show(data, request, highlight_first),
            lambda message: self._show_error(message, request),
        )

    def _show(self, data: CustomerLog, request: int, highlight_first: bool) -> None:
        if request != self._request or not self.is_attached:
            return
        first_show = self.log_data is None
        self.log_data, self.error = data, ""
        c, view = data.customer, data.view
        who = Content.assemble(plain(c.name), f" ({plain(c.code)})")
        if view is not None:
            title = Content.assemble("Customer log · ", who, f" · #{view.ticket.id} ", headline(view.ticket.title))
        else:
            title = Content.assemble("Customer log · ", who)
        self.query_one("#log-title", Static).update(title)
        scope = "all of the customer's messages" if data.everything else "this call's messages"
        self.query_one("#log-scope", Static).update(Content(f"{scope}, newest first · {c.tz} time"))
        notice = self.query_one("#log-notice", Static)
        if data.draft is not None and view is not None:
            notice.update(Content(plain(notice_text(view))))
        notice.set_class(data.draft is not None, "-shown")
        self._fill_entries(data)
        if first_show:
            self._prepare_form(data)
        if highlight_first and data.entries:
            self.query_one("#log-entries", OptionList).highlighted = 0
        self.refresh_bindings()

    def _fill_entries(self, data: CustomerLog) -> None:
        now: datetime = self.app.clock()
        entries = self.query_one("#log-entries", OptionList)
        keep = entries.highlighted
        entries.clear_options()
        for i, entry in enumerate(data.entries):
            if i:
                entries.add_option(None)  # a rule between messages
            files = data.attachments.get(entry.id, []) if entry.id is not None else []
            state = data.mail.get(entry.id) if entry.id is not None else None
            entries.add_option(Option(entry_prompt(entry, data.customer.tz, data.everything, files,
                                                   (state, now) if state is not None else None), id=str(entry.id)))
        if not data.entries:
            hint = "No messages logged yet. n logs one" + (", d drafts the notice." if data.draft else ".")
            entries.add_option(Option(Content.styled(hint, "$text-muted italic"), disabled=True))
        else:
            entries.highlighted = min(keep or 0, len(data.entries) - 1)

    def highlighted_entry(self) -> Communication | None:
        """The message under the cursor in the log."""
        option = self.query_one("#log-entries", OptionList).highlighted_option
        if self.log_data is None or option is None or option.id is None:
            return None
        return next((e for e in self.log_data.entries if str(e.id) == option.id), None)

    def _show_error(self, message: str, request: int) -> None:
        if request != self._request or not self.is_attached:
            return
        self.error = message
        entries = self.query_one("#log-entries", OptionList)
        entries.clear_options()
        entries.add_option(Option(Content.styled(plain(message), "$error"), disabled=True))
        if self.ticket_id is None:
            finder = self.query_one(CustomerFinder)
            finder.add_class("-shown")
            self.app.read(lambda store: store.customers(), self._customers_read)
            finder.input.value = self.customer_text or ""
            finder.focus_input()
        self.refresh_bindings()

    def _customers_read(self, customers: list[Customer]) -> None:
        if self.is_attached:
            self.query_one(CustomerFinder).set_customers(customers)

    @on(CustomerFinder.Chosen)
    def _customer_chosen(self, event: CustomerFinder.Chosen) -> None:
        self.customer_text = event.customer.key
        self.log_data = None
        self.query_one(CustomerFinder).remove_class("-shown")
        self.load()
        self.query_one("#log-entries").focus()

    @on(OptionList.OptionSelected, "#log-entries")
    def _entry_selected(self, event: OptionList.OptionSelected) -> None:
        entry = self.highlighted_entry()
        ticket_id = entry.ticket_id if entry is not None else None
        if ticket_id is not None:
            self.app.open_ticket(ticket_id)

    # ---------------------------------------------------------------- the form

    def _prepare_form(self, data: CustomerLog) -> None:
        names = [contact.name for contact in data.customer.contacts]
        contact = self.query_one("#log-contact", Input)
        contact.suggester = SuggestFromList(names, case_sensitive=False) if names else None
        if not contact.value and data.view is not None and data.view.ticket.caller:
            contact.value = data.view.ticket.caller
        self._check_contact(contact.value)
        self._check_summary()
        self._check_promised(self.query_one("#log-promised", Input).value)

    @property
    def form_shown(self) -> bool:
        return self.query_one("#log-form").has_class("-shown")

    def _show_form(self, title: str) -> None:
        form = self.query_one("#log-form")
        form.add_class("-shown")
        self.query_one("#log-form-title", Static).update(Content(title))
        self.query_one("#log-said", TextArea).focus()
        self.refresh_bindings()

    def _hide_form(self) -> None:
        self.query_one("#log-form").remove_class("-shown")
        self.query_one("#log-entries").focus()
        self.refresh_bindings()

    def _zone(self) -> str:
        return self.log_data.customer.tz if self.log_data else "Etc/UTC"

    def _hint(self, widget_id: str, text: str, kind: str = "") -> None:
        hint = self.query_one(f"#{widget_id}", Static)
        hint.update(Content(text))
        hint.set_class(kind == "error", "-error")
        hint.set_class(kind == "warning", "-warning")

    @on(Input.Changed, "#log-contact")
    def _contact_changed(self, event: Input.Changed) -> None:
        self._check_contact(event.value)

    def _check_contact(self, value: str) -> None:
        data = self.log_data
        name = value.strip()
        known = next((c for c in data.customer.contacts if c.name.lower() == name.lower()), None) if data else None
        if known is not None:
            self._hint("log-contact-hint", plain(" · ".join(x for x in (known.role, known.phone) if x)))
        elif name and data is not None:
            self._hint("log-contact-hint", f"not a contact on file for {plain(data.customer.code)}; kept as typed")
        else:
            self._hint("log-contact-hint", "optional")

    @on(TextArea.Changed, "#log-said")
    def _summary_changed(self) -> None:
        self._check_summary()

    def _check_summary(self) -> str | None:
        if self.query_one("#log-said", TextArea).text.strip():
            self._hint("log-said-hint", "")
            return None
        problem = "required: say what was said"
        self._hint("log-said-hint", problem, "error" if self.save_attempted else "")
        return problem

    @on(Input.Changed, "#log-promised")
    def _promised_changed(self, event: Input.Changed) -> None:
        self._check_promised(event.value)

    def _check_promised(self, value: str) -> tuple[datetime | None, str | None]:
        """The promised time and the problem with it (None when it can be saved)."""
        now: datetime = self.app.clock()
        zone = self._zone()
        try:
            when = parse_promise(value, now, zone)
        except ValueError as err:
            self._hint("log-promised-hint", plain(str(err)), "error")
            return None, str(err)
        if when is None:
            self._hint("log-promised-hint", "optional: the time promised to the customer")
            return None, None
        shown = local(when, zone, f"{WHEN} %Z")
        if when < now:
            problem = f"{shown} is in the past; promise a time after now"
            self._hint("log-promised-hint", problem, "error")
            return when, problem
        text, kind = f"{shown} · in {compact(int((when - now).total_seconds()))}", ""
        view = self.log_data.view if self.log_data else None
        due = view.ticket.resolution_due if view is not None else None
        if due is not None and when > due:
            text += " · past the deadline"
            kind = "warning"
        self._hint("log-promised-hint", text, kind)
        return when, None

    # ---------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.form_shown
        if action == "send":  # hidden where mail cannot leave
            return self.form_shown and self.ticket_id is not None and self.app.mail.configured
        if action == "draft":
            return bool(self.log_data and self.log_data.draft)
        if action == "scope":
            return self.ticket_id is not None
        if action == "new":
            return True if self.log_data is not None else None
        return True

    def action_back(self) -> None:
        if self.form_shown:
            self._hide_form()
            return
        self.app.pop_screen()

    def action_new(self) -> None:
        if self.log_data is None:
            return
        self._show_form("New entry")

    def action_draft(self) -> None:
        data = self.log_data
        if data is None or data.draft is None or data.view is None:
            return
        summary = self.query_one("#log-said", TextArea)
        if summary.text.strip() and summary.text != data.draft:
            self._show_form("New entry")
            self.notify("The form holds text you typed: log it, or clear it to take the draft.", timeout=6, markup=False)
            return
        summary.text = data.draft
        self.query_one("#log-channel", Select).value = "email"
        self.query_one("#log-direction", Select).value = "out"
        self.query_one("#log-tells", Checkbox).value = True
        contact = self.query_one("#log-contact", Input)
        if not contact.value.strip():
            t = data.view.ticket
            contact.value = t.caller or (data.customer.contacts[0].name if data.customer.contacts else "")
        expected = data.view.ticket.expected_at
        now: datetime = self.app.clock()
        promised = self.query_one("#log-promised", Input)
        if expected is not None and expected > now and not promised.value.strip():
            promised.value = local(expected, data.customer.tz, "%Y-%m-%d %H:%M")
        how = "send it (ctrl+r) or log it (ctrl+s)" if self.app.mail.configured else "log it (ctrl+s)"
        self._show_form(f"Notice to the customer: edit it, copy it (ctrl+t), {how}")
        summary.move_cursor((0, 0))

    def action_copy(self) -> None:
        if self.form_shown:
            text = self.query_one("#log-said", TextArea).text
        else:
            entry, data = self.highlighted_entry(), self.log_data
            if entry is not None:
                text = entry.summary
            else:
                text = data.draft if data is not None and data.draft else ""
        if not text.strip():
            self.notify("Nothing to copy.", timeout=3, markup=False)
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters to the clipboard.", timeout=3, markup=False)

    def action_scope(self) -> None:
        if self.ticket_id is None:
            return
        self.everything = not self.everything
        self.load()

    def action_reload(self) -> None:
        if self.is_attached and (self.ticket_id is not None or self.customer_text):
            self.load()

    def _form_entry(self) -> NewCommunication | None:
        """The message in the form, or None (and the problem shown) when it cannot be saved."""
        data = self.log_data
        if not self.form_shown or data is None or self.saving:
            return None
        self.save_attempted = True
        summary = self.query_one("#log-said", TextArea)
        promised_at, promised_problem = self._check_promised(self.query_one("#log-promised", Input).value)
        summary_problem = self._check_summary()
        problem, where = (summary_problem, summary) if summary_problem else (promised_problem, self.query_one("#log-promised", Input))
        if problem:
            self.query_one("#log-form-error", Static).update(Content(f"Not saved: {plain(problem)}"))
            where.focus()
            return None
        return NewCommunication(
            customer=data.customer.key,
            summary=summary.text,
            channel=str(self.query_one("#log-channel", Select).value),
            direction=str(self.query_one("#log-direction", Select).value),
            contact=self.query_one("#log-contact", Input).value.strip(),
            ticket_id=self.ticket_id,
            promised_at=promised_at,
            tells_of_miss=self.query_one("#log-tells", Checkbox).value,
        )

    def action_save(self) -> None:
        entry = self._form_entry()
        if entry is None:
            return
        operator: str = self.app.operator
        now: datetime = self.app.clock()
        self.saving = True
        self.query_one("#log-form-error", Static).update(Content("saving…"))
        self.app.write(
            lambda store: log_communication(store, entry, operator, now),
            self._saved,
            self._save_failed,
        )

    def action_send(self) -> None:
        """Mail the form's text to the customer: to the contact in the form when the
        contract file gives their address, else to whoever last wrote about the call."""
        entry = self._form_entry()
        data = self.log_data
        if entry is None or data is None or entry.ticket_id is None or not self.app.mail.configured:
            return
        known = next((c for c in data.customer.contacts
                      if c.email and c.name.lower() == entry.contact.lower()), None)
        to = (known.name, known.email) if known is not None else None
        mail, operator, now, ticket_id = self.app.mail, self.app.operator, self.app.clock(), entry.ticket_id
        self.saving = True
        self.query_one("#log-form-error", Static).update(Content("sending…"))
        self.app.write(
            lambda store: send_message(store, mail, ticket_id=ticket_id, text=entry.summary, operator=operator,
                                       now=now, notice=entry.tells_of_miss, promised_at=entry.promised_at, to=to),
            self._sent,
            self._save_failed,
        )

    def _sent(self, sent: Outgoing) -> None:
        self._saved(sent.communication, f"Mail to {sent.to[0] or sent.to[1]} is in the outbox.")
        self.app.flush_mail(tell=True, done=self.action_reload)  # then the log says whether it went

    def _saved(self, entry: Communication, said: str = "") -> None:
        arrow = "to" if entry.direction == "out" else "from"
        who = entry.contact or (self.log_data.customer.name if self.log_data else "the customer")
        self.app.notify(said or f"Logged the message {arrow} {who}.", timeout=4, markup=False)
        self.saving = False
        self.save_attempted = False
        if not self.is_attached:
            return
        self.query_one("#log-said", TextArea).text = ""
        self.query_one("#log-promised", Input).value = ""
        self.query_one("#log-tells", Checkbox).value = False
        self.query_one("#log-form-error", Static).update("")
        self._hide_form()
        self.load(highlight_first=True)

    def _save_failed(self, message: str) -> None:
        self.saving = False
        if not self.is_attached:
            self.app.notify(f"The message was not logged: {message}", severity="error", timeout=10, markup=False)
            return
        self.query_one("#log-form-error", Static).update(Content(f"Not saved: {plain(message)}"))
