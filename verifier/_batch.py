"""Group commit for the verifier's writes (replay rows and records).

Each verification needs one replay insert and one record insert. Done per request, the
commits serialise (SQLite has one writer; every commit is a round trip on PostgreSQL) and,
with many request threads, the thread holding the write lock waits for the GIL after every
database call. Instead, request threads hand their write to one writer thread and wait; the
writer takes everything queued and does it in *one* transaction (a multi-row ``INSERT … ON
CONFLICT DO NOTHING RETURNING`` for the replay store, an ``executemany`` for the records),
then wakes each request with whether its presentation was the first. Latency is one commit;
throughput is many verifications per commit. For SQLite, writers in other processes take
turns on a lock file (``verifier._writelock``). An ``async`` caller (the HTTP endpoint)
awaits ``write_async`` instead of parking a thread: the writer wakes each event loop once
per batch (one ``call_soon_threadsafe``), not each request thread one by one.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import Connection, Engine

from verifier._writelock import write_lock
from verifier.models import VerifierRecord
from verifier.replay import insert_many

__all__ = ["Finish", "WriteBatcher", "apply_outcomes", "settle_outcomes"]

log = logging.getLogger("elicense.verifier")

# finish(first) runs in the writer thread once the replay outcome is known (None: no replay
# row) and returns the record row to insert, or None.
Finish = Callable[[bool | None], dict[str, Any] | None]
_RECORDS = VerifierRecord.__table__.insert()  # type: ignore[attr-defined]
_STOP: Any = object()
IDLE_RELEASE_S = 0.5
# Who waits for an item: a thread (concurrent Future) or a coroutine (asyncio Future).
Waiter = Future[bool | None] | asyncio.Future[bool | None]
Item = tuple[dict[str, Any] | None, Finish, Waiter]


class WriteBatcher:
    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._lock = write_lock(engine)
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None
        self._start = threading.Lock()

    def write(self, replay: dict[str, Any] | None, finish: Finish) -> bool | None:
        """Queue one verification's writes and wait until they are committed."""
        fut: Future[bool | None] = Future()
        self._ensure_thread()
        self._queue.put((replay, finish, fut))
        return fut.result()

    async def write_async(self, replay: dict[str, Any] | None, finish: Finish
                          ) -> bool | None:
        """``write`` for a coroutine: the event loop serves other requests meanwhile."""
        fut: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._ensure_thread()
        self._queue.put((replay, finish, fut))
        return await fut  # queued: the write happens even if this request is cancelled

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._start:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name="verifier-writer")
                    self._thread.start()

    def close(self) -> None:
        """Stop the writer thread once it has written everything queued before."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            try:  # hold the connection while busy, give it back after a quiet moment
                head = self._queue.get(timeout=IDLE_RELEASE_S if self._conn else None)
            except queue.Empty:
                self._release()
                continue
            if head is _STOP:
                self._release()
                return
            items = [head]
            while len(items) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)  # finish this batch, then stop
                    break
                items.append(item)
            try:
                results: list[Any] = self._commit(items)
                failed = False
            except BaseException as exc:  # the database failed: every waiter learns it
                results, failed = [exc] * len(items), True
            _wake([fut for _r, _f, fut in items], results, failed=failed)

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken (server gone): nothing left to release
                log.warning("verifier writer: closing a broken connection failed",
                            exc_info=True)

    def _commit(self, items: list[Item]) -> list[bool | None]:
        if self._conn is None or self._conn.closed:
            # The writer keeps one connection: no pool checkout / reset per batch.
            self._conn = self._engine.connect()
        conn = self._conn
        try:
            with self._lock, conn.begin():
                return self._write(conn, items)
        except BaseException:
            self._release()  # a broken connection is replaced on the next batch
            raise

    def _write(self, conn: Connection, items: list[Item]) -> list[bool | None]:
        rows = [r for r, _f, _fut in items if r is not None]
        results, records = apply_outcomes(items, insert_many(conn, rows) if rows else [])
        if records:
            conn.execute(_RECORDS, records)
        return results


def apply_outcomes(items: Sequence[tuple[dict[str, Any] | None, Finish, Any]],
                   firsts: Iterable[bool]) -> tuple[list[bool | None], list[dict[str, Any]]]:
    """Each item's replay outcome (``firsts``: one per item with a replay row, in order;
    None for the others), its ``finish`` called with it, and the records to insert."""
    by_row = iter(firsts)
    results: list[bool | None] = []
    records: list[dict[str, Any]] = []
    for replay, finish, _waiter in items:
        first = next(by_row) if replay is not None else None
        results.append(first)
        record = finish(first)
        if record is not None:
            records.append(record)
    return results, records


def _wake(waiters: list[Waiter], results: list[Any], *, failed: bool) -> None:
    """Threads directly; coroutines with one hop onto each event loop for the batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
    for fut, outcome in zip(waiters, results, strict=True):
        if isinstance(fut, asyncio.Future):
            by_loop.setdefault(fut.get_loop(), []).append((fut, outcome))
        elif failed:
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)
    for loop, pending in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, pending, failed)
        except RuntimeError:  # pragma: no cover - that loop has closed: nobody waits
            log.warning("verifier writer: an event loop closed with writes pending")


def _settle(pending: list[tuple[asyncio.Future[Any], Any]], failed: bool) -> None:
    settle_outcomes([fut for fut, _o in pending], [o for _f, o in pending], failed=failed)


def settle_outcomes(futures: list[asyncio.Future[Any]], outcomes: list[Any], *,
                    failed: bool) -> None:
    """On the futures' event loop: each its outcome (the exception when ``failed``); a
    future already done belongs to a request that was cancelled (client gone)."""
    for fut, outcome in zip(futures, outcomes, strict=True):
        if fut.done():
            continue
        if failed:
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)
