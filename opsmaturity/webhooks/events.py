"""From an event to deliveries: one row per endpoint that wants it, then a task each
once the change is committed (a rolled-back change sends nothing)."""

from django.db import transaction
from django.utils import timezone

from .models import Delivery, Endpoint


def receiving(event):
    """The endpoints that want ``event`` now (a handful: read them all, filter here)."""
    return [
        e
        for e in Endpoint.objects.filter(is_active=True, paused_at__isnull=True)
        if event in (e.events or [])
    ]


def emit(event, payload):
    return emit_many(event, [payload])


def team_of(payload):
    """The team an event is about (a chat channel hears only of its own team's)."""
    about = payload.get("operation") or (payload.get("flag") or {}).get("operation") or {}
    return (about.get("team") or {}).get("id") or payload.get("team", {}).get("id")


def emit_many(event, payloads, endpoints=None):
    """One delivery per endpoint and payload, started once the transaction commits."""
    endpoints = receiving(event) if endpoints is None else endpoints
    if not endpoints or not payloads:
        return []
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(endpoint=e, event=event, payload=payload, created_at=now, next_attempt_at=now)
        for e in endpoints
        for payload in payloads
        if e.team_id is None or e.team_id == team_of(payload)
    )
    if not deliveries:
        return []
    ids = [d.pk for d in deliveries]

    def start():
        from .tasks import enqueue

        for pk in ids:
            enqueue(pk)

    transaction.on_commit(start)
    return deliveries
