"""A database that hangs, or cannot answer, gives a quick 503, never a hang or a 500.

The hung database is a TCP listener on 127.0.0.1 that accepts connections and
never says a word, as a frozen server or a dead proxy in front of one does. The
app's connection is pointed at it through a PostgreSQL entry built the way
settings build one, so these run wherever psycopg is installed, SQLite or not.
"""

import socket
import sqlite3
import threading
import time
import types
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.utils import DatabaseErrorWrapper
from django.http import HttpResponse
from django.test import Client
from django.urls import path

import opsmaturity.urls
from opsmaturity.core.faults import database_unavailable
from opsmaturity.dbconfig import database_from_url
from tests.conftest import requires_postgres
from tests.maturity.test_broker_faults import RedisServer, celery_on, requires_redis_server

QUICK = 3  # the bound for /healthz


class SilentListener:
    """Accepts every connection and never answers, until closed."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(32)
        self.server.settimeout(0.1)  # to notice close() between accepts
        self.port = self.server.getsockname()[1]
        self.accepted = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.server.accept()
            except TimeoutError:
                continue
            self.accepted.append(sock)

    def close(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.server.close()
        for sock in self.accepted:
            sock.close()


@contextmanager
def default_database(settings_dict):
    """This thread's default connection goes to ``settings_dict`` for a while; the
    test database and its connection are left as they were."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    entry = connections.configure_settings({"default": settings_dict})["default"]
    saved = connections["default"]
    connections["default"] = DatabaseWrapper(entry, "default")
    try:
        yield connections["default"]
    finally:
        connections["default"].close()
        connections["default"] = saved


@pytest.fixture
def hung_database(django_db_blocker):
    """Pages and probes meet a PostgreSQL that never answers; the connect timeout
    is the settings' default (5 s), unless a test asks for less."""
    listener = SilentListener()

    @contextmanager
    def pointed(**timeouts):
        url = f"postgres://ops:secret@127.0.0.1:{listener.port}/ops"
        with django_db_blocker.unblock(), default_database(database_from_url(url, **timeouts)):
            yield listener

    try:
        yield pointed
    finally:
        listener.close()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_healthz_answers_503_within_3_s_although_pages_would_wait_5(client, hung_database):
    with hung_database() as listener:
        response, elapsed = timed(lambda: client.get("/healthz"))
    assert listener.accepted, "the probe never reached the listener"
    assert elapsed < QUICK
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down" and body["database"] == {"status": "down"}
    assert body["broker"] == {"status": "ok"}
    assert "127.0.0.1" not in response.content.decode()  # no address for the public


@requires_redis_server
def test_healthz_within_3_s_when_redis_hangs_too(client, hung_database):
    redis = RedisServer()
    redis.start()
    try:
        with celery_on(redis.url), hung_database():
            redis.freeze()
            response, elapsed = timed(lambda: client.get("/healthz"))
    finally:
        redis.kill()
    assert elapsed < QUICK
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": {"status": "down"},
        "broker": {"status": "down"},
    }


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("get", "/dashboard/", None),
        ("get", "/ops/", None),
        ("get", "/", None),
        ("post", "/accounts/login/", {"username": "member", "password": "x"}),
    ],
)
def test_a_page_answers_the_503_page_within_the_connect_timeout(hung_database, method, url, data):
    client = Client(raise_request_exception=False)
    # A session cookie: the page has to ask the database who this is.
    client.cookies["sessionid"] = "s" * 32
    with hung_database(connect_timeout=2):
        response, elapsed = timed(lambda: getattr(client, method)(url, data))
    assert elapsed < 2 + QUICK
    assert response.status_code == 503
    page = response.content.decode()
    assert "The database is not answering right now" in page
    assert 'class="topbar"' in page and "css/app.css" in page
    assert response["Retry-After"] == "30"


def test_the_503_page_speaks_japanese(hung_database):
    client = Client(raise_request_exception=False, headers={"accept-language": "ja"})
    client.cookies["sessionid"] = "s" * 32
    with hung_database(connect_timeout=2):
        response = client.get("/dashboard/")
    assert response.status_code == 503
    page = response.content.decode()
    assert 'lang="ja"' in page and "データベースが応答していません" in page


def test_a_database_that_refuses_is_a_503_at_once(django_db_blocker):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "s" * 32
    url = f"postgres://ops:secret@127.0.0.1:{port}/ops"
    with django_db_blocker.unblock(), default_database(database_from_url(url)):
        page, elapsed = timed(lambda: client.get("/dashboard/"))
        health = client.get("/healthz")
    assert page.status_code == 503 and elapsed < 1
    assert health.status_code == 503 and health.json()["database"] == {"status": "down"}


def test_psycopg_ends_the_start_up_exchange_against_a_silent_server():
    """connect_timeout covers more than the TCP connect: the SSL request and the
    start-up message, which a silent listener never answers, end too."""
    listener = SilentListener()
    try:
        for sslmode in ("prefer", "disable"):
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(
                    host="127.0.0.1",
                    port=listener.port,
                    dbname="ops",
                    user="ops",
                    connect_timeout=2,
                    sslmode=sslmode,
                )
            assert time.monotonic() - started < 2 + QUICK
        assert len(listener.accepted) == 2
    finally:
        listener.close()


# --- telling "cannot answer now" apart from a bug --------------------------------


def django_error(driver_error, database):
    """The exception Django raises for ``driver_error``, wrapped as it wraps them."""
    wrapper = types.SimpleNamespace(Database=database, errors_occurred=False)
    try:
        with DatabaseErrorWrapper(wrapper):
            raise driver_error
    except Exception as exc:
        return exc
    raise AssertionError("not raised")


@pytest.mark.parametrize(
    "driver_error, database, unavailable",
    [
        (psycopg.OperationalError("connection failed: Connection refused"), psycopg, True),
        (psycopg.errors.ConnectionTimeout("connection timeout expired"), psycopg, True),
        (psycopg.errors.QueryCanceled("canceling statement: timeout"), psycopg, True),
        (psycopg.errors.AdminShutdown("terminating connection"), psycopg, True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), psycopg, True),
        (psycopg.errors.TooManyConnections("too many clients already"), psycopg, True),
        (psycopg.errors.LockNotAvailable("could not obtain lock"), psycopg, True),
        (psycopg.InterfaceError("the connection is closed"), psycopg, True),
        (psycopg.errors.UndefinedTable('relation "x" does not exist'), psycopg, False),
        (psycopg.errors.SyntaxError("syntax error at or near"), psycopg, False),
        (psycopg.errors.DeadlockDetected("deadlock detected"), psycopg, False),
        (psycopg.errors.UniqueViolation("duplicate key"), psycopg, False),
        (sqlite3.OperationalError("database is locked"), sqlite3, True),
        (sqlite3.OperationalError("unable to open database file"), sqlite3, True),
        (sqlite3.OperationalError("disk I/O error"), sqlite3, True),
        (sqlite3.OperationalError("no such table: ops_operation"), sqlite3, False),
        (sqlite3.OperationalError('near "SELEC": syntax error'), sqlite3, False),
    ],
)
def test_which_database_errors_mean_unavailable(driver_error, database, unavailable):
    assert database_unavailable(django_error(driver_error, database)) is unavailable


def test_errors_that_are_not_the_databases_are_not_unavailable():
    assert database_unavailable(ValueError("a bug")) is False
    assert database_unavailable(None) is False


# --- the real drivers, through real pages ------------------------------------------


def statement_cut_short(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '100ms'")
        cursor.execute("SELECT pg_sleep(3)")
    return HttpResponse("finished")


def missing_table(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    return HttpResponse("finished")


def locked(request):
    # What SQLite raises when a writer holds the file past the busy timeout.
    with connection.wrap_database_errors:
        raise connection.Database.OperationalError("database is locked")


def remembers(request):
    request.session["seen"] = True  # saved after the view, by the middleware
    return HttpResponse("finished")


# The project's own handler: these pages stand in for the app's.
handler500 = opsmaturity.urls.handler500
urlpatterns = [
    path("slow/", statement_cut_short),
    path("missing/", missing_table),
    path("locked/", locked),
    path("remembers/", remembers),
]


@pytest.fixture
def test_pages(settings):
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
def test_a_genuine_database_bug_stays_a_500(test_pages):
    client = Client(raise_request_exception=False)
    response = client.get("/missing/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
def test_a_database_that_answers_locked_is_a_503(test_pages):
    response = Client().get("/locked/")
    assert response.status_code == 503
    assert "The database is not answering right now" in response.content.decode()


@pytest.mark.django_db
def test_a_database_lost_after_the_view_is_a_503_too(test_pages, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    def lost(self, must_create=False):
        raise django_error(psycopg.OperationalError("server closed the connection"), psycopg)

    monkeypatch.setattr(SessionStore, "save", lost)
    response = Client(raise_request_exception=False).get("/remembers/")
    assert response.status_code == 503
    assert "The database is not answering right now" in response.content.decode()


@requires_postgres
@pytest.mark.django_db
def test_connections_carry_the_statement_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", ["scan_ops", "snapshot_ops", "close_campaigns"])
def test_a_job_run_by_hand_has_the_job_statement_timeout_not_the_page_one(command):
    # A first scan of a million operations has statements past a page's 30 s.
    call_command(command, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5min"


@requires_postgres
@pytest.mark.django_db
def test_a_statement_past_its_timeout_is_a_503_page(test_pages):
    response, elapsed = timed(lambda: Client().get("/slow/"))
    assert response.status_code == 503 and elapsed < 3
    assert "The database is not answering right now" in response.content.decode()
    with connection.cursor() as cursor:  # and the test's own connection is fine
        cursor.execute("SELECT 1")
