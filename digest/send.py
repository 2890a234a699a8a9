"""``digest send``: deliver one built edition to every subscriber over SMTP, exactly once.

The protocol (one row per (edition, recipient) in the store's ``sends`` table)::

    (no row) / deferred --MAIL, RCPT accepted--> sending --DATA ... 250--> sent
                                                         --DATA ... 4xx--> deferred (retried, backoff)
                                                         --DATA ... 5xx--> failed (recorded, reported)

``sending`` is committed (synchronous=FULL) *before* the DATA command and ``sent`` right after
the server's 250, so a run killed at any point and started again skips every ``sent`` and
``failed`` recipient and sends to every other one. The one case SMTP cannot settle is a row left
in ``sending``: the server may or may not have accepted the message before the kill (the window
from the DATA command to the recorded 250, one message wide because messages go one at a time).
We resend it, with the same Message-ID (``mail.message_id`` is a function of list, edition and
recipient), so a copy is identical and recognisable: mailbox providers that de-duplicate by
Message-ID show it once, and the report counts it. The other choice, never resending, would turn
every ambiguous recipient into a missed one; for a newsletter a rare same-ID copy is the lesser
harm.

Only one ``digest send`` runs at a time per store (a lock file beside it); builds are not blocked.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import logging
import os
import re
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from digest import mail
from digest.config import Config, EmailConfig
from digest.errors import SendError, StoreError
from digest.records import Problem
from digest.render.common import segment
from digest.store import Store
from digest.subscribers import Subscriber, check_address, read_subscribers

log = logging.getLogger(__name__)

SENT, SENDING, DEFERRED, FAILED = "sent", "sending", "deferred", "failed"
DONE = frozenset({SENT, FAILED})  # never sent again


@dataclass(frozen=True, slots=True)
class SendOptions:
    edition: str = "latest"  # an edition key, or "latest"
    site_dir: Path = Path("site")
    now: datetime | None = None  # the Date header and the log's timestamps; None: the wall clock
    dry_run_dir: Path | None = None  # write .eml files here instead of sending
    max_attempts: int = 4  # per recipient per run, for temporary (4xx) failures
    backoff_s: float = 5.0  # before the second attempt; doubled for each one after
    backoff_max_s: float = 60.0
    timeout_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


@dataclass(slots=True)
class SendReport:
    edition_key: str = ""
    subscribers: int = 0
    sent: int = 0
    already_done: int = 0  # sent or failed in an earlier run
    resent_unconfirmed: int = 0  # left in "sending" by an interrupted run: sent again, same Message-ID
    deferred: int = 0  # still temporary failures after every attempt: a later run retries them
    failed: int = 0  # permanent failures, recorded
    written: int = 0  # dry run: messages written
    problems: list[Problem] = field(default_factory=list)

    @property
    def undelivered(self) -> int:
        """Recipients this run could not deliver to: refused for good, or still deferred."""
        return self.failed + self.deferred

    def lines(self) -> list[str]:
        action = f"{self.written} written (dry run)" if self.written else f"{self.sent} sent"
        summary = (
            f"edition {self.edition_key}: {self.subscribers} subscribers, {action}, "
            f"{self.already_done} already done, {self.resent_unconfirmed} resent after an interrupted run, "
            f"{self.deferred} deferred, {self.failed} failed"
        )
        return [summary, *(problem.line() for problem in self.problems), *self._undelivered_line()]

    def _undelivered_line(self) -> list[str]:
        if not self.undelivered:
            return []
        return [
            f"not delivered: {self.undelivered} of {self.subscribers} subscribers ({self.failed} refused "
            f"for good, not retried; {self.deferred} deferred, retried by the next run)"
        ]


# --- the send log in the store ---------------------------------------------------------------


class SendLog:
    """The ``sends`` rows of one edition. Every change is committed before the method returns."""

    def __init__(self, db: sqlite3.Connection, edition_key: str, now: Callable[[], datetime]) -> None:
        self.db = db
        self.edition_key = edition_key
        self.now = now
        # A kill must not lose a committed "sending": sync the log to disk on every commit.
        db.execute("PRAGMA synchronous=FULL")

    def statuses(self) -> dict[str, str]:
        rows = self.db.execute(
            "SELECT recipient, status FROM sends WHERE edition_key = ?", (self.edition_key,)
        )
        return {recipient: status for recipient, status in rows.fetchall()}

    def mark(self, recipient: str, status: str, error: str | None = None, attempt: bool = False) -> None:
        try:
            self._write(recipient, status, error, attempt)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record the send to {recipient}: {exc}") from None

    def _write(self, recipient: str, status: str, error: str | None, attempt: bool) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO sends(edition_key, recipient, status, attempts, last_error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(edition_key, recipient) DO UPDATE SET "
                "status = excluded.status, attempts = sends.attempts + excluded.attempts, "
                "last_error = coalesce(excluded.last_error, sends.last_error), "
                "updated_at = excluded.updated_at",
                (self.edition_key, recipient, status, int(attempt), error, self.now().isoformat()),
            )


# --- SMTP --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """The server's final word on one message; code 0 when the connection failed."""

    code: int
    reply: str
    data_started: bool = False  # the DATA command was sent: the message may have arrived

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return self.code >= 500

    def line(self) -> str:
        return f"{self.code} {self.reply}" if self.code else self.reply


class Delivery(Protocol):
    def deliver(
        self, sender: str, recipient: str, message: bytes, before_data: Callable[[], None]
    ) -> Outcome: ...

    def close(self) -> None: ...


class SmtpDelivery:
    """One SMTP connection, reused for every message and reopened once after it drops."""

    def __init__(self, config: EmailConfig, credentials: tuple[str, str] | None, timeout_s: float) -> None:
        self.config = config
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.helo_name = config.from_address.rpartition("@")[2] or "localhost"
        self.connection: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect and log in now, so a wrong host or password stops the run before anything is sent."""
        self.connection = self._connect()

    def _connect(self) -> smtplib.SMTP:
        host, port = self.config.smtp_host, self.config.smtp_port
        try:
            connection = self._plain_or_tls(host, port)
            connection.ehlo_or_helo_if_needed()
            if self.credentials:
                connection.login(*self.credentials)
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP {host}:{port}: login refused: {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {host}:{port}: cannot connect: {exc}") from None
        return connection

    def _plain_or_tls(self, host: str, port: int) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.config.security == "tls":
            return smtplib.SMTP_SSL(host, port, self.helo_name, timeout=self.timeout_s, context=context)
        connection = smtplib.SMTP(host, port, self.helo_name, timeout=self.timeout_s)
        if self.config.security == "starttls":
            connection.starttls(context=context)  # raises when the server cannot: no silent downgrade
        return connection

    def deliver(
        self, sender: str, recipient: str, message: bytes, before_data: Callable[[], None]
    ) -> Outcome:
        connection = self.connection or self._connect()
        self.connection = connection
        data_started = False
        try:
            refusal = _envelope_refusal(connection, sender, recipient)
            if refusal is not None:
                return refusal
            before_data()
            data_started = True
            code, reply = connection.data(message)
            return Outcome(code, _text(reply), data_started)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was transferred
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.rset()
            return Outcome(exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Outcome(0, f"connection lost: {exc}", data_started)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


def _envelope_refusal(connection: smtplib.SMTP, sender: str, recipient: str) -> Outcome | None:
    """MAIL FROM and RCPT TO; the server's refusal as an Outcome, or None when both are accepted."""
    code, reply = connection.mail(sender)
    if code == 250:
        code, reply = connection.rcpt(recipient)
        if code in (250, 251):
            return None
    with contextlib.suppress(smtplib.SMTPException, OSError):  # keep the refusal even if RSET fails
        connection.rset()
    return Outcome(code, _text(reply))


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:200]


# --- pacing and retries ------------------------------------------------------------------------


class Pacer:
    """At most ``rate_per_minute`` message starts a minute (0: no limit)."""

    def __init__(self, rate_per_minute: int, options: SendOptions) -> None:
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.options = options
        self.last_start: float | None = None

    def wait(self) -> None:
        now = self.options.monotonic()
        if self.last_start is not None and now < self.last_start + self.interval:
            self.options.sleep(self.last_start + self.interval - now)
        self.last_start = self.options.monotonic()


def backoff_delay(attempt: int, options: SendOptions) -> float:
    """The wait after failed attempt ``attempt`` (1-based): doubling, capped."""
    return float(min(options.backoff_s * 2 ** (attempt - 1), options.backoff_max_s))


@dataclass(frozen=True, slots=True)
class Sender:
    """What a run needs to send one message: the transport, the log, the pace, the options."""

    delivery: Delivery
    send_log: SendLog
    pacer: Pacer
    options: SendOptions
    from_address: str


def deliver_with_retries(sender: Sender, recipient: str, message: bytes) -> Outcome:
    """Send one message; retry temporary failures with backoff; record every step."""
    key = recipient.lower()
    outcome = Outcome(0, "not attempted")
    for attempt in range(1, sender.options.max_attempts + 1):
        sender.pacer.wait()
        outcome = sender.delivery.deliver(
            sender.from_address, recipient, message, lambda: sender.send_log.mark(key, SENDING, attempt=True)
        )
        if outcome.ok:
            sender.send_log.mark(key, SENT)
            return outcome
        if outcome.permanent:
            sender.send_log.mark(key, FAILED, outcome.line())
            return outcome
        # A dropped connection after DATA leaves the row in "sending": the message may have arrived.
        sender.send_log.mark(
            key, SENDING if outcome.data_started and not outcome.code else DEFERRED, outcome.line()
        )
        if attempt < sender.options.max_attempts:
            sender.options.sleep(backoff_delay(attempt, sender.options))
    return outcome


# --- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mailing:
    """One edition as the build wrote it, with what makes each copy personal."""

    edition_key: str
    content: mail.EditionMessage
    config: EmailConfig
    list_id: str
    secret: bytes  # for unsubscribe tokens; empty when only a mailto is configured
    date: datetime


def personal_message(mailing: Mailing, subscriber: Subscriber) -> bytes:
    config = mailing.config
    token = (
        mail.unsubscribe_token(mailing.secret, mailing.list_id, subscriber.email) if mailing.secret else ""
    )
    text, html = mailing.content.text, mailing.content.html
    if config.unsubscribe_url:
        text = mail.personalise(text, config.unsubscribe_url, token)
        html = mail.personalise(html, config.unsubscribe_url, token)
    envelope = mail.Envelope(
        subject=mailing.content.subject,
        from_address=config.from_address,
        from_name=config.from_name,
        date=mailing.date,
        message_id=mail.message_id(
            mailing.list_id, mailing.edition_key, subscriber.email, config.from_address.rpartition("@")[2]
        ),
        list_id=mailing.list_id,
        list_name=config.from_name,
        to_address=subscriber.email,
        to_name=subscriber.name,
        unsubscribe_url=mail.unsubscribe_link(config.unsubscribe_url, token)
        if config.unsubscribe_url
        else "",
        unsubscribe_mailto=config.unsubscribe_mailto,
    )
    return mail.build_message(envelope, text, html)


# --- checks before anything is sent -----------------------------------------------------------


def check_email_config(config: EmailConfig) -> list[str]:
    """Every reason ``config`` cannot send, one line each (empty when it can)."""
    reasons = []
    if not config.from_address or check_address(config.from_address) is None:
        reasons.append("email.from_address: required, a valid address")
    if not config.unsubscribe_url and not config.unsubscribe_mailto:
        reasons.append("email: set unsubscribe_url (with {token}) or unsubscribe_mailto")
    if config.unsubscribe_url and "{token}" not in config.unsubscribe_url:
        reasons.append("email.unsubscribe_url: must contain a {token} placeholder")
    if config.unsubscribe_url and not config.unsubscribe_url.startswith(("https://", "http://")):
        reasons.append("email.unsubscribe_url: must be an http(s) URL")
    if config.unsubscribe_url and not config.token_secret_env:
        reasons.append("email.token_secret_env: required with unsubscribe_url (names the secret's variable)")
    if config.username_env and not config.password_env:
        reasons.append("email.password_env: required with username_env")
    if config.username_env and config.security == "none" and not _loopback(config.smtp_host):
        reasons.append("email.security: 'none' would send the password in clear to a remote server")
    return reasons


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _environment(name: str, what: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise SendError(f"the environment variable {name} ({what}) is not set")
    return value


def credentials_of(config: EmailConfig) -> tuple[str, str] | None:
    if not config.username_env:
        return None
    return _environment(config.username_env, "SMTP user"), _environment(config.password_env, "SMTP password")


def secret_of(config: EmailConfig) -> bytes:
    if not config.unsubscribe_url:
        return b""
    return _environment(config.token_secret_env, "unsubscribe-token secret").encode("utf-8")


def resolve_edition(db: sqlite3.Connection, wanted: str) -> str:
    if wanted != "latest":
        return wanted
    row = db.execute("SELECT key FROM editions ORDER BY number DESC LIMIT 1").fetchone()
    if row is None:
        raise SendError("the store has no edition yet (run a build first)")
    return str(row[0])


def read_mailing_content(site_dir: Path, edition_key: str) -> mail.EditionMessage:
    path = site_dir / "editions" / segment(edition_key) / "edition.eml"
    try:
        content = mail.read_edition_message(path.read_bytes())
    except OSError as exc:
        raise SendError(
            f"{path}: cannot read the built edition ({exc.strerror}); build the site first"
        ) from None
    if content is None:
        raise SendError(f"{path}: not a two-part edition message; rebuild the site")
    return content


@contextlib.contextmanager
def send_lock(store_path: Path) -> Iterator[IO[str]]:
    """Held for the whole run: two senders on one store could both send to the same recipient."""
    try:
        lock = open(store_path.with_name(store_path.name + ".send.lock"), "w")  # noqa: SIM115 (held for the run)
    except OSError as exc:
        raise SendError(f"{store_path}: cannot create the send lock: {exc.strerror}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SendError(f"{store_path}: another 'digest send' is running on this store") from None
    try:
        yield lock
    finally:
        lock.close()


# --- the command ---------------------------------------------------------------------------------


def send_from_site(config: Config, subscribers_csv: Path, options: SendOptions) -> SendReport:
    """Send (or, with ``dry_run_dir``, write) the built edition to every subscriber in the CSV."""
    reasons = check_email_config(config.email)
    if reasons:
        raise SendError("cannot send: " + "; ".join(reasons))
    subscribers, problems = read_subscribers(subscribers_csv)
    store_path = config.resolve(config.store.path)
    with send_lock(store_path), Store.open_readonly(store_path) as store:
        edition_key = resolve_edition(store.db, options.edition)
        mailing = Mailing(
            edition_key=edition_key,
            content=read_mailing_content(options.site_dir, edition_key),
            config=config.email,
            list_id=mail.list_id_of(config.email.list_id, config.email.from_address),
            secret=secret_of(config.email),
            date=options.now or _wall_clock(),
        )
        _check_unsubscribe_slot(mailing)
        report = SendReport(edition_key=edition_key, subscribers=len(subscribers), problems=list(problems))
        send_log = SendLog(store.db, edition_key, _clock(options.now))
        if options.dry_run_dir is not None:
            write_messages(mailing, subscribers, send_log.statuses(), options.dry_run_dir, report)
        else:
            send_messages(mailing, subscribers, send_log, options, report)
    return report


def _clock(fixed: datetime | None) -> Callable[[], datetime]:
    """The log's clock: the fixed time of ``--now`` when given (tests), else the wall clock."""
    return (lambda: fixed) if fixed else _wall_clock


def _wall_clock() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


def _check_unsubscribe_slot(mailing: Mailing) -> None:
    url = mailing.config.unsubscribe_url
    if url and mail.link_slot(url) not in mailing.content.text:
        raise SendError(
            "the built edition has no unsubscribe link for email.unsubscribe_url "
            "(was it built with another config?); rebuild the site, then send"
        )


def send_messages(
    mailing: Mailing,
    subscribers: list[Subscriber],
    send_log: SendLog,
    options: SendOptions,
    report: SendReport,
) -> None:
    statuses = send_log.statuses()
    delivery = SmtpDelivery(mailing.config, credentials_of(mailing.config), options.timeout_s)
    delivery.open()
    sender = Sender(
        delivery,
        send_log,
        Pacer(mailing.config.rate_per_minute, options),
        options,
        mailing.config.from_address,
    )
    try:
        for subscriber in subscribers:
            send_one(sender, mailing, subscriber, statuses.get(subscriber.email.lower()), report)
    finally:
        delivery.close()


def send_one(
    sender: Sender, mailing: Mailing, subscriber: Subscriber, status: str | None, report: SendReport
) -> None:
    if status in DONE:
        report.already_done += 1
        return
    if status == SENDING:
        report.resent_unconfirmed += 1
        log.warning("%s: an earlier run was interrupted while sending; sending again", subscriber.email)
    outcome = deliver_with_retries(sender, subscriber.email, personal_message(mailing, subscriber))
    where = f"{subscriber.email} (line {subscriber.line})"
    if outcome.ok:
        report.sent += 1
    elif outcome.permanent:
        report.failed += 1
        report.problems.append(Problem(where, "refused", outcome.line()))
    else:
        report.deferred += 1
        report.problems.append(Problem(where, "deferred", f"{outcome.line()} (a later run retries)"))


def write_messages(
    mailing: Mailing,
    subscribers: list[Subscriber],
    statuses: dict[str, str],
    folder: Path,
    report: SendReport,
) -> None:
    """The dry run: each message that a real run would send, as ``0001-user_example.org.eml``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for position, subscriber in enumerate(subscribers, 1):
            if statuses.get(subscriber.email.lower()) in DONE:
                report.already_done += 1
                continue
            name = f"{position:04d}-{re.sub(r'[^A-Za-z0-9.+-]', '_', subscriber.email)}.eml"
            (folder / name).write_bytes(personal_message(mailing, subscriber))
            report.written += 1
    except OSError as exc:
        raise SendError(f"{folder}: cannot write the dry-run messages: {exc.strerror}") from None
