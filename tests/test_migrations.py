"""The one alembic history (STYLE habit 8): it is linear with the contract revision ids,
``upgrade head`` builds every table on an empty SQLite and an empty PostgreSQL database, and
autogenerate then finds no difference from the models of every package (so a model change
without its migration fails here). New migrations are covered without editing this file."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from core.db import ALEMBIC_DIR, make_engine, migrate
from tests.support import pg_database

MODELS = ("keys.models", "issuer.models", "wallet.models", "verifier.models")
# docs/team-contracts.md: fixed ids so parallel work does not branch.
CONTRACT_ORDER = ("0001_keys", "0002_issuer", "0003_wallet", "0004_verifier")


def _import_models() -> list[str]:
    loaded = []
    for name in MODELS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        loaded.append(name)
    return loaded


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def _describe(item: Any) -> str:
    """One line per autogenerate difference (its repr can run to pages)."""
    if isinstance(item, list):  # modify_* ops come grouped per column
        return "; ".join(_describe(sub) for sub in item)
    op, *args = item
    names = [getattr(a, "name", None) or (a if isinstance(a, str) else None) for a in args]
    table = getattr(getattr(args[-1], "table", None), "name", None) if args else None
    return f"{op} {' '.join(n for n in names if n)}" + (f" (table {table})" if table else "")


def _assert_no_diff(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            tables = set(inspect(conn).get_table_names())
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert diff == [], "models and migrations differ:\n" + "\n".join(map(_describe, diff))
    assert set(SQLModel.metadata.tables) <= tables
    assert head == ScriptDirectory.from_config(_config(url)).get_current_head()


def test_history_is_linear_with_contract_ids() -> None:
    script = ScriptDirectory.from_config(_config("sqlite://"))
    assert len(script.get_heads()) == 1, "branched history: fix down_revision"
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001_keys"
    assert script.get_revision("0001_keys").down_revision is None
    known = [r for r in CONTRACT_ORDER if r in revisions]
    assert revisions[: len(known)] == known
    for path in (ALEMBIC_DIR / "versions").glob("*.py"):
        assert path.stem in revisions, f"{path.name}: file name must be its revision id"


def test_every_table_is_prefixed_by_its_package() -> None:
    for module in _import_models():
        prefix = module.split(".")[0] + "_"
        mod_tables = [t for t in SQLModel.metadata.tables.values()
                      if any(getattr(cls, "__table__", None) is t
                             for cls in vars(importlib.import_module(module)).values())]
        assert mod_tables, f"{module} defines no table"
        for table in mod_tables:
            assert table.name.startswith(prefix), table.name


def test_sqlite_upgrade_head_matches_models(tmp_path: Path) -> None:
    _import_models()
    url = f"sqlite:///{tmp_path / 'nested' / 'fresh.db'}"
    migrate(url)
    _assert_no_diff(url)


def test_sqlite_downgrade_base_and_upgrade_again(tmp_path: Path) -> None:
    _import_models()
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate(url)
    command.downgrade(_config(url), "base")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert left == set()
    migrate(url)
    _assert_no_diff(url)


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    with pg_database("mig") as url:
        yield url


@pytest.mark.postgres
def test_postgres_upgrade_head_matches_models(empty_pg_url: str) -> None:
    _import_models()
    migrate(empty_pg_url)
    _assert_no_diff(empty_pg_url)
