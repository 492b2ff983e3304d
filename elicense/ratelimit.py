"""In-process token buckets for the rate limits of docs/operations.md §Rate limits (issue 7).

A bucket holds up to ``capacity`` tokens and refills ``capacity / period_s`` tokens per
second; a request takes one token or is refused with the seconds until the next token
(the ``Retry-After`` of the 429 ``rate_limited`` answer). Buckets live in one worker's
memory: with W workers behind a load balancer the effective limit is at most W times the
configured one (documented; a shared store is not worth a round trip on every login).
Idle full buckets are dropped so an attacker cycling keys cannot grow memory without bound.
Time is a parameter (``now``), as everywhere in elicense.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Rate", "TokenBuckets", "parse_rate", "retry_after"]


@dataclass(frozen=True)
class Rate:
    capacity: int
    period_s: float

    @property
    def enabled(self) -> bool:
        return self.capacity > 0


def parse_rate(text: str) -> Rate:
    """``"N/S"``: N requests per S seconds; ``"0/1"`` = no limit."""
    count, sep, period = text.partition("/")
    if not sep or not count.strip().isdigit() or float(period) <= 0:
        raise ValueError(f"rate must look like '10/60', not {text!r}")
    return Rate(int(count), float(period))


class TokenBuckets:
    """Thread-safe token buckets keyed by any string, all with one ``rate``."""

    MAX_KEYS = 100_000

    def __init__(self, rate: Rate, *, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._now = now
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when granted, else the seconds to wait (> 0)."""
        if not self.rate.enabled:
            return 0.0
        per_s = self.rate.capacity / self.rate.period_s
        with self._lock:
            at = self._now()
            tokens, last = self._buckets.get(key, (float(self.rate.capacity), at))
            tokens = min(float(self.rate.capacity), tokens + (at - last) * per_s)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, at)
                if len(self._buckets) > self.MAX_KEYS:
                    self._prune(at, per_s)
                return 0.0
            self._buckets[key] = (tokens, at)
            return (1.0 - tokens) / per_s

    def _prune(self, at: float, per_s: float) -> None:
        full = [k for k, (tokens, last) in self._buckets.items()
                if tokens + (at - last) * per_s >= self.rate.capacity]
        for k in full:
            del self._buckets[k]


def retry_after(wait_s: float) -> int:
    """Whole seconds for the ``Retry-After`` header (never 0 for a refusal)."""
    return max(1, math.ceil(wait_s))
