"""Campaign events: the deadline coming near (the daily job, on the day the deadline is
OPS_CAMPAIGN_REMIND_DAYS away) and the close (by a manager or the daily job), delivered
signed to a receiver on loopback, and worded for a team's chat."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from opsmaturity.campaigns import services
from opsmaturity.operations.phases import Phase
from opsmaturity.webhooks import chat
from opsmaturity.webhooks.models import Delivery, Kind
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

from .conftest import endpoint_for
from .receiver import Receiver

pytestmark = pytest.mark.django_db
EVENTS = ["campaign.deadline_near", "campaign.closed"]


@pytest.fixture
def campaign(team, manager, member):
    OperationFactory(name="Refund check", team=team, owner=member, phase=Phase.LAUNCH)
    OperationFactory(name="Invoice chase", team=team, owner=member, phase=Phase.STANDARDIZE)
    return start_campaign(
        manager,
        [team],
        phases=[Phase.LAUNCH, Phase.STANDARDIZE],
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )


def test_the_daily_job_announces_the_deadline_once_it_is_near(
    campaign, settings, loopback, eager, django_capture_on_commit_callbacks
):
    settings.OPS_CAMPAIGN_REMIND_DAYS = 14
    with Receiver("s" * 32) as receiver:
        endpoint_for(receiver.url, events=EVENTS)
        today = timezone.localdate()
        with django_capture_on_commit_callbacks(execute=True):
            services.daily(today)  # 20 days left: not yet
        assert receiver.requests == []
        with django_capture_on_commit_callbacks(execute=True):
            services.daily(today + dt.timedelta(days=6))  # 14 days left: the reminder
        [(_headers, raw, valid)] = receiver.requests
    assert valid
    body = json.loads(raw)
    assert body["event"] == "campaign.deadline_near"
    data = body["data"]
    assert data["days_left"] == 14
    assert data["campaign"]["name"] == campaign.name
    assert data["campaign"]["progress"] == {"done": 1, "total": 2}
    assert data["campaign"]["deadline"] == campaign.deadline.isoformat()


def test_closing_sends_the_result_signed(
    campaign, manager, loopback, eager, django_capture_on_commit_callbacks
):
    with Receiver("s" * 32) as receiver:
        endpoint_for(receiver.url, events=EVENTS)
        with django_capture_on_commit_callbacks(execute=True):
            services.close_campaign(campaign, by=manager)
            services.close_campaign(campaign, by=manager)  # twice: one event
        [(headers, raw, valid)] = receiver.requests
    assert valid and headers["X-Ops-Event"] == "campaign.closed"
    body = json.loads(raw)
    assert body["event"] == "campaign.closed"
    assert body["data"]["by"]["name"] == "Mika Morita"
    assert body["data"]["campaign"]["progress"] == {"done": 1, "total": 2}
    assert body["data"]["campaign"]["closed_at"]


def test_the_daily_job_closing_an_overdue_campaign_is_an_event(campaign, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_for("http://127.0.0.1:9/", events=["campaign.closed"])
    services.daily(campaign.deadline + dt.timedelta(days=1))
    delivery = Delivery.objects.get()
    assert delivery.event == "campaign.closed" and delivery.payload["by"] is None


def test_a_team_channel_hears_of_its_campaigns_only(campaign, team, settings):
    from opsmaturity.teams.models import Team

    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    other = Team.objects.create(name="Payroll")
    endpoint_for("http://127.0.0.1:9/", events=EVENTS, kind=Kind.SLACK, team=team)
    endpoint_for("http://127.0.0.1:9/", events=EVENTS, kind=Kind.SLACK, team=other)
    services.close_campaign(campaign)
    assert list(Delivery.objects.values_list("endpoint__team", flat=True)) == [team.pk]


def test_chat_wording(campaign, settings):
    settings.LANGUAGE_CODE = "en"
    data = {
        "campaign": {"name": "Backlog", "progress": {"done": 3, "total": 5}, "url": "http://x/"},
        "days_left": 14,
    }
    message = chat.message(Kind.SLACK, "campaign.closed", data)
    assert "Campaign “Backlog” is closed: 3 of 5 operations done." in json.dumps(
        message, ensure_ascii=False
    )
    data["campaign"]["deadline"] = "2027-01-15"
    near = chat.message(Kind.TEAMS, "campaign.deadline_near", data)
    assert "14 days to the deadline (2027-01-15)" in json.dumps(near, ensure_ascii=False)
