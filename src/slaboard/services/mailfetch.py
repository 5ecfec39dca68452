"""``slaboard mail fetch``: new messages from an IMAP mailbox, each taken as the
mailgate takes one, then moved out of the way, so that it is safe from cron every
minute and from two hosts at once.

The mailbox is named by ``SLABOARD_IMAP`` (``imaps://user@host:993/INBOX``; TLS
always: plain ``imap://`` is refused) and the password comes from
``SLABOARD_IMAP_PASSWORD`` or the file ``SLABOARD_IMAP_PASSWORD_FILE`` (readable only
by its owner), never the command line. ``SLABOARD_IMAP_CAFILE`` names a private CA.

A message taken (or deliberately ignored) is moved to ``slaboard/processed``; one
that is not mail to ``slaboard/failed`` (both made when missing): it stays on the
server, nothing is lost. When the database cannot be written the fetch stops and
leaves the rest in the mailbox for the next run. Two fetches at once may both read
a message; the Message-ID makes the second one a no-op and its move fails quietly.
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from slaboard.services.mailgate import ATTACHMENT_LIMIT, MailDataError, deliver
from slaboard.services.tickets import ServiceError
from slaboard.settings import MailSettings
from slaboard.store import Store, StoreError

PROCESSED = "slaboard/processed"
FAILED = "slaboard/failed"
BATCH = 200  # messages per run at most: a minute's cron run never runs into the next


@dataclass
class Mailbox:
    host: str
    port: int
    user: str
    folder: str
    password: str
    cafile: str | None = None

    def where(self) -> str:
        return f"imaps://{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass
class FetchReport:
    mailbox: str
    taken: list[str] = field(default_factory=list)  # one line per message
    failed: int = 0
    left: int = 0


def mailbox_from_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> Mailbox:
    url = environ.get("SLABOARD_IMAP", "").strip()
    if not url:
        raise ServiceError("mail fetch: set SLABOARD_IMAP to the mailbox, e.g. imaps://support@mail.example.com/INBOX")
    try:
        parts = urlsplit(url)
        port = parts.port or 993
    except ValueError:
        raise ServiceError(f"mail fetch: SLABOARD_IMAP is not an imaps:// address: {url!r}") from None
    if parts.scheme != "imaps":
        raise ServiceError("mail fetch: SLABOARD_IMAP must be imaps:// (the password never travels in clear text)")
    if parts.password:
        raise ServiceError("mail fetch: SLABOARD_IMAP holds a password; put it in SLABOARD_IMAP_PASSWORD or "
                           "the file SLABOARD_IMAP_PASSWORD_FILE names")
    if not parts.hostname or not parts.username:
        raise ServiceError("mail fetch: SLABOARD_IMAP needs a user and a host: imaps://user@host/INBOX")
    return Mailbox(parts.hostname, port, unquote(parts.username), unquote(parts.path.lstrip("/")) or "INBOX",
                   _password(environ), environ.get("SLABOARD_IMAP_CAFILE") or None)


def _password(environ: dict[str, str] | os._Environ[str]) -> str:
    if environ.get("SLABOARD_IMAP_PASSWORD"):
        return environ["SLABOARD_IMAP_PASSWORD"]
    name = environ.get("SLABOARD_IMAP_PASSWORD_FILE", "")
    if not name:
        raise ServiceError("mail fetch: give the password in SLABOARD_IMAP_PASSWORD or a file named by "
                           "SLABOARD_IMAP_PASSWORD_FILE")
    path = Path(name).expanduser()
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ServiceError(f"mail fetch: cannot read the password file {path}: {err.strerror or err}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ServiceError(f"mail fetch: {path} can be read by others; chmod 600 it")
    return text.strip()


def _connect(box: Mailbox) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=box.cafile)
    try:
        conn = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=30)
    except (OSError, ssl.SSLError) as err:
        raise ServiceError(f"mail fetch: cannot reach {box.where()}: {getattr(err, 'strerror', None) or err}") from None
    try:
        conn.login(box.user, box.password)
    except imaplib.IMAP4.error:
        conn.shutdown()
        raise ServiceError(f"mail fetch: {box.where()} refused the user or the password") from None
    return conn


def _ok(result: tuple[str, list[Any]]) -> list[Any]:
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(str(data))
    return data


def fetch(store: Store, box: Mailbox, now: datetime, *, tag: str = "SLA", own: str = "",
          attachment_limit: int = ATTACHMENT_LIMIT, mail: MailSettings | None = None) -> FetchReport:
    report = FetchReport(box.where())
    conn = _connect(box)
    try:
        for folder in (PROCESSED, FAILED):
            conn.create(folder)  # NO when it exists: fine
        _ok(conn.select(_quoted(box.folder)))
        found = _ok(conn.uid("SEARCH", "UNDELETED"))
        uids = [u.decode("ascii") for item in found if isinstance(item, bytes) for u in item.split()]
        report.left = max(0, len(uids) - BATCH)
        for uid in uids[:BATCH]:
            data = _ok(conn.uid("FETCH", uid, "(BODY.PEEK[])"))
            raw = next((item[1] for item in data if isinstance(item, tuple)), None)
            if raw is None:  # moved away by a fetch on another host meanwhile
                continue
            try:
                delivery = deliver(store, raw, now, tag=tag, own=own, attachment_limit=attachment_limit, mail=mail)
                report.taken.append(delivery.line())
                target = PROCESSED
            except MailDataError as err:
                report.taken.append(f"kept in {FAILED}: {err}")
                report.failed += 1
                target = FAILED
            except StoreError:
                raise  # this message and the rest stay in the mailbox for the next run
            conn.uid("MOVE", uid, _quoted(target))  # NO when another host moved it first: fine
    except imaplib.IMAP4.error as err:
        raise ServiceError(f"mail fetch: {box.where()}: {err}") from None
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return report


def _quoted(folder: str) -> str:
    return '"' + re.sub(r'(["\\])', r"\\\1", folder) + '"'
