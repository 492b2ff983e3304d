"""Errors of license events and subscriptions (issue 8), each with a stable ``code``:

    Forbidden
    ├── SharingNotAllowed          403 sharing_not_allowed   (no data-sharing rule for the pair)
    └── FieldsNotShared            403 fields_not_shared     (a field not allowed / never shared)
    NotFound
    ├── SubscriptionNotFound       404 subscription_not_found
    └── DeliveryNotFound           404 delivery_not_found
    SignatureError
    ├── WebhookSignatureInvalid    422 webhook_signature_invalid (receivers: reject the call)
    └── WebhookStale               422 webhook_stale         (iat outside the window)
    MalformedError
    └── WebhookMalformed           422 webhook_malformed
"""

from __future__ import annotations

from core.errors import Forbidden, MalformedError, NotFound, SignatureError

__all__ = ["DeliveryNotFound", "FieldsNotShared", "SharingNotAllowed", "SubscriptionNotFound",
           "WebhookMalformed", "WebhookSignatureInvalid", "WebhookStale"]


class SharingNotAllowed(Forbidden):
    code = "sharing_not_allowed"
    title = "The data-sharing list has no rule for this type and agency"


class FieldsNotShared(Forbidden):
    code = "fields_not_shared"
    title = "The subscription asks for fields the agency may not receive"


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    title = "Subscription not found"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    title = "Event delivery not found"


class WebhookSignatureInvalid(SignatureError):
    code = "webhook_signature_invalid"
    title = "Webhook signature does not verify"


class WebhookMalformed(MalformedError):
    code = "webhook_malformed"
    title = "Webhook signature header or body is malformed"


class WebhookStale(SignatureError):
    code = "webhook_stale"
    title = "Webhook signature is too old or from the future"
