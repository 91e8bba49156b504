"""Campaigns for tests, started through the service as a manager would."""

import datetime as dt

from django.utils import timezone

from opsmaturity.campaigns import services
from opsmaturity.campaigns.models import Goal
from opsmaturity.operations.phases import Phase


def start_campaign(by, teams, **kwargs):
    fields = {
        "name": "Standardize the launch backlog",
        "goal": Goal.PHASE,
        "goal_phase": Phase.STANDARDIZE,
        "deadline": timezone.localdate() + dt.timedelta(days=30),
        "owner": by,
        "phases": [Phase.LAUNCH],
        **kwargs,
    }
    return services.create_campaign(by=by, teams=teams, **fields)
