"""Crash safety of bulk import (issue 7, docs/security.md §Crash safety): ``elicense issuer
import`` is killed with SIGKILL midway (after some chunks were committed), then run again
to completion. The credentials issued must equal a clean run's: every ref once, no gap,
status indices unique, each shard's ``used`` counter equal to the rows drawn from it and
every index VALID in the published status list token. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

import issuer.app as iapp
from core.credential import StaticKeys
from core.db import make_engine
from core.statuslist import VALID, verify_status_list_token
from keys.software import generate_signer
from tests.issuer.conftest import id_card_claims
from tests.wallet.conftest import PUBLIC_URL

pytestmark = pytest.mark.slow

LINES = 3000
CHUNK = 50
ELICENSE = str(Path(sys.executable).with_name("elicense"))


def _write_file(path: Path) -> None:
    holder = generate_signer("ES256").public_jwk()
    with path.open("wb") as f:
        for i in range(LINES):
            f.write(orjson.dumps({
                "ref": f"crash-{i:05d}", "type": "id_card",
                "claims": id_card_claims(document_number=f"1101051990{i:07d}X"),
                "holder": {"jwk": holder}}) + b"\n")


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELICENSE_")}
    env.update(ELICENSE_DATABASE_URL=url, ELICENSE_PUBLIC_URL=PUBLIC_URL,
               ELICENSE_EVENTS_POLL_S="0")
    return env


def _import(url: str, file: Path, out: Path) -> subprocess.Popen[bytes]:
    with out.with_suffix(".log").open("wb") as log:
        return subprocess.Popen([ELICENSE, "issuer", "import", str(file), "--agency", "psb",
                                 "--chunk", str(CHUNK), "--out", str(out)], env=_env(url),
                                stdout=subprocess.DEVNULL, stderr=log)


def _log(out: Path) -> str:
    return out.with_suffix(".log").read_text(errors="replace")


def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text("SELECT COUNT(*) FROM issuer_credential "
                                      "WHERE ref LIKE 'crash-%'")).scalar() or 0)
    finally:
        engine.dispose()


def _issued(url: str) -> list[tuple[str, str, int, int]]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in c.execute(text(
                "SELECT ref, type, status_list_id, status_idx FROM issuer_credential "
                "WHERE ref LIKE 'crash-%' ORDER BY ref"))]
    finally:
        engine.dispose()


def _check_status_lists(url: str, rows: list[tuple[str, str, int, int]]) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            used: dict[int, int] = {int(k): int(v) for k, v in c.execute(text(
                "SELECT id, used FROM issuer_status_list")).all()}
            drawn = Counter(lid for lid, in c.execute(text(
                "SELECT status_list_id FROM issuer_credential UNION ALL "
                "SELECT status_list_id FROM issuer_credential_copy")).all())
    finally:
        engine.dispose()
    assert {k: v for k, v in used.items() if v} == dict(drawn)
    settings = iapp.Settings(database_url=url, public_url=PUBLIC_URL)
    with TestClient(iapp.create_app(settings), base_url=PUBLIC_URL) as client:
        keys = StaticKeys({f"{PUBLIC_URL}/issuer": client.get("/jwks.json").json()})
        for list_id in {lid for _r, _t, lid, _i in rows}:
            token = client.get(f"/status-lists/{list_id}",
                               headers={"Accept": "application/statuslist+jwt"}).text
            lst = verify_status_list_token(token, keys=keys, now=int(time.time()),
                                           iss=f"{PUBLIC_URL}/issuer")
            assert all(lst.get(idx) == VALID for _r, _t, lid, idx in rows if lid == list_id)


def _clean_run(db_url: str, file: Path, tmp_path: Path) -> list[tuple[str, str]]:
    iapp.bootstrap(iapp.Settings(database_url=db_url, public_url=PUBLIC_URL))
    proc = _import(db_url, file, tmp_path / "clean.ndjson")
    assert proc.wait(timeout=300) == 0, _log(tmp_path / "clean.ndjson")
    return [(ref, type_) for ref, type_, _l, _i in _issued(db_url)]


def test_import_killed_midway_then_resumed_equals_a_clean_run(
        any_db_url: str, db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "lines.ndjson"
    _write_file(file)
    url = any_db_url
    iapp.bootstrap(iapp.Settings(database_url=url, public_url=PUBLIC_URL))
    proc = _import(url, file, tmp_path / "killed.ndjson")
    deadline = time.monotonic() + 120
    while _count(url) < 3 * CHUNK and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    at_kill = _count(url)
    print(f"{url.split(':')[0]}: killed at {at_kill}/{LINES} committed")
    assert 0 < at_kill < LINES and at_kill % CHUNK == 0  # whole chunks, nothing partial
    resumed = _import(url, file, tmp_path / "resumed.ndjson")
    assert resumed.wait(timeout=300) == 0, _log(tmp_path / "resumed.ndjson")
    results = [orjson.loads(x) for x in (tmp_path / "resumed.ndjson").read_bytes().splitlines()]
    assert sum(1 for r in results if r.get("already_issued")) == at_kill
    rows = _issued(url)
    assert len(rows) == LINES and len({r[0] for r in rows}) == LINES
    assert len({(lid, idx) for _r, _t, lid, idx in rows}) == LINES
    assert [(ref, type_) for ref, type_, _l, _i in rows] == _clean_run(db_url, file, tmp_path)
    _check_status_lists(url, rows)
