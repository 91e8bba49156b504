"""Reads from a PostgreSQL streaming replica, writes to the primary (DATABASE_REPLICA_URL).

Off unless ``DATABASE_REPLICA_URL`` is set: then settings add the ``replica``
database, this router and this middleware, and nothing else changes.

What reads from the replica, and only that:

- a GET or HEAD request (``ReplicaMiddleware``), unless the person wrote a
  moment ago: any other request, or a page that wrote, sets a signed cookie that
  keeps their reads on the primary for ``DATABASE_REPLICA_PIN_SECONDS``, so that
  nobody sees the page from before their own save;
- the digest builder (``reads_from_replica``), wherever it runs.

Everything else reads from the primary: Celery tasks and commands (the scan,
the snapshot, the imports), a request once it has written, every query inside
an atomic block (the block is the primary's), ``select_for_update`` and
``get_or_create`` (Django asks for the writing database for those). Writes and
migrations go to the primary only.

Whether the replica is fit to read from is asked once per request, at its first
read: the connection is opened then (a refused or silent replica fails within
``DATABASE_REPLICA_CONNECT_TIMEOUT``) and, every ``DATABASE_REPLICA_CHECK_SECONDS``,
its lag is measured. A replica that is down is left alone for
``DATABASE_REPLICA_RETRY_SECONDS``, one lagging more than
``DATABASE_REPLICA_MAX_LAG`` until the next measure: reads go to the primary
meanwhile. A page whose replica fails half-way is served again from the primary.

Settings keep ``PIN_SECONDS >= MAX_LAG + CHECK_SECONDS``: once a person's pin has
run out, the replica has replayed their save (it lags less than MAX_LAG, measured
at most CHECK_SECONDS ago).
"""

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connections

from .faults import database_unavailable

log = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "ops_primary"
PIN_SALT = "opsmaturity.core.replica.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# How far behind the primary the replica is, in seconds: 0 when it has replayed
# everything it received (an idle primary sends nothing new), else the age of
# the last transaction it replayed. Not a replica at all (promoted): 0.
LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() "
    "OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def enabled():
    return REPLICA in settings.DATABASES


# --- what this process knows about the replica -------------------------------------


class ReplicaState:
    """Shared by the threads of one process: down until, lag measured at."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.down_until = 0.0  # monotonic
        self.down_reason = ""
        self.lag = None  # seconds, at the last measure
        self.lag_measured_at = None  # monotonic
        self.probes = 0  # connections tried or lag measured (for the tests)

    def mark_down(self, reason):
        with self.lock:
            first = self.down_until <= time.monotonic()
            self.down_until = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
            self.down_reason = reason
            self.lag_measured_at = None
        if first:
            log.warning(
                "read replica unavailable, reading from the primary for %s s: %s",
                settings.DATABASE_REPLICA_RETRY_SECONDS,
                reason,
            )

    def as_dict(self):
        now = time.monotonic()
        return {
            "down": self.down_until > now,
            "down_reason": self.down_reason,
            "lag": self.lag,
            "probes": self.probes,
        }


state = ReplicaState()


def _close_quietly(connection):
    try:
        connection.close()
    except Exception:  # noqa: S110 - closing a broken connection may fail too
        pass


def replica_usable():
    """True when this thread may read from the replica now (see the module's docstring)."""
    now = time.monotonic()
    if state.down_until > now:
        return False
    connection = connections[REPLICA]
    try:
        connection.close_if_health_check_failed()  # a persistent connection that died
        if connection.connection is None:
            state.probes += 1
        connection.ensure_connection()
        measured = state.lag_measured_at
        if measured is None or now - measured >= settings.DATABASE_REPLICA_CHECK_SECONDS:
            state.probes += 1
            with connection.cursor() as cursor:
                cursor.execute(LAG_SQL)
                lag = float(cursor.fetchone()[0])
            with state.lock:
                state.lag, state.lag_measured_at = lag, now
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        _close_quietly(connection)
        state.mark_down(f"{type(exc).__name__}: {exc}".strip())
        return False
    return state.lag is not None and state.lag <= settings.DATABASE_REPLICA_MAX_LAG


# --- which database this context reads from ----------------------------------------


@dataclass
class Reads:
    """A context that may read from the replica: a safe request, a digest being built."""

    alias: str | None = None  # decided at the first read
    wrote: bool = False  # it wrote: the rest reads from the primary

    def read_alias(self):
        if self.wrote:
            return DEFAULT_DB_ALIAS
        if self.alias is None:
            self.alias = REPLICA if replica_usable() else DEFAULT_DB_ALIAS
        return self.alias


_reads = ContextVar("opsmaturity_replica_reads", default=None)
# What a statement on the primary begins with when it changes something. Django asks
# the router for the writing database for more than writes (assigning a related
# object, get_or_create's read, select_for_update): the statements tell.
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE", "CREATE", "ALTER", "DROP")


@contextmanager
def _reading(reads):
    """Route this context's reads by ``reads``, and notice its first write on the primary."""

    def notice(execute, sql, params, many, context):
        if not reads.wrote and isinstance(sql, str) and sql.lstrip()[:8].upper().startswith(WRITES):
            reads.wrote = True
        return execute(sql, params, many, context)

    token = _reads.set(reads)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(notice):
            yield reads
    finally:
        _reads.reset(token)


@contextmanager
def reads_from_replica():
    """Let the block read from the replica (when there is one and it is fit)."""
    if not enabled() or _reads.get() is not None:
        yield  # no replica, or a request already decided
        return
    with _reading(Reads()):
        yield


def current_alias():
    """The database this context's next read goes to (for /healthz and the tests)."""
    reads = _reads.get()
    return DEFAULT_DB_ALIAS if reads is None else reads.alias or "undecided"


class ReplicaRouter:
    """Reads as the context allows, writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return reads.read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows, whichever server they were read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


# --- the request's side: pinning a person who wrote to the primary -----------------


def pinned(request):
    """True while the signed cookie set after this person's last write is fresh."""
    try:
        request.get_signed_cookie(
            PIN_COOKIE, salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS
        )
    except (KeyError, signing.BadSignature):
        return False
    return True


def pin(response):
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_SALT,
        max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ReplicaMiddleware:
    """GET and HEAD read from the replica unless pinned; writing pins for a few seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        safe = request.method in SAFE_METHODS
        # A person who wrote a moment ago, or is writing now, reads from the primary.
        reads = Reads() if safe and not pinned(request) else Reads(alias=DEFAULT_DB_ALIAS)
        response = self._serve(request, reads)
        if response.status_code == 503 and reads.alias == REPLICA and not reads.wrote:
            # The replica failed half-way through the page: leave it alone for a
            # while and serve the page again, from the primary.
            state.mark_down("a query of a page failed on the replica")
            reads = Reads(alias=DEFAULT_DB_ALIAS)
            response = self._serve(request, reads)
        if (not safe or reads.wrote) and settings.DATABASE_REPLICA_PIN_SECONDS:
            pin(response)
        return response

    def _serve(self, request, reads):
        with _reading(reads):
            return self.get_response(request)
