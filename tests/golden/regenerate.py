"""`make golden`: build the sample corpus at the fixed clock and store the golden files.

Review the diff (`git diff tests/golden/`) before committing: every change is a change readers see.
The sample server listens on a free port, so its address, and the ids hashed from article URLs
that hold it, are replaced by placeholders.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from digest.sample.server import SampleServer, write_config

GOLDEN = Path(__file__).parent / "sample"
NOW = "2026-11-22T12:00:00Z"
PLACEHOLDER = b"http://sample.invalid/"
FILES = ("feed.json", "feed.xml", "digest.md", "index.html", "status.html", "sitemap.xml")


def build_sample(workdir: Path) -> tuple[Path, bytes]:
    from datetime import UTC, datetime

    now = datetime.fromisoformat(NOW.replace("Z", "+00:00")).astimezone(UTC)
    with SampleServer(now=now) as server:
        write_config(workdir / "digest.toml", server.base_url, workdir / "store.sqlite")
        command = [sys.executable, "-m", "digest", "build", "--config", str(workdir / "digest.toml")]
        command += ["--out", str(workdir / "site"), "--now", NOW]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        return workdir / "site", server.base_url.encode()


HASHED_ID = re.compile(rb"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")


def normalised(content: bytes, base_url: bytes) -> bytes:
    """The sample server's address becomes a placeholder, and so do the ids hashed from article URLs
    (which hold its port): each in order of first appearance, so the structure is still compared."""
    content = content.replace(base_url.rstrip(b"/") + b"/", PLACEHOLDER)
    numbers: dict[bytes, int] = {}

    def number(found: re.Match[bytes]) -> bytes:
        return b"id%04d" % numbers.setdefault(found.group(0), len(numbers) + 1)

    return HASHED_ID.sub(number, content)


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        site, base_url = build_sample(Path(temporary))
        GOLDEN.mkdir(exist_ok=True)
        for name in FILES:
            (GOLDEN / name).write_bytes(normalised((site / name).read_bytes(), base_url))
    print(f"golden files written to {GOLDEN}; review them with git diff")


if __name__ == "__main__":
    main()
