"""Load and concurrency rig on PostgreSQL (issue 7): a fresh database from the migrated
template of ``tests/conftest.py``, and the three services with the dev demo data."""

from __future__ import annotations

import uuid
from collections.abc import Generator

import pytest
from sqlalchemy import text

from core.clock import FixedClock
from core.db import make_engine
from tests.conftest import PG_ADMIN_URL, _pg_url
from tests.wallet.conftest import Env, build_env
from wallet.demo import bootstrap


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Generator[str, None, None]:
    template = request.getfixturevalue("_pg_template")
    name = f"load_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_world(pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
             ) -> Generator[Env, None, None]:
    monkeypatch.setenv("ELICENSE_EVENTS_POLL_S", "0")
    # no redemption bucket: every attempt must reach the once-only check itself
    gen = build_env(pg_url, clock, real_verifier=True, rate_redeem="0/1")
    env = next(gen)
    try:
        bootstrap(env.settings, http=env.http, clock=env.clock)
        yield env
    finally:
        gen.close()
