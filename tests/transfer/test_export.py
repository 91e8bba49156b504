"""Out as filtered, in again as edited: the round trip changes only what was edited."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.transfer import importing
from opsmaturity.transfer.reading import read_table
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(people):
    team, ann, boss = people["team"], people["member"], people["manager"]
    return [
        OperationFactory(name="Refund approvals", team=team, owner=ann, performers=[ann, boss]),
        OperationFactory(
            name='=HYPERLINK("http://evil")',
            team=team,
            owner=ann,
            phase=Phase.AUTOMATE,
            purpose="+cmd|' /C calc'!A0",
        ),
        OperationFactory(name="Fax intake", team=team, owner=ann, phase=Phase.RETIRE),
        OperationFactory(name="Someone else's"),
    ]


def body(response):
    return b"".join(response.streaming_content)


def test_csv_export_is_the_list_as_filtered_with_a_bom(client, people, ops):
    client.force_login(people["member"])
    response = client.get(reverse("transfer:export"), {"scope": "my_teams", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "name", "team"]
    names = [r[1] for r in rows[1:]]
    assert names == ['\'=HYPERLINK("http://evil")', "Refund approvals"]  # no retired, no other team
    refunds = rows[2]
    assert refunds[8] == "ann, boss"
    response = client.get(reverse("transfer:export"), {"scope": "my_teams", "retired": "on"})
    assert len(list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))) == 4


def test_formula_leads_are_neutralised_in_both_formats(client, people, ops):
    client.force_login(people["member"])
    response = client.get(reverse("transfer:export"), {"scope": "all", "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = book.worksheets[0]
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_japanese_headers_for_a_japanese_reader(client, people, ops):
    client.force_login(people["member"])
    response = client.get(reverse("transfer:export"), HTTP_ACCEPT_LANGUAGE="ja")
    header = body(response).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("ID,業務名,チーム,責任者,目的")


def test_round_trip_through_openpyxl_changes_only_the_edited_operation(client, people, ops):
    client.force_login(people["manager"])
    response = client.get(
        reverse("transfer:export"), {"scope": "my_teams", "retired": "on", "format": "xlsx"}
    )
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "Refund approvals":
            row[header.index("monthly_cost")].value = 4321
    edited = io.BytesIO()
    book.save(edited)
    before = dict(Operation.objects.values_list("pk", "version"))
    record = importing.store_upload(people["manager"], "edited.xlsx", edited.getvalue())
    plan = importing.preview(record, people["manager"])
    assert plan.counts == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    assert [c for r in plan.rows for c in r.changes] == [("monthly_cost", "1000", "4321")]
    importing.run_import(record, people["manager"], fingerprint=plan.fingerprint())
    after = dict(Operation.objects.values_list("pk", "version"))
    changed = [pk for pk in before if before[pk] != after[pk]]
    assert changed == [ops[0].pk]
    assert Operation.objects.get(pk=ops[1].pk).name == '=HYPERLINK("http://evil")'


def test_csv_round_trip_is_all_unchanged(client, people, ops):
    client.force_login(people["manager"])
    data = body(client.get(reverse("transfer:export"), {"scope": "my_teams", "retired": "on"}))
    record = importing.store_upload(people["manager"], "ops.csv", data)
    plan = importing.preview(record, people["manager"])
    assert plan.counts["unchanged"] == 3 and plan.errors == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_an_example_row_that_previews_as_a_create(client, people, fmt):
    client.force_login(people["manager"])
    response = client.get(reverse("transfer:template", args=[fmt]))
    data = body(response) if response.streaming else response.content
    table = read_table(f"template.{fmt}", data)
    assert len(table.rows) == 1
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert len(book.worksheets) == 2
        notes = [c.value for row in book.worksheets[1].iter_rows() for c in row]
        assert "phase_since / フェーズ開始日" in notes
    response = client.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile(f"template.{fmt}", data)},
        follow=True,
    )
    assert response.context["counts"]["create"] == 1, response.context.get("errors")


def test_template_is_for_importers_and_a_bad_format_is_404(client, people):
    client.force_login(people["member"])
    assert client.get(reverse("transfer:template", args=["csv"])).status_code == 403
    client.force_login(people["manager"])
    assert client.get(reverse("transfer:template", args=["exe"])).status_code == 404


def test_the_list_links_to_its_export_with_its_filters(client, people, ops):
    client.force_login(people["manager"])
    page = client.get(reverse("operations:list"), {"scope": "all", "phase": "launch"}).content
    page = page.decode()
    assert "/ops/export/?scope=all&amp;phase=launch&amp;format=csv" in page
    assert reverse("transfer:import") in page
