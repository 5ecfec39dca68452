"""A real SMTP server for the tests: aiosmtpd on a free loopback port, in a thread
of the test process. It keeps every message it takes, and can be told to answer
the next messages with a refusal (451, 550 ...), to refuse a recipient, or to stop
listening and start again on the same port. ``tls=True`` offers STARTTLS with a
self-signed certificate made by ``openssl`` (``implicit=True``: TLS from the first
byte, as on port 465); ``users`` makes it require AUTH."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from pgserver import Unavailable  # one "the programs are not there" for every server the tests start

TLS_USER, TLS_PASSWORD = "desk", "smtp-password-123"  # what the STARTTLS server of the tests signs in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the message as it arrived (dot-stuffing undone)

    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Handler:
    """What the server does with a message: keep it, or answer as told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.answers: list[str] = []  # the next messages get these replies instead of 250
        self.refused_recipients: dict[str, str] = {}
        self.logins: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        with self.lock:
            refusal = self.refused_recipients.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
            return f"250 2.0.0 Ok: queued as Q{len(self.received)}"


class SmtpServer:
    def __init__(self, *, tls: bool = False, implicit: bool = False, users: dict[str, str] | None = None) -> None:
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            raise Unavailable("aiosmtpd is not installed (pip install -e '.[test]')") from None
        if (tls or implicit) and not shutil.which("openssl"):
            raise Unavailable("openssl is not installed")
        self.tls = tls or implicit
        self.implicit = implicit
        self.users = users or {}
        self.handler = Handler()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="slaboard-smtp-"))
        self.cert = self.root / "cert.pem"
        self.controller: Any = None

    def start(self) -> SmtpServer:
        if self.tls and not self.cert.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                            str(self.root / "key.pem"), "-out", str(self.cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                           check=True, capture_output=True, timeout=60)
        self.controller = self._controller()
        self.controller.start()
        return self

    def _controller(self) -> Any:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        options: dict[str, Any] = {}
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.cert), str(self.root / "key.pem"))
            options["ssl_context" if self.implicit else "tls_context"] = context
        if self.users:
            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = (isinstance(data, LoginPassword)
                      and self.users.get(data.login.decode()) == data.password.decode())
                if ok:
                    self.handler.logins.append(data.login.decode())
                return AuthResult(success=ok, handled=False)

            # aiosmtpd counts only STARTTLS as TLS; implicit TLS is TLS from the first byte.
            options.update(authenticator=authenticate, auth_required=True,
                           auth_require_tls=self.tls and not self.implicit)
        return Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    # -------------------------------------------------------------- what the tests tell it

    def answer(self, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` messages with ``reply`` (e.g. "451 4.3.0 try later")."""
        with self.handler.lock:
            self.handler.answers.extend([reply] * times)

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 no such user") -> None:
        with self.handler.lock:
            self.handler.refused_recipients[address] = reply

    def stop_accepting(self) -> None:
        """Stop listening: a client's connection is refused until resume()."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def resume(self) -> None:
        self.controller = self._controller()
        self.controller.start()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()
            self.handler.answers.clear()
            self.handler.refused_recipients.clear()

    def close(self) -> None:
        self.stop_accepting()
        shutil.rmtree(self.root, ignore_errors=True)


def dead_port() -> int:
    """A loopback port where nothing listens (a connection to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(server: SmtpServer | None, **more: object) -> Any:
    """Mail settings that send to ``server`` without TLS (it is on loopback); with
    None, to a loopback port where nothing listens."""
    from slaboard.settings import MailSettings, parse_smtp

    port = server.port if server is not None else dead_port()
    values: dict[str, object] = {"from_address": "support@msp.example", "name": "Example MSP service desk",
                                 "smtp": parse_smtp(f"smtp+plain://127.0.0.1:{port}"), "timeout": 10.0, **more}
    return MailSettings(**values)  # type: ignore[arg-type]
