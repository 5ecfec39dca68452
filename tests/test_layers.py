"""The layering of DESIGN.md, read from the imports: the core never imports
Textual, the screens never touch SQLite nor the store (they reach the data through
the services), ``tui/`` holds screens and widgets apart, and nothing below the
command line and the screens reads the wall clock."""

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


def test_tui_never_imports_the_store():
    """The screens hand a handle from ``slaboard.services.access`` to the services;
    what decides or computes lives in services/ and is tested there without Textual."""
    for path, names in imports_of("tui").items():
        assert not any(n == "slaboard.store" or n.startswith("slaboard.store.") for n in names), path


def screen_classes(path: Path) -> list[str]:
    """The classes in ``path`` that derive from Textual's Screen or ModalScreen."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            bases = {b.value.id if isinstance(b, ast.Subscript) and isinstance(b.value, ast.Name) else
                     getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
            if bases & {"Screen", "ModalScreen"}:
                found.append(node.name)
    return found


def test_tui_keeps_one_screen_per_file_and_widgets_apart():
    tui = SRC / "tui"
    assert (tui / "screens").is_dir() and (tui / "widgets").is_dir()
    for path in sorted((tui / "screens").glob("*.py")):
        if path.name != "__init__.py":
            assert len(screen_classes(path)) == 1, f"{path.name}: {screen_classes(path)}"
    for path in sorted((tui / "widgets").glob("*.py")):
        if path.name != "dialogs.py":  # small modal dialogs are widgets of the screens that open them
            assert not screen_classes(path), f"widgets/{path.name} holds a screen"
    for path in sorted(tui.glob("*.py")):
        assert not screen_classes(path), f"tui/{path.name} holds a screen; it belongs in screens/"
    for sheet in sorted(tui.rglob("*.tcss")):
        assert sheet.parent.name == "screens" and sheet.with_suffix(".py").exists(), f"{sheet.name} is not beside its screen"


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
