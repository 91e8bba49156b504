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


def _import(user, rows):
    from opsmaturity.transfer import importing
    from tests.transfer.files import csv_bytes

    record = importing.store_upload(user, "ops.csv", csv_bytes(rows))
    plan = importing.preview(record, user)
    importing.run_import(record, user, fingerprint=plan.fingerprint())


def _queries_to_import(team, manager, member, count, prefix):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.transfer.files import row

    for i in range(count):
        OperationFactory(name=f"{prefix} old {i}", team=team, owner=member)
    rows = [row(f"{prefix} new {i}", performers="ann") for i in range(count)]
    rows += [
        row(f"{prefix} old {i}", phase="", phase_since="", monthly_value="7", performers="ann")
        for i in range(count)
    ]
    with CaptureQueriesContext(connection) as captured:
        _import(manager, rows)
    return len(captured.captured_queries)


def test_an_import_announces_what_it_recorded_and_changed(team, member, manager, settings):
    """A spreadsheet's new and changed operations are events as the form's are, sent in
    queries per batch, not per row."""
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_for("http://127.0.0.1:9/x", events=["operation.created", "operation.changed"])
    few = _queries_to_import(team, manager, member, 2, "Few")
    deliveries = Delivery.objects.order_by("pk")
    created = [d.payload for d in deliveries if d.event == "operation.created"]
    changed = [d.payload for d in deliveries if d.event == "operation.changed"]
    assert sorted(p["operation"]["name"] for p in created) == ["Few new 0", "Few new 1"]
    assert created[0]["operation"]["team"] == {"id": team.pk, "name": "Billing"}
    assert created[0]["by"]["name"] == "Mika Morita"
    assert sorted(p["operation"]["name"] for p in changed) == ["Few old 0", "Few old 1"]
    assert "monthly_value" in changed[0]["fields"]
    assert changed[0]["operation"]["version"] == 2
    many = _queries_to_import(team, manager, member, 20, "Many")
    assert many <= few + 4, "queries grow with batches, not with rows"
    assert Delivery.objects.count() == 4 + 40


def test_an_import_with_no_endpoint_reads_none(team, member, manager):
    from tests.transfer.files import row

    _import(manager, [row("Quiet")])
    assert not Delivery.objects.exists()
