"""Days are counted in the installation's time zone (settings.TIME_ZONE)."""

import datetime as dt

from django.utils import timezone


def today():
    return timezone.localdate()


def day_start(day):
    """The aware moment a local calendar day begins."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def days_since(moment, on=None):
    """Whole local calendar days between a moment and a day (today by default)."""
    return ((on or today()) - timezone.localdate(moment)).days
