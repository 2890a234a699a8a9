"""What stops a run. Anything else that goes wrong with one input is a ``Problem`` value.

Exception tree::

    DigestError                 base: the CLI prints its message on one line, exit code 2
    ├── ConfigError             the config file is missing, not TOML, or fails validation
    ├── StoreError              the SQLite store cannot be opened, migrated or written
    │   └── StoreBusyError      another build holds the store's lock
    ├── OutputError             the output folder cannot be written (permissions, full disk)
    └── SendError               the SMTP server or the subscriber list cannot be used at all
"""

from __future__ import annotations


class DigestError(Exception):
    """Base of every error that ends a run with a one-line message."""


class ConfigError(DigestError):
    """The config is unusable; ``problems`` lists every finding by dotted key."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class StoreError(DigestError):
    """The store cannot be opened, migrated or written."""


class StoreBusyError(StoreError):
    """Another build is running on the same store."""


class OutputError(DigestError):
    """The output folder cannot be written; the previous site is left as it was."""


class SendError(DigestError):
    """Sending cannot start: no SMTP server, unreadable subscriber list, missing credentials."""
