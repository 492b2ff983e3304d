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


def test_group_commit_dedupes_within_a_batch(any_db_url: str) -> None:
    from verifier.replay import insert_many, replay_row

    engine = make_engine(any_db_url)
    try:
        rows = [replay_row(digest="a", nonce="n1", expires_at=9),
                replay_row(digest="a", nonce="n2", expires_at=9),   # same digest
                replay_row(digest="b", nonce="n1", expires_at=9),   # same nonce
                replay_row(digest="c", nonce="n3", expires_at=9)]
        with engine.begin() as conn:
            assert insert_many(conn, rows) == [True, False, False, True]
        with engine.begin() as conn:
            assert insert_many(conn, [replay_row(digest="c", nonce="x", expires_at=9),
                                      replay_row(digest="d", nonce="y", expires_at=9)]) \
                == [False, True]
    finally:
        engine.dispose()


def test_two_verifiers_and_many_threads_accept_a_qr_once(any_db_url: str) -> None:
    """Two verifier instances (as two worker processes would) over one database, 24
    concurrent verifications of the same QR: exactly one is valid, the rest are replays."""
    from core.clock import FixedClock
    from tests.conftest import NOW
    from tests.verifier.world import World, codes, principal

    engine = make_engine(any_db_url)
    try:
        world = World(engine=engine, clock=FixedClock(NOW))
        verifiers = [world.verifier(), world.verifier()]
        qr = world.offline_qr("hotel_checkin")
        with ThreadPoolExecutor(max_workers=12) as pool:
            verdicts = list(pool.map(
                lambda i: verifiers[i % 2].verify_qr(principal=principal(),
                                                     scenario_id="hotel_checkin", qr=qr),
                range(24)))
        assert sum(v.valid for v in verdicts) == 1
        assert sum(codes(v)["replay"] == (False, "replayed") for v in verdicts) == 23
        for verifier in verifiers:
            verifier.close()
    finally:
        engine.dispose()


def test_writer_thread_stops_on_close(engine: object) -> None:
    from core.clock import FixedClock
    from tests.conftest import NOW
    from tests.verifier.world import World, principal

    world = World(engine=engine, clock=FixedClock(NOW))  # type: ignore[arg-type]
    verifier = world.verifier()
    assert verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                              qr=world.offline_qr("hotel_checkin")).valid
    thread = verifier._writer._thread
    assert thread is not None and thread.is_alive()
    verifier.close()
    assert not thread.is_alive()
    # A later write starts a new writer.
    assert verifier.verify_qr(principal=principal(), scenario_id="hotel_checkin",
                              qr=world.offline_qr("hotel_checkin")).valid
    verifier.close()
