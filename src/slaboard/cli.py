"""The command line. Every command is a thin call into services/; every user
mistake gets one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import builtins
import hashlib
import json
import os
import re
import sqlite3
import sys
from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from slaboard import __version__, config
from slaboard.domain import Operator
from slaboard.serve import AUTH_MODES
from slaboard.services.loading import load_files
from slaboard.services.tickets import (
    NewCall,
    ServiceError,
    TicketView,
    add_comment,
    get_view,
    open_call,
    open_views,
    recent_views,
    reopen_ticket,
    resolve_customer,
    update_ticket,
    urgency_key,
)
from slaboard.store import ConflictError, Store, StoreError
from slaboard.textfmt import compact, json_terminal_safe, local, plain, plain_block
from slaboard.timeinput import TimeInputError, parse_when

if TYPE_CHECKING:
    from slaboard.settings import MailSettings

EXIT_USER = 2


class UserError(Exception):
    """A mistake on the command line; printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {plain(message)} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USER)


def print(*values: object, sep: str = " ", end: str = "\n", file: TextIO | None = None, flush: bool = False) -> None:
    """Every line of text this module prints goes through here, so customer and
    contract text (a title holding ``ESC ]52`` or U+202E) reaches the terminal as
    visible characters, whichever command prints it (see textfmt.plain)."""
    builtins.print(plain_block(sep.join(str(v) for v in values)), end=plain_block(end), file=file or sys.stdout,
                   flush=flush)


def _json(value: Any) -> None:
    """Exact data (any JSON reader gets the text as stored), terminal-safe bytes."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(json_terminal_safe(text) + "\n")


def _when(text: str, what: str, now: datetime, tz: str) -> datetime:
    """An instant from the command line (see slaboard.timeinput)."""
    try:
        return parse_when(text, now, tz, what)
    except TimeInputError as err:
        raise UserError(str(err)) from None


def _open_store(args: argparse.Namespace, create: bool = False) -> Store:
    return Store.open(config.db_path(args.db), create=create)


# ------------------------------------------------------------------ output


def _line(view: TicketView) -> str:
    t = view.ticket
    lead = view.leading
    left = "no SLA" if lead is None and not view.clocks else (
        "stopped" if lead is None else ("paused" if lead.state == "paused" else compact(lead.remaining))
    )
    state = lead.state if lead else ("billable" if t.billable else "-")
    title = plain(t.title)
    return (
        f"#{t.id:<6} {left:>8}  {state:<9} {plain(view.customer.code):<6} {view.level:<8} {t.service:<12} "
        f"{t.priority}  {t.status:<19} {plain(t.assignee) or '-':<8} {title[:60]}"
    )


def _show(view: TicketView, events: list[Any]) -> str:
    t, tz = view.ticket, view.tz
    lines = [
        f"#{t.id} {t.title}",
        f"customer  {view.customer.name} ({view.customer.code}), {tz}",
        f"contract  {view.contract.key + ' v' + str(view.contract.version) + ', ' + view.level if view.contract else 'none (billable)'}"
        + ("; billable: service not covered" if view.contract and t.billable else ""),
        f"service   {t.service}   priority {t.priority} (impact {t.impact}, urgency {t.urgency})   status {t.status}",
        f"caller    {t.caller or '-'} via {t.channel}   assignee {t.assignee or '-'}",
        f"reported  {local(t.reported_at, tz, '%Y-%m-%d %H:%M %Z')}",
    ]
    if t.expected_at:
        lines.append(f"promised  {local(t.expected_at, tz, '%Y-%m-%d %H:%M %Z')}")
    if t.description:
        lines.append(f"details   {t.description}")
    for name, clock in view.clocks.items():
        status = clock.state if clock.stopped_ts is None else f"{clock.state} at {local(clock.stopped_at, tz, '%Y-%m-%d %H:%M')}"
        lines.append(
            f"{name:<11}{status:<24} due {local(clock.due, tz, '%Y-%m-%d %H:%M %Z')}  "
            f"target {clock.target.duration.text}, left {compact(clock.remaining)}"
        )
    if events:
        lines.append("history")
        for e in events:
            change = f"{e.field}: {e.old or '-'} -> {e.new or '-'}" if e.field else ("logged" if e.kind == "created" else "")
            note = f"  ({e.note})" if e.note else ""
            lines.append(f"  {local(e.at, tz, '%Y-%m-%d %H:%M')}  {e.operator:<10} {e.kind:<9} {change}{note}")
    return plain_block("\n".join(lines))


# ------------------------------------------------------------------ commands


def cmd_init(args: argparse.Namespace) -> int:
    path = config.db_path(args.db)
    if isinstance(path, Path):
        existed = path.exists() and path.stat().st_size > 0
    else:  # a PostgreSQL database: it exists; does it hold slaboard's tables yet?
        try:
            Store.open(path).close()
            existed = True
        except StoreError as err:
            if "is empty" not in str(err):
                raise
            existed = False
    with Store.open(path, create=True):
        pass
    if args.json:
        _json({"path": str(path), "created": not existed})
    else:
        print(f"{'opened existing' if existed else 'created'} slaboard database at {path}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    now = config.now()
    with _open_store(args) as store:
        summary = load_files(store, [Path(p) for p in args.files], now)
    if args.json:
        _json({"added": summary.added, "changed": summary.changed, "unchanged": summary.unchanged})
        return 0
    if summary.nothing_changed:
        print("nothing changed: the database already holds these definitions")
    for label, items in (("added", summary.added), ("changed", summary.changed)):
        for section, keys in items.items():
            print(f"{label} {len(keys)} {section}: {', '.join(keys)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from slaboard.services import demo as demo_service

    if not isinstance(config.db_path(args.db or "demo.db"), Path):
        raise UserError("the demo is built as a SQLite file; build it there, then copy it into PostgreSQL with "
                        "'slaboard copy FILE URL'")
    path = Path(args.db).expanduser() if args.db else demo_service.default_demo_path()
    if args.tickets < 0:
        raise UserError("--tickets must be 0 or more")
    summary = demo_service.build_demo(path, config.now(), history=args.tickets, seed=args.seed)
    if args.json:
        _json({"path": str(summary.path), "open": summary.open, "closed": summary.closed})
        return 0
    print(f"demo database at {summary.path}: {summary.open} open calls, {summary.closed} closed")
    if args.build_only:
        return 0
    return _board(path, args)


def _board(path: Path | str, args: argparse.Namespace) -> int:
    """Open the board on ``path`` (checked first, so a bad path is one line, not a
    screen that cannot start)."""
    from slaboard.settings import load_settings
    from slaboard.store.files import safety_warnings
    from slaboard.tui.app import SlaboardApp

    with Store.open(path):
        pass
    settings, problems = load_settings()
    problems = [*(safety_warnings(path) if isinstance(path, Path) else []), *problems]
    app = SlaboardApp(
        path,
        operator=config.operator_name(args.operator),
        clock=config.now,
        settings=settings,
        theme=getattr(args, "theme", None),
        notices=problems,
    )
    config.now()  # a malformed SLABOARD_NOW is reported before the screen opens
    app.run()
    return app.return_code or 0


def cmd_wall(args: argparse.Namespace) -> int:
    """The NOC wall: read-only, large type, pages by itself. A missing file is not
    an error here: an unattended wall waits for it (and says so on screen)."""
    from slaboard.settings import load_settings
    from slaboard.tui.app import WallApp

    path = config.db_path(args.db)
    if isinstance(path, Path):
        if path.is_dir():
            raise UserError(f"{path} is a directory, not a database file; give a file path with --db")
        if path.exists() and not path.is_file():
            raise UserError(f"{path} is not a regular file (a pipe, socket or device); give a database file with --db")
        if not path.parent.is_dir():
            raise UserError(f"no folder {path.parent}; give the database's path with --db")
    if args.page_seconds is not None and not 2 <= args.page_seconds <= 3600:
        raise UserError(f"--page-seconds must be between 2 and 3600, not {args.page_seconds:g}")
    settings, problems = load_settings()
    config.now()  # a malformed SLABOARD_NOW is reported before the screen opens
    app = WallApp(path, clock=config.now, settings=settings, theme=getattr(args, "theme", None),
                  page_seconds=args.page_seconds, notices=problems)
    app.run()
    return app.return_code or 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The wall (or, with --board, the board) in a web browser through textual-serve."""
    from slaboard.serve import serve

    path = config.db_path(args.db)
    with Store.open(path, readonly=True):  # a wrong path is one line; nothing is written
        pass
    if args.page_seconds is not None and not 2 <= args.page_seconds <= 3600:
        raise UserError(f"--page-seconds must be between 2 and 3600, not {args.page_seconds:g}")
    try:
        serve(path, mode="board" if args.board else "wall", host=args.host, port=args.port,
              public=args.public_url, page_seconds=args.page_seconds, theme=getattr(args, "theme", None),
              operator=args.operator, max_sessions=args.max_sessions, auth=args.auth,
              trusted_proxies=args.trusted_proxy, trusted_header=args.trusted_header)
    except OSError as err:  # the port is taken, or the address is not this machine's
        raise UserError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    return 0


def _password(args: argparse.Namespace) -> str:
    """The new password: one line of standard input with --password-stdin, else asked
    twice on the terminal (never an argument: the process list would show it)."""
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserError("--password-stdin: standard input gave no password")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on; give it on standard input with --password-stdin")
    import getpass

    first = getpass.getpass(f"new password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise UserError("the two passwords differ; nothing was changed")
    return first


def _operator_line(who: Operator, now: datetime) -> str:
    state = ("disabled" if who.disabled_at is not None else
             f"locked until {who.locked_until:%Y-%m-%d %H:%M} UTC" if who.locked_until and who.locked_until > now else
             "active")
    how = "password" if who.has_password else "proxy only"
    last = f"last sign-in {who.last_login_at:%Y-%m-%d %H:%M} UTC" if who.last_login_at else "never signed in"
    return f"{who.name:<20} {state:<30} {how:<11} {last}"


def cmd_operator_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        found = store.operators()
    now = config.now()
    if args.json:
        _json([{**who.model_dump(mode="json"), "locked": bool(who.locked_until and who.locked_until > now)}
               for who in found])
    elif not found:
        print("no operators yet; 'slaboard operator add NAME' adds one")
    else:
        for who in found:
            print(_operator_line(who, now))
    return 0


def cmd_operator_add(args: argparse.Namespace) -> int:
    from slaboard.services.operators import add_operator, checked_name, checked_password

    name = checked_name(args.name)
    password = None if args.no_password else checked_password(_password(args))
    with _open_store(args) as store:
        who = add_operator(store, name, password, config.now())
    if args.json:
        _json(who.model_dump(mode="json"))
    else:
        print(f"added operator {who.name}" + ("" if who.has_password else " (signs in only through --auth proxy)"))
    return 0


def cmd_operator_password(args: argparse.Namespace) -> int:
    from slaboard.services.operators import checked_password, set_password

    with _open_store(args) as store:
        if store.operator(args.name.strip()) is None:
            raise UserError(f"there is no operator {args.name.strip()!r}; 'slaboard operator list' shows them")
        who = set_password(store, args.name, checked_password(_password(args)))
    if args.json:
        _json(who.model_dump(mode="json"))
    else:
        print(f"set the password of {who.name}")
    return 0


def cmd_operator_disable(args: argparse.Namespace) -> int:
    from slaboard.services.operators import disable_operator

    with _open_store(args) as store:
        who = disable_operator(store, args.name, config.now())
    if args.json:
        _json(who.model_dump(mode="json"))
    else:
        print(f"disabled {who.name}: no more sign-ins; their past work keeps their name")
    return 0


def cmd_operator_enable(args: argparse.Namespace) -> int:
    from slaboard.services.operators import enable_operator

    with _open_store(args) as store:
        who = enable_operator(store, args.name)
    if args.json:
        _json(who.model_dump(mode="json"))
    else:
        print(f"enabled {who.name}")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from slaboard.settings import load_settings
    from slaboard.tui.app import key_rows
    from slaboard.tui.screens.help import markdown_key_table

    settings, _ = load_settings()
    rows = key_rows(settings.keymap)
    if args.json:
        _json([{"keys": k, "id": i, "description": d, "tooltip": t, "where": w} for k, i, d, t, w in rows])
    elif args.markdown:
        print(markdown_key_table(rows))
    else:
        for keys, binding_id, description, tooltip, where in rows:
            print(f"{where:<16} {keys:<12} {description:<16} {tooltip}  [{binding_id}]")
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    return _board(config.db_path(args.db), args)


def _new_call_from_json(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise UserError(f"--json-input: not valid JSON ({err.msg} at line {err.lineno} column {err.colno})") from None
    except RecursionError:
        raise UserError("--json-input: nested too deeply; give one flat JSON object with the call's fields") from None
    except ValueError as err:  # e.g. a number of thousands of digits
        raise UserError(f"--json-input: {err}") from None
    if not isinstance(data, dict):
        raise UserError("--json-input: give one JSON object with the call's fields")
    known = {"customer", "service", "title", "impact", "urgency", "caller", "channel", "description", "reported_at"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserError(f"--json-input: unknown field {unknown[0]!r}; known: {', '.join(sorted(known))}")
    for name in ("customer", "service", "title", "caller", "channel", "description", "reported_at"):
        if name in data and not isinstance(data[name], str):
            raise UserError(f"--json-input: {name} must be a string, not {type(data[name]).__name__}")
    for name in ("impact", "urgency"):
        if name in data and (isinstance(data[name], bool) or not isinstance(data[name], int)):
            raise UserError(f"--json-input: {name} must be 1, 2 or 3, not {data[name]!r}")
    for name in ("customer", "service", "title"):
        if not data.get(name):
            raise UserError(f"--json-input: {name} is missing")
    return data


def cmd_ticket_new(args: argparse.Namespace) -> int:
    now = config.now()
    operator = config.operator_name(args.operator)
    if args.json_input is not None:
        if args.json_input != "-":
            raise UserError("--json-input takes '-' (read the call from standard input)")
        stream = getattr(sys.stdin, "buffer", None)
        try:
            text = stream.read().decode("utf-8") if stream is not None else sys.stdin.read()
        except UnicodeDecodeError as err:
            raise UserError(f"--json-input: not UTF-8 text (byte {err.start}); send the call as UTF-8 JSON") from None
        fields = _new_call_from_json(text)
    else:
        missing = [f"--{n}" for n in ("customer", "service", "title") if not getattr(args, n)]
        if missing:
            raise UserError(f"missing {', '.join(missing)}")
        fields = {
            "customer": args.customer, "service": args.service, "title": args.title,
            "impact": args.impact, "urgency": args.urgency, "caller": args.caller or "",
            "channel": args.channel, "description": args.description or "", "reported_at": args.reported_at,
        }
    with _open_store(args) as store:
        reported = None
        if fields.get("reported_at"):
            customer = resolve_customer(store, fields["customer"])
            reported = _when(fields["reported_at"], "reported_at", now, customer.tz)
        call = NewCall(
            customer=fields["customer"], service=fields["service"], title=fields["title"],
            impact=fields.get("impact", 3), urgency=fields.get("urgency", 3), caller=fields.get("caller", ""),
            channel=fields.get("channel", "phone"), description=fields.get("description", ""), reported_at=reported,
        )
        view = open_call(store, call, operator, now)
    return _changed(args, view)


def _json_array(items: Iterable[Any]) -> None:
    """What ``_json(list(items))`` prints, written one item at a time."""
    out = sys.stdout
    first = True
    for item in items:
        text = json_terminal_safe(json.dumps(item, indent=2, ensure_ascii=False, default=str))
        out.write(("[\n" if first else ",\n") + "  " + text.replace("\n", "\n  "))
        first = False
    out.write("[]\n" if first else "\n]\n")


def cmd_ticket_list(args: argparse.Namespace) -> int:
    now = config.now()
    with _open_store(args) as store, store.read():
        # Every call (--all) is streamed from the store's cursor as it is printed,
        # so listing 200,000 calls needs no more memory than listing 100; the open
        # calls are few and must be sorted by urgency, so they are read at once.
        views: Generator[TicketView, None, None]
        if args.all:
            views = recent_views(store, now, args.limit)
        else:
            views = (v for v in sorted(open_views(store, now), key=urgency_key))
        with closing(views) as rows:  # a reader gone mid-way stops the cursor here, not later
            if args.json:
                _json_array(v.to_dict() for v in rows)
                return 0
            shown = 0
            for v in rows:
                print(_line(v))
                shown += 1
        if not shown:
            print("no open calls" if not args.all else "no calls")
    return 0


def cmd_ticket_show(args: argparse.Namespace) -> int:
    now = config.now()
    with _open_store(args) as store:
        view = get_view(store, args.id, now)
        events = store.events(args.id)
    if args.json:
        data = view.to_dict()
        data["events"] = [e.model_dump(mode="json") for e in events]
        _json(data)
    else:
        print(_show(view, events))
    return 0


def cmd_ticket_update(args: argparse.Namespace) -> int:
    now = config.now()
    operator = config.operator_name(args.operator)
    with _open_store(args) as store:
        expected = None
        if args.expected:
            expected = _when(args.expected, "--expected", now, store.ticket_zone(args.id) or "Etc/UTC")
        view = update_ticket(
            store, args.id, operator=operator, now=now, status=args.status, reason=args.reason or "",
            impact=args.impact, urgency=args.urgency, assignee=args.assignee, expected=expected,
            expected_version=args.version,
        )
    return _changed(args, view)


def _changed(args: argparse.Namespace, view: TicketView) -> int:
    if args.json:
        _json(view.to_dict())
    else:
        print(_show(view, []))
    return 0


def cmd_ticket_comment(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        event = add_comment(store, args.id, args.text, config.operator_name(args.operator), config.now())
    if args.json:
        _json(event.model_dump(mode="json"))
    else:
        print(f"comment added to #{args.id}")
    return 0


def cmd_ticket_assign(args: argparse.Namespace) -> int:
    operator = config.operator_name(args.operator)
    assignee = operator if args.name in (None, "me") else args.name
    with _open_store(args) as store:
        view = update_ticket(store, args.id, operator=operator, now=config.now(), assignee=assignee)
    return _changed(args, view)


def cmd_ticket_resolve(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        view = update_ticket(
            store, args.id, operator=config.operator_name(args.operator), now=config.now(), status="resolved",
            reason=args.note, justification=args.justification or "", require_justification=True,
        )
    return _changed(args, view)


def cmd_ticket_reopen(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        view = reopen_ticket(store, args.id, operator=config.operator_name(args.operator), now=config.now(),
                             reason=args.reason or "reopened")
    return _changed(args, view)


def cmd_ticket_diagnose(args: argparse.Namespace) -> int:
    now = config.now()
    with _open_store(args) as store:
        expected = _when(args.expected, "--expected", now, store.ticket_zone(args.id) or "Etc/UTC") if args.expected else None
        view = update_ticket(
            store, args.id, operator=config.operator_name(args.operator), now=now, diagnosis=args.diagnosis,
            category=args.category, expected=expected, estimate_hours=args.estimate_hours,
            status="diagnosing" if args.start else None,
        )
    return _changed(args, view)


def cmd_comm_add(args: argparse.Namespace) -> int:
    from slaboard.services.comms import NewCommunication, log_communication

    now = config.now()
    with _open_store(args) as store:
        tz = store.ticket_zone(args.ticket) if args.ticket else None
        if tz is None and args.customer:
            tz = resolve_customer(store, args.customer).tz
        promised = _when(args.promised, "--promised", now, tz or "Etc/UTC") if args.promised else None
        at = _when(args.at, "--at", now, tz or "Etc/UTC") if args.at else None
        if not args.customer and not args.ticket:
            raise UserError("give --customer or --ticket")
        comm = log_communication(
            store,
            NewCommunication(
                customer=args.customer or "", summary=args.summary, channel=args.channel, direction=args.direction,
                contact=args.contact or "", ticket_id=args.ticket, promised_at=promised,
                tells_of_miss=args.tells_of_miss, at=at,
            ),
            config.operator_name(args.operator),
            now,
        )
    if args.json:
        _json(comm.model_dump(mode="json"))
    else:
        print(f"logged message #{comm.id} for {comm.customer}" + (f" about #{comm.ticket_id}" if comm.ticket_id else ""))
    return 0


def cmd_comm_send(args: argparse.Namespace) -> int:
    """Mail the customer of a call: logged as sent and queued in one transaction,
    then sent at once (a server that cannot take it now leaves it queued for
    ``slaboard mail flush``)."""
    from slaboard.services.comms import draft_notice
    from slaboard.services.mailout import check_settings, flush
    from slaboard.services.mailsend import send_message

    mail = _mail_settings()
    check_settings(mail)
    now = config.now()
    operator = config.operator_name(args.operator)
    if args.text is None and not args.notice:
        raise UserError("give --text (or --notice to send the drafted notice)")
    with _open_store(args) as store:
        tz = store.ticket_zone(args.ticket) or "Etc/UTC"
        promised = _when(args.promised, "--promised", now, tz) if args.promised else None
        text = args.text
        if text is None:
            text = draft_notice(get_view(store, args.ticket, now), operator, now, mail.templates)
        to = ("", args.to) if args.to else None
        sent = send_message(store, mail, ticket_id=args.ticket, text=text, operator=operator, now=now,
                            notice=args.notice, promised_at=promised, to=to)
        report = None if args.queue_only else flush(store, mail, now)
    who = f"{sent.to[0]} <{sent.to[1]}>" if sent.to[0] else sent.to[1]
    done = report is not None and sent.outbox_id in report.sent_ids
    state = "sent" if done else "queued"
    if args.json:
        _json({"outbox": sent.outbox_id, "communication": sent.communication.id, "to": sent.to[1],
               "subject": sent.subject, "state": state})
        return 0
    print(plain(f"{state} message {sent.outbox_id} to {who}: {sent.subject}"))
    if not done:
        why = f" ({report.problem})" if report is not None and report.problem else ""
        print(plain(f"  it waits in the outbox{why}; 'slaboard mail flush' sends it"))
    return 0


def cmd_mail_preview(args: argparse.Namespace) -> int:
    """The acknowledgement a call gets, from the templates as they are now."""
    from slaboard.services.mailsend import preview

    mail = _mail_settings()
    with _open_store(args) as store:
        subject, text = preview(store, mail, args.ticket, config.now())
    if args.json:
        _json({"ticket": args.ticket, "subject": subject, "text": text})
        return 0
    print(plain(f"Subject: {subject}"))
    print()
    print(plain_block(text.rstrip("\n")))
    return 0


def cmd_comm_list(args: argparse.Namespace) -> int:
    from slaboard.services.comms import communications_of

    if not args.customer and not args.ticket:
        raise UserError("give --customer or --ticket")
    with _open_store(args) as store:
        comms = communications_of(store, ticket_id=args.ticket, customer=args.customer)
    if args.json:
        _json([c.model_dump(mode="json") for c in comms])
        return 0
    if not comms:
        print("no messages logged")
    for c in comms:
        arrow = "->" if c.direction == "out" else "<-"
        extra = f"  promised {c.promised_at.isoformat()}" if c.promised_at else ""
        about = f" #{c.ticket_id}" if c.ticket_id else ""
        print(plain(f"{c.at.isoformat()}  {c.operator:<8} {arrow} {c.contact or c.customer:<16} {c.channel:<7}{about}  {c.summary}{extra}"))
    return 0


def _minutes(text: str) -> int:
    """--minutes 45, 45m, 1h30m."""
    from slaboard.domain.models import parse_minutes

    try:
        return parse_minutes(f"{text}m" if text.strip().isdigit() else text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _time_line(entry: Any, tz: str) -> str:
    from slaboard.domain.models import minutes_text

    spent = "running" if entry.running else minutes_text(entry.minutes or 0)
    decided = "" if entry.billable is None else f"  [{'billable' if entry.billable else 'covered'}: {entry.billable_reason}]"
    return plain(f"{entry.id:>6}  #{entry.ticket_id:<6} {local(entry.started_at, tz, '%Y-%m-%d %H:%M')}  "
                 f"{entry.operator:<10} {spent:>8}  {entry.note}{decided}")


def _entry_out(args: argparse.Namespace, entry: Any, line: str) -> int:
    """A time entry as JSON (--json) or as its line."""
    if args.json:
        _json(entry.to_dict())
    else:
        print(line)
    return 0


def cmd_time_add(args: argparse.Namespace) -> int:
    from slaboard.services.timekeeping import add_entry

    now = config.now()
    with _open_store(args) as store:
        tz = store.ticket_zone(args.ticket) or "Etc/UTC"
        started = _when(args.at, "--at", now, tz) if args.at else None
        ended = _when(args.end, "--end", now, tz) if args.end else None
        billable = True if args.billable else False if args.covered else None
        entry = add_entry(store, ticket_id=args.ticket, operator=config.operator_name(args.operator), now=now,
                          minutes=args.minutes, started_at=started, ended_at=ended, note=args.note or "",
                          billable=billable, reason=args.reason or "", overlap_reason=args.overlap_reason or "")
    return _entry_out(args, entry, _time_line(entry, tz))


def cmd_time_start(args: argparse.Namespace) -> int:
    from slaboard.services.timekeeping import start_timer

    with _open_store(args) as store:
        entry = start_timer(store, args.ticket, config.operator_name(args.operator), config.now())
        tz = store.ticket_zone(args.ticket) or "Etc/UTC"
    return _entry_out(args, entry, f"timer started on #{entry.ticket_id} at {local(entry.started_at, tz, '%H:%M')}; "
                                   f"'slaboard time stop {entry.ticket_id}' logs the time")


def cmd_time_stop(args: argparse.Namespace) -> int:
    from slaboard.services.timekeeping import stop_timer

    with _open_store(args) as store:
        entry = stop_timer(store, args.ticket, config.operator_name(args.operator), config.now(), args.note or "",
                           minutes=args.minutes)
        tz = store.ticket_zone(args.ticket) or "Etc/UTC"
    return _entry_out(args, entry, _time_line(entry, tz))


def cmd_time_list(args: argparse.Namespace) -> int:
    from slaboard.services.timekeeping import time_entries

    if args.period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.period):
        raise UserError(f"--period: {args.period!r} is not a month such as 2026-11")
    with _open_store(args) as store:
        customer = resolve_customer(store, args.customer).key if args.customer else None
        # --operator NAME (the option every command has) here names whose time to list.
        found = time_entries(store, ticket_id=args.ticket, operator=args.operator, period=args.period,
                             customer=customer)
        zones = {c.key: c.tz for c in store.customers()}
    if args.json:
        _json([e.to_dict() for e in found])
        return 0
    if not found:
        print("no time logged")
    for entry in found:
        print(_time_line(entry, zones.get(entry.customer, "Etc/UTC")))
    total = sum(e.minutes or 0 for e in found)
    if found:
        from slaboard.domain.models import minutes_text

        print(f"{len(found)} entries, {minutes_text(total) if total else '0m'}")
    return 0


def cmd_time_set(args: argparse.Namespace) -> int:
    from slaboard.services.billing import set_billable
    from slaboard.services.timekeeping import time_entries

    billable = True if args.billable else False if args.covered else None
    with _open_store(args) as store:
        row = set_billable(store, args.entry, billable, args.reason or "", config.operator_name(args.operator),
                           config.now())
        entry = next(e for e in time_entries(store, ticket_id=int(row["ticket_id"])) if e.id == args.entry)
        tz = store.ticket_zone(entry.ticket_id) or "Etc/UTC"
    return _entry_out(args, entry, _time_line(entry, tz))


def _last_month(now: datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    from slaboard.services.billing import shift_period

    local_now = now.astimezone(ZoneInfo(tz))
    return shift_period(f"{local_now.year:04d}-{local_now.month:02d}", -1)


def cmd_billing(args: argparse.Namespace) -> int:
    from slaboard.reports.bills import FORMATS
    from slaboard.services.billing import bill, parse_period

    now = config.now()
    fmt = "json" if args.json else args.format
    with _open_store(args) as store:
        msp = store.msp()
        period = parse_period(args.period) if args.period else _last_month(now, msp.tz if msp else "Etc/UTC")
        customer = resolve_customer(store, args.customer).key if args.customer else None
        billing = bill(store, period, customer=customer, now=now)
    return _write_document(args, FORMATS[fmt](billing), fmt)


def cmd_billing_close(args: argparse.Namespace) -> int:
    from slaboard.services.billing import close, money_text

    with _open_store(args) as store:
        billing = close(store, args.period, config.operator_name(args.operator), config.now())
    if args.json:
        print(json_terminal_safe(json.dumps({"closed": billing.period, "customers": len(billing.bills),
                                             "total": str(billing.total), "currency": billing.msp.currency},
                                            ensure_ascii=False)))
        return 0
    print(f"closed {billing.period}: {len(billing.bills)} customers, {money_text(billing.total, billing.msp)} in all; "
          "its entries can no longer change and its figures stay as they are now")
    return 0


def cmd_contract_show(args: argparse.Namespace) -> int:
    from slaboard.services.contracts import customer_overview

    with _open_store(args) as store:
        overview = customer_overview(store, args.customer, config.now())
    if args.json:
        _json(overview.to_dict())
        return 0
    c = overview.customer
    print(f"{c.name} ({c.code}), {c.tz}")
    for contact in c.contacts:
        print(f"  contact  {contact.name}" + (f", {contact.role}" if contact.role else "") + (f", {contact.phone}" if contact.phone else "") + (f", {contact.email}" if contact.email else ""))
    if not overview.contracts:
        print("no contracts: every call is billable")
    for contract, state in overview.contracts:
        t = contract.terms
        end = t.valid_to.isoformat() if t.valid_to else "open-ended"
        rate = f", {t.hourly_rate}/h outside it" if t.hourly_rate is not None else ""
        print(f"{state:<11} {t.key} v{contract.version}: {t.level_name}, {t.valid_from.isoformat()} .. {end}, {t.price_per_month}/month{rate}")
        print(f"            services: {', '.join(t.services) or '-'}")
        for clock in ("response", "plan", "resolution"):
            targets = getattr(t, clock)
            if targets:
                print(f"            {clock:<10} " + "  ".join(f"{p} {d.text}" for p, d in sorted(targets.items())))
        for service, override in t.overrides.items():
            parts = [f"{k} {v.text if hasattr(v, 'text') else {p: d.text for p, d in v.items()}}" for k, v in override if v is not None]
            print(f"            override {service}: {', '.join(parts)}")
    if overview.billing:
        print(f"billing     {overview.billing}")
    if overview.block is not None:
        print(f"block       {overview.block.summary()}; {overview.block.lapses}")
    print(f"calendar    {overview.calendar}")
    for d, name in overview.holidays[:6]:
        print(f"  holiday   {d.isoformat()} {name}")
    print(f"open calls  {len(overview.open_calls)}" + "".join(f"\n  #{v.ticket.id} {v.ticket.title}" for v in overview.open_calls))
    q0, q1 = overview.quarter
    print(f"this quarter ({q0.isoformat()} .. {q1.isoformat()}):")
    if not overview.figures:
        print("  no targets met or missed yet")
    for level, f in overview.figures.items():
        print(f"  {level}: response {f.response_met} met / {f.response_missed} missed, resolution {f.resolution_met} met / {f.resolution_missed} missed")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from slaboard.reports import export
    from slaboard.reports.figures import build_report, parse_period

    now = config.now()
    fmt = "json" if args.json else args.format
    if args.customer is not None and not args.customer.strip():
        # An empty $CUSTOMER in a script must not quietly become the page about every customer.
        raise UserError("--customer is empty: give a customer's code, key or name, or leave it out for all customers")
    interactive = sys.stderr.isatty() and not args.json

    def progress(message: str) -> None:
        if interactive:
            sys.stderr.write(f"\r\x1b[2K{plain(message)}…")
            sys.stderr.flush()

    with _open_store(args) as store:
        period = parse_period(args.period, args.start, args.end, today=now.date())
        report = build_report(store, period, now, grouping=args.by, customer=args.customer, progress=progress)
    if interactive:
        sys.stderr.write("\r\x1b[2K")
    if fmt == "table":
        text = export.to_table(report)
    elif fmt == "json":
        text = export.to_json(report)
    elif fmt == "csv":
        text = export.to_csv(report)
    else:
        from slaboard.reports import document

        text = document.to_markdown(report) if fmt == "md" else document.to_html(report)
    return _write_document(args, text, fmt)


def _write_document(args: argparse.Namespace, text: str, fmt: str) -> int:
    """A report or bill to ``--output`` exactly as made, else to standard output:
    exact when piped or redirected, shown safe on a terminal (JSON stays JSON)."""
    if args.output:
        from slaboard.services.outputs import write_output

        database = config.db_path(args.db)
        write_output(Path(args.output), text, database if isinstance(database, Path) else None)
        print(f"wrote {args.output}", file=sys.stderr)
        return 0
    if fmt == "json":
        text = json_terminal_safe(text)
    elif fmt == "table" or sys.stdout.isatty():
        # A document piped or redirected stays exact; one shown on a terminal is shown safe.
        text = plain_block(text.replace("\r\n", "\n"))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from slaboard.services.maintenance import check

    with _open_store(args) as store:
        if args.forget_kept_sums:
            forgotten = store.forget_kept_months()
            if not args.json:
                print(f"forgot the report sums kept for {forgotten} months")
        report = check(store, config.now())
    return _print_check(args, report)


def _print_check(args: argparse.Namespace, report: object) -> int:
    from slaboard.services.maintenance import CheckReport

    assert isinstance(report, CheckReport)
    if args.json:
        _json(report.to_dict())
    else:
        print(f"{report.path}: schema {report.schema_version}, {report.tickets} tickets, {report.open_tickets} open")
        for item in report.checked:
            print(f"  checked {item}")
        for problem in report.problems:
            print(f"  PROBLEM {problem}")
        print("ok" if report.ok else f"{len(report.problems)} problems")
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from slaboard.services.maintenance import backup

    with _open_store(args) as store:
        report = backup(store, Path(args.dest).expanduser(), config.now())
    if not args.json:
        print(f"backed up to {args.dest}")
    return _print_check(args, report)


EX_DATAERR = 65  # sysexits: the input was not mail we can read
EX_TEMPFAIL = 75  # sysexits: try again later (the MTA keeps the message and retries)


def quarantine_folder(database: Path | str) -> Path:
    """Where the mailgate keeps messages it could not take: beside the database
    file, or in the user data folder for a PostgreSQL database."""
    if isinstance(database, Path):
        return database.parent / "mail-quarantine"
    import platformdirs

    return Path(platformdirs.user_data_dir("slaboard")) / "mail-quarantine"


def cmd_mailgate(args: argparse.Namespace) -> int:
    """One message on standard input, as an MTA's pipe transport hands it over; the
    exit status follows sysexits (0 taken or ignored, 65 not mail: kept aside,
    75 the database cannot be written now: the MTA retries)."""
    from slaboard.services.mailgate import MailDataError, deliver

    raw = sys.stdin.buffer.read()
    inbound = _inbound(args, "mailgate")
    database = config.db_path(args.db)
    folder = Path(args.quarantine).expanduser() if args.quarantine else quarantine_folder(database)

    def keep(why: str, code: int) -> int:
        from slaboard.store.files import write_private

        name = folder / f"{config.now().astimezone(UTC):%Y%m%dT%H%M%SZ}-{hashlib.sha256(raw).hexdigest()[:16]}.eml"
        def fill(fd: int, _partial: Path) -> None:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]

        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not name.exists():  # the same message kept once
                write_private(name, None, fill, replace=False)
        except (OSError, StoreError) as err:  # nowhere to keep it: the MTA keeps it and tries again
            sys.stderr.write(f"slaboard mailgate: {plain(why)}; it cannot be kept in {folder} either "
                             f"({plain(str(err))}); the mail system will try again\n")
            return EX_TEMPFAIL
        sys.stderr.write(f"slaboard mailgate: {plain(why)}; the message is kept in {name}\n")
        return code

    try:
        store = Store.open(database)
    except StoreError as err:
        sys.stderr.write(f"slaboard mailgate: {plain(str(err))}; the mail system will try again\n")
        return EX_TEMPFAIL
    try:
        with store:
            delivery = deliver(store, raw, config.now(), **inbound)
    except MailDataError as err:
        return keep(str(err), EX_DATAERR)
    except StoreError as err:
        sys.stderr.write(f"slaboard mailgate: {plain(str(err))}; the mail system will try again\n")
        return EX_TEMPFAIL
    except ServiceError as err:  # e.g. no contract file loaded yet: keep it, try again later
        return keep(str(err), EX_TEMPFAIL)
    except Exception as err:  # noqa: BLE001 - a message must never be lost to a fault of ours
        return keep(f"the message could not be taken ({type(err).__name__}: {err})", EX_TEMPFAIL)
    if args.json:
        _json({"disposition": delivery.disposition, "ticket": delivery.ticket_id, "reason": delivery.reason,
               "message_id": delivery.message_id})
    else:
        print(f"slaboard mailgate: {delivery.line()}")
    return 0


def cmd_mail_fetch(args: argparse.Namespace) -> int:
    from slaboard.services.mailfetch import fetch, mailbox_from_environment

    box = mailbox_from_environment()
    with _open_store(args) as store:
        try:
            report = fetch(store, box, config.now(), **_inbound(args, "mail fetch"))
        except StoreError as err:
            raise UserError(f"mail fetch: {err}; what was not taken stays in the mailbox for the next run") from None
    if args.json:
        _json({"mailbox": report.mailbox, "taken": report.taken, "failed": report.failed, "left": report.left})
    else:
        for line in report.taken:
            print(f"  {line}")
        more = f"; {report.left} left for the next run" if report.left else ""
        print(f"{report.mailbox}: {len(report.taken)} messages{more}")
    return 0


# ------------------------------------------------------------------ mail that leaves


def _mail_settings() -> MailSettings:
    """The [mail] settings with the environment over them; a problem in them (or a
    settings file that cannot be read) is a UserError here: mail sent with half
    the settings would go from the wrong address or to the wrong server."""
    from slaboard.services.mailout import mail_settings
    from slaboard.settings import load_settings

    settings, problems = load_settings()
    for problem in problems:
        if problem.startswith(("settings: mail.", "settings: [mail]", "settings file ")):
            raise UserError(problem)
    return mail_settings(settings)


def cmd_mail_test(args: argparse.Namespace) -> int:
    """A test message straight to ADDRESS (not through the outbox); exit 1 when the
    server would not take it, 2 when mail is not set up."""
    from slaboard.services.mailout import SendError, send_test

    settings = _mail_settings()
    try:
        reply = send_test(settings, args.address, config.now())
    except SendError as err:
        sys.stderr.write(f"slaboard: {plain(str(err))}\n")
        return 1
    where = settings.smtp.where() if settings.smtp else ""
    if args.json:
        _json({"to": args.address, "server": where, "reply": reply})
    else:
        print(f"sent a test message to {args.address} through {where}: {reply}")
    return 0


def cmd_mail_flush(args: argparse.Namespace) -> int:
    """Send what is due. A server that is down is no error (exit 0): the messages
    wait and the next run tries again; only a usage or settings problem exits 2."""
    from slaboard.services.mailout import check_settings, flush

    settings = _mail_settings()
    check_settings(settings)
    with _open_store(args) as store:
        report = flush(store, settings, config.now(), limit=args.limit)
    if args.json:
        _json(report.to_dict())
        return 0
    for line in report.lines:
        print(f"  {line}")
    if report.problem:
        print(f"{report.server} cannot be used now: {report.problem}; {report.waiting} messages wait for the next run")
    print(f"{report.server}: sent {report.sent}, failed {report.failed}, {report.waiting} waiting"
          + (f", {len(report.stale)} left sending (see 'slaboard mail outbox')" if report.stale else ""))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Escalations: tell whoever the rules name when a call's clock crosses a
    threshold. ``--once`` tells what is due now and exits (cron); else it runs
    until stopped (a systemd unit), sleeping until the next instant or change."""
    from slaboard.services.escalations import Watcher, flush_webhooks, run_once, send_mail
    from slaboard.services.mailout import MailError

    settings = _mail_settings()
    mail = settings if settings.configured else None
    if args.once:
        now = config.now()
        notes: list[str] = []
        with _open_store(args) as store:
            told = run_once(store, mail, now, notes)
            if mail is not None:
                try:
                    notes += send_mail(store, mail, now)
                except MailError as err:
                    raise UserError(str(err)) from None
            notes += flush_webhooks(store, config.now).lines
        if args.json:
            print(json_terminal_safe(json.dumps({"told": [t.to_dict() for t in told], "notes": notes},
                                                ensure_ascii=False)))
            return 0
        for line in [*(t.line() for t in told), *notes] or ["nothing due"]:
            print(plain(line))
        return 0
    database = config.db_path(args.db)
    watcher = Watcher(database, mail, clock=config.now,
                      log=lambda line: print(plain(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}Z {line}"), flush=True))
    print(f"watching {database} for escalations (ctrl+c stops)", flush=True)
    try:
        watcher.run()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.close()
    return 0


def cmd_mail_outbox(args: argparse.Namespace) -> int:
    """The messages not yet sent (``--all``: the sent ones too), newest first."""
    with _open_store(args) as store:
        rows = store.outbox(everything=args.all)
    shown = [{k: v for k, v in row.items() if k != "message"} for row in rows]
    if args.json:
        for row in shown:
            row["recipients"] = json.loads(row["recipients"])
        _json(shown)
        return 0
    if not shown:
        print("the outbox is empty" if args.all else "no unsent mail")
        return 0
    print(f"{'id':>6}  {'kind':<16} {'call':<7} {'status':<8} {'tries':>5}  {'next try':<20} to / subject / last error")
    for row in shown:
        call = f"#{row['ticket_id']}" if row["ticket_id"] else "-"
        when = row["sent_at"] if row["status"] == "sent" else row["next_attempt_at"]
        print(f"{row['id']:>6}  {plain(row['kind']):<16} {call:<7} {row['status']:<8} {row['attempts']:>5}  "
              f"{str(when or '-')[:19]:<20} {plain(', '.join(json.loads(row['recipients'])))}: {plain(row['subject'])}"
              + (f"  [{plain(row['last_error'])}]" if row["last_error"] else ""))
    return 0


def cmd_mail_retry(args: argparse.Namespace) -> int:
    """Queue a failed message again, or one a stopped sender left sending."""
    from slaboard.services.mailout import retry

    with _open_store(args) as store:
        line = retry(store, args.id, config.now())
    if args.json:
        _json({"id": args.id, "result": line})
    else:
        print(line)
    return 0


# ------------------------------------------------------------------ inbound mail: attachments, unmatched calls


def _inbound(args: argparse.Namespace, what: str) -> dict[str, Any]:
    """How mail is taken in: the call tag, slaboard's own address and the attachment
    limit from the [mail] settings (--tag and --own-address win), and the settings
    that acknowledge a new call. A problem in the settings never stops mail coming
    in: it is said on standard error and the defaults are used."""
    from slaboard.services.mailout import MailError, mail_settings
    from slaboard.settings import load_settings

    settings, problems = load_settings()
    for problem in problems:
        if problem.startswith(("settings: mail.", "settings: [mail]", "settings file ")):
            sys.stderr.write(f"slaboard {what}: {plain(problem)}\n")
    try:
        mail = mail_settings(settings)
    except MailError as err:
        sys.stderr.write(f"slaboard {what}: {plain(str(err))}; no acknowledgements are sent\n")
        mail = settings.mail
    return {"tag": getattr(args, "tag", None) or mail.tag, "own": getattr(args, "own_address", None) or mail.from_address,
            "attachment_limit": mail.attachment_limit, "mail": mail}


def _size(size: int) -> str:
    from slaboard.services.mailgate import size_text

    return size_text(size)


def cmd_attachment_list(args: argparse.Namespace) -> int:
    from slaboard.services.mailgate import attachment_dict

    with _open_store(args) as store:
        get_view(store, args.ticket, config.now())  # an unknown call: one line, exit 2
        found = store.attachments(ticket_id=args.ticket)
    if args.json:
        _json([attachment_dict(a) for a in found])
        return 0
    if not found:
        print(f"#{args.ticket} has no attachments")
    for a in found:
        state = f"refused: {a.refused}" if a.refused else a.content_type
        print(f"{a.id:>6}  {a.received_at.astimezone():%Y-%m-%d %H:%M}  {_size(a.size):>10}  {plain(a.filename)}  ({plain(state)})")
    return 0


def cmd_attachment_save(args: argparse.Namespace) -> int:
    from slaboard.services.mailgate import save_attachment

    target = Path(args.to).expanduser() if args.to else Path.cwd()
    with _open_store(args) as store:
        path = save_attachment(store, args.id, target, force=args.force)
    if args.json:
        _json({"attachment": args.id, "path": str(path)})
    else:
        print(f"saved to {path}")
    return 0


def cmd_mail_unmatched(args: argparse.Namespace) -> int:
    from slaboard.services.mailgate import unmatched_mail

    with _open_store(args) as store:
        waiting = unmatched_mail(store)
    if args.json:
        _json([m.to_dict() for m in waiting])
        return 0
    if not waiting:
        print("no unmatched mail")
    for m in waiting:
        files = f"  [{len(m.attachments)} attachments]" if m.attachments else ""
        hint = f"  (suggested: {m.suggested})" if m.suggested else ""
        print(f"{m.id:>6}  {m.received_at.astimezone():%Y-%m-%d %H:%M}  {plain(m.who)[:50]:<50}  "
              f"{plain(m.subject)[:60]}{files}{hint}")
    return 0


def cmd_mail_assign(args: argparse.Namespace) -> int:
    from slaboard.services.mailgate import assign_unmatched

    with _open_store(args) as store:
        view = assign_unmatched(store, args.mail, args.customer, args.service, config.operator_name(args.operator),
                                config.now(), mail=_inbound(args, "mail assign")["mail"])
    return _changed(args, view)


def cmd_mail_dismiss(args: argparse.Namespace) -> int:
    from slaboard.services.mailgate import dismiss_unmatched

    with _open_store(args) as store:
        recorded = dismiss_unmatched(store, args.mail, config.operator_name(args.operator), config.now(),
                                     args.reason or "")
    if args.json:
        _json({"mail": args.mail, "disposition": "dismissed", "reason": recorded})
    else:
        print(f"mail #{args.mail} {recorded}")
    return 0


def _add_mail_in_commands(sub: Any, msub: Any, common: Parser) -> None:
    """The parsers of the commands above (kept together, beside mail fetch)."""
    p = msub.add_parser("unmatched", parents=[common], help="mail from senders no customer is known for, oldest first")
    p.set_defaults(func=cmd_mail_unmatched)
    p = msub.add_parser("assign", parents=[common], help="make unmatched mail a call of a customer (reported when it came)")
    p.add_argument("mail", metavar="MAIL_ID", type=_bounded(1, 2**63 - 1, "a mail number"))
    p.add_argument("--customer", required=True, metavar="CUSTOMER", help="the customer's key, code or name")
    p.add_argument("--service", metavar="SERVICE", help="the service (default: the one the customer's mail goes to)")
    p.set_defaults(func=cmd_mail_assign)
    p = msub.add_parser("dismiss", parents=[common], help="set unmatched mail aside as no call (spam)")
    p.add_argument("mail", metavar="MAIL_ID", type=_bounded(1, 2**63 - 1, "a mail number"))
    p.add_argument("--reason", metavar="TEXT", help="why (recorded with your name; default: not a call)")
    p.set_defaults(func=cmd_mail_dismiss)
    attachment = sub.add_parser("attachment", parents=[common], help="files that came with customers' mail")
    asub = attachment.add_subparsers(dest="attachment_command", parser_class=Parser, metavar="ACTION", required=True)
    p = asub.add_parser("list", parents=[common], help="the attachments of a call's mail")
    p.add_argument("ticket", metavar="TICKET", type=_ticket_id)
    p.set_defaults(func=cmd_attachment_list)
    p = asub.add_parser("save", parents=[common], help="save an attachment to a file (never over one, unless --force)")
    p.add_argument("id", metavar="ID", type=_bounded(1, 2**63 - 1, "an attachment number"))
    p.add_argument("--to", metavar="PATH", help="the file, or a folder (default: its name in the current folder)")
    p.add_argument("--force", action="store_true", help="replace a file that exists")
    p.set_defaults(func=cmd_attachment_save)


def cmd_copy(args: argparse.Namespace) -> int:
    from slaboard.services.copying import copy_database

    source, destination = (config.db_path(args.source), config.db_path(args.destination))
    report = copy_database(source, destination, config.now())
    if args.json:
        _json(report.to_dict())
    else:
        print(f"copied {report.source} to {report.destination}")
        for table, n in report.counts.items():
            print(f"  {table:<16} {n:>9,}")
        print(f"  audit trail sha256 {report.trail} on both sides" if "the audit trails differ" not in report.problems
              else "  the audit trails DIFFER")
        for checked in report.checks:
            print(f"  checked {checked.path}: {'ok' if checked.ok else f'{len(checked.problems)} problems'}")
        for problem in report.problems:
            print(f"  PROBLEM {problem}")
        print("ok" if report.ok else f"{len(report.problems)} problems")
    return 0 if report.ok else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from slaboard.services.maintenance import restore

    target = config.db_path(args.db)
    if isinstance(target, Path):
        report = restore(Path(args.source).expanduser(), target, config.now())
    else:
        from slaboard.services.maintenance import restore_postgres

        report = restore_postgres(Path(args.source).expanduser(), target, config.now())
    if not args.json:
        print(f"restored {args.source} to {config.db_path(args.db)}")
    return _print_check(args, report)


# ------------------------------------------------------------------ parser


def _level(value: str) -> int:
    if value not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"must be 1, 2 or 3, not {value!r}")
    return int(value)


def _ticket_id(value: str) -> int:
    text = value.lstrip("#")
    if not text.isdigit() or len(text) > 15:
        raise argparse.ArgumentTypeError(f"{value!r} is not a ticket number")
    return int(text)


def _entry_id(value: str) -> int:
    text = value.lstrip("#")
    if not text.isdigit() or len(text) > 15:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time entry number (see slaboard time list)")
    return int(text)


def _bounded(low: int, high: int, what: str):
    """An argparse type: a whole number from ``low`` to ``high`` (SQLite holds 64 bits)."""

    def parse(value: str) -> int:
        text = value.strip()
        if not (text.isdigit() and len(text) <= 19 and low <= int(text) <= high):
            raise argparse.ArgumentTypeError(f"{value!r} is not {what} from {low} to {high}")
        return int(text)

    return parse


def _count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{value!r} must be a number from 1 to 1000000")
    return int(value)


DB_HELP = "the database file (default: $SLABOARD_DB, else the user data folder)"
DEMO_DB_HELP = ("the demo's database file (default: demo.db in the user data folder; "
                "$SLABOARD_DB is not used, so the demo never rebuilds the real database)")


def _common(default: object, db_help: str = DB_HELP) -> Parser:
    """The options every command takes. Subcommands use SUPPRESS as the default so
    an option given before the subcommand is not reset by it."""
    common = Parser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=default, help=db_help)
    common.add_argument("--operator", metavar="NAME", default=default, help="your name in the history (default: $SLABOARD_OPERATOR, else your login)")
    common.add_argument("--json", action="store_true", default=default if default is argparse.SUPPRESS else False, help="print JSON instead of text")
    return common


def build_parser() -> Parser:
    common = _common(argparse.SUPPRESS)
    theme = Parser(add_help=False)
    theme.add_argument("--theme", metavar="NAME", default=argparse.SUPPRESS,
                       help="slaboard-dark, slaboard-light, slaboard-colourblind or slaboard-contrast")
    parser = Parser(prog="slaboard", description="A live SLA board for the operators of a Managed Service Provider.", parents=[_common(None)])
    parser.add_argument("--theme", metavar="NAME", default=None, help="the board's colour theme")
    parser.add_argument("--version", action="version", version=f"slaboard {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    p = sub.add_parser("board", parents=[common, theme], help="open the board (the default)")
    p.set_defaults(func=cmd_board)
    p = sub.add_parser("wall", parents=[common, theme], help="the NOC wall: read-only, large type, pages by itself")
    p.add_argument("--page-seconds", type=float, metavar="S",
                   help="seconds per page (default: page_seconds in [wall] of the settings, else 10)")
    p.set_defaults(func=cmd_wall)
    p = sub.add_parser("serve", parents=[common, theme],
                       help="the wall (or the board) in a web browser; the board beyond loopback needs --auth")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--wall", dest="board", action="store_false", help="serve the wall, read-only (the default)")
    which.add_argument("--board", dest="board", action="store_true", help="serve the board (calls can be changed)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_bounded(1, 65535, "a port"), default=8000, help="default 8000")
    p.add_argument("--public-url", metavar="URL",
                   help="the address browsers use: a reverse proxy's, or another name of this machine")
    p.add_argument("--max-sessions", type=_bounded(1, 64, "a number of browser tabs"), default=4, metavar="N",
                   help="browser tabs served at once, each its own process (default 4)")
    p.add_argument("--page-seconds", type=float, metavar="S", help="the wall's seconds per page")
    p.set_defaults(func=cmd_serve, board=False)
    p.add_argument("--auth", choices=AUTH_MODES, default="none",
                   help="who is at the keyboard: 'login' (operators' own passwords, see 'slaboard operator'), "
                        "'proxy' (a header an authenticating reverse proxy sets), or 'none' (default; "
                        "the board then only on loopback)")
    p.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                   help="with --auth proxy: the proxy's address or network (repeatable); nothing else is served")
    p.add_argument("--trusted-header", default="X-Remote-User", metavar="NAME",
                   help="with --auth proxy: the header naming the operator (default X-Remote-User)")
    op = sub.add_parser("operator", parents=[common], help="the operators who sign in to a served board")
    osub = op.add_subparsers(dest="operator_command", parser_class=Parser, metavar="ACTION", required=True)
    p = osub.add_parser("list", parents=[common], help="every operator: password, disabled, locked, last sign-in")
    p.set_defaults(func=cmd_operator_list)
    p = osub.add_parser("add", parents=[common], help="a new operator with a password (asked twice)")
    p.add_argument("name", metavar="NAME")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input (scripts)")
    how.add_argument("--no-password", action="store_true", help="known only through --auth proxy; cannot sign in here")
    p.set_defaults(func=cmd_operator_add)
    p = osub.add_parser("password", parents=[common], help="set an operator's password (and lift a lockout)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input (scripts)")
    p.set_defaults(func=cmd_operator_password)
    p = osub.add_parser("disable", parents=[common], help="no more sign-ins; past work keeps the name")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_operator_disable)
    p = osub.add_parser("enable", parents=[common], help="sign-ins allowed again, and a lockout lifted")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_operator_enable)
    p = sub.add_parser("keys", parents=[common], help="the board's keys (with your keymap)")
    p.add_argument("--markdown", action="store_true", help="as the README's table")
    p.set_defaults(func=cmd_keys)
    p = sub.add_parser("init", parents=[common], help="create an empty database")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("load", parents=[common], help="load contract files (TOML)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_load)
    p = sub.add_parser("demo", parents=[_common(argparse.SUPPRESS, DEMO_DB_HELP), theme],
                       help="build a demo database (its own file, never $SLABOARD_DB) and open the board on it")
    p.add_argument("--tickets", type=_bounded(0, 100_000, "a number of calls"), default=300, metavar="N", help="closed calls of history (default 300)")
    p.add_argument("--seed", type=_bounded(0, 2**32 - 1, "a seed"), default=7, metavar="S", help="random seed (default 7)")
    p.add_argument("--build-only", action="store_true", help="build the database and stop")
    p.set_defaults(func=cmd_demo)

    ticket = sub.add_parser("ticket", parents=[common], help="log, list, show and change calls")
    tsub = ticket.add_subparsers(dest="ticket_command", parser_class=Parser, metavar="ACTION", required=True)
    p = tsub.add_parser("new", parents=[common], help="log a new call")
    p.add_argument("--customer", metavar="C", help="customer code, key or part of the name")
    p.add_argument("--service", metavar="S", help="service key or name")
    p.add_argument("--title", metavar="T")
    p.add_argument("--impact", type=_level, default=3, metavar="1-3", help="1 whole organisation .. 3 one user")
    p.add_argument("--urgency", type=_level, default=3, metavar="1-3", help="1 work stopped .. 3 it can wait")
    p.add_argument("--caller", metavar="NAME")
    p.add_argument("--channel", choices=("phone", "email", "portal", "monitoring"), default="phone")
    p.add_argument("--description", metavar="TEXT")
    p.add_argument("--reported-at", metavar="WHEN", help="when the customer called: ISO-8601, or '-20m' / '20m ago'")
    p.add_argument("--json-input", metavar="-", help="read the call as one JSON object from standard input")
    p.set_defaults(func=cmd_ticket_new)
    p = tsub.add_parser("list", parents=[common], help="open calls, most urgent first")
    p.add_argument("--all", action="store_true", help="every call, newest first")
    p.add_argument("--limit", type=_count, default=100, help="with --all: how many (default 100)")
    p.set_defaults(func=cmd_ticket_list)
    p = tsub.add_parser("show", parents=[common], help="one call with its clocks and history")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.set_defaults(func=cmd_ticket_show)
    p = tsub.add_parser("update", parents=[common], help="change a call")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("--status", choices=("new", "diagnosing", "in_progress", "waiting_customer", "waiting_third_party", "resolved", "closed"))
    p.add_argument("--reason", metavar="TEXT", help="why (a pause's reason, a resolution note)")
    p.add_argument("--impact", type=_level, metavar="1-3")
    p.add_argument("--urgency", type=_level, metavar="1-3")
    p.add_argument("--assignee", metavar="NAME")
    p.add_argument("--expected", metavar="WHEN", help="the resolution time promised to the customer (ISO-8601 or '+4h')")
    p.add_argument("--version", type=_bounded(1, 2**63 - 1, "a version"), metavar="N", help="refuse the change if the ticket is no longer at version N")
    p.set_defaults(func=cmd_ticket_update)
    p = tsub.add_parser("comment", parents=[common], help="add a note to a call's history")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("text", metavar="TEXT")
    p.set_defaults(func=cmd_ticket_comment)
    p = tsub.add_parser("assign", parents=[common], help="assign a call (to yourself without a name)")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("name", nargs="?", metavar="NAME")
    p.set_defaults(func=cmd_ticket_assign)
    p = tsub.add_parser("resolve", parents=[common], help="resolve a call")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("--note", required=True, metavar="TEXT", help="what was done")
    p.add_argument("--justification", metavar="TEXT", help="why it was late (needed when a target is missed)")
    p.set_defaults(func=cmd_ticket_resolve)
    p = tsub.add_parser("reopen", parents=[common], help="reopen a resolved call")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("--reason", metavar="TEXT")
    p.set_defaults(func=cmd_ticket_reopen)
    p = tsub.add_parser("diagnose", parents=[common], help="record the diagnosis and the time promised")
    p.add_argument("id", type=_ticket_id, metavar="ID")
    p.add_argument("--diagnosis", metavar="TEXT")
    p.add_argument("--category", metavar="TEXT")
    p.add_argument("--expected", metavar="WHEN", help="the resolution time to promise (ISO-8601 or '+4h')")
    p.add_argument("--estimate-hours", type=float, metavar="H", help="estimated work, for billable calls")
    p.add_argument("--start", action="store_true", help="also move the call to diagnosing")
    p.set_defaults(func=cmd_ticket_diagnose)

    comm = sub.add_parser("comm", parents=[common], help="the customer log")
    csub = comm.add_subparsers(dest="comm_command", parser_class=Parser, metavar="ACTION", required=True)
    p = csub.add_parser("add", parents=[common], help="log a message to or from a customer")
    p.add_argument("--customer", metavar="C")
    p.add_argument("--ticket", type=_ticket_id, metavar="ID")
    p.add_argument("--summary", required=True, metavar="TEXT", help="what was said")
    p.add_argument("--channel", choices=("phone", "email", "meeting", "portal"), default="phone")
    p.add_argument("--direction", choices=("out", "in"), default="out", help="out: to the customer (default)")
    p.add_argument("--contact", metavar="NAME")
    p.add_argument("--promised", metavar="WHEN", help="a new expected resolution time that was promised")
    p.add_argument("--tells-of-miss", action="store_true", help="the message told the customer a target will be missed")
    p.add_argument("--at", metavar="WHEN", help="when it was said (default now)")
    p.set_defaults(func=cmd_comm_add)
    p = csub.add_parser("send", parents=[common], help="mail the customer of a call (logged, then sent)")
    p.add_argument("ticket", type=_ticket_id, metavar="TICKET")
    p.add_argument("--text", metavar="TEXT", help="the message")
    p.add_argument("--notice", action="store_true",
                   help="it tells the customer a target will be missed (without --text: the drafted notice)")
    p.add_argument("--promised", metavar="WHEN", help="a time promised in it: the call's new expected resolution")
    p.add_argument("--to", metavar="ADDRESS", help="default: who last wrote about the call, else its caller's address")
    p.add_argument("--queue-only", action="store_true", help="leave it in the outbox for 'slaboard mail flush'")
    p.set_defaults(func=cmd_comm_send)
    p = csub.add_parser("list", parents=[common], help="the log of a customer or a call, newest first")
    p.add_argument("--customer", metavar="C")
    p.add_argument("--ticket", type=_ticket_id, metavar="ID")
    p.set_defaults(func=cmd_comm_list)

    time_ = sub.add_parser("time", parents=[common], help="time worked on calls: log it, or run a timer")
    tisub = time_.add_subparsers(dest="time_command", parser_class=Parser, metavar="ACTION", required=True)
    p = tisub.add_parser("add", parents=[common], help="log time worked on a call")
    p.add_argument("ticket", type=_ticket_id, metavar="TICKET")
    p.add_argument("--minutes", type=_minutes, metavar="M", help="how long: 45, 45m or 1h30m (at most 24h)")
    p.add_argument("--at", metavar="WHEN", help="when the work started (default: it just ended)")
    p.add_argument("--end", metavar="WHEN", help="when it ended (instead of --minutes)")
    p.add_argument("--note", metavar="TEXT", help="what was done")
    decided = p.add_mutually_exclusive_group()
    decided.add_argument("--billable", action="store_true", help="billable whatever the contract says (needs --reason)")
    decided.add_argument("--covered", action="store_true", help="covered whatever the contract says (needs --reason)")
    p.add_argument("--reason", metavar="TEXT", help="why you decide it is billable or covered")
    p.add_argument("--overlap-reason", metavar="TEXT", help="log it although it overlaps your other time, and why")
    p.set_defaults(func=cmd_time_add)
    p = tisub.add_parser("start", parents=[common], help="start your timer on a call (it survives a restart)")
    p.add_argument("ticket", type=_ticket_id, metavar="TICKET")
    p.set_defaults(func=cmd_time_start)
    p = tisub.add_parser("stop", parents=[common], help="stop your timer on a call: the time is logged")
    p.add_argument("ticket", type=_ticket_id, metavar="TICKET")
    p.add_argument("--note", metavar="TEXT", help="what was done")
    p.add_argument("--minutes", type=_minutes, metavar="M", help="how long you really worked (less than it ran)")
    p.set_defaults(func=cmd_time_stop)
    p = tisub.add_parser("list", parents=[common], help="the time logged, in the order it was worked")
    p.add_argument("--ticket", type=_ticket_id, metavar="N")
    p.add_argument("--customer", metavar="C")
    p.add_argument("--period", metavar="YYYY-MM", help="one month (in each customer's zone)")
    p.set_defaults(func=cmd_time_list)
    p = tisub.add_parser("set", parents=[common], help="decide an entry covered or billable, with a reason")
    p.add_argument("entry", type=_entry_id, metavar="ENTRY", help="the entry's number (slaboard time list)")
    decided = p.add_mutually_exclusive_group(required=True)
    decided.add_argument("--billable", action="store_true", help="billable whatever the contract says")
    decided.add_argument("--covered", action="store_true", help="covered whatever the contract says")
    decided.add_argument("--rules", action="store_true", help="back to what the contract's rules decide")
    p.add_argument("--reason", metavar="TEXT", help="why (needed with --billable and --covered)")
    p.set_defaults(func=cmd_time_set)

    p = sub.add_parser("watch", parents=[common],
                       help="escalations: tell the people and webhooks the rules name when a threshold is crossed")
    p.add_argument("--once", action="store_true", help="tell what is due now and exit (for cron)")
    p.set_defaults(func=cmd_watch)

    billing = sub.add_parser("billing", parents=[common],
                             help="a month's bills: fees, block hours, billable work and totals per customer")
    billing.add_argument("--period", metavar="YYYY-MM", help="the month (default: last month)")
    billing.add_argument("--customer", metavar="C", help="one customer")
    billing.add_argument("--format", choices=("table", "csv", "json", "md"), default="table")
    billing.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    billing.set_defaults(func=cmd_billing)
    bsub = billing.add_subparsers(dest="billing_command", parser_class=Parser, metavar="ACTION")
    p = bsub.add_parser("close", parents=[common], help="close a month: its time can no longer change, its figures stay")
    p.add_argument("period", metavar="YYYY-MM")
    p.set_defaults(func=cmd_billing_close)

    p = sub.add_parser("report", parents=[common], help="SLA figures for a period, for the customer meeting or the MSP's own review")
    p.add_argument("--customer", metavar="C",
                   help="one customer (md and html: the report to hand them; without: the MSP-wide review page)")
    p.add_argument("--period", metavar="P", help="2026-07, 2026-Q3 or 2026 (default: the last full quarter)")
    p.add_argument("--from", dest="start", metavar="DATE", help="first day of a range, like 2026-07-01")
    p.add_argument("--to", dest="end", metavar="DATE", help="last day of a range")
    p.add_argument("--by", choices=("customer", "level", "service", "priority", "contract", "month"), default="level")
    p.add_argument("--format", choices=("table", "json", "csv", "md", "html"), default="table")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("check", parents=[common], help="check the database: integrity, clocks, audit trail")
    p.add_argument("--forget-kept-sums", action="store_true",
                   help="first drop the sums reports keep for whole months (the next report reads the calls again)")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("backup", parents=[common], help="copy the database safely while boards run")
    p.add_argument("dest", metavar="DEST", help="a new file for the copy")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("mailgate", parents=[common],
                       help="take one mail message from standard input (an MTA's pipe): a new call or a reply")
    p.add_argument("--tag", metavar="TAG",
                   help="the tag in subjects that names a call: [TAG #1234] (default: tag in [mail], else SLA)")
    p.add_argument("--own-address", metavar="ADDRESS",
                   help="slaboard's own address: mail from it is ignored (default: from in [mail])")
    p.add_argument("--quarantine", metavar="FOLDER",
                   help="where messages that cannot be taken are kept (default: mail-quarantine beside the database)")
    p.set_defaults(func=cmd_mailgate)
    mail = sub.add_parser("mail", parents=[common],
                          help="mail: fetch new messages, unmatched mail; send, list and retry the outbox")
    msub = mail.add_subparsers(dest="mail_command", parser_class=Parser, metavar="ACTION", required=True)
    p = msub.add_parser("fetch", parents=[common],
                        help="take new messages from $SLABOARD_IMAP (for cron; safe on two hosts at once)")
    p.add_argument("--tag", metavar="TAG",
                   help="the tag in subjects that names a call: [TAG #1234] (default: tag in [mail], else SLA)")
    p.add_argument("--own-address", metavar="ADDRESS",
                   help="slaboard's own address: mail from it is ignored (default: from in [mail])")
    p.set_defaults(func=cmd_mail_fetch)
    # mail that leaves
    p = msub.add_parser("test", parents=[common], help="send a test message to ADDRESS now (not through the outbox)")
    p.add_argument("address", metavar="ADDRESS")
    p.set_defaults(func=cmd_mail_test)
    p = msub.add_parser("flush", parents=[common], help="send the mail that is due (from cron every minute)")
    p.add_argument("--limit", type=_bounded(1, 10_000, "a number"), default=100,
                   help="messages at most in this run (default 100)")
    p.set_defaults(func=cmd_mail_flush)
    p = msub.add_parser("outbox", parents=[common], help="the mail not sent yet, newest first")
    p.add_argument("--all", action="store_true", help="the sent mail too")
    p.set_defaults(func=cmd_mail_outbox)
    p = msub.add_parser("retry", parents=[common], help="queue a failed message again, or one left sending")
    p.add_argument("id", metavar="ID", type=_bounded(1, 2**63 - 1, "a message id"))
    p.set_defaults(func=cmd_mail_retry)
    p = msub.add_parser("preview", parents=[common],
                        help="the acknowledgement a call gets, from the mail templates as they are now")
    p.add_argument("ticket", type=_ticket_id, metavar="TICKET")
    p.set_defaults(func=cmd_mail_preview)
    _add_mail_in_commands(sub, msub, common)
    p = sub.add_parser("copy", parents=[common], help="copy a whole database to an empty one (a file to PostgreSQL, or back)")
    p.add_argument("source", metavar="SOURCE", help="a SQLite file or a PostgreSQL URL")
    p.add_argument("destination", metavar="DESTINATION", help="an empty (or new) SQLite file or PostgreSQL database")
    p.set_defaults(func=cmd_copy)
    p = sub.add_parser("restore", parents=[common], help="put a backup in place (only when nobody has the file open)")
    p.add_argument("source", metavar="BACKUP")
    p.set_defaults(func=cmd_restore)

    contract = sub.add_parser("contract", parents=[common], help="contracts")
    ksub = contract.add_subparsers(dest="contract_command", parser_class=Parser, metavar="ACTION", required=True)
    p = ksub.add_parser("show", parents=[common], help="what a customer's contracts cover and cost")
    p.add_argument("customer", metavar="CUSTOMER")
    p.set_defaults(func=cmd_contract_show)
    return parser


def _join_negative_times(argv: list[str]) -> list[str]:
    """``--reported-at -20m`` reads as an option to argparse; join such values."""
    out: list[str] = []
    it = iter(range(len(argv)))
    for i in it:
        arg = argv[i]
        if arg in ("--reported-at", "--expected", "--promised", "--at") and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{arg}={argv[i + 1]}")
            next(it, None)
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_join_negative_times(list(sys.argv[1:] if argv is None else argv)))
    if args.command is None:
        args.func = cmd_board
    try:
        return args.func(args)
    except (UserError, ServiceError, StoreError, ConflictError, config.ConfigError) as err:
        sys.stderr.write(f"slaboard: {plain(str(err))}\n")
        return EXIT_USER
    except (sqlite3.DatabaseError, UnicodeDecodeError) as err:
        # A damaged or unreadable file: say so in one line; `slaboard restore` mends it.
        sys.stderr.write(f"slaboard: the database cannot be read ({plain(str(err))}); check it with "
                         "'slaboard check' or restore a backup with 'slaboard restore'\n")
        return EXIT_USER
    except PermissionError as err:
        sys.stderr.write(f"slaboard: permission denied: {plain(str(err.filename or err))}\n")
        return EXIT_USER
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (`| head`) has gone: say nothing more, and keep Python from
        # complaining when it flushes standard output at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # no file descriptor behind stdout
            pass
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
