"""From an event to deliveries: one row per endpoint that wants it, then a task each
once the change is committed (a rolled-back change sends nothing)."""

from django.db import transaction
from django.utils import timezone

from .models import Delivery, Endpoint


def emit(event, payload):
    endpoints = [
        e
        for e in Endpoint.objects.filter(is_active=True, paused_at__isnull=True)
        if event in (e.events or [])
    ]
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(endpoint=e, event=event, payload=payload, created_at=now, next_attempt_at=now)
        for e in endpoints
    )
    ids = [d.pk for d in deliveries]

    def start():
        from .tasks import enqueue

        for pk in ids:
            enqueue(pk)

    transaction.on_commit(start)
    return deliveries
