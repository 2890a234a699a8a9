"""The subscriber list: address checking and CSV reading.

Checks that good addresses are kept (the domain lower-cased, an IDN turned into xn-- form), that
anything that could carry a second header or SMTP command is refused, and that a malformed row is
reported with its line number and skipped while every other row is read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.errors import SendError
from digest.subscribers import check_address, parse_subscribers, read_subscribers


@pytest.mark.parametrize(
    ("given_address", "expected"),
    [
        ("reader@example.org", "reader@example.org"),
        ("  Reader.Name+digest@Example.ORG ", "Reader.Name+digest@example.org"),
        ("o'brien@news.example.co.uk", "o'brien@news.example.co.uk"),
        ("leser@bücher.example", "leser@xn--bcher-kva.example"),
        ("x@example.org.", "x@example.org"),
    ],
)
def test_good_addresses_are_kept_in_canonical_form(given_address: str, expected: str) -> None:
    assert check_address(given_address) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "no-at-sign.example.org",
        "two@@example.org",
        "a@b@example.org",
        "reader@localhost",
        "reader@example",
        "reader@-bad-.example.org",
        "reader@example.c0m",
        "reader@127.0.0.1",
        "reader@[127.0.0.1]",
        '"quoted local"@example.org',
        "dot..dot@example.org",
        ".lead@example.org",
        "späti@example.org",
        "reader@example.org\r\nBcc: victim@example.net",
        "reader@example.org\nRCPT TO:<victim@example.net>",
        "reader\u2028@example.org",
        "reader@exa mple.org",
        "x" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_unusable_addresses_are_refused(bad: str) -> None:
    assert check_address(bad) is None


def test_a_clean_list_is_read_in_file_order_with_names() -> None:
    text = "\ufeffName , EMAIL\nAda Byron,ada@example.org\n\n  Grace   Hopper ,grace@example.net\n"
    subscribers, problems = parse_subscribers(text.removeprefix("\ufeff"), "list.csv")
    assert [(s.email, s.name, s.line) for s in subscribers] == [
        ("ada@example.org", "Ada Byron", 2),
        ("grace@example.net", "Grace Hopper", 4),
    ]
    assert problems == []


def test_malformed_rows_are_reported_by_line_and_the_rest_are_read() -> None:
    text = "\n".join(
        [
            "email,name",  # 1
            "one@example.org,One",  # 2
            '"two@example.org,Two',  # 3: an unterminated quote
            "three@example.org,Three,extra",  # 4: one field too many
            "not an address,Four",  # 5
            "ONE@example.org,Again",  # 6: same address as line 2
            "five@example.org,Fi\x00ve\x85",  # 7: control characters in the name
            "six@example.org,Six",  # 8
        ]
    )
    subscribers, problems = parse_subscribers(text, "list.csv")
    assert [(s.email, s.name) for s in subscribers] == [
        ("one@example.org", "One"),
        ("five@example.org", "Fi ve"),
        ("six@example.org", "Six"),
    ]
    assert [(p.where, p.reason) for p in problems] == [
        ("list.csv:3", "malformed_row"),
        ("list.csv:4", "malformed_row"),
        ("list.csv:5", "invalid_address"),
        ("list.csv:6", "duplicate_address"),
    ]
    assert "line 2" in problems[3].detail


def test_an_unterminated_quote_does_not_swallow_the_rows_after_it() -> None:
    text = 'email\n"broken@example.org\nafter@example.org\n'
    subscribers, problems = parse_subscribers(text, "list.csv")
    assert [s.email for s in subscribers] == ["after@example.org"]
    assert [p.where for p in problems] == ["list.csv:2"]


@pytest.mark.parametrize("text", ["", "\n\n", "name,address\nAda,ada@example.org\n", '"email\n'])
def test_a_list_without_an_email_column_cannot_be_used(text: str) -> None:
    with pytest.raises(SendError):
        parse_subscribers(text, "list.csv")


def test_reading_a_file_handles_a_byte_order_mark_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(b"\xef\xbb\xbfemail,name\r\nok@example.org,Ok\r\nbad\xff@example.org,Bad\r\n")
    subscribers, problems = read_subscribers(path)
    assert [s.email for s in subscribers] == ["ok@example.org"]
    assert [(p.where, p.reason) for p in problems] == [(f"{path}:3", "invalid_address")]


def test_a_missing_file_is_one_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(SendError, match="cannot read"):
        read_subscribers(tmp_path / "absent.csv")


@given(st.text(max_size=300))
def test_any_text_gives_valid_subscribers_or_one_send_error(text: str) -> None:
    try:
        subscribers, problems = parse_subscribers("email,name\n" + text, "list.csv")
    except SendError:
        return
    for subscriber in subscribers:
        assert check_address(subscriber.email) == subscriber.email
        assert subscriber.name == " ".join(subscriber.name.split())
        assert not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in subscriber.name)
        assert not any(char in subscriber.email for char in "\r\n\u2028\u2029\x85 ")
    assert all(p.where.startswith("list.csv:") for p in problems)
