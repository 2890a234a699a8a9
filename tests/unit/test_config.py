"""Config: every problem reported in one pass, by dotted key."""

from pathlib import Path

import pytest

from digest.config import config_from_dict, load_config
from digest.errors import ConfigError


def test_defaults_and_feeds_are_read(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(
        '[site]\ntitle = "T"\n[fetch]\ntimeout_s = 5\nallow_private_hosts = ["127.0.0.1:8080"]\n'
        '[[feeds]]\nurl = "https://a.example/feed"\nname = "A"\ntags = ["ngo"]\njurisdiction = "Scotland"\n'
    )
    config = load_config(path)
    assert config.site.title == "T"
    assert config.fetch.timeout_s == 5.0
    assert config.fetch.allow_private_hosts == ("127.0.0.1:8080",)
    assert config.feeds[0].tags == ("ngo",)
    assert config.feeds[0].jurisdiction == "Scotland"


def test_every_problem_is_named_by_its_dotted_key() -> None:
    raw = {
        "site": {"title": 3, "colour": "red"},
        "fetch": {"concurrency": "many", "allow_private_hosts": "yes"},
        "editions": {"period": "fortnight"},
        "extra": {},
        "feeds": [{"url": "ftp://x"}, {"url": "https://ok.example/", "nme": "typo"}],
    }
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw, Path("digest.toml"))
    found = set(caught.value.problems)
    assert "site.title: expected str, got int" in found
    assert "site.colour: unknown key" in found
    assert "fetch.concurrency: expected int, got str" in found
    assert any(p.startswith("fetch.allow_private_hosts:") for p in found)
    assert any(p.startswith("editions.period: expected one of") for p in found)
    assert "extra: unknown key" in found
    assert any(p.startswith("feeds[0].url:") for p in found)
    assert "feeds[1].nme: unknown key" in found
    assert str(caught.value).count(";") == len(found) - 1  # one message carries them all


def test_missing_and_broken_files_give_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_duplicate_feed_urls_are_refused() -> None:
    raw = {"feeds": [{"url": "https://a.example/f"}, {"url": "https://a.example/f"}]}
    with pytest.raises(ConfigError, match="duplicate feed"):
        config_from_dict(raw, Path("d.toml"))


def test_shipped_config_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "digest.toml")
    assert len(config.feeds) >= 5
    assert config.fetch.allow_private_hosts is False
