"""The dashboard's numbers agree with each other and with the digest at every moment:
the funnel, the trend's last point, the team table and the manager's digest say the
same count and cost per phase, before and right after an operation moves."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests.building import team_summary
from opsmaturity.maturity.models import Snapshot
from opsmaturity.operations.phases import ORDER, Phase
from opsmaturity.operations.services import move_phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def figures(client, manager):
    """Per phase (count, cost) as the four places show them."""
    ctx = client.get(reverse("dashboard:index"), {"scope": "managed"}).context
    funnel = {s["phase"]: (s["count"], s["cost"]) for s in ctx["stages"]}
    last = ctx["trend"]["points"][-1]
    trend = {p: (last["counts"][p], last["costs"][p]) for p in ORDER}
    table = {p: (0, Decimal(0)) for p in ORDER}
    for row in ctx["rollup"]:
        for p in ORDER:
            count, cost = table[p]
            table[p] = (count + row["phases"][p], cost + row["cost"][p])
    digest = {
        s["phase"]: (s["count"], s["cost"]) for s in team_summary(manager, timezone.now()).stages
    }
    return funnel, trend, table, digest, ctx["trend"]["change"]


def test_funnel_trend_team_table_and_digest_agree_before_and_after_a_move(client):
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support")
    boss = UserFactory(username="boss")
    for team in (billing, support):
        MembershipFactory(user=boss, team=team, role=Role.MANAGER)
    moving = OperationFactory(team=billing, monthly_cost=Decimal("1200"))
    OperationFactory(team=billing, monthly_cost=Decimal("300"))
    OperationFactory(team=support, phase=Phase.AUTOMATE, monthly_cost=Decimal("50"))
    last_week = timezone.localdate() - dt.timedelta(weeks=1)
    Snapshot.objects.create(
        date=last_week, team=billing, phase=Phase.LAUNCH, count=2, monthly_cost=Decimal("1500")
    )
    client.force_login(boss)

    funnel, trend, table, digest, change = figures(client, boss)
    assert funnel == trend == table == digest
    assert funnel[Phase.LAUNCH] == (2, Decimal("1500"))
    assert change[Phase.LAUNCH] == 0 and change[Phase.AUTOMATE] == 1

    move_phase(moving, Phase.STANDARDIZE, by=boss, note="Runbook written elsewhere")
    funnel, trend, table, digest, change = figures(client, boss)
    assert funnel == trend == table == digest
    assert funnel[Phase.LAUNCH] == (1, Decimal("300"))
    assert funnel[Phase.STANDARDIZE] == (1, Decimal("1200"))
    # the week-over-week change moves with the move, not a week later
    assert change[Phase.LAUNCH] == -1 and change[Phase.STANDARDIZE] == 1
