"""Building messages: header cleaning and RFC 2047 encoding, MIME structure, unsubscribe headers.

The messages are built by ``digest.mail`` and read back with the standard library's parser: what
must hold is that no text (a story title in the Subject, a name in From or To) can add a header,
whatever line separator it carries, and that both parts come back exactly as written.
"""

from __future__ import annotations

import email
import email.header
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest import mail

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SEPARATORS = ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


def _envelope(**changes: str) -> mail.Envelope:
    values = {
        "subject": "Online Abuse Policy Digest: Edition 2",
        "from_address": "news@digest.example.org",
        "from_name": "The Digest",
        "message_id": "<2026-W48.abc@digest.example.org>",
        "list_id": "weekly.digest.example.org",
        "list_name": "Online Abuse Policy Digest",
        "to_address": "reader@example.net",
        "to_name": "A Reader",
        "unsubscribe_url": "https://digest.example.org/unsubscribe/TOKEN",
        "unsubscribe_mailto": "unsubscribe@digest.example.org",
        **changes,
    }
    return mail.Envelope(date=NOW, **values)


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _decoded(raw_value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(raw_value)))


def _raw_header_names(raw: bytes) -> list[str]:
    block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in block.split("\r\n") if line[:1] not in (" ", "\t")]


# --- header text ---------------------------------------------------------------------------


@pytest.mark.parametrize("separator", SEPARATORS)
def test_every_line_separator_is_removed_from_header_text(separator: str) -> None:
    assert (
        mail.clean_header_text(f"Title{separator}Bcc: victim@example.net") == "Title Bcc: victim@example.net"
    )


@pytest.mark.parametrize("separator", SEPARATORS)
@pytest.mark.parametrize("field", ["subject", "from_name", "to_name", "list_name"])
def test_no_header_can_be_injected_through_text(field: str, separator: str) -> None:
    hostile = f"Week's news{separator}Bcc: victim@example.net{separator}{separator}<b>body</b>"
    raw = mail.build_message(_envelope(**{field: hostile}), "text", "<p>html</p>")
    names = _raw_header_names(raw)
    assert "Bcc" not in names
    assert names.count("Subject") == 1 and names.count("To") == 1
    message = _parse(raw)
    assert message["Bcc"] is None
    assert message.get_body(("plain",)).get_content().rstrip("\n") == "text"  # type: ignore[union-attr]


def test_bidi_overrides_are_removed() -> None:
    assert mail.clean_header_text("Invoice \u202egnp.exe") == "Invoice gnp.exe"


def test_a_non_ascii_subject_is_rfc2047_encoded_and_decodes_back() -> None:
    subject = "Coimisiún na Meán fines platform — “deepfake” rules 🚫"
    raw = mail.build_message(_envelope(subject=subject), "t", "<p>h</p>")
    block = raw.split(b"\r\n\r\n", 1)[0]
    assert block.isascii() and b"=?utf-8?b?" in block
    subject_lines = block.split(b"\r\nSubject: ")[1].split(b"\r\nDate:")[0].split(b"\r\n")
    assert len(subject_lines) > 1 and max(len(line) for line in subject_lines) <= 78 - len("Subject: ")
    assert _parse(raw)["Subject"] == subject


def test_a_long_ascii_subject_is_folded_and_unfolds_to_the_same_text() -> None:
    subject = " ".join(["Regulator"] * 30)
    value = mail.encode_header_value(subject)
    assert "\r\n " in value
    first, *rest = value.split("\r\n")
    assert len("Subject: " + first) <= 78 and all(len(line) <= 78 for line in rest)
    assert _parse(mail.build_message(_envelope(subject=subject), "t", "h"))["Subject"] == subject


def test_ascii_text_that_looks_like_an_encoded_word_stays_literal() -> None:
    subject = "About =?utf-8?b?SGk=?= tricks"
    assert _parse(mail.build_message(_envelope(subject=subject), "t", "h"))["Subject"] == subject


@given(st.text(max_size=200))
def test_any_text_encodes_to_one_safe_header_that_decodes_to_its_clean_form(text: str) -> None:
    value = mail.encode_header_value(text)
    assert mail.header_block_ok(f"Subject: {value}\r\n")
    assert " ".join(_decoded(value).split()) == mail.clean_header_text(text)


@given(st.text(max_size=120))
def test_any_display_name_gives_one_safe_address_header(name: str) -> None:
    value = mail.format_address(name, "reader@example.net")
    assert mail.header_block_ok(f"To: {value}\r\n")
    assert value.endswith("reader@example.net>") or value == "reader@example.net"


def test_display_names_with_quotes_and_backslashes_are_quoted() -> None:
    value = mail.format_address('Dana "DR" Reyes\\', "dana@example.org")
    assert value == '"Dana \\"DR\\" Reyes\\\\" <dana@example.org>'
    assert (
        _parse(mail.build_message(_envelope(to_name='Dana "DR" Reyes\\'), "t", "h"))["To"]
        .addresses[0]
        .display_name
        == 'Dana "DR" Reyes\\'
    )


@pytest.mark.parametrize("address", ["reader@example.net\r\nBcc: x@example.org", "reader", "a b@example.org"])
def test_an_invalid_address_is_refused(address: str) -> None:
    with pytest.raises(ValueError):
        mail.format_address("Reader", address)


def test_header_block_check_rejects_a_bare_line_break() -> None:
    assert mail.header_block_ok("Subject: fine\r\n folded\r\n")
    assert not mail.header_block_ok("Subject: one\nBcc: x@example.org\r\n")
    assert not mail.header_block_ok("Subject: one\r\nno colon here\r\n")
    assert not mail.header_block_ok("Subject: caf\u00e9\r\n")


# --- the message ---------------------------------------------------------------------------


def test_a_message_has_every_required_header_and_both_parts() -> None:
    text = "Line one.\n.\nA line with trailing spaces   \n" + "x" * 200 + "\nÜnïcode “quotes”\n"
    html = "<p>Ünïcode “quotes”</p>\n" * 50
    message = _parse(mail.build_message(_envelope(), text, html))
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"].addresses[0].addr_spec == "news@digest.example.org"
    assert message["To"].addresses[0].addr_spec == "reader@example.net"
    assert message["Date"].datetime == NOW
    assert message["Message-ID"] == "<2026-W48.abc@digest.example.org>"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Id"] == "Online Abuse Policy Digest <weekly.digest.example.org>"
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == text
    assert rich.get_content() == html
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_lines_end_in_crlf_and_none_is_longer_than_998() -> None:
    raw = mail.build_message(_envelope(), "a" * 3000 + "\n", "<p>" + "b" * 3000 + "</p>")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_the_same_input_gives_the_same_bytes() -> None:
    assert mail.build_message(_envelope(), "t", "h") == mail.build_message(_envelope(), "t", "h")


def test_no_to_header_when_there_is_no_recipient() -> None:
    assert _parse(mail.build_message(_envelope(to_address=""), "t", "h"))["To"] is None


@pytest.mark.parametrize(
    ("url", "mailto", "expected", "one_click"),
    [
        (
            "https://d.example.org/u/TOKEN",
            "unsub@d.example.org",
            "<https://d.example.org/u/TOKEN>, <mailto:unsub@d.example.org?subject=unsubscribe>",
            True,
        ),
        ("https://d.example.org/u/TOKEN", "", "<https://d.example.org/u/TOKEN>", True),
        ("http://d.example.org/u/TOKEN", "", "<http://d.example.org/u/TOKEN>", False),
        (
            "",
            "mailto:unsub@d.example.org?subject=unsubscribe",
            "<mailto:unsub@d.example.org?subject=unsubscribe>",
            False,
        ),
        ("", "", None, False),
    ],
)
def test_unsubscribe_headers_follow_rfc_8058(
    url: str, mailto: str, expected: str | None, one_click: bool
) -> None:
    message = _parse(mail.build_message(_envelope(unsubscribe_url=url, unsubscribe_mailto=mailto), "t", "h"))
    assert message["List-Unsubscribe"] == expected
    assert message["List-Unsubscribe-Post"] == ("List-Unsubscribe=One-Click" if one_click else None)


def test_an_unsubscribe_url_cannot_break_out_of_its_angle_brackets() -> None:
    headers = dict(mail.unsubscribe_headers("https://d.example.org/u?a=<b>\r\nBcc: x@example.org", ""))
    assert headers["List-Unsubscribe"] == "<https://d.example.org/u?a=%3Cb%3E%20Bcc:%20x@example.org>"


# --- identifiers and tokens ----------------------------------------------------------------


def test_message_ids_are_stable_per_edition_and_recipient() -> None:
    first = mail.message_id("l.example.org", "2026-W48", "Reader@example.net", "digest.example.org")
    assert first == mail.message_id("l.example.org", "2026-W48", "reader@example.net", "digest.example.org")
    assert first != mail.message_id("l.example.org", "2026-W48", "other@example.net", "digest.example.org")
    assert first != mail.message_id("l.example.org", "2026-W49", "reader@example.net", "digest.example.org")
    assert first.startswith("<2026-W48.") and first.endswith("@digest.example.org>")


def test_an_unsubscribe_token_names_its_recipient_and_cannot_be_forged() -> None:
    token = mail.unsubscribe_token(b"secret", "l.example.org", "Reader@example.net")
    assert mail.verify_token(b"secret", "l.example.org", token) == "reader@example.net"
    assert mail.verify_token(b"other secret", "l.example.org", token) is None
    assert mail.verify_token(b"secret", "other.example.org", token) is None
    forged = mail.unsubscribe_token(b"secret", "l.example.org", "victim@example.net").split(".")[0]
    assert mail.verify_token(b"secret", "l.example.org", forged + "." + token.split(".")[1]) is None
    assert mail.verify_token(b"secret", "l.example.org", "!!not base64") is None


def test_personalise_replaces_the_placeholder_link_in_raw_and_escaped_form() -> None:
    template = "https://d.example.org/u?t={token}&list=weekly"
    slot = mail.link_slot(template)
    html = f'<a href="{slot.replace("&", "&amp;")}">Unsubscribe</a>'
    text = f"Unsubscribe: {slot}"
    assert mail.personalise(html, template, "abc.def") == (
        '<a href="https://d.example.org/u?t=abc.def&amp;list=weekly">Unsubscribe</a>'
    )
    assert (
        mail.personalise(text, template, "abc.def")
        == "Unsubscribe: https://d.example.org/u?t=abc.def&list=weekly"
    )


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("weekly.digest.example.org", "weekly.digest.example.org"),
        ("", "digest.example.org"),
        ("bad id", "digest.example.org"),
    ],
)
def test_list_id_falls_back_to_the_senders_domain(configured: str, expected: str) -> None:
    assert mail.list_id_of(configured, "news@example.org") == expected


def test_reading_back_an_edition_message() -> None:
    raw = mail.build_message(_envelope(subject="Edition “2”"), "plain body\n", "<p>html body</p>\n")
    content = mail.read_edition_message(raw)
    assert content == mail.EditionMessage("Edition “2”", "plain body\n", "<p>html body</p>\n")
    assert mail.read_edition_message(b"Subject: only text\r\n\r\nhello\r\n") is None
