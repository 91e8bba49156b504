"""What a person does to an endpoint, from its page or from the API: one place each."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .events import emit_many
from .models import Delivery, Endpoint, Event, Status, new_secret

# Deliveries still to be made are never pruned, however old.
FINISHED = [Status.DELIVERED, Status.FAILED, Status.SKIPPED]


def save(form, *, by, resume=False):
    """Save an endpoint's valid form (a new one is ``by``'s); ``resume`` starts a paused
    one again, its failures counted from 0."""
    endpoint = form.save(commit=False)
    if endpoint.pk is None:
        endpoint.created_by = by
    if resume:
        endpoint.paused_at, endpoint.paused_reason, endpoint.failures = None, "", 0
    endpoint.save()
    return endpoint


def resume(endpoint):
    Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=None, paused_reason="", failures=0)
    endpoint.refresh_from_db()
    return endpoint


def rotate_secret(endpoint):
    """A new secret for a signed webhook; the old one stops signing at once."""
    endpoint.secret = new_secret()
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=endpoint.secret)
    return endpoint.secret


def send_test(endpoint, *, by):
    """A test delivery to this endpoint only, whatever events it wants, so that its
    receiver (or channel) can be checked end to end; it is logged like any other."""
    from .receivers import person

    data = {"by": person(by), "endpoint": {"id": endpoint.pk}, "at": timezone.now()}
    if endpoint.team_id:
        data["team"] = {"id": endpoint.team_id, "name": endpoint.team.name}
    with transaction.atomic():
        return emit_many(Event.PING, [data], [endpoint])[0]


def redeliver(delivery):
    """Send a failed or skipped delivery again, its attempts counted from 0; False when
    it is not one (a delivery still under way is left to its retries)."""
    now = timezone.now()
    with transaction.atomic():
        again = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Status.FAILED, Status.SKIPPED]
        ).update(status=Status.PENDING, attempts=0, next_attempt_at=now, error="")
        if again:
            from .tasks import enqueue

            transaction.on_commit(lambda: enqueue(delivery.pk))
    return bool(again)


def prune(now=None, batch=5000):
    """Forget finished deliveries older than OPS_WEBHOOK_KEEP_DAYS, a batch at a time
    (short statements, no long lock); returns how many were deleted."""
    now = now or timezone.now()
    before = now - dt.timedelta(days=settings.OPS_WEBHOOK_KEEP_DAYS)
    old = Delivery.objects.filter(status__in=FINISHED, created_at__lt=before)
    deleted = 0
    while True:
        ids = list(old.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
