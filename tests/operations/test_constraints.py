"""Rules that must always hold are kept by the database itself, not by forms."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from opsmaturity.digests.models import DigestDelivery
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()
    return True


def test_one_open_flag_per_operation_and_kind():
    op = OperationFactory()
    Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    assert refused(lambda: Flag.objects.create(operation=op, kind=FlagKind.STALLED))
    # another kind, or the same kind once the first is resolved, is fine
    Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)
    Flag.objects.filter(kind=FlagKind.STALLED).update(resolved_at=timezone.now())
    Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    assert Flag.objects.filter(operation=op, kind=FlagKind.STALLED).count() == 2


@pytest.mark.parametrize("field", ["monthly_cost", "monthly_value", "monthly_volume"])
def test_money_and_volume_cannot_be_negative(field):
    op = OperationFactory()
    assert refused(lambda: Operation.objects.filter(pk=op.pk).update(**{field: -1}))


def test_unknown_phase_is_refused():
    op = OperationFactory()
    assert refused(lambda: Operation.objects.filter(pk=op.pk).update(phase="someday"))


def test_operation_names_unique_within_a_team_ignoring_case():
    team = TeamFactory()
    OperationFactory(team=team, name="Refund approvals")
    assert refused(lambda: OperationFactory(team=team, name="refund APPROVALS"))
    OperationFactory(team=TeamFactory(), name="Refund approvals")  # another team may


def test_one_digest_per_user_and_period():
    user = UserFactory()
    monday = dt.date(2026, 11, 23)
    DigestDelivery.objects.create(user=user, period=monday)
    assert refused(lambda: DigestDelivery.objects.create(user=user, period=monday))
    DigestDelivery.objects.create(user=user, period=monday + dt.timedelta(days=7))


def test_one_snapshot_per_day_team_and_phase():
    team = TeamFactory()
    day = dt.date(2026, 11, 25)
    Snapshot.objects.create(date=day, team=team, phase=Phase.LAUNCH, count=3)
    assert refused(
        lambda: Snapshot.objects.create(date=day, team=team, phase=Phase.LAUNCH, count=4)
    )


def test_one_membership_per_user_and_team():
    user, team = UserFactory(), TeamFactory()
    Membership.objects.create(user=user, team=team)
    assert refused(lambda: Membership.objects.create(user=user, team=team, role="manager"))


def test_model_validation_reports_constraints_as_messages():
    team = TeamFactory()
    OperationFactory(team=team, name="KYC checks")
    dup = Operation(team=team, owner=UserFactory(), name="kyc checks", purpose="x")
    with pytest.raises(Exception) as info:
        dup.validate_constraints()
    assert "already has an operation with this name" in str(info.value)
