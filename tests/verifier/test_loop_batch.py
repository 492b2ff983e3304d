"""Group commit on the event loop (``verifier._loop_batch.LoopWriter``, the HTTP path): each
waiter learns its own replay outcome and its record is written, on SQLite and PostgreSQL;
the loop never waits for a busy SQLite (the lock file, another writer's transaction), a
lock held too long hands the batch to the writer thread, a database failure reaches every
waiter and the writer recovers, and the WAL is checkpointed off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import pytest
from sqlalchemy import text

import verifier._loop_batch as loop_batch
from core.db import make_engine
from verifier._batch import WriteBatcher
from verifier._loop_batch import LoopWriter
from verifier._writelock import FileLock, lock_path
from verifier.replay import replay_row


def _row(digest: str, nonce: str) -> dict[str, Any]:
    return replay_row(digest=digest, nonce=nonce, expires_at=2_000_000_000)


def _record(first: bool | None, org: str = "o") -> dict[str, Any]:
    return {"org_id": org, "scenario": "hotel_checkin", "scenario_version": 1,
            "credential_type": "id_card", "issuer": "https://i", "valid": bool(first),
            "codes": "[]", "verified_at": 1, "expires_at": 2,
            "kept_claims": '{"name":"张三"}' if first else None}


def _count(engine: Any, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


class _Rig:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.thread = WriteBatcher(self.engine)
        self.writer = LoopWriter(self.engine, self.thread)

    def close(self) -> None:
        self.thread.close()
        self.engine.dispose()


@pytest.fixture
def rig(any_db_url: str) -> Any:
    r = _Rig(any_db_url)
    yield r
    r.close()


@pytest.fixture
def sqlite_rig(db_url: str) -> Any:
    r = _Rig(db_url)
    yield r
    r.close()


def test_waiters_get_their_own_outcomes_and_records(rig: _Rig) -> None:
    seen: list[bool | None] = []

    def finish(first: bool | None) -> dict[str, Any]:
        seen.append(first)
        return _record(first)

    async def main() -> list[bool | None]:
        rows = [_row("a", "n1"), _row("a", "n2"), _row("b", "n3"), None, _row("c", "n1")]
        out = list(await asyncio.gather(*(rig.writer.write(r, finish) for r in rows)))
        # a second batch, after the first is committed: replays across batches
        out.append(await rig.writer.write(_row("b", "n9"), finish))
        await rig.writer.aclose()
        return out

    assert rig.writer.on_loop
    assert asyncio.run(main()) == [True, False, True, None, False, False]
    assert seen == [True, False, True, None, False, False]
    assert rig.thread.write(_row("a", "n7"), lambda _f: None) is False  # the thread agrees
    assert _count(rig.engine, "verifier_replay") == 2
    assert _count(rig.engine, "verifier_record") == 6
    with rig.engine.connect() as conn:
        kept = conn.execute(text("SELECT kept_claims FROM verifier_record "
                                 "WHERE valid = :v"), {"v": True}).scalars().all()
    assert kept == ['{"name":"张三"}'] * 2


def test_each_event_loop_has_its_own_connection(rig: _Rig) -> None:
    async def one(digest: str, *, close: bool = True) -> bool | None:
        first = await rig.writer.write(_row(digest, digest), lambda _f: None)
        if close:
            await rig.writer.aclose()
        return first

    assert asyncio.run(one("l1")) is True
    assert asyncio.run(one("l1")) is False  # a new loop, the same store
    # A loop that closed without aclose: its connection is closed by the next loop's
    # first write (else a ResourceWarning, an error under this suite's filterwarnings).
    assert asyncio.run(one("l2", close=False)) is True
    assert asyncio.run(one("l3")) is True


def test_a_cancelled_waiter_is_still_committed(rig: _Rig) -> None:
    async def main() -> None:
        task = asyncio.ensure_future(rig.writer.write(_row("x", "nx"), lambda _f: None))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.wait_for(rig.writer.write(_row("y", "ny"), lambda _f: None),
                                      timeout=30) is True
        await rig.writer.aclose()

    asyncio.run(main())
    assert rig.thread.write(_row("x", "other"), lambda _f: None) is False


def test_a_database_failure_reaches_every_waiter_then_the_writer_recovers(rig: _Rig) -> None:
    def rename(a: str, b: str) -> None:
        with rig.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {a} RENAME TO {b}"))

    async def batch(*digests: str) -> list[Any]:
        return list(await asyncio.gather(
            *(rig.writer.write(_row(d, d), lambda _f: None) for d in digests),
            return_exceptions=True))

    async def main() -> None:
        assert await batch("p0") == [True]  # connection open
        rename("verifier_replay", "replay_away")
        failed = await batch("p", "q")
        assert len(failed) == 2 and all(isinstance(r, Exception) for r in failed)
        rename("replay_away", "verifier_replay")
        assert await batch("p", "q") == [True, True]
        await rig.writer.aclose()

    asyncio.run(main())


# --- SQLite: never wait on the event loop ----------------------------------------------


async def _ticks_while(coro: Any) -> tuple[Any, int]:
    """Run ``coro``; count how often a 1 ms ticker ran meanwhile (the loop was free)."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0.001)
            ticks += 1

    t = asyncio.ensure_future(ticker())
    try:
        result = await coro
    finally:
        done = True
        await t
    return result, ticks


def test_sqlite_lock_file_held_elsewhere_delays_without_blocking(sqlite_rig: _Rig) -> None:
    db = sqlite_rig.engine.url.database
    other = FileLock(lock_path(db))  # another process's writer, as far as flock is concerned

    async def main() -> None:
        assert other.acquire_nowait()
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, other.release)
        started = time.monotonic()
        results, ticks = await _ticks_while(asyncio.gather(
            *(sqlite_rig.writer.write(_row(d, d), lambda _f: None) for d in ("a", "b"))))
        assert results == [True, True]
        assert time.monotonic() - started >= 0.19  # it did wait for the lock
        assert ticks >= 20  # …without holding up the loop
        await sqlite_rig.writer.aclose()

    try:
        asyncio.run(main())
    finally:
        other.close()


def test_sqlite_transaction_held_elsewhere_delays_without_blocking(sqlite_rig: _Rig) -> None:
    db = str(sqlite_rig.engine.url.database)
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

    async def main() -> None:
        other.execute("BEGIN IMMEDIATE")  # a writer that does not use the lock file
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, other.execute, "COMMIT")
        results, ticks = await _ticks_while(
            sqlite_rig.writer.write(_row("t", "t"), lambda _f: None))
        assert results is True
        assert ticks >= 20
        await sqlite_rig.writer.aclose()

    try:
        asyncio.run(main())
    finally:
        other.close()


def test_sqlite_lock_held_too_long_goes_to_the_writer_thread(
        sqlite_rig: _Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop_batch, "GIVE_UP_S", 0.05)
    db = sqlite_rig.engine.url.database
    other = FileLock(lock_path(db))
    handed: list[int] = []
    real = sqlite_rig.thread.write_async

    async def spy(replay: Any, finish: Any) -> bool | None:
        handed.append(1)
        return await real(replay, finish)

    monkeypatch.setattr(sqlite_rig.thread, "write_async", spy)

    async def main() -> None:
        assert other.acquire_nowait()
        asyncio.get_running_loop().call_later(0.3, other.release)
        results, ticks = await _ticks_while(asyncio.gather(
            *(sqlite_rig.writer.write(_row(d, d), lambda _f: None) for d in ("g", "h"))))
        assert results == [True, True]
        assert ticks >= 20
        await sqlite_rig.writer.aclose()

    try:
        asyncio.run(main())
    finally:
        other.close()
    assert handed == [1, 1]


def test_sqlite_wal_is_checkpointed_off_the_loop(sqlite_rig: _Rig,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop_batch, "CHECKPOINT_EVERY", 2)
    calls: list[str] = []
    real = loop_batch._wal_checkpoint

    def spy(path: str) -> None:
        import threading

        calls.append(threading.current_thread().name)
        real(path)

    monkeypatch.setattr(loop_batch, "_wal_checkpoint", spy)

    async def main() -> None:
        for d in ("w1", "w2", "w3", "w4"):
            await sqlite_rig.writer.write(_row(d, d), lambda _f: None)
        await sqlite_rig.writer.aclose()

    asyncio.run(main())
    assert calls and all(name != "MainThread" for name in calls)


def test_in_memory_sqlite_uses_the_writer_thread() -> None:
    engine = make_engine("sqlite://")
    writer = LoopWriter(engine, WriteBatcher(engine))
    assert not writer.on_loop
    engine.dispose()
