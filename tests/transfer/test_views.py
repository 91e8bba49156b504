"""The import page as a manager uses it: upload, preview, confirm."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.transfer.models import ImportRecord
from tests.transfer.files import JA_HEADER, csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db


def upload(client, data, name="ops.xlsx"):
    return client.post(reverse("transfer:import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm(client, people):
    client.force_login(people["manager"])
    response = upload(client, xlsx([row(), row("Ledger close", owner="nobody")]))
    record = ImportRecord.objects.get()
    assert response["Location"] == reverse("transfer:preview", args=[record.token])
    page = client.get(response["Location"]).content.decode()
    assert "No person with the username nobody" in page
    assert "Row 3, owner" in page
    assert "Import 1 operation" not in page  # no confirm while errors remain
    upload(client, xlsx([row()]))
    record = ImportRecord.objects.latest("pk")
    preview = client.get(reverse("transfer:preview", args=[record.token]))
    fingerprint = preview.context["confirm"].initial["fingerprint"]
    assert "Import 1 operation" in preview.content.decode()
    response = client.post(
        reverse("transfer:confirm", args=[record.token]), {"fingerprint": fingerprint}
    )
    assert response.status_code == 302
    op = Operation.objects.get()
    page = client.get(op.get_absolute_url()).content.decode()
    assert "Created from row 2 of “ops.xlsx”" in page
    assert "Recorded on import as already in Standardize since March 1, 2025" in page


def test_an_update_shows_old_and_new(client, people):
    client.force_login(people["manager"])
    client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile("a.csv", csv_bytes([row()]))}
    )
    record = ImportRecord.objects.get()
    fp = client.get(reverse("transfer:preview", args=[record.token])).context["confirm"].initial
    client.post(reverse("transfer:confirm", args=[record.token]), fp)
    upload(client, csv_bytes([row(monthly_cost="1,000")]), "b.csv")
    record = ImportRecord.objects.latest("pk")
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert "<del>340000</del> → <ins>1000</ins>" in page


def test_a_bad_file_gets_a_message_at_the_field_and_nothing_is_stored(client, people):
    client.force_login(people["manager"])
    response = upload(client, b"\x89PNG\r\n\x1a\n\0\0", "photo.xlsx")
    assert response.status_code == 200
    assert "not a spreadsheet" in str(response.context["form"].errors["file"])
    assert not ImportRecord.objects.exists()
    response = upload(client, csv_bytes([{"name": "x"}], header=["name"]), "a.csv")
    assert "no column “team”, “purpose”" in str(response.context["form"].errors["file"])
    assert not ImportRecord.objects.exists()


def test_japanese_page_and_cp932_file(client, people):
    client.force_login(people["manager"])
    data = csv_bytes([row("請求書の照合", owner="誰か")], header=JA_HEADER, encoding="cp932")
    response = client.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("業務.csv", data)},
        HTTP_ACCEPT_LANGUAGE="ja",
        follow=True,
    )
    page = response.content.decode()
    assert "請求書の照合" in page
    assert "ユーザー名 誰か の人はいません。" in page


def test_someone_elses_upload_is_not_found(client, people, staff):
    client.force_login(people["manager"])
    upload(client, xlsx([row()]))
    record = ImportRecord.objects.get()
    client.force_login(staff)
    assert client.get(reverse("transfer:preview", args=[record.token])).status_code == 404
    response = client.post(reverse("transfer:confirm", args=[record.token]), {"fingerprint": "x"})
    assert response.status_code == 404
    assert not Operation.objects.exists()


def test_members_and_outsiders_may_not_import(client, people, outsider):
    client.force_login(people["member"])
    assert client.get(reverse("transfer:import")).status_code == 403
    client.logout()
    assert client.get(reverse("transfer:import")).status_code == 302


def test_a_tampered_token_or_method_is_no_500(client, people):
    client.force_login(people["manager"])
    assert client.get(reverse("transfer:preview", args=["x" * 500])).status_code == 404
    assert client.get(reverse("transfer:confirm", args=["abc"])).status_code == 405


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, people):
    client.force_login(people["manager"])
    response = client.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("a.csv", b"name,team,purpose\n")},
        CONTENT_LENGTH=str(11 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_a_file_over_the_limit_by_its_size_is_refused_at_the_field(client, people, monkeypatch):
    from opsmaturity.transfer import forms

    monkeypatch.setattr(forms, "MAX_BYTES", 10)
    client.force_login(people["manager"])
    response = upload(client, csv_bytes([row()]), "a.csv")
    assert "larger than" in str(response.context["form"].errors["file"])
    assert not ImportRecord.objects.exists()
