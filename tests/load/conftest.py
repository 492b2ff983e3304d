"""Load and concurrency rig on PostgreSQL (issue 7): a fresh database from the migrated
template of ``tests/conftest.py``, and the three services with the dev demo data."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from core.clock import FixedClock
from tests.support import pg_database
from tests.wallet.conftest import Env, demo_world


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Generator[str, None, None]:
    with pg_database("load", template=request.getfixturevalue("_pg_template")) as url:
        yield url


@pytest.fixture
def pg_world(pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
             ) -> Generator[Env, None, None]:
    monkeypatch.setenv("ELICENSE_EVENTS_POLL_S", "0")
    # no redemption bucket: every attempt must reach the once-only check itself
    with demo_world(pg_url, clock, rate_redeem="0/1") as env:
        yield env
