"""``elicense trust``: make and sign the trust list (DESIGN §6, docs/trust-list.md).

``elicense trust sign --metadata URL… [--type-map FILE] [--out FILE] [--install]`` reads each
issuer's ``/.well-known/jwt-vc-issuer`` metadata (its ``issuer`` and ``jwks`` or
``jwks_uri``), adds which agency may issue which types (the type map; default: the demo
agencies of DESIGN §8) and signs the list with the trust anchor key kept in keys/ (owner
``trust_anchor``). ``elicense trust anchor-jwk`` prints the anchor's public JWK to pin in
``ELICENSE_TRUST_ANCHOR_JWK``.

Type map file: ``{"<iss>": {"name": {"zh": …, "en": …}, "agencies": {"psb": ["id_card", …]}}}``
(``"*"`` applies to any issuer not listed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import typer

from core.errors import UpstreamError
from core.signing import Signer
from verifier.trust import (
    ANCHOR_OWNER,
    DEFAULT_AGENCY_TYPES,
    issuer_entry,
    sign_trust_list,
)

__all__ = ["app", "build_trust_list", "fetch_issuer"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Trust list: sign it from issuer metadata; show the anchor key.")

DEFAULT_NAME = {"zh": "城市电子证照签发平台", "en": "City e-license issuing platform"}
DEFAULT_TTL_S = 30 * 86400


def _get_json(http: httpx.Client, url: str) -> dict[str, Any]:
    try:
        resp = http.get(url)
        resp.raise_for_status()
        data = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise UpstreamError(f"cannot read {url}: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise UpstreamError(f"{url} is not a JSON object")
    return data


def fetch_issuer(http: httpx.Client, metadata_url: str) -> tuple[str, dict[str, Any]]:
    """(iss, jwks) from SD-JWT VC issuer metadata (``jwks`` inline or ``jwks_uri``)."""
    meta = _get_json(http, metadata_url)
    iss = meta.get("issuer")
    if not isinstance(iss, str):
        raise UpstreamError(f"{metadata_url} has no issuer")
    jwks = meta.get("jwks")
    if jwks is None and isinstance(meta.get("jwks_uri"), str):
        jwks = _get_json(http, meta["jwks_uri"])
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise UpstreamError(f"{metadata_url} has no jwks")
    return iss, jwks


def build_trust_list(*, http: httpx.Client, signer: Signer, metadata_urls: Sequence[str],
                     now: int, anchor_id: str,
                     type_map: Mapping[str, Any] | None = None,
                     ttl_s: int = DEFAULT_TTL_S) -> tuple[str, int, int]:
    """Signed trust list JWS, its iat and exp."""
    type_map = type_map or {}
    entries = []
    for url in metadata_urls:
        iss, jwks = fetch_issuer(http, url)
        spec = type_map.get(iss) or type_map.get("*") or {}
        entries.append(issuer_entry(iss=iss, name=spec.get("name", DEFAULT_NAME), jwks=jwks,
                                    agencies=spec.get("agencies", DEFAULT_AGENCY_TYPES)))
    jws = sign_trust_list(signer=signer, anchor_id=anchor_id, issuers=entries, iat=now,
                          ttl_s=ttl_s)
    return jws, now, now + ttl_s


@app.command("sign")
def sign(
    metadata: list[str] = typer.Option(..., "--metadata",
                                       help="Issuer metadata URL (.well-known/jwt-vc-issuer)."),
    type_map: Path | None = typer.Option(None, help="JSON type map (see module doc)."),
    ttl_days: int = typer.Option(30, help="Validity of the list."),
    out: Path | None = typer.Option(None, help="Write the signed list here."),
    install: bool = typer.Option(False, help="Install it in this verifier's database."),
) -> None:
    """Sign a trust list from issuer metadata with the anchor key (owner trust_anchor)."""
    from sqlmodel import Session

    from core.clock import SystemClock
    from core.db import make_engine
    from keys.service import active_signer
    from verifier.app import _anchor_id
    from verifier.runtime import install_trust_list
    from verifier.settings import Settings

    settings = Settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        signer = active_signer(session=session, owner=ANCHOR_OWNER, settings=settings)
    tm = json.loads(type_map.read_text(encoding="utf-8")) if type_map else None
    now = SystemClock().now()
    with httpx.Client() as http:
        jws, iat, exp = build_trust_list(http=http, signer=signer, metadata_urls=metadata,
                                         now=now, anchor_id=_anchor_id(settings), type_map=tm,
                                         ttl_s=ttl_days * 86400)
    if out is not None:
        out.write_text(jws + "\n", encoding="ascii")
    if install:
        install_trust_list(engine=engine, jws=jws, iat=iat, exp=exp, now=now)
    if out is None and not install:
        typer.echo(jws)
    engine.dispose()


@app.command("anchor-jwk")
def anchor_jwk() -> None:
    """Print the trust anchor's public JWK (pin it in ELICENSE_TRUST_ANCHOR_JWK)."""
    from sqlmodel import Session

    from core.db import make_engine
    from keys.service import active_key
    from verifier.settings import Settings

    engine = make_engine(Settings().database_url)
    with Session(engine) as session:
        row = active_key(session=session, owner=ANCHOR_OWNER)
    engine.dispose()
    if row is None:
        typer.echo("no trust anchor key (elicense keys generate --owner trust_anchor)", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(row.public_jwk_dict()))
