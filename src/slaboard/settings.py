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

[mail]                           # mail that leaves (see MailSettings)
from = "support@msp.example"
name = "Example MSP service desk"
smtp = "smtp://support@smtp.msp.example:587"
password_file = "~/.config/slaboard/smtp-password"
```

A broken file never stops slaboard: it starts with the defaults and says why.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import platformdirs

DEFAULT_THEME = "slaboard-dark"
WALL_THEME = "slaboard-contrast"


SMTP_PORTS = {"smtp": 587, "smtps": 465, "smtp+plain": 25}
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024  # bytes: a KB is 1024 bytes here, as mail servers count


@dataclass(frozen=True)
class SmtpServer:
    """Where mail leaves: ``smtp`` is STARTTLS, ``smtps`` TLS from the first byte,
    ``smtp+plain`` no TLS at all (a relay on this host only)."""

    scheme: str
    host: str
    port: int
    user: str = ""

    def where(self) -> str:
        """The server as a URL to show (it never holds a password)."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


@dataclass(frozen=True)
class MailSettings:
    """The ``[mail]`` section, with the environment over it (see
    slaboard.services.mailout.mail_settings). ``configured`` says whether mail can
    leave at all; the password is read only when a message is sent."""

    from_address: str = ""
    name: str = ""
    tag: str = "SLA"
    smtp: SmtpServer | None = None
    password_file: Path | None = None
    password: str | None = field(default=None, repr=False)  # SLABOARD_SMTP_PASSWORD, when set
    cafile: str | None = None
    attachment_limit: int = DEFAULT_ATTACHMENT_LIMIT  # bytes
    acknowledge: bool = True
    templates: Path | None = None
    flush_interval: int = 60  # seconds; 0 = the board never flushes
    timeout: float = 30.0  # seconds for each exchange with the SMTP server

    @property
    def configured(self) -> bool:
        return bool(self.from_address and self.smtp)


@dataclass
class Settings:
    theme: str = DEFAULT_THEME
    refresh_interval: float = 1.0
    bell: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    wall_page_seconds: float = 10.0
    wall_theme: str = WALL_THEME
    mail: MailSettings = field(default_factory=MailSettings)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (traffic to it never leaves the host):
    ``localhost`` or a loopback address, nothing a resolver could answer otherwise."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_smtp(url: str) -> SmtpServer:
    """``smtp://[user@]host[:port]``, ``smtps://...`` or ``smtp+plain://host:port``
    (loopback only); ValueError with a line for people when it is none of these."""
    text = shown_url(url.strip())
    example = "e.g. smtp://user@smtp.example:587 or smtps://smtp.example:465"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} is not an SMTP address ({example})") from None
    scheme = parts.scheme.lower()
    if scheme not in SMTP_PORTS:
        raise ValueError(f"{text!r} must begin with smtp://, smtps:// or smtp+plain:// ({example})")
    if parts.password is not None:
        raise ValueError("the SMTP address holds a password; put it in SLABOARD_SMTP_PASSWORD or password_file")
    if not parts.hostname:
        raise ValueError(f"{text!r} names no host ({example})")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{text!r} has more than [user@]host[:port] ({example})")
    user = unquote(parts.username or "")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in user):
        raise ValueError("the SMTP user name holds control characters")
    if scheme == "smtp+plain" and not is_loopback(parts.hostname):
        raise ValueError(f"smtp+plain:// sends in clear text, so only to this host (127.0.0.1 or localhost), "
                         f"not {parts.hostname}; use smtp:// or smtps://")
    return SmtpServer(scheme, parts.hostname, port or SMTP_PORTS[scheme], user)


def shown_url(url: str) -> str:
    """A URL as it may be shown: a password in it (user:password@) as ``***``."""
    return re.sub(r"^([^:/]*://[^/@:]*):[^/@]*@", r"\1:***@", url)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$", re.I)
_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_size(text: str) -> int:
    """``"500KB"``, ``"10MB"``, ``"1GB"`` (or bytes) as a number of bytes; ValueError otherwise."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a size such as 500KB, 10MB or 1GB")
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "B").upper()])


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
    mail = data.get("mail", {})
    if isinstance(mail, dict):
        settings.mail = _mail_section(mail, problems)
    else:
        problems.append("settings: [mail] must be a table; ignored")
    unknown = sorted(set(data) - {"theme", "refresh_interval", "bell", "keymap", "wall", "mail"})
    problems.extend(f"settings: unknown setting {name!r}; ignored" for name in unknown)
    return settings, problems


_MAIL_KEYS = {"from", "name", "tag", "smtp", "password_file", "cafile", "attachment_limit", "acknowledge",
              "templates", "flush_interval"}
_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _mail_section(mail: dict, problems: list[str]) -> MailSettings:
    """The ``[mail]`` table: each bad value a problem (named ``settings: mail.KEY``,
    so a mail command can refuse to run on it) and its default kept."""
    values: dict[str, object] = {}

    def take(key: str, kind: type, convert=lambda v: v, field_name: str | None = None) -> None:
        value = mail.get(key)
        if value is None:
            return
        try:
            if isinstance(value, bool) is not (kind is bool) or not isinstance(value, kind):
                raise ValueError(f"must be {'true or false' if kind is bool else kind.__name__}")
            values[field_name or key] = convert(value)
        except ValueError as err:
            shown = shown_url(value) if isinstance(value, str) else value
            problems.append(f"settings: mail.{key} = {shown!r} is not valid ({err}); using the default")

    take("from", str, _mail_address, "from_address")
    take("name", str, _one_line)
    take("tag", str, _tag)
    take("smtp", str, parse_smtp)
    take("password_file", str, lambda v: Path(v).expanduser())
    take("cafile", str, lambda v: str(Path(v).expanduser()))
    take("attachment_limit", str, parse_size)
    take("acknowledge", bool)
    take("templates", str, lambda v: Path(v).expanduser())
    take("flush_interval", int, _interval)
    problems.extend(f"settings: unknown setting mail.{key}; ignored" for key in sorted(set(mail) - _MAIL_KEYS))
    return MailSettings(**values)  # type: ignore[arg-type]


def _mail_address(value: str) -> str:
    if len(value) > 254 or not _ADDRESS.match(value.strip()):
        raise ValueError("not a mail address such as support@msp.example")
    return value.strip()


def _one_line(value: str) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("one line of text, without control characters")
    return value.strip()


def _tag(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}", value):
        raise ValueError("letters, digits, '-' or '_', up to 20")
    return value


def _interval(value: int) -> int:
    if not 0 <= value <= 86_400:
        raise ValueError("seconds from 0 (never) to 86400")
    return value
