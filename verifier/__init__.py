"""The verifier service (DESIGN §5–§7): scenario policies, QR verification (offline ``ELV1:``
and online ``ELR1:``), trust list and status-list caches, replay store, offline bundle,
verification records and the staff web page."""
