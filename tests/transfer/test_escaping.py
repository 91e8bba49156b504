"""What a file holds is text a user typed: escaped on every page of the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsmaturity.transfer.models import ImportRecord
from tests.transfer.files import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def test_cells_headers_and_file_names_are_shown_escaped(client, people):
    client.force_login(people["manager"])
    rows = [
        row(SCRIPT, purpose=SCRIPT),
        row("Second", owner=SCRIPT, monthly_cost=SCRIPT),
        row("Third", team=SCRIPT),
    ]
    data = csv_bytes(rows, header=[*HEADER, SCRIPT])
    name = f"{SCRIPT}.csv"
    client.post(reverse("transfer:import"), {"file": SimpleUploadedFile(name, data)})
    record = ImportRecord.objects.get()
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert SCRIPT not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_an_imported_file_name_is_escaped_in_the_history_and_the_list(client, people):
    client.force_login(people["manager"])
    name = "<img src=x onerror=alert(1)>.csv"  # an upload's name loses what precedes a "/"
    client.post(reverse("transfer:import"), {"file": SimpleUploadedFile(name, csv_bytes([row()]))})
    record = ImportRecord.objects.get()
    preview = client.get(reverse("transfer:preview", args=[record.token]))
    client.post(
        reverse("transfer:confirm", args=[record.token]), preview.context["confirm"].initial
    )
    for url in (
        reverse("transfer:import"),
        reverse("transfer:preview", args=[record.token]),
        record.lines.get().operation.get_absolute_url(),
    ):
        page = client.get(url).content.decode()
        assert "<img src=x" not in page, url
        assert "&lt;img src=x onerror=alert(1)&gt;.csv" in page, url


def test_what_an_import_would_make_is_shown_escaped(client, people, staff):
    client.force_login(staff)
    rows = [row("Fraud", team=SCRIPT, owner="ann", performers="")]
    upload = SimpleUploadedFile("ops.csv", csv_bytes(rows))
    client.post(reverse("transfer:import"), {"file": upload, "create_missing": "on"})
    record = ImportRecord.objects.get()
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert SCRIPT not in page
    assert f"A new team: {SCRIPT}".replace("<", "&lt;").replace(">", "&gt;") in page
