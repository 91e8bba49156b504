"""The weekly summary to each team's chat channel, on the digests' schedule.

Each channel's week is claimed with a compare-and-set on ``summary_week`` before its
delivery is made, so that a run twice (or two beats) sends each week once.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from opsmaturity.lib.urls import absolute
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.rules import standing

from .events import emit_many
from .models import Endpoint, Event, Kind


def week_of(day):
    return day - dt.timedelta(days=day.weekday())


def counts_by_team(team_ids):
    rows = (
        Flag.objects.current()
        .filter(standing(), operation__team_id__in=team_ids)
        .values_list("operation__team_id", "kind")
        .annotate(n=Count("pk"))
    )
    counts = {team_id: dict.fromkeys(FlagKind.values, 0) for team_id in team_ids}
    for team_id, kind, n in rows:
        counts[team_id][kind] = n
    return counts


def send_weekly_summaries(today=None):
    """Queue this week's summary for every chat channel that wants one; returns how many."""
    week = week_of(today or timezone.localdate())
    channels = list(
        Endpoint.objects.exclude(kind=Kind.WEBHOOK)
        .filter(weekly_summary=True, is_active=True, paused_at__isnull=True)
        .select_related("team")
    )
    counts = counts_by_team({c.team_id for c in channels})
    sent = 0
    for channel in channels:
        with transaction.atomic():
            claimed = (
                Endpoint.objects.filter(pk=channel.pk)
                .exclude(summary_week=week)
                .update(summary_week=week)
            )
            if not claimed:
                continue
            payload = {
                "team": {"id": channel.team_id, "name": channel.team.name},
                "week": week,
                "counts": counts[channel.team_id],
                "url": absolute(f"/dashboard/?team={channel.team_id}"),
            }
            emit_many(Event.WEEKLY_SUMMARY, [payload], [channel])
            sent += 1
    return sent
