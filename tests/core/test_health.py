"""/healthz tells a load balancer whether the database and the broker answer."""

import time

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": {"status": "ok"}, "broker": {"status": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_broker_down_is_503_and_quick(client, dead_broker):
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"] == {"status": "ok"}
    assert body["broker"] == {"status": "down"}  # no host or path for the public


def test_database_down_is_503(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "down"


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
