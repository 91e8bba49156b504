"""Celery tasks of the maturity engine; the management commands call the same functions.

Both jobs are safe to run twice and to die half-way (each scan is one
transaction; a snapshot rewrites its day), so they are acknowledged late and
handed back to the queue when their worker is lost (settings), and retried with
backoff when the database connection drops.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import scan, snapshots

RELIABLE = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    name="opsmaturity.maturity.scan_operations",
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
    **RELIABLE,
)
def scan_operations(operation_ids=None):
    """Open and resolve flags for every operation, or only for these ids ("check now")."""
    return scan.run_scan(operation_ids=operation_ids).as_dict()


@shared_task(
    name="opsmaturity.maturity.take_snapshot",
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **RELIABLE,
)
def take_snapshot():
    """Record today's count and cost per team and phase (one row per day, however often run);
    then the campaigns' step: close the overdue ones and record each one's day."""
    from opsmaturity.campaigns import services as campaigns

    summary = snapshots.take_snapshot().as_dict()
    summary["campaigns"] = campaigns.daily()
    return summary
