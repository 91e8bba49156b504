"""Which changes become which events: every door (page, API) goes through the services."""

import datetime as dt

import pytest
from django.utils import timezone

from opsmaturity.maturity import exemptions
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations import services
from opsmaturity.webhooks.models import Delivery
from tests.operations.factories import OperationFactory

from .conftest import endpoint_for

pytestmark = pytest.mark.django_db
EVERY = ["operation.created", "operation.changed", "snooze.asked", "snooze.decided"]


def test_creation_edit_and_snoozes_are_events(team, member, manager, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_for("http://127.0.0.1:9/", events=EVERY)
    operation = services.create_operation(
        by=member, name="Payroll", team=team, owner=member, purpose="Staff are paid."
    )
    services.update_operation(
        operation, by=member, changes={"monthly_volume": 3}, expected_version=operation.version
    )
    flag = Flag.objects.create(operation=OperationFactory(team=team), kind=FlagKind.STALLED)
    until = timezone.localdate() + dt.timedelta(days=10)
    exemptions.request_snooze(flag, by=member, until=until, reason="Vendor")
    exemptions.grant_snooze(flag, by=manager, until=until, reason="Vendor")
    events = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events == EVERY
    changed = Delivery.objects.get(event="operation.changed").payload
    assert changed["fields"] == ["monthly_volume"]
    decided = Delivery.objects.get(event="snooze.decided").payload
    assert decided["decision"]["action"] == "granted" and decided["by"]["name"] == "Mika Morita"
