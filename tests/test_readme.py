"""The README's promises that can drift: the key table comes from the bindings."""

from pathlib import Path

from slaboard.tui.app import key_rows
from slaboard.tui.screens.help import markdown_key_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_key_table_matches_the_bindings():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- keys start -->") + len("<!-- keys start -->")
    end = text.index("<!-- keys end -->")
    assert text[start:end].strip() == markdown_key_table(key_rows()), (
        "README key table is out of date: regenerate it with `slaboard keys --markdown`"
    )


def test_quick_start_has_exactly_two_one_line_commands():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("\n## ", text.index("## Quick start") + 5)]
    blocks = quick.split("```")[1::2]
    assert len(blocks) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in blocks)
    assert "slaboard demo" in blocks[0] and "pytest" in blocks[1]
