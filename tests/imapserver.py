"""A real IMAP server for the tests: Debian's dovecot, with a configuration, a
self-signed certificate and mailboxes in a temporary folder, listening for IMAPS
on a free loopback port only, run as an unprivileged user (``.ci/run`` installs
dovecot-imapd)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from pgserver import Unavailable  # one "the programs are not there" for every server the tests start

DOVECOT = "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ImapServer:
    def __init__(self, users: dict[str, str]) -> None:
        if not Path(DOVECOT).exists():
            raise Unavailable("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
        if not shutil.which("openssl"):
            raise Unavailable("openssl is not installed")
        self.users = users
        self.root = Path(tempfile.mkdtemp(prefix="slaboard-imap-"))
        self.port = _free_port()
        self.cert = self.root / "cert.pem"
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() != 0 else "nobody"

    def start(self) -> ImapServer:
        r = self.root
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(r / "key.pem"),
                        "-out", str(self.cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
        for sub in ("run", "state", "home"):
            (r / sub).mkdir()
        (r / "users").write_text("".join(f"{name}:{{PLAIN}}{password}\n" for name, password in self.users.items()))
        entry = pwd.getpwnam(self.user)
        group = "nogroup" if self.user == "nobody" else entry.pw_name
        (r / "dovecot.conf").write_text(f"""base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{r}/key.pem
default_internal_user = {self.user}
default_internal_group = {group}
default_login_user = {self.user}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/users
}}
userdb {{
  driver = static
  args = uid={self.user} gid={group} home={r}/home/%u
}}
mail_location = maildir:~/Maildir
auth_mechanisms = plain
namespace inbox {{
  inbox = yes
  separator = /
}}
""")
        if os.geteuid() == 0:
            for path in [r, *r.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(r, 0o755)
        as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []} if os.geteuid() == 0 else {}
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(r / "dovecot.conf")], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, **as_user)  # type: ignore[call-overload]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        log = (r / "dovecot.log").read_text(errors="replace") if (r / "dovecot.log").exists() else ""
        self.close()
        raise Unavailable(f"dovecot did not start: {log[-1500:]}")

    def client(self, user: str) -> imaplib.IMAP4_SSL:
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=ssl.create_default_context(cafile=str(self.cert)))
        conn.login(user, self.users[user])
        return conn

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client(user)
        try:
            conn.append(folder, None, None, raw)
        finally:
            conn.logout()

    def count(self, user: str, folder: str) -> int:
        conn = self.client(user)
        try:
            status, data = conn.select(folder, readonly=True)
            return int(data[0]) if status == "OK" else -1
        finally:
            conn.logout()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)
