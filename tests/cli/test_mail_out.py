"""``slaboard mail test | flush | outbox | retry`` and ``comm send`` against a real
SMTP server the tests start: the settings come from a settings file of the test's
own and the environment, a password never reaches the command line or any output,
a server that is down is no error for flush, and every mistake is one line with
exit 2. And the whole way, as a new MSP would try it: a customer's mail through
the mailgate process opens a call and is acknowledged with its deadlines, the
operator answers from the command line, the customer's reply threads back and
resumes the waiting clock, and a server that is down loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from smtpserver import TLS_PASSWORD, SmtpServer, dead_port

from slaboard.cli import main
from slaboard.services.mailout import enqueue, mail_settings
from slaboard.settings import load_settings
from slaboard.store import Store

NOW_ISO = "2026-11-26T10:00:00+01:00"
PASSWORD = TLS_PASSWORD


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A settings file of the test's own (nothing of the user's is read) and a
    database; the settings file is returned, to be filled by the test."""
    for name in ("SLABOARD_SMTP", "SLABOARD_SMTP_PASSWORD", "SLABOARD_SMTP_CAFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = tmp_path / "settings.toml"
    monkeypatch.setenv("SLABOARD_SETTINGS", str(settings))
    monkeypatch.setenv("SLABOARD_DB", str(tmp_path / "mail.db"))
    monkeypatch.setenv("SLABOARD_NOW", NOW_ISO)
    monkeypatch.setenv("SLABOARD_OPERATOR", "ann")
    return settings


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code  # type: ignore[assignment]
        out, err = capsys.readouterr()
        assert "Traceback" not in err and PASSWORD not in out + err
        return code, out, err

    return run


def tls_settings(path: Path, server: SmtpServer, **more: str) -> None:
    lines = ['[mail]', 'from = "support@msp.example"', 'name = "Example MSP service desk"',
             f'smtp = "smtp://desk@127.0.0.1:{server.port}"', f'cafile = "{server.cert}"',
             *(f"{k} = {json.dumps(v)}" for k, v in more.items())]
    path.write_text("\n".join(lines) + "\n")


def plain_settings(path: Path, port: int) -> None:
    path.write_text(f'[mail]\nfrom = "support@msp.example"\nsmtp = "smtp+plain://127.0.0.1:{port}"\n')


def queue_some(db: Path, subjects: list[str]) -> list[int]:
    settings, _ = load_settings()
    mail = mail_settings(settings)
    from datetime import datetime

    with Store.open(db, create=True) as store:
        return [enqueue(store, mail, kind="update", to=[("Jan", "jan@acme.example")], subject=s, body="b",
                        now=datetime.fromisoformat(NOW_ISO)) for s in subjects]


def test_mail_test_sends_over_starttls_with_the_password_from_the_environment(
        env: Path, smtp_tls: SmtpServer, run, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_tls.clear()
    tls_settings(env, smtp_tls)
    monkeypatch.setenv("SLABOARD_SMTP_PASSWORD", PASSWORD)
    code, out, err = run("mail", "test", "jan@acme.example")
    assert code == 0, err
    assert out.startswith("sent a test message to jan@acme.example through smtp://desk@127.0.0.1") and "250 " in out
    assert [r.rcpt_tos for r in smtp_tls.received] == [["jan@acme.example"]]


def test_mail_test_with_the_password_file(env: Path, smtp_tls: SmtpServer, run, tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    tls_settings(env, smtp_tls, password_file=str(secret))
    assert run("mail", "test", "jan@acme.example", "--json")[0] == 0
    secret.chmod(0o644)
    code, out, err = run("mail", "test", "jan@acme.example")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "can be read by others; chmod 600" in err


def test_a_refused_login_is_one_line_and_exit_1(env: Path, smtp_tls: SmtpServer, run,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tls_settings(env, smtp_tls)
    monkeypatch.setenv("SLABOARD_SMTP_PASSWORD", "not-" + PASSWORD)
    code, out, err = run("mail", "test", "jan@acme.example")
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert "refused the user or the password" in err and "535" in err and "not-" not in err


@pytest.mark.parametrize(("settings", "environ", "said"), [
    ("", {}, "mail is not set up"),
    ('[mail]\nfrom = "support@msp.example"\nsmtp = "smtp://desk:hunter2@smtp.example"\n', {}, "holds a password"),
    ('[mail]\nfrom = "support@msp.example"\n', {"SLABOARD_SMTP": "ftp://smtp.example"}, "SLABOARD_SMTP"),
    ('[mail]\nfrom = "support@msp.example"\nsmtp = "smtp://desk@smtp.example"\n', {}, "needs a password"),
    ("[mail\n", {}, "could not be read"),
])
def test_a_settings_problem_is_one_line_and_exit_2(env: Path, run, monkeypatch: pytest.MonkeyPatch, settings: str,
                                                   environ: dict[str, str], said: str) -> None:
    env.write_text(settings)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    for command in (["mail", "test", "jan@acme.example"], ["mail", "flush"]):
        code, out, err = run(*command)
        assert (code, out) == (2, "") and err.count("\n") == 1 and said in err, err
        assert "hunter2" not in err


def test_flush_sends_and_outbox_shows_what_is_left(env: Path, smtp: SmtpServer, run) -> None:
    smtp.clear()
    plain_settings(env, smtp.port)
    db = Path(str(env.parent / "mail.db"))
    first, second = queue_some(db, ["[SLA #1001] Mail is down", "[SLA #1002] Printer"])
    code, out, _ = run("mail", "outbox")
    assert code == 0 and out.count("jan@acme.example") == 2
    assert out.index("Printer") < out.index("Mail is down")  # newest first
    code, out, _ = run("mail", "outbox", "--json")
    listed = json.loads(out)
    assert [m["id"] for m in listed] == [second, first] and listed[0]["recipients"] == ["jan@acme.example"]
    assert "message" not in listed[0]
    smtp.answer("451 4.3.0 try later")  # the first one goes later
    code, out, _ = run("mail", "flush")
    assert code == 0 and "sent 1, failed 0, 1 waiting" in out and "451 4.3.0" in out
    code, out, _ = run("mail", "outbox")
    assert out.count("jan@acme.example") == 1 and "451 4.3.0 try later" in out
    assert "no unsent mail" not in out
    assert run("mail", "outbox", "--all")[1].count("jan@acme.example") == 2
    assert len(smtp.received) == 1


def test_flush_with_the_server_down_is_no_error(env: Path, run) -> None:
    plain_settings(env, dead_port())
    queue_some(Path(str(env.parent / "mail.db")), ["one", "two"])
    code, out, err = run("mail", "flush")
    assert code == 0 and err == ""
    assert "cannot be used now" in out and "2 messages wait for the next run" in out
    code, out, _ = run("mail", "flush", "--json")
    report = json.loads(out)
    assert code == 0 and report["sent"] == 0 and report["waiting"] == 2


def test_retry_and_its_mistakes(env: Path, smtp: SmtpServer, run, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp.clear()
    plain_settings(env, smtp.port)
    [outbox_id] = queue_some(Path(str(env.parent / "mail.db")), ["one"])
    code, out, err = run("mail", "retry", str(outbox_id))
    assert (code, out) == (2, "") and "only a failed message or one left sending" in err
    code, _, err = run("mail", "retry", "4242")
    assert code == 2 and "no message 4242" in err and err.count("\n") == 1
    code, _, err = run("mail", "retry", "x")
    assert code == 2 and err.count("\n") == 1
    smtp.answer("550 5.7.1 rejected", times=8)
    for minutes in (0, 1, 3, 7, 15, 31, 63, 123):  # each flush when the message is due again
        hh, mm = divmod(9 * 60 + minutes, 60)
        monkeypatch.setenv("SLABOARD_NOW", f"2026-11-26T{hh:02d}:{mm:02d}:00+00:00")
        assert run("mail", "flush")[0] == 0
    assert "failed" in run("mail", "outbox")[1]
    code, out, _ = run("mail", "retry", str(outbox_id))
    assert code == 0 and "queued again" in out
    assert "sent 1" in run("mail", "flush")[1] and len(smtp.received) == 1


def test_the_outbox_shows_hostile_text_as_visible_characters(env: Path, smtp: SmtpServer, run) -> None:
    plain_settings(env, smtp.port)
    queue_some(Path(str(env.parent / "mail.db")), ["[SLA #1001] \x1b]52;c;ZXZpbA==\x07 mail \u202edown"])
    for argv in (["mail", "outbox"], ["mail", "outbox", "--json"]):
        code, out, _ = run(*argv)
        assert code == 0 and "mail" in out
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_the_help_lists_the_mail_commands(run) -> None:
    code, out, _ = run("mail", "--help")
    assert code == 0 and all(word in out for word in ("fetch", "test", "flush", "outbox", "retry"))


def test_mail_in_and_out_the_whole_way(env: Path, smtp: SmtpServer, run, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from slaboard.resources import data_dir
    from tests.services.test_mailgate import gate, mail

    smtp.clear()
    plain_settings(env, smtp.port)
    db = env.parent / "mail.db"
    assert run("init")[0] == 0 and run("load", str(data_dir("sample_data") / "msp.toml"))[0] == 0
    # A customer writes; the MTA hands the message to the mailgate.
    done = gate(db, mail(), tmp_path, settings=env)
    assert done.returncode == 0, done.stderr
    assert b"opened #1001: a new call for Van den Berg Transport B.V.; an acknowledgement is queued" in done.stdout
    code, out, _ = run("mail", "flush")
    assert code == 0 and "sent 1" in out
    [ack] = [r.message() for r in smtp.received]
    assert ack["Subject"] == "[SLA #1001] Mail is down" and "respond by Thu 14:00" in ack.get_content()
    # The operator answers and waits for the customer.
    code, out, err = run("comm", "send", "1001", "--text", "Which error do you see?")
    assert code == 0 and out.startswith("sent message 2 to Marieke van den Berg <marieke@vdberg-transport.example>"), err
    reply = smtp.received[-1].message()
    assert reply["In-Reply-To"] == "<m1@vdberg-transport.example>" and reply["Subject"] == "Re: [SLA #1001] Mail is down"
    code, _, err = run("ticket", "update", "1001", "--status", "waiting_customer", "--reason", "asked for the error")
    assert code == 0, err
    # The customer answers the operator's mail; it threads onto the call and resumes it.
    answer = mail(subject="Re: Mail is down", body="550 5.7.1", message_id="<m2@vdberg-transport.example>",
                  extra=f"In-Reply-To: {reply['Message-ID']}")
    done = gate(db, answer, tmp_path, settings=env, now="2026-11-26T10:30:00+01:00")
    assert done.returncode == 0 and b"logged #1001" in done.stdout and b"in progress again" in done.stdout
    code, out, _ = run("ticket", "show", "1001", "--json")
    assert json.loads(out)["status"] == "in_progress"
    # The server goes down: the notice waits in the outbox, and goes once when it is back.
    monkeypatch.setenv("SLABOARD_NOW", "2026-11-26T10:40:00+01:00")
    smtp.stop_accepting()
    try:
        code, out, err = run("comm", "send", "1001", "--notice")
        assert code == 0 and out.startswith("queued message 3") and "it waits in the outbox" in out, err
    finally:
        smtp.resume()
    assert "sent 0, failed 0, 1 waiting" in run("mail", "flush")[1]  # its next try is a minute on
    monkeypatch.setenv("SLABOARD_NOW", "2026-11-26T10:42:00+01:00")  # cron's next run, or the board's timer
    assert "sent 1" in run("mail", "flush")[1]
    assert "sent 0" in run("mail", "flush")[1]
    notices = [r for r in smtp.received if "contract promises a solution" in r.message().get_content()]
    assert len(notices) == 1 and len(smtp.received) == 3
    code, out, _ = run("comm", "list", "--ticket", "1001", "--json")
    outgoing = [c for c in json.loads(out) if c["direction"] == "out"]
    assert [c["operator"] for c in outgoing] == ["ann", "ann", "mail"] and outgoing[0]["tells_of_miss"]


def test_comm_send_mistakes_are_one_line(env: Path, smtp: SmtpServer, run) -> None:
    from slaboard.resources import data_dir

    plain_settings(env, smtp.port)
    assert run("init")[0] == 0 and run("load", str(data_dir("sample_data") / "msp.toml"))[0] == 0
    for argv, said in ((["comm", "send", "1001", "--text", "x"], "no ticket #1001"),
                       (["comm", "send", "7"], "give --text"),
                       (["ticket", "new", "--customer", "TZK", "--service", "email", "--title", "x"], None),
                       (["comm", "send", "1001", "--text", "x", "--to", "not an address"], "not an address"),
                       (["comm", "send", "1001", "--text", " "], "say what the message says")):
        code, out, err = run(*argv)
        if said is None:
            assert code == 0
            continue
        assert code == 2 and err.count("\n") == 1 and said in err, (argv, err)
    env.write_text("")  # no [mail]: sending says what to set
    code, _, err = run("comm", "send", "1001", "--text", "x")
    assert code == 2 and "mail is not set up" in err
