"""The pure parts of sending: config checks before anything is sent, pacing and backoff.

Pacing is checked with a fake clock (no real sleeping); the SMTP side is in
``tests/integration/test_send.py`` against a real server.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from digest.config import EmailConfig
from digest.send import Pacer, SendOptions, SendReport, backoff_delay, check_email_config

GOOD = EmailConfig(
    from_address="news@digest.example.org",
    smtp_host="smtp.example.org",
    unsubscribe_url="https://digest.example.org/u/{token}",
    token_secret_env="DIGEST_TOKEN_SECRET",
)


def test_a_complete_config_passes() -> None:
    assert check_email_config(GOOD) == []
    assert check_email_config(replace(GOOD, unsubscribe_url="", unsubscribe_mailto="u@example.org")) == []


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"from_address": ""}, "email.from_address"),
        ({"from_address": "news@digest.example.org\r\nBcc: x@example.org"}, "email.from_address"),
        ({"unsubscribe_url": ""}, "unsubscribe_url (with {token}) or unsubscribe_mailto"),
        ({"unsubscribe_url": "https://digest.example.org/u"}, "{token} placeholder"),
        ({"unsubscribe_url": "javascript:alert(1)//{token}"}, "http(s) URL"),
        ({"token_secret_env": ""}, "email.token_secret_env"),
        ({"username_env": "SMTP_USER"}, "email.password_env"),
        ({"username_env": "U", "password_env": "P", "security": "none"}, "in clear"),
    ],
)
def test_each_unusable_setting_is_named(changes: dict[str, str], key: str) -> None:
    reasons = check_email_config(replace(GOOD, **changes))  # type: ignore[arg-type]
    assert any(key in reason for reason in reasons), reasons


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_password_may_go_in_clear_only_to_this_machine(host: str) -> None:
    config = replace(GOOD, smtp_host=host, username_env="U", password_env="P", security="none")
    assert check_email_config(config) == []


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_the_pacer_keeps_message_starts_apart() -> None:
    clock = FakeClock()
    pacer = Pacer(120, SendOptions(sleep=clock.sleep, monotonic=clock.monotonic))
    pacer.wait()  # the first message goes at once
    clock.now += 0.1  # sending took 0.1 s
    pacer.wait()
    clock.now += 2.0  # a slow message: no wait needed after it
    pacer.wait()
    assert clock.slept == [0.4]


def test_no_limit_never_sleeps() -> None:
    clock = FakeClock()
    pacer = Pacer(0, SendOptions(sleep=clock.sleep, monotonic=clock.monotonic))
    for _ in range(5):
        pacer.wait()
    assert clock.slept == []


def test_backoff_doubles_and_is_capped() -> None:
    options = SendOptions(backoff_s=5.0, backoff_max_s=30.0)
    assert [backoff_delay(attempt, options) for attempt in range(1, 6)] == [5.0, 10.0, 20.0, 30.0, 30.0]


def test_a_run_that_left_recipients_undelivered_ends_with_a_line_that_counts_them() -> None:
    report = SendReport(edition_key="2026-W48", subscribers=10, sent=7, failed=1, deferred=2)
    assert report.undelivered == 3
    assert report.lines()[-1] == (
        "not delivered: 3 of 10 subscribers (1 refused for good, not retried; 2 deferred, retried by the next run)"
    )


def test_a_run_that_delivered_everyone_has_no_not_delivered_line() -> None:
    report = SendReport(edition_key="2026-W48", subscribers=4, sent=2, already_done=2)
    assert report.undelivered == 0
    assert not any(line.startswith("not delivered") for line in report.lines())
