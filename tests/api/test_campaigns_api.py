"""Campaigns in the API: read by everyone signed in, with progress, forecast and the
operations, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsmaturity.campaigns import services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(team, manager, member):
    OperationFactory(name="Refund check", team=team, owner=member, phase=Phase.LAUNCH)
    OperationFactory(name="Invoice chase", team=team, owner=member, phase=Phase.STANDARDIZE)
    return start_campaign(manager, [team], phases=[Phase.LAUNCH, Phase.STANDARDIZE])


def test_the_list_shows_progress_deadline_goal_and_forecast(api, campaign, member):
    api.force_authenticate(member)
    response = api.get("/api/v1/campaigns/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["name"] == campaign.name
    assert row["progress"] == {"done": 1, "total": 2}
    assert row["deadline"] == campaign.deadline.isoformat()
    assert row["goal"]["kind"] == "phase" and row["goal"]["phase"] == Phase.STANDARDIZE
    assert row["forecast"]["status"] == "no_history"
    assert row["forecast"]["remaining"] == 1
    assert row["teams"][0]["name"] == "Billing"


def test_the_detail_lists_its_operations_and_whether_each_is_done(api, campaign, outsider):
    api.force_authenticate(outsider)
    response = api.get(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    operations = {o["name"]: o["done"] for o in response.json()["operations"]}
    assert operations == {"Refund check": False, "Invoice chase": True}


def test_a_closed_campaign_keeps_its_result_and_has_no_forecast(api, campaign, manager):
    services.close_campaign(campaign, by=manager)
    api.force_authenticate(manager)
    data = api.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert data["closed_at"] is not None
    assert data["forecast"] is None
    assert data["progress"] == {"done": 1, "total": 2}


def test_anonymous_gets_401_and_unknown_ids_404(api, campaign, member):
    assert api.get("/api/v1/campaigns/").status_code == 401
    api.force_authenticate(member)
    assert api.get("/api/v1/campaigns/999999/").status_code == 404
    assert api.get("/api/v1/campaigns/abc/").status_code == 404
    assert api.post("/api/v1/campaigns/", {}).status_code == 405


def test_queries_do_not_grow_with_campaigns_or_operations(api, team, manager, member):
    api.force_authenticate(member)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(path).status_code == 200
        return len(ctx)

    OperationFactory(team=team, owner=member, phase=Phase.LAUNCH)
    first = start_campaign(manager, [team])
    small_list, small_detail = count("/api/v1/campaigns/"), count(f"/api/v1/campaigns/{first.pk}/")
    for _ in range(4):
        OperationFactory(team=team, owner=member, phase=Phase.LAUNCH)
    start_campaign(manager, [team])
    start_campaign(manager, [team])
    big_detail = count(f"/api/v1/campaigns/{first.pk}/")
    assert count("/api/v1/campaigns/") == small_list
    assert big_detail == small_detail
