"""Prometheus metrics of one service (docs/operations.md §Metrics, issue 7).

Each app gets its own ``CollectorRegistry`` (several apps can live in one process: the
all-in-one app, tests). Two kinds of series:

- in-process: ``elicense_http_requests`` (a histogram of latency by service, method, route
  template and status), filled by ``elicense.ops``'s middleware;
- read from the database at scrape time, so they are right with any number of workers:
  issuer ``elicense_issued_credentials{type}`` and ``elicense_status_list_age_seconds``
  (age of the oldest published status list token), verifier
  ``elicense_verifications{scenario,result}`` and ``elicense_replay_hits`` (from the kept
  verification records, so within their retention), wallet ``elicense_redemptions``.
A failing database read drops that family from the scrape (and sets
``elicense_metrics_db_up`` to 0) instead of failing the scrape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["ServiceMetrics"]

log = logging.getLogger("elicense.ops")

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_Query = Callable[[Any, float], Iterable[Metric]]


def _issuer(conn: Any, now: float) -> Iterator[Metric]:
    issued = GaugeMetricFamily("elicense_issued_credentials",
                               "Credentials issued, by type (all time)", labels=["type"])
    for type_, n in conn.execute(text(
            "SELECT type, COUNT(*) FROM issuer_credential GROUP BY type ORDER BY type")):
        issued.add_metric([type_], n)
    yield issued
    oldest = conn.execute(text("SELECT MIN(token_iat) FROM issuer_status_list "
                               "WHERE token IS NOT NULL")).scalar()
    age = GaugeMetricFamily("elicense_status_list_age_seconds",
                            "Age of the oldest published status list token")
    age.add_metric([], max(0.0, now - oldest) if oldest else 0.0)
    yield age


def _verifier(conn: Any, now: float) -> Iterator[Metric]:
    fam = GaugeMetricFamily("elicense_verifications",
                            "Verifications kept as records, by scenario and result",
                            labels=["scenario", "result"])
    for scenario, valid, n in conn.execute(text(
            "SELECT scenario, valid, COUNT(*) FROM verifier_record "
            "GROUP BY scenario, valid ORDER BY scenario, valid")):
        fam.add_metric([scenario, "valid" if valid else "invalid"], n)
    yield fam
    hits = conn.execute(text("SELECT COUNT(*) FROM verifier_record "
                             "WHERE codes LIKE '%replayed%'")).scalar()
    replay = GaugeMetricFamily("elicense_replay_hits",
                               "Presentations refused as replays (kept records)")
    replay.add_metric([], hits or 0)
    yield replay


def _wallet(conn: Any, now: float) -> Iterator[Metric]:
    fam = GaugeMetricFamily("elicense_wallet_presentations",
                            "Presentations released by the wallet, by mode", labels=["mode"])
    for mode, n in conn.execute(text(
            "SELECT mode, COUNT(*) FROM wallet_presentation_log GROUP BY mode ORDER BY mode")):
        fam.add_metric([mode], n)
    yield fam


_QUERIES: dict[str, _Query] = {"issuer": _issuer, "verifier": _verifier, "wallet": _wallet}


class _DbCollector(Collector):
    def __init__(self, service: str, engine: Engine, now: Callable[[], float]) -> None:
        self._query = _QUERIES.get(service)
        self._engine = engine
        self._now = now

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("elicense_metrics_db_up", "1 if the DB-backed series were read")
        families: list[Metric] = []
        try:
            with self._engine.connect() as conn:
                if self._query is not None:
                    families = list(self._query(conn, self._now()))
            up.add_metric([], 1)
        except Exception:  # a scrape must not fail because one query did
            log.warning("metrics: database read failed", exc_info=True)
            families = []
            up.add_metric([], 0)
        return [up, *families]


class ServiceMetrics:
    """The registry of one app and the HTTP histogram its middleware fills."""

    def __init__(self, service: str, engine: Engine | None, *,
                 now: Callable[[], float] = time.time) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=False)
        self.http = Histogram("elicense_http_requests", "HTTP requests: latency in seconds",
                              ["service", "method", "route", "status"], buckets=_BUCKETS,
                              registry=self.registry)
        if engine is not None:
            self.registry.register(_DbCollector(service, engine, now))

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.http.labels(self.service, method, route, str(status)).observe(seconds)
