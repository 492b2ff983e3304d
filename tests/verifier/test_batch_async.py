"""Group commit awaited from coroutines (``WriteBatcher.write_async``, the HTTP path): each
waiter learns its own replay outcome, concurrent coroutines share commits, a cancelled
waiter's write is still committed, and a database failure reaches every waiter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.db import make_engine
from verifier._batch import WriteBatcher
from verifier.replay import replay_row


def _row(digest: str, nonce: str) -> dict[str, Any]:
    return replay_row(digest=digest, nonce=nonce, expires_at=2_000_000_000)


def _count(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM verifier_replay")).scalar_one())


def test_async_waiters_get_their_own_outcomes(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    batcher = WriteBatcher(engine)
    seen: list[bool | None] = []

    def finish(first: bool | None) -> None:
        seen.append(first)

    async def main() -> list[bool | None]:
        rows = [_row("a", "n1"), _row("a", "n2"), _row("b", "n3"), None, _row("c", "n1")]
        return list(await asyncio.gather(*(batcher.write_async(r, finish) for r in rows)))

    try:
        assert asyncio.run(main()) == [True, False, True, None, False]
        assert sorted(map(str, seen)) == sorted(map(str, [True, False, True, None, False]))
        assert batcher.write(_row("b", "n9"), finish) is False  # threads and coroutines agree
        assert _count(engine) == 2
    finally:
        batcher.close()
        engine.dispose()


def test_a_cancelled_waiter_is_still_committed(db_url: str) -> None:
    engine = make_engine(db_url)
    batcher = WriteBatcher(engine)

    async def main() -> None:
        task = asyncio.ensure_future(batcher.write_async(_row("x", "nx"), lambda _f: None))
        await asyncio.sleep(0)  # queued
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The next write is behind the cancelled one in the queue: once it is done, so is x.
        assert await asyncio.wait_for(batcher.write_async(_row("y", "ny"), lambda _f: None),
                                      timeout=30) is True

    try:
        asyncio.run(main())
        assert batcher.write(_row("x", "other"), lambda _f: None) is False
    finally:
        batcher.close()
        engine.dispose()


def test_a_database_failure_reaches_async_waiters(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")  # not migrated: no replay table
    batcher = WriteBatcher(engine)

    async def main() -> None:
        results = await asyncio.gather(
            *(batcher.write_async(_row(d, d), lambda _f: None) for d in ("p", "q")),
            return_exceptions=True)
        assert all(isinstance(r, Exception) for r in results)

    try:
        asyncio.run(main())
    finally:
        batcher.close()
        engine.dispose()
