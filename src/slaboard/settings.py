"""The operator's settings file: a TOML file in the user config folder.

```toml
theme = "slaboard-dark"          # or slaboard-light, slaboard-colourblind, slaboard-contrast
refresh_interval = 1.0           # seconds between checks for other operators' changes
bell = false                     # ring the terminal bell on a new breach (the wall)

[keymap]                         # binding id = key(s)
"board.filter" = "ctrl+f"

[wall]
page_seconds = 10
theme = "slaboard-contrast"
```

A broken file never stops slaboard: it starts with the defaults and says why.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DEFAULT_THEME = "slaboard-dark"
WALL_THEME = "slaboard-contrast"


@dataclass
class Settings:
    theme: str = DEFAULT_THEME
    refresh_interval: float = 1.0
    bell: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    wall_page_seconds: float = 10.0
    wall_theme: str = WALL_THEME


def settings_path() -> Path:
    """``SLABOARD_SETTINGS`` if set, else settings.toml in the user config folder."""
    override = os.environ.get("SLABOARD_SETTINGS")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("slaboard")) / "settings.toml"


def load_settings(path: Path | None = None) -> tuple[Settings, list[str]]:
    """The settings, and a message per problem found (each falls back to its default)."""
    path = path or settings_path()
    settings = Settings()
    problems: list[str] = []
    if not path.exists():
        return settings, problems
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return settings, [f"settings file {path} could not be read ({err}); using the defaults"]
    except RecursionError:
        return settings, [f"settings file {path} is nested too deeply to read; using the defaults"]

    def take(name: str, kind: type | tuple[type, ...], check=lambda v: True, where: dict | None = None, key: str | None = None):
        source = data if where is None else where
        value = source.get(key or name)
        if value is None:
            return None
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind) or not check(value):
            problems.append(f"settings: {name} = {value!r} is not valid; using the default")
            return None
        return value

    if (v := take("theme", str)) is not None:
        settings.theme = v
    if (v := take("refresh_interval", (int, float), lambda x: 0.2 <= x <= 60)) is not None:
        settings.refresh_interval = float(v)
    if (v := take("bell", bool)) is not None:
        settings.bell = v
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        problems.append("settings: [keymap] must be a table of binding id = key; ignored")
    else:
        for binding_id, keys in keymap.items():
            if isinstance(keys, str) and keys.strip():
                settings.keymap[str(binding_id)] = keys.strip()
            else:
                problems.append(f"settings: keymap {binding_id!r} = {keys!r} is not a key; ignored")
    wall = data.get("wall", {})
    if isinstance(wall, dict):
        if (v := take("wall.page_seconds", (int, float), lambda x: 2 <= x <= 3600, wall, "page_seconds")) is not None:
            settings.wall_page_seconds = float(v)
        if (v := take("wall.theme", str, where=wall, key="theme")) is not None:
            settings.wall_theme = v
    else:
        problems.append("settings: [wall] must be a table; ignored")
    unknown = sorted(set(data) - {"theme", "refresh_interval", "bell", "keymap", "wall"})
    problems.extend(f"settings: unknown setting {name!r}; ignored" for name in unknown)
    return settings, problems
