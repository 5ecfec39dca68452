"""Logging a call while the customer is on the phone.

The form is keyboard only and fits 80x24: type part of the customer's name, code or
a contact and pick a match; the contract in force shows at once; the deadlines the
call will get are previewed (services.tickets.preview_call, debounced) as fields
change; ``ctrl+s`` logs it and the board selects it. Nothing typed is lost when a
value cannot be saved: the problem is shown next to its field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import events, getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from slaboard.domain import (
    CHANNELS,
    IMPACT_LABELS,
    URGENCY_LABELS,
    Contract,
    Customer,
    CustomerMatch,
    Service,
    contract_in_force,
    match_customers,
    priority_for,
)
from slaboard.services.billing import Block, current_block
from slaboard.services.contracts import contract_standing
from slaboard.services.tickets import IntakeCatalog, NewCall, TicketView, intake_catalog, open_call, preview_call
from slaboard.textfmt import compact, local, money
from slaboard.timeinput import parse_optional
from slaboard.tui.host import BoardHost
from slaboard.tui.screens.billing import block_line
from slaboard.tui.text import due_text, here, hourly, plain
from slaboard.tui.widgets.choices import LevelChoice
from slaboard.tui.widgets.dialogs import ConfirmDiscard

PREVIEW_DELAY = 0.3  # seconds of quiet typing before the deadlines are worked out again
MAX_MATCHES = 5

# --------------------------------------------------------------------------- pure helpers


TIME_HELP = "write 20m ago, -1h30m, 09:45 (today) or 2026-11-26T09:45"


def parse_reported(text: str, now: datetime, tz: str) -> datetime | None:
    """When the customer called (see slaboard.timeinput); empty or ``now``: now.
    Raises ValueError with a message for people."""
    return parse_optional(text, now, tz, "reported")


def contract_lines(customer: Customer, contracts: Sequence[Contract], day: date,
                   service: Service | None, services: dict[str, Service]) -> tuple[list[Content], bool]:
    """What the operator must know about the customer's contract on ``day``, and
    whether it is a warning (no contract in force, or the service is not covered)."""
    standing = contract_standing(contracts, day, service.key if service else None)
    contract = standing.contract
    if contract is None:
        return [Content.styled(f"⚠ {standing.why}: billable at the default rate, no SLA", "bold $warning")], True
    t = contract.terms
    end = t.valid_to.isoformat() if t.valid_to else "open-ended"
    kind = plain(f"{t.level_name} (bespoke)" if t.bespoke else t.level_name)
    lines = [
        Content.assemble((kind, "bold $success"), f" · {money(t.price_per_month)}/month · {t.valid_from} – {end}"
                         f" · {hourly(t.hourly_rate)} outside it"),
        Content.assemble(("covers ", "$foreground-muted"),
                         ", ".join(plain(services[s].name if s in services else s) for s in t.services) or "no services"),
    ]
    warning = False
    if service is not None and standing.uncovered:
        lines.append(Content.styled(f"⚠ {plain(service.name)} not covered: billable at {hourly(t.hourly_rate)}", "bold $warning"))
        warning = True
    return lines, warning


# --------------------------------------------------------------------------- widgets


class Form(VerticalScroll, can_focus=False):
    """The fields; focus moves between them, the form itself is not a stop."""


class CustomerBox(Input):
    """The customer field: up and down move through the matches under it."""

    HELP_GROUP = "new call"

    BINDINGS = [
        Binding("down", "screen.match(1)", "Next match", show=False, id="newcall.next_match",
                tooltip="The next customer in the list of matches"),
        Binding("up", "screen.match(-1)", "Previous match", show=False, id="newcall.previous_match",
                tooltip="The previous customer in the list of matches"),
    ]


# --------------------------------------------------------------------------- the screen


FIELD_OF_ERROR = (
    ("title", "title"), ("unknown customer", "customer"), ("customer", "customer"), ("unknown service", "service"),
    ("reported", "reported"), ("priority", "priority"), ("channel", "service"), ("impact", "priority"),
    ("urgency", "priority"),
)


class NewCallScreen(Screen[None]):
    """Log a call: customer, contract, service, who called, what is wrong, how bad."""
    app = getters.app(BoardHost)

    HELP_GROUP = "new call"

    CSS_PATH = "newcall.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="newcall.save", tooltip="Log the call and go back to the board with it selected"),
        Binding("escape", "cancel", "Cancel", id="newcall.cancel",
                tooltip="Leave without logging (asks first when something was typed)"),
        Binding("q", "no_quit", "Quit", show=False, id="newcall.no_quit",
                tooltip="Does not quit from the form, so a call being typed is not lost; esc leaves"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.catalog: IntakeCatalog | None = None
        self.customer: Customer | None = None
        self.blocks: dict[str, Block | None] = {}  # per customer: the block as it stands, once read
        self.matches: list[CustomerMatch] = []
        self.preview: TicketView | None = None
        self.errors: dict[str, str] = {}
        self.saving = False
        self._touched: set[str] = set()
        self._tried_save = False
        self._preview_timer: Timer | None = None
        self._preview_gen = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="heading")
        with Form(id="form"):
            with Horizontal(classes="row"):
                yield Label("Customer", classes="label")
                yield CustomerBox(placeholder="part of a name, code or contact", id="customer", compact=True)
                yield Static(classes="hint", id="customer-hint")
            yield OptionList(id="matches", compact=True)
            with Horizontal(classes="row", id="contract-row"):
                yield Label("Contract", classes="label")
                yield Static(Content.styled("pick a customer to see what the contract covers", "$foreground-muted"), id="contract")
            with Horizontal(classes="row gap"):
                yield Label("Service", classes="label")
                yield Select[str]([], prompt="pick a service", id="service", compact=True)
                yield Label("via", classes="inline-label")
                yield Select[str]([(c, c) for c in CHANNELS], value="phone", allow_blank=False, id="channel", compact=True)
                yield Static(classes="hint", id="service-hint")
            with Horizontal(classes="row"):
                yield Label("Caller", classes="label")
                yield Input(placeholder="who called (→ completes)", id="caller", compact=True)
                yield Static(classes="hint", id="caller-hint")
            with Horizontal(classes="row"):
                yield Label("Title", classes="label")
                yield Input(placeholder="what is wrong, in a few words", id="title", compact=True)
                yield Static(classes="hint", id="title-hint")
            with Horizontal(classes="row", id="description-row"):
                yield Label("Description", classes="label")
                yield TextArea(id="description", compact=True, soft_wrap=True, show_line_numbers=False,
                               placeholder="details: what happens, what was tried (optional; tab leaves)")
            with Horizontal(classes="row gap"):
                yield Label("Impact", classes="label")
                yield LevelChoice(IMPACT_LABELS, id="impact")
            with Horizontal(classes="row"):
                yield Label("Urgency", classes="label")
                yield LevelChoice(URGENCY_LABELS, id="urgency")
            with Horizontal(classes="row"):
                yield Label("Priority", classes="label")
                yield Static(id="matrix")
                yield Select[str]([(p, p) for p in ("P1", "P2", "P3", "P4")], prompt="no override", id="override", compact=True)
                yield Input(placeholder="reason for the override", id="reason", compact=True, disabled=True)
            with Horizontal(classes="row"):
                yield Label("Reported", classes="label")
                yield Input(placeholder="now (or 20m ago, 09:45)", id="reported", compact=True)
                yield Static(classes="hint", id="reported-hint")
        with Vertical(id="bottom"):
            yield Static(id="preview")
            with Horizontal(id="buttons"):
                yield Static(id="status")
                yield Button("Save  ctrl+s", id="save", variant="primary", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        now = self.app.clock()
        self.query_one("#heading", Static).update(Content.assemble(
            ("New call", "bold"),
            (f"   taken by {plain(self.app.operator)} · {here(now)}", "$foreground-muted"),
        ))
        self.query_one("#matches", OptionList).display = False
        self.query_one("#matches", OptionList).can_focus = False
        self._show_matrix()
        self._show_reported()
        self._show_preview()
        self.query_one("#customer", Input).focus()
        self.app.read(intake_catalog, self._catalog_loaded, self._catalog_failed)

    def _catalog_loaded(self, catalog: IntakeCatalog) -> None:
        self.catalog = catalog
        self._fill_services()
        box = self.query_one("#customer", Input)
        if box.value and self.customer is None:
            self._update_matches(box.value)

    def _catalog_failed(self, message: str) -> None:
        self._set_status(Content.styled(f"Cannot read the customers: {plain(message)}", "bold $error"))

    # ------------------------------------------------------------------ the customer

    def _customer_label(self, customer: Customer) -> str:
        return f"{customer.name} ({customer.code})"

    def _level_of(self, customer: Customer) -> str:
        if self.catalog is None:
            return ""
        contract = contract_in_force(self.catalog.contracts.get(customer.key, []), self._today(customer))
        return contract.terms.level_name if contract else "no contract"

    def _today(self, customer: Customer | None) -> date:
        reported = self._reported_or_now()
        return reported.astimezone(ZoneInfo(customer.tz if customer else "Etc/UTC")).date()

    @on(Input.Changed, "#customer")
    def _customer_typed(self, event: Input.Changed) -> None:
        if self.customer is not None and event.value == self._customer_label(self.customer):
            return
        if self.customer is not None:
            self._set_customer(None)
        self._update_matches(event.value)
        self._changed()

    def _update_matches(self, text: str) -> None:
        matches = match_customers(self.catalog.customers, text) if self.catalog else []
        self.matches = matches
        box = self.query_one("#matches", OptionList)
        box.clear_options()
        for customer, why in matches[:MAX_MATCHES]:
            level = self._level_of(customer)
            prompt = Content.assemble(
                (f"{plain(customer.code):<4} ", "bold"), plain(customer.name),
                (f"  {plain(level)}", "$foreground-muted"),
                (f"  contact {plain(why)}" if why else "", "italic $foreground-muted"),
            )
            box.add_option(Option(prompt, id=customer.key))
        if len(matches) > MAX_MATCHES:
            box.add_option(Option(Content.styled(f"… {len(matches) - MAX_MATCHES} more: type more of the name", "$foreground-muted"), disabled=True))
        box.display = bool(matches)
        if matches:
            box.highlighted = 0
        hint = self.query_one("#customer-hint", Static)
        if not text.strip():
            hint.update(Content.styled("type a name, code or contact", "$foreground-muted"))
        elif not matches and self.catalog is not None:
            hint.update(Content.styled(f"✗ no customer matches {plain(text.strip())!r}", "$error"))
        elif matches:
            hint.update(Content.styled("↑↓ choose · enter picks", "$foreground-muted"))

    def action_match(self, delta: int) -> None:
        box = self.query_one("#matches", OptionList)
        if not box.display:
            return
        if delta > 0:
            box.action_cursor_down()
        else:
            box.action_cursor_up()

    def _customer_entered(self) -> None:
        if self.customer is not None:
            self.focus_next()
            return
        box = self.query_one("#matches", OptionList)
        chosen = None
        if box.display and box.highlighted is not None and box.highlighted < min(len(self.matches), MAX_MATCHES):
            chosen = self.matches[box.highlighted][0]
        elif len(self.matches) == 1:
            chosen = self.matches[0][0]
        if chosen is not None:
            self._pick(chosen)
            self.query_one("#service", Select).focus()

    @on(OptionList.OptionSelected, "#matches")
    def _match_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next((c for c, _ in self.matches if c.key == event.option.id), None)
        if chosen is not None:
            self._pick(chosen)
            self.query_one("#service", Select).focus()

    @on(Input.Blurred, "#customer")
    def _customer_left(self, event: Input.Blurred) -> None:
        self._touched.add("customer")
        if self.customer is None and len(self.matches) == 1:
            self._pick(self.matches[0][0])
        else:
            self.query_one("#matches", OptionList).display = False
            self._validate()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == "customer" and self.customer is None and self.matches:
            self.query_one("#matches", OptionList).display = True  # back in the field: the matches again

    def _pick(self, customer: Customer) -> None:
        self._set_customer(customer)
        box = self.query_one("#customer", Input)
        box.value = self._customer_label(customer)
        box.cursor_position = len(box.value)
        self.query_one("#matches", OptionList).display = False
        self._changed()

    def _set_customer(self, customer: Customer | None) -> None:
        self.customer = customer
        hint = self.query_one("#customer-hint", Static)
        caller = self.query_one("#caller", Input)
        if customer is None:
            hint.update("")
            caller.suggester = None
            self.query_one("#caller-hint", Static).update("")
        else:
            hint.update(Content.styled(f"✓ {plain(customer.tz)}", "$success"))
            names = [c.name for c in customer.contacts]
            caller.suggester = SuggestFromList(names, case_sensitive=False) if names else None
            shown = ", ".join(plain(n) for n in names) if names else "no contacts on file"
            self.query_one("#caller-hint", Static).update(Content.styled(shown, "$foreground-muted"))
        self._fill_services()
        self._show_contract()
        self._show_reported()
        if customer is not None and customer.key not in self.blocks:
            key, now = customer.key, self.app.clock()
            self.app.read(lambda store: current_block(store, key, now), lambda block: self._block_read(key, block))

    def _block_read(self, customer: str, block: Block | None) -> None:
        self.blocks[customer] = block
        if self.is_attached and self.customer is not None and self.customer.key == customer:
            self._show_contract()

    # ------------------------------------------------------------------ service and contract

    def _contract(self) -> Contract | None:
        if self.customer is None or self.catalog is None:
            return None
        return contract_in_force(self.catalog.contracts.get(self.customer.key, []), self._today(self.customer))

    def _fill_services(self) -> None:
        if self.catalog is None:
            return
        select = self.query_one("#service", Select)
        current = select.value
        contract = self._contract()
        options = []
        for s in self.catalog.services:
            # Rich Text (never markup): the Select's type-to-search reads Text and str only.
            prompt = Text(plain(s.name))
            if contract is not None and contract.terms.covers_service(s.key):
                prompt.append(" ✓", style="bold")
            elif contract is not None:
                prompt.append(" · billable", style="dim")
            options.append((prompt, s.key))
        with self.prevent(Select.Changed):
            select.set_options(options)
            if isinstance(current, str) and any(s.key == current for s in self.catalog.services):
                select.value = current

    def _service(self) -> Service | None:
        value = self.query_one("#service", Select).value
        if not isinstance(value, str) or self.catalog is None:
            return None
        return next((s for s in self.catalog.services if s.key == value), None)

    def _show_contract(self) -> None:
        panel = self.query_one("#contract", Static)
        if self.customer is None or self.catalog is None:
            panel.update(Content.styled("pick a customer to see what the contract covers", "$foreground-muted"))
            panel.set_class(False, "-warning")
            return
        services = {s.key: s for s in self.catalog.services}
        lines, warning = contract_lines(self.customer, self.catalog.contracts.get(self.customer.key, []),
                                        self._today(self.customer), self._service(), services)
        block = self.blocks.get(self.customer.key)
        if block is not None and self._contract() is not None:
            lines.append(block_line(block))
            warning = warning or block.low
        panel.update(Content("\n").join(lines))
        panel.set_class(warning, "-warning")

    @on(Select.Changed, "#service")
    def _service_chosen(self, event: Select.Changed) -> None:
        self._touched.add("service")
        self._show_contract()
        self._changed()

    @on(Select.Changed, "#channel")
    def _channel_chosen(self, event: Select.Changed) -> None:
        self._changed()

    # ------------------------------------------------------------------ priority

    def _matrix(self) -> str:
        return priority_for(self.query_one("#impact", LevelChoice).value, self.query_one("#urgency", LevelChoice).value)

    def _override(self) -> str | None:
        value = self.query_one("#override", Select).value
        return value if isinstance(value, str) else None

    def _show_matrix(self) -> None:
        matrix = self._matrix()
        override = self._override()
        text = Content.assemble(("→ ", "$foreground-muted"), (matrix, "bold"), (" from the matrix", "$foreground-muted"))
        if override and override != matrix:
            text = Content.assemble(("→ ", "$foreground-muted"), (override, "bold $warning"), (f" (matrix {matrix})", "$foreground-muted"))
        self.query_one("#matrix", Static).update(text)

    @on(LevelChoice.Changed)
    def _level_chosen(self, event: LevelChoice.Changed) -> None:
        self._show_matrix()
        self._changed()

    @on(Select.Changed, "#override")
    def _override_chosen(self, event: Select.Changed) -> None:
        reason = self.query_one("#reason", Input)
        reason.disabled = self._override() is None
        self._show_matrix()
        self._changed()

    @on(Input.Changed, "#caller")
    @on(Input.Changed, "#reason")
    def _text_changed(self, event: Input.Changed) -> None:
        self._changed()

    @on(Input.Changed, "#title")
    def _title_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._touched.add("title")
        self._changed()

    @on(Input.Blurred, "#title")
    def _title_left(self, event: Input.Blurred) -> None:
        self._touched.add("title")
        self._validate()

    @on(TextArea.Changed, "#description")
    def _description_changed(self, event: TextArea.Changed) -> None:
        self._changed()

    # ------------------------------------------------------------------ reported at

    def _zone(self) -> str:
        if self.customer is not None:
            return self.customer.tz
        now = self.app.clock()
        return getattr(now.tzinfo, "key", "Etc/UTC")

    def _reported(self) -> datetime | None:
        """The reported time typed (None for now); ValueError when it cannot be read."""
        now = self.app.clock()
        return parse_reported(self.query_one("#reported", Input).value, now, self._zone())

    def _reported_or_now(self) -> datetime:
        try:
            return self._reported() or self.app.clock()
        except ValueError:
            return self.app.clock()

    @on(Input.Changed, "#reported")
    def _reported_typed(self, event: Input.Changed) -> None:
        self._touched.add("reported")
        self._show_reported()
        if self.customer is not None:
            self._fill_services()  # the contract in force follows the day the call came in
            self._show_contract()
        self._changed()

    def _show_reported(self) -> None:
        hint = self.query_one("#reported-hint", Static)
        now = self.app.clock()
        zone = self._zone()
        try:
            reported = self._reported()
        except ValueError as err:
            hint.update(Content.styled(f"✗ {plain(str(err))}", "$error"))
            return
        moment = now if reported is None else reported
        ago = int((now - moment).total_seconds())
        if ago < 0:
            hint.update(Content.styled(f"✗ {local(moment, zone, '%a %d %b %H:%M %Z')} is in the future", "$error"))
            return
        # Typed times are the customer's; say what that is here when the zones differ.
        theirs = moment.astimezone(ZoneInfo(zone))
        ours = f" = {here(moment, '%H:%M %Z')}" if theirs.utcoffset() != moment.astimezone().utcoffset() else ""
        hint.update(Content.assemble(("now: " if reported is None else "→ ", "$foreground-muted"),
                                     local(moment, zone, "%a %d %b %H:%M %Z"),
                                     (ours + ("" if reported is None else f" ({compact(ago)} ago)"), "$foreground-muted")))

    # ------------------------------------------------------------------ validation and preview

    def _changed(self) -> None:
        self._validate()
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._ask_preview)

    def _local_errors(self) -> dict[str, str]:
        """What stops the call from being saved, by field (checked without the database)."""
        errors: dict[str, str] = {}
        customer_text = self.query_one("#customer", Input).value.strip()
        if self.customer is None:
            if not customer_text:
                errors["customer"] = "give the customer"
            elif self.catalog is not None and not self.matches:
                errors["customer"] = f"no customer matches {customer_text!r}"
            else:
                errors["customer"] = f"pick one of the {len(self.matches)} matches (↑↓ enter)" if len(self.matches) > 1 else "pick the customer (enter)"
        if self._service() is None:
            errors["service"] = "pick a service"
        if not self.query_one("#title", Input).value.strip():
            errors["title"] = "give a short title"
        try:
            reported = self._reported()
        except ValueError as err:
            errors["reported"] = str(err)
        else:
            if reported is not None and reported > self.app.clock():
                errors["reported"] = "in the future"
        override = self._override()
        if override and override != self._matrix() and not self.query_one("#reason", Input).value.strip():
            errors["priority"] = "say why the priority differs from the matrix"
        return errors

    def _validate(self) -> dict[str, str]:
        errors = self._local_errors()
        self.errors = errors
        shown = {f for f in errors if self._tried_save or f in self._touched}
        for field in ("title", "service"):
            hint = self.query_one(f"#{field}-hint", Static)
            hint.update(Content.styled(f"✗ {errors[field]}", "$error") if field in shown else "")
        if "customer" in shown and self.customer is None:
            self.query_one("#customer-hint", Static).update(Content.styled(f"✗ {plain(errors['customer'])}", "$error"))
        for field in ("customer", "title", "reported", "reason"):
            key = "priority" if field == "reason" else field
            self.query_one(f"#{field}", Input).set_class(key in shown, "-invalid-field")
        if "priority" in shown:
            self._set_status(Content.styled(f"✗ {errors['priority']}", "$error"))
        return errors

    def _call(self, now: datetime) -> NewCall | None:
        """The call as typed, for the services; None while customer or service is missing."""
        service = self._service()
        if self.customer is None or service is None:
            return None
        try:
            reported = self._reported()
        except ValueError:
            reported = None
        override = self._override()
        return NewCall(
            customer=self.customer.key,
            service=service.key,
            title=self.query_one("#title", Input).value,
            impact=self.query_one("#impact", LevelChoice).value,
            urgency=self.query_one("#urgency", LevelChoice).value,
            caller=self.query_one("#caller", Input).value.strip(),
            channel=str(self.query_one("#channel", Select).value),
            description=self.query_one("#description", TextArea).text,
            reported_at=reported,
            priority=override if override and override != self._matrix() else None,
            priority_reason=self.query_one("#reason", Input).value.strip() if override else "",
        )

    def _ask_preview(self) -> None:
        self._preview_timer = None
        now = self.app.clock()
        call = self._call(now)
        self._preview_gen += 1
        gen = self._preview_gen
        if call is None or "reported" in self.errors:
            self.preview = None
            self._show_preview()
            return
        if not call.title.strip():
            call.title = "(no title yet)"  # the deadlines do not depend on it
        operator = self.app.operator
        self.app.read(
            lambda store: preview_call(store, call, operator, now),
            lambda view: self._previewed(gen, view),
            lambda message: self._preview_failed(gen, message),
        )

    def _previewed(self, gen: int, view: TicketView) -> None:
        if gen != self._preview_gen or not self.is_attached:
            return
        self.preview = view
        self._show_preview()

    def _preview_failed(self, gen: int, message: str) -> None:
        if gen != self._preview_gen or not self.is_attached:
            return
        self.preview = None
        self._show_preview(error=message)
        hint = {"title": "#title-hint", "service": "#service-hint", "customer": "#customer-hint",
                "reported": "#reported-hint"}.get(_field_of(message))
        if hint is not None:  # the services' word on it, next to the field that is wrong
            self.query_one(hint, Static).update(Content.styled(f"✗ {plain(message)}", "$error"))

    def _show_preview(self, error: str | None = None) -> None:
        panel = self.query_one("#preview", Static)
        now = self.app.clock()
        if error is not None:
            field = _field_of(error)
            panel.update(Content.assemble(("Deadlines  ", "bold"), (f"✗ {field}: " if field else "✗ ", "$error"), plain(error)))
            return
        view = self.preview
        if view is None:
            missing = [f for f in ("customer", "service") if f in self.errors]
            want = " and ".join(missing) or "a valid reported time"
            panel.update(Content.assemble(("Deadlines  ", "bold"), (f"pick {want} to see the deadlines this call gets", "$foreground-muted")))
            return
        t = view.ticket
        head = Content.assemble(("Deadlines  ", "bold"), (t.priority, "bold"), f" · {plain(view.level) if view.contract else 'no contract'} ·")
        if not view.clocks:
            lines = [head + Content.styled(" none: no contract in force, billable at the default rate", "$warning")]
        else:
            parts = []
            for name in ("response", "plan", "resolution"):
                clock = view.clocks.get(name)
                if clock is None:
                    continue
                left = f"{compact(clock.remaining)} left" if clock.remaining > 0 else f"{compact(clock.remaining)}: already late"
                style = f"$sla-{clock.state}" if clock.state in ("warning", "critical", "breached") else ""
                parts.append(Content.assemble((f"{name} ", "$foreground-muted"), (due_text(clock.due, now), f"bold {style}"),
                                              (f" ({clock.target.duration.text}, {left})", "$foreground-muted")))
            lines = [head + Content.styled(f" customer in {view.tz}", "$foreground-muted"), Content("  ").join(parts)]
        if t.billable and view.contract is not None:
            lines.append(Content.styled(f"billable: {plain(t.service)} is not covered, at {hourly(view.contract.terms.hourly_rate)}", "$warning"))
        panel.update(Content("\n").join(lines))

    def _set_status(self, text: Content | str) -> None:
        self.query_one("#status", Static).update(text)

    # ------------------------------------------------------------------ save and cancel

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter in a field moves on to the next one (on the customer: picks the match)."""
        event.stop()
        if event.input.id == "customer":
            self._customer_entered()
        else:
            self.focus_next()

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        if self.saving:
            return
        self._tried_save = True
        errors = self._validate()
        if errors:
            first = next(f for f in ("customer", "service", "title", "priority", "reported") if f in errors)
            self._set_status(Content.styled(f"✗ cannot save: {first}: {plain(errors[first])}", "bold $error"))
            widget_id = {"priority": "reason"}.get(first, first)
            self.query_one(f"#{widget_id}").focus()
            return
        now = self.app.clock()
        call = self._call(now)
        assert call is not None
        operator = self.app.operator
        self.saving = True
        self._set_status(Content.styled("saving…", "$foreground-muted"))
        self.app.write(
            lambda store: open_call(store, call, operator, now),
            self._saved,
            self._save_failed,
            select=lambda view: view.ticket.id,
        )

    def _saved(self, view: TicketView) -> None:
        self.saving = False
        self.app.notify(f"#{view.ticket.id} logged for {plain(view.customer.name)} ({view.ticket.priority})",
                        timeout=4, markup=False)
        self.dismiss(None)

    def _save_failed(self, message: str) -> None:
        self.saving = False
        field = _field_of(message)
        self._set_status(Content.styled(f"✗ not saved: {plain(message)}", "bold $error"))
        if field in ("title", "service", "customer", "reported"):
            self.query_one(f"#{field}").focus()

    def is_dirty(self) -> bool:
        typed = any(self.query_one(f"#{name}", Input).value.strip() for name in ("customer", "caller", "title", "reason", "reported"))
        return typed or bool(self.query_one("#description", TextArea).text.strip()) or self._service() is not None

    def action_cancel(self) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.display:
            matches.display = False  # esc first closes the list of matches
            return
        if not self.is_dirty():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmDiscard(), answered)

    def action_no_quit(self) -> None:
        self.notify("q does not quit from the form: esc leaves it, ctrl+s logs the call", timeout=3, markup=False)


def _field_of(message: str) -> str:
    lowered = message.lower()
    return next((field for prefix, field in FIELD_OF_ERROR if lowered.startswith(prefix)), "")
