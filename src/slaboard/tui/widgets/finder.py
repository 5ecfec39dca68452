"""Find a customer as you type: an input with the matching customers under it
(the rule of slaboard.domain.match_customers)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from slaboard.domain import Customer, CustomerMatch, match_customers
from slaboard.tui.text import plain


class CustomerFinder(Vertical):
    """An input with the matching customers listed under it as you type; up/down
    move through the suggestions, enter takes one."""

    HELP_GROUP = "contract lookup"

    DEFAULT_CSS = """
    CustomerFinder { height: auto; }
    CustomerFinder > #finder-line { height: 1; padding: 0 1; }
    CustomerFinder #finder-label { width: auto; }
    CustomerFinder #finder-input { width: 1fr; }
    CustomerFinder > OptionList { display: none; height: auto; max-height: 8; margin: 0 1; border: none; }
    CustomerFinder > OptionList.-shown { display: block; }
    CustomerFinder > .finder--hint { color: $text-muted; padding: 0 2; height: auto; }
    """
    BINDINGS = [
        Binding("down", "suggestion(1)", "Next", show=False, id="finder.next", tooltip="The next suggested customer"),
        Binding("up", "suggestion(-1)", "Previous", show=False, id="finder.previous", tooltip="The previous suggested customer"),
    ]
    LIMIT = 8

    class Chosen(Message):
        """The operator took a customer."""

        def __init__(self, customer: Customer) -> None:
            self.customer = customer
            super().__init__()

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder
        self.customers: list[Customer] = []
        self.matches: list[CustomerMatch] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="finder-line"):
            yield Static(Content.styled("find ", "bold"), id="finder-label")
            yield Input(placeholder=self.placeholder, compact=True, id="finder-input")
        yield OptionList(markup=False, compact=True, id="finder-suggestions")
        yield Static(classes="finder--hint", id="finder-hint")

    @property
    def input(self) -> Input:
        return self.query_one("#finder-input", Input)

    def set_customers(self, customers: list[Customer]) -> None:
        self.customers = customers
        self._suggest(self.input.value)

    def focus_input(self) -> None:
        self.input.focus()

    @on(Input.Changed, "#finder-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._suggest(event.value)

    def _suggest(self, text: str) -> None:
        suggestions = self.query_one("#finder-suggestions", OptionList)
        hint = self.query_one("#finder-hint", Static)
        every = match_customers(self.customers, text) if self.customers else []
        self.matches = every[: self.LIMIT]
        suggestions.clear_options()
        for customer, contact in self.matches:
            line = Content.assemble((f"{plain(customer.code):<5}", "bold"), " ", plain(customer.name))
            if contact:
                line = Content.assemble(line, ("  · contact ", "$text-muted"), plain(contact))
            suggestions.add_option(Option(line, id=customer.key))
        suggestions.set_class(bool(self.matches), "-shown")
        if self.matches:
            suggestions.highlighted = 0
            more = len(every) - len(self.matches)
            hint.update(Content(f"{more} more: type more of the name") if more > 0 else "")
        elif text.strip() and self.customers:
            hint.update(Content(f"No customer matches {plain(text.strip())!r}: try part of a name, a code or a contact."))
        else:
            hint.update("")

    def action_suggestion(self, step: int) -> None:
        suggestions = self.query_one("#finder-suggestions", OptionList)
        if not self.matches:
            return
        current = suggestions.highlighted if suggestions.highlighted is not None else -step
        suggestions.highlighted = (current + step) % len(self.matches)

    @on(Input.Submitted, "#finder-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.query_one("#finder-suggestions", OptionList).highlighted
        if self.matches:
            self._choose(self.matches[index or 0][0])

    @on(OptionList.OptionSelected, "#finder-suggestions")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self.matches[event.option_index][0])

    def _choose(self, customer: Customer) -> None:
        self.input.value = ""
        self._suggest("")
        self.post_message(self.Chosen(customer))
