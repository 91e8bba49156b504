"""import_ops and export_ops: the page's code, from a terminal."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from opsmaturity.operations.models import Operation
from opsmaturity.transfer.models import ImportRecord
from tests.operations.factories import OperationFactory
from tests.transfer.files import csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_dry_run_previews_and_writes_nothing(people, tmp_path):
    path = tmp_path / "ops.xlsx"
    path.write_bytes(xlsx([row(), row("Ledger close")]))
    out, _err = run("import_ops", str(path), "--dry-run", "--as", "boss")
    assert "2 to create, 0 to update, 0 unchanged, 0 with errors" in out
    assert not Operation.objects.exists()
    assert not ImportRecord.objects.exists()


def test_import_as_a_manager_then_again_changes_nothing(people, tmp_path):
    path = tmp_path / "ops.csv"
    path.write_bytes(csv_bytes([row()]))
    out, _err = run("import_ops", str(path), "--as", "boss")
    assert "Imported ops.csv" in out
    op = Operation.objects.get()
    assert op.imports.get().record.by == people["manager"]
    out, _err = run("import_ops", str(path), "--as", "boss")
    assert "0 to create, 0 to update, 1 unchanged" in out
    assert Operation.objects.get().version == op.version


def test_errors_are_printed_per_cell_and_nothing_written(people, tmp_path):
    path = tmp_path / "ops.csv"
    path.write_bytes(csv_bytes([row(), row("X", owner="ghost")]))
    with pytest.raises(CommandError, match="nothing imported"):
        run("import_ops", str(path), "--as", "boss")
    assert not Operation.objects.exists()


def test_bad_files_and_people_are_command_errors(people, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(CommandError, match="not a spreadsheet"):
        run("import_ops", str(path), "--as", "boss")
    with pytest.raises(CommandError, match="no active person"):
        run("import_ops", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match="superuser"):
        run("import_ops", str(path))
    with pytest.raises(CommandError):
        run("import_ops", str(tmp_path / "missing.csv"), "--as", "boss")


def test_export_csv_of_one_team_imports_back_unchanged(people, tmp_path):
    OperationFactory(name="Refund approvals", team=people["team"], owner=people["member"])
    OperationFactory(name="Elsewhere")
    out, _err = run("export_ops", "--team", "billing")
    assert out.startswith("\ufeffid,name,team")
    assert "Refund approvals" in out and "Elsewhere" not in out
    path = tmp_path / "ops.csv"
    path.write_bytes(out.encode("utf-8"))
    out, _err = run("import_ops", str(path), "--dry-run", "--as", "boss")
    assert "0 to create, 0 to update, 1 unchanged, 0 with errors" in out


def test_export_xlsx_to_a_binary_stream(people):
    OperationFactory(name="Refund approvals", team=people["team"], owner=people["member"])
    out = io.BytesIO()
    call_command("export_ops", "--format", "xlsx", stdout=out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    assert [c.value for c in sheet[2]][1] == "Refund approvals"
    with pytest.raises(CommandError, match="no team"):
        call_command("export_ops", "--team", "Nowhere", stdout=io.StringIO())
