"""HMAC-SHA256 signatures of deliveries: over `<timestamp>.<body>`, so a receiver that checks the
timestamp's age also refuses a delivery replayed later (docs/alerts.md#verifying-a-delivery)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-TenantAtlas-Signature"
TIMESTAMP_HEADER = "X-TenantAtlas-Timestamp"
DELIVERY_HEADER = "X-TenantAtlas-Delivery"
EVENT_HEADER = "X-TenantAtlas-Event"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def new_signing_secret() -> str:
    """32 random bytes, URL-safe text: shown to the creator once, then kept only in Key Vault."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` under the subscription's secret."""
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the signature matches (in constant time) and the timestamp is recent."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
