"""The database schema, as sqlite-utils migrations.

Each migration is a list of statements run in one transaction. A database whose
applied migrations this build does not know comes from a newer slaboard and is
refused untouched.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

APPLICATION_ID = 0x534C4142  # "SLAB": marks a file as a slaboard database
MIGRATION_SET = "slaboard"

# The views, in SQL both engines read: the file (and a PostgreSQL database) stays
# readable with any tool.
BASE_VIEWS = [
    """CREATE VIEW open_tickets AS
       SELECT t.id, c.code AS customer_code, c.name AS customer, t.service, t.priority,
              t.status, t.assignee, t.title, t.reported_at, t.response_due, t.plan_due,
              t.resolution_due, t.billable
       FROM tickets t JOIN customers c ON c.key = t.customer
       WHERE t.status NOT IN ('resolved', 'closed')
       ORDER BY t.resolution_due IS NULL, t.resolution_due""",
    """CREATE VIEW contracts_in_force AS
       SELECT k.id, c.code AS customer_code, c.name AS customer, k.key, k.version,
              COALESCE(k.level, 'bespoke') AS level, k.valid_from, k.valid_to,
              k.price_per_month, k.hourly_rate
       FROM contracts k JOIN customers c ON c.key = k.customer
       WHERE k.current = 1""",
    """CREATE VIEW ticket_history AS
       SELECT e.ticket_id, e.at, e.operator, e.kind, e.field, e.old, e.new, e.note
       FROM events e ORDER BY e.ticket_id, e.id""",
]
SLA_OUTCOMES_VIEW = """CREATE VIEW sla_outcomes AS
           SELECT o.ticket_id, c.code AS customer_code, c.name AS customer, t.service, o.clock,
                  CASE o.met WHEN 1 THEN 'met' ELSE 'missed' END AS outcome, o.stopped_at, o.due, o.target,
                  o.used_seconds, o.late_seconds, o.paused_seconds, o.level, o.priority, o.justification
           FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id JOIN customers c ON c.key = t.customer"""

SCHEMA_1 = [
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE calendars (
        key TEXT PRIMARY KEY,
        spec TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE levels (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE services (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE customers (
        key TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        tz TEXT NOT NULL,
        spec TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE contracts (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        customer TEXT NOT NULL REFERENCES customers(key),
        version INTEGER NOT NULL,
        current INTEGER NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to TEXT,
        level TEXT,
        bespoke INTEGER NOT NULL,
        price_per_month REAL NOT NULL,
        hourly_rate REAL,
        definition TEXT NOT NULL,
        terms TEXT NOT NULL,
        digest TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (key, version)
    )""",
    "CREATE INDEX contracts_by_customer ON contracts (customer, current, valid_from)",
    """CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        customer TEXT NOT NULL REFERENCES customers(key),
        contract_id INTEGER REFERENCES contracts(id),
        tz TEXT NOT NULL,
        service TEXT NOT NULL REFERENCES services(key),
        caller TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        impact INTEGER NOT NULL,
        urgency INTEGER NOT NULL,
        priority TEXT NOT NULL,
        priority_reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        assignee TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        diagnosis TEXT NOT NULL DEFAULT '',
        expected_at TEXT,
        expected_set_at TEXT,
        customer_told_at TEXT,
        estimate_hours REAL,
        billable INTEGER NOT NULL DEFAULT 0,
        reported_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        responded_at TEXT,
        planned_at TEXT,
        resolved_at TEXT,
        closed_at TEXT,
        resolution_note TEXT NOT NULL DEFAULT '',
        history TEXT NOT NULL,
        response_due TEXT,
        plan_due TEXT,
        resolution_due TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        seq INTEGER NOT NULL DEFAULT 0
    )""",
    # seq orders every write of a ticket, so a board reloads only what changed.
    "CREATE INDEX tickets_by_seq ON tickets (seq)",
    "CREATE INDEX tickets_open ON tickets (status) WHERE status NOT IN ('resolved', 'closed')",
    "CREATE INDEX tickets_by_customer ON tickets (customer, reported_at)",
    "CREATE INDEX tickets_by_reported ON tickets (reported_at)",
    "CREATE INDEX tickets_by_resolved ON tickets (resolved_at)",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        kind TEXT NOT NULL,
        field TEXT NOT NULL DEFAULT '',
        old TEXT,
        new TEXT,
        note TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX events_by_ticket ON events (ticket_id, id)",
    """CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TABLE communications (
        id INTEGER PRIMARY KEY,
        customer TEXT NOT NULL REFERENCES customers(key),
        ticket_id INTEGER REFERENCES tickets(id),
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        channel TEXT NOT NULL,
        direction TEXT NOT NULL,
        contact TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL,
        promised_at TEXT,
        tells_of_miss INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX communications_by_ticket ON communications (ticket_id, at)",
    "CREATE INDEX communications_by_customer ON communications (customer, at)",
    """CREATE TABLE clock_outcomes (
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        clock TEXT NOT NULL,
        met INTEGER NOT NULL,
        stopped_at TEXT NOT NULL,
        due TEXT NOT NULL,
        target TEXT NOT NULL,
        target_seconds INTEGER NOT NULL,
        used_seconds INTEGER NOT NULL,
        late_seconds INTEGER NOT NULL,
        paused_seconds INTEGER NOT NULL,
        pauses TEXT NOT NULL DEFAULT '{}',
        started_at TEXT NOT NULL,
        contract_id INTEGER REFERENCES contracts(id),
        contract_version INTEGER,
        level TEXT,
        priority TEXT,
        justification TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (ticket_id, clock)
    )""",
    "CREATE INDEX clock_outcomes_by_stop ON clock_outcomes (stopped_at)",
    # Views: the file stays readable with any SQLite tool.
    *BASE_VIEWS,
]

migrations = Migrations(MIGRATION_SET)
KNOWN_MIGRATIONS: list[str] = []


def migration(name: str):
    """Register a migration under ``name`` (and remember the name, in order)."""
    KNOWN_MIGRATIONS.append(name)
    return migrations(name=name)


@migration("0001_initial")
def _initial(db: Database) -> None:
    for statement in SCHEMA_1:
        db.execute(statement)


@migration("0002_outcome_view_assignee_index_event_versions")
def _outcome_view(db: Database) -> None:
    # Reports and anyone with a SQLite tool read met/missed targets with names;
    # "Mine" on every board filters open calls by assignee.
    db.execute(SLA_OUTCOMES_VIEW)
    db.execute("CREATE INDEX tickets_open_by_assignee ON tickets (assignee) WHERE status NOT IN ('resolved', 'closed')")
    # REPLACE deletes without firing the delete trigger: refuse reusing an event id.
    db.execute(
        """CREATE TRIGGER events_append_only_replace BEFORE INSERT ON events
           WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
           BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"""
    )
    # The ticket version each event made, so a refused save lists only what changed since.
    db.execute("ALTER TABLE events ADD COLUMN version INTEGER")


def local_day(instant: str, tz: str) -> str:
    """The local date (ISO text) of a stored UTC instant in zone ``tz``: the day a
    report counts it on. An unknown zone counts in UTC rather than failing."""
    moment = datetime.fromisoformat(instant)
    try:
        zone = _zone(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC).date().isoformat()
    return moment.astimezone(zone).date().isoformat()


def next_month(month: str) -> str:
    """The month (``YYYY-MM``) after ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def local_midnight_utc(day: str, tz: str) -> str:
    """The stored UTC instant (ISO text) at which local date ``day`` begins in
    zone ``tz`` (in UTC for an unknown zone, as :func:`local_day` counts)."""
    try:
        zone: tzinfo = _zone(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    moment = datetime.combine(date.fromisoformat(day), time(), zone)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


@migration("0003_outcomes_carry_customer_day_and_span")
def _outcomes_for_reports(db: Database) -> None:
    # A report of a year reads every stopped clock in it, by customer, service and
    # the customer's own month: carried on the outcome, they cost no join with the
    # tickets and no date arithmetic per row. The ticket's zone never changes, so the
    # local day is fixed when the clock stops; customer and service follow the ticket.
    for column in ("customer TEXT", "service TEXT", "local_day TEXT", "span_seconds INTEGER"):
        db.execute(f"ALTER TABLE clock_outcomes ADD COLUMN {column}")
    db.execute(
        """UPDATE clock_outcomes SET (customer, service) =
               (SELECT customer, service FROM tickets t WHERE t.id = clock_outcomes.ticket_id),
           span_seconds = CAST(strftime('%s', stopped_at) AS INTEGER) - CAST(strftime('%s', started_at) AS INTEGER)"""
    )
    rows = db.execute(
        "SELECT o.rowid, o.stopped_at, t.tz FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id").fetchall()
    db.conn.executemany("UPDATE clock_outcomes SET local_day = ? WHERE rowid = ?",
                        [(local_day(stopped, tz), rowid) for rowid, stopped, tz in rows])
    db.execute("CREATE INDEX clock_outcomes_by_day ON clock_outcomes (local_day)")
    db.execute(
        """CREATE TRIGGER clock_outcomes_follow_ticket AFTER UPDATE OF customer, service ON tickets
           WHEN OLD.customer IS NOT NEW.customer OR OLD.service IS NOT NEW.service
           BEGIN UPDATE clock_outcomes SET customer = NEW.customer, service = NEW.service WHERE ticket_id = NEW.id; END"""
    )



# The months of ticket instants a change may move between report months: a local
# month is never more than 14 hours from the UTC one, so it is one of these two.
def _months_near(column: str) -> str:
    return (f"strftime('%Y-%m', {column}, '-14 hours'), strftime('%Y-%m', {column}, '+14 hours')")


@migration("0004_report_months")
def _report_months(db: Database) -> None:
    # A report of a year sums a few hundred thousand rows; each whole local month's
    # sums are kept here once they are read (report_cells, the same groups as the
    # grouped report queries, by every key) and forgotten by the triggers below as
    # soon as anything in that month changes, so a kept month is never stale.
    db.execute(
        """CREATE TABLE report_months (
            month TEXT PRIMARY KEY,
            built_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE report_cells (
            kind TEXT NOT NULL CHECK (kind IN ('opened', 'resolved', 'outcome')),
            month TEXT NOT NULL,
            customer TEXT NOT NULL,
            service TEXT,
            priority TEXT,
            contract_id INTEGER,
            level TEXT,
            clock TEXT,
            met INTEGER,
            calls INTEGER NOT NULL,
            billable INTEGER NOT NULL,
            hours REAL NOT NULL,
            ids TEXT NOT NULL,
            used TEXT,
            span TEXT,
            paused INTEGER NOT NULL,
            pauses TEXT
        )"""
    )
    db.execute("CREATE INDEX report_cells_by_month ON report_cells (month, kind)")
    # The worst misses of a period, most late first; the zones calls were logged in.
    db.execute("CREATE INDEX clock_outcomes_missed ON clock_outcomes (late_seconds DESC, ticket_id, clock) WHERE met = 0")
    db.execute("CREATE INDEX tickets_by_zone ON tickets (tz, customer)")
    forget = "DELETE FROM report_months WHERE month IN ({})"
    for when, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        db.execute(
            f"""CREATE TRIGGER report_months_outcome_{when.lower()} AFTER {when} ON clock_outcomes
                BEGIN {forget.format(f"substr({row}.local_day, 1, 7)")}; END"""
        )
        db.execute(
            f"""CREATE TRIGGER report_months_ticket_{when.lower()} AFTER {when} ON tickets
                BEGIN {forget.format(_months_near(f"{row}.reported_at") + ", " + _months_near(f"{row}.resolved_at"))}; END"""
        )
    db.execute(
        f"""CREATE TRIGGER report_months_outcome_update AFTER UPDATE ON clock_outcomes
            BEGIN {forget.format("substr(OLD.local_day, 1, 7), substr(NEW.local_day, 1, 7)")}; END"""
    )
    # A call's keys are in the sums of the month it was reported in and of the one it
    # was resolved in; its resolution alone moves it between the latter.
    columns = "reported_at, customer, service, priority, contract_id, billable, estimate_hours, tz"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns.split(", "))
    near = ", ".join(_months_near(f"{row}.{c}") for row in ("OLD", "NEW") for c in ("reported_at", "resolved_at"))
    db.execute(
        f"""CREATE TRIGGER report_months_ticket_update AFTER UPDATE OF {columns} ON tickets
            WHEN {changed}
            BEGIN {forget.format(near)}; END"""
    )
    db.execute(
        f"""CREATE TRIGGER report_months_ticket_resolved AFTER UPDATE OF resolved_at ON tickets
            WHEN OLD.resolved_at IS NOT NEW.resolved_at
            BEGIN {forget.format(_months_near("OLD.resolved_at") + ", " + _months_near("NEW.resolved_at"))}; END"""
    )


@migration("0005_operators")
def _operators(db: Database) -> None:
    # The people who may sign in to a served board: a password hash (argon2; NULL
    # for one known only through an authenticating proxy), disabled rather than
    # deleted (their past work keeps their name), and failed sign-ins for lockout.
    db.execute(
        """CREATE TABLE operators (
            name TEXT PRIMARY KEY,
            password_hash TEXT,
            created_at TEXT NOT NULL,
            disabled_at TEXT,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            last_login_at TEXT
        )"""
    )


# Every mail slaboard has taken in (and, later, sent): by its Message-ID, so a
# message delivered twice is seen once and a reply finds the call it answers.
MAIL_MESSAGES = """CREATE TABLE mail_messages (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        ticket_id INTEGER REFERENCES tickets(id),
        communication_id INTEGER REFERENCES communications(id),
        customer TEXT REFERENCES customers(key),
        sender TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        sent_at TEXT,
        received_at TEXT NOT NULL,
        disposition TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    )"""
MAIL_MESSAGES_BY_TICKET = "CREATE INDEX mail_messages_by_ticket ON mail_messages (ticket_id)"


@migration("0006_mail_messages")
def _mail_messages(db: Database) -> None:
    db.execute(MAIL_MESSAGES)
    db.execute(MAIL_MESSAGES_BY_TICKET)


# Mail that leaves: a message is written here in the same transaction as its log
# entry and sent after commit, by whichever process claims it first (a claim has
# a deadline, so a flusher that died frees it; one that died mid-send leaves it
# "sending" for an operator to decide, never to be sent twice unasked).
OUTBOX = """CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets(id),
        communication_id INTEGER REFERENCES communications(id),
        customer TEXT REFERENCES customers(key),
        recipients TEXT NOT NULL,
        subject TEXT NOT NULL,
        message TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        sent_at TEXT
    )"""
OUTBOX_DUE = "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('queued', 'sending')"
OUTBOX_FAILED = "CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed'"  # the board counts them
OUTBOX_BY_COMMUNICATION = "CREATE INDEX outbox_by_communication ON outbox (communication_id)"  # the log's states
# The files that came with inbound mail: kept up to the size limit of the
# settings; a larger one is listed by name and size with why it was refused.
MAIL_ATTACHMENTS = """CREATE TABLE mail_attachments (
        id INTEGER PRIMARY KEY,
        mail_id INTEGER NOT NULL REFERENCES mail_messages(id),
        ticket_id INTEGER REFERENCES tickets(id),
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL DEFAULT '',
        content BLOB,
        refused TEXT NOT NULL DEFAULT ''
    )"""
MAIL_ATTACHMENTS_INDEXES = [
    "CREATE INDEX mail_attachments_by_ticket ON mail_attachments (ticket_id)",
    "CREATE INDEX mail_attachments_by_mail ON mail_attachments (mail_id)",
]
# An unmatched message (no customer yet) keeps its text and sender here until an
# operator names the customer and it becomes a call.
MAIL_MESSAGES_MORE = [
    "ALTER TABLE mail_messages ADD COLUMN sender_name TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE mail_messages ADD COLUMN body TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX mail_messages_unmatched ON mail_messages (received_at) WHERE disposition = 'unmatched'",
]


@migration("0007_mail_out")
def _mail_out(db: Database) -> None:
    for statement in (OUTBOX, OUTBOX_DUE, OUTBOX_FAILED, OUTBOX_BY_COMMUNICATION, MAIL_ATTACHMENTS, *MAIL_ATTACHMENTS_INDEXES, *MAIL_MESSAGES_MORE):
        db.execute(statement)

# The time people worked on calls, and the months billed. A time entry is covered
# or billable as the contract's rules decide at billing (service covered, contract
# valid that day, block hours left, in the order the work was done), unless an
# operator decided otherwise with a reason (``billable`` set). ``ended_at`` and
# ``minutes`` are NULL while its timer runs; one running timer per operator and
# call. ``period`` is the month (YYYY-MM) of its start in the customer's zone.
TIME_ENTRIES = """CREATE TABLE time_entries (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        customer TEXT NOT NULL REFERENCES customers(key),
        operator TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        minutes INTEGER,
        note TEXT NOT NULL DEFAULT '',
        billable INTEGER,
        billable_reason TEXT NOT NULL DEFAULT '',
        period TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )"""
TIME_ENTRIES_INDEXES = [
    "CREATE INDEX time_entries_by_ticket ON time_entries (ticket_id, started_at)",
    "CREATE INDEX time_entries_by_period ON time_entries (period, customer, started_at)",
    "CREATE INDEX time_entries_by_operator ON time_entries (operator, started_at)",
    "CREATE UNIQUE INDEX time_entries_one_timer ON time_entries (operator, ticket_id) WHERE ended_at IS NULL",
]
# A month closed for billing: its entries can no longer change, and its figures as
# they were closed are what every later billing of it gives.
BILLING_PERIODS = """CREATE TABLE billing_periods (
        period TEXT PRIMARY KEY,
        closed_at TEXT NOT NULL,
        closed_by TEXT NOT NULL,
        figures TEXT NOT NULL
    )"""
_CLOSED = "SELECT RAISE(ABORT, 'the billing period is closed: a correction is a new entry in an open period')"
TIME_ENTRIES_GUARDS = [
    f"""CREATE TRIGGER time_entries_closed_insert BEFORE INSERT ON time_entries
       WHEN EXISTS (SELECT 1 FROM billing_periods WHERE period = NEW.period) BEGIN {_CLOSED}; END""",
    f"""CREATE TRIGGER time_entries_closed_update BEFORE UPDATE ON time_entries
       WHEN EXISTS (SELECT 1 FROM billing_periods WHERE period IN (OLD.period, NEW.period)) BEGIN {_CLOSED}; END""",
    f"""CREATE TRIGGER time_entries_closed_delete BEFORE DELETE ON time_entries
       WHEN EXISTS (SELECT 1 FROM billing_periods WHERE period = OLD.period) BEGIN {_CLOSED}; END""",
]


@migration("0008_time_entries")
def _time_entries(db: Database) -> None:
    for statement in (TIME_ENTRIES, *TIME_ENTRIES_INDEXES, BILLING_PERIODS, *TIME_ENTRIES_GUARDS):
        db.execute(statement)


# Escalations: one row per (call, clock, threshold) told, written when it is
# queued, in the same transaction as its messages. ``instant`` is the threshold's
# instant it was queued for: a deadline that moves gives new instants, and a
# threshold whose new instant is still ahead is told again when it comes (one
# that had passed when it was told is not). The unique key is what keeps two
# watchers from telling the same instant twice.
ESCALATIONS = """CREATE TABLE escalations (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        clock TEXT NOT NULL,
        threshold TEXT NOT NULL CHECK (threshold IN ('opened', 'warning', 'critical', 'breached')),
        instant TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        queued_by TEXT NOT NULL,
        recipients TEXT NOT NULL,
        -- 0: recorded, not sent (a more severe threshold of the clock was due with
        -- it, or it passed long before a watcher saw it); note says which
        sent INTEGER NOT NULL DEFAULT 1 CHECK (sent IN (0, 1)),
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (ticket_id, clock, threshold, instant)
    )"""
ESCALATIONS_INDEXES = ["CREATE INDEX escalations_by_ticket ON escalations (ticket_id, clock, threshold, queued_at)"]
# Webhook posts waiting to go, sent and failed: retried with back-off apart from
# the mail, so a receiver that hangs or fails never holds up a message.
WEBHOOK_OUTBOX = """CREATE TABLE webhook_outbox (
        id INTEGER PRIMARY KEY,
        webhook TEXT NOT NULL,
        url TEXT NOT NULL,
        payload TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets(id),
        escalation_id INTEGER REFERENCES escalations(id),
        status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        sent_at TEXT
    )"""
WEBHOOK_OUTBOX_DUE = "CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status IN ('queued', 'sending')"


@migration("0009_escalations")
def _escalations(db: Database) -> None:
    for statement in (ESCALATIONS, *ESCALATIONS_INDEXES, WEBHOOK_OUTBOX, WEBHOOK_OUTBOX_DUE):
        db.execute(statement)


SCHEMA_VERSION = len(KNOWN_MIGRATIONS)
