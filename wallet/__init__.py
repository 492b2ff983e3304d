"""The wallet service: citizens, holder keys, licenses, presentations and QR codes
(DESIGN §1, §4). Built by ``wallet.app.create_app``."""
