"""The digest tests' world: two managed teams and one other, on a fixed Sunday."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from opsmaturity.maturity.models import Snapshot
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.digests.world import SUNDAY
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory


@pytest.fixture
def clock():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock):
    """Two managed teams and one other; an owner, a performer, a manager, an idle member."""
    now = timezone.now()
    billing, support, risk = (TeamFactory(name=n) for n in ("Billing", "Support", "Risk"))
    manager = UserFactory(username="mia", first_name="Mia", last_name="Mori")
    MembershipFactory(user=manager, team=billing, role=Role.MANAGER)
    MembershipFactory(user=manager, team=support, role=Role.MANAGER)
    owner = UserFactory(username="oscar", first_name="Oscar", last_name="Ono")
    performer = UserFactory(username="pia", first_name="Pia", last_name="Park")
    idle = UserFactory(username="ida", first_name="Ida", last_name="Ito")
    hal = UserFactory(username="hal")
    for user, team in [(owner, billing), (performer, support), (idle, billing)]:
        MembershipFactory(user=user, team=team)
    ops = {
        # launch, 50 days: due soon, 10 days left
        "refunds": OperationFactory.days_in_phase(
            50, name="Refund desk", team=billing, owner=owner
        ),
        # purpose last reviewed 200 days ago: review due
        "invoices": OperationFactory(
            name="Invoice check",
            team=billing,
            owner=owner,
            phase=Phase.STANDARDIZE,
            performers=[owner, performer],
            purpose_reviewed_at=now - dt.timedelta(days=200),
            created_at=now - dt.timedelta(days=300),
        ),
        # past launch with one performer, Oscar: person-dependent
        "chargebacks": OperationFactory(
            name="Chargeback replies",
            team=support,
            owner=performer,
            phase=Phase.AUTOMATE,
            performers=[owner],
        ),
        # launch for 80 days: stalled
        "kyc": OperationFactory.days_in_phase(80, name="KYC checks", team=support, owner=performer),
        # costs more than it brings: a retire candidate
        "faxes": OperationFactory(
            name="Fax archive",
            team=billing,
            owner=performer,
            phase=Phase.COST_OPTIMIZE,
            monthly_cost=Decimal("9000"),
            monthly_value=Decimal("1000"),
            performers=[performer, hal],
        ),
        # another team's: in nobody's digest here
        "elsewhere": OperationFactory.days_in_phase(90, name="Risk review", team=risk),
    }
    run_scan()
    for weeks_ago, count in [(1, 3), (0, 5)]:
        Snapshot.objects.create(
            date=timezone.localdate() - dt.timedelta(weeks=weeks_ago),
            team=billing,
            phase=Phase.LAUNCH,
            count=count,
            monthly_cost=Decimal(1000 * count),
        )
    return {
        "billing": billing,
        "support": support,
        "manager": manager,
        "owner": owner,
        "performer": performer,
        "idle": idle,
        "ops": ops,
    }
