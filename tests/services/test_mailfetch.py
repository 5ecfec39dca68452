"""``slaboard mail fetch`` against a real IMAP server the tests start (dovecot on a
loopback port, TLS with its own certificate): new messages become calls, each is
moved out of the inbox (what is not mail to a folder of its own, nothing lost),
a second run and two runs at once take nothing twice, and a wrong password or an
absent server is one line."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import start_or_skip
from imapserver import ImapServer

from slaboard.cli import main
from slaboard.services.mailfetch import FAILED, PROCESSED, Mailbox, fetch, mailbox_from_environment
from slaboard.services.tickets import ServiceError
from slaboard.store import Store

from .test_mailgate import mail

PASSWORD = "fetch-password-123"


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    server = start_or_skip(lambda: ImapServer({"support": PASSWORD}).start(), "dovecot (IMAP)")
    yield server
    server.close()


def box(imap: ImapServer, folder: str) -> Mailbox:
    return Mailbox("127.0.0.1", imap.port, "support", folder, PASSWORD, str(imap.cert))


@pytest.fixture
def inbox(imap: ImapServer, request: pytest.FixtureRequest) -> str:
    """A folder of its own for each test (the server is shared)."""
    name = f"in-{request.node.name[-40:]}".replace("[", "-").replace("]", "")
    conn = imap.client("support")
    conn.create(f'"{name}"')
    conn.logout()
    return name


def test_new_messages_become_calls_and_leave_the_inbox(imap: ImapServer, inbox: str, loaded_store: Store,
                                                       now: datetime) -> None:
    imap.append("support", mail(), inbox)
    imap.append("support", mail(message_id="<auto@x>", extra="Auto-Submitted: auto-replied"), inbox)
    imap.append("support", b"\x00 this is not mail\n", inbox)
    report = fetch(loaded_store, box(imap, inbox), now)
    assert len(report.taken) == 3 and report.failed == 1
    assert loaded_store.count_tickets() == 1
    assert imap.count("support", inbox) == 0
    assert imap.count("support", PROCESSED) >= 2 and imap.count("support", FAILED) >= 1
    again = fetch(loaded_store, box(imap, inbox), now)
    assert again.taken == [] and loaded_store.count_tickets() == 1


def test_two_fetches_at_once_take_each_message_once(imap: ImapServer, inbox: str, loaded_store: Store,
                                                    now: datetime) -> None:
    for i in range(12):
        imap.append("support", mail(message_id=f"<twice-{i}@x>", subject=f"call {i}"), inbox)
    target = loaded_store.url if loaded_store.engine == "postgresql" else loaded_store.path  # type: ignore[attr-defined]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Store.open(target) as store:
                fetch(store, box(imap, inbox), now)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    titles = sorted(loaded_store.ticket(i).title for i in range(1001, 1001 + loaded_store.count_tickets()))  # type: ignore[union-attr]
    assert titles == sorted(f"call {i}" for i in range(12)) and imap.count("support", inbox) == 0


def test_the_mailbox_comes_from_the_environment_never_the_command_line(tmp_path: Path) -> None:
    secret = tmp_path / "imap-password"
    secret.write_text("from-the-file\n")
    secret.chmod(0o600)
    got = mailbox_from_environment({"SLABOARD_IMAP": "imaps://support@mail.example.com/Support",
                                    "SLABOARD_IMAP_PASSWORD_FILE": str(secret)})
    assert (got.host, got.port, got.user, got.folder, got.password) == ("mail.example.com", 993, "support", "Support",
                                                                         "from-the-file")
    secret.chmod(0o644)
    for env, words in (({"SLABOARD_IMAP": "imaps://support@mail.example.com/", "SLABOARD_IMAP_PASSWORD_FILE": str(secret)},
                        "can be read by others"),
                       ({"SLABOARD_IMAP": "imap://support@mail.example.com/"}, "must be imaps"),
                       ({"SLABOARD_IMAP": "imaps://support:pw@mail.example.com/"}, "holds a password"),
                       ({"SLABOARD_IMAP": "imaps://support@mail.example.com/"}, "SLABOARD_IMAP_PASSWORD"),
                       ({}, "set SLABOARD_IMAP")):
        with pytest.raises(ServiceError, match=words):
            mailbox_from_environment(env)


@pytest.mark.sqlite_only  # the command's answers; the engine is the store's
def test_the_command_says_a_wrong_password_and_an_absent_server_in_one_line(
        imap: ImapServer, loaded_store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLABOARD_IMAP_CAFILE", str(imap.cert))
    monkeypatch.setenv("SLABOARD_IMAP_PASSWORD", "not the password")
    for url, words in ((f"imaps://support@127.0.0.1:{imap.port}/INBOX", "refused the user or the password"),
                       ("imaps://support@127.0.0.1:1/INBOX", "cannot reach")):
        monkeypatch.setenv("SLABOARD_IMAP", url)
        assert main(["mail", "fetch", "--db", str(loaded_store.path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and "not the password" not in err
    monkeypatch.setenv("SLABOARD_IMAP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SLABOARD_IMAP", f"imaps://support@127.0.0.1:{imap.port}/INBOX")
    imap.append("support", mail(message_id="<cli@x>"))
    assert main(["mail", "fetch", "--db", str(loaded_store.path)]) == 0
    assert "opened #1001" in capsys.readouterr().out
