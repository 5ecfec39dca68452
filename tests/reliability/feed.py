"""A board's live feed as a process of its own, for the reliability tests.

    python feed.py DB STOPFILE [--interval 0.1]

Polls ``slaboard.services.board.BoardFeed`` in a loop (as a board's worker does)
until STOPFILE exists, applying each snapshot to a BoardModel, then prints one
JSON line: polls, snapshots, rows on the board, errors. Every error is also
printed (with its traceback) on stderr. While it runs it holds the file open,
as a board does. It prints "ready" once the first poll has landed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from slaboard.services.board import BoardFeed, BoardModel

    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("stopfile")
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--now", default="2026-11-26T10:00:00+01:00")
    args = ap.parse_args()
    now = datetime.fromisoformat(args.now)
    feed = BoardFeed(args.db)
    model = BoardModel()
    stop = Path(args.stopfile)
    polls = snapshots = errors = 0
    ready = False
    while not stop.exists():
        try:
            snap = feed.poll(now)
            polls += 1
            if snap is not None:
                snapshots += 1
                model.apply(snap, int(now.timestamp()))
            if not ready:
                print("ready", flush=True)
                ready = True
        except Exception:  # noqa: BLE001 - counted and shown; the next poll reconnects
            errors += 1
            traceback.print_exc()
        time.sleep(args.interval)
    # One last look, so the board is compared with the file after every writer ended.
    try:
        snap = feed.poll(now)
        if snap is not None:
            model.apply(snap, int(now.timestamp()))
    except Exception:  # noqa: BLE001
        errors += 1
        traceback.print_exc()
    feed.close()
    print(json.dumps({"polls": polls, "snapshots": snapshots, "rows": sorted(model.rows), "errors": errors}), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
