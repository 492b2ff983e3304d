"""Replay store: accepted once, across threads / processes via the database's unique
constraints (SQLite and PostgreSQL), entries expire and are purged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from core.db import make_engine
from verifier.replay import accept_once, purge_replay


def test_once_then_replay_and_purge(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        assert accept_once(engine=engine, digest="d1", nonce="n1", expires_at=100)
        assert not accept_once(engine=engine, digest="d1", nonce="n2", expires_at=100)
        assert not accept_once(engine=engine, digest="d2", nonce="n1", expires_at=100)
        assert accept_once(engine=engine, digest="d3", nonce=None, expires_at=200)
        assert purge_replay(engine=engine, now=150) == 1
        assert accept_once(engine=engine, digest="d1", nonce="n1", expires_at=300)
    finally:
        engine.dispose()


def test_concurrent_inserts_accept_exactly_one(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(
                lambda _: accept_once(engine=engine, digest="same", nonce="same",
                                      expires_at=2_000_000_000), range(32)))
        assert results.count(True) == 1
    finally:
        engine.dispose()
