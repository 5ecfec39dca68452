"""The MSP's world as pydantic models: levels, calendars, services, customers,
contracts, tickets, communications and events. No I/O here."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from slaboard.sla import BusinessCalendar, CalendarError, Duration, DurationError, load_zone, parse_duration

Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
STATUSES = (
    "new",
    "diagnosing",
    "in_progress",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
)
Status = Literal["new", "diagnosing", "in_progress", "waiting_customer", "waiting_third_party", "resolved", "closed"]
OPEN_STATUSES = STATUSES[:5]
CHANNELS = ("phone", "email", "portal", "monitoring")
Channel = Literal["phone", "email", "portal", "monitoring"]
COMM_CHANNELS = ("phone", "email", "meeting", "portal")
CommChannel = Literal["phone", "email", "meeting", "portal"]
Direction = Literal["in", "out"]
ClockName = Literal["response", "plan", "resolution"]

# Impact (1 whole organisation, 2 a department or several users, 3 one user) by
# urgency (1 work has stopped, 2 work is degraded, 3 it can wait): the ITIL matrix.
PRIORITY_MATRIX: dict[tuple[int, int], Priority] = {
    (1, 1): "P1", (1, 2): "P2", (1, 3): "P3",
    (2, 1): "P2", (2, 2): "P3", (2, 3): "P4",
    (3, 1): "P3", (3, 2): "P4", (3, 3): "P4",
}
IMPACT_LABELS = {1: "whole organisation", 2: "department or several users", 3: "one user"}
URGENCY_LABELS = {1: "work has stopped", 2: "work is degraded", 3: "it can wait"}

# Which status may follow which (the ticket's life cycle).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("diagnosing", "in_progress", "waiting_customer", "waiting_third_party", "resolved", "closed"),
    "diagnosing": ("in_progress", "waiting_customer", "waiting_third_party", "resolved", "closed"),
    "in_progress": ("diagnosing", "waiting_customer", "waiting_third_party", "resolved", "closed"),
    "waiting_customer": ("in_progress", "diagnosing", "waiting_third_party", "resolved", "closed"),
    "waiting_third_party": ("in_progress", "diagnosing", "waiting_customer", "resolved", "closed"),
    "resolved": ("in_progress", "closed"),
    "closed": (),
}


def priority_for(impact: int, urgency: int) -> Priority:
    """The matrix priority for an impact and urgency (each 1-3)."""
    try:
        return PRIORITY_MATRIX[(impact, urgency)]
    except KeyError:
        raise ValueError(f"impact {impact!r} and urgency {urgency!r} must each be 1, 2 or 3") from None


def _duration(value: Any) -> Duration:
    try:
        return parse_duration(value, field="duration")
    except DurationError as err:
        # pydantic prefixes the field's location; keep only what was wrong.
        raise ValueError(str(err).removeprefix("duration: ")) from None


DurationField = Annotated[Duration, BeforeValidator(_duration), PlainSerializer(lambda d: d.text, return_type=str)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2), PlainSerializer(lambda d: float(d), return_type=float)]

_MINUTES = re.compile(r"^(?:(\d{1,4})h)?(?:(\d{1,5})m)?$")


def parse_minutes(value: Any) -> int:
    """Work time as written in a contract file: ``"15m"``, ``"1h"``, ``"1h30m"``
    (clock minutes, not business time); ValueError when it is none of these or 0."""
    text = str(value).strip().lower().replace(" ", "")
    found = _MINUTES.match(text) if text else None
    if isinstance(value, bool) or not found or not any(found.groups()):
        raise ValueError(f"{value!r} is not a time of work such as '15m', '1h' or '1h30m'")
    minutes = int(found.group(1) or 0) * 60 + int(found.group(2) or 0)
    if minutes <= 0:
        raise ValueError(f"{value!r} must be more than 0 minutes")
    if minutes > 24 * 60:
        raise ValueError(f"{value!r} is more than a day")
    return minutes


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


MinutesField = Annotated[int, BeforeValidator(parse_minutes), PlainSerializer(minutes_text, return_type=str)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Msp(Model):
    """The MSP itself: its name, home zone (for reports) and the rate for work that
    no contract covers."""

    name: str = "Our MSP"
    tz: str = "Etc/UTC"
    default_hourly_rate: Money | None = None
    currency: str = "EUR"
    locale: str = "en"  # how money is written in bills and reports: "en", "nl_NL", "de_DE"...

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"{value!r} is not a currency code such as EUR, USD or GBP")
        return code

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError(f"{value!r} is not a locale such as en, en_GB or nl_NL") from None
        return value.replace("-", "_")

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            load_zone(value)
        except CalendarError as err:
            raise ValueError(str(err).removeprefix("tz: ")) from None
        return value


class CalendarDef(Model):
    """A business calendar as written in a contract file (see BusinessCalendar)."""

    key: str
    tz: str | None = None
    hours: dict[str, list[tuple[str, str]]] | None = None
    always_open: bool = False
    holidays: list[date] = []
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed: list[tuple[str, str]] = []
    description: str = ""

    @model_validator(mode="after")
    def _check_calendar(self) -> CalendarDef:
        try:
            self.build(self.tz or "Etc/UTC")
        except CalendarError as err:
            raise ValueError(str(err)) from None
        return self

    def spec(self) -> dict[str, Any]:
        """The engine's spec (JSON-ready)."""
        out: dict[str, Any] = {}
        if self.tz:
            out["tz"] = self.tz
        if self.always_open:
            out["always_open"] = True
        else:
            out["hours"] = {d: [list(iv) for iv in ivs] for d, ivs in (self.hours or {}).items()}
        if self.holidays:
            out["holidays"] = [d.isoformat() for d in self.holidays]
        if self.holiday_country:
            out["holiday_country"] = self.holiday_country
        if self.holiday_subdivision:
            out["holiday_subdivision"] = self.holiday_subdivision
        if self.closed:
            out["closed"] = [list(c) for c in self.closed]
        return out

    def build(self, tz: str) -> BusinessCalendar:
        return BusinessCalendar.from_spec(self.spec(), tz=tz, name=self.key)


PriorityTargets = dict[Priority, DurationField]


# Escalations: at which instant of a call's clock whom to tell. ``at`` is a
# threshold of a clock (warning, critical, breached) or the call's opening;
# ``priority`` limits a rule to those priorities (none: all), ``clock`` to those
# clocks (none: response and resolution). ``notify`` names "assignee" (the call's
# assignee, a person whose ``operator`` is that name), a person, a role that
# people have, or "webhook:KEY"; loading checks every name.
EscalationAt = Literal["opened", "warning", "critical", "breached"]
ESCALATION_ORDER: tuple[EscalationAt, ...] = ("opened", "warning", "critical", "breached")


class EscalationRule(Model):
    at: EscalationAt
    notify: list[str] = Field(min_length=1)
    priority: list[Priority] = []
    clock: list[Literal["response", "plan", "resolution"]] = []

    @model_validator(mode="after")
    def _check(self) -> EscalationRule:
        if self.at == "opened" and self.clock:
            raise ValueError("clock: an 'opened' rule is about the call, not one of its clocks")
        return self

    def clocks(self) -> tuple[str, ...]:
        if self.at == "opened":
            return ("call",)
        return tuple(self.clock) or ("response", "resolution")

    def applies(self, priority: str) -> bool:
        return not self.priority or priority in self.priority


class Person(Model):
    """Someone escalations reach: an address, roles ("team-lead", "on-call"),
    the zone their times are written in (default: the MSP's) and the operator name
    they log in with (default: the key), which is how "assignee" finds them."""

    key: str
    name: str = ""
    email: str
    roles: list[str] = []
    tz: str | None = None
    operator: str = ""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value.count("@") != 1 or any(ch.isspace() for ch in value) or "." not in value.split("@")[1]:
            raise ValueError(f"{value!r} is not a mail address")
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            load_zone(value)
        except CalendarError as err:
            raise ValueError(str(err).removeprefix("tz: ")) from None
        return value

    @property
    def login(self) -> str:
        return self.operator or self.key

    @property
    def title(self) -> str:
        return self.name or self.key


class Webhook(Model):
    """A URL that escalations are POSTed to as JSON (``{"text": ...}``, which the
    incoming webhooks of Slack and Microsoft Teams both take, and the escalation's
    fields under ``"slaboard"``)."""

    key: str
    url: str
    timeout: float = Field(5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value


class ServiceLevel(Model):
    """A package such as gold, silver or bronze: targets per priority and a price."""

    key: str
    name: str = ""
    calendar: str
    price_per_month: Money = Decimal(0)
    response: PriorityTargets
    resolution: PriorityTargets
    plan: PriorityTargets = {}
    warning: float = Field(0.75, gt=0, le=1)
    critical: float = Field(0.90, gt=0, le=1)
    warning_left: DurationField | None = None
    critical_left: DurationField | None = None
    pause_on_third_party: bool = False
    description: str = ""
    # A new call that came by mail gets an acknowledgement naming its deadlines.
    acknowledge: bool = True
    escalation: list[EscalationRule] = []

    @model_validator(mode="after")
    def _check(self) -> ServiceLevel:
        for clock in ("response", "resolution"):
            missing = [p for p in PRIORITIES if p not in getattr(self, clock)]
            if missing:
                raise ValueError(f"{clock}: no target for {', '.join(missing)}")
        if self.warning > self.critical:
            raise ValueError(f"warning ({self.warning}) must not be above critical ({self.critical})")
        for name in ("warning_left", "critical_left"):
            value = getattr(self, name)
            if value is not None and value.business_days:
                raise ValueError(f"{name}: {value.text!r} must be hours or minutes, not business days")
        return self

    @property
    def title(self) -> str:
        return self.name or self.key.title()


class Service(Model):
    key: str
    name: str
    description: str = ""


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class Contact(Model):
    name: str = Field(min_length=1)
    role: str = ""
    phone: str = ""
    email: str = ""


class Customer(Model):
    key: str
    name: str = Field(min_length=1)
    code: str = ""
    tz: str
    contacts: list[Contact] = []
    notes: str = ""
    # Mail from these domains (and from the contacts' addresses) is this customer's;
    # a call that arrives by mail is for mail_service (else the first service covered).
    domains: list[str] = []
    mail_service: str = ""

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        out = []
        for domain in value:
            name = domain.strip().lower().lstrip("@")
            if not _DOMAIN.match(name):
                raise ValueError(f"{domain!r} is not a mail domain such as example.com")
            out.append(name)
        return out

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            load_zone(value)
        except CalendarError as err:
            raise ValueError(str(err).removeprefix("tz: ")) from None
        return value

    @model_validator(mode="after")
    def _code(self) -> Customer:
        if not self.code:
            object.__setattr__(self, "code", self.key.upper())
        return self


class TargetOverride(Model):
    """Per-service targets: one duration for every priority, or one per priority."""

    response: DurationField | PriorityTargets | None = None
    plan: DurationField | PriorityTargets | None = None
    resolution: DurationField | PriorityTargets | None = None

    def for_priority(self, clock: str, priority: str) -> Duration | None:
        value = getattr(self, clock)
        if isinstance(value, dict):
            return value.get(priority)
        return value


class ContractDef(Model):
    """A contract as written in a contract file."""

    key: str = ""
    customer: str
    level: str | None = None
    valid_from: date
    valid_to: date | None = None
    services: list[str] = []
    price_per_month: Money | None = None
    hourly_rate: Money | None = None
    overrides: dict[str, TargetOverride] = {}
    bespoke: bool = False
    calendar: str | None = None
    response: PriorityTargets = {}
    plan: PriorityTargets = {}
    resolution: PriorityTargets = {}
    notes: str = ""
    # What the work costs (see slaboard.services.billing): "fixed" (the monthly price
    # covers the services), "block_hours" (a prepaid block per period drawn down by
    # covered work; work past it billed at hourly_rate) or "time_and_materials"
    # (every hour billed at hourly_rate). Each time entry is rounded up to
    # ``rounding``; a call's work on one day is billed at least ``minimum``.
    kind: Literal["fixed", "block_hours", "time_and_materials"] = "fixed"
    block_hours: Decimal | None = Field(None, max_digits=8, decimal_places=2)
    block_period: Literal["month", "quarter", "contract"] = "month"
    rollover: bool = False
    rounding: MinutesField | None = None
    minimum: MinutesField | None = None
    escalation: list[EscalationRule] | None = None  # None: the level's

    @model_validator(mode="after")
    def _check(self) -> ContractDef:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        if self.kind == "block_hours":
            if self.block_hours is None:
                raise ValueError("block_hours: a block_hours contract needs its hours, e.g. block_hours = 20")
            if self.block_hours <= 0:
                raise ValueError(f"block_hours: {self.block_hours} is not a block; give more than 0 hours")
            if self.block_period == "contract" and self.rollover:
                raise ValueError("rollover: a block for the whole contract has no next period to roll over to")
        elif self.block_hours is not None or self.rollover:
            raise ValueError(f"block_hours and rollover belong to kind = \"block_hours\", not {self.kind!r}")
        if self.kind != "fixed" and self.hourly_rate is None:
            raise ValueError(f"hourly_rate: a {self.kind} contract bills work at its hourly_rate; give one")
        if not self.bespoke and self.level is None:
            raise ValueError("level: missing; name a service level, or set bespoke = true with own targets")
        if self.bespoke:
            base_missing = [
                f"{clock}.{p}" for clock in ("response", "resolution") for p in PRIORITIES
                if p not in getattr(self, clock)
            ]
            if self.level is None and base_missing:
                raise ValueError(f"a bespoke contract without a level needs its own targets; missing {base_missing[0]}")
            if self.level is None and self.calendar is None:
                raise ValueError("calendar: a bespoke contract without a level needs its own calendar")
        elif self.response or self.resolution or self.plan:
            raise ValueError("own response/resolution targets need bespoke = true (or use overrides)")
        if not self.key:
            object.__setattr__(self, "key", f"{self.customer}-{self.valid_from.isoformat()}")
        return self

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


class ContractTerms(Model):
    """Everything a ticket's clocks need from its contract, frozen as a version:
    a later change of the contract, its level or calendar makes a new version and
    leaves tickets opened under the old one as they were."""

    key: str
    customer: str
    level: str | None
    level_name: str
    bespoke: bool
    valid_from: date
    valid_to: date | None
    services: list[str]
    price_per_month: Money
    hourly_rate: Money | None
    calendar_key: str
    calendar: dict[str, Any]
    response: PriorityTargets
    resolution: PriorityTargets
    plan: PriorityTargets = {}
    overrides: dict[str, TargetOverride] = {}
    warning: float = 0.75
    critical: float = 0.90
    warning_left: DurationField | None = None
    critical_left: DurationField | None = None
    pause_on_third_party: bool = False

    @cached_property
    def calendar_spec(self) -> str:
        """The calendar as canonical JSON: one compiled calendar per spec and zone
        is shared by every call (worked out once per contract version read)."""
        return json.dumps(self.calendar, sort_keys=True)

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def covers_service(self, service: str) -> bool:
        return service in self.services

    def target(self, clock: str, service: str, priority: str) -> tuple[Duration | None, bool]:
        """The target of ``clock`` for a call on ``service`` at ``priority``, and
        whether it came from a per-service override."""
        override = self.overrides.get(service)
        if override is not None:
            value = override.for_priority(clock, priority)
            if value is not None:
                return value, True
        return getattr(self, clock).get(priority), False


class Contract(Model):
    """A stored version of a contract."""

    id: int
    version: int
    current: bool = True
    terms: ContractTerms

    @property
    def key(self) -> str:
        return self.terms.key

    @property
    def label(self) -> str:
        t = self.terms
        end = t.valid_to.isoformat() if t.valid_to else "open-ended"
        kind = "bespoke" if t.bespoke else t.level_name
        return f"{kind} {t.valid_from.isoformat()}..{end}"


class StatusEntry(Model):
    at: datetime
    status: Status
    reason: str = ""


class PriorityEntry(Model):
    at: datetime
    priority: Priority
    reason: str = ""


class Ticket(Model):
    """A call. ``id`` is the ticket number operators quote."""

    id: int
    customer: str
    contract_id: int | None = None
    service: str
    caller: str = ""
    channel: Channel = "phone"
    title: str = Field(min_length=1)
    description: str = ""
    impact: int = Field(3, ge=1, le=3)
    urgency: int = Field(3, ge=1, le=3)
    priority: Priority
    priority_reason: str = ""
    status: Status = "new"
    assignee: str = ""
    category: str = ""
    diagnosis: str = ""
    expected_at: datetime | None = None
    expected_set_at: datetime | None = None
    customer_told_at: datetime | None = None
    estimate_hours: float | None = Field(None, ge=0, le=10_000)
    billable: bool = False
    reported_at: datetime
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None = None
    planned_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution_note: str = ""
    version: int = 1
    statuses: list[StatusEntry] = []
    priorities: list[PriorityEntry] = []
    response_due: datetime | None = None
    plan_due: datetime | None = None
    resolution_due: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def told_since_promise(self) -> bool:
        """The customer has been told since the expected resolution was last set."""
        told = self.customer_told_at
        return told is not None and (self.expected_set_at is None or told >= self.expected_set_at)


class Communication(Model):
    id: int | None = None
    customer: str
    ticket_id: int | None = None
    at: datetime
    operator: str
    channel: CommChannel = "phone"
    direction: Direction = "out"
    contact: str = ""
    summary: str = Field(min_length=1)
    promised_at: datetime | None = None
    tells_of_miss: bool = False


class Operator(Model):
    """Someone who may sign in to a served board (``slaboard operator``)."""

    name: str
    has_password: bool
    created_at: datetime
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None


class Event(Model):
    """One change of a ticket: the audit trail and the clocks' input."""

    id: int | None = None
    ticket_id: int
    at: datetime
    operator: str
    kind: str
    field: str = ""
    old: str | None = None
    new: str | None = None
    note: str = ""
