"""The store's schema: WAL journal, versioned migrations applied in order, a newer store refused."""

import sqlite3
from pathlib import Path

import pytest

from digest.errors import StoreError
from digest.store import ARTICLES_QUERY, MIGRATIONS, Store


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_store_is_in_wal_mode_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_an_old_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
        db.execute(
            "INSERT INTO entries VALUES ('https://news.example/1', 'a1', 'g1', 'https://feeds.example/a', "
            "'Title', 'Outlet', '', NULL, '', '', '2026-11-20T00:00:00+00:00', '2026-11-20T00:00:00+00:00')"
        )
    assert len(MIGRATIONS) > 1, "this test needs a migration after the first"
    before = _tables(path)
    with Store.open(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.db.execute("SELECT title FROM entries").fetchall()[0][0] == "Title"
    assert _tables(path) > before  # the later migrations' tables were added


def test_a_store_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this program"), Store.open(path):
        pass


def test_the_archive_is_read_in_the_order_of_an_index_not_sorted(tmp_path: Path) -> None:
    """Every build reads every article oldest first: sorting them would copy every text."""
    with Store.open(tmp_path / "s.sqlite") as store:
        plan = " ".join(row[-1] for row in store.db.execute("EXPLAIN QUERY PLAN " + ARTICLES_QUERY))
    assert "entries_order" in plan and "TEMP B-TREE" not in plan, plan
