"""What the manager dashboard shows, each figure one aggregate query in the database.

Every function takes a ``Scope`` (which teams) and answers in a constant number
of queries, whatever the number of operations. Flags come from the maturity
scan, which applies the rules in ``maturity/rules.py``; the lists link to the
same flags, so a number here and the list it links to always agree.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db import connections
from django.db.models import (
    Min,
    OuterRef,
    Subquery,
    Sum,
)
from django.utils import timezone

from opsmaturity.lib.clock import today
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import ORDER, PAST_LAUNCH, WORKING_PHASES
from opsmaturity.teams import access
from opsmaturity.teams.models import Team

from .figures import Figures
from .periods import DEFAULT_PERIOD, PERIODS, period_choices, period_start  # noqa: F401

ZERO = Decimal("0")
LIST_LIMIT = 8
TREND_WEEKS = 12


@dataclass
class Scope:
    """Which operations the dashboard is about, and how the list can show the same ones.

    The scope's team ids are looked up once and written into every query as a
    list: the planner then knows how many teams it is about, where a nested
    "teams I manage" subquery made it guess one (and pick slow plans).
    """

    user: object
    key: str  # "managed", "my_teams", "all" or "team"
    team: Team | None = None
    label: str = ""
    list_params: dict = field(default_factory=dict)

    @cached_property
    def team_ids(self):
        """The teams in scope, or None for all of them."""
        if self.key == "all":
            return None
        if self.key == "team":
            return [self.team.pk]
        if self.key == "managed":
            return sorted(access.managed_team_ids(self.user))
        return sorted(access.member_team_ids(self.user))

    def narrow(self, queryset, team_field):
        """Keep the rows of ``queryset`` whose ``team_field`` is a team in scope."""
        if self.team_ids is None:
            return queryset
        return queryset.filter(**{f"{team_field}__in": self.team_ids})

    def operations(self):
        return self.narrow(Operation.objects.all(), "team_id")

    def teams(self):
        return self.narrow(Team.objects.all(), "pk")

    def flags(self, kind):
        """Open flags of one kind that are not snoozed and still stand, as the lists
        filter them. The rule's phases also let the database walk the operations in
        order instead of sorting every flag of the kind."""
        flags = Flag.objects.current().filter(
            kind=kind, operation__phase__in=rules.RULES_BY_KIND[kind].phases
        )
        return self.narrow(flags, "operation__team_id")

    def transitions(self):
        return self.narrow(PhaseTransition.objects.all(), "team_id")

    def snapshots(self):
        return self.narrow(Snapshot.objects.all(), "team_id")

    @cached_property
    def figures(self):
        """The teams' figures (figures.py): kept ahead of time where no statement has
        touched the team since the last refresh, live where one has."""
        if self.team_ids is None:
            return Figures.of_all()
        return Figures.of(self.team_ids)


def funnel(scope):
    """Operations and monthly cost in each phase, in the method's order."""
    phases = scope.figures.total["phases"]
    return [
        {
            "phase": phase,
            "count": phases.get(phase, [0, "0"])[0],
            "cost": Decimal(phases.get(phase, [0, "0"])[1]),
        }
        for phase in ORDER
    ]


def flag_counts(scope):
    """Open flags per kind that are not snoozed (what the lists show), and beside them:
    ``snoozed``, ``snooze_requested`` and ``all_stalled`` (snoozed or not)."""
    counts = dict.fromkeys(FlagKind.values, 0)
    counts.update(snoozed=0, snooze_requested=0, all_stalled=0)
    for kind, (shown, total, requested) in scope.figures.flag_totals().items():
        counts[kind] += shown
        counts["snoozed"] += total - shown
        counts["snooze_requested"] += requested
        if kind == FlagKind.STALLED:
            counts["all_stalled"] += total
    return counts


def flagged(scope, rule, limit=LIST_LIMIT):
    """The first operations with a standing flag of the rule, in the rule's order.

    Each flag carries ``finding`` (its reason and numbers, from its facts) and the
    numbers as attributes (``days``, ``overdue``, ``left``…) for the templates.
    """
    on = today()
    flags = scope.flags(rule.kind)
    start = rule.short_list_start(on)
    if start is not None:
        flags = flags.filter(start)
    flags = list(
        flags.select_related(
            "operation", "operation__team", "operation__owner", "operation__owner__profile"
        ).order_by(*rule.order_by)[:limit]
    )
    for flag in flags:
        flag.finding = rules.finding_of(flag, on)
        for name, value in flag.finding.details.items():
            setattr(flag, name, value)
    return flags


def short_lists(scope):
    """The dashboard's short list of each rule, by flag kind."""
    return {rule.kind: flagged(scope, rule) for rule in rules.DASHBOARD_ORDER}


def launch_exits(scope, period):
    """Operations that left launch for a later working phase in the period.

    Returns how many, how many within OPS_STALL_DAYS, and the median days in launch
    (the middle one by days: the upper of the two middle ones when even). Days are
    local calendar days, as the stall rule counts them (figures.py counts them).
    """
    by_days = scope.figures.period(period)["exits"]
    total = sum(by_days.values())
    in_time = sum(n for days, n in by_days.items() if days <= settings.OPS_STALL_DAYS)
    median_days, passed = None, 0
    for days in sorted(by_days):
        passed += by_days[days]
        if passed > total // 2:
            median_days = days
            break
    return {"count": total, "in_time": in_time, "median_days": median_days}


def conversion(scope, counts):
    """Of the operations whose launch window has passed, the share that moved on.

    Moved on: ever left launch for standardize or later. Stuck: still in launch past
    the limit. Retired straight from launch count as not converted.
    """
    moved, dropped = scope.figures.left_launch()
    # Snoozed or not, a stalled operation has not moved on.
    base = moved + dropped + counts["all_stalled"]
    rate = round(100 * moved / base) if base else None
    return {"moved": moved, "base": base, "rate": rate}


def savings(scope, period):
    """Monthly cost removed by retirements, and the change in monthly cost of the
    operations that entered automation (automate or cost-optimize) in the period."""
    seen = scope.figures.period(period)
    retired_count, retired_cost = seen["retired"][0], Decimal(seen["retired"][1])
    automated_count, before, now = seen["automated"][0], *map(Decimal, seen["automated"][1:])
    return {
        "retired_count": retired_count,
        "retired_cost": retired_cost,
        "automated_count": automated_count,
        "automated_before": before,
        "automated_now": now,
        "automated_change": now - before,
        "automated_saved": max(before - now, ZERO),
        "total_saved": retired_cost + max(before - now, ZERO),
    }


ROLLUP_LIMIT = 25


def team_rollup(scope, limit=None):
    """One row per team: operations per phase, share past launch, flags, monthly cost;
    and how many teams were left out. With ``limit``, only the teams that need the
    most attention, the most flagged first: with two hundred teams a side-by-side
    table is read from the top. Otherwise every team, by name."""
    figures = scope.figures
    if figures.whole:
        if limit is not None:
            chosen, hidden = figures.most_flagged(limit)
            teams = Team.objects.in_bulk(chosen)
            rows = [_rollup_row(teams[pk], figures) for pk in chosen if pk in teams]
            if not hidden:  # every team fits: by name, as below
                rows.sort(key=lambda r: r["team"].name.lower())
            return rows, hidden
        figures = Figures.of()
    rows = [_rollup_row(team, figures) for team in scope.teams()]
    rows.sort(key=lambda r: r["team"].name.lower())
    if limit is None or len(rows) <= limit:
        return rows, 0
    ranked = sorted(rows, key=lambda r: (-sum(r["flags"].values()), r["team"].name.lower()))
    return ranked[:limit], len(rows) - limit


def _rollup_row(team, figures):
    kept = figures.by_team.get(team.pk, {"phases": {}})
    phases = {p: kept["phases"].get(p, [0, "0"])[0] for p in ORDER}
    cost = {p: Decimal(kept["phases"].get(p, [0, "0"])[1]) for p in ORDER}
    flags = dict.fromkeys(FlagKind.values, 0)
    flags.update(figures.shown_by_team_and_kind(team.pk))
    active = sum(phases[p] for p in WORKING_PHASES)
    past = sum(phases[p] for p in PAST_LAUNCH)
    return {
        "team": team,
        "phases": phases,
        "cost": cost,
        "flags": flags,
        "active": active,
        "past_launch_share": round(100 * past / active) if active else None,
        "monthly_cost": sum((cost[p] for p in WORKING_PHASES), ZERO),
    }


def trend(scope, weeks=TREND_WEEKS):
    """Operations and monthly cost per phase at the end of each of the last weeks.

    Past weeks come from the snapshots (the latest of each ISO week); this week is
    today's live figures, the funnel's own, so the trend's last point, the funnel, the
    team table and the digest say the same at every moment. ``change`` is this week
    against the one before, counts and cost.
    """
    now = today()
    this_week = now - timedelta(days=now.weekday())
    rows = (
        scope.snapshots()
        .filter(date__gt=now - timedelta(weeks=weeks), date__lt=this_week)
        .order_by()
        .values("date", "phase")
        .annotate(count=Sum("count"), cost=Sum("monthly_cost"))
    )
    by_date = {}
    for r in rows:
        point = by_date.setdefault(
            r["date"], {"counts": dict.fromkeys(ORDER, 0), "costs": dict.fromkeys(ORDER, ZERO)}
        )
        point["counts"][r["phase"]] = r["count"]
        point["costs"][r["phase"]] = r["cost"] or ZERO
    weekly = {}
    for day in sorted(by_date):
        weekly[day.isocalendar()[:2]] = {"date": day, **by_date[day]}
    stages = funnel(scope)
    live = {
        "date": now,
        "counts": {s["phase"]: s["count"] for s in stages},
        "costs": {s["phase"]: s["cost"] for s in stages},
    }
    points = [*weekly.values(), live]
    change = cost_change = None
    if len(points) >= 2:
        before = points[-2]
        change = {p: live["counts"][p] - before["counts"][p] for p in ORDER}
        cost_change = {p: live["costs"][p] - before["costs"][p] for p in ORDER}
    return {"points": points, "change": change, "cost_change": cost_change}


# Up to this many teams, the history is read team by team, each from its own range of
# the (team, at) index: over a list of teams PostgreSQL walks the index of every
# team's moves by time and skips the other teams' (at 1,000,000 operations, 99 of 100).
PER_TEAM_AT_MOST = 20


def _few_teams(scope):
    return scope.team_ids is not None and len(scope.team_ids) <= PER_TEAM_AT_MOST


def recorded_since(scope):
    """The first day this scope's history was recorded, or None."""
    if _few_teams(scope):
        firsts = PhaseTransition.objects.filter(team_id=OuterRef("pk")).order_by("at")
        first = scope.teams().aggregate(first=Min(Subquery(firsts.values("at")[:1])))["first"]
    else:
        first = scope.transitions().order_by("at").values_list("at", flat=True).first()
    return timezone.localdate(first) if first else None


def latest_moves(scope, limit=LIST_LIMIT):
    """The scope's last moves, the newest first."""
    moves = scope.transitions().exclude(from_phase="")
    order = ("-at", "-pk")
    if _few_teams(scope) and connections[moves.db].features.supports_slicing_ordering_in_compound:
        if not scope.team_ids:
            return []
        # each team's newest (a LIMIT per team: PostgreSQL, not SQLite), then the newest
        newest = [
            moves.filter(team_id=team).order_by(*order).values_list("pk", flat=True)[:limit]
            for team in scope.team_ids
        ]
        ids = list(newest[0].union(*newest[1:], all=True)) if len(newest) > 1 else list(newest[0])
        moves = moves.filter(pk__in=ids)
    return list(moves.select_related("operation", "operation__team", "by").order_by(*order)[:limit])
