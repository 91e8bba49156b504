"""A database that is unreachable or too slow answers a 503 page, not a 500.

The connect and statement timeouts (opsmaturity/dbconfig.py) turn a hung
database into an error within seconds; this module tells that error apart from
a genuine bug, which stays a 500. The middleware catches it from a view; the
500 handler catches it from anywhere else (a session saved after the view).
"""

import logging
import sqlite3
import sys
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

log = logging.getLogger(__name__)

# SQLSTATE classes of a server that cannot serve now: 08 connection exception,
# 53 insufficient resources (too many connections), 57 operator intervention
# (57014: statement timeout; 57P01-3: shutting down, starting up), 58 system
# error (I/O); 55P03: a lock not obtained in time.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")
UNAVAILABLE_SQLSTATES = ("55P03",)
# SQLite words the same class in its messages; "no such table" and syntax errors
# are OperationalErrors too, and they are bugs.
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o",
)
RETRY_AFTER_SECONDS = 30


def database_unavailable(exc):
    """True when ``exc`` says the database cannot answer now, not that the code is wrong."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if isinstance(exc, InterfaceError):
        return True  # a connection lost or closed under the request
    cause = exc.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        return any(words in str(cause).lower() for words in SQLITE_UNAVAILABLE)
    sqlstate = getattr(cause, "sqlstate", "")
    if sqlstate is None:
        # psycopg raises errors of its own, without a SQLSTATE, only when the
        # connection fails: refused, timed out, closed by the server.
        return True
    return sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate in UNAVAILABLE_SQLSTATES


def unavailable_response(request, exc):
    log.error("database unavailable, %s %s answered 503: %s", request.method, request.path, exc)
    # Rendered without the request: the context processors would ask the database
    # for the user again.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            return unavailable_response(request, exception)
        return None


def server_error(request):
    """handler500: the database's failures outside a view are a 503 too."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        return unavailable_response(request, exc)
    return defaults.server_error(request)


@contextmanager
def connect_within(seconds, alias=DEFAULT_DB_ALIAS):
    """Open the database connection, if it is not open yet, giving up after ``seconds``.

    For a probe that must answer sooner than a page would wait
    (DATABASE_CONNECT_TIMEOUT). Only this thread's connection object gets the
    shorter timeout; the shared settings are not touched.
    """
    connection = connections[alias]
    options = connection.settings_dict.get("OPTIONS", {})
    if connection.connection is not None or "connect_timeout" not in options:
        yield connection
        return
    shared = connection.settings_dict
    connect_timeout = min(int(options["connect_timeout"]), int(seconds))
    connection.settings_dict = {
        **shared,
        "OPTIONS": {**options, "connect_timeout": connect_timeout},
    }
    try:
        connection.ensure_connection()
    finally:
        connection.settings_dict = shared
    yield connection
