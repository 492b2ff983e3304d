"""The issuer service (DESIGN §1): agencies issue licenses as SD-JWT VCs, keep them alive
(revoke / suspend / reinstate / reissue) through IETF Token Status Lists, and publish the
metadata and keys verifiers need. ``create_app(settings)`` lives in ``issuer.app``."""
