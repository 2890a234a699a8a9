"""What the pages stage takes from the pages fetched early."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.pipeline import PendingPage, as_stored, extraction, page_jobs
from digest.records import Entry, FetchResult
from digest.workers import INLINE, Workers

URL = "https://news.example/2026/11/orders"
BODY = (
    "<html><body><article><h1>Court orders platform to name harasser</h1>"
    + "".join(
        f"<p>A court ordered the platform to hand over the details of account {n} to the police.</p>"
        for n in range(4)
    )
    + "</article></body></html>"
).encode()
WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


submit = page_jobs(Workers(1), INLINE).add  # in this process, a few pages a job as a build sends them


def entry(title: str, author: str = "Lena Voss") -> Entry:
    return Entry("https://news.example/feed", "g", URL, title, "News", author, WHEN)


def fetched_for(listed: Entry) -> PendingPage:
    result = FetchResult(url=URL, final_url=URL, status=200, body=BODY, content_type="text/html")
    return PendingPage(listed, result, extraction(listed, result, submit))


def test_a_page_fetched_for_the_stored_entry_keeps_its_extraction() -> None:
    early = fetched_for(entry("Platform told to name harasser"))
    taken = as_stored(entry("Platform told to name harasser"), early, submit)
    assert taken.extracting is early.extracting


def test_a_page_fetched_for_another_feed_s_entry_is_extracted_again_for_the_stored_one() -> None:
    # Two feeds list the URL: the first parsed fetched it, the store kept the other's headline.
    early = fetched_for(entry("Platform told to name harasser", author=""))
    stored = entry("Court tells platform to identify account holder")
    taken = as_stored(stored, early, submit)
    assert taken.entry == stored and taken.result is early.result
    assert taken.extracting is not None and early.extracting is not None
    assert taken.extracting.result().title == "Court tells platform to identify account holder"
    assert early.extracting.result().title == "Court orders platform to name harasser"  # the page's own
