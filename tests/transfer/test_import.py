"""Confirming an import: all rows or none, through the services, and idempotent."""

import datetime as dt

import pytest

from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.transfer import importing
from opsmaturity.transfer.models import ImportedOperation, ImportStatus
from tests.operations.factories import OperationFactory
from tests.transfer.files import csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db


def imported(user, data, name="ops.xlsx"):
    record = importing.store_upload(user, name, data)
    plan = importing.preview(record, user)
    importing.run_import(record, user, fingerprint=plan.fingerprint())
    record.refresh_from_db()
    return record


def test_new_operations_start_in_their_phase_since_their_day(people):
    record = imported(people["manager"], xlsx([row()]))
    op = Operation.objects.get(name="Refund approvals")
    assert op.phase == Phase.STANDARDIZE
    assert op.phase_entered_at == day_start(dt.date(2025, 3, 1))
    assert op.launched_at == dt.date(2025, 1, 10)
    assert {p.username for p in op.performers.all()} == {"ann", "boss"}
    assert str(op.monthly_cost) == "340000.00"
    first = op.transitions.get()
    assert first.note == "Recorded on import as already in Standardize since 2025-03-01"
    assert (record.status, record.created, record.updated) == (ImportStatus.IMPORTED, 1, 0)
    assert ImportedOperation.objects.get().operation == op
    assert bytes(record.data) == b""  # the file is not kept once imported


def test_the_same_file_twice_changes_nothing_the_second_time(people):
    data = xlsx([row(), row("Ledger close", phase="launch", phase_since="")])
    imported(people["manager"], data)
    versions = dict(Operation.objects.values_list("name", "version"))
    record = importing.store_upload(people["manager"], "ops.xlsx", data)
    plan = importing.preview(record, people["manager"])
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    importing.run_import(record, people["manager"])
    assert dict(Operation.objects.values_list("name", "version")) == versions


def test_a_row_refused_while_writing_rolls_back_every_row(people, monkeypatch):
    data = csv_bytes([row(), row("Ledger close")])
    record = importing.store_upload(people["manager"], "ops.csv", data)
    real = importing.services.create_operation
    calls = []

    def second_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            from django.core.exceptions import ValidationError

            raise ValidationError({"monthly_cost": "refused"})
        return real(**kwargs)

    monkeypatch.setattr(importing.services, "create_operation", second_fails)
    with pytest.raises(importing.ImportFailed, match="Row 3, monthly_cost: refused"):
        importing.run_import(record, people["manager"])
    assert not Operation.objects.exists()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_a_file_with_errors_imports_nothing(people):
    record = importing.store_upload(
        people["manager"], "ops.csv", csv_bytes([row(), row("X", owner="ghost")])
    )
    with pytest.raises(importing.ImportFailed, match="1 error: correct it"):
        importing.run_import(record, people["manager"])
    assert not Operation.objects.exists()


def test_a_preview_made_stale_by_an_edit_is_not_confirmed(people):
    op = OperationFactory(name="Refund approvals", team=people["team"], owner=people["member"])
    data = csv_bytes([row(phase="", phase_since="", monthly_value="5")])
    record = importing.store_upload(people["manager"], "ops.csv", data)
    fingerprint = importing.preview(record, people["manager"]).fingerprint()
    Operation.objects.filter(pk=op.pk).update(monthly_cost=7)
    with pytest.raises(importing.ImportFailed, match="changed since your preview"):
        importing.run_import(record, people["manager"], fingerprint=fingerprint)


def test_an_update_moves_by_the_rules_and_records_the_note(people):
    op = OperationFactory(name="Refund approvals", team=people["team"], owner=people["member"])
    data = csv_bytes([row(phase="automate", phase_since="", note="A tool does it now")])
    imported(people["manager"], data, "ops.csv")
    op.refresh_from_db()
    assert op.phase == Phase.AUTOMATE
    move = op.transitions.get(from_phase=Phase.LAUNCH)
    assert move.note == "A tool does it now"
    assert ImportedOperation.objects.get(operation=op).action == "update"


def test_an_import_cannot_be_confirmed_twice(people):
    record = imported(people["manager"], xlsx([row()]))
    with pytest.raises(importing.ImportFailed):
        importing.run_import(record, people["manager"])
    assert Operation.objects.count() == 1
