"""Each team's figures, kept ahead of time from one source of truth (see ``models.py``).

``compute`` is the only definition of the figures: it aggregates the operations,
their standing open flags and their history for some teams. The refresher stores
its answer per team; the dashboard reads the stored answer for the teams no
statement has touched since, and ``compute``'s live answer for the others, so what
it shows is the live aggregate either way. A test changes the data every way the
app can and compares the two.

Why it cannot drift: a write and its mark commit together (the trigger runs in the
writing statement). ``refresh`` reads the marks first, then aggregates, then deletes
only the marks it read: every write whose mark it deletes had committed before the
aggregate was read, so the stored figures include it. A write that commits later,
or is still in progress, keeps its mark, and its team stays stale (read live) until
the next refresh. This holds at READ COMMITTED; nothing needs a snapshot.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from opsmaturity.lib.clock import today
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import PAST_LAUNCH, Phase
from opsmaturity.teams.models import Team

from .models import FiguresChange, TeamFigures

log = logging.getLogger(__name__)

ZERO = Decimal("0")
# Serializes refreshes on PostgreSQL (a fixed number no other advisory lock uses).
REFRESH_LOCK_KEY = 7_204_311_002
# Teams recomputed per statement while refreshing: bounds the memory of a refresh of
# every team (after an import or the scan's first run) whatever the organisation's size.
BATCH = 500


def _narrow(queryset, field, team_ids):
    return queryset if team_ids is None else queryset.filter(**{f"{field}__in": team_ids})


def compute(team_ids=None):
    """The figures of these teams (None: every team), live: {team id: figures}.

    Figures: ``phases`` {phase: [count, cost]}, ``flags`` {kind: {"total", "requested",
    "snoozed": {last day: count}}} (standing open flags only, as the dashboard counts
    them), ``moved`` and ``dropped`` (operations that ever left launch for a later
    working phase, or for retirement). Three grouped queries.
    """
    result = defaultdict(lambda: {"phases": {}, "flags": {}, "moved": 0, "dropped": 0})
    if team_ids is not None and not team_ids:
        return {}
    phases = (
        _narrow(Operation.objects.all(), "team_id", team_ids)
        .order_by()
        .values("team_id", "phase")
        .annotate(count=Count("pk"), cost=Coalesce(Sum("monthly_cost"), ZERO))
    )
    for row in phases:
        result[row["team_id"]]["phases"][row["phase"]] = [row["count"], str(row["cost"])]
    flags = (
        _narrow(Flag.objects.open().filter(rules.standing()), "operation__team_id", team_ids)
        .order_by()
        .values("kind", "snoozed_until", team_id=F("operation__team_id"))
        .annotate(total=Count("pk"), requested=Count("pk", filter=Q(snooze_requested=True)))
    )
    for row in flags:
        kind = result[row["team_id"]]["flags"].setdefault(
            row["kind"], {"total": 0, "requested": 0, "snoozed": {}}
        )
        kind["total"] += row["total"]
        kind["requested"] += row["requested"]
        if row["snoozed_until"] is not None:
            day = row["snoozed_until"].isoformat()
            kind["snoozed"][day] = kind["snoozed"].get(day, 0) + row["total"]
    # An operation's history carries its team (kept in step when it changes team),
    # so counting per team and adding up counts each operation once.
    left = (
        _narrow(PhaseTransition.objects.filter(from_phase=Phase.LAUNCH), "team_id", team_ids)
        .order_by()
        .values("team_id")
        .annotate(
            moved=Count("operation", distinct=True, filter=Q(to_phase__in=PAST_LAUNCH)),
            dropped=Count("operation", distinct=True, filter=Q(to_phase=Phase.RETIRE)),
        )
    )
    for row in left:
        if row["moved"] or row["dropped"]:
            result[row["team_id"]]["moved"] = row["moved"]
            result[row["team_id"]]["dropped"] = row["dropped"]
    return dict(result)


class Figures:
    """The figures of a set of teams as the dashboard adds them up: kept where fresh,
    live where a statement touched the team since the last refresh."""

    def __init__(self, by_team, stale):
        self.by_team = by_team
        self.stale = stale  # the team ids read live

    @classmethod
    def of(cls, team_ids=None):
        """One query when no team in scope is stale (each team with its kept figures
        and whether a mark stands against it), four when some are."""
        teams = (
            _narrow(Team.objects.all(), "pk", team_ids)
            .order_by()
            .annotate(
                stale=Exists(FiguresChange.objects.filter(team_id=OuterRef("pk"))),
            )
            .values_list("pk", "stale", "figures__figures")
        )
        by_team, stale = {}, set()
        for pk, is_stale, kept in teams:
            if is_stale:
                stale.add(pk)
            elif kept is not None:
                # No kept row and no mark: nothing of the team was ever counted (its
                # first operation, flag or move would have marked it).
                by_team[pk] = kept
        if stale:
            by_team.update(compute(sorted(stale)))
        return cls(by_team, stale)

    def by_team_and_phase(self):
        """Rows of (team_id, phase, count, cost), as a grouped query over the operations
        would give them."""
        return [
            {"team_id": team_id, "phase": phase, "count": count, "cost": Decimal(cost)}
            for team_id, figures in self.by_team.items()
            for phase, (count, cost) in figures["phases"].items()
        ]

    def flags_by_team_and_kind(self, on=None):
        """Rows of (team_id, kind, shown, total, requested): ``shown`` leaves out the
        flags snoozed through ``on`` (today), as ``not_snoozed`` does."""
        on = (on or today()).isoformat()
        rows = []
        for team_id, figures in self.by_team.items():
            for kind, counts in figures["flags"].items():
                snoozed = sum(n for day, n in counts["snoozed"].items() if day >= on)
                rows.append(
                    {
                        "team_id": team_id,
                        "kind": kind,
                        "shown": counts["total"] - snoozed,
                        "total": counts["total"],
                        "requested": counts["requested"],
                    }
                )
        return rows

    def left_launch(self):
        """(moved, dropped) added up over the teams."""
        moved = sum(f["moved"] for f in self.by_team.values())
        dropped = sum(f["dropped"] for f in self.by_team.values())
        return moved, dropped


def refresh():
    """Recompute the figures of every stale team and store them; how many teams.

    Safe to run anywhere at any time: a refresh already running elsewhere makes this
    one return 0 at once (the next one catches up).
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
                    if not cursor.fetchone()[0]:
                        return 0
            return _refresh_seen()
    except DatabaseError as exc:  # a team deleted meanwhile, say: the next run retries
        log.warning("team figures not refreshed: %s", exc)
        return 0


def _refresh_seen():
    marks = list(FiguresChange.objects.order_by().values_list("pk", "team_id"))
    if not marks:
        return 0
    teams = sorted({team_id for _pk, team_id in marks})
    existing = set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True))
    # Later than every refresh before, whatever this machine's clock says: the newest
    # ``computed_at`` of a scope's teams is the version of their data (fragments.py).
    latest = TeamFigures.objects.aggregate(latest=Max("computed_at"))["latest"]
    now = timezone.now()
    if latest is not None and now <= latest:
        now = latest + timedelta(microseconds=1)
    for start in range(0, len(teams), BATCH):
        batch = [t for t in teams[start : start + BATCH] if t in existing]
        figures = compute(batch)
        empty = {"phases": {}, "flags": {}, "moved": 0, "dropped": 0}
        TeamFigures.objects.bulk_create(
            [TeamFigures(team_id=t, figures=figures.get(t, empty), computed_at=now) for t in batch],
            update_conflicts=True,
            unique_fields=["team"],
            update_fields=["figures", "computed_at"],
        )
    seen = [pk for pk, _team_id in marks]
    for start in range(0, len(seen), 10_000):
        FiguresChange.objects.filter(pk__in=seen[start : start + 10_000]).delete()
    log.info("team figures refreshed for %s teams", len(teams))
    return len(teams)
