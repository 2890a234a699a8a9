"""``digest send`` against a real SMTP server (aiosmtpd) on 127.0.0.1, with real SQLite stores.

Checks: every recipient gets exactly one message, which parses, has both parts carrying the same
stories, and personal unsubscribe headers; a 4xx is retried; a 5xx is recorded and reported; a
sender killed with SIGKILL (a real process, ``python -m digest send``) and started again ends with
nobody missed and no second message, except a same-Message-ID copy for the one recipient whose
delivery the kill interrupted (the window SMTP cannot close; see ``digest/send.py``).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from digest.config import load_config
from digest.mail import verify_token
from digest.records import Problem
from digest.render.email import render_email_files
from digest.send import SendOptions, send_from_site
from digest.store import Store
from tests.unit.test_render import _site_data

SECRET_ENV = "DIGEST_TEST_TOKEN_SECRET"
SECRET = "a test secret, never a real one"
LIST_ID = "weekly.digest.example.org"
NOW = "2026-11-29T18:00:00Z"
REPO = Path(__file__).parents[2]


# --- a recording SMTP server -------------------------------------------------------------------


@dataclass
class Received:
    recipient: str
    message_id: str
    message: EmailMessage


@dataclass
class Recorder:
    """The aiosmtpd handler: records every accepted message; can refuse, defer and dawdle."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # 550 at RCPT
    defer: dict[str, int] = field(default_factory=dict)  # this many 451s at RCPT, then accepted
    data_delay_s: float = 0.0
    data_entered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.2 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Like a real MTA, the message is queued first and acknowledged after: a client that
        # dies during the delay never hears the 250 for a message that was delivered.
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.data_entered += 1
            for recipient in envelope.rcpt_tos:
                self.received.append(Received(recipient, str(message["Message-ID"]), message))
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        return "250 2.0.0 queued"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def by_recipient(self) -> dict[str, list[Received]]:
        grouped: dict[str, list[Received]] = defaultdict(list)
        with self.lock:
            for item in self.received:
                grouped[item.recipient].append(item)
        return dict(grouped)


class SmtpServer:
    """aiosmtpd's SMTP protocol on its own event loop in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            self.loop.create_server(lambda: SMTP(self.recorder, hostname="smtp.test"), "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    def __enter__(self) -> SmtpServer:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(Recorder()) as server:
        yield server


# --- a built site, a store and a subscriber list ---------------------------------------------


@dataclass(frozen=True)
class Workdir:
    root: Path
    config: Path
    site: Path
    store: Path
    subscribers: Path
    recipients: tuple[str, ...]


def _write_config(path: Path, store: Path, port: int, rate: int) -> None:
    path.write_text(
        f"""
[store]
path = "{store}"

[email]
from_address = "news@digest.example.org"
from_name = "Online Abuse Policy Digest"
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "none"
unsubscribe_url = "https://digest.example.org/unsubscribe/{{token}}"
unsubscribe_mailto = "unsubscribe@digest.example.org"
list_id = "{LIST_ID}"
rate_per_minute = {rate}
token_secret_env = "{SECRET_ENV}"
""",
        encoding="utf-8",
    )


def make_workdir(root: Path, port: int, count: int, rate: int = 0, csv_extra: str = "") -> Workdir:
    store, config, site = root / "store.sqlite", root / "digest.toml", root / "site"
    _write_config(config, store, port, rate)
    with Store.open(store) as opened:
        opened.save_edition("2026-W46", 1, "2026-11-09", "2026-11-15")
        opened.save_edition("2026-W48", 2, "2026-11-23", "2026-11-29")
    for output in render_email_files(_site_data(), load_config(config).email):
        target = site / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.content)
    recipients = tuple(f"reader{number:02d}@example.org" for number in range(1, count + 1))
    subscribers = root / "subscribers.csv"
    rows = "".join(f"{address},Reader {number}\n" for number, address in enumerate(recipients, 1))
    subscribers.write_text("email,name\n" + rows + csv_extra, encoding="utf-8")
    return Workdir(root, config, site, store, subscribers, recipients)


def send_in_process(work: Workdir, monkeypatch: pytest.MonkeyPatch, **options: Any) -> Any:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    from digest.cli import parse_now

    defaults: dict[str, Any] = {"site_dir": work.site, "now": parse_now(NOW), "backoff_s": 0.01}
    return send_from_site(load_config(work.config), work.subscribers, SendOptions(**{**defaults, **options}))


def send_log(work: Workdir) -> dict[str, tuple[str, int, str | None]]:
    with sqlite3.connect(work.store) as db:
        rows = db.execute(
            "SELECT recipient, status, attempts, last_error FROM sends WHERE edition_key='2026-W48'"
        )
        return {recipient: (status, attempts, error) for recipient, status, attempts, error in rows}


def start_sender(work: Workdir, output: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "digest",
        "send",
        "--config",
        str(work.config),
        "--to",
        str(work.subscribers),
    ]
    command += ["--site", str(work.site), "--now", NOW]
    environment = {**os.environ, SECRET_ENV: SECRET}
    return subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL, stderr=output, text=True
    )


def wait_for(condition: Any, timeout_s: float = 30.0) -> None:
    give_up = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < give_up, "timed out waiting"
        time.sleep(0.005)


def _stories_in(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


# --- the tests -------------------------------------------------------------------------------------


def test_every_recipient_gets_exactly_one_well_formed_personal_message(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 6)
    report = send_in_process(work, monkeypatch)
    received = smtp.recorder.by_recipient()
    assert sorted(received) == sorted(work.recipients)
    assert all(len(copies) == 1 for copies in received.values())
    assert report.sent == 6 and report.failed == report.deferred == 0
    message_ids = {copies[0].message_id for copies in received.values()}
    assert len(message_ids) == 6
    for recipient, (item,) in received.items():
        message = item.message
        assert message["To"].addresses[0].addr_spec == recipient
        assert message["Subject"] == "Online Abuse Policy Digest: Edition 2: 23 to 29 November 2026"
        assert message["List-Id"] == f"Online Abuse Policy Digest <{LIST_ID}>"
        text, html = _stories_in(message)
        for title in ("second reading", "Court hears intimate-image abuse case"):
            assert title in text and title in html
        unsubscribe = str(message["List-Unsubscribe"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "<mailto:unsubscribe@digest.example.org?subject=unsubscribe>" in unsubscribe
        url = unsubscribe.split("<", 1)[1].split(">", 1)[0]
        token = url.rsplit("/", 1)[1]
        assert verify_token(SECRET.encode(), LIST_ID, token) == recipient
        assert url in text and url in html and "UNSUBSCRIBE-TOKEN" not in text + html
    assert {status for status, _, _ in send_log(work).values()} == {"sent"}


def test_a_second_run_sends_nothing_again(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    send_in_process(work, monkeypatch)
    again = send_in_process(work, monkeypatch)
    assert smtp.recorder.count() == 3
    assert again.sent == 0 and again.already_done == 3


def test_a_temporary_failure_is_retried_until_it_succeeds(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    smtp.recorder.defer["reader02@example.org"] = 2
    report = send_in_process(work, monkeypatch)
    assert report.sent == 3 and report.deferred == 0
    assert Counter(item.recipient for item in smtp.recorder.received) == Counter(work.recipients)
    status, attempts, error = send_log(work)["reader02@example.org"]
    assert status == "sent" and attempts == 1  # the two refusals came before DATA
    assert error is not None and error.startswith("451")


def test_a_lasting_temporary_failure_is_deferred_and_a_later_run_sends_it(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 2)
    smtp.recorder.defer["reader01@example.org"] = 10
    first = send_in_process(work, monkeypatch, max_attempts=3)
    assert first.deferred == 1 and first.sent == 1
    assert send_log(work)["reader01@example.org"][0] == "deferred"
    smtp.recorder.defer.clear()
    second = send_in_process(work, monkeypatch)
    assert second.sent == 1 and second.already_done == 1
    assert Counter(item.recipient for item in smtp.recorder.received) == Counter(work.recipients)


def test_a_permanent_failure_is_recorded_reported_and_not_retried(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    smtp.recorder.refuse.add("reader03@example.org")
    report = send_in_process(work, monkeypatch)
    assert report.sent == 2 and report.failed == 1
    assert report.problems == [
        Problem("reader03@example.org (line 4)", "refused", "550 5.1.1 no such mailbox here")
    ]
    assert send_log(work)["reader03@example.org"] == ("failed", 0, "550 5.1.1 no such mailbox here")
    smtp.recorder.refuse.clear()
    assert send_in_process(work, monkeypatch).already_done == 3
    assert "reader03@example.org" not in smtp.recorder.by_recipient()


def test_bad_rows_are_reported_by_line_and_everyone_else_is_sent_to(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = (
        'not-an-address,Someone\n"broken@example.org,Quote\nx@example.org\r\nBcc: victim@example.net,Evil\n'
    )
    work = make_workdir(tmp_path, smtp.port, 2, csv_extra=extra)
    report = send_in_process(work, monkeypatch)
    assert report.sent == 2
    assert [(p.where, p.reason) for p in report.problems] == [
        (f"{work.subscribers}:4", "invalid_address"),
        (f"{work.subscribers}:5", "malformed_row"),
        (f"{work.subscribers}:6", "malformed_row"),
        (f"{work.subscribers}:7", "invalid_address"),
    ]
    assert sorted(smtp.recorder.by_recipient()) == list(work.recipients)


def test_a_dry_run_writes_the_messages_and_sends_nothing(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    report = send_in_process(work, monkeypatch, dry_run_dir=tmp_path / "outbox")
    written = sorted((tmp_path / "outbox").glob("*.eml"))
    assert [path.name for path in written] == [
        "0001-reader01_example.org.eml",
        "0002-reader02_example.org.eml",
        "0003-reader03_example.org.eml",
    ]
    assert report.written == 3 and smtp.recorder.count() == 0 and send_log(work) == {}
    message = email.message_from_bytes(written[0].read_bytes(), policy=email.policy.default)
    assert (message["To"].addresses[0].display_name, message["To"].addresses[0].addr_spec) == (
        "Reader 1",
        "reader01@example.org",
    )


# --- killed and restarted ----------------------------------------------------------------------


def _kill_and_restart(
    work: Workdir, smtp: SmtpServer, kill_when: Any
) -> tuple[dict[str, tuple[str, int, str | None]], str]:
    sender = start_sender(work)
    try:
        wait_for(kill_when)
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait(10)
    smtp.recorder.data_delay_s = 0.0
    at_kill = send_log(work)
    _write_config(work.config, work.store, smtp.port, 0)
    restarted = start_sender(work, subprocess.PIPE)
    _, stderr = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, stderr
    return at_kill, stderr


def _assert_nobody_missed(work: Workdir, smtp: SmtpServer) -> dict[str, list[Received]]:
    received = smtp.recorder.by_recipient()
    assert sorted(received) == list(work.recipients)  # nobody missed
    for copies in received.values():
        assert len({copy.message_id for copy in copies}) == 1  # any copy is the same message
    assert {status for status, _, _ in send_log(work).values()} == {"sent"}
    return received


def test_killed_outside_the_delivery_window_no_one_gets_a_second_message(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    # 150 a minute: 0.4 s between messages, so the kill lands while the sender waits its turn.
    work = make_workdir(tmp_path, smtp.port, 10, rate=150)

    def between_messages() -> bool:
        log = send_log(work) if work.store.exists() else {}
        statuses = Counter(status for status, _, _ in log.values())
        return statuses["sent"] >= 3 and statuses["sending"] == 0

    at_kill, _ = _kill_and_restart(work, smtp, between_messages)
    assert "sending" not in {status for status, _, _ in at_kill.values()}
    received = _assert_nobody_missed(work, smtp)
    assert all(len(copies) == 1 for copies in received.values())
    assert 3 <= len(at_kill) < 10


def test_killed_inside_the_delivery_window_the_one_unconfirmed_recipient_gets_the_same_message_again(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    work = make_workdir(tmp_path, smtp.port, 10)
    smtp.recorder.data_delay_s = 0.5  # the server holds each message half a second before its 250
    at_kill, stderr = _kill_and_restart(work, smtp, lambda: smtp.recorder.data_entered >= 4)
    unconfirmed = [recipient for recipient, (status, _, _) in at_kill.items() if status == "sending"]
    assert len(unconfirmed) == 1
    received = _assert_nobody_missed(work, smtp)
    copies = {recipient: len(items) for recipient, items in received.items()}
    assert copies == {recipient: 2 if recipient == unconfirmed[0] else 1 for recipient in work.recipients}
    assert "1 resent after an interrupted run" in stderr


# --- the exit code ---------------------------------------------------------------------------------


def test_a_refused_recipient_makes_the_real_command_exit_3_with_a_summary_line(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    smtp.recorder.refuse.add("reader02@example.org")
    sender = start_sender(work, subprocess.PIPE)
    _, stderr = sender.communicate(timeout=120)
    assert sender.returncode == 3, stderr
    assert stderr.splitlines()[-1] == (
        "not delivered: 1 of 3 subscribers (1 refused for good, not retried; 0 deferred, retried by the next run)"
    ), stderr
    assert sorted(smtp.recorder.by_recipient()) == ["reader01@example.org", "reader03@example.org"]


def test_every_recipient_delivered_is_exit_0_without_a_not_delivered_line(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    work = make_workdir(tmp_path, smtp.port, 3)
    sender = start_sender(work, subprocess.PIPE)
    _, stderr = sender.communicate(timeout=120)
    assert sender.returncode == 0, stderr
    assert "not delivered" not in stderr
    assert sorted(smtp.recorder.by_recipient()) == list(work.recipients)


def test_a_recipient_still_deferred_is_exit_3_and_the_next_run_delivers_it(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import functools

    import digest.send
    from digest.cli import main

    work = make_workdir(tmp_path, smtp.port, 2)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    # The command's own backoff waits 5 s, 10 s, 20 s between attempts; the test does not.
    quick = functools.partial(SendOptions, backoff_s=0.0, max_attempts=2)
    monkeypatch.setattr(digest.send, "SendOptions", quick)
    smtp.recorder.defer["reader01@example.org"] = 10
    arguments = [
        "send",
        "--config",
        str(work.config),
        "--to",
        str(work.subscribers),
        "--site",
        str(work.site),
    ]
    assert main([*arguments, "--now", NOW]) == 3
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line.startswith("not delivered: 1 of 2 subscribers (0 refused"), last_line
    assert "1 deferred, retried by the next run" in last_line
    smtp.recorder.defer.clear()
    assert main([*arguments, "--now", NOW]) == 0
    assert "not delivered" not in capsys.readouterr().err
    assert Counter(item.recipient for item in smtp.recorder.received) == Counter(work.recipients)
