"""Bulk issuance: POST /issuer/v1/credentials:batch (NDJSON in and out, per-line errors)
and ``elicense issuer import`` (re-run after an interruption issues nothing twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from core.clock import FixedClock
from core.credential import StaticKeys, verify
from core.db import make_engine
from issuer.cli import app as issuer_cli
from issuer.models import Credential
from issuer.settings import IssuerSettings
from keys.software import SoftwareSigner

from .conftest import ISS, TestClient, id_card_claims


def line(ref: str, holder: SoftwareSigner, **over: Any) -> dict[str, Any]:
    body = {"ref": ref, "type": "id_card",
            "claims": id_card_claims(document_number=f"1101051990050{int(ref[1:]):04d}1"),
            "holder": {"jwk": holder.public_jwk()}}
    body.update(over)
    return body


def ndjson(lines: list[Any]) -> bytes:
    return b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines)


def post_batch(client: TestClient, headers: dict[str, str], lines: list[Any]
               ) -> list[dict[str, Any]]:
    r = client.post("/issuer/v1/credentials:batch", content=ndjson(lines),
                    headers={**headers, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [orjson.loads(x) for x in r.text.splitlines()]


def test_batch_issues_and_reports_each_line(client: TestClient, psb: dict[str, str],
                                            holder: SoftwareSigner, clock: FixedClock) -> None:
    lines = [line(f"r{i}", holder) for i in range(5)]
    lines.insert(2, b"{not json")
    lines.append(line("r9", holder, type="business_license"))  # not psb's type
    lines.append(line("r10", holder, claims={"name": "x"}))  # schema
    lines.append(line("r0", holder))  # duplicate within the batch
    lines.append({**line("r11", holder), "holder": {"offer": True}})
    out = post_batch(client, psb, lines)
    assert len(out) == len(lines)
    ok = [o for o in out if "credential" in o]
    assert [o["ref"] for o in ok] == [f"r{i}" for i in range(5)]
    errors = {o["ref"]: o["error"]["code"] for o in out if "error" in o}
    assert errors == {None: "invalid_json", "r9": "type_not_allowed",
                      "r10": "validation_failed", "r0": "duplicate_ref",
                      "r11": "validation_failed"}
    jwks = client.get("/issuer/jwks.json").json()
    idx = set()
    for o in ok:
        v = verify(o["credential"], keys=StaticKeys({ISS: jwks}), key_binding=False,
                   now=clock.now())
        assert v.status == {"status_list": o["status"]}
        idx.add(o["status"]["idx"])
    assert len(idx) == 5
    # re-posting: nothing issued twice
    again = post_batch(client, psb, [line(f"r{i}", holder) for i in range(6)])
    assert [o.get("already_issued", False) for o in again] == [True] * 5 + [False]
    assert [o["id"] for o in again[:5]] == [o["id"] for o in ok]


def test_batch_needs_a_token(client: TestClient, holder: SoftwareSigner) -> None:
    r = client.post("/issuer/v1/credentials:batch", content=ndjson([line("r1", holder)]))
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def _count(settings: IssuerSettings) -> int:
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        n = s.exec(select(func.count()).select_from(Credential)).one()
    engine.dispose()
    return int(n)


def test_cli_import_resumes_after_interruption(client: TestClient, settings: IssuerSettings,
                                               holder: SoftwareSigner, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ELICENSE_ARGON2_MEMORY_KIB", "1024")
    full = tmp_path / "all.ndjson"
    full.write_bytes(ndjson([line(f"r{i}", holder) for i in range(25)]))
    part = tmp_path / "part.ndjson"  # what got through before the interruption
    part.write_bytes(b"".join(full.read_bytes().splitlines(keepends=True)[:10]))
    runner = CliRunner()
    res = runner.invoke(issuer_cli, ["import", str(part), "--agency", "psb", "--chunk", "4",
                                     "--out", str(tmp_path / "o1.ndjson")])
    assert res.exit_code == 0, res.output
    assert _count(settings) == 10
    res = runner.invoke(issuer_cli, ["import", str(full), "--agency", "psb", "--chunk", "4",
                                     "--out", str(tmp_path / "o2.ndjson")])
    assert res.exit_code == 0, res.output
    assert "issued=15 already_issued=10 failed=0" in res.output
    assert _count(settings) == 25
    results = [orjson.loads(x) for x in (tmp_path / "o2.ndjson").read_bytes().splitlines()]
    assert sum(1 for r in results if r.get("already_issued")) == 10


def test_cli_import_reports_failures(client: TestClient, settings: IssuerSettings,
                                     holder: SoftwareSigner, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELICENSE_DATABASE_URL", settings.database_url)
    f = tmp_path / "x.ndjson"
    f.write_bytes(ndjson([line("r1", holder), line("r2", holder, type="real_estate_certificate")]))
    res = CliRunner().invoke(issuer_cli, ["import", str(f), "--agency", "psb"])
    assert res.exit_code == 1
    assert "issued=1 already_issued=0 failed=1" in res.output
    assert CliRunner().invoke(issuer_cli, ["import", str(f), "--agency", "zzz"]).exit_code == 2


def test_batch_body_size_is_limited(any_db_url: str, clock: FixedClock,
                                    holder: SoftwareSigner) -> None:
    from .conftest import agency_token, bearer, make_client, make_settings

    settings = make_settings(any_db_url, batch_max_bytes=1000)
    with make_client(settings, clock) as client:
        h = bearer(agency_token(client, "psb"))
        r = client.post("/issuer/v1/credentials:batch", headers=h,
                        content=ndjson([line(f"r{i}", holder) for i in range(5)]))
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert _count(settings) == 0
