"""Large files are imported by a worker while the page shows a progress bar."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsmaturity.core.broker import BrokerUnavailable
from opsmaturity.operations.models import Operation
from opsmaturity.transfer import importing, tasks, views
from opsmaturity.transfer.models import ImportRecord, ImportStatus
from tests.operations.factories import OperationFactory
from tests.transfer.files import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(monkeypatch):
    """Three rows count as a large file."""
    monkeypatch.setattr(importing, "BACKGROUND_ROWS", 2)


def uploaded(client, rows):
    client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile("big.csv", csv_bytes(rows))}
    )
    record = ImportRecord.objects.latest("pk")
    preview = client.get(reverse("transfer:preview", args=[record.token]))
    return record, preview.context["confirm"].initial


def test_a_large_file_waits_for_the_worker_then_imports(client, people, large, monkeypatch):
    sent = []

    class Result:
        id = "task-1"

    monkeypatch.setattr(views, "publish", lambda task, *args: sent.append(args) or Result())
    client.force_login(people["manager"])
    record, confirm = uploaded(client, [row(f"Op {i}") for i in range(3)])
    response = client.post(reverse("transfer:confirm", args=[record.token]), confirm)
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.task_id) == (ImportStatus.RUNNING, "task-1")
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert "Waiting for the importer to start" in page
    assert "<progress" in page
    assert not Operation.objects.exists()
    # the worker runs it
    tasks.import_file.apply(args=sent[0]).get()
    assert Operation.objects.count() == 3
    response = client.get(reverse("transfer:progress", args=[record.token]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("transfer:preview", args=[record.token])
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert "Imported on" in page
    # delivered twice: nothing more happens
    tasks.import_file.apply(args=sent[0]).get()
    assert Operation.objects.count() == 3


def test_progress_is_read_from_the_task(client, people, large, monkeypatch):
    class Result:
        id = "task-2"

    monkeypatch.setattr(views, "publish", lambda task, *args: Result())
    client.force_login(people["manager"])
    record, confirm = uploaded(client, [row(f"Op {i}") for i in range(3)])
    client.post(reverse("transfer:confirm", args=[record.token]), confirm)

    class Progress:
        state = "PROGRESS"
        info = {"done": 2, "rows": 3}

    monkeypatch.setattr(views, "AsyncResult", lambda *a, **k: Progress())
    page = client.get(reverse("transfer:progress", args=[record.token])).content.decode()
    assert "2 of 3 rows written" in page
    assert 'value="2"' in page


def test_a_failed_background_import_shows_why_and_can_be_confirmed_again(
    client, people, large, monkeypatch
):
    sent = []

    class Result:
        id = "task-3"

    monkeypatch.setattr(views, "publish", lambda task, *args: sent.append(args) or Result())
    client.force_login(people["manager"])
    record, confirm = uploaded(client, [row(f"Op {i}") for i in range(3)])
    client.post(reverse("transfer:confirm", args=[record.token]), confirm)
    OperationFactory(name="Op 1", team=people["team"], owner=people["member"])
    tasks.import_file.apply(args=sent[0]).get()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED
    page = client.get(reverse("transfer:preview", args=[record.token])).content.decode()
    assert "Nothing was imported: The file has 2 errors" in page
    assert Operation.objects.count() == 1


def test_the_broker_down_is_told_and_nothing_changes(client, people, large, monkeypatch):
    def down(*args):
        raise BrokerUnavailable("down")

    monkeypatch.setattr(views, "publish", down)
    client.force_login(people["manager"])
    record, confirm = uploaded(client, [row(f"Op {i}") for i in range(3)])
    response = client.post(reverse("transfer:confirm", args=[record.token]), confirm)
    assert response.status_code == 503
    assert "cannot be reached" in response.content.decode()
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_no_worker_stops_polling_with_a_message(client, people, large, monkeypatch):
    class Result:
        id = ""

    monkeypatch.setattr(views, "publish", lambda task, *args: Result())
    client.force_login(people["manager"])
    record, confirm = uploaded(client, [row(f"Op {i}") for i in range(3)])
    client.post(reverse("transfer:confirm", args=[record.token]), confirm)
    url = reverse("transfer:progress", args=[record.token])
    page = client.get(url, {"poll": views.POLL_LIMIT}).content.decode()
    assert "worker may not be running" in page
    assert "hx-get" not in page
