"""Unmatched mail, before the calls in triage: a message from a sender no customer
is known for, one at a time, oldest first. The operator names the customer (``c``;
the one the sender's domain suggests comes first) and maybe the service (``s``),
and ``enter`` makes it a call reported when the message came
(services.mailgate.assign_unmatched); ``x`` sets it aside as no call (spam), with
a reason. Everything shown of the message is the sender's text: plain, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select, Static

from slaboard.domain import Customer, Service
from slaboard.services.access import Store
from slaboard.services.mailgate import UnmatchedMail, assign_unmatched, dismiss_unmatched, unmatched_mail
from slaboard.services.tickets import TicketView
from slaboard.textfmt import compact
from slaboard.tui.host import BoardHost
from slaboard.tui.text import excerpt, here, plain
from slaboard.tui.widgets.dialogs import attachment_line


class UnmatchedMailScreen(Screen[int]):
    """Step through unmatched mail; dismissed with how many were dealt with."""
    app = getters.app(BoardHost)

    HELP_GROUP = "triage: unmatched mail"

    DEFAULT_CSS = """
    UnmatchedMailScreen { layout: vertical; }
    UnmatchedMailScreen #mail-heading { height: 1; padding: 0 1; background: $panel; }
    UnmatchedMailScreen #mail { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    UnmatchedMailScreen #mail-text { margin-top: 1; color: $foreground 85%; }
    UnmatchedMailScreen #mail-choices { height: auto; padding: 0 1; background: $panel; border-top: solid $primary; }
    UnmatchedMailScreen .row { height: auto; }
    UnmatchedMailScreen .label { width: 11; text-style: bold; color: $foreground-muted; }
    UnmatchedMailScreen .key { width: 2; text-style: bold; color: $accent; }
    UnmatchedMailScreen #mail-customer, UnmatchedMailScreen #mail-service { width: 48; }
    UnmatchedMailScreen #mail-reason { width: 60; display: none; background: $primary 25%; }
    UnmatchedMailScreen #mail-reason.-shown { display: block; }
    UnmatchedMailScreen #mail-message { height: auto; padding: 0 1; display: none; }
    UnmatchedMailScreen #mail-message.-shown { display: block; }
    UnmatchedMailScreen #mail-message.-error { background: $error 30%; text-style: bold; }
    UnmatchedMailScreen #mail-message.-ok { background: $success 20%; }
    """

    BINDINGS = [
        Binding("enter", "assign", "Make it a call", id="unmatched.assign",
                tooltip="Open a call for the customer chosen, reported when the mail came"),
        Binding("c", "customer", "Customer", id="unmatched.customer", tooltip="Choose the customer (a list opens)"),
        Binding("s", "service", "Service", id="unmatched.service",
                tooltip="Choose the service (default: the one the customer's mail goes to)"),
        Binding("x", "dismiss_mail", "Not a call", id="unmatched.dismiss",
                tooltip="Set the mail aside as no call (spam): type why, enter"),
        Binding("n", "step(1)", "Skip", id="unmatched.next", tooltip="The next unmatched mail"),
        Binding("p", "step(-1)", "Back", id="unmatched.previous", tooltip="The previous unmatched mail"),
        Binding("escape", "leave", "The new calls", id="unmatched.leave",
                tooltip="On to the new calls in triage (the mail keeps waiting)"),
    ]

    def __init__(self, mails: list[UnmatchedMail], customers: list[Customer], services: list[Service]) -> None:
        super().__init__()
        self.mails = mails
        self.customers = customers
        self.services = services
        self.index = 0
        self.handled = 0
        self.choice: dict[int, tuple[str | None, str | None]] = {}  # mail id -> (customer, service)

    def compose(self) -> ComposeResult:
        yield Static(id="mail-heading")
        with VerticalScroll(id="mail"):
            yield Static(id="mail-head")
            yield Static(id="mail-files")
            yield Static(id="mail-text")
        with Vertical(id="mail-choices"):
            with Horizontal(classes="row"):
                yield Label("Customer", classes="label")
                yield Static(Content("c"), classes="key")
                yield Select[str]([], prompt="choose the customer", id="mail-customer", compact=True, allow_blank=True)
            with Horizontal(classes="row"):
                yield Label("Service", classes="label")
                yield Static(Content("s"), classes="key")
                yield Select[str]([], prompt="the customer's mail service", id="mail-service", compact=True,
                                  allow_blank=True)
            yield Input(placeholder="why it is no call (enter sets it aside; empty: not a call)", id="mail-reason",
                        compact=True)
        yield Static(id="mail-message")
        yield Footer()

    def on_mount(self) -> None:
        for name in ("#mail-customer", "#mail-service"):
            select = self.query_one(name, Select)
            select.can_focus = False  # a key opens it; the focus stays on the mail
            self.watch(select, "expanded", self._select_closed, init=False)
        self.query_one("#mail-service", Select).set_options([(Text(plain(s.name)), s.key) for s in self.services])
        self.query_one("#mail").focus()
        self._show()

    # ------------------------------------------------------------------ moving

    @property
    def current(self) -> UnmatchedMail | None:
        return self.mails[self.index] if 0 <= self.index < len(self.mails) else None

    def action_step(self, delta: int) -> None:
        self.index = max(0, min(len(self.mails), self.index + delta))
        self._message("")
        self._show()

    def action_leave(self) -> None:
        reason = self.query_one("#mail-reason", Input)
        if reason.has_class("-shown"):
            self._close_reason()
            return
        self.dismiss(self.handled)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("assign", "customer", "service", "dismiss_mail"):
            return self.current is not None or None
        if action == "step" and parameters:
            target = self.index + int(parameters[0])  # type: ignore[call-overload]
            return 0 <= target <= len(self.mails) or None
        return True

    # ------------------------------------------------------------------ choosing

    def _open(self, name: str) -> None:
        select = self.query_one(name, Select)
        select.can_focus = True
        select.focus()
        select.action_show_overlay()

    def action_customer(self) -> None:
        if self.current is not None:
            self._open("#mail-customer")

    def action_service(self) -> None:
        if self.current is not None:
            self._open("#mail-service")

    def _select_closed(self, expanded: bool) -> None:
        if not expanded:
            for name in ("#mail-customer", "#mail-service"):
                self.query_one(name, Select).can_focus = False
            self.query_one("#mail").focus()

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        mail = self.current
        if mail is None:
            return
        customer, service = self.choice.get(mail.id, (mail.suggested, None))
        value = event.value if isinstance(event.value, str) else None
        if event.select.id == "mail-customer":
            customer = value
        elif event.select.id == "mail-service":
            service = value
        self.choice[mail.id] = (customer, service)

    # ------------------------------------------------------------------ deciding

    def action_assign(self) -> None:
        mail = self.current
        if mail is None:
            return
        customer, service = self.choice.get(mail.id, (mail.suggested, None))
        if not customer:
            self._message("Choose the customer first (c).", error=True)
            return
        operator, now, mail_id, settings = self.app.operator, self.app.clock(), mail.id, self.app.mail

        def assign(store: Store) -> TicketView:
            return assign_unmatched(store, mail_id, customer, service, operator, now, mail=settings)

        def assigned(view: TicketView) -> None:
            self._done(mail_id, f"#{view.ticket.id} opened for {view.customer.name} "
                                f"(reported {here(mail.received_at)}).")
            self.app.flush_mail()  # its acknowledgement, if one was queued

        self.app.write(assign, assigned, self._failed)

    def action_dismiss_mail(self) -> None:
        if self.current is None:
            return
        box = self.query_one("#mail-reason", Input)
        box.value = ""
        box.add_class("-shown")
        box.focus()

    @on(Input.Submitted, "#mail-reason")
    def _reason_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._close_reason()
        mail = self.current
        if mail is None:
            return
        operator, now, mail_id, why = self.app.operator, self.app.clock(), mail.id, event.value

        def dismiss(store: Store) -> str:
            return dismiss_unmatched(store, mail_id, operator, now, why)

        self.app.write(dismiss, lambda recorded: self._done(mail_id, f"Set aside: {recorded}."), self._failed)

    def _close_reason(self) -> None:
        self.query_one("#mail-reason", Input).remove_class("-shown")
        self.query_one("#mail").focus()

    def _done(self, mail_id: int, message: str) -> None:
        self.mails = [m for m in self.mails if m.id != mail_id]
        self.handled += 1
        self.index = min(self.index, len(self.mails))
        self._show()
        self._message(message)

    def _failed(self, message: str) -> None:
        self._message(f"Not done: {message}", error=True)
        # Another operator may have taken it meanwhile: show what still waits.
        self.app.read(unmatched_mail, self._reread)

    def _reread(self, mails: list[UnmatchedMail]) -> None:
        current = self.current
        self.mails = mails
        ids = [m.id for m in mails]
        self.index = ids.index(current.id) if current is not None and current.id in ids else min(self.index, len(mails))
        self._show()

    # ------------------------------------------------------------------ drawing

    def _message(self, text: str, error: bool = False) -> None:
        box = self.query_one("#mail-message", Static)
        box.update(Content(plain(text)))
        box.set_class(bool(text), "-shown")
        box.set_class(bool(text) and error, "-error")
        box.set_class(bool(text) and not error, "-ok")

    def _show(self) -> None:
        self.refresh_bindings()
        mail = self.current
        where = (f"mail {self.index + 1} of {len(self.mails)}, oldest first" if mail is not None
                 else f"done: {self.handled} dealt with")
        self.query_one("#mail-heading", Static).update(Content.assemble(
            ("Unmatched mail", "bold"), f"  {where}", ("   esc: on to the new calls", "$foreground-muted")))
        head, files, text = (self.query_one(f"#{n}", Static) for n in ("mail-head", "mail-files", "mail-text"))
        self.query_one("#mail-choices").display = mail is not None
        if mail is None:
            head.update(Content.styled("No more unmatched mail. esc goes on to the new calls.", "$foreground-muted"))
            files.update("")
            text.update("")
            return
        now = self.app.clock()
        ago = compact(max(0, int((now - mail.received_at).total_seconds())))
        head.update(Content("\n").join([
            Content.assemble(("from     ", "$foreground-muted"), (plain(mail.who), "bold")),
            Content.assemble(("subject  ", "$foreground-muted"), (plain(mail.subject) or "(no subject)", "bold")),
            Content.assemble(("came     ", "$foreground-muted"), here(mail.received_at), (f" ({ago} ago)", "$foreground-muted")),
            Content.assemble(("why      ", "$foreground-muted"), (plain(mail.reason), "$foreground-muted")),
        ]))
        files.update(Content("\n").join([Content.styled("attachments", "$foreground-muted"),
                                         *[Content.assemble("  ", attachment_line(a)) for a in mail.attachments]])
                     if mail.attachments else "")
        shown, left_out = excerpt(mail.text)
        if left_out:
            shown += f"\n… {left_out:,} more characters (the call will hold them all)"
        text.update(Content(shown) if mail.text else Content.styled("(no text)", "$foreground-muted"))
        self._fill_customers(mail)

    def _fill_customers(self, mail: UnmatchedMail) -> None:
        customer, service = self.choice.get(mail.id, (mail.suggested, None))
        ordered = sorted(self.customers, key=lambda c: (c.key != mail.suggested, c.name.lower()))
        options = []
        for c in ordered:
            prompt = Text(f"{plain(c.name)} ({plain(c.code)})")  # Text, never markup
            if c.key == mail.suggested:
                prompt.append(" · the sender's domain", style="bold")
            options.append((prompt, c.key))
        pick, service_pick = self.query_one("#mail-customer", Select), self.query_one("#mail-service", Select)
        with self.prevent(Select.Changed):
            pick.set_options(options)
            if customer:
                pick.value = customer
            if service and any(s.key == service for s in self.services):
                service_pick.value = service
            else:
                service_pick.clear()
