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
from datetime import date, timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from opsmaturity.campaigns.backlog import exits_per_day
from opsmaturity.lib.clock import day_start, today
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import PAST_LAUNCH, Phase
from opsmaturity.teams.models import Team

from .models import FiguresChange, OrgFigures, TeamFigures
from .periods import PERIODS, first_day

log = logging.getLogger(__name__)

ZERO = Decimal("0")
# Serializes refreshes on PostgreSQL (a fixed number no other advisory lock uses).
REFRESH_LOCK_KEY = 7_204_311_002
# Teams recomputed per statement while refreshing: bounds the memory of a refresh of
# every team (after an import or the scan's first run) whatever the organisation's size.
BATCH = 500


def _narrow(queryset, field, team_ids):
    return queryset if team_ids is None else queryset.filter(**{f"{field}__in": team_ids})


def empty():
    return {"phases": {}, "flags": {}, "moved": 0, "dropped": 0, "periods": {}}


AUTOMATION = (Phase.AUTOMATE, Phase.COST_OPTIMIZE)


def compute(team_ids=None, on=None):
    """The figures of these teams (None: every team), live, as of the day ``on``
    (today): {team id: figures}.

    Figures: ``phases`` {phase: [count, cost]}, ``flags`` {kind: {"total", "requested",
    "snoozed": {last day: count}}} (standing open flags only, as the dashboard counts
    them), ``moved`` and ``dropped`` (operations that ever left launch for a later
    working phase, or for retirement), and ``periods``: what each of the dashboard's
    periods ending ``on`` saw (``_periods``). Days are the installation's.
    """
    result = defaultdict(empty)
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
    _periods(result, team_ids, on or today())
    return dict(result)


def _bump(counts, key, n):
    counts[key] = counts.get(key, 0) + n


CENT = Decimal("0.01")


def _money(amount):
    """An amount as kept: a string with two places, whichever database summed it."""
    return str(Decimal(amount).quantize(CENT))


def _add_money(pair, index, amount):
    pair[index] = _money(Decimal(pair[index]) + amount)


def _periods(result, team_ids, on):
    """Each team's ``periods``: for each period (periods.PERIODS) ending ``on``,
    ``exits`` {days in launch: how many left launch for a later working phase},
    ``retired`` [how many, monthly cost removed] and ``automated`` [how many
    operations entered automation from an earlier phase and are not retired, their
    monthly cost then, now]; and ``exit_days`` {day: launch exits}, the forecast's
    weeks (campaigns.backlog). Four grouped queries over the longest period."""
    zone = timezone.get_default_timezone()
    starts = {key: first_day(key, on) for key in PERIODS}
    history = _narrow(
        PhaseTransition.objects.filter(at__gte=day_start(min(starts.values()))),
        "team_id",
        team_ids,
    ).annotate(day=TruncDate("at", tzinfo=zone))

    def periods_of(team_id):
        return result[team_id]["periods"]

    def within(day):
        return [key for key, start in starts.items() if day >= start]

    exits = (
        history.filter(
            from_phase=Phase.LAUNCH, to_phase__in=PAST_LAUNCH, from_phase_entered_at__isnull=False
        )
        .annotate(
            duration=ExpressionWrapper(
                F("day") - TruncDate("from_phase_entered_at", tzinfo=zone),
                output_field=DurationField(),
            )
        )
        .order_by()
        .values("team_id", "day", "duration")
        .annotate(n=Count("pk"))
    )
    for row in exits:
        for key in within(row["day"]):
            by_days = periods_of(row["team_id"]).setdefault("exits", {}).setdefault(key, {})
            _bump(by_days, str(row["duration"].days), row["n"])
    for row in exits_per_day(
        _narrow(PhaseTransition.objects.all(), "team_id", team_ids), on, by=("team_id",)
    ):
        _bump(
            periods_of(row["team_id"]).setdefault("exit_days", {}), row["day"].isoformat(), row["n"]
        )
    retired = (
        history.filter(to_phase=Phase.RETIRE)
        .order_by()
        .values("team_id", "day")
        .annotate(n=Count("pk"), cost=Coalesce(Sum("monthly_cost"), ZERO))
    )
    for row in retired:
        for key in within(row["day"]):
            pair = periods_of(row["team_id"]).setdefault("retired", {}).setdefault(key, [0, "0"])
            pair[0] += row["n"]
            _add_money(pair, 1, row["cost"])
    # Each entry into automation compares that move's cost with the cost now; an
    # operation is counted once however often it entered.
    entered = (
        history.filter(to_phase__in=AUTOMATION)
        .exclude(from_phase__in=AUTOMATION)
        .exclude(operation__phase=Phase.RETIRE)
        .order_by()
        .values("team_id", "operation_id", "day")
        .annotate(
            before=Coalesce(Sum("monthly_cost"), ZERO),
            now=Coalesce(Sum("operation__monthly_cost"), ZERO),
        )
    )
    counted = defaultdict(set)
    for row in entered:
        for key in within(row["day"]):
            triple = periods_of(row["team_id"]).setdefault("automated", {})
            triple = triple.setdefault(key, [0, "0", "0"])
            if row["operation_id"] not in counted[row["team_id"], key]:
                counted[row["team_id"], key].add(row["operation_id"])
                triple[0] += 1
            _add_money(triple, 1, row["before"])
            _add_money(triple, 2, row["now"])


def add_up(figures, into=None, sign=1):
    """Add (or with ``sign`` -1, take away) one team's figures to a total, in place:
    every count and amount, at every depth. Returns the total."""
    total = empty() if into is None else into
    _merge(total, figures, sign)
    return total


def _merge(total, part, sign):
    for key, value in part.items():
        if isinstance(value, dict):
            _merge(total.setdefault(key, {}), value, sign)
        elif isinstance(value, list):
            have = total.setdefault(key, [0] + ["0"] * (len(value) - 1))
            for i, item in enumerate(value):
                if isinstance(item, str):
                    _add_money(have, i, sign * Decimal(item))
                else:
                    have[i] += sign * item
        else:
            total[key] = total.get(key, 0) + sign * value


def tidy(figures):
    """Leave out what counts nothing (what taking a team away leaves behind), so that
    a total reads the same however it was added up."""
    figures["phases"] = {phase: pair for phase, pair in figures["phases"].items() if pair[0]}
    flags = {}
    for kind, counts in figures["flags"].items():
        if counts["total"]:
            counts["snoozed"] = {day: n for day, n in counts["snoozed"].items() if n}
            flags[kind] = counts
    figures["flags"] = flags
    periods = {}
    for name, by_key in figures["periods"].items():
        if name == "exit_days":
            kept = {day: n for day, n in by_key.items() if n}
        elif name == "exits":
            kept = {}
            for key, by_days in by_key.items():
                by_days = {days: n for days, n in by_days.items() if n}
                if by_days:
                    kept[key] = by_days
        else:  # [how many, amounts…]
            kept = {key: value for key, value in by_key.items() if value[0]}
        if kept:
            periods[name] = kept
    figures["periods"] = periods
    return figures


def _shown(counts, on):
    """Of one kind's standing open flags, those not snoozed through the day ``on``, as
    ``not_snoozed`` counts them."""
    on = on.isoformat()
    return counts["total"] - sum(n for day, n in counts["snoozed"].items() if day >= on)


def shown_flags(figures, on):
    """Standing open flags of a team's figures that are not snoozed through ``on``."""
    return sum(_shown(counts, on) for counts in figures["flags"].values())


class Figures:
    """The figures of a set of teams as the dashboard adds them up: kept where fresh,
    live where a statement touched the team since the last refresh (or the kept row
    counted another day's periods).

    ``total`` is every team's figures added up. ``by_team`` holds each team's, except
    for every team at once (``of_all``): there the total comes from the organisation's
    kept sum, corrected for the stale teams, and ``most_flagged`` picks the teams to
    show.
    """

    def __init__(self, by_team, stale, total=None, on=None):
        self.by_team = by_team
        self.stale = stale  # the team ids read live
        self.on = on or today()
        if total is None:
            total = empty()
            for team_figures in by_team.values():
                add_up(team_figures, total)
        self.total = total

    @classmethod
    def of(cls, team_ids=None):
        """One query when no team in scope is stale (each team with its kept figures
        and whether a mark stands against it), eight more when some are."""
        on = today()
        teams = (
            _narrow(Team.objects.all(), "pk", team_ids)
            .order_by()
            .annotate(
                stale=Exists(FiguresChange.objects.filter(team_id=OuterRef("pk"))),
            )
            .values_list("pk", "stale", "figures__figures", "figures__day")
        )
        by_team, stale = {}, set()
        for pk, is_stale, kept, day in teams:
            if is_stale or (kept is not None and day != on):
                stale.add(pk)
            elif kept is not None:
                # No kept row and no mark: nothing of the team was ever counted (its
                # first operation, flag or move would have marked it).
                by_team[pk] = kept
        if stale:
            by_team.update(compute(sorted(stale), on))
        return cls(by_team, stale, on=on)

    @classmethod
    def of_all(cls):
        """Every team: the organisation's kept sum, less the kept figures of the teams
        marked since, plus their live ones. ``of()`` when the sum counts another day
        or a team deleted since (the next refresh catches up)."""
        on = today()
        for _attempt in range(3):
            org = (
                OrgFigures.objects.filter(pk=OrgFigures.KEY, day=on)
                .values_list("figures", "computed_at")
                .first()
            )
            if org is None:
                return cls.of()
            total, computed_at = org
            marked = set(FiguresChange.objects.values_list("team_id", flat=True).distinct())
            kept = dict(
                TeamFigures.objects.filter(team_id__in=marked).values_list("team_id", "figures")
            )
            if len(marked) > len(kept) and marked - set(
                Team.objects.filter(pk__in=marked).values_list("pk", flat=True)
            ):
                return cls.of()
            # A refresh that committed meanwhile changed the sum and removed marks.
            if OrgFigures.objects.filter(pk=OrgFigures.KEY, computed_at=computed_at).exists():
                break
        else:
            return cls.of()
        for team_figures in kept.values():
            add_up(team_figures, total, sign=-1)
        live = compute(sorted(marked), on) if marked else {}
        for team_figures in live.values():
            add_up(team_figures, total)
        figures = cls(live, marked, total=tidy(total), on=on)
        figures.whole = True
        return figures

    whole = False  # by_team holds only the stale teams (of_all)

    def most_flagged(self, limit):
        """Of every team (``of_all``): the ``limit`` teams with the most flags shown,
        then by name, with their figures put in ``by_team``; how many were left out.
        Ranked from the kept counts of the fresh teams and the live ones of the stale,
        without reading every team's figures."""
        fresh = Team.objects.exclude(pk__in=self.stale).annotate(
            shown=Coalesce("figures__flags_shown", 0)
        )
        nth = list(fresh.order_by("-shown").values_list("shown", flat=True)[limit - 1 : limit])
        candidates = list(
            fresh.filter(shown__gte=nth[0] if nth else 0).values_list("pk", "shown", "name")
        )
        candidates += [
            (pk, shown_flags(self.by_team.get(pk, empty()), self.on), name)
            for pk, name in Team.objects.filter(pk__in=self.stale).values_list("pk", "name")
        ]
        candidates.sort(key=lambda c: (-c[1], c[2].lower()))
        chosen = [pk for pk, _shown, _name in candidates[:limit]]
        self.by_team.update(
            TeamFigures.objects.filter(team_id__in=set(chosen) - self.stale).values_list(
                "team_id", "figures"
            )
        )
        return chosen, fresh.count() + len(self.stale & {c[0] for c in candidates}) - len(chosen)

    def shown_by_team_and_kind(self, team_id):
        """{kind: flags shown} of one team: not snoozed through today."""
        return {
            kind: _shown(counts, self.on)
            for kind, counts in self.by_team.get(team_id, empty())["flags"].items()
        }

    def flag_totals(self):
        """{kind: (shown, total, requested)} over the teams: ``shown`` leaves out the
        flags snoozed through today, as ``not_snoozed`` does."""
        return {
            kind: (
                _shown(counts, self.on),
                counts["total"],
                counts["requested"],
            )
            for kind, counts in self.total["flags"].items()
        }

    def left_launch(self):
        """(moved, dropped) added up over the teams."""
        return self.total["moved"], self.total["dropped"]

    def period(self, period_key):
        """What the teams saw in one period ending today: ``exits`` {days: n},
        ``retired`` [n, cost], ``automated`` [n, cost then, cost now]."""
        periods = self.total["periods"]
        return {
            "exits": {int(d): n for d, n in periods.get("exits", {}).get(period_key, {}).items()},
            "retired": periods.get("retired", {}).get(period_key, [0, "0"]),
            "automated": periods.get("automated", {}).get(period_key, [0, "0", "0"]),
        }

    def exit_days(self):
        """{day: launch exits} over the forecast's weeks."""
        return {
            date.fromisoformat(day): n
            for day, n in self.total["periods"].get("exit_days", {}).items()
        }


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
    """Recompute the marked teams, and every team whose kept periods end another
    day (the first refresh after midnight recomputes them all); then the
    organisation's sum, from every team's kept row."""
    on = today()
    marks = list(FiguresChange.objects.order_by().values_list("pk", "team_id"))
    outdated = set(TeamFigures.objects.exclude(day=on).values_list("team_id", flat=True))
    org = OrgFigures.objects.filter(pk=OrgFigures.KEY).values_list("day", flat=True).first()
    if not marks and not outdated and org == on:
        return 0
    teams = sorted({team_id for _pk, team_id in marks} | outdated)
    existing = set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True))
    # Later than every refresh before, whatever this machine's clock says: the newest
    # ``computed_at`` of a scope's teams is the version of their data (fragments.py).
    latest = TeamFigures.objects.aggregate(latest=Max("computed_at"))["latest"]
    now = timezone.now()
    if latest is not None and now <= latest:
        now = latest + timedelta(microseconds=1)
    for start in range(0, len(teams), BATCH):
        batch = [t for t in teams[start : start + BATCH] if t in existing]
        figures = compute(batch, on)
        rows = []
        for team_id in batch:
            kept = figures.get(team_id, empty())
            rows.append(
                TeamFigures(
                    team_id=team_id,
                    figures=kept,
                    day=on,
                    flags_shown=shown_flags(kept, on),
                    computed_at=now,
                )
            )
        TeamFigures.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["team"],
            update_fields=["figures", "day", "flags_shown", "computed_at"],
        )
    seen = [pk for pk, _team_id in marks]
    for start in range(0, len(seen), 10_000):
        FiguresChange.objects.filter(pk__in=seen[start : start + 10_000]).delete()
    total = empty()
    for kept in TeamFigures.objects.values_list("figures", flat=True).iterator(chunk_size=BATCH):
        add_up(kept, total)
    OrgFigures.objects.update_or_create(
        pk=OrgFigures.KEY, defaults={"figures": tidy(total), "day": on, "computed_at": now}
    )
    log.info("team figures refreshed for %s teams", len(teams))
    return len(teams)
