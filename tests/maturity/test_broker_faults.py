"""The "Check now" button and its status poll when the broker and result store fail: a real
redis-server, started for the test on a spare port, is killed (or frozen) after
the app has connected to it, and every path answers within a few seconds with a
message instead of a 500 or a hang. Then it comes back, and so does the button.
"""

import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import reverse

from opsmaturity.celery import app
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# The issue bounds each answer at about 2 s; a loose bound keeps a busy machine green.
QUICK = 5
UNREACHABLE = "The checker cannot be reached right now"
RESULT_UNKNOWN = "this check's result is unknown"
requires_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis-server)"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server of our own: nothing saved, killed at the end."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case it was frozen
            self.proc.kill()
            self.proc.wait(timeout=10)

    def freeze(self):
        """Stopped, not gone: the kernel still accepts connections, nobody answers."""
        self.proc.send_signal(signal.SIGSTOP)


@contextmanager
def celery_on(url):
    """Point this process's Celery app at ``url`` for broker and results, with the
    bounds settings give a Redis installation, and put everything back after."""
    keys = (
        "broker_url",
        "result_backend",
        "broker_transport_options",
        "result_backend_transport_options",
        "redis_socket_timeout",
        "redis_socket_connect_timeout",
    )
    saved_conf = {key: app.conf.get(key) for key in keys}
    saved = (app._pool, app.amqp._producer_pool, getattr(app._local, "backend", None))
    app.conf.update(
        broker_url=url,
        result_backend=url,
        broker_transport_options={
            "visibility_timeout": 3600,
            "socket_timeout": settings.CELERY_REDIS_SOCKET_TIMEOUT,
            "socket_connect_timeout": settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        },
        result_backend_transport_options={"retry_policy": settings.BROKER_QUICK_RETRY},
        redis_socket_timeout=settings.CELERY_REDIS_SOCKET_TIMEOUT,
        redis_socket_connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
    )
    app._pool = app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)
    try:
        yield
    finally:
        app.conf.update(saved_conf)
        app._pool, app.amqp._producer_pool = saved[0], saved[1]
        app._local.__dict__.pop("backend", None)
        if saved[2] is not None:
            app._local.backend = saved[2]


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    try:
        with celery_on(server.url):
            yield server
    finally:
        server.kill()


@pytest.fixture
def member(client):
    team = TeamFactory(name="Billing")
    user = UserFactory(username="member")
    MembershipFactory(user=user, team=team, role=Role.MEMBER)
    client.force_login(user)
    return {"op": OperationFactory(name="Invoice matching", team=team), "team": team}


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def press_check(client, op):
    return timed(
        lambda: client.post(reverse("maturity:check-operation", args=[op.pk]), headers=HTMX)
    )


def poll(client, task_id):
    return timed(lambda: client.get(reverse("maturity:check-status", args=[task_id]), headers=HTMX))


def task_id_in(response):
    body = response.content.decode()
    assert "Checking…" in body, body
    return response.context["task_id"]


def assert_the_button_says_unreachable(client, world):
    response, elapsed = press_check(client, world["op"])
    assert elapsed < QUICK
    assert response.status_code == 200 and UNREACHABLE in response.content.decode()
    # The page without htmx: back to where the button was, with the message.
    started = time.monotonic()
    back = world["op"].get_absolute_url()
    response = client.post(
        reverse("maturity:check-team", args=[world["team"].pk]), {"next": back}, follow=True
    )
    assert time.monotonic() - started < QUICK
    assert response.status_code == 200 and UNREACHABLE in response.content.decode()


def assert_the_poll_stops_with_a_message(client, task_id):
    response, elapsed = poll(client, task_id)
    assert elapsed < QUICK
    assert response.status_code == 286  # htmx: stop polling
    assert RESULT_UNKNOWN in response.content.decode()


@requires_redis_server
def test_redis_killed_after_the_app_connected(client, member, redis_server):
    response, _ = press_check(client, member["op"])
    task_id = task_id_in(response)
    response, _ = poll(client, task_id)
    assert response.status_code == 200 and "Checking…" in response.content.decode()

    redis_server.kill()  # the pooled connections are now dead sockets
    assert_the_button_says_unreachable(client, member)
    assert_the_poll_stops_with_a_message(client, task_id)
    for url in (member["op"].get_absolute_url(), reverse("operations:list")):
        assert client.get(url).status_code == 200

    # Redis restarts on the same port: the button works again without restarting the app.
    redis_server.start()
    response, elapsed = press_check(client, member["op"])
    assert elapsed < QUICK
    response, _ = poll(client, task_id_in(response))
    assert response.status_code == 200 and "Checking…" in response.content.decode()


@requires_redis_server
def test_redis_frozen_accepts_connections_and_never_answers(client, member, redis_server):
    response, _ = press_check(client, member["op"])
    task_id = task_id_in(response)

    redis_server.freeze()
    assert_the_button_says_unreachable(client, member)
    assert_the_poll_stops_with_a_message(client, task_id)
    started = time.monotonic()
    assert client.get("/healthz").status_code == 503
    assert time.monotonic() - started < QUICK


def test_redis_url_where_nothing_listens(client, member):
    with celery_on(f"redis://127.0.0.1:{free_port()}/0"):
        assert_the_button_says_unreachable(client, member)
        assert_the_poll_stops_with_a_message(client, "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77")


def test_laptop_broker_whose_folders_are_gone(client, member, tmp_path):
    """The no-server default: a queue and a results folder that were deleted (or
    a disk that went read-only) are the same failure, in files."""
    gone = tmp_path / "gone"
    keys = ("broker_url", "broker_transport_options", "result_backend")
    saved_conf = {key: app.conf.get(key) for key in keys}
    saved = (app._pool, app.amqp._producer_pool, getattr(app._local, "backend", None))
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(gone / "queue"),
            "data_folder_out": str(gone / "queue"),
            "control_folder": str(gone / "control"),
        },
        result_backend=f"file://{gone / 'results'}",
    )
    app._pool = app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)
    try:
        assert_the_button_says_unreachable(client, member)
        assert_the_poll_stops_with_a_message(client, "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77")
    finally:
        app.conf.update(saved_conf)
        app._pool, app.amqp._producer_pool = saved[0], saved[1]
        app._local.__dict__.pop("backend", None)
        if saved[2] is not None:
            app._local.backend = saved[2]


def test_a_result_that_cannot_be_read_stops_the_poll_too(client, member, monkeypatch):
    from kombu.exceptions import DecodeError

    def unreadable(self, task_id):
        raise DecodeError("not JSON")

    monkeypatch.setattr(type(app.backend), "get_task_meta", unreadable)
    assert_the_poll_stops_with_a_message(client, "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77")


def test_the_poll_still_refreshes_the_page_when_the_check_is_done(client, member):
    """The laptop's file result store, read for real: a finished check ends the poll."""
    result = app.backend
    task_id = "0d8f7c3e-5b1a-4f6e-9c2d-3a4b5c6d7e8f"
    result.store_result(task_id, {"opened": 1, "resolved": 0}, "SUCCESS")
    try:
        response, _ = poll(client, task_id)
        assert response["HX-Refresh"] == "true"
    finally:
        result.forget(task_id)
