"""Composition layer: the ``elicense`` command, the all-in-one app for a laptop, and the
operations layer every service installs (``elicense.ops``: health, metrics, logs, headers,
rate limits).

Only ``cli`` and ``app`` import the services; the services import only ``elicense.ops`` (and
its ``ops_metrics`` / ``ratelimit``), which import no service.
"""
