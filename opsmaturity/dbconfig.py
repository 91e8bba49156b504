"""The database settings from the environment, with the bounds that keep a hung
database from hanging the app.

A PostgreSQL server that accepts the connection and never answers used to hold
a request until gunicorn killed its worker (about 30 s). ``connect_timeout``
ends the connect phase, and psycopg applies it to the whole start-up exchange
as well (the SSL request, authentication), which a silent listener never
answers; ``statement_timeout`` makes the server cancel a statement that runs
too long. Both travel in the connection's parameters, so no query is spent on
them.
"""

import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_int, env_str

POSTGRESQL = "django.db.backends.postgresql"
# psycopg, like libpq, counts whole seconds and treats anything below 2 as 2.
MIN_CONNECT_TIMEOUT = 2


def database_from_url(url, *, conn_max_age=0, connect_timeout=5, statement_timeout=30):
    """One entry of DATABASES. Timeouts in seconds; a statement timeout of 0 is none."""
    database = dj_database_url.parse(url, conn_max_age=conn_max_age)
    if database["ENGINE"] == POSTGRESQL:
        options = database.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", max(MIN_CONNECT_TIMEOUT, int(connect_timeout)))
        set_statement_timeout(database, statement_timeout)
    return database


def set_statement_timeout(database, seconds):
    """Give the next connections of this DATABASES entry a statement timeout (0: none).

    It rides in libpq's ``options`` (``-c statement_timeout=…``) next to whatever
    else the URL put there; a later ``-c`` of the same name would win, so an
    earlier one is replaced rather than left behind.
    """
    if database["ENGINE"] != POSTGRESQL:
        return
    options = database.setdefault("OPTIONS", {})
    kept = re.sub(r"\s*-c\s*statement_timeout=\S*", "", options.get("options", "")).strip()
    ours = f"-c statement_timeout={int(seconds * 1000)}"
    options["options"] = f"{kept} {ours}".strip()


def use_job_timeouts():
    """Give this process the patience of a job, not of a page: every database's next
    connections get DATABASE_JOB_STATEMENT_TIMEOUT. The worker calls it at start, and
    so do the commands that run a job by hand (scan_ops, send_digests, seed_demo…):
    a scan of a million operations has statements longer than a request may wait."""
    from django.conf import settings
    from django.db import connections

    seconds = settings.DATABASE_JOB_STATEMENT_TIMEOUT
    for database in settings.DATABASES.values():
        set_statement_timeout(database, seconds)
    # A connection already open keeps the options it was opened with: closed, it
    # reopens with these. One inside a transaction (a caller's, a test's) is left be.
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def databases_from_env(default_url):
    """DATABASES from DATABASE_URL and the DATABASE_* bounds (README, "Configuration").

    With DATABASE_REPLICA_URL, a second entry, ``replica``: a PostgreSQL streaming
    replica of the first that pages read from (core/replica.py). Its connect
    timeout is short (DATABASE_REPLICA_CONNECT_TIMEOUT, 2 s): a replica that does
    not answer sends the reads to the primary, it does not hold the page. In the
    test runner it mirrors the primary (no test database is made on a replica).
    """
    conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
    statement_timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 30, minimum=0)
    databases = {
        "default": database_from_url(
            env_str("DATABASE_URL") or default_url,
            conn_max_age=conn_max_age,
            connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=MIN_CONNECT_TIMEOUT),
            statement_timeout=statement_timeout,
        )
    }
    replica_url = env_str("DATABASE_REPLICA_URL").strip()
    if replica_url:
        replica = database_from_url(
            replica_url,
            conn_max_age=conn_max_age,
            connect_timeout=env_int(
                "DATABASE_REPLICA_CONNECT_TIMEOUT", MIN_CONNECT_TIMEOUT, minimum=MIN_CONNECT_TIMEOUT
            ),
            statement_timeout=statement_timeout,
        )
        if POSTGRESQL != databases["default"]["ENGINE"] or POSTGRESQL != replica["ENGINE"]:
            raise ImproperlyConfigured(
                "DATABASE_REPLICA_URL is for a PostgreSQL streaming replica of the "
                "PostgreSQL database of DATABASE_URL (postgres://…): both must be PostgreSQL"
            )
        # A persistent connection to a replica that has gone is found out at the
        # request's first query, not half-way through it.
        replica["CONN_HEALTH_CHECKS"] = conn_max_age > 0
        replica["TEST"] = {"MIRROR": "default"}
        databases["replica"] = replica
    return databases
