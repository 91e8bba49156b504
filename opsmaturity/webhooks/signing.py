"""The signature a receiver checks: HMAC-SHA256 of ``timestamp.body`` with the secret.

Headers of each delivery::

    X-Ops-Event: operation.moved
    X-Ops-Delivery: <uuid, the same on every retry of one delivery>
    X-Ops-Timestamp: 1767225600            (seconds since 1970, UTC)
    X-Ops-Signature: sha256=<hex digest>

A receiver recomputes the digest over the timestamp, a dot and the raw body, compares
in constant time, and refuses a timestamp more than a few minutes old (a replay).
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Ops-Signature"
TIMESTAMP_HEADER = "X-Ops-Timestamp"
EVENT_HEADER = "X-Ops-Event"
DELIVERY_HEADER = "X-Ops-Delivery"


def signature(secret, timestamp, body):
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret, timestamp, body, header):
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")
