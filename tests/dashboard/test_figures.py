"""Each team's kept figures never drift from the operations they count.

Every way the app (or anyone with SQL) changes operations, flags or history is tried
in turn; after each, what the dashboard reads (kept figures, or live ones for the
teams a statement marked) must equal a fresh aggregate, and so must the kept figures
once the refresher has run. Each step starts with every team fresh and no marks,
so a change the triggers missed shows as a mismatch at once.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from opsmaturity.dashboard import figures
from opsmaturity.dashboard.models import FiguresChange, OrgFigures, TeamFigures
from opsmaturity.dashboard.periods import PERIODS
from opsmaturity.maturity import exemptions
from opsmaturity.maturity.models import Flag
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations import services
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role, Team
from tests.conftest import requires_postgres
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory


def _nonempty(by_team):
    """Teams with something to count (a team with nothing is stored as empty figures)."""
    return {
        team_id: f
        for team_id, f in by_team.items()
        if f["phases"] or f["flags"] or f["moved"] or f["dropped"] or f["periods"]
    }


def whole(by_team):
    """Every team's figures added up, as the organisation's kept sum should say."""
    total = figures.empty()
    for team_figures in by_team.values():
        figures.add_up(team_figures, total)
    return figures.tidy(total)


def stored():
    return _nonempty(dict(TeamFigures.objects.values_list("team_id", "figures")))


def assert_true_to_the_data(team_ids=None):
    """The dashboard's reading and, after a refresh, the kept figures equal a fresh
    aggregate; the refresh leaves no mark behind."""
    fresh = _nonempty(figures.compute(team_ids))
    assert _nonempty(figures.Figures.of(team_ids).by_team) == fresh
    if team_ids is None:  # the organisation's sum, less the marked teams, plus them live
        assert figures.Figures.of_all().total == whole(fresh)
    figures.refresh()
    assert not FiguresChange.objects.exists()
    assert _nonempty(figures.Figures.of(team_ids).by_team) == fresh
    if team_ids is None:
        assert stored() == fresh
        assert OrgFigures.objects.get().figures == whole(fresh)
        assert figures.Figures.of_all().total == whole(fresh)
    return fresh


def marked_teams():
    return set(FiguresChange.objects.values_list("team_id", flat=True))


@pytest.fixture
def world(db):
    boss = UserFactory(username="boss", is_staff=True)
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support")
    for team in (billing, support):
        MembershipFactory(user=boss, team=team, role=Role.MANAGER)
    OperationFactory(team=billing, owner=boss, monthly_cost=Decimal("300"))
    OperationFactory.days_in_phase(80, team=billing, owner=boss, name="Stuck in launch")
    OperationFactory(team=support, phase=Phase.AUTOMATE, owner=boss, runbook_url="")
    run_scan()
    figures.refresh()
    return {"boss": boss, "billing": billing, "support": support}


@pytest.mark.django_db
def test_the_migration_marks_every_team_and_the_first_refresh_computes_them(world):
    TeamFigures.objects.all().delete()
    FiguresChange.objects.bulk_create(FiguresChange(team_id=t.pk) for t in Team.objects.all())
    # Stale teams are read live meanwhile, so the dashboard is right before any refresh.
    fresh = _nonempty(figures.compute())
    assert _nonempty(figures.Figures.of().by_team) == fresh
    assert figures.refresh() == Team.objects.count()
    assert stored() == fresh
    billing = stored()[world["billing"].pk]
    assert billing["phases"][Phase.LAUNCH][0] == 2
    assert billing["flags"]["stalled"]["total"] == 1


@pytest.mark.django_db
def test_kept_figures_follow_every_change_the_app_makes(world):
    boss, billing, support = world["boss"], world["billing"], world["support"]
    assert_true_to_the_data()

    # A new operation, through the form's service.
    new = services.create_operation(
        by=boss,
        name="Refund approvals",
        team=billing,
        owner=boss,
        purpose="Refunds go out the same day.",
        monthly_cost=Decimal("120"),
        monthly_value=Decimal("900"),
        monthly_volume=10,
    )
    assert marked_teams() == {billing.pk}
    assert_true_to_the_data()

    # An edit of what is counted (the cost), and one of what is only shown (the name).
    new = services.update_operation(
        new, by=boss, changes={"monthly_cost": Decimal("450")}, expected_version=new.version
    )
    assert_true_to_the_data()
    new = services.update_operation(
        new, by=boss, changes={"name": "Refund sign-off"}, expected_version=new.version
    )
    # The name is no figure, but the dashboard's lists show it (fragments.py).
    assert marked_teams() == {billing.pk}
    assert_true_to_the_data()

    # A move (a phase and a line of history: the conversion counts it).
    services.move_phase(new, Phase.STANDARDIZE, by=boss, note="Runbook written")
    fresh = assert_true_to_the_data()
    assert fresh[billing.pk]["moved"] == 1
    # … which every period counts as a launch exit of 0 days, and the forecast's today
    assert fresh[billing.pk]["periods"]["exits"] == {key: {"0": 1} for key in PERIODS}
    assert list(fresh[billing.pk]["periods"]["exit_days"].values()) == [1]
    # Into automation: its cost then and now, then the cost cut after the move.
    services.move_phase(new, Phase.AUTOMATE, by=boss, note="Scripted")
    assert assert_true_to_the_data()[billing.pk]["periods"]["automated"]["4w"] == [
        1,
        "450.00",
        "450.00",
    ]
    Operation.objects.filter(pk=new.pk).update(monthly_cost=Decimal("200"))
    assert assert_true_to_the_data()[billing.pk]["periods"]["automated"]["4w"][2] == "200.00"
    new.refresh_from_db()

    # To another team: both teams' figures change, history and flags follow it.
    stuck = Operation.objects.get(name="Stuck in launch")
    services.update_operation(
        stuck, by=boss, changes={"team": support}, expected_version=stuck.version
    )
    assert marked_teams() >= {billing.pk, support.pk}
    fresh = assert_true_to_the_data()
    assert fresh[support.pk]["flags"]["stalled"]["total"] == 1
    assert "stalled" not in fresh[billing.pk]["flags"]

    # A snooze asked for, then granted, then lifted.
    flag = Flag.objects.open().get(operation__name="Stuck in launch", kind="stalled")
    until = timezone.localdate() + dt.timedelta(days=10)
    exemptions.request_snooze(flag, by=boss, until=until, reason="Waiting on a vendor")
    assert assert_true_to_the_data()[support.pk]["flags"]["stalled"]["requested"] == 1
    exemptions.grant_snooze(flag, by=boss, until=until, reason="Agreed")
    assert assert_true_to_the_data()[support.pk]["flags"]["stalled"]["snoozed"] == {
        until.isoformat(): 1
    }
    exemptions.lift_snooze(flag, by=boss)
    assert_true_to_the_data()

    # The scan opens and resolves flags.
    Operation.objects.filter(pk=new.pk).update(runbook_url="")
    run_scan()
    assert_true_to_the_data()

    # An import: a batch created, a batch edited, a batch moved.
    created = services.create_operations(
        [
            {
                "fields": {
                    "name": f"Imported {i}",
                    "team": support if i % 2 else billing,
                    "owner": boss,
                    "purpose": "Imported.",
                    "monthly_cost": Decimal(i * 10),
                    "monthly_value": Decimal("1"),
                },
            }
            for i in range(1, 7)
        ],
        by=boss,
    )
    run_scan(operation_ids=[op.pk for op in created])
    assert_true_to_the_data()
    rows = list(Operation.objects.filter(pk__in=[op.pk for op in created]))
    services.update_operations(
        [(op, {"monthly_cost": Decimal("77"), "team": billing}, None) for op in rows[:3]], by=boss
    )
    assert_true_to_the_data()
    rows = list(Operation.objects.filter(pk__in=[op.pk for op in created]))
    services.move_phases([(op, Phase.RETIRE, "Not needed", None) for op in rows[3:]], by=boss)
    fresh = assert_true_to_the_data()
    assert sum(f["dropped"] for f in fresh.values()) == 3

    # A queryset update and a bulk insert (the admin, a script) bypass the services.
    Operation.objects.filter(team=billing).update(monthly_cost=F("monthly_cost") + 1)
    assert_true_to_the_data()
    Operation.objects.bulk_create(
        [Operation(name=f"Scripted {i}", team=support, owner=boss, purpose="x") for i in range(3)]
    )
    assert_true_to_the_data()

    # Raw SQL, which no Python code sees.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE operations_operation SET phase = %s WHERE name = %s", ["automate", "Scripted 0"]
        )
        cursor.execute(
            "DELETE FROM maturity_flag WHERE id NOT IN (SELECT flag_id FROM maturity_flagexemption)"
        )
    assert_true_to_the_data()

    # Deleting operations (the history protects most; these have none), then a team.
    Operation.objects.filter(name__startswith="Scripted").delete()
    assert_true_to_the_data()
    gone = TeamFactory(name="Short-lived")
    Operation.objects.create(name="Trial", team=gone, owner=boss, purpose="x")
    assert_true_to_the_data()
    assert gone.pk in stored()
    Operation.objects.filter(team=gone).delete()
    gone.delete()
    assert_true_to_the_data()
    assert gone.pk not in stored()


@pytest.mark.django_db
def test_a_scope_of_some_teams_reads_their_figures_only(world):
    billing = world["billing"]
    Operation.objects.filter(team=world["support"]).update(monthly_cost=Decimal("1"))
    seen = figures.Figures.of([billing.pk])
    assert set(seen.by_team) == {billing.pk}
    assert seen.stale == set(), "the other team's mark is not this scope's concern"
    assert_true_to_the_data([billing.pk])


@pytest.mark.django_db
def test_the_dashboard_reads_the_same_numbers_from_kept_and_live_figures(client, world):
    client.force_login(world["boss"])
    url = reverse("dashboard:index")
    kept = client.get(url, {"scope": "all"}).context
    FiguresChange.objects.bulk_create(FiguresChange(team_id=t.pk) for t in Team.objects.all())
    live = client.get(url, {"scope": "all"}).context
    for name in ("stages", "rollup", "counts", "conversion", "trend"):
        assert kept[name] == live[name], name


@pytest.mark.django_db
def test_the_beat_refreshes_the_figures_every_minute(settings):
    from celery.schedules import crontab

    from opsmaturity.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-figures"]
    assert entry["task"] in app.tasks
    assert isinstance(entry["schedule"], crontab) and len(entry["schedule"].minute) == 60


# --- PostgreSQL: a write in progress while the refresher runs --------------------


def _in_other_connection(work, started, release):
    """Run ``work`` in a transaction of a connection of its own, held open until
    ``release``."""

    def run():
        from django.db import transaction

        try:
            with transaction.atomic():
                work()
                started.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_not_yet_committed_while_refreshing_leaves_its_team_stale():
    boss = UserFactory()
    team = TeamFactory()
    op = OperationFactory(team=team, owner=boss, monthly_cost=Decimal("100"))
    figures.refresh()
    started, release = threading.Event(), threading.Event()
    thread = _in_other_connection(
        lambda: Operation.objects.filter(pk=op.pk).update(monthly_cost=Decimal("999")),
        started,
        release,
    )
    assert started.wait(10)
    figures.refresh()  # does not see the uncommitted write, nor its mark
    release.set()
    thread.join(10)
    assert marked_teams() == {team.pk}
    assert figures.Figures.of().by_team[team.pk]["phases"][Phase.LAUNCH] == [1, "999.00"]
    figures.refresh()
    assert stored()[team.pk]["phases"][Phase.LAUNCH] == [1, "999.00"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_during_a_refresh_keeps_its_mark(monkeypatch):
    boss = UserFactory()
    team = TeamFactory()
    op = OperationFactory(team=team, owner=boss, monthly_cost=Decimal("100"))
    compute = figures.compute
    reading, written = threading.Event(), threading.Event()

    def slow_compute(team_ids=None, on=None):
        result = compute(team_ids, on)  # the refresh's snapshot: cost 100
        reading.set()
        assert written.wait(10)
        return result

    def write():
        assert reading.wait(10)
        Operation.objects.filter(pk=op.pk).update(monthly_cost=Decimal("250"))
        connections.close_all()
        written.set()

    monkeypatch.setattr(figures, "compute", slow_compute)
    writer = threading.Thread(target=write)
    writer.start()
    figures.refresh()
    writer.join(10)
    monkeypatch.setattr(figures, "compute", compute)
    # The refresh stored what its snapshot saw, and kept the mark it did not see.
    assert stored()[team.pk]["phases"][Phase.LAUNCH] == [1, "100.00"]
    assert marked_teams() == {team.pk}
    assert figures.Figures.of().by_team[team.pk]["phases"][Phase.LAUNCH] == [1, "250.00"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_do_not_wait_for_each_other():
    team = TeamFactory()
    OperationFactory(team=team)
    started, release = threading.Event(), threading.Event()
    results = []
    thread = _in_other_connection(lambda: results.append(figures.refresh()), started, release)
    # The other connection holds the lock (its transaction is open): this one returns at once.
    assert started.wait(10)
    try:
        assert figures.refresh() == 0
    finally:
        release.set()
        thread.join(10)
    assert results == [1]


@pytest.mark.django_db
def test_every_team_at_once_reads_the_organisations_sum_and_corrects_it(world, monkeypatch):
    fresh = _nonempty(figures.compute())
    assert OrgFigures.objects.get().figures == whole(fresh)
    # A team deleted since: its kept row went with it, so the sum cannot be
    # corrected; every team is read instead (and the next refresh catches up).
    gone = TeamFactory(name="Gone")
    Operation.objects.create(name="Trial", team=gone, owner=world["boss"], purpose="x")
    figures.refresh()
    Operation.objects.filter(team=gone).delete()
    gone.delete()
    assert figures.Figures.of_all().whole is False
    assert figures.Figures.of_all().total == whole(fresh)
    figures.refresh()
    assert figures.Figures.of_all().whole is True
    assert figures.Figures.of_all().total == whole(fresh)

    # The next day the periods count back from another day: until the refresh has
    # recomputed every team (it does, marked or not), every team is read live.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(figures, "today", lambda: tomorrow)
    assert figures.Figures.of_all().whole is False
    assert set(figures.Figures.of().stale) == set(stored())
    assert figures.refresh() == len(stored())
    assert set(TeamFigures.objects.values_list("day", flat=True)) == {tomorrow}
    assert figures.Figures.of_all().whole is True
    assert figures.Figures.of_all().total == whole(_nonempty(figures.compute(on=tomorrow)))
    assert figures.refresh() == 0
