"""Contract lookup: what a customer's contracts promise and cost, for the operator on
the phone, and the MSP's price list (the levels side by side).

Reads go through ``app.read`` (a thread worker with its own connection); a result
that arrives after the operator has already asked for another customer is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, OptionList, Static
from textual.widgets.option_list import Option

from slaboard.domain import PRIORITIES, Contract, Customer
from slaboard.domain.models import Priority
from slaboard.services.board import GLYPHS
from slaboard.services.contracts import CustomerOverview, PriceList, customer_overview, read_price_list
from slaboard.services.tickets import TicketView
from slaboard.sla import Duration
from slaboard.textfmt import compact, money
from slaboard.tui.host import BoardHost
from slaboard.tui.screens.billing import BillingScreen, block_line
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.finder import CustomerFinder
from slaboard.tui.widgets.table import STATUS_LABELS

CLOCKS = ("response", "plan", "resolution")
# The order contracts are listed in: what applies today first, history last.
STATE_ORDER = {"in force": 0, "future": 1, "expired": 2, "superseded": 3}
STATE_STYLES = {"in force": "bold $success", "future": "bold $warning", "expired": "$error", "superseded": "$text-muted"}
# Lines are wrapped by hand so that a wrapped line keeps its indent; this fits an
# 80-column terminal and one column of the wide layout.
WRAP = 74


# ------------------------------------------------------------------ customer finder


# ------------------------------------------------------------------ plain renderings


def hang(content: Content, indent: int = 4, width: int = WRAP) -> list[Content]:
    """``content`` wrapped at ``width`` with the following lines indented."""
    lines = content.wrap(width - indent) or [Content("")]
    return [lines[0], *(Content(" " * indent) + line for line in lines[1:])]


def targets_table(terms: Mapping[str, Mapping[Priority, Duration]], indent: str = "  ") -> list[Content]:
    """Response / plan / resolution targets as a small P1-P4 table."""
    lines = [Content.styled(f"{indent}{'':<11}" + "".join(f"{p:<7}" for p in PRIORITIES), "$text-muted")]
    for clock in CLOCKS:
        targets = terms.get(clock) or {}
        if not targets:
            continue
        cells = "".join(f"{target.text if (target := targets.get(p)) else '-':<7}" for p in PRIORITIES)
        lines.append(Content.assemble((f"{indent}{clock:<11}", "bold"), cells))
    return lines


def contract_block(contract: Contract, state: str) -> list[Content]:
    """Everything one contract version says, in a few lines."""
    t = contract.terms
    end = t.valid_to.isoformat() if t.valid_to else "open-ended"
    kind = f"{t.level_name} (bespoke)" if t.bespoke else t.level_name
    lines = hang(
        Content.assemble(
            (f"{state:<10}", STATE_STYLES.get(state, "")), " ", (plain(kind), "bold"),
            f"  {t.valid_from.isoformat()} .. {end}", (f"  {plain(t.key)} v{contract.version}", "$text-muted"),
        ),
        11,
    )
    rate = f" · {money(t.hourly_rate)} an hour for work it does not cover" if t.hourly_rate is not None else " · no hourly rate"
    lines.extend(hang(Content(f"  {money(t.price_per_month)} a month{rate}")))
    lines.extend(hang(Content.assemble(("  covers ", "$text-muted"), plain(", ".join(t.services)) or "no services: every call is billable"), 9))
    lines.extend(targets_table({"response": t.response, "plan": t.plan, "resolution": t.resolution}))
    for service, override in t.overrides.items():
        parts = []
        for clock in CLOCKS:
            value = getattr(override, clock)
            if value is None:
                continue
            if isinstance(value, dict):
                parts.append(f"{clock} " + " ".join(f"{p} {d.text}" for p, d in sorted(value.items())))
            else:
                parts.append(f"{clock} {value.text}")
        lines.extend(hang(Content.assemble(("  override ", "$accent"), (plain(service), "bold"), ": ", plain(", ".join(parts)))))
    lines.append(Content(f"  calendar {plain(t.calendar_key)}"))
    return lines


def customer_lines(overview: CustomerOverview) -> list[Content]:
    """The customer, its contacts and its contracts (in force first)."""
    c = overview.customer
    lines = hang(Content.assemble((plain(c.name), "bold $primary"), f" ({plain(c.code)}) · {c.tz}"), 2)
    for contact in c.contacts:
        lines.extend(hang(Content.assemble("  ", (plain(contact.name), "bold"), f" · {plain(contact.role)}" if contact.role else "")))
        reach = " · ".join(plain(x) for x in (contact.phone, contact.email) if x)
        if reach:
            lines.extend(hang(Content(f"    {reach}"), 6))
    if c.notes:
        lines.extend(hang(Content.styled(f"  {plain(c.notes)}", "italic")))
    if overview.billing:
        lines.extend(hang(Content.assemble(("  billing ", "$text-muted"), plain(overview.billing)), 10))
    if overview.block is not None:
        lines.extend(hang(block_line(overview.block, "  block "), 8))
    lines.append(Content(""))
    if overview.in_force is None:
        lines.append(Content.styled("No contract in force: every call is billable work.", "bold $error"))
    if not overview.contracts:
        lines.append(Content.styled("No contracts on file.", "$text-muted"))
    ordered = sorted(overview.contracts, key=lambda cs: (STATE_ORDER.get(cs[1], 9), -cs[0].terms.valid_from.toordinal(), -cs[0].version))
    for contract, state in ordered:
        lines.extend(contract_block(contract, state))
        lines.append(Content(""))
    return lines


def calendar_lines(overview: CustomerOverview) -> list[Content]:
    lines = [Content.styled("Business hours", "bold $primary"), *hang(Content(f"  {plain(overview.calendar)}"))]
    if overview.holidays:
        lines.append(Content.styled("  coming holidays", "$text-muted"))
        for day, name in overview.holidays[:8]:
            lines.append(Content(f"  {day.strftime('%a %Y-%m-%d')}  {plain(name)}"))
    elif overview.in_force is not None:
        lines.append(Content.styled("  no holidays in the next 120 days", "$text-muted"))
    return lines


def figures_lines(overview: CustomerOverview) -> list[Content]:
    q0, q1 = overview.quarter
    lines = [Content.styled(f"This quarter ({q0.isoformat()} .. {q1.isoformat()})", "bold $primary")]
    if not overview.figures:
        lines.append(Content.styled("  no targets met or missed yet", "$text-muted"))
    for level, f in sorted(overview.figures.items()):
        share = f.resolution_share
        pct = f" ({share:.0%} solved in time)" if share is not None else ""
        lines.append(Content.assemble(("  " + plain(level), "bold")))
        lines.append(Content.assemble(
            "    response   ", (f"{f.response_met} met", "$sla-ok"), " / ",
            (f"{f.response_missed} missed", "$sla-breached" if f.response_missed else ""),
        ))
        lines.append(Content.assemble(
            "    resolution ", (f"{f.resolution_met} met", "$sla-ok"), " / ",
            (f"{f.resolution_missed} missed", "$sla-breached" if f.resolution_missed else ""), pct,
        ))
    return lines


def call_prompt(view: TicketView, now: int) -> Content:
    """One open call as a line: number, priority, status, time left, title."""
    t = view.ticket
    lead = view.leading
    if lead is None:
        state, left = ("none", "no SLA") if not view.clocks else ("none", "stopped")
    elif lead.state == "paused":
        state, left = "paused", "paused"
    else:
        state, left = lead.state, compact(lead.remaining)
    glyph = GLYPHS.get(state, " ")
    colour = f"$sla-{state}" if state in GLYPHS else ""
    return Content.assemble(
        (f"{glyph} {left:>7}", colour), f"  #{t.id:<5} {t.priority}  {STATUS_LABELS.get(t.status, t.status):<10} ",
        headline(t.title),
    )


def price_list_lines(prices: PriceList, width: int = 14) -> list[Content]:
    """The levels side by side: price per month and targets per priority."""
    levels = prices.levels
    if not levels:
        return [Content.styled("No service levels loaded: load a contract file first.", "$text-muted")]
    lines = [
        Content.styled("Price list: what each level promises and costs", "bold $primary"),
        Content.styled("business time; a contract states its own price and may override targets", "$text-muted"),
        Content(""),
        Content.assemble((f"{'':<16}", ""), *((f"{plain(level.title):<{width}}", "bold") for level in levels)),
        Content.assemble((f"{'price / month':<16}", "bold"), *(f"{money(level.price_per_month):<{width}}" for level in levels)),
    ]
    for clock in CLOCKS:
        if not any(getattr(level, clock) for level in levels):
            continue
        for i, p in enumerate(PRIORITIES):
            cells = [f"{getattr(getattr(level, clock).get(p), 'text', '-'):<{width}}" for level in levels]
            lines.append(Content.assemble((f"{clock if i == 0 else '':<11}", "bold"), f"{p:<5}", *cells))
    lines.append(Content(""))
    for level in levels:
        lines.extend(hang(Content.assemble((plain(level.title), "bold"), "  ", plain(prices.hours.get(level.key, level.calendar))), 2))
        if level.description:
            lines.extend(hang(Content.styled(f"  {plain(level.description)}", "$text-muted"), 2))
    return lines


# ------------------------------------------------------------------ the screen


class ContractScreen(Screen[None]):
    """A customer's contracts, calendar, open calls and this quarter's figures; ``p``
    switches to the MSP's price list."""
    app = getters.app(BoardHost)

    HELP_GROUP = "contract lookup"

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    DEFAULT_CSS = """
    ContractScreen #contracts-title { background: $panel; text-style: bold; padding: 0 1; height: 1; }
    ContractScreen #contracts-views { height: 1fr; }
    ContractScreen #contracts-overview, ContractScreen #contracts-prices { height: 1fr; padding: 0 1; }
    ContractScreen #contracts-columns { height: auto; layout: vertical; }
    ContractScreen.-wide #contracts-columns { layout: horizontal; }
    ContractScreen #contracts-left, ContractScreen #contracts-right { height: auto; width: 1fr; }
    ContractScreen.-wide #contracts-right { padding-left: 2; }
    ContractScreen .heading { text-style: bold; color: $primary; margin-top: 1; }
    ContractScreen #contracts-calls { height: auto; max-height: 12; border: none; padding: 0; }
    ContractScreen #contracts-calls:focus { background-tint: $primary 10%; }
    ContractScreen #contracts-figures { margin-top: 1; }
    ContractScreen #contracts-price-list { width: auto; }
    ContractScreen #contracts-overview:focus, ContractScreen #contracts-prices:focus { background-tint: $primary 5%; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "Back", key_display="esc", id="contracts.back", tooltip="Back to where you came from (from the price list: back to the customer)"),
        Binding("slash", "find", "Find", key_display="/", id="contracts.find", tooltip="Look up a customer by part of a name, code or contact"),
        Binding("p", "price_list", "Price list", id="contracts.price_list", tooltip="The levels side by side: targets per priority and price per month"),
        Binding("o", "calls", "Open calls", id="contracts.calls", tooltip="Move to the customer's open calls; enter opens one"),
        Binding("b", "billing", "Billing", id="contracts.billing", tooltip="The customer's bill for this month: fee, block hours, billable work ([ and ] for other months)"),
        Binding("r", "reload", "Reload", show=False, id="contracts.reload", tooltip="Read the customer and the price list again"),
    ]

    def __init__(self, customer: str | None = None) -> None:
        super().__init__()
        self.customer_text = customer
        self.overview: CustomerOverview | None = None
        self.prices: PriceList | None = None
        self.error = ""
        self._request = 0  # results of an older request are dropped

    def compose(self) -> ComposeResult:
        yield Static(Content("Contracts"), id="contracts-title")
        yield CustomerFinder("customer: part of a name, code or contact", id="contracts-finder")
        with ContentSwitcher(initial="contracts-overview", id="contracts-views"):
            with VerticalScroll(id="contracts-overview"):
                with Widget(id="contracts-columns"):
                    with Vertical(id="contracts-left"):
                        yield Static(Content.styled("Type part of a customer's name, code or a contact's name.", "$text-muted"), id="contracts-customer")
                    with Vertical(id="contracts-right"):
                        yield Static(id="contracts-calendar")
                        yield Static(Content.styled("Open calls", "bold $primary"), id="contracts-calls-heading", classes="heading")
                        yield OptionList(markup=False, compact=True, id="contracts-calls")
                        yield Static(id="contracts-figures")
            with VerticalScroll(id="contracts-prices"):
                yield Static(Content("loading the price list…"), id="contracts-price-list")
        yield Footer()

    def on_mount(self) -> None:
        self._section_display(False)
        self.app.read(lambda store: store.customers(), self._customers_read)
        if self.customer_text:
            self.load(self.customer_text)
            self.query_one("#contracts-overview").focus()
        else:
            self.query_one(CustomerFinder).focus_input()

    # ---------------------------------------------------------------- data

    def _customers_read(self, customers: list[Customer]) -> None:
        if self.is_attached:  # the operator may have left while it was read
            self.query_one(CustomerFinder).set_customers(customers)

    def load(self, customer: str) -> None:
        """Read ``customer`` (key, code or an unambiguous part of a name or contact)."""
        self._request += 1
        request = self._request
        self.customer_text = customer
        now: datetime = self.app.clock()
        self.app.read(
            lambda store: customer_overview(store, customer, now),
            lambda overview: self._show(overview, request),
            lambda message: self._show_error(message, request),
        )

    def _show(self, overview: CustomerOverview, request: int) -> None:
        if request != self._request or not self.is_attached:
            return
        self.overview, self.error = overview, ""
        self._update_title()
        self.query_one("#contracts-customer", Static).update(Content("\n").join(customer_lines(overview)))
        self.query_one("#contracts-calendar", Static).update(Content("\n").join(calendar_lines(overview)))
        self.query_one("#contracts-figures", Static).update(Content("\n").join(figures_lines(overview)))
        calls = self.query_one("#contracts-calls", OptionList)
        calls.clear_options()
        now = int(self.app.clock().timestamp())
        for view in overview.open_calls:
            calls.add_option(Option(call_prompt(view, now), id=str(view.ticket.id)))
        heading = f"Open calls ({len(overview.open_calls)})" if overview.open_calls else "Open calls: none"
        self.query_one("#contracts-calls-heading", Static).update(Content.styled(heading, "bold $primary"))
        calls.display = bool(overview.open_calls)
        self._section_display(True)

    def _update_title(self) -> None:
        if self.query_one("#contracts-views", ContentSwitcher).current == "contracts-prices":
            return
        if self.overview is None:
            self.query_one("#contracts-title", Static).update(Content("Contracts"))
            return
        c = self.overview.customer
        self.query_one("#contracts-title", Static).update(Content.assemble("Contracts · ", plain(c.name), f" ({plain(c.code)})"))

    def _show_error(self, message: str, request: int) -> None:
        if request != self._request or not self.is_attached:
            return
        self.error = message
        self.overview = None
        self._update_title()
        self.query_one("#contracts-customer", Static).update(Content.styled(plain(message), "$error"))
        self._section_display(False)
        finder = self.query_one(CustomerFinder)
        finder.input.value = self.customer_text or ""
        finder.focus_input()

    def _section_display(self, shown: bool) -> None:
        for selector in ("#contracts-calendar", "#contracts-calls-heading", "#contracts-calls", "#contracts-figures"):
            self.query_one(selector).display = shown
        if shown and self.overview is not None:
            self.query_one("#contracts-calls").display = bool(self.overview.open_calls)

    # ---------------------------------------------------------------- events

    @on(CustomerFinder.Chosen)
    def _chosen(self, event: CustomerFinder.Chosen) -> None:
        self.query_one("#contracts-views", ContentSwitcher).current = "contracts-overview"
        self.load(event.customer.key)
        self.query_one("#contracts-overview").focus()

    @on(OptionList.OptionSelected, "#contracts-calls")
    def _open_call(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.app.open_ticket(int(event.option.id))

    # ---------------------------------------------------------------- actions

    def action_back(self) -> None:
        finder = self.query_one(CustomerFinder)
        if self.focused is finder.input and finder.input.value:
            finder.input.value = ""  # esc in the finder clears it first, as on the board
            if self.overview is not None:
                self.query_one("#contracts-overview").focus()
            return
        switcher = self.query_one("#contracts-views", ContentSwitcher)
        if switcher.current == "contracts-prices":
            switcher.current = "contracts-overview"
            self.query_one("#contracts-overview").focus()
            self._update_title()
            return
        self.app.pop_screen()

    def action_find(self) -> None:
        self.query_one("#contracts-views", ContentSwitcher).current = "contracts-overview"
        self._update_title()
        self.query_one(CustomerFinder).focus_input()

    def action_price_list(self) -> None:
        switcher = self.query_one("#contracts-views", ContentSwitcher)
        if switcher.current == "contracts-prices":
            self.action_back()
            return
        switcher.current = "contracts-prices"
        self.query_one("#contracts-prices").focus()
        self.query_one("#contracts-title", Static).update(Content("Contracts · the price list (p or esc: back)"))
        if self.prices is None:
            self.app.read(read_price_list, self._show_prices)

    def _show_prices(self, prices: PriceList) -> None:
        if not self.is_attached:
            return
        self.prices = prices
        self.query_one("#contracts-price-list", Static).update(Content("\n").join(price_list_lines(prices)))

    def action_calls(self) -> None:
        calls = self.query_one("#contracts-calls", OptionList)
        if self.overview is None or not self.overview.open_calls:
            self.notify("No open calls for this customer.", timeout=3, markup=False)
            return
        self.query_one("#contracts-views", ContentSwitcher).current = "contracts-overview"
        calls.focus()
        if calls.highlighted is None:
            calls.highlighted = 0
        calls.scroll_visible()

    def action_billing(self) -> None:
        if self.overview is None:
            self.notify("Pick a customer first.", timeout=3, markup=False)
            return
        c = self.overview.customer
        self.app.push_screen(BillingScreen(c.key, c.name, c.tz))

    def action_reload(self) -> None:
        self.prices = None
        if self.query_one("#contracts-views", ContentSwitcher).current == "contracts-prices":
            self.app.read(read_price_list, self._show_prices)
        if self.customer_text:
            self.load(self.customer_text)
