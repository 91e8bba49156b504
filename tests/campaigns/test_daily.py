import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsmaturity.campaigns.models import CampaignProgress
from opsmaturity.maturity import tasks
from opsmaturity.operations import services as op_services
from opsmaturity.operations.phases import Phase
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


def test_the_daily_snapshot_records_each_campaigns_day(manager, team):
    op = OperationFactory(team=team)
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team])
    op_services.move_phase(op, Phase.STANDARDIZE, by=manager, note="done")
    summary = tasks.take_snapshot.apply().get()
    assert summary["campaigns"]["recorded"] == 1
    tasks.take_snapshot.apply().get()  # twice the same day: one row
    day = CampaignProgress.objects.get(campaign=campaign, date=timezone.localdate())
    assert (day.done, day.total) == (1, 2)


def test_the_command_closes_overdue_campaigns(manager, team, capsys):
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team], deadline=timezone.localdate())
    campaign.deadline = timezone.localdate() - dt.timedelta(days=1)
    campaign.save(update_fields=["deadline"])
    call_command("close_campaigns")
    campaign.refresh_from_db()
    assert campaign.is_closed and campaign.result_done == 0 and campaign.result_total == 1
    assert "1 campaigns closed" in capsys.readouterr().out
