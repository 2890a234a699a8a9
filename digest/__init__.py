"""Online Abuse Policy Digest: the week's news on online-abuse policy, as a site and a newsletter.

The build, one module per stage, data flowing one way (``pipeline.build`` holds the order)::

    config ─> fetch ─> parse ─> store ─> extract ─> relevance ─> cluster
           ─> summarize + quotes ─> tag ─> editions ─> render ─> publish

Stages pass the frozen records of ``digest.records``; the SQLite store is the only shared state;
rendering only reads; publishing swaps in a whole tree.
"""

__version__ = "0.1.0"
