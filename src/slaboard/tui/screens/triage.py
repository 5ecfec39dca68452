"""Quick triage: unmatched mail first (screens.unmatched: mail from senders no
customer is known for, to make calls of), then the new, unassigned calls one at a
time, oldest first.

Single keys set impact (``1 2 3``), urgency (``q w e``, the row under the digits),
service (``s``) and assignee (``m`` me, ``a`` someone); the priority and deadlines
that follow are previewed with services.tickets.plan_change as you go, and
``enter`` saves and moves on. A save over someone else's change is refused by the
store (ConflictError): the message is shown and the call reloaded as it now is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Label, Select, Static

from slaboard.domain import IMPACT_LABELS, URGENCY_LABELS, Customer, Service
from slaboard.services.access import ConflictError, Store
from slaboard.services.mailgate import UnmatchedMail, unmatched_mail
from slaboard.services.tickets import (
    Change,
    TicketView,
    TriageQueue,
    get_view,
    plan_change,
    triage_queue,
    update_ticket,
)
from slaboard.textfmt import compact
from slaboard.tui.host import BoardHost
from slaboard.tui.text import due_text, excerpt, headline, here, hourly, plain
from slaboard.tui.widgets.choices import LevelChoice

IMPACT_KEYS = ("1", "2", "3")
URGENCY_KEYS = ("q", "w", "e")


@dataclass(frozen=True)
class Choices:
    """What the operator has set for the call on screen (not saved yet)."""

    impact: int
    urgency: int
    service: str
    assignee: str

    @classmethod
    def of(cls, view: TicketView) -> Choices:
        t = view.ticket
        return cls(t.impact, t.urgency, t.service, t.assignee)


@dataclass
class Saved:
    view: TicketView
    changed: bool


@dataclass
class Conflict:
    message: str
    view: TicketView


class TriageScreen(Screen[None]):
    """Step through the new, unassigned calls and set what matters with single keys."""
    app = getters.app(BoardHost)

    HELP_GROUP = "triage"

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # the queue beside the call when there is room
    DEFAULT_CSS = """
    TriageScreen { layout: vertical; }
    TriageScreen #heading { height: 1; padding: 0 1; background: $panel; }
    TriageScreen #body { height: 1fr; }
    TriageScreen #call { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    TriageScreen #queue { display: none; width: 52; height: 1fr; padding: 0 1; border-left: solid $primary 50%; }
    TriageScreen.-wide #queue { display: block; }
    TriageScreen #call:focus { background-tint: $foreground 3%; }
    TriageScreen #call-title { text-style: bold; margin-top: 1; }
    TriageScreen #description { margin-top: 1; color: $foreground 85%; }
    TriageScreen #choices { height: auto; padding: 0 1; background: $panel; border-top: solid $primary; }
    TriageScreen .row { height: auto; }
    TriageScreen .label { width: 11; text-style: bold; color: $foreground-muted; }
    TriageScreen .key { width: 2; text-style: bold; color: $accent; }
    TriageScreen #service { width: 30; }
    TriageScreen #service > SelectCurrent { background: $foreground 7%; }
    TriageScreen #service-hint { width: 1fr; padding: 0 0 0 2; }
    TriageScreen #assignee { width: auto; }
    TriageScreen #assignee-input { width: 30; display: none; margin-left: 2; background: $primary 25%; }
    TriageScreen #assignee-input.-shown { display: block; }
    TriageScreen #result { width: 1fr; height: auto; }
    TriageScreen #message { height: auto; padding: 0 1; display: none; }
    TriageScreen #message.-shown { display: block; }
    TriageScreen #message.-error { background: $error 30%; text-style: bold; }
    TriageScreen #message.-ok { background: $success 20%; }
    """

    BINDINGS = [
        *[Binding(key, f"impact({n})", f"Impact {n}", show=False, id=f"triage.impact_{n}",
                  tooltip=f"Impact {n}: {IMPACT_LABELS[n]}") for n, key in enumerate(IMPACT_KEYS, 1)],
        *[Binding(key, f"urgency({n})", f"Urgency {n}", show=False, id=f"triage.urgency_{n}",
                  tooltip=f"Urgency {n}: {URGENCY_LABELS[n]}") for n, key in enumerate(URGENCY_KEYS, 1)],
        Binding("enter", "save", "Save & next", id="triage.save", tooltip="Save what you set and go to the next call"),
        Binding("n", "step(1)", "Skip", id="triage.next", tooltip="The next call, without saving this one"),
        Binding("p", "step(-1)", "Back", id="triage.previous", tooltip="The previous call"),
        Binding("s", "service", "Service", id="triage.service", tooltip="Choose the service (a list opens)"),
        Binding("m", "assign_me", "Me", id="triage.assign_me", tooltip="Assign the call to yourself (again: undo)"),
        Binding("a", "assign", "Assign", id="triage.assign", tooltip="Assign the call to someone: type a name"),
        Binding("escape", "leave", "Board", id="triage.leave", tooltip="Back to the board (what is not saved is dropped)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TicketView] = []
        self.services: list[Service] = []
        self.index = 0
        self.saved: set[int] = set()
        self.choices: Choices | None = None
        self.change: Change | None = None
        self.loaded = False
        self._gen = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="heading")
        with Horizontal(id="body"):
            with VerticalScroll(id="call"):
                yield Static(Content.styled("reading the new calls…", "$foreground-muted"), id="call-head")
                yield Static(id="call-title")
                yield Static(id="call-meta")
                yield Static(id="description")
            with VerticalScroll(id="queue"):
                yield Static(id="queue-list")
        with Vertical(id="choices"):
            with Horizontal(classes="row"):
                yield Label("Impact", classes="label")
                yield LevelChoice(IMPACT_LABELS, keys=IMPACT_KEYS, focusable=False, id="impact")
            with Horizontal(classes="row"):
                yield Label("Urgency", classes="label")
                yield LevelChoice(URGENCY_LABELS, keys=URGENCY_KEYS, focusable=False, id="urgency")
            with Horizontal(classes="row"):
                yield Label("Service", classes="label")
                yield Static(Content("s"), classes="key")
                yield Select[str]([], prompt="service", id="service", compact=True, allow_blank=True)
                yield Static(id="service-hint")
            with Horizontal(classes="row"):
                yield Label("Assignee", classes="label")
                yield Static(id="assignee")
                yield Input(placeholder="name, enter sets it", id="assignee-input", compact=True)
            with Horizontal(classes="row"):
                yield Label("Result", classes="label")
                yield Static(id="result")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#service", Select).can_focus = False  # `s` opens it; tab stays on the call
        self.query_one("#queue").can_focus = False
        self.watch(self.query_one("#service", Select), "expanded", self._service_closed, init=False)
        self.query_one("#call").focus()
        self._show_heading()
        now = self.app.clock()

        def read(store: Store) -> tuple[TriageQueue, list[UnmatchedMail], list[Customer]]:
            mails = unmatched_mail(store)
            return triage_queue(store, now), mails, store.customers() if mails else []

        self.app.read(read, self._loaded_with_mail, self._load_failed)

    def _loaded_with_mail(self, found: tuple[TriageQueue, list[UnmatchedMail], list[Customer]]) -> None:
        queue, mails, customers = found
        self._loaded(queue)
        if mails:
            from slaboard.tui.screens.unmatched import UnmatchedMailScreen

            self.app.push_screen(UnmatchedMailScreen(mails, customers, queue.services), self._mail_done)

    def _mail_done(self, handled: int | None) -> None:
        if handled:  # the calls they became are new and unassigned: read the queue again
            now = self.app.clock()
            self.app.read(lambda store: triage_queue(store, now), self._reloaded_queue, self._load_failed)

    def _reloaded_queue(self, queue: TriageQueue) -> None:
        self.index = 0
        self._loaded(queue)

    def _loaded(self, queue: TriageQueue) -> None:
        self.calls, self.services, self.loaded = queue.calls, queue.services, True
        if queue.operators:
            self.query_one("#assignee-input", Input).suggester = SuggestFromList(queue.operators, case_sensitive=False)
        self._arrive()

    def _load_failed(self, message: str) -> None:
        self._message(f"Cannot read the new calls: {message}", error=True)

    # ------------------------------------------------------------------ moving through the queue

    @property
    def current(self) -> TicketView | None:
        return self.calls[self.index] if self.loaded and 0 <= self.index < len(self.calls) else None

    def _arrive(self) -> None:
        """Show the call at ``index`` and read it again (it may have moved on since the queue was read)."""
        view = self.current
        self.change = None
        self.choices = Choices.of(view) if view else None
        self._show()
        if view is not None:
            ticket_id, now = view.ticket.id, self.app.clock()
            self.app.read(lambda store: get_view(store, ticket_id, now), self._reloaded,
                          lambda message: self._message(message, error=True))

    def _reloaded(self, fresh: TicketView) -> None:
        view = self.current
        if view is None or fresh.ticket.id != view.ticket.id:
            return  # the operator has moved on
        if fresh.ticket.version != view.ticket.version:
            # Someone changed it since the queue was read: start from what it is now,
            # so nothing of theirs is overwritten by choices made on the old call.
            touched = self.choices != Choices.of(view)
            self.choices = Choices.of(fresh)
            if touched:
                self._message(f"#{fresh.ticket.id} was changed meanwhile; it is shown as it is now. Set it again.", error=True)
        self.calls[self.index] = fresh
        self._show()
        self._preview()

    def _next_gen(self) -> int:
        self._gen += 1
        return self._gen

    def action_step(self, delta: int) -> None:
        if not self.loaded:
            return
        self.index = max(0, min(len(self.calls), self.index + delta))
        self._message("")
        self._arrive()

    # ------------------------------------------------------------------ choices

    def _set(self, **changes: object) -> None:
        if self.choices is None:
            return
        self.choices = replace(self.choices, **changes)  # type: ignore[arg-type]
        self._show_choices()
        self._preview()

    def action_impact(self, level: int) -> None:
        self._set(impact=level)

    def action_urgency(self, level: int) -> None:
        self._set(urgency=level)

    def action_assign_me(self) -> None:
        view = self.current
        if view is None or self.choices is None:
            return
        me = self.app.operator
        self._set(assignee=view.ticket.assignee if self.choices.assignee == me else me)

    def action_assign(self) -> None:
        if self.current is None or self.choices is None:
            return
        box = self.query_one("#assignee-input", Input)
        box.value = self.choices.assignee
        box.add_class("-shown")
        box.focus()

    @on(Input.Submitted, "#assignee-input")
    def _assignee_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._close_assignee()
        self._set(assignee=event.value.strip())

    def _close_assignee(self) -> None:
        self.query_one("#assignee-input", Input).remove_class("-shown")
        self.query_one("#call").focus()

    def action_service(self) -> None:
        if self.current is None:
            return
        select = self.query_one("#service", Select)
        select.can_focus = True
        select.focus()
        select.action_show_overlay()

    @on(Select.Changed, "#service")
    def _service_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and self.choices is not None and event.value != self.choices.service:
            self._set(service=event.value)

    def _service_closed(self, expanded: bool) -> None:
        if not expanded:
            select = self.query_one("#service", Select)
            select.can_focus = False
            self.query_one("#call").focus()

    def action_leave(self) -> None:
        if self.query_one("#assignee-input", Input).has_class("-shown"):
            self._close_assignee()  # esc first closes the name box
            return
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "service", "assign_me", "assign", "impact", "urgency"):
            return self.current is not None or None
        if action == "step" and parameters:
            target = self.index + int(parameters[0])  # type: ignore[call-overload]
            return self.loaded and 0 <= target <= len(self.calls) or None
        return True

    # ------------------------------------------------------------------ preview and save

    def _plan(self, store: Store, ticket_id: int, choices: Choices, version: int, now: datetime) -> Change:
        return plan_change(store, ticket_id, operator=self.app.operator, now=now,
                           impact=choices.impact, urgency=choices.urgency, service=choices.service,
                           assignee=choices.assignee, expected_version=version)

    def _preview(self) -> None:
        view, choices = self.current, self.choices
        if view is None or choices is None:
            return
        gen = self._next_gen()
        ticket_id, version, now = view.ticket.id, view.ticket.version, self.app.clock()
        self.app.read(lambda store: self._plan(store, ticket_id, choices, version, now),
                      lambda change: self._previewed(gen, change), lambda message: self._preview_failed(gen, message))

    def _previewed(self, gen: int, change: Change) -> None:
        if gen != self._gen:
            return
        self.change = change
        self._show_result()

    def _preview_failed(self, gen: int, message: str) -> None:
        if gen == self._gen:
            self.change = None
            self.query_one("#result", Static).update(Content.styled(f"✗ {plain(message)}", "$error"))

    def action_save(self) -> None:
        """Save in the background and show the next call at once, so a fast operator's
        next keys already count; a refused save brings its call back."""
        view, choices = self.current, self.choices
        if view is None or choices is None:
            return
        index, ticket_id, version = self.index, view.ticket.id, view.ticket.version
        now, operator = self.app.clock(), self.app.operator

        def save(store: Store) -> Saved | Conflict:
            try:
                stored = update_ticket(store, ticket_id, operator=operator, now=now, impact=choices.impact,
                                       urgency=choices.urgency, service=choices.service,
                                       assignee=choices.assignee, expected_version=version)
            except ConflictError as err:
                return Conflict(str(err), get_view(store, ticket_id, now))
            return Saved(stored, stored.ticket.version != version)

        self.app.write(save, lambda outcome: self._saved(index, outcome),
                       lambda message: self._save_failed(index, choices, message))
        self.index += 1
        self._message("")
        self._arrive()

    def _saved(self, index: int, outcome: Saved | Conflict) -> None:
        if isinstance(outcome, Conflict):
            self.calls[index] = outcome.view
            self.index = index
            self._arrive()
            self._message(f"Not saved: {outcome.message}. The call is shown as it is now; set it again.", error=True)
            return
        t = outcome.view.ticket
        self.calls[index] = outcome.view
        if outcome.changed:
            self.saved.add(t.id)
            who = f", {t.assignee}" if t.assignee else ""
            self._message(f"#{t.id} saved: {t.priority}{who}.", error=False)
        else:
            self._message(f"#{t.id}: nothing to save.", error=False)
        if self.current is None:
            self._show()  # the closing summary counts it
        else:
            self._show_heading()
            self._show_queue()

    def _save_failed(self, index: int, choices: Choices, message: str) -> None:
        self.index = index
        self._arrive()
        self.choices = choices  # what the operator set stays, to be put right
        self._show_choices()
        self._preview()
        self._message(f"Not saved: {message}", error=True)

    # ------------------------------------------------------------------ drawing

    def _message(self, text: str, error: bool = False) -> None:
        box = self.query_one("#message", Static)
        box.update(Content(plain(text)))
        box.set_class(bool(text), "-shown")
        box.set_class(bool(text) and error, "-error")
        box.set_class(bool(text) and not error, "-ok")

    def _show_heading(self) -> None:
        now = self.app.clock()
        if not self.loaded:
            where = "reading…"
        elif not self.calls:
            where = "no new, unassigned calls"
        elif self.index >= len(self.calls):
            where = f"done: {len(self.calls)} calls looked at"
        else:
            where = f"call {self.index + 1} of {len(self.calls)}, oldest first"
        self.query_one("#heading", Static).update(Content.assemble(
            ("Triage", "bold"), f"  {where}", (f" · {len(self.saved)} saved", "$foreground-muted"),
            (f"   {plain(self.app.operator)} · {here(now)}", "$foreground-muted"),
        ))

    def _show_queue(self) -> None:
        lines = [Content.styled("The queue, oldest first", "bold $foreground-muted")]
        for i, view in enumerate(self.calls):
            t = view.ticket
            mark = ("▶", "bold $accent") if i == self.index else (("✓", "bold $success") if t.id in self.saved else (" ", ""))
            style = "bold" if i == self.index else ("$foreground-muted" if t.id in self.saved else "")
            lines.append(Content.assemble(mark, " ", (f"#{t.id} {plain(view.customer.code):<4} {t.priority} ", style),
                                          (headline(t.title), style)).truncate(48, ellipsis=True))
        if self.loaded and not self.calls:
            lines.append(Content.styled("empty", "$foreground-muted"))
        self.query_one("#queue-list", Static).update(Content("\n").join(lines))

    def _show(self) -> None:
        self._show_heading()
        self._show_queue()
        self.refresh_bindings()  # the footer dims what cannot be done without a call
        view = self.current
        head, title, meta, description = (self.query_one(f"#{n}", Static) for n in ("call-head", "call-title", "call-meta", "description"))
        self.query_one("#choices").display = view is not None
        if view is None:
            if self.loaded and not self.calls:
                text = "No new, unassigned calls: nothing to triage. esc goes back to the board."
            else:
                text = f"That was the last call: {len(self.saved)} of {len(self.calls)} saved. esc goes back to the board, p to the last call."
            head.update(Content.styled(text, "$foreground-muted") if self.loaded else Content.styled("reading the new calls…", "$foreground-muted"))
            for w in (title, meta, description):
                w.update("")
            return
        t, now = view.ticket, self.app.clock()
        contract = plain(view.level) if view.contract else "no contract: billable"
        mark = Content.styled("  ✓ saved", "bold $success") if t.id in self.saved else Content("")
        head.update(Content.assemble((f"#{t.id}", "bold"), "  ", plain(view.customer.name),
                                     (f" ({plain(view.customer.code)})", "$foreground-muted"), " · ",
                                     (contract, "bold" if view.contract else "bold $warning")) + mark)
        title.update(Content(headline(t.title)))
        ago = compact(max(0, int((now - t.reported_at).total_seconds())))
        caller = f" by {plain(t.caller)}" if t.caller else ""
        lines = [
            Content.assemble(("reported ", "$foreground-muted"), here(t.reported_at),
                             (f" ({ago} ago) via {t.channel}{caller}", "$foreground-muted")),
            Content.assemble(("now ", "$foreground-muted"), (t.priority, "bold"),
                             (f" (impact {t.impact}, urgency {t.urgency}) · {plain(t.service)} · ", "$foreground-muted"), self._clocks_now(view, now)),
        ]
        meta.update(Content("\n").join(lines))
        shown, left_out = excerpt(t.description)
        if left_out:
            shown += f"\n… {left_out:,} more characters (the call's detail shows them all)"
        description.update(Content(shown) if t.description else Content.styled("(no description)", "$foreground-muted"))
        self._fill_services(view)
        self._show_choices()
        self._show_result()

    def _clocks_now(self, view: TicketView, now: datetime) -> Content:
        parts = []
        for name in ("response", "resolution"):
            clock = view.clocks.get(name)
            if clock is None or not clock.running:
                continue
            parts.append(Content.assemble((f"{name} ", "$foreground-muted"), due_text(clock.due, now)))
        return Content(" · ").join(parts) if parts else Content.styled("no SLA", "$warning")

    def _fill_services(self, view: TicketView) -> None:
        select = self.query_one("#service", Select)
        options = []
        for s in self.services:
            prompt = Text(plain(s.name))  # Text, never markup; the Select searches Text as you type
            if view.contract is not None and view.contract.terms.covers_service(s.key):
                prompt.append(" ✓", style="bold")
            elif view.contract is not None:
                prompt.append(" · billable", style="dim")
            options.append((prompt, s.key))
        with self.prevent(Select.Changed):
            select.set_options(options)
            if self.choices is not None and any(s.key == self.choices.service for s in self.services):
                select.value = self.choices.service

    def _show_choices(self) -> None:
        view, choices = self.current, self.choices
        if view is None or choices is None:
            return
        self.query_one("#impact", LevelChoice).value = choices.impact
        self.query_one("#urgency", LevelChoice).value = choices.urgency
        select = self.query_one("#service", Select)
        if select.value != choices.service:
            with self.prevent(Select.Changed):
                select.value = choices.service
        hint = self.query_one("#service-hint", Static)
        contract = view.contract
        if contract is None:
            hint.update(Content.styled("no contract: billable at the default rate", "$warning"))
        elif contract.terms.covers_service(choices.service):
            hint.update(Content.styled("covered", "$success"))
        else:
            hint.update(Content.styled(f"not covered: billable at {hourly(contract.terms.hourly_rate)}", "$warning"))
        me = self.app.operator
        who = Content.styled(plain(choices.assignee), "bold") if choices.assignee else Content.styled("nobody", "$foreground-muted")
        self.query_one("#assignee", Static).update(Content.assemble(
            ("m", "bold $accent"), f" me ({plain(me)})  ", ("a", "bold $accent"), " someone   → ", who,
        ))

    def _show_result(self) -> None:
        view, change = self.current, self.change
        result = self.query_one("#result", Static)
        if view is None:
            return
        if change is None or change.before.ticket.id != view.ticket.id:
            result.update(Content.styled("working out the deadlines…", "$foreground-muted"))
            return
        now = self.app.clock()
        before, after = change.before.ticket, change.after.ticket
        prio = Content.styled(after.priority, "bold")
        if after.priority != before.priority:
            prio = Content.assemble((before.priority, "$foreground-muted"), " → ", (after.priority, "bold $accent"))
        parts = [prio]
        for name in ("response", "resolution"):
            new = change.after.clocks.get(name)
            if new is None or not new.running:
                continue
            old = change.before.clocks.get(name)
            state = f"$sla-{new.state}" if new.state in ("warning", "critical", "breached") else ""
            due = Content.styled(due_text(new.due, now), f"bold {state}")
            if old is not None and old.running and old.due_ts != new.due_ts:
                due = Content.assemble((due_text(old.due, now), "$foreground-muted"), " → ", due)
            late = Content.styled(" late", f"bold {state}") if new.remaining < 0 else Content("")
            parts.append(Content.assemble((f"{name} ", "$foreground-muted"), due) + late)
        if not change.after.clocks:
            parts.append(Content.styled("no SLA", "$warning"))
        if not change.events:
            parts.append(Content.styled("(unchanged)", "$foreground-muted"))
        result.update(Content(" · ").join(parts))
