"""Themes from the shipped themes/ folder: Textual themes whose sla-* variables
colour every SLA state."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.app import App
from textual.theme import Theme

from slaboard.resources import data_dir

SLA_VARIABLES = ("sla-ok", "sla-warning", "sla-critical", "sla-breached", "sla-paused", "sla-none")
_FIELDS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background", "surface", "panel")


def load_theme(path: Path) -> Theme:
    """One theme file; raises ValueError naming the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"theme {path.name}: {err}") from None
    variables = data.get("variables", {})
    missing = [v for v in SLA_VARIABLES if v not in variables]
    if missing or "name" not in data or "primary" not in data:
        raise ValueError(f"theme {path.name}: needs name, primary and the variables {', '.join(missing or SLA_VARIABLES)}")
    return Theme(
        name=data["name"],
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        **{f: data[f] for f in _FIELDS if f in data},
    )


def shipped_themes() -> list[Theme]:
    return [load_theme(p) for p in sorted(data_dir("themes").glob("*.toml"))]


def use_theme(app: App, wanted: str, fallback: str) -> str | None:
    """Register the shipped themes on ``app`` and switch to ``wanted`` (or
    ``fallback`` when it is unknown); the notice to show, if any."""
    for theme in shipped_themes():
        app.register_theme(theme)
    if wanted in app.available_themes:
        app.theme = wanted
        return None
    app.theme = fallback
    names = ", ".join(sorted(n for n in app.available_themes if n.startswith("slaboard-")))
    return f"unknown theme {wanted!r}; using {fallback} (themes: {names})"
