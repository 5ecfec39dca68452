"""Why a clock is due when it is: the chain from contract to deadline, as data.

A screen renders :meth:`Explanation.lines`; ``--json`` prints :meth:`Explanation.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from slaboard.sla.clocks import Clock, threshold_instants

_MAX_INTERVALS = 200


@dataclass(frozen=True, slots=True)
class Step:
    """One link of the chain: what was chosen and why."""

    kind: str  # contract | level | override | priority | target | calendar
    value: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    clock: str
    state: str
    chain: tuple[Step, ...]
    start: datetime
    due: datetime
    stopped_at: datetime | None
    target_seconds: int
    used_seconds: int
    remaining_seconds: int
    intervals: tuple[tuple[datetime, datetime], ...]
    intervals_truncated: bool
    holidays: tuple[tuple[date, str], ...]
    closed: tuple[tuple[datetime, datetime], ...]
    pauses: tuple[tuple[datetime, datetime | None, str, int], ...]
    thresholds: tuple[tuple[str, datetime], ...]
    changes: tuple[tuple[datetime, str, str], ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: instants in ISO-8601, durations in seconds."""

        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "clock": self.clock,
            "state": self.state,
            "chain": [{"kind": s.kind, "value": s.value, "detail": s.detail} for s in self.chain],
            "start": iso(self.start),
            "due": iso(self.due),
            "stopped_at": iso(self.stopped_at),
            "target_seconds": self.target_seconds,
            "used_seconds": self.used_seconds,
            "remaining_seconds": self.remaining_seconds,
            "business_intervals": [[iso(a), iso(b)] for a, b in self.intervals],
            "business_intervals_truncated": self.intervals_truncated,
            "holidays_skipped": [{"date": d.isoformat(), "name": n} for d, n in self.holidays],
            "closed_skipped": [[iso(a), iso(b)] for a, b in self.closed],
            "pauses": [
                {"from": iso(a), "to": iso(b), "reason": r, "business_seconds": s}
                for a, b, r, s in self.pauses
            ],
            "thresholds": [{"label": label, "at": iso(t)} for label, t in self.thresholds],
            "target_changes": [{"at": iso(t), "target": tgt, "reason": r} for t, tgt, r in self.changes],
        }

    def lines(self) -> list[str]:
        """Plain-text lines, one fact each, for a screen or a terminal."""

        def when(t: datetime) -> str:
            return t.strftime("%a %Y-%m-%d %H:%M %Z")

        out = [" → ".join(f"{s.kind}: {s.value}" + (f" ({s.detail})" if s.detail else "") for s in self.chain)]
        out.append(f"started {when(self.start)}; due {when(self.due)}")
        if self.stopped_at is not None:
            out.append(f"stopped {when(self.stopped_at)}: {self.state}")
        for d, name in self.holidays:
            out.append(f"holiday skipped: {d.isoformat()} {name}")
        for a, b in self.closed:
            out.append(f"closed period skipped: {when(a)} to {when(b)}")
        for since, until, reason, secs in self.pauses:
            end = when(until) if until is not None else "now (still paused)"
            out.append(f"paused {when(since)} to {end}: {reason} ({secs // 60} business min)")
        for label, t in self.thresholds:
            out.append(f"{label}: {when(t)}")
        for t, target, reason in self.changes:
            out.append(f"target changed {when(t)} to {target}" + (f": {reason}" if reason else ""))
        return out


def explain(clock: Clock) -> Explanation:
    """The explanation of ``clock`` as computed (at its ``now``)."""
    cal = clock.calendar
    src = clock.target.source
    tz = cal.tz

    def dt(ts: int) -> datetime:
        return datetime.fromtimestamp(ts, tz)

    chain: list[Step] = []
    if src.contract:
        version = f"version {src.contract_version}" if src.contract_version is not None else ""
        chain.append(Step("contract", src.contract, ("bespoke, " if src.bespoke else "") + version))
    if src.level:
        chain.append(Step("level", src.level))
    if src.override:
        chain.append(Step("override", f"{src.service or 'service'} {clock.name}", "per-service override"))
    elif src.priority:
        chain.append(Step("priority", src.priority))
    chain.append(Step("target", clock.target.duration.text, clock.target.duration.describe()))
    chain.append(Step("calendar", cal.name or "calendar", cal.describe()))

    end = clock.stopped_ts if clock.stopped_ts is not None else max(clock.now_ts, clock.due_ts)
    span_end = min(end, clock.due_ts) if clock.stopped_ts is None else end
    cuts = [(p.start, p.end if p.end is not None else clock.now_ts) for p in clock.pauses]
    cuts = sorted((a, b) for a, b in cuts if b > a)
    spans = cal.spans_between(clock.start_ts, max(span_end, clock.start_ts), cuts)
    truncated = len(spans) > _MAX_INTERVALS
    horizon = max(clock.due_ts, end)
    pauses = []
    for p in clock.pauses:
        stop = p.end if p.end is not None else clock.now_ts
        pauses.append((dt(p.start), None if p.end is None else dt(p.end), p.reason, cal.elapsed_seconds(p.start, stop)))
    changes = tuple((dt(at), target.duration.text, reason) for at, target, reason in clock.changes[1:])
    return Explanation(
        clock=clock.name,
        state=clock.state,
        chain=tuple(chain),
        start=dt(clock.start_ts),
        due=dt(clock.due_ts),
        stopped_at=None if clock.stopped_ts is None else dt(clock.stopped_ts),
        target_seconds=clock.target_seconds,
        used_seconds=clock.used,
        remaining_seconds=clock.remaining,
        intervals=tuple((dt(a), dt(b)) for a, b in spans[:_MAX_INTERVALS]),
        intervals_truncated=truncated,
        holidays=tuple(cal.holidays_between(clock.start_ts, horizon)),
        closed=tuple((dt(a), dt(b)) for a, b in cal.closed_between(clock.start_ts, horizon)),
        pauses=tuple(pauses),
        thresholds=tuple((label, dt(ts)) for label, ts in threshold_instants(clock)),
        changes=changes,
    )
