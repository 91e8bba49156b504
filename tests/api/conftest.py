import pytest
from rest_framework.test import APIClient

from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory


@pytest.fixture
def api():
    """A JSON client; ``api.force_authenticate(user)`` signs it in."""
    return APIClient()


@pytest.fixture
def operation(team, member, manager):
    return OperationFactory(
        name="Refund check", team=team, owner=member, performers=[member, manager]
    )


@pytest.fixture
def stalled(team, member):
    """An operation 90 days in launch, with its stalled flag open."""
    from opsmaturity.maturity.scan import run_scan

    operation = OperationFactory.days_in_phase(
        90, name="Invoice chase", team=team, owner=member, phase=Phase.LAUNCH
    )
    operation.launched_at = operation.phase_entered_at.date()
    operation.save()
    run_scan(operation_ids=[operation.pk], record=False)
    return operation
