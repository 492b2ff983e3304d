"""``elicense verifier``: offline bundle, purge, organisations.

- ``bundle --out FILE``: the signed offline bundle (trust list in use + every trusted
  issuer's status lists + the scenario policies + issue time), signed by the trust anchor.
- ``purge``: delete verification records past their retention and expired replay entries.
- ``add-org`` / ``add-key``: register an organisation for scenarios; issue it an API key.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import typer

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Verifier: offline bundle, record purge, organisations.")


@app.command("bundle")
def bundle(
    out: Path = typer.Option(..., help="Where to write the signed bundle."),
    status_list: list[str] = typer.Option([], "--status-list",
                                          help="Extra status-list URI to include."),
    ttl_hours: int = typer.Option(24, help="Validity of the bundle."),
) -> None:
    """Write a signed offline bundle (trust list + status lists + policies)."""
    from sqlmodel import Session

    from core.clock import SystemClock
    from core.db import make_engine
    from keys.service import active_signer
    from verifier.app import _anchor_id
    from verifier.bundle import collect_status_lists, make_bundle
    from verifier.policies import load_policies
    from verifier.runtime import anchor_resolver, trust_source
    from verifier.settings import Settings
    from verifier.trust import ANCHOR_OWNER, TrustStore

    settings = Settings()
    clock = SystemClock()
    engine = make_engine(settings.database_url)
    with httpx.Client(timeout=settings.http_timeout_s) as http, Session(engine) as session:
        signer = active_signer(session=session, owner=ANCHOR_OWNER, settings=settings)
        trust = TrustStore(source=trust_source(settings, engine, http),
                           anchor=anchor_resolver(settings, engine), clock=clock,
                           algorithms=settings.allowed_algs).current()

        def fetch(uri: str) -> str | None:
            resp = http.get(uri, headers={"Accept": "application/statuslist+jwt"})
            return resp.text.strip() if resp.status_code == 200 else None

        lists = collect_status_lists(trust, fetch, status_list)
        text = make_bundle(signer=signer, anchor_id=_anchor_id(settings),
                           trust_list_jws=trust.jws, status_lists=lists,
                           catalog=load_policies().catalog(), iat=clock.now(),
                           ttl_s=ttl_hours * 3600)
    engine.dispose()
    out.write_text(text + "\n", encoding="ascii")
    typer.echo(f"bundle: {len(trust.issuers)} issuer(s), {len(lists)} status list(s) → {out}")


@app.command("purge")
def purge() -> None:
    """Delete records past their retention and expired replay-store entries."""
    from core.clock import SystemClock
    from core.db import make_engine
    from verifier.records import purge_records
    from verifier.replay import purge_replay
    from verifier.settings import Settings

    engine = make_engine(Settings().database_url)
    now = SystemClock().now()
    records = purge_records(engine=engine, now=now)
    replay = purge_replay(engine=engine, now=now)
    engine.dispose()
    typer.echo(f"purged {records} record(s), {replay} replay entr(y/ies)")


@app.command("add-org")
def add_org(
    org_id: str,
    name_zh: str = typer.Option(..., help="Chinese name."),
    name_en: str = typer.Option(..., help="English name."),
    scenario: list[str] = typer.Option(..., "--scenario", help="Registered scenario id."),
) -> None:
    """Create or update an organisation and the scenarios it may use."""
    from sqlmodel import Session

    from core.clock import SystemClock
    from core.db import make_engine
    from verifier.orgs import ensure_org
    from verifier.policies import load_policies
    from verifier.settings import Settings

    policies = load_policies()
    for s in scenario:
        policies.get(s)  # unknown_scenario for a typo
    engine = make_engine(Settings().database_url)
    with Session(engine) as session:
        ensure_org(session=session, org_id=org_id, name_zh=name_zh, name_en=name_en,
                   scenarios=scenario, now=SystemClock().now())
    engine.dispose()
    typer.echo(f"organisation {org_id}: {', '.join(sorted(scenario))}")


@app.command("add-key")
def add_key(org_id: str, label: str = typer.Option("", help="What the key is for.")) -> None:
    """Issue a new API key for an organisation (printed once, stored hashed)."""
    from sqlmodel import Session

    from core.clock import SystemClock
    from core.db import make_engine
    from verifier.orgs import add_api_key
    from verifier.settings import Settings

    engine = make_engine(Settings().database_url)
    with Session(engine) as session:
        key = add_api_key(session=session, org_id=org_id, now=SystemClock().now(), label=label)
    engine.dispose()
    typer.echo(key)
