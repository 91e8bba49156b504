"""What the campaign pages show, each in a fixed number of queries whatever their size."""

import datetime as dt
from collections import defaultdict

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.lib.clock import today as local_today
from opsmaturity.lib.formatting import grouped
from opsmaturity.teams.models import Team

from . import forecast as fc
from . import progress
from .models import Campaign, CampaignChange, CampaignProgress

RECENT_WEEKS = max(fc.WINDOWS_WEEKS) + 1


def campaigns_with_teams():
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )


def history_points(rows, live, on):
    """The recorded days, with today's live count in place of today's record."""
    points = [{"date": r.date, "done": r.done, "total": r.total} for r in rows if r.date < on]
    points.append({"date": on, "done": live["done"], "total": live["total"]})
    return points


def campaign_forecast(campaign, points, live, on):
    if campaign.is_closed:
        return None
    history = [(p["date"], p["done"]) for p in points]
    return fc.forecast(history, live["total"], on, campaign.deadline)


def _day(value):
    return date_format(value, "DATE_FORMAT")


def forecast_sentence(result, deadline=None):
    """The forecast in one sentence, in the active language."""
    if result is None:
        return ""
    if result.status == fc.DONE:
        return _("Every operation is done.")
    if result.status == fc.NO_HISTORY:
        return _("No forecast yet: progress is measured from tomorrow, day by day.")
    if result.status == fc.NO_FORECAST:
        if result.quiet_weeks:
            return ngettext(
                "No progress in %(weeks)d week: no forecast yet.",
                "No progress in %(weeks)d weeks: no forecast yet.",
                result.quiet_weeks,
            ) % {"weeks": result.quiet_weeks}
        return _("No progress yet: no forecast yet.")
    if result.beyond_horizon:
        sentence = _(
            "At the pace of recent weeks, the %(left)s operations left would take more than "
            "two years."
        ) % {"left": grouped(result.remaining)}
    else:
        sentence = _(
            "At the pace of recent weeks (%(pace)s a week), the %(left)s operations left will "
            "be done by %(finish)s"
        ) % {
            "pace": f"{result.pace_per_week:.1f}",
            "left": grouped(result.remaining),
            "finish": _day(result.finish),
        }
        if result.earliest and result.latest and result.earliest != result.latest:
            sentence += " " + _("(between %(earliest)s and %(latest)s)") % {
                "earliest": _day(result.earliest),
                "latest": _day(result.latest),
            }
        elif result.earliest and result.latest is None:
            sentence += " " + _(
                "(%(earliest)s at the fastest; at the slowest, not in two years)"
            ) % {"earliest": _day(result.earliest)}
        sentence += "."
    verdict = {
        fc.ON_TRACK: _("On track for the deadline."),
        fc.AT_RISK: _("At risk: the slower recent pace misses the deadline."),
        fc.WILL_MISS: _("Will miss the deadline at this pace."),
    }.get(result.status)
    return f"{sentence} {verdict}" if verdict else sentence


TONES = {fc.DONE: "good", fc.ON_TRACK: "good", fc.AT_RISK: "warn", fc.WILL_MISS: "bad"}


def status_of(result):
    """(tone, label) of a forecast, for a badge."""
    labels = {
        fc.DONE: _("Done"),
        fc.ON_TRACK: _("On track"),
        fc.AT_RISK: _("At risk"),
        fc.WILL_MISS: _("Will miss"),
        fc.NO_FORECAST: _("No forecast"),
        fc.NO_HISTORY: _("Just started"),
    }
    if result is None:
        return ("", _("Closed"))
    return (TONES.get(result.status, ""), labels.get(result.status, ""))


def overview(campaigns, on=None):
    """Each campaign with its counts and forecast: four queries for any number."""
    on = on or local_today()
    campaigns = list(campaigns)
    open_ids = [c.pk for c in campaigns if not c.is_closed]
    live = progress.counts([c.pk for c in campaigns])
    rows = defaultdict(list)
    since = on - dt.timedelta(weeks=RECENT_WEEKS)
    for row in CampaignProgress.objects.filter(campaign_id__in=open_ids, date__gte=since).order_by(
        "date"
    ):
        rows[row.campaign_id].append(row)
    result = []
    for campaign in campaigns:
        counts = live[campaign.pk]
        points = history_points(rows[campaign.pk], counts, on)
        outlook = campaign_forecast(campaign, points, counts, on)
        result.append(
            {
                "campaign": campaign,
                "counts": counts,
                "forecast": outlook,
                "status": status_of(outlook),
                "sentence": forecast_sentence(outlook),
                "days_left": (campaign.deadline - on).days,
            }
        )
    return result


def detail(campaign, on=None):
    """The campaign page: counts, history, forecast, what is left (or the result)."""
    on = on or local_today()
    counts = progress.counts([campaign.pk])[campaign.pk]
    rows = list(CampaignProgress.objects.filter(campaign=campaign).order_by("date"))
    points = history_points(rows, counts, on)
    outlook = campaign_forecast(campaign, points, counts, on)
    members = progress.with_done(progress.current_members(campaign)).select_related(
        "operation__owner", "operation__team"
    )
    members = list(members.order_by("operation__phase_entered_at", "operation__name"))
    changes = list(
        CampaignChange.objects.filter(campaign=campaign).select_related("operation", "by")
    )
    return {
        "counts": counts,
        "points": points,
        "forecast": outlook,
        "status": status_of(outlook),
        "sentence": forecast_sentence(outlook),
        "days_left": (campaign.deadline - on).days,
        "not_done": [m for m in members if not m.done],
        "done": [m for m in members if m.done],
        "changes": changes,
        "cost_share": (
            round(100 * counts["cost_done"] / counts["cost_total"]) if counts["cost_total"] else 0
        ),
    }
