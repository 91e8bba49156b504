"""Confirming an import: all rows or none, through the services, and idempotent."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import Operation, PhaseTransition
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
    assert (first.kind, first.note) == ("imported", "")
    assert first.summary() == "Recorded on import as already in Standardize since March 1, 2025"
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
    op = OperationFactory(name="Ledger close", team=people["team"], owner=people["member"])
    data = csv_bytes([row(), row("Ledger close", phase="", phase_since="", monthly_value="5")])
    record = importing.store_upload(people["manager"], "ops.csv", data)

    def refused(*args, **kwargs):
        from django.core.exceptions import ValidationError

        error = ValidationError({"monthly_cost": "refused"})
        error.row_index = 0
        raise error

    monkeypatch.setattr(importing.services, "update_operations", refused)
    with pytest.raises(importing.ImportFailed, match="Row 3, monthly_cost: refused"):
        importing.run_import(record, people["manager"])
    assert list(Operation.objects.all()) == [op]  # the row created first is rolled back
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_a_refused_new_row_is_named_by_its_row(people, monkeypatch):
    data = csv_bytes([row(), row("Ledger close", runbook_url="https://" + "x" * 600)])
    record = importing.store_upload(people["manager"], "ops.csv", data)
    plan = importing.preview(record, people["manager"])
    assert plan.rows[1].errors  # the preview says so first
    plan.rows[1].errors.clear()
    plan.rows[1].action = "create"
    monkeypatch.setattr(importing, "preview", lambda *a: plan)
    with pytest.raises(importing.ImportFailed, match="Row 3"):
        importing.run_import(record, people["manager"])
    assert not Operation.objects.exists()


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


def test_previews_never_confirmed_are_let_go_after_two_days(people):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        old = importing.store_upload(people["manager"], "old.csv", csv_bytes([row()]))
    done = imported(people["manager"], csv_bytes([row("Kept")]), "kept.csv")
    from opsmaturity.transfer.models import ImportRecord

    assert not ImportRecord.objects.filter(pk=old.pk).exists()
    assert ImportRecord.objects.filter(pk=done.pk).exists()


def test_an_edit_saved_between_plan_and_write_is_a_conflict(people, monkeypatch):
    op = OperationFactory(name="Ledger close", team=people["team"], owner=people["member"])
    data = csv_bytes([row("Ledger close", phase="", phase_since="", monthly_value="5")])
    record = importing.store_upload(people["manager"], "ops.csv", data)
    plan = importing.preview(record, people["manager"])
    Operation.objects.filter(pk=op.pk).update(version=op.version + 1)  # saved meanwhile
    monkeypatch.setattr(importing, "preview", lambda *a: plan)
    with pytest.raises(importing.ImportFailed, match="Row 2, id: Someone changed it"):
        importing.run_import(record, people["manager"])


def test_many_updates_are_written_in_a_few_queries(people, django_assert_max_num_queries):
    ann = people["member"]
    ops = [
        OperationFactory(name=f"Op {i}", team=people["team"], owner=ann, performers=[ann])
        for i in range(30)
    ]
    rows = [
        row(f"Op {i}", phase="", phase_since="", monthly_value="7", performers="ann, boss")
        for i in range(30)
    ]
    record = importing.store_upload(people["manager"], "ops.csv", csv_bytes(rows))
    plan = importing.preview(record, people["manager"])
    assert plan.counts["update"] == 30
    with django_assert_max_num_queries(40):
        importing.run_import(record, people["manager"], fingerprint=plan.fingerprint())
    for op in ops:
        op.refresh_from_db()
        assert str(op.monthly_value) == "7.00"
        assert op.version == 2
        assert {p.username for p in op.performers.all()} == {"ann", "boss"}


def queries_to_move(people, count, prefix):
    ann = people["member"]
    for i in range(count):
        OperationFactory(name=f"{prefix} {i}", team=people["team"], owner=ann, performers=[ann])
    rows = [
        row(f"{prefix} {i}", phase="automate", phase_since="", note="A tool does it now")
        for i in range(count)
    ]
    record = importing.store_upload(people["manager"], "ops.csv", csv_bytes(rows))
    plan = importing.preview(record, people["manager"])
    assert plan.counts["update"] == count
    with CaptureQueriesContext(connection) as captured:
        importing.run_import(record, people["manager"], fingerprint=plan.fingerprint())
    return len(captured.captured_queries)


def test_phase_moves_are_written_in_queries_per_batch_not_per_row(people):
    few, many = queries_to_move(people, 3, "Few"), queries_to_move(people, 40, "Many")
    assert many == few
    moved = Operation.objects.filter(name__startswith="Many", phase=Phase.AUTOMATE)
    assert moved.count() == 40
    notes = set(
        PhaseTransition.objects.filter(operation__in=moved, from_phase=Phase.LAUNCH).values_list(
            "note", flat=True
        )
    )
    assert notes == {"A tool does it now"}
    assert ImportedOperation.objects.filter(operation__in=moved, action="update").count() == 40


def test_a_skip_without_a_note_in_the_file_writes_nothing(people, monkeypatch):
    op = OperationFactory(name="Ledger close", team=people["team"], owner=people["member"])
    data = csv_bytes([row("Ledger close", phase="automate", phase_since="", note="Bought")])
    record = importing.store_upload(people["manager"], "ops.csv", data)
    plan = importing.preview(record, people["manager"])
    plan.rows[0].note = ""  # as if the preview had let it through
    monkeypatch.setattr(importing, "preview", lambda *a: plan)
    with pytest.raises(importing.ImportFailed, match="Row 2, phase: Skipping"):
        importing.run_import(record, people["manager"])
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH
    assert not ImportedOperation.objects.exists()
