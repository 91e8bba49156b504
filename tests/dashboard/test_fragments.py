"""The dashboard keeps its rendered body for each version of the data it shows, and
never serves one the data has moved past (dashboard/fragments.py).

Each change a person or a job can make to what the body shows is tried in turn:
right after it (the team is marked: the body is built live) and after the refresh
(a new version: built once, then kept), the page must equal a live render with
nothing kept, and must show the change.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.dashboard import figures, fragments
from opsmaturity.dashboard.models import FiguresChange, TeamFigures
from opsmaturity.maturity import exemptions
from opsmaturity.maturity.models import Flag, Snapshot
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations import services
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.conftest import requires_postgres
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("dashboard:index")
# Tables only a live build reads (the version reads marks, teams and kept figures).
DATA_TABLES = ("operations_operation", "maturity_flag", "operations_phasetransition")


def body_of(response):
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<div id="dash-body">')
    return html[start : html.index("</main>", start)]


def served_and_live(client, **params):
    served = body_of(client.get(URL, params))
    with override_settings(OPS_DASHBOARD_CACHE_SECONDS=0):
        live = body_of(client.get(URL, params))
    return served, live


def assert_true_to_the_data(client, shows=None, **params):
    """Right after a change and after the refresh, twice (kept the second time), the
    page is the live one; ``shows`` is text the change must have brought."""
    for _round in ("marked", "refreshed"):
        for _look in range(2):
            served, live = served_and_live(client, **params)
            assert served == live
            if shows:
                assert shows in served
        figures.refresh()
    assert not FiguresChange.objects.exists()


def kept_entries():
    return len(caches[fragments.CACHE]._cache)


@pytest.fixture
def world():
    boss = UserFactory(username="boss", first_name="Bo", last_name="Boss")
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support")
    for team in (billing, support):
        MembershipFactory(user=boss, team=team, role=Role.MANAGER)
    stuck = OperationFactory.days_in_phase(
        80, team=billing, owner=boss, name="Invoice run", monthly_cost=Decimal("300")
    )
    alone = OperationFactory(
        team=support,
        owner=boss,
        name="Ticket triage",
        phase=Phase.AUTOMATE,
        runbook_url="",
        monthly_value=Decimal("900"),
    )
    services.move_phase(alone, Phase.COST_OPTIMIZE, by=boss, note="Cheaper host")
    run_scan()
    figures.refresh()
    client = Client()
    client.force_login(boss)
    return {"boss": boss, "billing": billing, "support": support, "stuck": stuck, "client": client}


def test_a_second_look_is_served_kept_without_reading_the_data(world):
    client = world["client"]
    with CaptureQueriesContext(connection) as first:
        built = body_of(client.get(URL))
    with CaptureQueriesContext(connection) as second:
        kept = body_of(client.get(URL))
    assert kept == built and "Invoice run" in kept
    read = " ".join(q["sql"] for q in second.captured_queries)
    assert not any(table in read for table in DATA_TABLES)
    assert len(second) < len(first) / 2
    assert kept_entries() == 1


def test_while_a_mark_stands_the_body_is_built_live_and_not_kept(world):
    FiguresChange.objects.create(team_id=world["billing"].pk)
    client = world["client"]
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            client.get(URL)
        assert "operations_operation" in " ".join(q["sql"] for q in queries.captured_queries)
    assert kept_entries() == 0
    # Another team's mark is not this scope's concern.
    FiguresChange.objects.all().delete()
    FiguresChange.objects.create(team_id=TeamFactory(name="Elsewhere").pk)
    client.get(URL)
    assert kept_entries() == 1


def test_every_change_the_body_shows_reaches_the_next_page(world):
    boss, billing, support, client = (
        world["boss"],
        world["billing"],
        world["support"],
        world["client"],
    )
    assert_true_to_the_data(client, shows="Invoice run")
    stuck = Operation.objects.get(pk=world["stuck"].pk)

    # A renamed operation (the short lists show its name).
    stuck = services.update_operation(
        stuck, by=boss, changes={"name": "Invoice batch"}, expected_version=stuck.version
    )
    assert_true_to_the_data(client, shows="Invoice batch")

    # A renamed team (the teams side by side, each list's team column).
    billing.name = "Billing & Refunds"
    billing.save()
    assert_true_to_the_data(client, shows="Billing &amp; Refunds")

    # A move, and its note edited afterwards by a script.
    services.move_phase(stuck, Phase.STANDARDIZE, by=boss, note="Runbook written")
    assert_true_to_the_data(client, shows="Runbook written")
    PhaseTransition.objects.filter(note="Runbook written").update(note="Runbook reviewed")
    assert_true_to_the_data(client, shows="Runbook reviewed")

    # A snooze granted (the tiles and the "flags snoozed" line).
    flag = Flag.objects.open().get(operation__name="Ticket triage", kind="person_dependent")
    until = timezone.localdate() + dt.timedelta(days=10)
    exemptions.grant_snooze(flag, by=boss, until=until, reason="Hiring")
    assert_true_to_the_data(client, shows="1 flag snoozed")

    # A snapshot of an earlier week (the trend), written by the daily job or by hand.
    last_week = timezone.localdate() - dt.timedelta(days=7)
    Snapshot.objects.create(date=last_week, team=support, phase=Phase.AUTOMATE, count=41)
    assert_true_to_the_data(client, shows=">41<")

    # Values shown in the lists, changed by raw SQL no Python code sees.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE operations_operation SET monthly_value = %s WHERE name = %s",
            [Decimal("777"), "Ticket triage"],
        )
    run_scan()
    assert_true_to_the_data(client, shows="777")

    # An operation deleted, and a period or a language picked: other keys.
    Operation.objects.filter(pk=OperationFactory(team=support, name="Trial").pk).delete()
    assert_true_to_the_data(client)
    assert_true_to_the_data(client, period="4w", shows="4 weeks")
    assert_true_to_the_data(client, teams="all")
    with translation.override("ja"):
        served, live = served_and_live(client)
    assert served == live
    ja = body_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="ja"))
    assert "業務" in ja and "Invoice batch" in ja
    assert "operations running" in body_of(client.get(URL, HTTP_ACCEPT_LANGUAGE="en"))


def test_staff_see_a_team_added_or_removed_at_once(world, django_user_model):
    staff = UserFactory(username="root", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert_true_to_the_data(client, teams="all", shows="Support")
    newcomer = TeamFactory(name="Newcomers")
    assert_true_to_the_data(client, teams="all", shows="Newcomers")
    newcomer.delete()
    assert_true_to_the_data(client, teams="all")
    assert "Newcomers" not in body_of(client.get(URL, {"teams": "all"}))


def test_the_next_day_counts_the_days_again(world, settings):
    settings.OPS_DASHBOARD_CACHE_SECONDS = 3 * 24 * 3600  # kept past midnight
    client = world["client"]
    today = body_of(client.get(URL))
    overdue = int(re.search(r'bad-text">(\d+)<', today).group(1))
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        served, live = served_and_live(client)
    assert served == live
    assert int(re.search(r'bad-text">(\d+)<', served).group(1)) == overdue + 1


def test_managers_of_the_same_teams_share_a_body_and_others_never_see_it(world):
    same = UserFactory(username="deputy")
    for team in (world["billing"], world["support"]):
        MembershipFactory(user=same, team=team, role=Role.MANAGER)
    other = UserFactory(username="elsewhere")
    MembershipFactory(user=other, team=TeamFactory(name="Risk"), role=Role.MANAGER)
    body = body_of(world["client"].get(URL))
    deputy, outsider = Client(), Client()
    deputy.force_login(same)
    outsider.force_login(other)
    with CaptureQueriesContext(connection) as queries:
        assert body_of(deputy.get(URL)) == body
    assert "operations_operation" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert "Invoice run" not in body_of(outsider.get(URL))


def test_a_team_scope_keeps_each_readers_own_form_token(world):
    deputy = UserFactory(username="deputy")
    MembershipFactory(user=deputy, team=world["billing"], role=Role.MANAGER)
    world["client"].get(URL, {"team": world["billing"].pk})  # kept by the first reader
    client = Client(enforce_csrf_checks=True)
    client.force_login(deputy)
    page = client.get(URL, {"team": world["billing"].pk}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    check = reverse("maturity:check-team", args=[world["billing"].pk])
    response = client.post(check, {"csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)


def test_the_key_names_the_language_the_time_zone_and_the_params(world):
    from opsmaturity.dashboard.views import resolve_scope

    request = Client().get(URL).wsgi_request
    request.user = world["boss"]
    scope = resolve_scope(request)
    version = fragments.data_version(scope)
    keys = {fragments.key(scope, version, {"period": "12w"})}
    with translation.override("ja"):
        keys.add(fragments.key(scope, version, {"period": "12w"}))
    with timezone.override("Asia/Tokyo"):
        keys.add(fragments.key(scope, version, {"period": "12w"}))
    keys.add(fragments.key(scope, version, {"period": "4w"}))
    keys.add(fragments.key(scope, (version[0], "later"), {"period": "12w"}))
    assert len(keys) == 5


def test_a_refresh_is_later_than_the_one_before_whatever_the_clock(world, monkeypatch):
    before = TeamFigures.objects.get(team=world["billing"]).computed_at
    past = before - dt.timedelta(hours=3)
    monkeypatch.setattr(figures.timezone, "now", lambda: past)
    Operation.objects.filter(pk=world["stuck"].pk).update(monthly_cost=F("monthly_cost") + 1)
    assert figures.refresh() == 1
    assert TeamFigures.objects.get(team=world["billing"]).computed_at > before


def test_with_no_seconds_nothing_is_kept(world, settings):
    settings.OPS_DASHBOARD_CACHE_SECONDS = 0
    world["client"].get(URL)
    assert kept_entries() == 0


@requires_postgres
def test_postgresql_marks_nothing_for_an_update_that_changes_nothing(world):
    Operation.objects.filter(team=world["billing"]).update(name=F("name"))
    assert not FiguresChange.objects.exists()
    Operation.objects.filter(team=world["billing"]).update(purpose="Now with a purpose")
    assert set(FiguresChange.objects.values_list("team_id", flat=True)) == {world["billing"].pk}


def test_a_body_too_large_to_keep_is_built_each_time(world, monkeypatch):
    monkeypatch.setattr(fragments, "KEEP_AT_MOST", 1000)
    client = world["client"]
    first, second = body_of(client.get(URL)), body_of(client.get(URL))
    assert first == second and "Invoice run" in second
    assert kept_entries() == 0


def test_a_cache_that_fails_only_means_the_body_is_built(world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache server gone")

    client = world["client"]
    cache = caches[fragments.CACHE]
    monkeypatch.setattr(cache, "get", broken)
    served, live = served_and_live(client)
    assert served == live and "Invoice run" in served
    monkeypatch.undo()
    monkeypatch.setattr(cache, "set", broken)
    served, live = served_and_live(client)
    assert served == live
    assert "dashboard cache unreadable" in caplog.text
    assert "dashboard cache unwritable" in caplog.text
