"""Time as a parameter (STYLE habit 5): code takes a ``Clock`` instead of calling time()."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> int:
        """Seconds since the epoch, UTC."""
        ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())


@dataclass
class FixedClock:
    """A settable clock for tests and for ``--now`` on the CLI."""

    at: int

    def now(self) -> int:
        return self.at

    def advance(self, seconds: int) -> None:
        self.at += seconds
