"""Operations that the scan's tests need in numbers: one for every rule, or many in bulk."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory


def some_operations_for_every_rule():
    alice = UserFactory()
    return [
        OperationFactory.days_in_phase(73),
        OperationFactory.days_in_phase(50),
        OperationFactory(monthly_value=Decimal("1"), monthly_cost=Decimal("2")),
        OperationFactory(phase=Phase.AUTOMATE, performers=[alice], runbook_url=""),
        OperationFactory(),  # healthy
    ]


def bulk_operations(n, team, owner, people):
    """n operations hitting every rule in turn, in a handful of queries."""
    now = timezone.now()
    shapes = [
        {"phase": Phase.LAUNCH, "phase_entered_at": now - dt.timedelta(days=70)},
        {"phase": Phase.LAUNCH, "phase_entered_at": now - dt.timedelta(days=50)},
        {"monthly_value": Decimal("1"), "monthly_cost": Decimal("12345")},
        {"phase": Phase.STANDARDIZE, "runbook_url": ""},
        {"created_at": now - dt.timedelta(days=300)},
        {},
    ]
    defaults = {
        "purpose": "Keeps the lights on.",
        "runbook_url": "https://wiki.example.com/r",
        "monthly_cost": Decimal("100"),
        "monthly_value": Decimal("500"),
        "phase_entered_at": now,
        "created_at": now,
    }
    ops = Operation.objects.bulk_create(
        Operation(
            name=f"bulk {team.pk} {i}",
            team=team,
            owner=owner,
            **{**defaults, **shapes[i % len(shapes)]},
        )
        for i in range(n)
    )
    through = Operation.performers.through
    through.objects.bulk_create(
        through(operation_id=op.pk, user_id=user.pk)
        for i, op in enumerate(ops)
        for user in people[: i % 3]
    )
    return ops
