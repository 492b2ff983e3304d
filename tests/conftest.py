"""Shared fixtures: a fresh, migrated database per test on SQLite and (where .ci/run started
it) a real PostgreSQL; a settable clock.

Migrating is done once per session into a template (a file for SQLite, a template
database for PostgreSQL); each test gets a copy, so every test starts from an empty,
migrated schema without paying for alembic each time.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.db import make_engine, migrate

PG_ADMIN_URL = os.environ.get("ELICENSE_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
NOW = 1_790_000_000  # 2026-09-21, a fixed "now" for deterministic tests


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def _pg_url(db: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{db}"


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    if not PG_ADMIN_URL:
        if IN_CI:
            pytest.fail("CI=true but ELICENSE_TEST_POSTGRES_URL is not set: .ci/run must "
                        "start PostgreSQL")
        pytest.skip("PostgreSQL not started (set ELICENSE_TEST_POSTGRES_URL, see .ci/run)")
    name = f"tmpl_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    migrate(_pg_url(name))
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "test.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database (fast default)."""
    return _fresh_sqlite(_sqlite_template, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, _sqlite_template: Path,
               tmp_path: Path) -> Generator[str, None, None]:
    """A fresh, migrated database on each backend: the same test runs on both."""
    if request.param == "sqlite":
        yield _fresh_sqlite(_sqlite_template, tmp_path)
        return
    template = request.getfixturevalue("_pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
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
def engine(db_url: str) -> Generator[Engine, None, None]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)
