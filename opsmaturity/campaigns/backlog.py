"""Without a campaign: when will the operations in launch be standardized?

The same forecast as a campaign's, over the launch exits of the last eight weeks
(PhaseTransition from launch to a later working phase): the done count is the
number of exits so far, the total adds the operations in launch now.
"""

import datetime as dt

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.lib.clock import day_start
from opsmaturity.lib.clock import today as local_today
from opsmaturity.lib.formatting import grouped
from opsmaturity.operations.phases import PAST_LAUNCH, Phase

from . import forecast as fc

WEEKS = 8


def exits_per_day(transitions, on=None, by=()):
    """Launch exits of the forecast's weeks, per local day (and per ``by`` fields):
    rows of ``day`` and ``n``. The team figures keep these per team (dashboard)."""
    on = on or local_today()
    start = on - dt.timedelta(weeks=WEEKS)
    return (
        transitions.filter(
            from_phase=Phase.LAUNCH,
            to_phase__in=PAST_LAUNCH,
            at__gte=day_start(start + dt.timedelta(days=1)),
        )
        .annotate(day=TruncDate("at", tzinfo=timezone.get_default_timezone()))
        .order_by()
        .values(*by, "day")
        .annotate(n=Count("pk"))
    )


def launch_forecast(transitions, in_launch, on=None, counts=None):
    """``transitions``: the scope's PhaseTransition queryset; ``in_launch``: how many
    operations are in launch now; ``counts``: {day: exits} when already known (else
    one query)."""
    on = on or local_today()
    start = on - dt.timedelta(weeks=WEEKS)
    if counts is None:
        counts = {row["day"]: row["n"] for row in exits_per_day(transitions, on)}
    # counted from the day after the start, so that the start's 0 is a day of its own
    history, done = [(start, 0)], 0
    for day in sorted(counts):
        done += counts[day]
        history.append((day, done))
    if history[-1][0] < on:
        history.append((on, done))
    result = fc.forecast(history, done + in_launch, on, basis_weeks=WEEKS)
    return {"forecast": result, "in_launch": in_launch, "exits": done, "weeks": WEEKS}


def launch_sentence(info):
    """The dashboard's sentence, in the active language; "" with nothing in launch."""
    result, n = info["forecast"], info["in_launch"]
    if not n:
        return ""
    if result.status in (fc.NO_FORECAST, fc.NO_HISTORY):
        return ngettext(
            "No operation has left launch in the last %(weeks)d weeks: no forecast yet for "
            "the %(n)s operation in launch.",
            "No operation has left launch in the last %(weeks)d weeks: no forecast yet for "
            "the %(n)s operations in launch.",
            n,
        ) % {"weeks": info["weeks"], "n": grouped(n)}
    if result.finish is None:
        return ngettext(
            "At the pace of the last %(weeks)d weeks, the %(n)s operation in launch would "
            "take more than two years to be standardized.",
            "At the pace of the last %(weeks)d weeks, the %(n)s operations in launch would "
            "take more than two years to be standardized.",
            n,
        ) % {"weeks": info["weeks"], "n": grouped(n)}
    sentence = ngettext(
        "At the pace of the last %(weeks)d weeks, the %(n)s operation in launch will be "
        "standardized by %(finish)s.",
        "At the pace of the last %(weeks)d weeks, the %(n)s operations in launch will be "
        "standardized by %(finish)s.",
        n,
    ) % {
        "weeks": info["weeks"],
        "n": grouped(n),
        "finish": date_format(result.finish, "DATE_FORMAT"),
    }
    if result.earliest and result.earliest != result.finish:
        sentence += " " + _("At the fastest recent pace: %(earliest)s.") % {
            "earliest": date_format(result.earliest, "DATE_FORMAT")
        }
    return sentence
