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


def test_the_scan_sends_flags_opened_and_resolved(
    team, member, settings, django_capture_on_commit_callbacks
):
    from opsmaturity.maturity.scan import run_scan

    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_for("http://127.0.0.1:9/", events=["flag.opened", "flag.resolved"])
    stalled = OperationFactory.days_in_phase(90, name="Invoice chase", team=team, owner=member)
    stalled.launched_at = stalled.phase_entered_at.date()
    stalled.save()
    with django_capture_on_commit_callbacks(execute=True):
        run_scan()
    opened = Delivery.objects.get(event="flag.opened").payload
    assert opened["flag"]["kind"] == FlagKind.STALLED
    assert opened["flag"]["operation"]["name"] == "Invoice chase"
    with django_capture_on_commit_callbacks(execute=True):
        run_scan()
    assert Delivery.objects.count() == 1, "a scan that changes nothing sends nothing"
    with django_capture_on_commit_callbacks(execute=True):
        services.move_phase(stalled, "standardize", by=member, note="Written at last")
    resolved = Delivery.objects.get(event="flag.resolved").payload
    assert resolved["flag"]["kind"] == FlagKind.STALLED
