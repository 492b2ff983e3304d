"""Signing a bulk batch on several processes (the signing is CPU-bound; both cores of a
small machine are worth using).

Each worker loads the issuer's active key itself from the key store (``keys.service``) in
its initializer: no private key is ever pickled or sent between processes, only the
``SignTask`` data and the resulting SD-JWT strings. The key id is checked: a worker that
finds a different active key (a rotation in between) refuses, and the caller retries.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any

from sqlmodel import Session

from core.db import make_engine
from core.signing import Signer
from issuer.bulk import Signed, SignTask, sign_serial
from issuer.settings import IssuerSettings

__all__ = ["ParallelSigning"]

_worker: dict[str, Any] = {}


def _init(settings_json: str, kid: str) -> None:
    from issuer.keyring import issuer_signer

    settings = IssuerSettings.model_validate_json(settings_json)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        signer: Signer = issuer_signer(session, settings)
    engine.dispose()
    _worker["kid"] = signer.kid
    _worker["run"] = sign_serial(signer, settings)
    _worker["expected"] = kid


def _sign(tasks: Sequence[SignTask]) -> Signed:
    if _worker["kid"] != _worker["expected"]:
        raise RuntimeError("issuer key changed while signing a batch")
    [out] = _worker["run"](tasks)
    return out


class ParallelSigning:
    """``sign_batch`` for ``issuer.bulk.issue_many`` over ``processes`` worker processes."""

    def __init__(self, settings: IssuerSettings, kid: str, processes: int = 2) -> None:
        ctx = mp.get_context("spawn")  # no forked DB connections or locks
        secret = settings.key_encryption_secret.get_secret_value()
        dump = settings.model_dump(mode="json")
        dump["key_encryption_secret"] = secret
        import orjson

        self._processes = processes
        self._pool: Pool = ctx.Pool(processes, initializer=_init,
                                    initargs=(orjson.dumps(dump).decode(), kid))

    def __call__(self, tasks: Sequence[SignTask]) -> Iterator[Signed]:
        """Parts of about 250 tasks, signed by the pool, yielded in order as they finish."""
        n = max(1, min(250, -(-len(tasks) // self._processes)))
        return self._pool.imap(_sign, [tasks[i:i + n] for i in range(0, len(tasks), n)])

    def pids(self) -> list[int]:
        """Worker process ids (for the benchmark's CPU accounting)."""
        return [p.pid for p in self._pool._pool if p.pid is not None]  # type: ignore[attr-defined]

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def __enter__(self) -> ParallelSigning:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if et is None:
            self.close()
        else:
            self._pool.terminate()
            self._pool.join()
