"""The report as a document, in Markdown or as one self-contained HTML page
(embedded CSS, the chart as inline SVG, no scripts, no fonts or images from
elsewhere) that prints on A4. A one-customer report is the one handed to that
customer; a report across customers is the MSP's own review page: the totals, the
figures by service level and by customer, and the worst misses.

Both are pure functions of a :class:`Report`: no I/O and no clock (the date shown is
``report.generated_at``). Every piece of user text (names, titles, reasons,
justifications) is escaped for the format it lands in.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from slaboard.domain import Msp
from slaboard.domain.models import minutes_text
from slaboard.reports.figures import MSP_GROUPINGS, ContractSummary, Figures, Miss, PaidMonth, Report
from slaboard.reports.markup import Markup
from slaboard.services.billing import hours_text, money_text

M = Markup  # every piece of the HTML page is made with it: text put into it is escaped

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
GROUP_TITLES = {"customer": "Customer", "level": "Service level", "service": "Service", "priority": "Priority",
                "contract": "Contract", "month": "Month"}
MSP_TITLE = "all customers"
NO_CALLS = "No call was opened, resolved or measured in this period."
CLOCK_TITLES = {"response": "Response", "resolution": "Resolution", "plan": "Plan"}
PRIORITIES = ("P1", "P2", "P3", "P4")
BAR_CELLS = 20  # width of a Markdown text bar: one cell per 5 %
# The rule for period edges, said on the MSP's page (a customer's page is in that
# customer's zone already): the same call is in the same month in both reports.
PERIOD_RULE = ("Each customer's calls are counted in the periods of that customer's own time zone, "
               "as in that customer's own report; the totals are the sums of the customers' figures.")


# ------------------------------------------------------------------ words and numbers


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _instant(text_or_dt: str | datetime, tz: str) -> str:
    moment = datetime.fromisoformat(text_or_dt) if isinstance(text_or_dt, str) else text_or_dt
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.day} {MONTHS[local.month - 1][:3]} {local.year} {local.hour:02d}:{local.minute:02d}"


def _month_label(key: str, short: bool = False) -> str:
    """``2026-07`` as "July 2026" (or "Jul")."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", key)
    if not m:
        return key
    name = MONTHS[int(m[2]) - 1]
    return name[:3] if short else f"{name} {m[1]}"


def _group_label(grouping: str, key: str) -> str:
    return _month_label(key) if grouping == "month" else key


def _share(value: float | None) -> str:
    """0.625 as "62.5%"; None (nothing to measure) as "–"."""
    if value is None:
        return "–"
    text = f"{value * 100:.1f}"
    if text == "100.0" and value < 1:
        text = "99.9"  # one miss in thousands is not 100 %
    elif text == "0.0" and value > 0:
        text = "0.1"
    return f"{text.removesuffix('.0')}%"


def _met_of(met: int, missed: int) -> str:
    total = met + missed
    return "no targets due" if total == 0 else f"{met} of {total} ({_share(met / total)})"


def _of(met: int, missed: int, lead: str) -> str:
    """``lead`` + "31 of 32", or nothing when no target fell due."""
    return f"{lead}{met} of {met + missed}" if met + missed else ""


def _duration(seconds: float | None, *, calendar: bool = False) -> str:
    """Hours and minutes ("3 h 05 min"); calendar spans of two days or more in days
    and hours. Business time stays in hours: a business "day" differs per contract."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    sign = "−" if s < 0 else ""
    s = abs(s)
    if calendar and s >= 2 * 86400:
        days, rest = divmod(s, 86400)
        return f"{sign}{days} d {rest // 3600} h"
    hours, rest = divmod(s, 3600)
    minutes = rest // 60
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min"
    return f"{sign}{s} s" if s else "0 min"


def _target(text: str) -> str:
    """A target as written in the contract ("1h30m", "2bd") in words."""
    m = re.fullmatch(r"(\d+)bd", text)
    if m:
        n = int(m[1])
        return f"{n} business day{'s' if n != 1 else ''}"
    parts = re.findall(r"(\d+)([hms])", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        return text
    units = {"h": "h", "m": "min", "s": "s"}
    return " ".join(f"{a} {units[b]}" for a, b in parts)


def _money(amount: float | Decimal | None, msp: Msp) -> str:
    """An amount as the bills write it: the MSP's currency in its locale (Babel)."""
    if amount is None:
        return "–"
    return money_text(Decimal(str(amount)), msp)


def _hours(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def _stats(values: list[int]) -> tuple[float | None, float | None]:
    """Mean and median, or (None, None) when there is nothing to measure."""
    if not values:
        return None, None
    return statistics.fmean(values), float(statistics.median(values))


def _override_text(spec: dict[str, object]) -> str:
    """``{"resolution": "4h"}`` → "resolution within 4 h, whatever the priority"."""
    parts = []
    for clock in ("response", "plan", "resolution"):
        value = spec.get(clock)
        if value is None:
            continue
        if isinstance(value, dict):
            per = ", ".join(f"{p} {_target(str(v))}" for p, v in sorted(value.items()))
            parts.append(f"{clock} within {per}")
        else:
            parts.append(f"{clock} within {_target(str(value))}, whatever the priority")
    return "; ".join(parts) or "no change"


def _service(c: ContractSummary, key: str) -> str:
    """A service of the contract by its name (the key when the catalogue lacks it)."""
    return c.service_names.get(key, key)


def _overrides(c: ContractSummary) -> list[tuple[str, str]]:
    """(service name, what the override promises), by name."""
    return sorted((_service(c, s), _override_text(spec)) for s, spec in c.overrides.items())


def _validity(c: ContractSummary) -> str:
    start = _day(date.fromisoformat(c.valid_from))
    return f"{start} to {_day(date.fromisoformat(c.valid_to))}" if c.valid_to else f"from {start}, open-ended"


def _rows(report: Report, grouping: str | None = None) -> list[tuple[str, Figures, bool]]:
    """(label, figures, is_total): each group of ``grouping`` (the report's own by
    default), then the total when it adds anything."""
    grouping = grouping or report.grouping
    groups = report.groups if grouping == report.grouping else report.by.get(grouping, [])
    rows = [(_group_label(grouping, g.key), g, False) for g in groups]
    if len(groups) != 1:
        rows.append(("Total", report.total, True))
    return rows


def _msp_groupings(report: Report) -> list[str]:
    """The sections of the MSP's page: by level, by customer, and by the report's
    own grouping when it is another."""
    wanted = [*MSP_GROUPINGS, *([report.grouping] if report.grouping not in MSP_GROUPINGS else [])]
    return [g for g in wanted if g == report.grouping or g in report.by]


def _has_plan(report: Report) -> bool:
    """Whether a plan target (a diagnosis with an expected time, by a deadline) fell
    due in the period: only then do the pages give the plan's figures."""
    return report.total.plan_met + report.total.plan_missed > 0


def _clock_times(report: Report, f: Figures) -> list[tuple[str, list[int], list[int]]]:
    """(what, business seconds, calendar seconds) of the clocks timed on the page:
    to respond, to a plan (when the period has plan targets), to resolve."""
    plan = [("plan", f.plan_business, f.plan_calendar)] if _has_plan(report) else []
    return [("respond", f.respond_business, f.respond_calendar), *plan, ("resolve", f.resolve_business, f.resolve_calendar)]


TIME_WORDS = {"respond": "to respond", "plan": "to a plan", "resolve": "to resolve"}


def _missed_total(report: Report) -> int:
    return report.total.response_missed + report.total.resolution_missed


def _title(report: Report) -> str:
    return f"SLA report {report.period.label} — {report.customer_name or MSP_TITLE}"


def _target_missed(m: Miss) -> str:
    return f"{CLOCK_TITLES.get(m.clock, m.clock)} within {_target(m.target)}"


def _worst_line(report: Report) -> str:
    """"The 10 worst of 14 missed targets, most late first." when the list is cut."""
    missed = _missed_total(report)
    return f"The {len(report.misses)} worst of {missed} missed targets, most late first." if len(report.misses) < missed else ""


def _period_line(report: Report) -> str:
    last = date.fromordinal(report.period.end.toordinal() - 1)
    return f"{_day(report.period.start)} to {_day(last)}"


# ------------------------------------------------------------------ Markdown


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


PAID_HEADERS = ["Month", "Contract fee", "Block hours used", "Block hours left", "Billable hours", "Billable work",
                "Total"]
PAID_LINES = 40  # billable lines listed in a report; the bill itself (slaboard billing) has them all


def _paid_month(p: PaidMonth) -> str:
    label = _month_label(p.month)
    return f"{label} (so far)" if p.under_way else label


def _paid_rows(report: Report) -> list[tuple[list[str], bool]]:
    """The "What you paid for" table: a row per month, then the period's totals when
    it has more than one month. Block hours left are those at the end of the month."""
    msp, rows = report.msp, []
    for p in report.paid:
        b = p.bill
        used = sum(x.used for x in b.blocks)
        rows.append(([_paid_month(p), _money(b.fees_total, msp),
                      minutes_text(used) if b.blocks else "–",
                      minutes_text(sum(x.left for x in b.blocks)) if b.blocks else "–",
                      hours_text(b.minutes("billable")), _money(b.work_total, msp), _money(b.total, msp)], False))
    if len(report.paid) > 1:
        bills = [p.bill for p in report.paid]
        blocks = any(b.blocks for b in bills)
        last = next((b for b in reversed(bills) if b.blocks), None)
        rows.append((["Total", _money(sum((b.fees_total for b in bills), Decimal(0)), msp),
                      minutes_text(sum(x.used for b in bills for x in b.blocks)) if blocks else "–",
                      minutes_text(sum(x.left for x in last.blocks)) if last else "–",
                      hours_text(sum(b.minutes("billable") for b in bills)),
                      _money(sum((b.work_total for b in bills), Decimal(0)), msp),
                      _money(sum((b.total for b in bills), Decimal(0)), msp)], True))
    return rows


def _paid_notes(report: Report) -> list[str]:
    """What the table leaves out, in sentences: the hours worked and how they were
    counted, each block as it stands, months not final, warnings."""
    notes: list[str] = []
    worked = sum(p.bill.worked() for p in report.paid)
    if worked:
        kinds = [(sum(p.bill.minutes(k) for p in report.paid), words) for k, words in
                 (("covered", "covered by the contract"), ("block", "drawn from the prepaid hours"),
                  ("billable", "billed at the hourly rate"))]
        counted = ", ".join(f"{minutes_text(m)} {words}" for m, words in kinds if m)
        notes.append(f"Time worked: {minutes_text(worked)}; counted after the contract's rounding and minimums: "
                     f"{counted}.")
    else:
        notes.append("No time was logged on your calls in this period.")
    last = next((p for p in reversed(report.paid) if p.bill.blocks), None)
    if last is not None:
        notes += [f"Prepaid hours at the end of {_month_label(last.month)}: {b.summary()}; {b.lapses}." for b in last.bill.blocks]
    for p in report.paid:
        if p.under_way:
            notes.append(f"{_month_label(p.month)} is not over: its figures are those so far.")
        elif not p.closed:
            notes.append(f"{_month_label(p.month)} is not closed for billing yet: a correction of its time can still "
                         "change it.")
        notes += [f"{_month_label(p.month)}: {w}" for w in p.bill.warnings]
    return notes


def _paid_lines(report: Report) -> tuple[list[list[str]], int]:
    """The billable lines of the period (the first PAID_LINES) and how many more there are."""
    msp, lines = report.msp, [line for p in report.paid for line in p.bill.billable]
    rows = [[_day(line.day), f"#{line.ticket}", line.title, line.hours,
             _money(line.rate, msp) if line.rate is not None else "no rate",
             _money(line.amount, msp) if line.amount is not None else "–"] for line in lines[:PAID_LINES]]
    return rows, max(0, len(lines) - PAID_LINES)


LINE_HEADERS = ["Date", "Call", "Title", "Hours", "Rate", "Amount"]


def _md_paid(report: Report) -> list[str]:
    out = ["## What you paid for", ""]
    if not report.paid:
        return [*out, "Nothing was billed for this period: no contract was in force and no time was logged.", ""]
    out += _md_table(PAID_HEADERS, [[f"**{_md(c)}**" if total else _md(c) for c in cells]
                                    for cells, total in _paid_rows(report)], numeric=range(1, 7))
    out += ["", *(f"- {_md(n)}" for n in _paid_notes(report)), ""]
    lines, more = _paid_lines(report)
    if lines:
        out += ["### Billable work", ""]
        out += _md_table(LINE_HEADERS, [[_md(c) for c in cells] for cells in lines], numeric=(3, 4, 5))
        if more:
            out += ["", f"And {more} more line{'s' if more != 1 else ''}: the month's bill lists them all."]
        out.append("")
    return out


def _html_paid(report: Report) -> list[Markup]:
    s = [M('<section id="paid"><h2>What you paid for</h2>')]
    if not report.paid:
        s.append(M("<p>Nothing was billed for this period: no contract was in force and no time was logged.</p>"))
        return [*s, M("</section>")]
    s.append(_table([(h, i > 0) for i, h in enumerate(PAID_HEADERS)],
                    (([(c, i > 0) for i, c in enumerate(cells)], "total" if total else "")
                     for cells, total in _paid_rows(report)), cls="paid"))
    s.append(M("<ul class=\"notes\">{}</ul>").format(M("").join(M("<li>{}</li>").format(n) for n in _paid_notes(report))))
    lines, more = _paid_lines(report)
    if lines:
        s.append(M("<h3>Billable work</h3>"))
        s.append(_table([(h, i >= 3) for i, h in enumerate(LINE_HEADERS)],
                        (([(c, i >= 3) for i, c in enumerate(cells)], "") for cells in lines), cls="lines"))
        if more:
            s.append(M('<p class="note">And {} more line{}: the month\'s bill lists them all.</p>').format(
                more, "s" if more != 1 else ""))
    return [*s, M("</section>")]


def _md(text: object) -> str:
    """User text as inert Markdown: special characters escaped, one line."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _md_table(headers: list[str], rows: Iterable[list[str]], numeric: Iterable[int] = ()) -> list[str]:
    """A pipe table; the columns in ``numeric`` are right-aligned."""
    right = set(numeric)
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(" ---: " if i in right else " --- " for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _text_bar(share: float | None) -> str:
    if share is None:
        return "·" + " " * (BAR_CELLS - 1)
    full = round(share * BAR_CELLS)
    return "█" * full + "░" * (BAR_CELLS - full)


def to_markdown(report: Report) -> str:
    """The report as Markdown: the customer's, or for a report across customers the
    MSP's review page."""
    return _customer_markdown(report) if report.customer is not None else _msp_markdown(report)


def _md_header(report: Report) -> list[str]:
    tz = report.tz
    return [
        f"# SLA report: {_md(report.customer_name or MSP_TITLE)}",
        "",
        f"**{_md(report.period.label)}** ({_period_line(report)}, times in {_md(tz)})  ",
        f"Prepared by {_md(report.msp.name)} on {_day(report.generated_at.astimezone(ZoneInfo(tz)).date())}",
        *(["", f"*{_md(PERIOD_RULE)}*"] if report.customer is None else []),
        "",
    ]


def _md_figures(report: Report, grouping: str) -> list[str]:
    plan = _has_plan(report)
    return _md_table(
        [GROUP_TITLES.get(grouping, grouping), "Opened", "Resolved", "Response within target",
         *(["Plan within target"] if plan else []), "Resolution within target", "Open past deadline"],
        [[f"**{_md(label)}**" if total else _md(label), str(f.opened), str(f.resolved),
          _met_of(f.response_met, f.response_missed), *([_met_of(f.plan_met, f.plan_missed)] if plan else []),
          _met_of(f.resolution_met, f.resolution_missed), str(f.open_breached)]
         for label, f, total in _rows(report, grouping)],
        numeric=range(1, 6 + plan),
    )


def _md_chart(report: Report) -> list[str]:
    out = ["## Resolved within target, month by month", "", "```text"]
    for m in report.months:
        total = m.resolution_met + m.resolution_missed
        label = f"{_month_label(m.key, short=True)} {m.key[:4]}"
        value = _share(m.resolution_share).rjust(6) if total else "     –"
        detail = f"({m.resolution_met} of {total})" if total else "(no resolution targets due)"
        out.append(f"{label:<9} {_text_bar(m.resolution_share)} {value}  {detail}")
    return [*out, "```"]


def _md_misses(report: Report, *, across_customers: bool) -> list[str]:
    """The worst misses. Across customers each names its customer and level instead
    of when it stopped (the page has no room for both; the call number leads there)."""
    if not report.misses:
        return ["No target was missed in this period."]
    out = [_worst_line(report), ""] if _worst_line(report) else []
    if across_customers:
        headers = ["Customer", "Call", "Title", "Level", "Target missed", "Late by", "Justification"]
        rows = [[_md(m.customer), f"#{m.ticket_id}", _md(m.title), _md(m.level), _target_missed(m),
                 _duration(m.late_seconds), _md_why(m)] for m in report.misses]
    else:
        headers = ["Call", "Title", "Target missed", "Late by", "When", "Justification"]
        rows = [[f"#{m.ticket_id}", _md(m.title), _target_missed(m), _duration(m.late_seconds),
                 _instant(m.stopped_at, report.tz), _md_why(m)] for m in report.misses]
    return out + _md_table(headers, rows, numeric=(headers.index("Late by"),))


def _md_why(m: Miss) -> str:
    return _md(m.justification) if m.justification else "*none given*"


def _md_plan_line(report: Report) -> list[str]:
    t = report.total
    if not _has_plan(report):
        return []
    return [(f"- Plan (diagnosis and expected time) within target: **{_share(t.plan_share)}**"
             f"{_of(t.plan_met, t.plan_missed, ', ')}")]


def _md_footer(report: Report) -> list[str]:
    return ["---", "",
            f"*Prepared by {_md(report.msp.name)} with slaboard from the times recorded on every call. "
            f"Targets are counted in business time; times are shown in {_md(report.tz)}.*", ""]


def _customer_markdown(report: Report) -> str:
    t, cur = report.total, report.msp
    out: list[str] = [
        *_md_header(report),
        "## At a glance",
        "",
        f"- Calls opened: **{t.opened}**; calls resolved: **{t.resolved}**",
        f"- Responded within target: **{_share(t.response_share)}**{_of(t.response_met, t.response_missed, ', ')}",
        *_md_plan_line(report),
        f"- Resolved within target: **{_share(t.resolution_share)}**{_of(t.resolution_met, t.resolution_missed, ', ')}",
        f"- Open calls already past their deadline at the end of the period: **{t.open_breached}**",
        f"- Work outside the contract: **{t.billable_calls}** call{'s' if t.billable_calls != 1 else ''}, "
        f"{_hours(t.billable_hours)}, {_money(t.billable_amount, cur)}",
        *([f"- Escalations: {_md(report.escalations.sentence())}"] if report.escalations is not None else []),
        "",
        "## Your contract",
        "",
    ]
    if not report.contracts:
        out += ["No contract was in force in this period: all work is billed at the hourly rate.", ""]
    for c in report.contracts:
        version = f" (version {c.version})" if c.version > 1 else ""
        out += [
            f"### {_md(c.level)}{version}",
            "",
            f"- Valid: {_validity(c)}",
            f"- Services covered: {', '.join(_md(_service(c, s)) for s in c.services) or 'none'}",
            *([f"- Service hours: {_md(c.hours)}"] if c.hours else []),
            f"- Monthly price: {_money(c.price_per_month, cur)}",
            f"- Hourly rate for work outside the contract: {_money(c.hourly_rate, cur) if c.hourly_rate is not None else 'the standard rate'}",
            "",
            "Targets, in business time:",
            "",
        ]
        out += _md_table(["Priority", "Response", "Resolution"],
                         [[p, _target(c.response.get(p, "–")), _target(c.resolution.get(p, "–"))]
                          for p in PRIORITIES if p in c.response or p in c.resolution], numeric=(1, 2))
        if c.overrides:
            out += ["", "Per service:", ""]
            out += [f"- {_md(name)}: {_md(promise)}" for name, promise in _overrides(c)]
        out.append("")
    out += _md_paid(report)
    out += ["## Figures", ""]
    out += _md_figures(report, report.grouping)
    heading = "### Time to respond, to a plan and to resolve" if _has_plan(report) else "### Time to respond and to resolve"
    out += ["", heading, "",
            "Business time counts only the service hours of the contract; calendar time is the clock on the wall.", ""]
    time_rows = []
    for label, f, total in _rows(report):
        for what, business, calendar in _clock_times(report, f):
            if not business and not total and len(_rows(report)) > 1:
                continue  # a group with nothing to time: its row would be dashes
            (bm, bmed), (cm, cmed) = _stats(business), _stats(calendar)
            name = f"{_md(label)}: {what}" if len(_rows(report)) > 1 else f"Time {TIME_WORDS[what]}"
            time_rows.append([name, str(len(business)), _duration(bm), _duration(bmed),
                              _duration(cm, calendar=True), _duration(cmed, calendar=True)])
    out += _md_table(["", "Calls", "Mean (business)", "Median (business)", "Mean (calendar)", "Median (calendar)"], time_rows,
                    numeric=range(1, 6))
    out += ["", "### Time paused", ""]
    reasons = sorted(dict(t.paused_by_reason).items(), key=lambda kv: (-kv[1], kv[0]))
    if reasons:
        out += _md_table(["Reason", "Business time"], [[_md(r), _duration(s)] for r, s in reasons], numeric=(1,))
        out += ["", f"In all {_duration(t.paused_seconds)} of business time did not count towards the resolution targets."]
    else:
        out.append("No resolution clock was paused.")
    out += ["", "### Work outside the contract", ""]
    if t.billable_calls:
        out += _md_table(["Calls", "Hours", "Amount"], [[str(t.billable_calls), _hours(t.billable_hours), _money(t.billable_amount, cur)]],
                         numeric=(0, 1, 2))
    else:
        out.append("All calls were covered by the contract.")
    out += ["", *_md_chart(report), "", "## Targets missed", "", *_md_misses(report, across_customers=False), "",
            *_md_footer(report)]
    return "\n".join(out)


def _msp_markdown(report: Report) -> str:
    """The MSP's page: totals, a section per grouping, the chart, the worst misses."""
    t, cur = report.total, report.msp
    missed = _missed_total(report)
    out: list[str] = [
        *_md_header(report),
        "## At a glance",
        "",
        f"- Calls opened: **{t.opened}**; calls resolved: **{t.resolved}**",
        f"- Responded within target: **{_share(t.response_share)}**{_of(t.response_met, t.response_missed, ', ')}",
        *_md_plan_line(report),
        f"- Resolved within target: **{_share(t.resolution_share)}**{_of(t.resolution_met, t.resolution_missed, ', ')}",
        f"- Targets missed: **{missed}** ({t.response_missed} response, {t.resolution_missed} resolution)",
        f"- Open calls already past their deadline at the end of the period: **{t.open_breached}**",
        f"- Work outside the contracts: **{t.billable_calls}** call{'s' if t.billable_calls != 1 else ''}, "
        f"{_hours(t.billable_hours)}, {_money(t.billable_amount, cur)}",
        *([f"- Escalations: {_md(report.escalations.sentence())}"] if report.escalations is not None else []),
        "",
    ]
    for grouping in _msp_groupings(report):
        table = _md_figures(report, grouping) if report.groups else [NO_CALLS]
        out += [f"## By {GROUP_TITLES.get(grouping, grouping).lower()}", "", *table, ""]
    out += [*_md_chart(report), "", "## Worst misses", "", *_md_misses(report, across_customers=True), "",
            *_md_footer(report)]
    return "\n".join(out)


# ------------------------------------------------------------------ HTML


CSS = """
@page { size: A4; margin: 14mm 14mm 16mm; }
* { box-sizing: border-box; }
html { background: #ffffff; }
body { margin: 0 auto; max-width: 186mm; padding: 24px 20px 40px; color: #1d2430; background: #ffffff;
  font: 10.5pt/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
header { border-bottom: 3px solid #1f5f8b; padding-bottom: 10px; margin-bottom: 18px; }
.msp { margin: 0; color: #1f5f8b; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; font-size: 9pt; }
h1 { margin: 4px 0 2px; font-size: 20pt; line-height: 1.2; }
.period { margin: 0; color: #4a5566; }
h2 { margin: 26px 0 8px; font-size: 13.5pt; color: #1f5f8b; border-bottom: 1px solid #c9d4e0; padding-bottom: 3px; }
h3 { margin: 16px 0 6px; font-size: 11pt; }
p { margin: 6px 0; }
.muted { color: #5b6676; }
.note { color: #5b6676; font-size: 9pt; }
ul.notes { color: #5b6676; font-size: 9pt; margin: 4px 0 8px; padding-left: 18px; }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; padding: 0; list-style: none; }
.tiles li { flex: 1 1 0; min-width: 28mm; border: 1px solid #c9d4e0; border-radius: 6px; padding: 8px 10px; background: #f5f8fb; }
.tiles .value { display: block; font-size: 17pt; font-weight: 700; line-height: 1.2; }
.tiles .label { display: block; font-size: 8.5pt; color: #4a5566; }
.tiles .good .value { color: #1d6b3a; }
.tiles .bad .value { color: #a3261b; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 4px; font-size: 9.5pt; }
th, td { padding: 4px 7px; border-bottom: 1px solid #dde4ec; vertical-align: top; text-align: left; }
thead th { background: #eef3f8; border-bottom: 1px solid #9fb2c6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
th { hyphens: auto; }
table.times td:first-child { white-space: nowrap; }
tr.total td { font-weight: 700; border-top: 1px solid #9fb2c6; }
.contract { border: 1px solid #c9d4e0; border-radius: 6px; padding: 4px 14px 10px; margin: 8px 0; }
.contract dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
.contract dt { color: #4a5566; }
.contract dd { margin: 0; }
.contract table { width: auto; min-width: 60%; }
.two { display: flex; gap: 18px; flex-wrap: wrap; }
.two > div { flex: 1 1 70mm; }
figure { margin: 8px 0; }
figcaption { font-size: 9pt; color: #5b6676; }
svg { display: block; width: 100%; height: auto; max-width: 170mm; }
.misses td.why { width: 34%; }
.none { color: #8a94a3; font-style: italic; }
footer { margin-top: 28px; border-top: 1px solid #c9d4e0; padding-top: 8px; color: #5b6676; font-size: 8.5pt; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table, figure, .contract, .tiles, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  section { break-inside: auto; }
  .contracts { break-before: auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _table(headers: Sequence[tuple[object, bool]], rows: Iterable[tuple[Sequence[tuple[object, bool]], str]],
           cls: str = "") -> Markup:
    """headers: (text or Markup, numeric); rows: ([(text or Markup, numeric)], row class)."""
    num = Markup(' class="num"')
    head = M("").join(M('<th scope="col"{}>{}</th>').format(num if numeric else M(""), text) for text, numeric in headers)
    body = []
    for cells, row_cls in rows:
        tds = M("").join(M("<td{}>{}</td>").format(num if numeric else M(""), text) for text, numeric in cells)
        body.append(M("<tr{}>{}</tr>").format(M(' class="{}"').format(row_cls) if row_cls else M(""), tds))
    attr = M(' class="{}"').format(cls) if cls else M("")
    return M("<table{}><thead><tr>{}</tr></thead><tbody>{}</tbody></table>").format(attr, head, M("").join(body))


def _tile(value: str, label: object, mood: str = "") -> Markup:
    cls = M(' class="{}"').format(mood) if mood else M("")
    return M('<li{}><span class="value">{}</span><span class="label">{}</span></li>').format(cls, value, label)


def _mood(share: float | None) -> str:
    if share is None:
        return ""
    return "good" if share >= 0.9 else ("bad" if share < 0.75 else "")


def _html_contract(c: ContractSummary, currency: Msp) -> Markup:
    version = M(' <span class="muted">(version {})</span>').format(c.version) if c.version > 1 else M("")
    rate = _money(c.hourly_rate, currency) if c.hourly_rate is not None else "the standard rate"
    parts = [
        M('<div class="contract"><h3>{}{}</h3><dl>').format(c.level, version),
        M("<dt>Valid</dt><dd>{}</dd>").format(_validity(c)),
        M("<dt>Services covered</dt><dd>{}</dd>").format(", ".join(_service(c, s) for s in c.services) or "none"),
        *([M("<dt>Service hours</dt><dd>{}</dd>").format(c.hours)] if c.hours else []),
        M("<dt>Monthly price</dt><dd>{}</dd>").format(_money(c.price_per_month, currency)),
        M("<dt>Hourly rate outside the contract</dt><dd>{}</dd>").format(rate),
        M("</dl>"),
        _table(
            [("Priority", False), ("Response within", False), ("Resolution within", False)],
            (([(p, False), (_target(c.response.get(p, "–")), False), (_target(c.resolution.get(p, "–")), False)], "")
             for p in PRIORITIES if p in c.response or p in c.resolution),
        ),
        M('<p class="note">Targets are business time: only the service hours of the contract count.</p>'),
    ]
    if c.overrides:
        items = M("").join(M("<li><strong>{}</strong>: {}</li>").format(name, promise) for name, promise in _overrides(c))
        parts.append(M("<p>Per service:</p><ul>{}</ul>").format(items))
    parts.append(M("</div>"))
    return M("").join(parts)


def _svg_chart(report: Report) -> Markup:
    """Resolution met share per month as an inline SVG bar chart (0-100 %)."""
    months = report.months
    width, height = 680, 270
    left, right, top, bottom = 52, 14, 26, 54
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(months), 1)
    band = plot_w / n
    bar_w = min(54.0, band * 0.62)
    years = {m.key[:4] for m in months}
    desc_parts = []
    out = [
        M('<svg viewBox="0 0 {} {}" role="img" aria-labelledby="chart-title chart-desc" '
          'font-family="inherit" font-size="11">').format(width, height),
        M('<title id="chart-title">Calls resolved within target, per month, {}</title>').format(report.period.label),
    ]
    grid = []
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        stroke = "#7d8a99" if pct == 0 else "#d5dde6"
        grid.append(M('<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="{}" stroke-width="1"/>').format(
            left, y, width - right, y, stroke))
        grid.append(M('<text x="{}" y="{:.1f}" text-anchor="end" fill="#4a5566">{}%</text>').format(left - 8, y + 4, pct))
    bars = []
    for i, m in enumerate(months):
        total = m.resolution_met + m.resolution_missed
        cx = left + band * (i + 0.5)
        label = _month_label(m.key, short=True) + (f" {m.key[2:4]}" if len(years) > 1 else "")
        bars.append(M('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="#1d2430">{}</text>').format(
            cx, top + plot_h + 17, label))
        if total:
            share = m.resolution_share or 0.0
            h = plot_h * share
            y = top + plot_h - h
            colour = "#2e7d4f" if share >= 0.9 else ("#c0392b" if share < 0.75 else "#d08a1a")
            bars.append(M('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>').format(
                cx - bar_w / 2, y, bar_w, max(h, 0.0), colour))
            value = _share(m.resolution_share)
            bars.append(M('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-weight="700" fill="#1d2430">{}</text>').format(
                cx, y - 5, value))
            bars.append(M('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="#5b6676" font-size="10">'
                          "{} of {}</text>").format(cx, top + plot_h + 32, m.resolution_met, total))
            desc_parts.append(f"{_month_label(m.key)}: {value} ({m.resolution_met} of {total})")
        else:
            bars.append(M('<text x="{:.1f}" y="{:.1f}" text-anchor="middle" fill="#8a94a3" font-size="10">none due</text>').format(
                cx, top + plot_h - 6))
            desc_parts.append(f"{_month_label(m.key)}: no resolution targets due")
    axis = M('<text x="{}" y="{:.1f}" transform="rotate(-90 {} {:.1f})" '
             'text-anchor="middle" fill="#4a5566" font-size="10">resolved within target</text>').format(
        left - 38, top + plot_h / 2, left - 38, top + plot_h / 2)
    out.append(M('<desc id="chart-desc">{}.</desc>').format("; ".join(desc_parts) or "No months in the period"))
    out += [*grid, *bars, axis, M("</svg>")]
    return M("").join(out)


def to_html(report: Report) -> str:
    """The report as one self-contained HTML page: the customer's, or for a report
    across customers the MSP's review page. Built from :class:`Markup`, so every
    piece of text in it is escaped unless it is HTML made here."""
    page = _customer_html(report) if report.customer is not None else _msp_html(report)
    return str(M("\n").join(page) + M("\n"))


def _html_header(report: Report) -> list[Markup]:
    """From the doctype to the end of the page's header: MSP, title, period."""
    tz = report.tz
    made = _day(report.generated_at.astimezone(ZoneInfo(tz)).date())
    return [
        M("<!DOCTYPE html>"),
        M('<html lang="en"><head><meta charset="utf-8">'),
        M('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        M("<title>{}</title>").format(_title(report)),
        M("<style>{}</style></head><body>").format(M(CSS)),
        M("<header>"),
        M('<p class="msp">{}</p>').format(report.msp.name),
        M("<h1>SLA report: {}</h1>").format(report.customer_name or MSP_TITLE),
        M('<p class="period"><strong>{}</strong> · {} · times in {} · prepared on {}</p>').format(
            report.period.label, _period_line(report), tz, made),
        *([M('<p class="note rule">{}</p>').format(PERIOD_RULE)] if report.customer is None else []),
        M("</header>"),
    ]


def _html_share_tiles(t: Figures) -> list[Markup]:
    return [
        _tile(_share(t.resolution_share), f"resolved within target{_of(t.resolution_met, t.resolution_missed, ': ')}",
              _mood(t.resolution_share)),
        _tile(_share(t.response_share), f"responded within target{_of(t.response_met, t.response_missed, ': ')}",
              _mood(t.response_share)),
    ]


def _html_plan_note(report: Report) -> list[Markup]:
    """The plan's figure under the tiles (a sixth tile would not fit a row of A4)."""
    t = report.total
    if not _has_plan(report):
        return []
    return [M('<p class="note">Plan (diagnosis and expected time) within target: <strong>{}</strong>{}.</p>').format(
        _share(t.plan_share), _of(t.plan_met, t.plan_missed, ", "))]


def _html_figures(report: Report, grouping: str) -> Markup:
    plan = _has_plan(report)
    return _table(
        [(GROUP_TITLES.get(grouping, grouping), False), ("Calls opened", True), ("Calls resolved", True),
         ("Response within target", True), *([("Plan within target", True)] if plan else []),
         ("Resolution within target", True), ("Open past deadline", True)],
        (([(label, False), (f.opened, True), (f.resolved, True), (_met_of(f.response_met, f.response_missed), True),
           *([(_met_of(f.plan_met, f.plan_missed), True)] if plan else []),
           (_met_of(f.resolution_met, f.resolution_missed), True), (f.open_breached, True)],
          "total" if total else "") for label, f, total in _rows(report, grouping)),
    )


def _html_chart(report: Report) -> list[Markup]:
    return [M('<section id="chart"><h2>Resolved within target, month by month</h2><figure>'), _svg_chart(report),
            M("<figcaption>Share of the calls whose resolution target fell due in the month that were resolved "
              "in time. Green: 90% or more; amber: 75% to 90%; red: under 75%.</figcaption></figure></section>")]


def _html_misses(report: Report, title: str, *, across_customers: bool) -> list[Markup]:
    """The misses section, with the columns of :func:`_md_misses`."""
    s = [M('<section id="misses"><h2>{}</h2>').format(title)]
    if report.misses:
        if _worst_line(report):
            s.append(M("<p>{}</p>").format(_worst_line(report)))

        def why(m: Miss) -> tuple[object, bool]:
            return (m.justification if m.justification else M('<span class="none">none given</span>'), False)

        if across_customers:
            headers = [("Customer", False), ("Call", False), ("Title", False), ("Level", False), ("Target missed", False),
                       ("Late by", True), ("Justification", False)]
            rows = ([(m.customer, False), (f"#{m.ticket_id}", False), (m.title, False), (m.level, False),
                     (_target_missed(m), False), (_duration(m.late_seconds), True), why(m)] for m in report.misses)
        else:
            headers = [("Call", False), ("Title", False), ("Target missed", False), ("Late by", True), ("When", True),
                       ("Justification", False)]
            rows = ([(f"#{m.ticket_id}", False), (m.title, False), (_target_missed(m), False),
                     (_duration(m.late_seconds), True), (_instant(m.stopped_at, report.tz), True), why(m)]
                    for m in report.misses)
        s.append(_table(headers, ((cells, "") for cells in rows), cls="misses"))
    else:
        s.append(M("<p>No target was missed in this period.</p>"))
    s.append(M("</section>"))
    return s


def _html_footer(report: Report) -> list[Markup]:
    return [M("<footer>Prepared by {} with slaboard, from the times recorded on every call. "
              "Figures for {} ({}); times in {}.</footer>").format(report.msp.name, report.period.label,
                                                                   _period_line(report), report.tz),
            M("</body></html>")]


def _html_escalations(report: Report) -> list[Markup]:
    if report.escalations is None:
        return []
    return [M('<p class="note">Escalations: {}</p>').format(report.escalations.sentence())]


def _calls(n: int) -> str:
    return f"{n} call{'s' if n != 1 else ''}"


def _msp_html(report: Report) -> list[Markup]:
    """The MSP's page: totals, a section per grouping, the chart, the worst misses."""
    t, cur = report.total, report.msp
    missed = _missed_total(report)
    s: list[Markup] = [
        *_html_header(report),
        M('<section id="summary"><h2>At a glance</h2><ul class="tiles">'),
        *_html_share_tiles(t),
        _tile(str(t.opened), f"calls opened, {t.resolved} resolved"),  # five tiles fit a row of A4, six do not
        _tile(str(missed), f"targets missed: {t.response_missed} response, {t.resolution_missed} resolution",
              "bad" if missed else ""),
        _tile(str(t.open_breached), "open calls past their deadline at the end of the period",
              "bad" if t.open_breached else ""),
        M("</ul>"),
        *_html_plan_note(report),
        M('<p class="note">Work outside the contracts: {}, {}, {}.</p>').format(
            _calls(t.billable_calls), _hours(t.billable_hours), _money(t.billable_amount, cur)),
        *_html_escalations(report),
        M("</section>"),
    ]
    for grouping in _msp_groupings(report):
        title = GROUP_TITLES.get(grouping, grouping)
        table = _html_figures(report, grouping) if report.groups else M("<p>{}</p>").format(NO_CALLS)
        s.append(M('<section id="by-{}"><h2>By {}</h2>{}</section>').format(grouping, title.lower(), table))
    s += _html_chart(report)
    s += _html_misses(report, "Worst misses", across_customers=True)
    s += _html_footer(report)
    return s


def _customer_html(report: Report) -> list[Markup]:
    t, cur = report.total, report.msp
    s: list[Markup] = [
        *_html_header(report),
        M('<section id="summary"><h2>At a glance</h2><ul class="tiles">'),
        *_html_share_tiles(t),
        _tile(str(t.opened), "calls opened"),
        _tile(str(t.resolved), "calls resolved"),
        _tile(str(t.open_breached), "open calls past their deadline at the end of the period",
              "bad" if t.open_breached else ""),
        M("</ul>"),
        *_html_plan_note(report),
        *_html_escalations(report),
        M("</section>"),
        M('<section id="contract" class="contracts"><h2>Your contract</h2>'),
    ]
    if report.contracts:
        s += [_html_contract(c, cur) for c in report.contracts]
    else:
        s.append(M("<p>No contract was in force in this period: all work is billed at the hourly rate.</p>"))
    s.append(M("</section>"))
    s += _html_paid(report)

    s.append(M('<section id="figures"><h2>Figures</h2>'))
    s.append(_html_figures(report, report.grouping))
    s.append(M("<h3>{}</h3>").format("Time to respond, to a plan and to resolve" if _has_plan(report)
                                     else "Time to respond and to resolve"))
    time_rows = []
    for label, f, total in _rows(report):
        for clock, business, calendar in _clock_times(report, f):
            if not business and not total and len(_rows(report)) > 1:
                continue  # a group with nothing to time: its row would be dashes
            (bm, bmed), (cm, cmed) = _stats(business), _stats(calendar)
            what = TIME_WORDS[clock]
            time_rows.append(([(f"{label} — {what}" if len(_rows(report)) > 1 else f"Time {what}", False),
                               (len(business), True), (_duration(bm), True), (_duration(bmed), True),
                               (_duration(cm, calendar=True), True), (_duration(cmed, calendar=True), True)],
                              "total" if total else ""))
    s.append(_table([("", False), ("Calls", True), ("Mean (business)", True), ("Median (business)", True),
                     ("Mean (calendar)", True), ("Median (calendar)", True)], time_rows, cls="times"))
    s.append(M('<p class="note">Business time counts only the service hours of the contract; calendar time is the '
               "clock on the wall, from the moment the call was reported.</p>"))
    s.append(M('<div class="two"><div><h3>Time paused</h3>'))
    reasons = sorted(dict(t.paused_by_reason).items(), key=lambda kv: (-kv[1], kv[0]))
    if reasons:
        s.append(_table([("Reason", False), ("Business time", True)],
                        (([(r, False), (_duration(sec), True)], "") for r, sec in reasons)))
        s.append(M('<p class="note">In all {} of business time did not count towards the resolution targets.</p>').format(
            _duration(t.paused_seconds)))
    else:
        s.append(M("<p>No resolution clock was paused.</p>"))
    s.append(M('</div><div><h3>Work outside the contract</h3>'))
    if t.billable_calls:
        s.append(_table([("Calls", True), ("Hours", True), ("Amount", True)],
                        [([(t.billable_calls, True), (_hours(t.billable_hours), True),
                           (_money(t.billable_amount, cur), True)], "")]))
        s.append(M('<p class="note">Calls on services the contract does not cover, or with no contract in force, '
                   "billed at the hourly rate.</p>"))
    else:
        s.append(M("<p>All calls were covered by the contract.</p>"))
    s.append(M("</div></div></section>"))

    s += _html_chart(report)
    s += _html_misses(report, "Targets missed", across_customers=False)
    s += _html_footer(report)
    return s


__all__ = ["to_html", "to_markdown"]
