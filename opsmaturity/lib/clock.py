"""Days are counted in the installation's time zone (settings.TIME_ZONE).

Explicitly so, not in the zone active for the request: pages show times in the
reader's own zone (accounts/middleware.py), but a rule's days, a period's first day
and "today" for the method are the installation's, the same on every page, in the
digest and in the scan.
"""

import datetime as dt

from django.utils import timezone


def today():
    return timezone.localdate(timezone=timezone.get_default_timezone())


def day_start(day):
    """The aware moment a local calendar day begins."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def days_since(moment, on=None):
    """Whole local calendar days between a moment and a day (today by default)."""
    return ((on or today()) - timezone.localdate(moment, timezone.get_default_timezone())).days
