"""The SLA engine: business calendars, target durations, clocks and explanations.

Pure Python: no I/O, no clock reads. ``now`` is always an argument.
"""

from slaboard.sla.calendar import BusinessCalendar, CalendarError, OpeningInterval, load_zone, to_epoch
from slaboard.sla.clocks import (
    CLOCK_NAMES,
    OPEN_STATUSES,
    STATE_RANK,
    STATES,
    STOP_STATUSES,
    Clock,
    PauseSpan,
    StatusChange,
    Target,
    TargetChange,
    TargetSource,
    Thresholds,
    Timeline,
    compute_clocks,
    leading_clock,
    threshold_instants,
)
from slaboard.sla.durations import Duration, DurationError, parse_duration
from slaboard.sla.explain import Explanation, Step, explain

__all__ = [
    "CLOCK_NAMES",
    "OPEN_STATUSES",
    "STATES",
    "STATE_RANK",
    "STOP_STATUSES",
    "BusinessCalendar",
    "CalendarError",
    "Clock",
    "Duration",
    "DurationError",
    "Explanation",
    "OpeningInterval",
    "PauseSpan",
    "StatusChange",
    "Step",
    "Target",
    "TargetChange",
    "TargetSource",
    "Thresholds",
    "Timeline",
    "compute_clocks",
    "explain",
    "leading_clock",
    "load_zone",
    "parse_duration",
    "threshold_instants",
    "to_epoch",
]
