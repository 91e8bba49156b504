"""The manager dashboard: right numbers, links that agree, constant queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opsmaturity.dashboard.figures import refresh as refresh_figures
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase, update_operation
from opsmaturity.teams.models import Role
from tests.conftest import requires_postgres
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    billing, support, other = (
        TeamFactory(name="Billing"),
        TeamFactory(name="Support"),
        TeamFactory(name="Risk"),
    )
    manager = UserFactory(username="boss")
    MembershipFactory(user=manager, team=billing, role=Role.MANAGER)
    MembershipFactory(user=manager, team=support, role=Role.MANAGER)
    return {"billing": billing, "support": support, "other": other, "manager": manager}


def dash(client, **params):
    response = client.get(reverse("dashboard:index"), params)
    assert response.status_code == 200
    return response


def test_anonymous_goes_to_sign_in(client):
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_managers_land_on_the_dashboard_and_members_on_their_operations(client, setup):
    client.force_login(setup["manager"])
    assert client.get("/")["Location"] == reverse("dashboard:index")
    member = UserFactory()
    MembershipFactory(user=member, team=setup["billing"])
    client.force_login(member)
    assert client.get("/")["Location"] == reverse("operations:list")


def test_empty_installation_says_what_to_do_first(client, setup):
    client.force_login(setup["manager"])
    page = dash(client).content.decode()
    assert "Nothing recorded yet" in page
    assert "Record an operation" in page


def test_funnel_counts_and_cost_for_my_managed_teams_only(client, setup):
    OperationFactory(team=setup["billing"], phase=Phase.LAUNCH, monthly_cost=Decimal("100"))
    OperationFactory(team=setup["support"], phase=Phase.LAUNCH, monthly_cost=Decimal("50"))
    OperationFactory(team=setup["billing"], phase=Phase.AUTOMATE, monthly_cost=Decimal("10"))
    OperationFactory(team=setup["other"], phase=Phase.LAUNCH, monthly_cost=Decimal("999"))
    client.force_login(setup["manager"])
    response = dash(client)
    stages = {s["phase"]: (s["count"], s["cost"]) for s in response.context["stages"]}
    assert stages[Phase.LAUNCH] == (2, Decimal("150"))
    assert stages[Phase.AUTOMATE] == (1, Decimal("10"))
    assert response.context["total_ops"] == 3
    # narrowed to one team
    stages = {
        s["phase"]: s["count"] for s in dash(client, team=setup["support"].pk).context["stages"]
    }
    assert stages[Phase.LAUNCH] == 1 and stages[Phase.AUTOMATE] == 0


def test_a_team_that_is_not_mine_is_refused(client, setup):
    client.force_login(setup["manager"])
    assert client.get(reverse("dashboard:index"), {"team": setup["other"].pk}).status_code == 403


def test_staff_sees_all_teams(client, setup):
    OperationFactory(team=setup["other"])
    client.force_login(UserFactory(is_staff=True))
    assert dash(client).context["total_ops"] == 1


def list_count(client, url):
    page = client.get(url).content.decode()
    match = re.search(r"([\d,]+) operations?\b", page)
    return int(match.group(1).replace(",", ""))


def test_every_flag_number_links_to_a_list_with_the_same_count(client, setup):
    for i in range(3):
        op = OperationFactory(team=setup["billing"], name=f"Stalled {i}")
        Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    op = OperationFactory(team=setup["support"], phase=Phase.STANDARDIZE)
    Flag.objects.create(operation=op, kind=FlagKind.PERSON_DEPENDENT)
    hidden = OperationFactory(team=setup["other"])
    Flag.objects.create(operation=hidden, kind=FlagKind.STALLED)
    client.force_login(setup["manager"])
    response = dash(client)
    page = response.content.decode()
    counts = response.context["counts"]
    assert counts[FlagKind.STALLED] == 3 and counts[FlagKind.PERSON_DEPENDENT] == 1
    for kind in (FlagKind.STALLED, FlagKind.PERSON_DEPENDENT, FlagKind.UNJUSTIFIED):
        link = re.search(rf'href="(/ops/\?[^"]*flag={kind.value}[^"]*)"', page).group(1)
        assert list_count(client, link.replace("&amp;", "&")) == counts[kind]
    # and a funnel phase link
    link = re.search(r'href="(/ops/\?[^"]*phase=launch[^"]*)"', page).group(1)
    assert list_count(client, link.replace("&amp;", "&")) == 3


def test_a_flag_left_behind_by_a_move_is_neither_counted_nor_listed(client, setup):
    """The rescan after a move resolves it; if that failed, the next scan will. Until
    then the dashboard and the list it links to agree on not showing it."""
    stays = OperationFactory(team=setup["billing"], name="Still in launch")
    Flag.objects.create(operation=stays, kind=FlagKind.STALLED)
    moved = OperationFactory(team=setup["billing"], name="Moved on", phase=Phase.STANDARDIZE)
    Flag.objects.create(operation=moved, kind=FlagKind.STALLED)
    client.force_login(setup["manager"])
    ctx = dash(client).context
    assert ctx["counts"][FlagKind.STALLED] == 1
    assert [f.operation for f in ctx["lists"][FlagKind.STALLED]] == [stays]
    assert [r["flags"][FlagKind.STALLED] for r in ctx["rollup"]] == [1, 0]
    link = reverse("operations:list") + "?scope=managed&flag=stalled"
    assert list_count(client, link) == 1


def test_stalled_sorted_by_days_overdue(client, setup):
    now = timezone.now()
    for name, days in [("Newer", 70), ("Oldest", 150), ("Middle", 100)]:
        op = OperationFactory(
            team=setup["billing"], name=name, phase_entered_at=now - dt.timedelta(days=days)
        )
        Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    client.force_login(setup["manager"])
    stalled = dash(client).context["lists"][FlagKind.STALLED]
    assert [f.operation.name for f in stalled] == ["Oldest", "Middle", "Newer"]
    assert [f.overdue for f in stalled] == [90, 40, 10]


def test_conversion_median_and_savings(client, setup):
    user = setup["manager"]
    now = timezone.now()
    for days_in_launch in (20, 40, 90):
        op = OperationFactory(
            team=setup["billing"], phase_entered_at=now - dt.timedelta(days=days_in_launch)
        )
        move_phase(op, Phase.STANDARDIZE, by=user, note="ready")
    retired = OperationFactory(
        team=setup["billing"], phase=Phase.STANDARDIZE, monthly_cost=Decimal("700")
    )
    move_phase(retired, Phase.RETIRE, by=user, note="not needed")
    auto = OperationFactory(
        team=setup["support"], phase=Phase.STANDARDIZE, monthly_cost=Decimal("1000")
    )
    move_phase(auto, Phase.AUTOMATE, by=user, note="tool")
    Operation.objects.filter(pk=auto.pk).update(monthly_cost=Decimal("300"))
    stalled = OperationFactory(team=setup["billing"])
    Flag.objects.create(operation=stalled, kind=FlagKind.STALLED)
    client.force_login(user)
    ctx = dash(client).context
    assert ctx["launch_exits"] == {"count": 3, "in_time": 2, "median_days": 40}
    assert ctx["conversion"] == {"moved": 3, "base": 4, "rate": 75}
    assert ctx["savings"]["retired_cost"] == Decimal("700")
    assert ctx["savings"]["automated_change"] == Decimal("-700")
    assert ctx["savings"]["total_saved"] == Decimal("1400")


def test_an_operation_handed_to_another_team_takes_its_history_along(client, setup):
    user = setup["manager"]
    op = OperationFactory(
        team=setup["other"], phase_entered_at=timezone.now() - dt.timedelta(days=30)
    )
    move_phase(op, Phase.STANDARDIZE, by=user, note="ready")
    client.force_login(user)
    assert dash(client).context["launch_exits"]["count"] == 0
    op.refresh_from_db()
    update_operation(op, by=user, changes={"team": setup["billing"]}, expected_version=op.version)
    ctx = dash(client).context
    assert ctx["launch_exits"] == {"count": 1, "in_time": 1, "median_days": 30}
    assert [move.operation for move in ctx["moves"]] == [op]
    assert set(PhaseTransition.objects.filter(operation=op).values_list("team", flat=True)) == {
        setup["billing"].pk
    }


def test_trend_from_snapshots_week_over_week_ending_with_today(client, setup):
    today = timezone.localdate()
    for weeks_ago, count in [(2, 3), (1, 4), (0, 6)]:
        Snapshot.objects.create(
            date=today - dt.timedelta(weeks=weeks_ago),
            team=setup["billing"],
            phase=Phase.LAUNCH,
            count=count,
        )
    OperationFactory(team=setup["billing"])
    client.force_login(setup["manager"])
    trend = dash(client).context["trend"]
    # past weeks from the snapshots; this week is today's live count (one operation)
    assert [p["counts"][Phase.LAUNCH] for p in trend["points"]] == [3, 4, 1]
    assert trend["change"][Phase.LAUNCH] == 1 - 4


def test_one_person_dependencies_most_valuable_first_as_the_list_it_links_to(client, setup):
    for name, value in [("Alpha", 100), ("Zulu", 9000), ("Mike", 2500)]:
        op = OperationFactory(
            team=setup["billing"], name=name, phase=Phase.STANDARDIZE, monthly_value=value
        )
        Flag.objects.create(operation=op, kind=FlagKind.PERSON_DEPENDENT)
    client.force_login(setup["manager"])
    response = dash(client)
    assert [f.operation.name for f in response.context["lists"][FlagKind.PERSON_DEPENDENT]] == [
        "Zulu",
        "Mike",
        "Alpha",
    ]
    page = response.content.decode()
    links = re.findall(r'href="(/ops/\?[^"]*flag=person_dependent[^"]*)"', page)
    assert len(links) == 4  # the figure at the top, the card, a roll-up row per team
    empty_team = f"team={setup['support'].pk}&"
    for link in [link for link in links if empty_team not in link]:
        listed = client.get(link.replace("&amp;", "&")).content.decode()
        assert listed.index("Zulu") < listed.index("Mike") < listed.index("Alpha")


def test_large_counts_are_written_with_grouped_digits(client, setup):
    ops = Operation.objects.bulk_create(
        Operation(name=f"Op {i}", team=setup["billing"], owner=setup["manager"], purpose="p")
        for i in range(1001)
    )
    Flag.objects.bulk_create(Flag(operation=op, kind=FlagKind.STALLED) for op in ops)
    client.force_login(setup["manager"])
    page = dash(client).content.decode()
    assert "1,001 operations running" in page
    assert '<span class="kpi-n">1,001</span>' in page
    assert "1001" not in page


def test_team_rollup(client, setup):
    OperationFactory(team=setup["billing"], phase=Phase.LAUNCH, monthly_cost=Decimal("10"))
    pd = OperationFactory(team=setup["billing"], phase=Phase.STANDARDIZE, monthly_cost=Decimal("5"))
    Flag.objects.create(operation=pd, kind=FlagKind.PERSON_DEPENDENT)
    client.force_login(setup["manager"])
    rows = {r["team"].name: r for r in dash(client).context["rollup"]}
    assert set(rows) == {"Billing", "Support"}
    billing = rows["Billing"]
    assert billing["past_launch_share"] == 50
    assert billing["flags"][FlagKind.PERSON_DEPENDENT] == 1
    assert billing["monthly_cost"] == Decimal("15")
    assert rows["Support"]["past_launch_share"] is None


def test_htmx_team_filter_gets_only_the_body(client, setup):
    OperationFactory(team=setup["billing"])
    client.force_login(setup["manager"])
    body = client.get(
        reverse("dashboard:index"), {"team": setup["billing"].pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert body.lstrip().startswith('<div id="dash-body">') and "<html" not in body


def test_query_count_same_for_10_and_1000_operations(client, setup):
    manager = setup["manager"]

    def add(n, start):
        ops = Operation.objects.bulk_create(
            Operation(
                name=f"Op {i}",
                team=setup["billing"] if i % 2 else setup["support"],
                owner=manager,
                purpose="p",
                phase=[Phase.LAUNCH, Phase.STANDARDIZE, Phase.AUTOMATE][i % 3],
                monthly_cost=Decimal(i),
            )
            for i in range(start, start + n)
        )
        Flag.objects.bulk_create(Flag(operation=op, kind=FlagKind.STALLED) for op in ops[::3])
        PhaseTransition.objects.bulk_create(
            PhaseTransition(
                operation=op,
                team=op.team,
                from_phase="launch",
                to_phase="standardize",
                from_phase_entered_at=timezone.now() - dt.timedelta(days=30),
            )
            for op in ops[1::3]
        )

    client.force_login(manager)
    add(10, 0)
    with CaptureQueriesContext(connection) as small:
        dash(client)
    add(990, 10)
    with CaptureQueriesContext(connection) as large:
        dash(client)
    assert len(small) == len(large)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_time_in_launch_is_counted_in_local_calendar_days_like_the_rule(
    client, setup, settings, tz
):
    """Entered launch late on day D, left early on D+61: 61 days, one past the limit,
    although fewer than 61 × 24 hours went by."""
    settings.TIME_ZONE = tz
    with timezone.override(tz):
        day = timezone.localdate() - dt.timedelta(days=70)
        entered = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 0)))
        left = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=61), dt.time(1)))
        op = OperationFactory(team=setup["billing"], phase_entered_at=entered)
        PhaseTransition.objects.create(
            operation=op,
            from_phase="launch",
            to_phase="standardize",
            at=left,
            from_phase_entered_at=entered,
        )
        client.force_login(setup["manager"])
        exits = dash(client).context["launch_exits"]
    assert exits == {"count": 1, "in_time": 0, "median_days": 61}


def test_with_many_teams_the_roll_up_starts_with_the_most_flagged(client):
    staff = UserFactory(is_staff=True)
    teams = [TeamFactory(name=f"Team {i:03d}") for i in range(30)]
    for i, team in enumerate(teams):
        op = OperationFactory(team=team)
        if i == 29:  # the last by name needs the most attention
            Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    client.force_login(staff)
    response = dash(client)
    rows = response.context["rollup"]
    assert len(rows) == 25 and rows[0]["team"].name == "Team 029"
    assert response.context["rollup_hidden"] == 5
    assert "5 more teams are left out" in response.content.decode()
    assert len(dash(client, teams="all").context["rollup"]) == 30
    # Kept: ranked from the kept counts without reading every team's figures, and a
    # team flagged since (read live) takes its place at once.
    refresh_figures()
    response = dash(client)
    assert response.context["rollup"][0]["team"].name == "Team 029"
    assert [r["team"].name for r in response.context["rollup"][1:3]] == ["Team 000", "Team 001"]
    assert response.context["rollup_hidden"] == 5
    for op in Operation.objects.filter(team=teams[28]):
        Flag.objects.create(operation=op, kind=FlagKind.OWNER_LEFT)
        Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    rows = dash(client).context["rollup"]
    assert [r["team"].name for r in rows[:3]] == ["Team 028", "Team 029", "Team 000"]
    assert rows[0]["flags"][FlagKind.OWNER_LEFT] == 1 and len(rows) == 25


@requires_postgres
def test_postgres_keeps_every_teams_size_in_its_statistics():
    """A small team among up to 10,000 large ones is planned as small (operations
    migrations 0008 and 0015)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attstattarget FROM pg_attribute "
            "WHERE attname = 'team_id' AND attrelid IN "
            "('operations_operation'::regclass, 'operations_phasetransition'::regclass)"
        )
        assert dict(cursor.fetchall()) == {
            "operations_operation": 10000,
            "operations_phasetransition": 10000,
        }


def test_the_team_picker_names_the_teams_one_may_see_and_marks_the_chosen(client, setup):
    setup["support"].name = "<b>R&D</b>"
    setup["support"].save()
    client.force_login(setup["manager"])
    picker = re.search(
        r'<select id="dash-team" name="team">(.*?)</select>', dash(client).content.decode(), re.S
    ).group(1)
    # by name ("<" before "B"), not Risk, which is not theirs
    assert re.findall(r'<option value="(\d*)"', picker) == [
        "",
        str(setup["support"].pk),
        str(setup["billing"].pk),
    ]
    assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in picker and "<b>" not in picker
    assert " selected" not in picker
    chosen = dash(client, team=setup["billing"].pk).content.decode()
    assert f'<option value="{setup["billing"].pk}" selected>Billing</option>' in chosen


def test_a_few_teams_history_read_team_by_team_is_the_newest_of_all(setup, monkeypatch):
    from opsmaturity.dashboard import metrics

    start = timezone.now() - dt.timedelta(days=40)
    for i in range(30):
        team = (setup["billing"], setup["support"], setup["other"])[i % 3]
        op = OperationFactory(team=team, name=f"Moved {i}")
        PhaseTransition.objects.create(
            operation=op,
            team=team,
            from_phase="launch" if i % 5 else "",  # a first recording is no move
            to_phase="standardize",
            at=start + dt.timedelta(hours=7 * i) - dt.timedelta(days=i % 4),
        )
    scope = metrics.Scope(setup["manager"], "managed")
    mine = PhaseTransition.objects.filter(team__in=[setup["billing"], setup["support"]])
    expected = list(mine.exclude(from_phase="").order_by("-at", "-pk")[:8])
    first = mine.order_by("at").first().at
    assert metrics.latest_moves(scope) == expected
    assert metrics.recorded_since(scope) == timezone.localdate(first)
    # Past the few teams, one query over them all says the same.
    monkeypatch.setattr(metrics, "PER_TEAM_AT_MOST", 1)
    scope = metrics.Scope(setup["manager"], "managed")
    assert metrics.latest_moves(scope) == expected
    assert metrics.recorded_since(scope) == timezone.localdate(first)
    nobody = metrics.Scope(UserFactory(username="new"), "managed")
    assert metrics.latest_moves(nobody) == [] and metrics.recorded_since(nobody) is None


def test_staff_see_a_few_teams_by_name_from_kept_figures_too(client):
    staff = UserFactory(is_staff=True)
    for name in ("Alpha", "Beta", "Gamma"):
        op = OperationFactory(team=TeamFactory(name=name))
        if name == "Gamma":
            Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    refresh_figures()  # kept: the organisation's sum and each team's flag count
    client.force_login(staff)
    response = dash(client)
    assert [r["team"].name for r in response.context["rollup"]] == ["Alpha", "Beta", "Gamma"]
    assert response.context["rollup_hidden"] == 0
