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
    Count,
    DurationField,
    ExpressionWrapper,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.clock import day_start, today
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import ORDER, PAST_LAUNCH, WORKING_PHASES, Phase
from opsmaturity.teams import access
from opsmaturity.teams.models import Team

from .figures import Figures

ZERO = Decimal("0")
LIST_LIMIT = 8
PERIODS = {
    "4w": (28, _("4 weeks")),
    "12w": (84, _("12 weeks")),
    "26w": (182, _("26 weeks")),
    "52w": (364, _("52 weeks")),
}
DEFAULT_PERIOD = "12w"
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
        return Figures.of(self.team_ids)

    @cached_property
    def by_team_and_phase(self):
        """Operations and monthly cost per team and phase: the funnel and the roll-up
        both add these up."""
        return self.figures.by_team_and_phase()

    @cached_property
    def flags_by_team_and_kind(self):
        """Standing open flags per team and kind: ``shown`` (not snoozed, what the
        lists show), ``total`` and ``requested`` (a snooze asked for). The flag
        counts and the roll-up both add these up."""
        return self.figures.flags_by_team_and_kind()


def funnel(scope):
    """Operations and monthly cost in each phase, in the method's order."""
    totals = {phase: {"phase": phase, "count": 0, "cost": ZERO} for phase in ORDER}
    for row in scope.by_team_and_phase:
        totals[row["phase"]]["count"] += row["count"]
        totals[row["phase"]]["cost"] += row["cost"]
    return list(totals.values())


def flag_counts(scope):
    """Open flags per kind that are not snoozed (what the lists show), and beside them:
    ``snoozed``, ``snooze_requested`` and ``all_stalled`` (snoozed or not)."""
    counts = dict.fromkeys(FlagKind.values, 0)
    counts.update(snoozed=0, snooze_requested=0, all_stalled=0)
    for row in scope.flags_by_team_and_kind:
        counts[row["kind"]] += row["shown"]
        counts["snoozed"] += row["total"] - row["shown"]
        counts["snooze_requested"] += row["requested"]
        if row["kind"] == FlagKind.STALLED:
            counts["all_stalled"] += row["total"]
    return counts


def flagged(scope, rule, limit=LIST_LIMIT):
    """The first operations with a standing flag of the rule, in the rule's order.

    Each flag carries ``finding`` (its reason and numbers, from its facts) and the
    numbers as attributes (``days``, ``overdue``, ``left``…) for the templates.
    """
    flags = list(
        scope.flags(rule.kind)
        .select_related(
            "operation", "operation__team", "operation__owner", "operation__owner__profile"
        )
        .order_by(*rule.order_by)[:limit]
    )
    on = today()
    for flag in flags:
        flag.finding = rules.finding_of(flag, on)
        for name, value in flag.finding.details.items():
            setattr(flag, name, value)
    return flags


def short_lists(scope):
    """The dashboard's short list of each rule, by flag kind."""
    return {rule.kind: flagged(scope, rule) for rule in rules.DASHBOARD_ORDER}


def launch_exits(scope, since):
    """Operations that left launch for a later working phase since a date.

    Returns how many, how many within OPS_STALL_DAYS, and the median days in launch
    (the middle row by duration: portable, and two small queries). Days are local
    calendar days, as the stall rule counts them.
    """
    exits = (
        scope.transitions()
        .filter(
            from_phase=Phase.LAUNCH,
            to_phase__in=PAST_LAUNCH,
            at__gte=since,
            from_phase_entered_at__isnull=False,
        )
        .annotate(
            duration=ExpressionWrapper(
                TruncDate("at") - TruncDate("from_phase_entered_at"),
                output_field=DurationField(),
            )
        )
    )
    limit = timedelta(days=settings.OPS_STALL_DAYS)
    agg = exits.aggregate(total=Count("pk"), in_time=Count("pk", filter=Q(duration__lte=limit)))
    median_days = None
    if agg["total"]:
        middle = exits.order_by("duration").values_list("duration", flat=True)[agg["total"] // 2]
        median_days = middle.days
    return {"count": agg["total"], "in_time": agg["in_time"], "median_days": median_days}


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


def savings(scope, since):
    """Monthly cost removed by retirements, and the change in monthly cost of the
    operations that entered automation (automate or cost-optimize) since a date."""
    retired = (
        scope.transitions()
        .filter(to_phase=Phase.RETIRE, at__gte=since)
        .aggregate(count=Count("pk"), cost=Coalesce(Sum("monthly_cost"), ZERO))
    )
    automation = [Phase.AUTOMATE, Phase.COST_OPTIMIZE]
    entered = (
        scope.transitions()
        .filter(to_phase__in=automation, at__gte=since)
        .exclude(from_phase__in=automation)
        .exclude(operation__phase=Phase.RETIRE)
        .aggregate(
            count=Count("operation", distinct=True),
            before=Coalesce(Sum("monthly_cost"), ZERO),
            now=Coalesce(Sum("operation__monthly_cost"), ZERO),
        )
    )
    return {
        "retired_count": retired["count"],
        "retired_cost": retired["cost"],
        "automated_count": entered["count"],
        "automated_before": entered["before"],
        "automated_now": entered["now"],
        "automated_change": entered["now"] - entered["before"],
        "automated_saved": max(entered["before"] - entered["now"], ZERO),
        "total_saved": retired["cost"] + max(entered["before"] - entered["now"], ZERO),
    }


def team_rollup(scope):
    """One row per team: operations per phase, share past launch, flags, monthly cost."""
    teams = {t.pk: t for t in scope.teams()}
    rows = {
        pk: {
            "team": team,
            "phases": dict.fromkeys(ORDER, 0),
            "cost": dict.fromkeys(ORDER, ZERO),
            "flags": dict.fromkeys(FlagKind.values, 0),
        }
        for pk, team in teams.items()
    }
    for r in scope.by_team_and_phase:
        if r["team_id"] in rows:
            rows[r["team_id"]]["phases"][r["phase"]] = r["count"]
            rows[r["team_id"]]["cost"][r["phase"]] = r["cost"]
    for r in scope.flags_by_team_and_kind:
        if r["team_id"] in rows:
            rows[r["team_id"]]["flags"][r["kind"]] = r["shown"]
    result = []
    for row in sorted(rows.values(), key=lambda r: r["team"].name.lower()):
        active = sum(row["phases"][p] for p in WORKING_PHASES)
        past = sum(row["phases"][p] for p in PAST_LAUNCH)
        row["active"] = active
        row["past_launch_share"] = round(100 * past / active) if active else None
        row["monthly_cost"] = sum((row["cost"][p] for p in WORKING_PHASES), ZERO)
        result.append(row)
    return result


ROLLUP_LIMIT = 25


def most_flagged(rows, limit=ROLLUP_LIMIT):
    """The teams that need the most attention first, cut to ``limit``; (rows, how many
    were left out). With two hundred teams a side-by-side table is read from the top."""
    if len(rows) <= limit:
        return rows, 0
    ranked = sorted(rows, key=lambda r: (-sum(r["flags"].values()), r["team"].name.lower()))
    return ranked[:limit], len(rows) - limit


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


def period_choices():
    """(key, label) of each period the dashboard offers."""
    return [(key, label) for key, (_days, label) in PERIODS.items()]


def period_start(period_key):
    days, _label = PERIODS.get(period_key, PERIODS[DEFAULT_PERIOD])
    return day_start(today() - timedelta(days=days))
