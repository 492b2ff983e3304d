"""The ops tests run the three services in one process (``tests.wallet.conftest.build_env``
with the real issuer and verifier, dev demo data) and read what an operator sees."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from core.clock import FixedClock
from tests.wallet.conftest import Env, demo_world

METRICS_TOKEN = "ops-test-metrics-token-0123456789"


@pytest.fixture
def world(db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
          ) -> Generator[Env, None, None]:
    monkeypatch.setenv("ELICENSE_EVENTS_POLL_S", "0")
    monkeypatch.setenv("ELICENSE_METRICS_TOKEN", METRICS_TOKEN)
    with demo_world(db_url, clock) as env:
        yield env
