import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.campaigns.backlog import launch_forecast, launch_sentence
from opsmaturity.operations.models import PhaseTransition
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory, TransitionFactory

pytestmark = pytest.mark.django_db


def test_the_dashboard_forecasts_the_launch_backlog(client, manager, team):
    for i in range(4):
        OperationFactory(team=team, name=f"in launch {i}")
    now = timezone.now()
    for weeks in (7, 5, 3, 1):  # four exits in eight weeks: half a week each
        TransitionFactory(
            operation=OperationFactory(team=team, phase=Phase.STANDARDIZE),
            at=now - dt.timedelta(weeks=weeks),
            from_phase_entered_at=now - dt.timedelta(weeks=weeks + 4),
        )
    info = launch_forecast(PhaseTransition.objects.all(), 4)
    assert info["exits"] == 4
    # 4 left at 4 per 8 weeks: 8 weeks
    assert info["forecast"].finish == timezone.localdate() + dt.timedelta(weeks=8)
    client.force_login(manager)
    page = client.get(reverse("dashboard:index")).content.decode()
    finish = info["forecast"].finish
    assert (
        "At the pace of the last 8 weeks, the 4 operations in launch will be standardized" in page
    )
    assert str(finish.year) in launch_sentence(info)


def test_no_exit_in_eight_weeks_says_so(manager, team):
    info = launch_forecast(PhaseTransition.objects.all(), 3)
    assert "no forecast yet for the 3 operations in launch" in launch_sentence(info)
    assert launch_sentence(launch_forecast(PhaseTransition.objects.all(), 0)) == ""
