"""Small things a user or an operator notices: the browser's icon, a quiet log."""

import io
import logging

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


def test_the_browsers_favicon_request_finds_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.svg")
    assert finders.find("favicon.svg")


@pytest.fixture
def log_output():
    """What the configured console handler (settings.LOGGING) writes, as text."""
    handlers = [h for h in logging.getLogger().handlers if h.filters]
    assert handlers, "the root logger has the project's console handler"
    stream = io.StringIO()
    saved = [h.setStream(stream) for h in handlers]
    yield stream
    for handler, old in zip(handlers, saved, strict=True):
        handler.setStream(old)


def test_a_refusal_is_one_line_in_the_log_without_a_traceback(client, outsider, team, log_output):
    """A person opening what they may not change is an answer, not a fault: the log
    gets one line for it, not two tracebacks."""
    operation = OperationFactory(team=team)
    client.force_login(outsider)
    response = client.post(reverse("operations:edit", args=[operation.pk]), {"name": "x"})
    assert response.status_code == 403
    err = log_output.getvalue()
    assert err.count("Forbidden") == 1, err
    assert "Traceback" not in err


def test_a_server_error_keeps_its_traceback(client, staff, monkeypatch, log_output):
    from opsmaturity.operations import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "filtered_operations", broken)
    client.raise_request_exception = False
    client.force_login(staff)
    assert client.get(reverse("operations:list")).status_code == 500
    err = log_output.getvalue()
    assert "Traceback" in err and "boom" in err
