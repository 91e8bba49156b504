"""One attempt at one delivery: sign, POST, record, and decide what comes next.

Each attempt is recorded on the delivery (status, response code, an excerpt of the
answer, time taken, error). A failed attempt is retried after
``OPS_WEBHOOK_RETRY_SECONDS``, doubling each time, up to ``OPS_WEBHOOK_MAX_ATTEMPTS``;
after ``OPS_WEBHOOK_PAUSE_AFTER`` failed attempts in a row the endpoint is paused,
with the reason, until staff resume it. Nothing follows a redirect (it could lead to
an address the check refused) and no proxy from the environment is used.
"""

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import chat, signing
from .addresses import RefusedAddress, check_url
from .models import Delivery, Endpoint, Kind, Status

log = logging.getLogger(__name__)
EXCERPT = 500
USER_AGENT = "OpsMaturity-Webhooks/1"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def body_of(delivery):
    """A signed webhook gets the event as it is; a chat channel a message for people."""
    kind = delivery.endpoint.kind
    if kind != Kind.WEBHOOK:
        envelope = chat.message(kind, delivery.event, delivery.payload)
        return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    envelope = {
        "id": str(delivery.uid),
        "event": delivery.event,
        "created_at": delivery.created_at,
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def backoff(attempts):
    """Seconds before the next attempt, after ``attempts`` failed ones."""
    return settings.OPS_WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)


def _post(endpoint, delivery):
    """(status code or None, excerpt, error) of one POST."""
    body = body_of(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    request.add_header(signing.EVENT_HEADER, delivery.event)
    request.add_header(signing.DELIVERY_HEADER, str(delivery.uid))
    request.add_header(signing.TIMESTAMP_HEADER, str(timestamp))
    signed = signing.signature(endpoint.secret, timestamp, body)
    request.add_header(signing.SIGNATURE_HEADER, signed)
    try:
        with _opener.open(request, timeout=settings.OPS_WEBHOOK_TIMEOUT) as response:
            return response.status, _excerpt(response), ""
    except urllib.error.HTTPError as exc:
        return exc.code, _excerpt(exc), ""
    except TimeoutError:
        return None, "", f"no answer within {settings.OPS_WEBHOOK_TIMEOUT} s"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            return None, "", f"no answer within {settings.OPS_WEBHOOK_TIMEOUT} s"
        return None, "", f"{type(reason).__name__}: {reason}"[:EXCERPT]


def _excerpt(response):
    try:
        return response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
    except (OSError, ValueError):
        return ""


def attempt(delivery_id):
    """Make the next attempt of a delivery; returns the delivery, with
    ``next_attempt_at`` set when another attempt is due."""
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if delivery.status in (Status.DELIVERED, Status.FAILED, Status.SKIPPED):
        return delivery  # already done: a task run twice sends once
    if not endpoint.receiving:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Status.SKIPPED, error="endpoint paused or inactive", next_attempt_at=None
        )
        delivery.refresh_from_db()
        return delivery
    started = time.monotonic()
    try:
        check_url(endpoint.url)
    except RefusedAddress as exc:
        code, excerpt, error = None, "", str(exc)
    else:
        code, excerpt, error = _post(endpoint, delivery)
    took = int((time.monotonic() - started) * 1000)
    ok = code is not None and 200 <= code < 300
    now = timezone.now()
    attempts = delivery.attempts + 1
    with transaction.atomic():
        if ok:
            status, next_at = Status.DELIVERED, None
            Endpoint.objects.filter(pk=endpoint.pk).update(failures=0)
        else:
            more = attempts < settings.OPS_WEBHOOK_MAX_ATTEMPTS
            status = Status.RETRYING if more else Status.FAILED
            next_at = now + timedelta(seconds=backoff(attempts)) if more else None
            _count_failure(endpoint, code, error, now)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempts=attempts,
            last_attempt_at=now,
            next_attempt_at=next_at,
            response_status=code,
            response_excerpt=excerpt,
            duration_ms=took,
            error=error,
        )
    delivery.refresh_from_db()
    log.info(
        "webhook %s to %s: attempt %s, %s", delivery.event, endpoint.url, attempts, code or error
    )
    return delivery


def _count_failure(endpoint, code, error, now):
    Endpoint.objects.filter(pk=endpoint.pk).update(failures=F("failures") + 1)
    endpoint.refresh_from_db(fields=["failures", "paused_at"])
    if endpoint.paused_at is None and endpoint.failures >= settings.OPS_WEBHOOK_PAUSE_AFTER:
        reason = f"{endpoint.failures} failed attempts in a row; the last: {code or error}"
        Endpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=True).update(
            paused_at=now, paused_reason=reason[:500]
        )
        log.warning("webhook endpoint %s paused: %s", endpoint.url, reason)
