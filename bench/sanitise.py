"""What the sanitiser costs: plain() over board titles against the control-only
table it replaced, and the screen guard over a full board line of safe text (the
case of every frame) and of hostile text. A report, not a test: it always exits 0.

Run from the repository root:  .venv/bin/python bench/sanitise.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from rich.segment import Segment  # noqa: E402
from rich.style import Style  # noqa: E402
from textual.color import Color  # noqa: E402

from slaboard.textfmt import plain  # noqa: E402
from slaboard.tui.text import TerminalGuard  # noqa: E402

TITLES = [
    "Outlook keeps asking for the password", "Printer on the 2nd floor offline", "VPN drops every 10 minutes",
    "Shared mailbox not syncing on iPhone", "Zürich office: Teams calls break up", "Cannot reach the file server",
]
HOSTILE = "Mail \x1b]52;c;b3duZWQ=\x07 \x1b]0;owned\x07 \x9b31m \u202eevil\u202c \u200bdown"

# The table plain() used before bidi and zero-width characters were covered: the baseline.
_OLD = {code: chr(0x2400 + code) for code in range(0x20)}
_OLD[0x7F] = "\u2421"
_OLD.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_OLD[ord("\n")] = " "
_OLD[ord("\t")] = " "


def old_plain(text: str) -> str:
    return text.translate(_OLD) if text else ""


def per_call(fn, arg, repeat: int = 20_000) -> float:  # type: ignore[no-untyped-def]
    """The median microseconds of one call, over 7 rounds."""
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(repeat):
            fn(arg)
        rounds.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(rounds)


def main() -> int:
    guard, black = TerminalGuard(), Color(0, 0, 0)
    style = Style(color="white")
    safe_line = [Segment(t[:30].ljust(32), style) for t in TITLES] + [Segment(" " * 20, style)]
    hostile_line = [*safe_line[:3], Segment(HOSTILE, style), *safe_line[3:]]
    rows = [
        ("plain(), 6 ordinary titles", per_call(lambda ts: [old_plain(t) for t in ts], TITLES),
         per_call(lambda ts: [plain(t) for t in ts], TITLES)),
        ("plain(), one hostile title", per_call(old_plain, HOSTILE), per_call(plain, HOSTILE)),
        ("guard, a 212-cell line of safe text", None, per_call(lambda s: guard.apply(s, black), safe_line)),
        ("guard, the same line with a hostile title", None, per_call(lambda s: guard.apply(s, black), hostile_line)),
    ]
    print(f"{'':<44}{'before µs':>10}{'now µs':>10}{'ratio':>8}")
    for name, before, now in rows:
        ratio = f"{now / before:.2f}×" if before else "-"
        print(f"{name:<44}{(f'{before:.2f}' if before else '-'):>10}{now:>10.2f}{ratio:>8}")
    print("(the guard's result is cached per drawn line by Textual; it runs when a line changes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
