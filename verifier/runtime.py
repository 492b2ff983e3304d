"""Build the verifier's runtime (``service.Verifier``) from settings: where the trust list
comes from (URL, file, the local database, or the offline bundle), the pinned anchor key,
the status-list fetcher and the wallet redeemer. No FastAPI here (STYLE habit 6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.clock import Clock
from core.errors import UpstreamError
from core.jose import PublicKey, public_key_from_jwk
from verifier.bundle import load_bundle
from verifier.errors import NoTrustList
from verifier.models import VerifierTrustList
from verifier.policies import load_policies
from verifier.redeem import http_redeemer
from verifier.service import Verifier
from verifier.settings import Settings
from verifier.status import StatusCache, http_fetcher
from verifier.trust import ANCHOR_OWNER, TrustStore

__all__ = ["anchor_resolver", "build_verifier", "install_trust_list", "trust_source"]


def anchor_resolver(settings: Settings, engine: Engine) -> Callable[[], PublicKey]:
    """The pinned anchor key; in dev mode without a pin, the anchor key kept in keys/."""
    pinned = settings.anchor_jwk
    if pinned is not None:
        key = public_key_from_jwk(pinned)
        return lambda: key

    def from_store() -> PublicKey:
        from keys.service import active_key

        with Session(engine) as session:
            row = active_key(session=session, owner=ANCHOR_OWNER)
        if row is None:
            raise NoTrustList("no trust anchor key pinned or generated")
        return public_key_from_jwk(row.public_jwk_dict())

    return from_store


def install_trust_list(*, engine: Engine, jws: str, iat: int, exp: int, now: int) -> None:
    with Session(engine) as session:
        session.add(VerifierTrustList(jws=jws, iat=iat, exp=exp, installed_at=now))
        session.commit()


def _newest_installed(engine: Engine) -> str:
    with Session(engine) as session:
        row = session.exec(select(VerifierTrustList).order_by(
            col(VerifierTrustList.iat).desc(), col(VerifierTrustList.id).desc())).first()
    if row is None:
        raise NoTrustList("no trust list installed (elicense trust sign --install)")
    return row.jws


def trust_source(settings: Settings, engine: Engine,
                 http: httpx.Client | None) -> Callable[[], str]:
    src = settings.trust_list_source
    if src is None:
        return lambda: _newest_installed(engine)
    if src.startswith(("http://", "https://")):
        if http is None:
            raise NoTrustList("a trust list URL needs the network")
        client = http

        def fetch() -> str:
            try:
                resp = client.get(src)
            except httpx.HTTPError as exc:
                raise UpstreamError(f"trust list fetch failed: {type(exc).__name__}") from exc
            if resp.status_code != 200:
                raise UpstreamError(f"trust list fetch gave HTTP {resp.status_code}")
            return resp.text.strip()

        return fetch
    path = Path(src)
    return lambda: path.read_text(encoding="ascii").strip()


def build_verifier(settings: Settings, *, engine: Engine, clock: Clock,
                   http: httpx.Client | None) -> Verifier:
    algorithms = tuple(settings.allowed_algs)
    anchor = anchor_resolver(settings, engine)
    if settings.offline_bundle is not None:
        bundle = load_bundle(settings.offline_bundle, anchor=anchor(), now=clock.now(),
                             algorithms=algorithms, leeway=settings.leeway_s)
        jws = bundle.trust_list.jws
        trust = TrustStore(source=lambda: jws, anchor=anchor, clock=clock,
                           algorithms=algorithms, refresh_s=10**9, leeway=settings.leeway_s)
        status = StatusCache(fetch=None, clock=clock, algorithms=algorithms,
                             leeway=settings.leeway_s)
        status.preload(bundle.status_lists, fetched_at=bundle.iat, expires_at=bundle.exp)
        return Verifier(engine=engine, clock=clock, policies=bundle.policies, trust=trust,
                        status=status, redeem=None, org_audience=settings.org_audience,
                        algorithms=algorithms, leeway=settings.leeway_s,
                        bundle_iat=bundle.iat)
    if http is None:
        raise ValueError("an online verifier needs an http client")
    trust = TrustStore(source=trust_source(settings, engine, http), anchor=anchor,
                       clock=clock, algorithms=algorithms,
                       refresh_s=settings.trust_refresh_s, leeway=settings.leeway_s)
    status = StatusCache(fetch=http_fetcher(http),
                         clock=clock, algorithms=algorithms, leeway=settings.leeway_s,
                         max_cache_s=settings.status_cache_max_s)
    redeem = http_redeemer(http, url=settings.redeem_url,
                           client_secret=settings.wallet_client_secret.get_secret_value())
    return Verifier(engine=engine, clock=clock, policies=load_policies(), trust=trust,
                    status=status, redeem=redeem, org_audience=settings.org_audience,
                    algorithms=algorithms, leeway=settings.leeway_s)

