"""Shared fixtures: a fresh, migrated database per test on SQLite and (where .ci/run started
it) a real PostgreSQL; a settable clock.

Migrating is done once per session into a template (a file for SQLite, a template
database for PostgreSQL); each test gets a copy, so every test starts from an empty,
migrated schema without paying for alembic each time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.db import make_engine, migrate
from tests.support import pg_database

NOW = 1_790_000_000  # 2026-09-21, a fixed "now" for deterministic tests


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    with pg_database(f"tmpl_{_worker()}") as url:
        migrate(url)
        yield url.rpartition("/")[2]


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
    with pg_database("t", template=template) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Generator[Engine, None, None]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)
