"""The digest dispatcher as a Celery task; ``manage.py send_digests`` calls the same code.

Beat runs it every few minutes. It is safe to run twice at once and to die
half-way (see ``sending``): every send is claimed first, and the next run
picks up what a dead one left. Failed sends are retried with backoff from the
delivery rows, not from the queue, so one refused address never holds up the
others and a lost broker message loses nothing.
"""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import sending


@shared_task(
    name="opsmaturity.digests.dispatch_digests",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
)
def dispatch_digests():
    """Send the weekly digests that are due now; stop taking new ones after a few minutes."""
    budget = settings.OPS_DIGEST_DISPATCH_SECONDS
    return sending.dispatch(budget_seconds=budget).as_dict()
