"""Benchmark: verifications per second through the verifier's HTTP API with every check on
(trust list, status list from cache, policy, the database replay store, records), served by
uvicorn with 2 worker processes, loaded over loopback by ``wrk`` (64 connections, a Lua
script posting distinct pre-generated offline QRs so the replay store accepts each once).

In the same run, under the same load, a *bare* endpoint in the same server that only parses
the body (JSON, ELV1 envelope) and checks the two signatures (issuer JWT + KB-JWT) gives the
ceiling; ``vs_bare`` is verify rps / bare rps. Both phases also report the server's CPU
time per request (user + system of the uvicorn processes, from ``/proc``): on a machine
shared with other work, that ratio is the figure to compare between runs, not the rates.

Goal (issue 5): ≥ 3,000 verifications/s, p99 ≤ 20 ms, vs_bare ≥ 0.6. Needs ``wrk``
(Debian: ``apt-get install -y wrk``). Run::

    .venv/bin/python bench/verify_http.py [--duration 10] [--connections 64]
        [--db URL | --postgres postgresql://postgres@127.0.0.1:54329/postgres] [--quick]

Ends with exactly one line::

    verify_http rps=<n> p50_ms=<x> p99_ms=<y> vs_bare=<r>
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIO = "hotel_checkin"
API_KEY = "bench-hotel-key"
DISCLOSE = ["name", "document_number", "sex", "ethnicity", "birthdate", "address"]
CLAIMS = {
    "name": "王小明", "sex": "男", "ethnicity": "汉", "birthdate": "1990-01-02",
    "address": "上海市黄浦区人民大道 200 号", "document_number": "310101199001020011",
    "issuing_authority": "上海市公安局黄浦分局", "valid_from": "2020-01-01",
    "valid_until": "2040-01-01", "age_over_18": True, "age_over_60": False,
}
CONFIG_ENV = "ELICENSE_BENCH_CONFIG"

LUA = r"""
local counter = 1
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  thread:set("nthreads", NTHREADS)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  bodies = {}
  for line in io.lines(BODIES) do bodies[#bodies + 1] = line end
  i = tid
  step = nthreads
end
function request()
  local body = bodies[((i - 1) % #bodies) + 1]
  i = i + step
  return wrk.format("POST", PATH, {["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer " .. KEY}, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"duration_us\": %d, \"non2xx\": %d, \"errors\": %d, " ..
    "\"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, \"p999_us\": %d, \"mean_us\": %d}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.mean))
end
"""


# --- the server side (imported by uvicorn in each worker) ---------------------------------


class BareBody(BaseModel):
    scenario: str
    qr: str



def create_bench_app() -> Any:
    """The verifier app as deployed alone (``create_app(settings)``, DESIGN §8), plus two
    routes added to it: the issuer's status list at /bench-issuer/… and the bare endpoint at
    /bench/bare — in the same app, so both phases pass the same middleware (ops layer:
    request id, security headers, metrics, access log, rate limits)."""
    from fastapi import Response

    from core.jose import parse_compact, public_key_from_jwk, verify_signature
    from core.qr import decode_offline
    from elicense.serve import freeze_heap
    from verifier.app import create_app
    from verifier.settings import Settings

    cfg = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    settings = Settings(database_url=cfg["db"], public_url=cfg["url"],
                        trust_anchor_jwk=json.dumps(cfg["anchor_jwk"]), mode="dev")
    issuer_key = public_key_from_jwk(cfg["issuer_jwk"])
    app = create_app(settings)

    # ``async``: the fastest form of a FastAPI endpoint (a sync one pays a thread-pool hop),
    # so that the bare rate is a ceiling, not a straw man.
    @app.post("/bench/bare")
    async def bare(body: BareBody) -> dict[str, bool]:
        presentation = decode_offline(body.qr)
        parts = presentation.split("~")
        _h, payload, signing_input, sig = parse_compact(parts[0])
        verify_signature(issuer_key, sig, signing_input)
        holder = public_key_from_jwk(payload["cnf"]["jwk"])
        _h, _p, kb_input, kb_sig = parse_compact(parts[-1])
        verify_signature(holder, kb_sig, kb_input)
        return {"ok": True}

    @app.get("/bench-issuer/status-lists/1")
    def status_list() -> Response:
        return Response(Path(cfg["status_file"]).read_text(),
                        media_type="application/statuslist+jwt")

    return freeze_heap(app)  # as ``elicense serve verifier`` does


# --- the driver ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(workdir: Path, db: str, url: str) -> tuple[Path, Any, Any, str]:
    """Migrate, register the org, sign and install a trust list; returns config path,
    issuer signer, holder signer and the credential."""
    from sqlmodel import Session

    from core.credential import issue
    from core.db import make_engine, migrate
    from core.statuslist import StatusList, sign_status_list_token
    from keys.software import generate_signer
    from verifier.orgs import add_api_key, ensure_org
    from verifier.runtime import install_trust_list
    from verifier.trust import DEFAULT_AGENCY_TYPES, issuer_entry, sign_trust_list

    iss = f"{url}/bench-issuer"
    now = int(time.time())
    issuer, anchor, holder = (generate_signer("ES256"), generate_signer("ES256"),
                              generate_signer("ES256"))
    migrate(db)
    engine = make_engine(db)
    with Session(engine) as s:
        ensure_org(session=s, org_id="bench-hotel", name_zh="酒店", name_en="Hotel",
                   scenarios=[SCENARIO], now=now)
        add_api_key(session=s, org_id="bench-hotel", key=API_KEY, now=now)
    entry = issuer_entry(iss=iss, name={"zh": "基准", "en": "Bench"},
                         jwks={"keys": [issuer.public_jwk()]}, agencies=DEFAULT_AGENCY_TYPES)
    tl = sign_trust_list(signer=anchor, anchor_id="bench-anchor", issuers=[entry], iat=now)
    install_trust_list(engine=engine, jws=tl, iat=now, exp=now + 86400, now=now)
    engine.dispose()
    status_uri = f"{iss}/status-lists/1"
    status_file = workdir / "status.jwt"
    status_file.write_text(sign_status_list_token(
        signer=issuer, sub=status_uri, status_list=StatusList(2, 1 << 16), iat=now,
        exp=now + 3600, ttl=300, iss=iss))
    credential = issue(signer=issuer, iss=iss, vct=f"{iss}/vct/id_card",
                       claims={**CLAIMS, "agency": "psb"}, sd=list(CLAIMS),
                       holder_jwk=holder.public_jwk(), iat=now, exp=now + 86400,
                       status={"status_list": {"idx": 42, "uri": status_uri}})
    cfg = workdir / "config.json"
    cfg.write_text(json.dumps({"db": db, "url": url, "anchor_jwk": anchor.public_jwk(),
                               "issuer_jwk": issuer.public_jwk(),
                               "status_file": str(status_file)}))
    return cfg, issuer, holder, credential


def _bodies(path: Path, credential: str, holder: Any, n: int) -> None:
    from core.credential import present
    from core.qr import encode_offline
    from verifier.service import offline_audience

    now = int(time.time())
    aud = offline_audience(SCENARIO)
    with path.open("w") as f:
        for _ in range(n):
            qr = encode_offline(present(credential, disclose=DISCLOSE, holder=holder,
                                        nonce=secrets.token_urlsafe(16), aud=aud, iat=now))
            f.write(json.dumps({"scenario": SCENARIO, "qr": qr}) + "\n")


def _wrk(url: str, path: str, bodies: Path, *, threads: int, connections: int,
         duration: int, workdir: Path) -> dict[str, Any]:
    script = workdir / f"post{path.replace('/', '_')}.lua"
    script.write_text(f'NTHREADS = {threads}\nBODIES = "{bodies}"\nPATH = "{path}"\n'
                      f'KEY = "{API_KEY}"\n' + LUA)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--latency", "-s", str(script), url + path],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if m is None:
        raise RuntimeError("wrk gave no result:\n" + out)
    res: dict[str, Any] = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    return res


def _server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the uvicorn workers (children of
    ``pid``) and ``pid`` itself: a per-request cost that does not depend on machine load."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _outcomes(db: str) -> dict[str, int]:
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(db)
    with engine.connect() as c:
        rows = c.execute(text("SELECT valid, codes, COUNT(*) FROM verifier_record "
                              "GROUP BY valid, codes")).all()
    engine.dispose()
    return {("valid" if v else f"invalid {codes}"): int(n) for v, codes, n in rows}


def _pg_admin(admin_url: str, sql: str) -> None:
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(sql))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per phase")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--max-rps", type=int, default=6000,
                    help="distinct QRs generated = max-rps × duration")
    ap.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    ap.add_argument("--postgres", default=None, metavar="ADMIN_URL",
                    help="create a scratch database on this PostgreSQL server and use it "
                         "(the production setting: one replay store for all workers)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run for the test suite: 1 s per phase, 8 connections")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.connections, args.threads, args.max_rps = 1, 8, 1, 6000
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install -y wrk")

    workdir = Path(tempfile.mkdtemp(prefix="verify_http."))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    db = args.db or f"sqlite:///{workdir}/bench.db"
    scratch = None
    if args.postgres:
        scratch = f"bench_{secrets.token_hex(4)}"
        _pg_admin(args.postgres, f'CREATE DATABASE "{scratch}"')
        db = args.postgres.rpartition("/")[0] + "/" + scratch
    cfg, _issuer, holder, credential = _setup(workdir, db, url)
    env = {**os.environ, CONFIG_ENV: str(cfg),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "verify_http:create_bench_app", "--factory",
         "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--loop", "uvloop", "--http", "httptools",
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=workdir)
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/scenarios", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("server did not start")
            time.sleep(0.2)
        # Warm both workers (trust list, status list, key caches) with their own QRs.
        warm = workdir / "warm.ndjson"
        _bodies(warm, credential, holder, 200)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            for line in warm.read_text().splitlines():
                assert c.post("/v1/verify", content=line,
                              headers={"Content-Type": "application/json"}).json()["valid"]
        n = args.max_rps * args.duration
        bodies = workdir / "bodies.ndjson"
        t0 = time.monotonic()
        _bodies(bodies, credential, holder, n)
        print(f"generated {n} distinct offline QRs in {time.monotonic() - t0:.1f}s")
        common = {"threads": args.threads, "connections": args.connections,
                  "duration": args.duration, "workdir": workdir}
        cpu0 = _server_cpu_s(server.pid)
        ver = _wrk(url, "/v1/verify", bodies, **common)
        cpu1 = _server_cpu_s(server.pid)
        bare = _wrk(url, "/bench/bare", bodies, **common)
        cpu2 = _server_cpu_s(server.pid)
        ver["cpu_ms"] = (cpu1 - cpu0) * 1000 / max(1, ver["requests"])
        bare["cpu_ms"] = (cpu2 - cpu1) * 1000 / max(1, bare["requests"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    outcomes = _outcomes(db)
    if scratch:
        _pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    for name, res in (("verify", ver), ("bare", bare)):
        print(f"{name:7s} rps={res['rps']:.0f} mean_ms={res['mean_us'] / 1000:.2f} "
              f"p50_ms={res['p50_us'] / 1000:.2f} p90_ms={res['p90_us'] / 1000:.2f} "
              f"p99_ms={res['p99_us'] / 1000:.2f} p99.9_ms={res['p999_us'] / 1000:.2f} "
              f"server_cpu_ms/req={res['cpu_ms']:.2f} "
              f"requests={res['requests']} "
              f"non2xx={res['non2xx']} socket_errors={res['errors']}")
    print(f"server CPU per request: verify/bare = {ver['cpu_ms'] / bare['cpu_ms']:.2f} "
          "(the load-independent figure on a shared machine)")
    print("verdicts recorded:", json.dumps(outcomes, ensure_ascii=False))
    if ver["requests"] > n:
        print(f"note: {ver['requests'] - n} requests reused a QR (replays); raise --max-rps")
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"verify_http rps={ver['rps']:.0f} p50_ms={ver['p50_us'] / 1000:.2f} "
          f"p99_ms={ver['p99_us'] / 1000:.2f} vs_bare={ver['rps'] / bare['rps']:.2f}")


if __name__ == "__main__":
    main()
