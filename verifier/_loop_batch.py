"""Group commit on the event loop: the HTTP endpoint's replay rows and records.

``verifier._batch.WriteBatcher`` commits in a writer thread. For the ``async`` endpoint
that thread was the most expensive part of a verification: every database call releases the
GIL and takes it back while the event loop is busy, and each hand-over costs both threads
more than the insert itself (measured in bench/verify_http.py: ~0.1–0.3 ms of CPU per
verification). ``LoopWriter`` keeps the writes on the event loop without ever blocking it:

- **PostgreSQL**: an ``asyncio`` psycopg connection. One batch is in flight at a time; what
  arrives meanwhile forms the next batch (one ``INSERT … ON CONFLICT DO NOTHING RETURNING``
  for the replay rows and one multi-row insert for the records per transaction).
- **SQLite** (a file): its own ``sqlite3`` connection with no busy wait. A batch is flushed
  right after the loop has run every request that was ready (``call_soon``), under the same
  cross-process lock file as the writer thread (``verifier._writelock``) taken *without*
  waiting, then ``BEGIN IMMEDIATE`` without waiting: when another process (or the writer
  thread) is writing, the batch waits ``RETRY_S`` on the loop, growing meanwhile. The commit
  itself (WAL, ``synchronous=NORMAL``: no fsync) runs on the loop; it is short. This
  connection never checkpoints on commit (a checkpoint copies pages back and fsyncs: tens of
  milliseconds, which tripled the p99 latency); a worker thread checkpoints every
  ``CHECKPOINT_EVERY`` commits instead.
- Anything else (an in-memory SQLite, another database, or a SQLite lock not obtained for
  ``GIVE_UP_S``) is handed to the writer thread, which may wait.

The outcome per item is the same as ``WriteBatcher``'s: True for the first presentation
anywhere, False for a replay, None when there was no replay row; a database failure reaches
every waiter of the batch as the exception. Each event loop has its own state (a test client
runs the app on a loop of its own; a server has one loop per worker process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

from verifier._batch import Finish, WriteBatcher, apply_outcomes, settle_outcomes
from verifier._writelock import FileLock, lock_path
from verifier.replay import dedupe, many_sql

__all__ = ["LoopWriter"]

log = logging.getLogger("elicense.verifier")

RETRY_S = 0.001
GIVE_UP_S = 2.0
CHECKPOINT_EVERY = 100
_REPLAY_COLUMNS = ("digest", "nonce_key", "expires_at")
_RECORD_COLUMNS = ("org_id", "scenario", "scenario_version", "credential_type", "issuer",
                   "valid", "codes", "verified_at", "expires_at", "kept_claims")


def _records_sql(mark: str, n: int) -> str:
    row = "(" + ", ".join([mark] * len(_RECORD_COLUMNS)) + ")"
    return (f"INSERT INTO verifier_record ({', '.join(_RECORD_COLUMNS)}) VALUES "  # noqa: S608
            + ", ".join([row] * n))  # placeholders only: the values are bound by the driver


Item = tuple[dict[str, Any] | None, Finish, "asyncio.Future[bool | None]"]


class _State:
    """One event loop's pending batch and connection."""

    def __init__(self) -> None:
        self.pending: list[Item] = []
        self.scheduled = False  # a flush is queued or running
        self.conn: Any = None  # sqlite3.Connection | psycopg.AsyncConnection
        self.waiting_since: float | None = None
        self.commits = 0
        self.flushing: asyncio.Task[None] | None = None  # held: a bare task can be collected


class LoopWriter:
    def __init__(self, engine: Engine, fallback: WriteBatcher) -> None:
        self._engine = engine
        self._fallback = fallback
        self._dialect = engine.dialect.name
        database = engine.url.database
        self._sqlite_path = (database if self._dialect == "sqlite" and database
                             and database != ":memory:" else None)
        self._lock = FileLock(lock_path(self._sqlite_path)) if self._sqlite_path else None
        # Strong keys: a closed loop's connection is closed by ``_discard_closed_loops``,
        # not dropped with the loop (psycopg warns about a connection deleted while open).
        self._states: dict[asyncio.AbstractEventLoop, _State] = {}
        self._checkpointing: asyncio.Future[None] | None = None

    @property
    def on_loop(self) -> bool:
        """False: every write goes to the writer thread (no loop-side driver here)."""
        return self._dialect == "postgresql" or self._sqlite_path is not None

    async def write(self, replay: dict[str, Any] | None, finish: Finish) -> bool | None:
        if not self.on_loop:
            return await self._fallback.write_async(replay, finish)
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            self._discard_closed_loops()
            state = self._states[loop] = _State()
        fut: asyncio.Future[bool | None] = loop.create_future()
        state.pending.append((replay, finish, fut))
        if not state.scheduled:
            state.scheduled = True
            if self._dialect == "postgresql":
                state.flushing = loop.create_task(self._pg_flush(state))
            else:
                loop.call_soon(self._sqlite_flush, loop, state)
        # Queued: the write happens even if this request is cancelled (its future is then
        # done, and the flush skips it).
        return await fut

    async def aclose(self) -> None:
        """At shutdown, on the running loop: close its connection (and any left by a loop
        that has closed since)."""
        self._discard_closed_loops()
        state = self._states.pop(asyncio.get_running_loop(), None)
        conn = state.conn if state is not None else None
        if conn is not None:
            with contextlib.suppress(Exception):
                result = conn.close()
                if asyncio.iscoroutine(result):
                    await result
        if self._checkpointing is not None:
            with contextlib.suppress(Exception):
                await self._checkpointing
        if self._lock is not None:
            self._lock.close()

    def _discard_closed_loops(self) -> None:
        """A test client runs each app on a loop of its own: a loop that has closed leaves
        its connection here. Close it without that loop (the socket, not the protocol)."""
        for loop in [lp for lp in self._states if lp.is_closed()]:
            conn = self._states.pop(loop).conn
            if conn is None:
                continue
            with contextlib.suppress(Exception):
                if isinstance(conn, sqlite3.Connection):
                    conn.close()
                else:  # psycopg.AsyncConnection: libpq's close needs no event loop
                    conn.pgconn.finish()

    # --- SQLite -------------------------------------------------------------------------

    def _sqlite_flush(self, loop: asyncio.AbstractEventLoop, state: _State) -> None:
        assert self._lock is not None and self._sqlite_path is not None
        if not state.pending:
            state.scheduled = False
            return
        if not self._lock.acquire_nowait():
            self._sqlite_wait(loop, state)
            return
        try:
            began = self._sqlite_begin(state)
            if began:
                items, state.pending = state.pending, []
                state.waiting_since = None
                self._sqlite_commit(loop, state, items)
        except BaseException as exc:  # no connection, or BEGIN failed other than busy
            items, state.pending = state.pending, []
            self._drop_sqlite(state)
            _fail(items, exc)
            began = True
        finally:
            self._lock.release()
        if not began:
            self._sqlite_wait(loop, state)
        elif state.pending:
            loop.call_soon(self._sqlite_flush, loop, state)
        else:
            state.scheduled = False

    def _sqlite_begin(self, state: _State) -> bool:
        """``BEGIN IMMEDIATE`` on the loop's connection; False when another writer (one
        that does not use the lock file) has the database."""
        assert self._sqlite_path is not None
        if state.conn is None:
            state.conn = _sqlite_connect(self._sqlite_path)
        try:
            state.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return False
            raise
        return True

    def _sqlite_commit(self, loop: asyncio.AbstractEventLoop, state: _State,
                       items: list[Item]) -> None:
        conn = state.conn
        try:
            results = _sqlite_write(conn, items)
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            self._drop_sqlite(state)
            _fail(items, exc)
            return
        settle_outcomes([fut for _r, _f, fut in items], results, failed=False)
        state.commits += 1
        if state.commits % CHECKPOINT_EVERY == 0:
            self._checkpoint(loop)

    def _sqlite_wait(self, loop: asyncio.AbstractEventLoop, state: _State) -> None:
        """Another writer holds the lock: try again shortly; after ``GIVE_UP_S`` hand the
        batch to the writer thread, which may block."""
        now = time.monotonic()
        if state.waiting_since is None:
            state.waiting_since = now
        if now - state.waiting_since < GIVE_UP_S:
            loop.call_later(RETRY_S, self._sqlite_flush, loop, state)
            return
        items, state.pending = state.pending, []
        state.waiting_since, state.scheduled = None, False
        log.warning("verifier: SQLite write lock busy for %.1fs; %d writes go to the writer "
                    "thread", GIVE_UP_S, len(items))
        for replay, finish, fut in items:
            task = loop.create_task(self._fallback.write_async(replay, finish))
            task.add_done_callback(_chain(fut))

    def _checkpoint(self, loop: asyncio.AbstractEventLoop) -> None:
        """Copy the WAL back into the database file in a worker thread (it fsyncs), unless
        one is running: the loop's connection never checkpoints on commit."""
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        assert self._sqlite_path is not None
        self._checkpointing = loop.run_in_executor(None, _wal_checkpoint, self._sqlite_path)

    @staticmethod
    def _drop_sqlite(state: _State) -> None:
        conn, state.conn = state.conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # --- PostgreSQL ---------------------------------------------------------------------

    async def _pg_flush(self, state: _State) -> None:
        while state.pending:
            items, state.pending = state.pending, []
            try:
                if state.conn is None or state.conn.closed:
                    state.conn = await _pg_connect(self._engine)
                conn = state.conn
                # Pipeline mode: BEGIN goes out with the replay insert, the records with
                # COMMIT: two round trips per batch instead of four.
                async with conn.pipeline(), conn.transaction():
                    cur = conn.cursor()
                    results = await _pg_write(cur, items)
            except BaseException as exc:
                conn, state.conn = state.conn, None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                _fail(items, exc)
                if not isinstance(exc, Exception):
                    state.scheduled = False
                    raise
            else:
                settle_outcomes([fut for _r, _f, fut in items], results, failed=False)
        state.scheduled = False


def _chain(fut: asyncio.Future[bool | None]) -> Any:
    def done(task: asyncio.Task[bool | None]) -> None:
        if fut.done():
            return
        exc = task.exception()
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(task.result())
    return done


def _sqlite_connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: transactions are ours (BEGIN IMMEDIATE … COMMIT); timeout=0: a
    # busy database answers at once instead of sleeping on the event loop.
    conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    # No checkpoint on commit (module docstring): ``LoopWriter._checkpoint`` does it.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def _wal_checkpoint(path: str) -> None:
    """PASSIVE: copies what it can without waiting for (or blocking) readers and writers."""
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        log.warning("verifier: WAL checkpoint failed", exc_info=True)
    finally:
        conn.close()


def _values(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[Any]:
    """The parameters of a multi-row insert, row after row."""
    return [row[c] for row in rows for c in columns]


def _sqlite_write(conn: sqlite3.Connection, items: list[Item]) -> list[bool | None]:
    """The batch in the open transaction: replay rows, then records."""
    rows = [r for r, _f, _fut in items if r is not None]
    firsts, unique = dedupe(rows)
    inserted: set[str] = set()
    if unique:
        cur = conn.execute(many_sql("?", len(unique)), _values(unique, _REPLAY_COLUMNS))
        inserted = {row[0] for row in cur}
    results, records = _outcomes(items, rows, firsts, inserted)
    if records:
        conn.execute(_records_sql("?", len(records)), _values(records, _RECORD_COLUMNS))
    return results


def _fail(items: list[Item], exc: BaseException) -> None:
    settle_outcomes([fut for _r, _f, fut in items], [exc] * len(items), failed=True)


def _outcomes(items: list[Item], rows: list[dict[str, Any]], firsts: list[bool],
              inserted: set[str]) -> tuple[list[bool | None], list[dict[str, Any]]]:
    """A row was the first anywhere when it was first in its batch and the insert took it."""
    return apply_outcomes(items, [first and row["digest"] in inserted
                                  for first, row in zip(firsts, rows, strict=True)])


async def _pg_connect(engine: Engine) -> Any:
    import psycopg

    url = engine.url.set(drivername="postgresql")
    return await psycopg.AsyncConnection.connect(url.render_as_string(hide_password=False))


async def _pg_write(cur: Any, items: list[Item]) -> list[bool | None]:
    rows = [r for r, _f, _fut in items if r is not None]
    firsts, unique = dedupe(rows)
    inserted: set[str] = set()
    if unique:
        await cur.execute(many_sql("%s", len(unique)), _values(unique, _REPLAY_COLUMNS))
        inserted = {row[0] for row in await cur.fetchall()}
    results, records = _outcomes(items, rows, firsts, inserted)
    if records:
        await cur.execute(_records_sql("%s", len(records)), _values(records, _RECORD_COLUMNS))
    return results
