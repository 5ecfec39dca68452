"""Escalations, on both engines, against a real SMTP server (aiosmtpd) and a real
HTTP receiver on loopback, with the clock injected: every threshold at its exact
instant across a weekend and a holiday, and across a DST night on a 24x7
calendar; told once, also after a restart and with two watchers; a moved
deadline re-arms what has not passed; a paused or solved call tells nothing; a
webhook that fails or hangs is retried without holding up the mail.

The history: office hours Mon-Fri 09:00-17:00 in Amsterdam, Monday 30 November a
holiday. A P3 call (resolution 4h) reported Friday 27 November 16:00 has 1h on
Friday and 3h on Tuesday: warning at 75% (3h used) Tue 11:00, critical at 90%
(3h36m) Tue 11:36, breached Tue 12:00."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.services.escalations import EscalationError, Escalator, Watcher, flush_webhooks, run_once, webhook_backoff
from slaboard.services.loading import load_files
from slaboard.services.mailout import flush
from slaboard.services.tickets import NewCall, ServiceError, get_view, open_call, update_ticket
from slaboard.store import Store
from tests.httpreceiver import HttpReceiver
from tests.smtpserver import SmtpServer, settings_for

AMS = ZoneInfo("Europe/Amsterdam")

RULES = """\
[msp]
name = "Test MSP"
tz = "Europe/Amsterdam"

[calendars.office]
tz = "Europe/Amsterdam"
hours = { mon = [["09:00", "17:00"]], tue = [["09:00", "17:00"]], wed = [["09:00", "17:00"]], thu = [["09:00", "17:00"]], fri = [["09:00", "17:00"]] }
holidays = ["2026-11-30"]

[calendars.always]
always_open = true

[levels.standard]
name = "Standard"
calendar = "office"
response   = { P1 = "8h", P2 = "8h", P3 = "8h", P4 = "8h" }
resolution = { P1 = "1h", P2 = "2h", P3 = "4h", P4 = "8h" }
escalation = [
  { at = "warning", clock = ["resolution"], notify = ["assignee"] },
  { at = "critical", clock = ["resolution"], notify = ["team-lead"] },
  { at = "breached", clock = ["resolution"], notify = ["service-manager", "webhook:noc"] },
  { at = "opened", priority = ["P1"], notify = ["on-call"] },
]

[levels.nightly]
name = "Nightly"
calendar = "always"
response   = { P1 = "8h", P2 = "8h", P3 = "8h", P4 = "8h" }
resolution = { P1 = "1h", P2 = "2h", P3 = "4h", P4 = "8h" }
escalation = [{ at = "warning", clock = ["resolution"], notify = ["on-call"] }]

[services.email]
name = "E-mail"

[customers.acme]
name = "Acme Logistics"
code = "ACME"
tz = "Europe/Amsterdam"

[customers.night]
name = "Night Shift"
tz = "Europe/Amsterdam"

[people.anna]
name = "Anna de Boer"
email = "anna@msp.example"

[people.lee]
name = "Lee Park"
email = "lee@msp.example"
roles = ["team-lead"]
tz = "America/New_York"

[people.sam]
email = "sam@msp.example"
roles = ["service-manager", "on-call"]

[webhooks.noc]
url = "{url}"
timeout = 1

[[contracts]]
customer = "acme"
level = "standard"
valid_from = 2026-01-01
services = ["email"]

[[contracts]]
customer = "night"
level = "nightly"
valid_from = 2026-01-01
services = ["email"]
"""


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


FRIDAY = at(11, 27, 16)
WARNING, CRITICAL, BREACH = at(12, 1, 11), at(12, 1, 11, 36), at(12, 1, 12)


@pytest.fixture(scope="module")
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.close()


@pytest.fixture
def hook(receiver: HttpReceiver) -> HttpReceiver:
    receiver.clear()
    return receiver


@pytest.fixture
def store(empty_store: Store, tmp_path: Path, hook: HttpReceiver) -> Store:
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace("{url}", hook.url()), encoding="utf-8")
    load_files(empty_store, [path], FRIDAY)
    return empty_store


def call(store: Store, reported: datetime = FRIDAY, *, customer: str = "acme", impact: int = 2,
         urgency: int = 2, assignee: str | None = "anna") -> int:
    view = open_call(store, NewCall(customer=customer, service="email", title="Mail is down", impact=impact,
                                    urgency=urgency, reported_at=reported), "anna", reported)
    if assignee:
        update_ticket(store, view.ticket.id, operator="anna", now=reported, assignee=assignee)
    return view.ticket.id


def told(store: Store, ticket_id: int) -> list[tuple[str, str]]:
    return [(e["clock"], e["threshold"]) for e in store.escalations_of(ticket_id)]


def test_each_threshold_falls_at_its_instant_across_a_weekend_and_a_holiday(store: Store,
                                                                             smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    ticket = call(store)
    escalator = Escalator(store, mail)
    found = {t.threshold: t.moment for t in escalator.thresholds(get_view(store, ticket, FRIDAY))}
    assert found == {"warning": WARNING.astimezone(UTC), "critical": CRITICAL.astimezone(UTC),
                     "breached": BREACH.astimezone(UTC)}
    second = timedelta(seconds=1)
    assert run_once(store, mail, WARNING - second) == []
    assert [t.threshold for t in run_once(store, mail, WARNING)] == ["warning"]
    assert run_once(store, mail, WARNING + timedelta(minutes=5)) == []  # told once
    assert run_once(store, mail, CRITICAL - second) == []
    assert [t.threshold for t in run_once(store, mail, CRITICAL)] == ["critical"]
    assert [(t.threshold, t.people, t.webhooks) for t in run_once(store, mail, BREACH)] == [
        ("breached", ["sam"], ["noc"])]
    assert told(store, ticket) == [("resolution", "warning"), ("resolution", "critical"), ("resolution", "breached")]
    assert [e.note for e in store.events(ticket) if e.kind == "escalation"] == [
        "escalation: resolution warning; told anna", "escalation: resolution critical; told lee",
        "escalation: resolution breached; told sam, webhook:noc"]


def test_the_messages_name_the_call_the_instant_in_both_zones_and_how_to_open_it(
        store: Store, smtp_server: SmtpServer, hook: HttpReceiver) -> None:
    mail = settings_for(smtp_server)
    ticket = call(store)
    run_once(store, mail, WARNING)
    run_once(store, mail, CRITICAL)
    report = flush(store, mail, CRITICAL)
    assert report.sent == 2 and not report.problem
    by_address = {r.rcpt_tos[0]: r.message() for r in smtp_server.received}
    lee = by_address["lee@msp.example"]
    assert str(lee["Subject"]).strip() == f"[SLA escalation #{ticket}] resolution critical: Acme Logistics: Mail is down"
    assert lee["Auto-Submitted"] == "auto-replied"
    text = lee.get_content()
    assert "Tue 01 Dec 2026 12:00 CET (Europe/Amsterdam, the customer's zone)" in text
    assert "Tue 01 Dec 2026 06:00 EST (America/New_York, your zone)" in text
    assert "24m of business time left" in text and f"slaboard ticket show {ticket}" in text
    anna = by_address["anna@msp.example"].get_content()
    assert "your zone" not in anna  # Anna is in the customer's zone (the MSP's)
    run_once(store, mail, BREACH)
    assert flush_webhooks(store, lambda: BREACH).sent == 1
    posted = hook.received()
    assert len(posted) == 1 and posted[0].content_type == "application/json"
    sent = posted[0].json()
    assert sent["text"].startswith(f"[SLA escalation #{ticket}] resolution target missed")
    assert sent["slaboard"]["threshold"] == "breached" and sent["slaboard"]["ticket"] == ticket


def test_a_24x7_clock_counts_real_time_across_the_dst_night(store: Store, smtp_server: SmtpServer) -> None:
    reported = datetime(2026, 10, 25, 0, 30, tzinfo=AMS)  # CEST; at 03:00 the clocks go back to 02:00 CET
    ticket = call(store, reported, customer="night")
    mail = settings_for(smtp_server)
    warning = reported.astimezone(UTC) + timedelta(hours=3)  # 75% of 4h, in elapsed time
    assert warning.astimezone(AMS).strftime("%H:%M %Z") == "02:30 CET"  # the wall clock shows 3h, not 4h, later
    assert (reported + timedelta(hours=3)).strftime("%H:%M %Z") == "03:30 CET"  # what adding wall time would give
    assert run_once(store, mail, warning - timedelta(seconds=1)) == []
    done = run_once(store, mail, warning)
    assert [(t.ticket_id, t.threshold, t.people) for t in done] == [(ticket, "warning", ["sam"])]


def test_a_paused_call_and_a_solved_one_tell_nothing(store: Store, smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    paused, solved = call(store), call(store)
    update_ticket(store, paused, operator="anna", now=at(12, 1, 10), status="waiting_customer",
                  reason="waiting for the password")
    update_ticket(store, solved, operator="anna", now=at(12, 1, 10, 30), status="resolved", reason="quota raised")
    for moment in (WARNING, CRITICAL, BREACH, at(12, 2, 16)):
        assert run_once(store, mail, moment) == []
    update_ticket(store, paused, operator="anna", now=at(12, 2, 9), status="in_progress")  # 2h used: on again
    assert [t.threshold for t in run_once(store, mail, at(12, 2, 10))] == ["warning"]


def test_a_moved_deadline_re_arms_the_thresholds_not_yet_passed(store: Store, smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    lowered, raised = call(store), call(store)
    assert len(run_once(store, mail, WARNING)) == 2
    # P4 (8h): 6h used at Tue 14:00, so the warning comes again then
    update_ticket(store, lowered, operator="anna", now=at(12, 1, 11, 10), impact=3, urgency=2)
    # P2 (2h): its warning (Tue 09:30) passed before it was told: not again; critical and breach are
    # both due: the breach is told, the critical recorded with it (one message, not two)
    update_ticket(store, raised, operator="anna", now=at(12, 1, 11, 10), impact=2, urgency=1)
    again = run_once(store, mail, at(12, 1, 11, 10))
    assert [(t.ticket_id, t.threshold) for t in again] == [(raised, "breached")]
    assert [(e["threshold"], e["sent"], e["note"]) for e in store.escalations_of(raised)][1:] == [
        ("critical", False, "the breached was due with it"), ("breached", True, "")]
    assert run_once(store, mail, at(12, 1, 14) - timedelta(seconds=1)) == []
    assert [(t.ticket_id, t.threshold) for t in run_once(store, mail, at(12, 1, 14))] == [(lowered, "warning")]
    assert told(store, lowered) == [("resolution", "warning"), ("resolution", "warning")]


def test_after_a_gap_only_the_most_severe_threshold_is_sent(store: Store, smtp_server: SmtpServer) -> None:
    """A watcher that was stopped over a call's warning, critical and breach sends
    one message, the breach; the two it passed are recorded as not sent (so no
    watcher sends them later) and the history says why."""
    mail = settings_for(smtp_server)
    ticket = call(store)
    done = run_once(store, mail, BREACH + timedelta(minutes=10))
    assert [(t.threshold, t.people) for t in done] == [("breached", ["sam"])]
    assert [(e["threshold"], e["sent"]) for e in store.escalations_of(ticket)] == [
        ("warning", False), ("critical", False), ("breached", True)]
    assert run_once(store, mail, BREACH + timedelta(minutes=11)) == []
    assert flush(store, mail, BREACH + timedelta(minutes=11)).sent == 1
    notes = [e.note for e in store.events(ticket) if e.kind == "escalation"]
    assert "escalation: resolution warning not sent: the breached was due with it" in notes
    assert store.escalated_open() == {ticket: "breached"}


def test_a_threshold_long_past_when_first_seen_is_recorded_not_sent(store: Store, smtp_server: SmtpServer) -> None:
    """Rules just added, or the watcher off for hours: a warning that passed over
    an hour before a watcher saw it is noise, not news. Night Shift is 24x7: a P3
    warns at 3h of its 4h."""
    mail = settings_for(smtp_server)
    reported = at(12, 1, 2)
    recent = call(store, reported, customer="night")  # warned at 05:00, seen 59m30s later: sent, late
    stale = call(store, reported - timedelta(minutes=2), customer="night")  # warned at 04:58: 61m30s
    seen = at(12, 1, 5, 59) + timedelta(seconds=30)
    assert [(t.ticket_id, t.threshold) for t in run_once(store, mail, seen)] == [(recent, "warning")]
    [record] = store.escalations_of(stale)
    assert not record["sent"] and record["note"] == ("it passed at Tue 01 Dec 04:58 CET, over an hour before a "
                                                     "watcher saw it")
    assert run_once(store, mail, seen + timedelta(minutes=1)) == []  # recorded: never sent later
    assert flush(store, mail, seen).sent == 1
    assert store.escalated_open() == {recent: "warning"}


def test_an_opened_rule_tells_on_call_once_for_a_p1(store: Store, smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    p1 = call(store, at(12, 1, 9), impact=1, urgency=1)
    call(store, at(12, 1, 9))  # P3: no opened rule
    assert [(t.ticket_id, t.clock, t.threshold, t.people) for t in run_once(store, mail, at(12, 1, 9, 1))] == [
        (p1, "call", "opened", ["sam"])]
    assert run_once(store, mail, at(12, 1, 9, 2)) == []


def test_two_escalators_at_once_tell_a_threshold_once(store: Store, store_target: str | Path,
                                                      smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    ticket = call(store)
    with Store.open(store_target) as other:
        first, second = Escalator(store, mail), Escalator(other, mail)
        view = get_view(store, ticket, WARNING)
        [(_, threshold)] = first.due([view], WARNING)
        # the second has seen the same threshold due and not yet told: the unique key stops it
        other_view = get_view(other, ticket, WARNING)
        [(_, same)] = second.due([other_view], WARNING)
        assert first.tell(view, threshold, WARNING) is not None
        other.escalation_told = lambda *args: False  # type: ignore[method-assign]  # as if it looked first
        assert second.tell(other_view, same, WARNING) is None
    assert told(store, ticket) == [("resolution", "warning")]
    assert store.unsent_mail() == 1


def test_the_watcher_tells_at_the_instant_and_a_restart_tells_nothing_again(
        store: Store, store_target: str | Path, smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    ticket = call(store)
    now = [WARNING - timedelta(seconds=5)]
    lines: list[str] = []
    watcher = Watcher(store_target, mail, clock=lambda: now[0], log=lines.append)
    try:
        wait = watcher.step()
        assert 4.9 <= wait <= 5.0 + 1e-6 or wait == pytest.approx(1.0)  # the next look, or the instant
        assert told(store, ticket) == []
        now[0] = WARNING
        watcher.step()
        assert told(store, ticket) == [("resolution", "warning")]
        assert any(line.startswith(f"#{ticket} resolution warning") for line in lines)
    finally:
        watcher.close()
    restarted = Watcher(store_target, mail, clock=lambda: now[0], log=lines.append)
    try:
        now[0] = WARNING + timedelta(seconds=30)
        restarted.step()
        assert told(store, ticket) == [("resolution", "warning")]
        now[0] = CRITICAL
        restarted.step()
        assert told(store, ticket) == [("resolution", "warning"), ("resolution", "critical")]
    finally:
        restarted.close()
    assert len(smtp_server.received) == 2  # the watcher sent its mail itself


def test_a_change_that_does_not_move_a_threshold_still_tells_it_once(
        store: Store, store_target: str | Path, smtp_server: SmtpServer) -> None:
    """An assignee changed before the warning: the watcher has the threshold twice
    on its heap (before and after the change, at the same instant); it is told
    once, and sent."""
    mail = settings_for(smtp_server)
    ticket = call(store)
    now = [WARNING - timedelta(minutes=1)]
    watcher = Watcher(store_target, mail, clock=lambda: now[0])
    try:
        watcher.step()
        update_ticket(store, ticket, operator="anna", now=now[0], assignee="lee")
        watcher.step()
        assert sum(1 for t in watcher.heap if t.key == (ticket, "resolution", "warning")) == 2
        now[0] = WARNING
        watcher.step()
    finally:
        watcher.close()
    assert [(e["threshold"], e["sent"], e["recipients"]) for e in store.escalations_of(ticket)] == [
        ("warning", True, ["lee"])]
    assert [r.rcpt_tos for r in smtp_server.received] == [["lee@msp.example"]]


def test_a_database_that_fails_for_a_while_is_a_line_in_the_log_not_the_end(
        store: Store, store_target: str | Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from slaboard.services import escalations
    from slaboard.store import StoreError

    monkeypatch.setattr(escalations, "RETRY", 0.05)
    mail = settings_for(smtp_server)
    ticket = call(store)
    lines: list[str] = []
    watcher = Watcher(store_target, mail, clock=lambda: WARNING, log=lines.append, poll=0.05)
    real_step, failures = watcher.step, [2]

    def step() -> float:
        if failures[0]:
            failures[0] -= 1
            raise StoreError("database is locked")
        return real_step()

    watcher.step = step  # type: ignore[method-assign]
    runner = threading.Thread(target=watcher.run)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not store.escalations_of(ticket) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop.set()
        runner.join(timeout=10)
        watcher.close()
    assert lines[:2] == ["cannot read or write the database now: database is locked; trying again in 0.05 s"] * 2
    assert told(store, ticket) == [("resolution", "warning")]


def test_the_watcher_sees_a_change_and_sleeps_until_the_next_instant(
        store: Store, store_target: str | Path, smtp_server: SmtpServer) -> None:
    mail = settings_for(smtp_server)
    now = [at(12, 1, 10)]
    watcher = Watcher(store_target, mail, clock=lambda: now[0], poll=60.0)
    try:
        assert watcher.step() == 60.0  # nothing open: until the next look
        ticket = call(store)
        wait = watcher.step()
        assert wait == pytest.approx(3600.0) or wait == 60.0  # the warning is an hour away
        assert [t.ticket_id for t in watcher.heap] == [ticket] * 3
        update_ticket(store, ticket, operator="anna", now=now[0], status="resolved", reason="done")
        watcher.step()
        now[0] = BREACH
        watcher.step()
        assert told(store, ticket) == []
    finally:
        watcher.close()


def test_a_webhook_that_fails_or_hangs_is_retried_and_never_holds_up_mail(
        store: Store, smtp_server: SmtpServer, hook: HttpReceiver) -> None:
    mail = settings_for(smtp_server)
    ticket = call(store)
    run_once(store, mail, BREACH)
    hook.status = 500
    report = flush_webhooks(store, lambda: BREACH)
    assert (report.sent, report.retrying) == (0, 1) and "HTTP 500" in report.lines[0]
    assert flush(store, mail, BREACH).sent == 1  # the breach's mail went all the same
    assert flush_webhooks(store, lambda: BREACH + timedelta(seconds=29)).retrying == 0  # not due yet
    hook.status, hook.delay = 200, 3.0  # longer than the webhook's 1 s timeout
    started = time.monotonic()
    report = flush_webhooks(store, lambda: BREACH + webhook_backoff(1))
    assert report.retrying == 1 and "no answer" in report.lines[0] and time.monotonic() - started < 2.9
    hook.delay = 0.0
    time.sleep(3.1)  # the hung request ends at the receiver (it is not kept)
    hook.posts.clear()
    assert flush_webhooks(store, lambda: BREACH + timedelta(hours=1)).sent == 1
    assert [p.json()["slaboard"]["ticket"] for p in hook.received()] == [ticket]
    assert [r["status"] for r in store.webhook_posts()] == ["sent"]


def test_rules_that_name_people_need_mail(store: Store) -> None:
    with pytest.raises(EscalationError, match="escalation rules name people, but mail is not set up"):
        run_once(store, None, WARNING)


@pytest.mark.parametrize(("rule", "said"), [
    ('{ at = "warning", notify = ["team-leed"] }', "'team-leed' is neither 'assignee', a person nor a role"),
    ('{ at = "warning", notify = ["webhook:nope"] }', "unknown webhook 'nope'"),
    ('{ at = "soon", notify = ["sam"] }', "'soon'"),
    ('{ at = "warning", notify = [] }', "notify"),
    ('{ at = "opened", clock = ["response"], notify = ["sam"] }', "an 'opened' rule is about the call"),
])
def test_loading_checks_every_name_a_rule_gives(empty_store: Store, tmp_path: Path, rule: str, said: str) -> None:
    text = RULES.replace("{url}", "http://127.0.0.1:9/hook").replace(
        '  { at = "warning", clock = ["resolution"], notify = ["assignee"] },', f"  {rule},")
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ServiceError, match="levels.standard") as raised:
        load_files(empty_store, [path], FRIDAY)
    assert said in str(raised.value)
    assert empty_store.people() == {}


def test_two_watchers_in_two_processes_send_one_mail(store: Store, store_target: str | Path,
                                                     smtp_server: SmtpServer, tmp_path: Path) -> None:
    """`slaboard watch --once` twice at the same moment, as cron on two hosts would."""
    import os
    import subprocess
    import sys

    ticket = call(store)
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[mail]\nfrom = "support@msp.example"\nsmtp = "smtp+plain://127.0.0.1:{smtp_server.port}"\n')
    env = {**os.environ, "SLABOARD_DB": str(store_target), "SLABOARD_NOW": WARNING.isoformat(),
           "SLABOARD_SETTINGS": str(settings)}
    results: list[subprocess.CompletedProcess[str]] = []

    def once() -> None:
        results.append(subprocess.run([sys.executable, "-m", "slaboard", "watch", "--once"], env=env,
                                      capture_output=True, text=True, timeout=60))

    workers = [threading.Thread(target=once) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert told(store, ticket) == [("resolution", "warning")]
    assert [r.rcpt_tos for r in smtp_server.received] == [["anna@msp.example"]]


def test_the_report_counts_calls_escalated_before_breaching_and_those_breached_unwarned(
        store: Store, smtp_server: SmtpServer) -> None:
    from datetime import date

    from slaboard.reports import document, export
    from slaboard.reports.figures import Period, build_report

    mail = settings_for(smtp_server)
    warned = call(store)  # warned at 11:00, breached at 12:00, solved late at 12:30
    assert [t.threshold for t in run_once(store, mail, WARNING)] == ["warning"]
    unwarned = call(store, at(12, 1, 11))  # P3, 4h: warning at 14:00, breach at 15:00; no watcher then
    saved = call(store, at(12, 1, 9))  # warning at 12:00, solved at 12:30 in time
    assert sorted((t.ticket_id, t.threshold) for t in run_once(store, mail, at(12, 1, 12))) == [
        (warned, "breached"), (saved, "warning")]
    for ticket, when in ((warned, at(12, 1, 12, 30)), (saved, at(12, 1, 12, 30)), (unwarned, at(12, 1, 15, 30))):
        update_ticket(store, ticket, operator="anna", now=when, status="resolved", reason="done")
    december = Period(date(2026, 12, 1), date(2027, 1, 1), "December 2026")
    report = build_report(store, december, at(12, 1, 16), customer="acme")
    assert report.escalations is not None
    assert (report.escalations.missed, report.escalations.warned, report.escalations.unwarned,
            report.escalations.met_after) == (2, 1, 1, 1)
    said = ("Of 2 targets missed, 1 was escalated before their deadline and 1 breached without a warning; "
            "1 target was met after an escalation.")
    assert report.escalations.sentence() == said
    assert f"escalations: {said}" in export.to_table(report)
    assert said in document.to_html(report)
    assert report.to_dict()["escalations"] == {"missed": 2, "escalated_before_breach": 1,
                                               "breached_without_warning": 1, "met_after_escalation": 1}
