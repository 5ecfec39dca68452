"""A writer process for the reliability tests and the concurrency benchmark.

    python writer.py DB NAME --via store|cli --ops N [--shared 1001,1002] [--seed S]

Does N mixed writes (N = 0: until killed): new calls, status changes of its own
calls, comments, and messages to customers (about shared calls or none), either
through the services in this process or through ``python -m slaboard`` commands.
After every committed write it prints one JSON line saying exactly what it did
and flushes, so a parent can count what must be in the database even if this
process is killed. A failure prints {"op": "error", ...} (and, for the store, the
traceback on stderr); a child command's stderr is passed on in the line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

# In the cycle every step is an allowed transition from the one before it.
FIRST = "diagnosing"
CYCLE = ("in_progress", "waiting_customer", "in_progress", "resolved", "in_progress", "waiting_third_party", "diagnosing")
CUSTOMERS = ("ACME", "TUL")
SERVICES = {"ACME": ("email", "network"), "TUL": ("email", "printing")}


_STARTED = [0.0]


def say(record: dict[str, object]) -> None:
    record["ms"] = round((time.perf_counter() - _STARTED[0]) * 1000, 1)
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class Own:
    """A call this writer logged, and where it is in the status cycle."""

    def __init__(self, ticket_id: int) -> None:
        self.id = ticket_id
        self.step = -1  # -1: still new

    def next_status(self) -> str:
        self.step += 1
        return FIRST if self.step == 0 else CYCLE[(self.step - 1) % len(CYCLE)]


class StoreWay:
    def __init__(self, db: str, operator: str, now: datetime) -> None:
        from slaboard.store import Store

        self.store = Store.open(db)
        self.operator, self.now = operator, now

    def new(self, customer: str, service: str, title: str) -> int:
        from slaboard.services.tickets import NewCall, open_call

        return open_call(self.store, NewCall(customer=customer, service=service, title=title,
                                             impact=random.randint(1, 3), urgency=random.randint(1, 3)),
                         self.operator, self.now).ticket.id

    def status(self, ticket_id: int, status: str) -> int:
        from slaboard.services.tickets import update_ticket

        return update_ticket(self.store, ticket_id, operator=self.operator, now=self.now, status=status).ticket.version

    def comment(self, ticket_id: int, text: str) -> None:
        from slaboard.services.tickets import add_comment

        add_comment(self.store, ticket_id, text, self.operator, self.now)

    def comm(self, ticket_id: int | None, customer: str, summary: str) -> int:
        from slaboard.services.comms import NewCommunication, log_communication

        entry = NewCommunication(customer="" if ticket_id else customer, summary=summary, ticket_id=ticket_id)
        stored = log_communication(self.store, entry, self.operator, self.now)
        assert stored.id is not None
        return stored.id


class CliFailed(Exception):
    pass


class CliWay:
    def __init__(self, db: str, operator: str, now: datetime) -> None:
        self.db, self.operator = db, operator
        self.env = dict(os.environ, SLABOARD_OPERATOR=operator, SLABOARD_NOW=now.isoformat())

    def _run(self, *args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "slaboard", *args, "--db", self.db], capture_output=True,
                              text=True, env=self.env, timeout=120)
        if proc.returncode != 0 or proc.stderr:
            raise CliFailed(json.dumps({"cmd": list(args[:3]), "rc": proc.returncode, "stderr": proc.stderr[-3000:]}))
        return proc.stdout

    def new(self, customer: str, service: str, title: str) -> int:
        out = self._run("ticket", "new", f"--customer={customer}", f"--service={service}", f"--title={title}",
                        f"--impact={random.randint(1, 3)}", f"--urgency={random.randint(1, 3)}", "--json")
        return int(json.loads(out)["id"])

    def status(self, ticket_id: int, status: str) -> int:
        return int(json.loads(self._run("ticket", "update", str(ticket_id), f"--status={status}", "--json"))["version"])

    def comment(self, ticket_id: int, text: str) -> None:
        self._run("ticket", "comment", str(ticket_id), text)

    def comm(self, ticket_id: int | None, customer: str, summary: str) -> int:
        where = [f"--ticket={ticket_id}"] if ticket_id else [f"--customer={customer}"]
        return int(json.loads(self._run("comm", "add", *where, f"--summary={summary}", "--json"))["id"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("name")
    ap.add_argument("--via", choices=("store", "cli"), default="store")
    ap.add_argument("--ops", type=int, default=10, help="writes to do; 0: until killed")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (with --ops 0)")
    ap.add_argument("--shared", default="", help="calls every writer may comment on and message about")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", default=os.environ.get("SLABOARD_NOW", "2026-11-26T10:00:00+01:00"))
    args = ap.parse_args()
    random.seed(args.seed)
    now = datetime.fromisoformat(args.now)
    shared = [int(x) for x in args.shared.split(",") if x]
    way = (StoreWay if args.via == "store" else CliWay)(args.db, args.name, now)
    own: list[Own] = []
    failures = 0
    done = 0
    deadline = time.monotonic() + args.seconds if args.seconds else None
    while (args.ops == 0 or done < args.ops) and (deadline is None or time.monotonic() < deadline):
        n = done
        roll = random.random()
        _STARTED[0] = time.perf_counter()
        try:
            if not own or roll < 0.2:
                customer = random.choice(CUSTOMERS)
                service = random.choice(SERVICES[customer])
                title = f"{args.name} call {n}"
                ticket_id = way.new(customer, service, title)
                own.append(Own(ticket_id))
                say({"op": "new", "id": ticket_id, "title": title})
            elif roll < 0.5:
                mine = random.choice(own)
                status = mine.next_status()
                version = way.status(mine.id, status)
                say({"op": "status", "id": mine.id, "to": status, "version": version})
            elif roll < 0.75:
                target = random.choice(shared + [o.id for o in own])
                note = f"{args.name} note {n} ' \" % _ \\"
                way.comment(target, note)
                say({"op": "comment", "id": target, "note": note})
            else:
                target = random.choice(shared) if shared and random.random() < 0.7 else None
                summary = f"{args.name} message {n}"
                comm_id = way.comm(target, random.choice(CUSTOMERS), summary)
                say({"op": "comm", "id": target, "comm": comm_id, "summary": summary})
        except CliFailed as err:
            failures += 1
            say({"op": "error", "what": json.loads(str(err))})
        except Exception as err:  # noqa: BLE001 - report everything, the parent decides
            failures += 1
            traceback.print_exc()
            say({"op": "error", "what": repr(err)})
        done += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    raise SystemExit(main())
