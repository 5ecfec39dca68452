"""The README's promises that can drift: the key table comes from the bindings."""

import ast
from pathlib import Path

from slaboard.tui.app import key_rows
from slaboard.tui.screens.help import markdown_key_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_key_table_matches_the_bindings():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- keys start -->") + len("<!-- keys start -->")
    end = text.index("<!-- keys end -->")
    assert text[start:end].strip() == markdown_key_table(key_rows()), (
        "README key table is out of date: regenerate it with `slaboard keys --markdown`"
    )


def binding_ids_in_the_source() -> dict[str, str]:
    """Every ``Binding(..., id="...")`` written anywhere under src/slaboard/tui, read
    from the source text (not from the classes key_rows finds), with its file."""
    found = {}
    for path in sorted((ROOT / "src" / "slaboard" / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Binding":
                for keyword in node.keywords:
                    if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                        found[keyword.value.value] = path.name
    return found


def test_help_and_the_readme_list_every_binding_in_the_tui():
    listed = {binding_id for _keys, binding_id, *_ in key_rows()}
    missing = {i: f for i, f in binding_ids_in_the_source().items() if i not in listed}
    assert len(listed) > 100 and not missing, f"bindings in no help: {missing}"


def test_quick_start_has_exactly_two_one_line_commands():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("\n## ", text.index("## Quick start") + 5)]
    blocks = quick.split("```")[1::2]
    assert len(blocks) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in blocks)
    assert "slaboard demo" in blocks[0] and "pytest" in blocks[1]
