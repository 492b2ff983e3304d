"""Benchmark: bulk issuance (status index + SD-JWT VC signing + database) into SQLite and
PostgreSQL, beside the bare signing rate measured in the same run.

What is timed is ``issuer.bulk.issue_many`` over prepared ID-card requests (claims already
validated against the catalog, as the bulk path does once per line before it): per batch
one random status-index draw, signing on a process pool (``issuer.parallel``; each worker
loads the issuer key from the key store itself), one multi-row INSERT of credentials (claims
AES-GCM sealed, blind index) and one of hash-chained audit rows, one commit. The bare rate
is ``Signer.sign`` over a same-sized signing input, one core, no SD-JWT encoding.

Ends with exactly one line::

    issue_rate sqlite=<n>/s postgres=<n>/s bare_sign=<n>/s

Goal (issue 3): >= 15,000 credentials/s on a 2-core machine. Run:
``.venv/bin/python bench/issue.py`` (PostgreSQL from ELICENSE_TEST_POSTGRES_URL or
``--postgres URL``; without one ``postgres=skipped``); ``--quick`` for a smoke run
(tests/issuer/test_bench.py runs it); ``--profile`` prints where the time goes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlmodel import Session

from core.clock import FixedClock
from core.db import make_engine, migrate
from issuer import bulk, issuance
from issuer.app import bootstrap
from issuer.catalog import get_type
from issuer.keyring import issuer_signer
from issuer.oauth import Principal, agency_scopes
from issuer.schemas import Holder
from issuer.settings import IssuerSettings
from keys.software import generate_signer

NOW = 1_790_000_000
CLAIMS = {
    "name": "王小明", "sex": "男", "ethnicity": "汉", "birthdate": "1990-01-02",
    "address": "上海市黄浦区人民大道 200 号", "issuing_authority": "上海市公安局黄浦分局",
    "valid_from": "2020-01-01", "valid_until": "2040-01-01",
}


def _items(settings: IssuerSettings, n: int) -> list[tuple[str | None, issuance.Prepared]]:
    lt = get_type("id_card")
    holders = [Holder(jwk=generate_signer("ES256").public_jwk()) for _ in range(64)]
    out: list[tuple[str | None, issuance.Prepared]] = []
    proto = issuance.prepare(settings=settings, lt=lt,
                             claims={**CLAIMS, "document_number": "310101199001020011"},
                             holder=holders[0], valid_until=None, now=NOW)
    for i in range(n):
        claims = {**CLAIMS, "document_number": f"3101011990{i:07d}X"}
        jwk = holders[i % len(holders)].jwk
        assert jwk is not None
        out.append((f"ref-{i}", issuance.Prepared(
            lt=lt, claims=claims, signed_claims={**proto.signed_claims, **claims},
            holder_jwk=dict(jwk), exp=proto.exp)))
    return out


def _bare_sign(settings: IssuerSettings, n: int) -> float:
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        signer = issuer_signer(s, settings)
    engine.dispose()
    msg = b"e" * 1400  # about a signed ID card's header.payload
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            signer.sign(msg)
        best = max(best, n / (time.perf_counter() - t))
    return best


def _cpu_s(pids: list[int]) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process and by ``pids`` (/proc)."""
    main = time.process_time()
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return main, total


def _run(settings: IssuerSettings, n: int, batch: int, processes: int,
         profile: bool) -> tuple[float, float, float]:
    from issuer.parallel import ParallelSigning

    clock = FixedClock(NOW)
    bootstrap(settings, clock=clock)
    items = _items(settings, n)
    principal = Principal(agency="psb", client_id="bench", scopes=agency_scopes("psb"))
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        kid = issuer_signer(s, settings).kid
        serial = bulk.sign_serial(issuer_signer(s, settings), settings)
    pool = ParallelSigning(settings, kid, processes) if processes > 1 else None
    try:
        sign_batch = pool or serial
        # warm up the pool (workers load the key) outside the timing
        with Session(engine, expire_on_commit=False) as s:
            bulk.issue_many(session=s, settings=settings, sign_batch=sign_batch,
                            principal=principal, items=items[:processes * 8], now=NOW)
        todo = items[processes * 8:]
        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile(time.process_time)  # CPU, not waiting
            prof.enable()
        pids = pool.pids() if pool is not None else []
        cpu0 = _cpu_s(pids)
        t = time.perf_counter()
        for i in range(0, len(todo), batch):
            with Session(engine, expire_on_commit=False) as s:
                bulk.issue_many(session=s, settings=settings, sign_batch=sign_batch,
                                principal=principal, items=todo[i:i + batch], now=NOW)
        rate = len(todo) / (time.perf_counter() - t)
        cpu1 = _cpu_s(pids)
        main_us = (cpu1[0] - cpu0[0]) / len(todo) * 1e6
        workers_us = (cpu1[1] - cpu0[1]) / len(todo) * 1e6
        if prof is not None:
            import pstats

            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
    finally:
        if pool is not None:
            pool.close()
        engine.dispose()
    return rate, main_us, workers_us


def _settings(url: str) -> IssuerSettings:
    return IssuerSettings(database_url=url, public_url="https://city.example", mode="dev",
                          argon2_time_cost=1, argon2_memory_kib=1024)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few hundred credentials")
    ap.add_argument("-n", type=int, default=30_000, help="credentials per backend")
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--postgres", default=os.environ.get("ELICENSE_TEST_POSTGRES_URL", ""))
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    n = 400 if args.quick else args.n
    ncpu = os.cpu_count() or 1
    batch = 100 if args.quick else args.batch

    rates: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        settings = _settings(url)
        r, main_us, workers_us = _run(settings, n, batch, args.processes, args.profile)
        cpu = main_us + workers_us
        print(f"sqlite:   {r:,.0f} credentials/s ({n} credentials, batch {batch}, "
              f"{args.processes} signing processes); CPU per credential: {main_us:.0f} µs "
              f"main (DB, audit) + {workers_us:.0f} µs workers (encode, sign, seal) "
              f"= {cpu:.0f} µs (= {ncpu * 1e6 / cpu:,.0f}/s if {ncpu} idle cores)")
        rates["sqlite"] = f"{r:.0f}/s"
        bare = _bare_sign(settings, 2_000 if args.quick else 20_000)
        print(f"bare sign: {bare:,.0f} signatures/s ({settings.issuer_alg}, one core)")
    if args.postgres:
        admin = make_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            migrate(url)
            r, main_us, workers_us = _run(_settings(url), n, batch, args.processes,
                                          args.profile)
            print(f"postgres: {r:,.0f} credentials/s; CPU per credential: {main_us:.0f} µs "
                  f"main + {workers_us:.0f} µs workers (the server's own CPU not counted)")
            rates["postgres"] = f"{r:.0f}/s"
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        rates["postgres"] = "skipped"
    print(f"issue_rate sqlite={rates['sqlite']} postgres={rates['postgres']} "
          f"bare_sign={bare:.0f}/s")


if __name__ == "__main__":
    main()


