"""The sample corpus built at a fixed clock matches the reviewed golden files byte for byte.

When a change is meant to alter the output, run `make golden` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.regenerate import FILES, GOLDEN, build_sample, normalised


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    return build_sample(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", FILES)
def test_matches_golden(built: tuple[Path, bytes], name: str) -> None:
    site, base_url = built
    expected = (GOLDEN / name).read_bytes()
    actual = normalised((site / name).read_bytes(), base_url)
    assert actual == expected, f"{name} differs from tests/golden/sample/{name}: run `make golden` and review"
