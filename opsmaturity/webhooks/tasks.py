"""Deliveries run in the worker, never in a request: each is a task started on commit."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from opsmaturity.core.broker import BROKER_ERRORS, QUICK_RETRY

from . import sending
from .models import Delivery, Status

log = logging.getLogger(__name__)


@shared_task(name="opsmaturity.webhooks.deliver", acks_late=True, soft_time_limit=60)
def deliver(delivery_id):
    try:
        delivery = sending.attempt(delivery_id)
    except Delivery.DoesNotExist:
        # Its endpoint was deleted since (its deliveries with it): nothing to send.
        log.info("delivery %s no longer exists: nothing sent", delivery_id)
        return "gone"
    if delivery.status == Status.RETRYING:
        countdown = max((delivery.next_attempt_at - timezone.now()).total_seconds(), 0)
        enqueue(delivery.pk, countdown=countdown)
    return delivery.status


def enqueue(delivery_id, countdown=0):
    """Send the task; when the broker is down the delivery waits for the sweep."""
    try:
        deliver.apply_async(
            args=[delivery_id], countdown=countdown, retry=True, retry_policy=QUICK_RETRY
        )
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable, delivery %s waits for the sweep: %s", delivery_id, exc)


@shared_task(name="opsmaturity.webhooks.sweep")
def sweep():
    """Start the deliveries whose task was lost (the broker was down at the time)."""
    late = timezone.now() - timedelta(minutes=2)
    due = Delivery.objects.filter(
        status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=late
    ).values_list("pk", flat=True)[:500]
    for pk in due:
        enqueue(pk)
    return len(due)


@shared_task(name="opsmaturity.webhooks.weekly_summaries")
def weekly_summaries():
    from .summaries import send_weekly_summaries

    return send_weekly_summaries()


@shared_task(name="opsmaturity.webhooks.prune")
def prune():
    """Forget the deliveries logged more than OPS_WEBHOOK_KEEP_DAYS ago."""
    from .services import prune as prune_deliveries

    return prune_deliveries()
