"""The periods the dashboard offers, counted in whole local days back from today."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.clock import day_start, today

PERIODS = {
    "4w": (28, _("4 weeks")),
    "12w": (84, _("12 weeks")),
    "26w": (182, _("26 weeks")),
    "52w": (364, _("52 weeks")),
}
DEFAULT_PERIOD = "12w"


def period_choices():
    """(key, label) of each period the dashboard offers."""
    return [(key, label) for key, (_days, label) in PERIODS.items()]


def first_day(period_key, on=None):
    """The first local day of a period ending ``on`` (today)."""
    days, _label = PERIODS.get(period_key, PERIODS[DEFAULT_PERIOD])
    return (on or today()) - timedelta(days=days)


def period_start(period_key):
    return day_start(first_day(period_key))
