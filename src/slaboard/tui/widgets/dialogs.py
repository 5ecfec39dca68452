"""Small dialogs for changing a call: each shows what the change will do (the new
deadline, a missed target) before it is saved, and returns a typed result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from slaboard.domain import IMPACT_LABELS, TRANSITIONS, URGENCY_LABELS, priority_for
from slaboard.domain.models import minutes_text, parse_minutes
from slaboard.reports.figures import Report
from slaboard.services.access import Attachment, Store
from slaboard.services.billing import Decision, decide
from slaboard.services.mailgate import size_text
from slaboard.services.tickets import Change, TicketView, plan_change
from slaboard.services.timekeeping import TimeEntry, TimeError, add_entry
from slaboard.textfmt import local
from slaboard.timeinput import TimeInputError, parse_optional
from slaboard.tui.host import BoardHost
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.figures import period_text

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; color: $primary; }}
{name} .preview {{ color: $foreground-muted; height: auto; }}
{name} .error {{ color: $error; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; }}
{name} Button {{ margin-left: 1; }}
{name} Input, {name} Select {{ margin-bottom: 0; }}
"""

STATUS_LABELS = {
    "new": "new",
    "diagnosing": "diagnosing",
    "in_progress": "in progress",
    "waiting_customer": "waiting on the customer (pauses the resolution clock)",
    "waiting_third_party": "waiting on a third party",
    "resolved": "resolved",
    "closed": "closed",
}


def describe_change(change: Change) -> Content:
    """The deadlines a change moves and the targets it misses, in words."""
    tz = change.after.tz
    parts = []
    for name, old, new in change.deadline_moves:
        before = local(old, tz, "%a %H:%M") if old else "stopped"
        after = local(new, tz, "%a %H:%M") if new else "stopped"
        parts.append(f"{name} due {before} → {after}")
    for name in change.missed:
        parts.append(f"{name} target MISSED")
    if not parts:
        return Content("deadlines unchanged")
    return Content("; ".join(parts))


class _Dialog(ModalScreen[object]):

    app = getters.app(BoardHost)
    HELP_GROUP = "change dialogs"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="dialog.save", tooltip="Save the change"),
    ]

    def __init__(self, view: TicketView) -> None:
        super().__init__()
        self.view = view
        self.change: Change | None = None

    def action_cancel(self) -> None:
        self.dismiss(None)

    def preview(self, **changes: object) -> None:
        """Plan the change on its own connection and show what it does."""
        now = self.app.clock()
        operator = self.app.operator
        ticket_id = self.view.ticket.id
        version = self.view.ticket.version

        def plan(store: Store) -> Change:
            return plan_change(store, ticket_id, operator=operator, now=now, expected_version=version, **changes)  # type: ignore[arg-type]

        self.app.read(plan, self._planned, self._failed)

    def _planned(self, change: Change) -> None:
        self.change = change
        self.query_one(".preview", Static).update(describe_change(change))
        self.query_one(".error", Static).update("")
        self.after_preview(change)

    def after_preview(self, change: Change) -> None:
        pass

    def action_save(self) -> None:
        """Each dialog saves its own change."""
        raise NotImplementedError

    def _failed(self, message: str) -> None:
        self.change = None
        self.query_one(".error", Static).update(Content(message))

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def buttons(self) -> ComposeResult:
        with Horizontal():
            yield Button("Cancel", id="cancel")
            yield Button("Save (ctrl+s)", id="save", variant="primary")


@dataclass
class StatusResult:
    status: str
    reason: str


class StatusDialog(_Dialog):
    """Move the call to another status (a pause needs its reason)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="StatusDialog")

    def compose(self) -> ComposeResult:
        t = self.view.ticket
        choices = [(STATUS_LABELS[s], s) for s in TRANSITIONS[t.status] if s not in ("resolved",)]
        with Vertical():
            yield Label(Content(f"#{t.id}: {t.status.replace('_', ' ')} →"), classes="title")
            yield Select(choices, prompt="new status", id="status", allow_blank=True)
            yield Input(placeholder="reason (shown in the history; for a pause: what we wait for)", id="reason")
            yield Static(classes="preview")
            yield Static(classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#status", Select).focus()

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK:
            self.preview(status=event.value, reason=self.query_one("#reason", Input).value)

    def action_save(self) -> None:
        status = self.query_one("#status", Select).value
        if status is Select.BLANK:
            self._failed("choose a status")
            return
        reason = self.query_one("#reason", Input).value.strip()
        if status in ("waiting_customer", "waiting_third_party") and not reason:
            self._failed("say what we are waiting for")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(StatusResult(str(status), reason))


@dataclass
class PriorityResult:
    impact: int
    urgency: int


class PriorityDialog(_Dialog):
    """Change impact or urgency; the new priority and deadline show before saving."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PriorityDialog")

    def compose(self) -> ComposeResult:
        t = self.view.ticket
        with Vertical():
            yield Label(Content(f"#{t.id}: priority {t.priority} (impact {t.impact}, urgency {t.urgency})"), classes="title")
            yield Select([(f"impact {k}: {v}", k) for k, v in IMPACT_LABELS.items()], value=t.impact, id="impact", allow_blank=False)
            yield Select([(f"urgency {k}: {v}", k) for k, v in URGENCY_LABELS.items()], value=t.urgency, id="urgency", allow_blank=False)
            yield Static(classes="priority")
            yield Static(classes="preview")
            yield Static(classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#impact", Select).focus()
        self._changed()

    @on(Select.Changed)
    def _changed(self) -> None:
        impact = int(self.query_one("#impact", Select).value)  # type: ignore[arg-type]
        urgency = int(self.query_one("#urgency", Select).value)  # type: ignore[arg-type]
        self.query_one(".priority", Static).update(Content(f"priority becomes {priority_for(impact, urgency)}"))
        self.preview(impact=impact, urgency=urgency)

    def action_save(self) -> None:
        impact = int(self.query_one("#impact", Select).value)  # type: ignore[arg-type]
        urgency = int(self.query_one("#urgency", Select).value)  # type: ignore[arg-type]
        self.dismiss(PriorityResult(impact, urgency))


@dataclass
class ResolveResult:
    note: str
    justification: str


class ResolveDialog(_Dialog):
    """Resolve with a note; a missed target asks why."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ResolveDialog")

    def compose(self) -> ComposeResult:
        t = self.view.ticket
        with Vertical():
            yield Label(Content(f"Resolve #{t.id}: {headline(t.title)}"), classes="title")
            yield Input(placeholder="resolution note: what was done", id="note")
            yield Input(placeholder="justification: why the target was missed", id="justification")
            yield Static(classes="preview")
            yield Static(classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#justification", Input).display = False
        self.query_one("#note", Input).focus()
        self.preview(status="resolved")

    def after_preview(self, change: Change) -> None:
        self.query_one("#justification", Input).display = bool(change.missed)

    def action_save(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        justification = self.query_one("#justification", Input).value.strip()
        if not note:
            self._failed("write what was done")
            self.query_one("#note", Input).focus()
            return
        if self.change is not None and self.change.missed and not justification:
            self._failed(f"the {' and '.join(self.change.missed)} target is missed: say why")
            self.query_one("#justification", Input).focus()
            return
        self.dismiss(ResolveResult(note, justification))


class AssignDialog(_Dialog):
    """Give the call to someone (empty: unassigned)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AssignDialog")

    def compose(self) -> ComposeResult:
        t = self.view.ticket
        with Vertical():
            yield Label(Content(f"Assign #{t.id} (now: {plain(t.assignee) or 'nobody'})"), classes="title")
            yield Input(value=self.app.operator, placeholder="operator name; empty: unassigned", id="name")
            yield Static(classes="preview")
            yield Static(classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.dismiss(self.query_one("#name", Input).value.strip())


def when_text(moment: datetime | None, tz: str) -> str:
    return local(moment, tz, "%a %d %b %H:%M") if moment else "-"


class ConfirmDiscard(ModalScreen[bool]):
    """Leave the form and lose what was typed?"""

    HELP_GROUP = "new call"

    DEFAULT_CSS = """
    ConfirmDiscard { align: center middle; }
    ConfirmDiscard > Vertical { width: 54; height: auto; border: round $warning; background: $surface; padding: 0 1; }
    ConfirmDiscard Static { width: 1fr; }
    """
    BINDINGS = [
        Binding("y", "dismiss(True)", "Discard", id="newcall.discard", tooltip="Leave the form; nothing is logged"),
        Binding("n,escape", "dismiss(False)", "Keep editing", id="newcall.keep", tooltip="Back to the form, as it was"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.styled("Discard this call?", "bold"))
            yield Static(Content("What you typed is not logged. y discards it, n or esc goes back to the form."))


class ExportChooser(ModalScreen[str | None]):
    """Which file to write; the customer documents need a one-customer report."""

    HELP_GROUP = "report: export"

    DEFAULT_CSS = """
    ExportChooser { align: center middle; }
    ExportChooser > #box { width: 64; height: auto; border: round $primary; background: $surface; padding: 0 1; }
    ExportChooser #formats { height: auto; border: none; }
    ExportChooser #export-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel", id="report_export.cancel", tooltip="Write nothing"),
        Binding("c", "pick('csv')", "CSV", id="report_export.csv", tooltip="Write the figures as CSV"),
        Binding("j", "pick('json')", "JSON", id="report_export.json", tooltip="Write the figures as JSON"),
        Binding("m", "pick('md')", "Markdown", id="report_export.md",
                tooltip="Write the report as Markdown: the customer's, or for all customers the MSP-wide review"),
        Binding("h", "pick('html')", "HTML", id="report_export.html",
                tooltip="Write the report as one HTML page: the customer's, or the MSP-wide review"),
    ]

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Content.styled("Export to the current directory", "bold $primary"))
            options = []
            for fmt, (name, what) in EXPORTS.items():
                prompt = Content.assemble((f"{fmt[0]}  ", "bold"), (f"{name:<9}", "bold"), what)
                options.append(Option(prompt, id=fmt))
            yield OptionList(*options, markup=False, compact=True, id="formats")
            hint = "named " + export_name(self.report, "<format>")
            if self.report.customer is None:
                hint += "\nMarkdown and HTML give the MSP-wide review; choose a customer (c) for theirs."
            yield Static(Content(hint), id="export-hint")

    def on_mount(self) -> None:
        self.query_one("#formats", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_pick(self, fmt: str) -> None:
        self.dismiss(fmt)

    @on(OptionList.OptionSelected, "#formats")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.action_pick(event.option.id)


def export_name(report: Report, extension: str) -> str:
    """``slaboard-report-<customer>-<period>.<ext>``; ``all`` for every customer."""
    who = re.sub(r"[^A-Za-z0-9_-]+", "-", report.customer or "all").strip("-") or "customer"
    return f"slaboard-report-{who}-{period_text(report.period).replace('..', '_')}.{extension}"


EXPORTS = {
    "csv": ("CSV", "one row per group, for spreadsheets"),
    "json": ("JSON", "every figure, for other tools"),
    "md": ("Markdown", "the customer's report, or the MSP-wide review"),
    "html": ("HTML", "the same as one page that prints well"),
}


# ------------------------------------------------------------------ saving a file that came with mail

ATTACHMENT_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; max-width: 100%; height: auto; max-height: 100%;
                     border: round $primary; background: $surface; padding: 0 1; }}
{name} .title {{ text-style: bold; color: $primary; }}
{name} .hint {{ color: $foreground-muted; height: auto; }}
{name} OptionList {{ height: auto; max-height: 16; border: none; }}
"""


def attachment_line(a: Attachment) -> Content:
    """An attachment as a line: its name (plain text, whatever the sender put in it), size, and a refusal."""
    line = Content.assemble(plain(a.filename), (f"  {size_text(a.size)}", "$foreground-muted"))
    if a.refused:
        line = line + Content.styled(f"  refused: {plain(a.refused)}", "$warning")
    return line


class AttachmentChooser(ModalScreen[int | None]):
    """Which of the call's kept attachments to save (its id)."""

    HELP_GROUP = "save attachment"
    DEFAULT_CSS = ATTACHMENT_CSS.format(name="AttachmentChooser")
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", id="attachment.cancel", tooltip="Save nothing")]

    def __init__(self, attachments: list[Attachment]) -> None:
        super().__init__()
        self.attachments = [a for a in attachments if not a.refused]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Save which attachment?"), classes="title")
            yield OptionList(*[Option(attachment_line(a), id=str(a.id)) for a in self.attachments], markup=False,
                             compact=True, id="attachments")
            yield Static(Content("enter chooses, esc cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#attachments", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#attachments")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))


class SaveAttachmentDialog(ModalScreen[Path | None]):
    """Where to save an attachment: a path, the file's name in the current folder to start with."""

    HELP_GROUP = "save attachment"
    DEFAULT_CSS = ATTACHMENT_CSS.format(name="SaveAttachmentDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="attachment.save_cancel", tooltip="Save nothing")]

    def __init__(self, attachment: Attachment, problem: str = "", path: str | None = None) -> None:
        super().__init__()
        self.attachment = attachment
        self.problem = problem
        self.path = path if path is not None else str(Path.cwd() / attachment.filename)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.assemble("Save ", attachment_line(self.attachment)), classes="title")
            yield Input(value=self.path, placeholder="the file to write", id="path")
            if self.problem:
                yield Static(Content.styled(plain(self.problem), "$error"), id="problem")
            yield Static(Content("enter saves (never over a file that exists), esc cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.dismiss(Path(text).expanduser())


# ------------------------------------------------------------------ time worked
#
# The time entry dialog: how long, since when, what was done, and whether the
# contract covers it (by its rules when the month is billed, unless the operator
# decides, with a reason). It saves the entry itself, so a refused save keeps
# every field and puts the cursor in the one to mend.

CHOICES = (("as the contract decides", "rules"), ("covered by the contract", "covered"), ("billable", "billable"))
FIELDS = {"minutes": "#time-minutes", "at": "#time-at", "end": "#time-minutes", "note": "#time-note",
          "billable": "#time-reason"}


class TimeEntryDialog(ModalScreen[TimeEntry | None]):
    """Log time worked on a call (``view``)."""

    app = getters.app(BoardHost)
    HELP_GROUP = "change dialogs"
    DEFAULT_CSS = DIALOG_CSS.format(name="TimeEntryDialog") + """
    TimeEntryDialog .row { height: auto; align-horizontal: left; }
    TimeEntryDialog .label { width: 10; color: $text-muted; }
    TimeEntryDialog #time-minutes { width: 14; }
    TimeEntryDialog #time-at { width: 1fr; }
    TimeEntryDialog #time-billable { width: 30; }
    TimeEntryDialog #time-reason { width: 1fr; }
    TimeEntryDialog .decision { height: auto; }
    TimeEntryDialog .decision.-billable { color: $warning; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="time.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="time.save", tooltip="Log the time"),
    ]

    def __init__(self, view: TicketView) -> None:
        super().__init__()
        self.view = view
        self.saving = False
        self._asked = 0  # the newest question to the contract's rules; older answers are dropped
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        t = self.view.ticket
        with Vertical():
            yield Label(Content(f"Log time on #{t.id}: {headline(t.title)}"), classes="title")
            with Horizontal(classes="row"):
                yield Static(Content("worked"), classes="label")
                yield Input(placeholder="45m, 1h30m", id="time-minutes", tooltip="How long: 45m, 1h30m (at most 24h)")
                yield Static(Content("  started"), classes="label")
                yield Input(placeholder="empty: it just ended; 09:30, 2h ago", id="time-at",
                            tooltip="When the work started, in the customer's zone")
            with Horizontal(classes="row"):
                yield Static(Content("note"), classes="label")
                yield Input(placeholder="what was done", id="time-note")
            with Horizontal(classes="row"):
                yield Static(Content("billing"), classes="label")
                yield Select(CHOICES, value="rules", allow_blank=False, compact=True, id="time-billable")
                yield Input(placeholder="why (when you decide)", id="time-reason")
            yield Static(classes="decision")
            yield Static(classes="preview")
            yield Static(classes="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#time-reason", Input).display = False
        self.query_one("#time-minutes", Input).focus()
        self._update()

    # ---------------------------------------------------------------- reading the form

    def _read(self) -> tuple[int | None, datetime | None, str]:
        """Minutes, start and the problem (field-named) with them; the start is
        the end of the work minus its minutes when none is given."""
        now: datetime = self.app.clock()
        text = self.query_one("#time-minutes", Input).value.strip()
        if not text:
            return None, None, "minutes: say how long you worked, e.g. 45m"
        try:
            minutes = parse_minutes(text if not text.isdigit() else f"{text}m")
        except ValueError as err:
            return None, None, f"minutes: {err}"
        try:
            started = parse_optional(self.query_one("#time-at", Input).value, now, self.view.customer.tz, "start")
        except TimeInputError as err:
            return minutes, None, f"started: {err}"
        return minutes, started or now - timedelta(minutes=minutes), ""

    def _choice(self) -> bool | None:
        value = self.query_one("#time-billable", Select).value
        return None if value == "rules" else value == "billable"

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.query_one("#time-reason", Input).display = self._choice() is not None
        self._update()

    def _update(self) -> None:
        minutes, started, problem = self._read()
        preview = self.query_one(".preview", Static)
        if problem or minutes is None or started is None:
            preview.update(Content(plain(problem) if self.query_one("#time-minutes", Input).value else ""))
            self.query_one(".decision", Static).update("")
            return
        tz = self.view.customer.tz
        preview.update(Content(f"{minutes_text(minutes)} from {local(started, tz, '%a %d %b %H:%M')} "
                               f"to {local(started + timedelta(minutes=minutes), tz, '%H:%M')} ({tz})"))
        choice = self._choice()
        decided = "left to the contract's rules" if choice is None else (
            f"as {'billable' if choice else 'covered'}: say why")
        shown = self.query_one(".decision", Static)
        shown.update(Content(f"covered or billable: {decided}"))
        shown.set_class(bool(choice), "-billable")
        if self._debounce is not None:
            self._debounce.stop()
        reason = self.query_one("#time-reason", Input).value.strip()
        self._debounce = self.set_timer(0.2, lambda: self._ask(minutes, started, choice, reason))

    def _ask(self, minutes: int, started: datetime, choice: bool | None, reason: str) -> None:
        """How the month's bill would count the entry, by the contract's rules (its
        rounding, the day's minimum and what the block still holds)."""
        self._asked += 1
        asked, ticket_id = self._asked, self.view.ticket.id

        def read(store: Store) -> Decision:
            return decide(store, ticket_id, started, minutes, choice, reason or "as logged")

        self.app.read(read, lambda decision: self._told(asked, decision), lambda message: None)

    def _told(self, asked: int, decision: Decision) -> None:
        if asked != self._asked or not self.is_attached:
            return
        shown = self.query_one(".decision", Static)
        shown.update(Content(f"counted: {plain(decision.text())}"))
        shown.set_class(decision.billable, "-billable")

    # ---------------------------------------------------------------- saving

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        minutes, started, problem = self._read()
        if problem or minutes is None or started is None:
            self._refused(problem, "at" if problem.startswith("started") else "minutes")
            return
        billable, reason = self._choice(), self.query_one("#time-reason", Input).value.strip()
        note = self.query_one("#time-note", Input).value
        operator, now, ticket_id = self.app.operator, self.app.clock(), self.view.ticket.id

        def save(store: Store) -> TimeEntry | TimeError:
            try:
                return add_entry(store, ticket_id=ticket_id, operator=operator, now=now, minutes=minutes,
                                 started_at=started, note=note, billable=billable, reason=reason)
            except TimeError as err:  # the field it names gets the cursor
                return err

        self.saving = True
        self.query_one(".error", Static).update(Content("saving…"))
        self.app.write(save, self._saved, self._save_failed, select=ticket_id)

    def _saved(self, entry: TimeEntry | TimeError) -> None:
        self.saving = False
        if isinstance(entry, TimeError):
            self._refused(str(entry), entry.field)
            return
        self.dismiss(entry)

    def _save_failed(self, message: str) -> None:
        self.saving = False
        self._refused(message, "")

    def _refused(self, message: str, field: str) -> None:
        if not self.is_attached:
            return
        self.query_one(".error", Static).update(Content(f"Not saved: {plain(message)}"))
        selector = FIELDS.get(field)
        if selector:
            widget = self.query_one(selector)
            if widget.display:
                widget.focus()


