"""The layering of DESIGN.md, read from the imports: the core never imports
Textual, the screens never touch SQLite, and nothing below the command line and
the screens reads the wall clock."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "slaboard"


def imports_of(package: str) -> dict[str, set[str]]:
    found = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(SRC))] = names
    return found


@pytest.mark.parametrize("package", ["domain", "sla", "store", "services", "reports"])
def test_core_never_imports_textual(package):
    if not (SRC / package).exists():
        pytest.fail(f"src/slaboard/{package} is missing")
    for path, names in imports_of(package).items():
        assert not any(n == "textual" or n.startswith("textual.") or n == "rich" or n.startswith("rich.") for n in names), path


def test_tui_never_imports_sqlite():
    for path, names in imports_of("tui").items():
        assert not {"sqlite3", "sqlite_utils"} & {n.split(".")[0] for n in names}, path


@pytest.mark.parametrize("package", ["domain", "sla"])
def test_pure_layers_do_no_io_and_skip_upper_layers(package):
    upper = ("slaboard.store", "slaboard.services", "slaboard.tui", "slaboard.cli", "slaboard.reports")
    for path, names in imports_of(package).items():
        assert not any(n.startswith(upper) for n in names), path
        assert not {"sqlite3", "sqlite_utils", "os", "subprocess", "socket"} & names, path


@pytest.mark.parametrize("package", ["domain", "sla", "store", "services", "reports"])
def test_no_wall_clock_below_the_interfaces(package):
    for path in sorted((SRC / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
            assert forbidden not in text, f"{path.relative_to(SRC)} calls {forbidden}"
