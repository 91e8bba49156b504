"""Snapshots: one row per day, team and phase, however often taken; the past from history."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsmaturity.lib.clock import day_start
from opsmaturity.maturity.models import Snapshot
from opsmaturity.maturity.snapshots import backfill_snapshots, take_snapshot
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import create_operation, move_phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def rows(day):
    return {
        (s.team.name, s.phase): (s.count, s.monthly_cost)
        for s in Snapshot.objects.filter(date=day).select_related("team")
    }


def test_one_row_per_day_team_and_phase_however_many_runs():
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    OperationFactory(team=red, monthly_cost=Decimal("100.50"))
    OperationFactory(team=red, monthly_cost=Decimal("200"))
    OperationFactory(team=red, phase=Phase.AUTOMATE, monthly_cost=Decimal("7"))
    OperationFactory(team=blue, phase=Phase.RETIRE, monthly_cost=Decimal("0"))
    for _ in range(3):
        result = take_snapshot()
    today = timezone.localdate()
    assert Snapshot.objects.count() == 3
    assert rows(today) == {
        ("Red", Phase.LAUNCH): (2, Decimal("300.50")),
        ("Red", Phase.AUTOMATE): (1, Decimal("7")),
        ("Blue", Phase.RETIRE): (1, Decimal("0")),
    }
    assert (result.date, result.rows, result.operations) == (today, 3, 4)
    assert result.monthly_cost == Decimal("307.50")


def test_a_rerun_the_same_day_replaces_that_day():
    red = TeamFactory(name="Red")
    user = UserFactory()
    op = OperationFactory(team=red, monthly_cost=Decimal("100"))
    take_snapshot()
    move_phase(op, Phase.STANDARDIZE, by=user, note="done")
    result = take_snapshot()
    # Launch emptied since the first run: its row goes, it does not linger at 1.
    assert rows(timezone.localdate()) == {("Red", Phase.STANDARDIZE): (1, Decimal("100"))}
    assert result.removed == 1


def test_each_day_keeps_its_own_rows():
    OperationFactory(team=TeamFactory(name="Red"))
    take_snapshot()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        OperationFactory(team=TeamFactory(name="Red"))
        take_snapshot()
        take_snapshot()
    today = timezone.localdate()
    assert rows(today) == {("Red", Phase.LAUNCH): (1, Decimal("1000"))}
    assert rows(today + dt.timedelta(days=1)) == {("Red", Phase.LAUNCH): (2, Decimal("2000"))}


def test_the_day_is_the_local_day(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    OperationFactory()
    # 20:00 UTC on 1 March is 05:00 on 2 March in Tokyo.
    with (
        timezone.override("Asia/Tokyo"),
        time_machine.travel(dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC), tick=False),
    ):
        assert take_snapshot().date == dt.date(2026, 3, 2)
    assert Snapshot.objects.get().date == dt.date(2026, 3, 2)


def test_snapshot_query_count_does_not_grow():
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            take_snapshot()
        return len(ctx.captured_queries)

    OperationFactory(team=TeamFactory())
    small = queries()
    team, owner = TeamFactory(), UserFactory()
    Operation.objects.bulk_create(
        Operation(name=f"op {i}", team=team, owner=owner, purpose="x", phase=Phase.values[i % 5])
        for i in range(500)
    )
    assert queries() == small


# --- backfill from the transition history ----------------------------------------


def at_noon(days_ago):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def history():
    """Refunds: launched 30 days ago at 100, standardized 10 days ago at 200 (now 250).

    Billing: recorded 3 days ago. Old: retired 20 days ago.
    """
    user = UserFactory()
    red = TeamFactory(name="Red")
    blue = TeamFactory(name="Blue")
    with time_machine.travel(at_noon(30), tick=False):
        refunds = create_operation(
            by=user,
            name="Refunds",
            team=red,
            owner=user,
            purpose="Refunds on time.",
            monthly_cost=Decimal("100"),
            created_at=at_noon(30),
        )
        old = create_operation(
            by=user,
            name="Old",
            team=blue,
            owner=user,
            purpose="Old reports.",
            monthly_cost=Decimal("40"),
            created_at=at_noon(30),
        )
    Operation.objects.filter(pk=refunds.pk).update(monthly_cost=Decimal("200"))
    move_phase(refunds, Phase.STANDARDIZE, by=user, note="runbook", at=at_noon(10))
    Operation.objects.filter(pk=refunds.pk).update(monthly_cost=Decimal("250"))
    move_phase(old, Phase.RETIRE, by=user, note="nobody reads them", at=at_noon(20))
    with time_machine.travel(at_noon(3), tick=False):
        create_operation(
            by=user,
            name="Billing",
            team=red,
            owner=user,
            purpose="Invoices out.",
            monthly_cost=Decimal("30"),
            created_at=at_noon(3),
        )


@pytest.mark.usefixtures("history")
def test_backfill_reconstructs_each_week_from_history():
    results = backfill_snapshots(weeks=5)
    today = timezone.localdate()
    week = dt.timedelta(days=7)
    assert [r.date for r in results] == [today - n * week for n in (5, 4, 3, 2, 1, 0)]
    # 35 days ago nothing existed yet.
    assert rows(today - 5 * week) == {}
    assert results[0].rows == 0
    assert rows(today - 4 * week) == {
        ("Red", Phase.LAUNCH): (1, Decimal("100")),
        ("Blue", Phase.LAUNCH): (1, Decimal("40")),
    }
    assert rows(today - 3 * week) == rows(today - 4 * week)
    # Old was retired 20 days ago.
    assert rows(today - 2 * week) == {
        ("Red", Phase.LAUNCH): (1, Decimal("100")),
        ("Blue", Phase.RETIRE): (1, Decimal("40")),
    }
    # Standardized 10 days ago, at the cost recorded with that move; Billing not yet there.
    assert rows(today - 1 * week) == {
        ("Red", Phase.STANDARDIZE): (1, Decimal("200")),
        ("Blue", Phase.RETIRE): (1, Decimal("40")),
    }
    # Today is taken from the operations as they are.
    assert rows(today) == {
        ("Red", Phase.STANDARDIZE): (1, Decimal("250")),
        ("Red", Phase.LAUNCH): (1, Decimal("30")),
        ("Blue", Phase.RETIRE): (1, Decimal("40")),
    }


@pytest.mark.usefixtures("history")
def test_backfill_counts_a_move_on_the_day_it_happened_not_before():
    moved_on = timezone.localdate() - dt.timedelta(days=10)
    backfill_snapshots(weeks=2, every_days=1, include_today=False)
    assert rows(moved_on - dt.timedelta(days=1))[("Red", Phase.LAUNCH)] == (1, Decimal("100"))
    assert rows(moved_on)[("Red", Phase.STANDARDIZE)] == (1, Decimal("200"))
    assert ("Red", Phase.LAUNCH) not in rows(moved_on)


def test_backfill_uses_the_last_transition_of_the_day_and_ignores_later_ones():
    op = OperationFactory(created_at=at_noon(9))
    day = timezone.localdate() - dt.timedelta(days=7)
    start = day_start(day)
    for at, to in [
        (start + dt.timedelta(hours=1), Phase.LAUNCH),
        (start + dt.timedelta(hours=2), Phase.STANDARDIZE),
        (start + dt.timedelta(hours=2), Phase.AUTOMATE),  # same moment, later id wins
        (day_start(day + dt.timedelta(days=1)), Phase.RETIRE),  # the next day, midnight
    ]:
        PhaseTransition.objects.create(operation=op, from_phase="", to_phase=to, at=at)
    backfill_snapshots(weeks=1, include_today=False)
    assert {phase for _team, phase in rows(day)} == {Phase.AUTOMATE}


@pytest.mark.usefixtures("history")
def test_backfill_twice_gives_the_same_rows():
    backfill_snapshots(weeks=4)
    first = sorted(Snapshot.objects.values_list("date", "team", "phase", "count", "monthly_cost"))
    backfill_snapshots(weeks=4)
    again = sorted(Snapshot.objects.values_list("date", "team", "phase", "count", "monthly_cost"))
    assert first == again


def test_backfill_queries_per_day_do_not_grow_with_operations():
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            backfill_snapshots(weeks=3)
        return len(ctx.captured_queries)

    user, team = UserFactory(), TeamFactory()
    with time_machine.travel(at_noon(30), tick=False):
        create_operation(by=user, name="First", team=team, owner=user, purpose="x")
    small = queries()
    with time_machine.travel(at_noon(25), tick=False):
        for i in range(30):
            create_operation(by=user, name=f"op {i}", team=team, owner=user, purpose="x")
    assert queries() == small


def test_backfill_refuses_nonsense():
    with pytest.raises(ValueError):
        backfill_snapshots(weeks=-1)
    with pytest.raises(ValueError):
        backfill_snapshots(weeks=2, every_days=0)
