"""Status checks (DESIGN §2, draft-ietf-oauth-status-list §8.3): status-list tokens fetched
over HTTP, their signature checked against *the credential issuer's* keys from the trust
list (never a key from the token), cached per URI by the token's ``ttl`` / ``exp``.

Staleness is the age of what we know: seconds since the list was last fetched and verified
(or, offline, since the bundle collected it). A scenario's ``max_staleness_s`` forces a
refetch; when the refetch fails the cached list is used and called stale, and the scenario's
``when_stale`` decides (``fail_closed`` / ``fail_open``; ``verifier.service``).

The status URI must sit under the issuer identifier (``{iss}/…``): a credential cannot send
the verifier to fetch from an arbitrary host.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import httpx

from core.clock import Clock
from core.errors import ELicenseError, TrustError, UnknownKey, UpstreamError
from core.jose import PublicKey
from core.statuslist import StatusListToken, StatusReference, verify_status_list_token
from verifier.errors import StatusUnavailable, StatusUriUntrusted, WouldBlock
from verifier.trust import TrustedIssuer

__all__ = ["IssuerKeys", "StatusCache", "StatusResult", "http_fetcher"]

ACCEPT = "application/statuslist+jwt"


@dataclass(frozen=True)
class StatusResult:
    value: int
    staleness_s: int
    # True when the list is older than the caller's ``max_staleness_s`` (refetch failed,
    # or the offline bundle is old / expired).
    stale: bool


class IssuerKeys:
    """``KeyLookup`` that only ever answers with ``issuer``'s own keys."""

    def __init__(self, issuer: TrustedIssuer) -> None:
        self._issuer = issuer

    def lookup(self, iss: str | None, kid: str | None) -> PublicKey:
        if iss is not None and iss != self._issuer.iss:
            raise TrustError("status list signed in another issuer's name")
        key = self._issuer.keys.get(kid or "")
        if key is None and kid is None and len(self._issuer.keys) == 1:
            key = next(iter(self._issuer.keys.values()))
        if key is None:
            raise UnknownKey(f"kid {kid!r} is not a key of {self._issuer.iss}")
        return key


def http_fetcher(http: httpx.Client) -> Callable[[str], str]:
    """GET a status list (the client carries the timeout); every httpx failure becomes
    ``UpstreamError`` here."""

    def fetch(uri: str) -> str:
        try:
            resp = http.get(uri, headers={"Accept": ACCEPT})
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise UpstreamError(f"status list fetch failed: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise UpstreamError(f"status list fetch gave HTTP {resp.status_code}")
        return resp.text.strip()

    return fetch


def check_uri(ref: StatusReference, issuer: TrustedIssuer) -> None:
    if not ref.uri.startswith(issuer.iss.rstrip("/") + "/"):
        raise StatusUriUntrusted(f"{ref.uri} is not under {issuer.iss}")


@dataclass
class _Cached:
    token: StatusListToken
    fetched_at: int
    fresh_until: int
    # Offline bundle: stale once the bundle's ``exp`` has passed, whatever the policy says.
    expires_at: int | None = None


class StatusCache:
    """Per-process cache of verified status-list tokens, keyed by URI (bounded LRU)."""

    DEFAULT_TTL_S = 300

    def __init__(self, *, fetch: Callable[[str], str] | None, clock: Clock,
                 algorithms: Collection[str], leeway: int = 60, max_cache_s: int = 300,
                 max_entries: int = 4096) -> None:
        self._fetch = fetch
        self._clock = clock
        self._algorithms = tuple(algorithms)
        self._leeway = leeway
        self._max_cache_s = max_cache_s
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}

    def status(self, ref: StatusReference, *, issuer: TrustedIssuer,
               max_staleness_s: int, io: bool = True) -> StatusResult:
        """``io=False`` (the event loop's fast path) raises ``WouldBlock`` where a fetch
        would be needed."""
        check_uri(ref, issuer)
        now = self._clock.now()
        cached = self._entries.get(ref.uri)
        if self._due(cached, now, max_staleness_s):
            if not io and self._fetch is not None:
                raise WouldBlock(f"status list {ref.uri} is due for a fetch")
            cached = self._single_flight(ref.uri, issuer, now, cached, max_staleness_s)
        if cached is None:
            raise StatusUnavailable(f"no status list for {ref.uri}")
        staleness = max(0, now - cached.fetched_at)
        expired = cached.expires_at is not None and now > cached.expires_at
        return StatusResult(value=cached.token.get(ref.idx), staleness_s=staleness,
                            stale=expired or staleness > max_staleness_s)

    @staticmethod
    def _due(cached: _Cached | None, now: int, max_staleness_s: int) -> bool:
        return (cached is None or now >= cached.fresh_until
                or now - cached.fetched_at > max_staleness_s)

    def _single_flight(self, uri: str, issuer: TrustedIssuer, now: int,
                       cached: _Cached | None, max_staleness_s: int) -> _Cached | None:
        """One thread refetches a list; meanwhile the others use the cached one while it is
        within their staleness bound, and wait for the fetch otherwise."""
        with self._lock:
            lock = self._fetching.setdefault(uri, threading.Lock())
        usable = cached is not None and now - cached.fetched_at <= max_staleness_s
        if not lock.acquire(blocking=not usable):
            return cached
        try:
            current = self._entries.get(uri)  # refreshed while we waited?
            if not self._due(current, now, max_staleness_s):
                return current
            return self._refresh(uri, issuer, now) or current
        finally:
            lock.release()

    def _refresh(self, uri: str, issuer: TrustedIssuer, now: int) -> _Cached | None:
        if self._fetch is None:
            return None
        try:
            token = verify_status_list_token(
                self._fetch(uri), keys=IssuerKeys(issuer), sub=uri, now=now,
                leeway=self._leeway, algorithms=self._algorithms)
        except ELicenseError:
            return None  # the caller falls back to the cached list, which is then stale
        until = now + min(token.ttl or self.DEFAULT_TTL_S, self._max_cache_s)
        if token.exp is not None:
            until = min(until, token.exp)
        entry = _Cached(token=token, fetched_at=now, fresh_until=until)
        with self._lock:
            self._entries[uri] = entry
            self._entries.move_to_end(uri)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return entry

    def preload(self, tokens: Mapping[str, StatusListToken], *, fetched_at: int,
                expires_at: int) -> None:
        """Install verified lists collected elsewhere (the offline bundle): never refetched,
        stale after ``expires_at``."""
        with self._lock:
            for uri, token in tokens.items():
                self._entries[uri] = _Cached(token=token, fetched_at=fetched_at,
                                             fresh_until=2**62, expires_at=expires_at)
