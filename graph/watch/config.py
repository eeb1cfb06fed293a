"""Closed settings of the watcher and of ingestion.

Example:
    >>> WatchConfig(batch_size=16).max_attempts
    3
"""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field

from core.config import FrozenConfig

__all__ = ["IngestConfig", "WatchConfig", "default_worker_id"]

#: Longest EMR text accepted (characters). A real EMR is a few thousand characters; a record this long
#: is an export accident, and one record must not hold a worker (and its memory) for minutes.
MAX_TEXT_CHARS = 100_000


def default_worker_id() -> str:
    """``<host>:<pid>``: unique among live processes, so a restarted worker never inherits a lease."""
    return f"{socket.gethostname()}:{os.getpid()}"


class IngestConfig(FrozenConfig):
    """How ``medkg ingest`` reads and writes records."""

    format: Literal["jsonl", "ccks", "text"] = "jsonl"
    """``jsonl``: ``{id, text, meta}`` lines; ``ccks``: CCKS 2019 lines (``originalText``); ``text``: ``.txt`` files."""
    source: str | None = None
    """Recorded as ``EMR.source``; default the file or folder name."""
    replace: bool = False
    """Same id with a different text: replace it (back to NEW, facts re-extracted) instead of refusing."""
    skip_invalid: bool = False
    """Skip and list bad lines instead of refusing the whole input."""
    batch_size: int = Field(default=1000, ge=1, le=50_000)
    """Records per write transaction."""
    max_text_chars: int = Field(default=MAX_TEXT_CHARS, ge=1)
    """Longer texts are refused (see :data:`MAX_TEXT_CHARS`)."""


class WatchConfig(FrozenConfig):
    """How a watcher worker claims and processes records."""

    batch_size: int = Field(default=32, ge=1, le=10_000)
    """Records claimed (and written) per transaction."""
    max_attempts: int = Field(default=3, ge=1)
    """A record is FAILED after this many claims that did not end DONE (failures and lost leases)."""
    lease_seconds: float = Field(default=300.0, gt=0)
    """How long a claim holds; an expired lease can be claimed by any worker."""
    backoff_seconds: float = Field(default=5.0, ge=0)
    """Wait before a failed record may be claimed again: ``backoff_seconds * 2**(attempts-1)``, capped."""
    backoff_max_seconds: float = Field(default=600.0, ge=0)
    """Cap of the backoff."""
    max_text_chars: int = Field(default=MAX_TEXT_CHARS, ge=1)
    """Longer texts fail the record (same limit as ingestion)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where neural plugins run: ``auto`` picks CUDA when present."""
    threads: int = Field(default=0, ge=0)
    """torch CPU threads (0: every core; leaving a core to the writer thread measured slower here)."""
    worker: str = Field(default_factory=default_worker_id)
    """This worker's id (lease owner)."""
    db_retry_seconds: float = Field(default=600.0, ge=0)
    """How long to keep retrying when the database is unreachable before giving up the batch."""
    pipeline: bool = False
    """Write a batch in a second thread while the next one is claimed and extracted (one batch in flight).
    For a Neo4j on another machine, whose round trips then overlap extraction; with a local Neo4j on 2
    cores it was slower (62 vs 71 records/s at batch 32: the tagger, the writer and the JVM share the CPU)."""
    max_batches: int | None = Field(default=None, ge=1)
    """Stop a cycle after this many batches (``None``: until no record is claimable)."""

    def torch_threads(self, cores: int | None = None) -> int:
        """The torch CPU threads this config resolves to on a machine with ``cores`` cores."""
        cores = cores or os.cpu_count() or 1
        return self.threads or cores

    def backoff(self, attempts: int) -> float:
        """Seconds before a record that failed its ``attempts``-th claim may be claimed again."""
        return min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))
