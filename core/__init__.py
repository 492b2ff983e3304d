"""Shared, framework-free code: SD-JWT VC codec, Token Status List codec, QR envelope,
errors, clock, settings base and database helpers. Nothing here imports a service."""
