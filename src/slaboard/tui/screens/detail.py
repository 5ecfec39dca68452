"""The ticket detail: every field, every clock with its explanation, the history
and the messages, and the actions on the call."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from slaboard.domain.models import minutes_text
from slaboard.services.access import Attachment, Store
from slaboard.services.mailgate import save_attachment
from slaboard.services.tickets import TicketDetail, TicketView, reopen_ticket, ticket_detail, update_ticket
from slaboard.services.timekeeping import TimeEntry, time_entries
from slaboard.sla import explain
from slaboard.textfmt import compact, local
from slaboard.tui.host import BoardHost
from slaboard.tui.screens.full_text import FullTextScreen
from slaboard.tui.text import excerpt, headline, plain
from slaboard.tui.widgets.dialogs import (
    AssignDialog,
    AttachmentChooser,
    PriorityDialog,
    PriorityResult,
    ResolveDialog,
    ResolveResult,
    SaveAttachmentDialog,
    StatusDialog,
    StatusResult,
    TimeEntryDialog,
    attachment_line,
)

RUNNING = ("ok", "warning", "critical", "breached", "paused")


def time_lines(entries: list[TimeEntry], tz: str, now: datetime) -> list[Content]:
    """The time spent on a call: the total, then each entry (a running timer to now)."""
    def spent(e: TimeEntry) -> int:
        return e.minutes if e.minutes is not None else max(0, int((now - e.started_at).total_seconds() // 60))

    total = sum(spent(e) for e in entries)
    head = f"time spent {minutes_text(total) if total else '0m'} (e logs time, T starts or stops your timer)"
    lines = [Content.styled(head, "bold $primary")]
    for e in entries:
        if e.running:
            what = Content.styled(f"⏱ running since {local(e.started_at, tz, '%H:%M')} ({minutes_text(spent(e) or 1)})",
                                  "$warning")
        else:
            what = Content(minutes_text(e.minutes or 0))
        decided = "" if e.billable is None else (
            f"  [{'billable' if e.billable else 'covered'}: {e.billable_reason}]")
        lines.append(Content.assemble(f"  {local(e.started_at, tz, '%Y-%m-%d %H:%M')}  {plain(e.operator):<10} ", what,
                                      plain(f"  {e.note}" if e.note else ""), plain(decided)))
    return lines
HEADER_TITLE_CHARS = 160  # at most two or three lines of the header, even at 80 columns


class TicketScreen(Screen[None]):
    """One call, read from the database when opened and after every change."""
    app = getters.app(BoardHost)

    HELP_GROUP = "call detail"

    DEFAULT_CSS = """
    TicketScreen #detail { padding: 0 1; }
    TicketScreen #title { text-style: bold; background: $panel; padding: 0 1; max-height: 3; }
    TicketScreen #risk { display: none; background: $error; color: $text; padding: 0 1; text-style: bold; }
    TicketScreen #risk.-shown { display: block; }
    """
    BINDINGS = [
        Binding("escape,q,backspace", "app.pop_screen", "Back", id="ticket.back", tooltip="Back to the board"),
        Binding("a", "assign", "Assign", id="ticket.assign", tooltip="Give the call to someone (yourself by default)"),
        Binding("s", "status", "Status", id="ticket.status", tooltip="Move the call on: diagnosing, in progress, waiting..."),
        Binding("p", "priority", "Priority", id="ticket.priority", tooltip="Change impact or urgency; see the new deadline first"),
        Binding("d", "diagnose", "Diagnose", id="ticket.diagnose", tooltip="What you found and the time to promise"),
        Binding("v", "resolve", "Resolve", id="ticket.resolve", tooltip="Resolve with a note (a missed target asks why)"),
        Binding("o", "reopen", "Reopen", id="ticket.reopen", tooltip="Reopen a resolved call"),
        Binding("l", "log", "Log", id="ticket.log", tooltip="The customer log of this call"),
        Binding("c", "contract", "Contract", id="ticket.contract", tooltip="The customer's contracts"),
        Binding("f", "full_text", "Full text", id="ticket.full_text",
                tooltip="The whole title and description, scrolling (the detail shows their start)"),
        Binding("e", "log_time", "Log time", id="ticket.log_time",
                tooltip="Log time worked on the call (covered or billable, as the contract decides)"),
        Binding("T", "timer", "Timer", id="ticket.timer", tooltip="Start your timer on the call, or stop it"),
        Binding("w", "save_attachment", "Save file", id="ticket.save_attachment",
                tooltip="Save a file that came with the customer's mail (choose one, then where)"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.detail: TicketDetail | None = None
        self.time: list[TimeEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(Content(f"#{self.ticket_id}"), id="title")
        yield Static(id="risk")
        with VerticalScroll(id="detail"):
            yield Static(Content("loading…"), id="body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        now = self.app.clock()
        ticket_id = self.ticket_id
        def read(store: Store) -> tuple[TicketDetail, list[TimeEntry]]:
            return ticket_detail(store, ticket_id, now), time_entries(store, ticket_id=ticket_id)

        self.app.read(read, lambda found: self._show(*found), self._show_error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.detail is None:
            return action == "app.pop_screen" or None
        status = self.detail.view.ticket.status
        if action == "reopen":
            return status == "resolved" or None
        if action == "save_attachment":
            return any(not a.refused for a in self.detail.attachments)  # hidden when there is none
        if action in ("resolve", "priority", "diagnose", "assign", "status"):
            return status not in ("resolved", "closed") or None
        return True

    # ---------------------------------------------------------------- actions

    def _change(self, **changes: object) -> None:
        """Save a change based on the version shown (a concurrent change is refused
        with what changed, and the screen reloads)."""
        assert self.detail is not None
        version = self.detail.view.ticket.version
        operator = self.app.operator
        now = self.app.clock()
        ticket_id = self.ticket_id

        def write(store: Store) -> TicketView:
            return update_ticket(store, ticket_id, operator=operator, now=now, expected_version=version, **changes)  # type: ignore[arg-type]

        self.app.write(write, lambda view: self.load(), self._refused)

    def _refused(self, message: str) -> None:
        self.notify(message, severity="error", timeout=10, markup=False)
        self.load()

    def action_assign(self) -> None:
        assert self.detail is not None

        def done(name: object) -> None:
            if isinstance(name, str):
                self._change(assignee=name)

        self.app.push_screen(AssignDialog(self.detail.view), done)

    def action_status(self) -> None:
        assert self.detail is not None

        def done(result: object) -> None:
            if isinstance(result, StatusResult):
                self._change(status=result.status, reason=result.reason)

        self.app.push_screen(StatusDialog(self.detail.view), done)

    def action_priority(self) -> None:
        assert self.detail is not None

        def done(result: object) -> None:
            if isinstance(result, PriorityResult):
                self._change(impact=result.impact, urgency=result.urgency)

        self.app.push_screen(PriorityDialog(self.detail.view), done)

    def action_resolve(self) -> None:
        assert self.detail is not None

        def done(result: object) -> None:
            if isinstance(result, ResolveResult):
                self._change(status="resolved", reason=result.note, justification=result.justification,
                             require_justification=True)

        self.app.push_screen(ResolveDialog(self.detail.view), done)

    def action_reopen(self) -> None:
        assert self.detail is not None
        version = self.detail.view.ticket.version
        operator, now, ticket_id = self.app.operator, self.app.clock(), self.ticket_id

        def write(store: Store) -> TicketView:
            return reopen_ticket(store, ticket_id, operator=operator, now=now, expected_version=version)

        self.app.write(write, lambda view: self.load(), self._refused)

    def action_diagnose(self) -> None:
        self.app.diagnose(self.ticket_id)

    def action_log_time(self) -> None:
        assert self.detail is not None

        def done(entry: object) -> None:
            if isinstance(entry, TimeEntry):
                self.notify(f"Logged {minutes_text(entry.minutes or 0)} on #{entry.ticket_id}.", timeout=4,
                            markup=False)
            self.load()

        self.app.push_screen(TimeEntryDialog(self.detail.view), done)

    def action_timer(self) -> None:
        self.app.toggle_timer(self.ticket_id, done=self.load)

    def action_log(self) -> None:
        self.app.action_comm_log(ticket_id=self.ticket_id)

    def action_full_text(self) -> None:
        if self.detail is not None:
            t = self.detail.view.ticket
            self.app.push_screen(FullTextScreen(t.id, t.title, t.description))

    def action_save_attachment(self) -> None:
        assert self.detail is not None
        kept = [a for a in self.detail.attachments if not a.refused]
        if len(kept) == 1:
            self._ask_path(kept[0])
            return

        def chosen(attachment_id: int | None) -> None:
            found = [a for a in kept if a.id == attachment_id]
            if found:
                self._ask_path(found[0])

        self.app.push_screen(AttachmentChooser(kept), chosen)

    def _ask_path(self, attachment: Attachment, problem: str = "", path: str | None = None) -> None:
        """Ask where to save it; a path that cannot be written asks again, saying why."""

        def chosen(target: Path | None) -> None:
            if target is None:
                return
            self.app.read(lambda store: save_attachment(store, attachment.id, target),
                          lambda written: self.notify(f"Saved {written}", timeout=6, markup=False),
                          lambda message: self._ask_path(attachment, message, str(target)))

        self.app.push_screen(SaveAttachmentDialog(attachment, problem, path), chosen)

    def action_contract(self) -> None:
        if self.detail is not None:
            self.app.action_contracts(self.detail.view.customer.key)

    # ---------------------------------------------------------------- drawing

    def _show_error(self, message: str) -> None:
        self.query_one("#body", Static).update(Content(f"Cannot show #{self.ticket_id}: {plain(message)}"))

    def _show(self, detail: TicketDetail, time: list[TimeEntry] | None = None) -> None:
        self.detail = detail
        self.time = time or []
        self.refresh_bindings()
        view = detail.view
        t, tz = view.ticket, view.tz
        self.query_one("#title", Static).update(Content(f"#{t.id}  {headline(t.title, HEADER_TITLE_CHARS)}  ·  v{t.version}"))
        risk = self.query_one("#risk", Static)
        risk.set_class(view.at_risk, "-shown")
        if view.at_risk:
            risk.update(Content(
                f"At risk: the promised {local(t.expected_at, tz, '%a %H:%M')} is after the resolution deadline "
                f"{local(t.resolution_due, tz, '%a %H:%M')}. Tell the customer (l)."
            ))
        lines: list[Content] = []

        def field(label: str, value: str) -> None:
            lines.append(Content.assemble((f"{label:<12}", "bold"), plain(value)))

        field("customer", f"{view.customer.name} ({view.customer.code}), {tz}")
        if view.contract:
            cover = "billable: service not covered" if t.billable else "covered"
            field("contract", f"{view.contract.key} v{view.contract.version} · {view.level} · {cover}")
        else:
            field("contract", "none in force: billable work")
        field("service", t.service)
        field("priority", f"{t.priority} (impact {t.impact}, urgency {t.urgency})" + (f" — {t.priority_reason}" if t.priority_reason else ""))
        field("status", t.status.replace("_", " "))
        field("assignee", t.assignee or "unassigned")
        field("caller", f"{t.caller or '-'} via {t.channel}")
        field("reported", local(t.reported_at, tz, "%a %Y-%m-%d %H:%M %Z"))
        if t.diagnosis or t.category:
            field("diagnosis", (f"[{t.category}] " if t.category else "") + t.diagnosis)
        if t.expected_at:
            field("promised", local(t.expected_at, tz, "%a %Y-%m-%d %H:%M %Z"))
        if t.estimate_hours is not None:
            rate = view.contract.terms.hourly_rate if view.contract else None
            cost = "covered by the contract" if not t.billable else (
                f"billable: {t.estimate_hours:g} h × {rate} = {t.estimate_hours * float(rate):.2f}" if rate is not None else "billable at the default rate"
            )
            field("estimate", f"{t.estimate_hours:g} h, {cost}")
        if t.resolution_note:
            field("resolution", t.resolution_note)
        if t.description:
            lines.append(Content(""))
            shown, left_out = excerpt(t.description)
            lines.append(Content(shown))
            if left_out:
                lines.append(Content.styled(f"… {left_out:,} more characters of the description (f: the whole text)",
                                            "italic $foreground-muted"))
        if len(t.title) > HEADER_TITLE_CHARS:
            lines.insert(0, Content.styled(f"The title is {len(t.title):,} characters long (f: the whole text).",
                                           "italic $foreground-muted"))
        for name, clock in view.clocks.items():
            lines.append(Content(""))
            lines.append(Content.styled(f"{name} clock", "bold $primary"))
            left = "stopped" if clock.stopped_ts is not None else compact(clock.remaining) + " left"
            colour = f"$sla-{clock.state}" if clock.state in RUNNING else ("$sla-ok" if clock.state == "met" else "$sla-breached")
            lines.append(Content.assemble((f"  {clock.state}", f"bold {colour}"),
                                          f"  due {local(clock.due, tz, '%a %Y-%m-%d %H:%M %Z')}  ·  {left}"))
            for line in explain(clock).lines():
                lines.append(Content("  " + plain(line)))
        if self.time:
            lines.append(Content(""))
            lines.extend(time_lines(self.time, tz, self.app.clock()))
        if detail.attachments:
            lines.append(Content(""))
            lines.append(Content.styled("attachments" + (" (w saves one)" if any(not a.refused for a in detail.attachments)
                                                         else ""), "bold $primary"))
            for a in detail.attachments:
                lines.append(Content.assemble(f"  {local(a.received_at, tz, '%Y-%m-%d %H:%M')}  ", attachment_line(a)))
        if detail.comms:
            lines.append(Content(""))
            lines.append(Content.styled("messages", "bold $primary"))
            for c in detail.comms:
                arrow = "→" if c.direction == "out" else "←"
                promised = f"  (promised {local(c.promised_at, tz, '%a %H:%M')})" if c.promised_at else ""
                lines.append(Content(plain(f"  {local(c.at, tz, '%Y-%m-%d %H:%M')}  {c.operator:<10} {arrow} {c.contact or '-'} ({c.channel}): {c.summary}{promised}")))
        if detail.events:
            lines.append(Content(""))
            lines.append(Content.styled("history", "bold $primary"))
            for e in detail.events:
                change = f"{e.field}: {e.old or '-'} → {e.new or '-'}" if e.field else ("logged" if e.kind == "created" else "")
                note = f"  ({e.note})" if e.note else ""
                lines.append(Content(plain(f"  {local(e.at, tz, '%Y-%m-%d %H:%M')}  {e.operator:<10} {e.kind:<9} {change}{note}")))
        self.query_one("#body", Static).update(Content("\n").join(lines))
