"""The dashboard's one job: keep each team's figures ahead of time (figures.py)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import figures


@shared_task(
    name="opsmaturity.dashboard.refresh_figures",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def refresh_figures():
    """Recompute the figures of the teams a statement touched since the last run;
    how many. Until it has run, the dashboard counts those teams live."""
    return figures.refresh()
