"""The read replica checked against real servers: ``python -m tests.core.replica_checks NAME``.

Run by tests/core/test_read_replica.py in a process of its own, whose
DATABASE_URL is the test's primary and DATABASE_REPLICA_URL its streaming
replica (the suite's own process is bound to the suite's database). Each check
builds a small world of its own on the primary, reads pages with Django's test
client and counts the queries each server answered; it exits non-zero with the
reason when something is not as it should be.

REPLICA_STOP and REPLICA_START (JSON command lines) stop and start the replica.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsmaturity.settings")

import django  # noqa: E402

django.setup()

from django.contrib.sessions.models import Session  # noqa: E402
from django.db import close_old_connections, connections, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from opsmaturity.core import replica  # noqa: E402
from opsmaturity.digests.building import build_digest  # noqa: E402
from opsmaturity.maturity.scan import run_scan  # noqa: E402
from opsmaturity.operations.models import Operation  # noqa: E402
from opsmaturity.teams.models import Role  # noqa: E402
from tests.operations.factories import OperationFactory  # noqa: E402
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory  # noqa: E402

PRIMARY, REPLICA = "default", replica.REPLICA
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def check(condition, message, **facts):
    if not condition:
        raise AssertionError(f"{message} {json.dumps(facts, default=str)[:3000]}")


class Queries:
    """The SQL each server answered inside the block (the router's lag probe apart)."""

    def __init__(self):
        self.sql = {PRIMARY: [], REPLICA: []}

    def __getitem__(self, alias):
        return [sql for sql in self.sql[alias] if sql != replica.LAG_SQL]

    @contextmanager
    def counting(self):
        def recorder(alias):
            def record(execute, sql, params, many, context):
                self.sql[alias].append(sql)
                return execute(sql, params, many, context)

            return record

        with (
            connections[PRIMARY].execute_wrapper(recorder(PRIMARY)),
            connections[REPLICA].execute_wrapper(recorder(REPLICA)),
        ):
            yield self


def served(client, url, method="get"):
    """(response, queries) of one GET (or HEAD)."""
    # What a server does as a request starts (the test client leaves it out): a
    # connection past DATABASE_CONN_MAX_AGE is closed, a kept one checked anew.
    close_old_connections()
    queries = Queries()
    with queries.counting():
        response = getattr(client, method)(url)
    return response, queries


def replica_sql(sql):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def wait_until(condition, what, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting: {what}")


def replayed(model, **lookup):
    """Wait until the replica shows a row the primary has (streaming is asynchronous)."""
    wait_until(
        lambda: model.objects.using(REPLICA).filter(**lookup).exists(),
        f"the replica to replay {model.__name__} {lookup}",
    )


def world():
    """A team, its manager and member (signed in on their own clients) and one operation."""
    tag = uuid.uuid4().hex[:8]
    team = TeamFactory(name=f"Billing {tag}")
    manager = UserFactory(username=f"boss-{tag}")
    member = UserFactory(username=f"ann-{tag}")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    MembershipFactory(user=member, team=team, role=Role.MEMBER)
    operation = OperationFactory(team=team, owner=manager, name=f"Refund approvals {tag}")
    clients = {}
    for who, user in (("manager", manager), ("member", member)):
        clients[who] = Client(raise_request_exception=False)
        clients[who].force_login(user)
        key = clients[who].cookies["sessionid"].value
        replayed(Session, session_key=key)
    replayed(Operation, pk=operation.pk)
    replica.state.reset()
    return team, manager, member, operation, clients


def edit_data(operation, **changes):
    data = {
        "name": operation.name,
        "team": operation.team_id,
        "owner": operation.owner_id,
        "purpose": operation.purpose,
        "runbook_url": operation.runbook_url,
        "launched_at": operation.launched_at.isoformat(),
        "monthly_volume": str(operation.monthly_volume),
        "monthly_cost": str(operation.monthly_cost),
        "monthly_value": str(operation.monthly_value),
        "version": operation.version,
    }
    data.update(changes)
    return data


# --- the checks ----------------------------------------------------------------------


def routing():
    """Read-only pages and the digest builder read from the replica; the rest from the primary."""
    team, manager, member, operation, clients = world()
    check(replica_sql("SELECT pg_is_in_recovery()") is True, "the replica is not in recovery")
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        check(cursor.fetchone()[0] is False, "the primary is in recovery")

    for url in (
        reverse("dashboard:index"),
        operation.get_absolute_url(),
        reverse("operations:list"),
    ):
        response, queries = served(clients["manager"], url)
        check(response.status_code == 200, "a page failed", url=url, status=response.status_code)
        check(queries[REPLICA], "a read-only page did not read from the replica", url=url)
        check(
            not queries[PRIMARY],
            "a read-only page read from the primary",
            url=url,
            sql=queries[PRIMARY],
        )
        check("ops_primary" not in response.cookies, "a read-only page pinned the reader")

    queries = Queries()
    with queries.counting():
        digest = build_digest(manager, timezone.localdate(), timezone.now())
    check(digest.user == manager, "the digest is someone else's")
    check(
        queries[REPLICA] and not queries[PRIMARY],
        "the digest builder did not read the replica",
        primary=queries[PRIMARY],
    )
    digest_queries = len(queries[REPLICA])

    # Outside a page or a digest (a Celery task, a command): the primary, reads included.
    queries = Queries()
    with queries.counting():
        run_scan()
        Operation.objects.filter(team=team).count()
    check(
        queries[PRIMARY] and not queries[REPLICA],
        "a job read from the replica",
        replica=queries[REPLICA],
    )

    # Atomic blocks and select_for_update are the primary's, even where reads may go to the
    # replica; so is everything after a write.
    queries = Queries()
    with queries.counting(), replica.reads_from_replica():
        Operation.objects.get(pk=operation.pk)  # the replica
        with transaction.atomic():
            Operation.objects.get(pk=operation.pk)
    check(
        len(queries[REPLICA]) == 1 and len(queries[PRIMARY]) == 1,
        "an atomic block read from the replica",
        sql=queries.sql,
    )
    queries = Queries()
    with queries.counting(), replica.reads_from_replica(), transaction.atomic():
        Operation.objects.select_for_update().get(pk=operation.pk)
    check(not queries[REPLICA], "select_for_update went to the replica")
    queries = Queries()
    with queries.counting(), replica.reads_from_replica():
        Operation.objects.filter(pk=operation.pk).update(monthly_volume=101)
        Operation.objects.get(pk=operation.pk)
    check(not queries[REPLICA], "a read after a write went to the replica", sql=queries.sql)

    # HEAD is read-only too.
    response, queries = served(clients["member"], operation.get_absolute_url(), method="head")
    check(response.status_code == 200, "HEAD failed", status=response.status_code)
    check(queries[REPLICA] and not queries[PRIMARY], "a HEAD did not read the replica")
    return {"pages": 3, "digest_queries": digest_queries}


def read_your_writes():
    """Who saved reads the primary for a few seconds; the others read the replica meanwhile."""
    team, manager, member, operation, clients = world()
    old_name, new_name = operation.name, f"{operation.name} v2"
    with override_settings(
        DATABASE_REPLICA_MAX_LAG=3600, DATABASE_REPLICA_PIN_SECONDS=2, PASSWORD_HASHERS=FAST_HASHER
    ):
        replica_sql("SELECT pg_wal_replay_pause()")  # the replica stays behind from here on
        try:
            queries = Queries()
            with queries.counting():
                response = clients["manager"].post(
                    reverse("operations:edit", args=[operation.pk]),
                    edit_data(operation, name=new_name),
                )
            check(
                response.status_code == 302,
                "the save failed",
                status=response.status_code,
                page=response.content.decode()[:2000],
            )
            check(not queries[REPLICA], "a POST read from the replica", sql=queries[REPLICA])
            check("ops_primary" in response.cookies, "a save did not pin the writer to the primary")

            response, queries = served(clients["manager"], operation.get_absolute_url())
            page = response.content.decode()
            check(new_name in page, "the writer was shown the page from before their save")
            check(not queries[REPLICA], "the pinned writer read from the replica")

            # Someone else reads the replica, which has not replayed the save yet.
            response, queries = served(clients["member"], operation.get_absolute_url())
            page = response.content.decode()
            check(queries[REPLICA] and not queries[PRIMARY], "the member did not read the replica")
            check(
                old_name in page and new_name not in page,
                "the paused replica showed the save (is it really the replica?)",
            )

            # A forged or stale pin is ignored: the signature is checked, and its age.
            forged = Client(raise_request_exception=False)
            forged.cookies["sessionid"] = clients["member"].cookies["sessionid"].value
            forged.cookies["ops_primary"] = "1"
            response, queries = served(forged, operation.get_absolute_url())
            check(queries[REPLICA] and not queries[PRIMARY], "an unsigned pin was honoured")
            time.sleep(3.1)  # the pin lasts two seconds (whole seconds are signed)
            response, queries = served(clients["manager"], operation.get_absolute_url())
            check(queries[REPLICA] and not queries[PRIMARY], "the pin did not end")
        finally:
            replica_sql("SELECT pg_wal_replay_resume()")
    return {"pinned_for": 2}


def lag():
    """A replica more than DATABASE_REPLICA_MAX_LAG behind is not read from until it catches up."""
    team, manager, member, operation, clients = world()
    new_name = f"{operation.name} v3"
    with override_settings(DATABASE_REPLICA_MAX_LAG=1, DATABASE_REPLICA_CHECK_SECONDS=0):
        response, queries = served(clients["member"], operation.get_absolute_url())
        check(
            queries[REPLICA] and not queries[PRIMARY],
            "a replica in step was not read from",
            lag=replica.state.lag,
        )
        replica_sql("SELECT pg_wal_replay_pause()")
        try:
            Operation.objects.filter(pk=operation.pk).update(name=new_name)
            wait_until(
                lambda: replica_sql(replica.LAG_SQL) > 1.5,
                "the paused replica to fall more than a second behind",
            )
            response, queries = served(clients["member"], operation.get_absolute_url())
            check(
                response.status_code == 200 and new_name in response.content.decode(),
                "a lagging replica's page was served",
                lag=replica.state.lag,
            )
            check(
                queries[PRIMARY] and not queries[REPLICA],
                "the lagging replica was read from",
                lag=replica.state.lag,
            )
            lagging = replica.state.lag
        finally:
            replica_sql("SELECT pg_wal_replay_resume()")
        replayed(Operation, pk=operation.pk, name=new_name)
        wait_until(lambda: replica_sql(replica.LAG_SQL) <= 1, "the replica to catch up")
        response, queries = served(clients["member"], operation.get_absolute_url())
        check(queries[REPLICA] and not queries[PRIMARY], "a replica caught up was not read again")
        check(new_name in response.content.decode(), "the caught-up replica lacks the change")
    return {"lag_seen": lagging}


def run(env_name):
    command = json.loads(os.environ[env_name])
    # From a folder the postgres user may enter (the clone may be root's own).
    subprocess.run(command, check=True, capture_output=True, timeout=90, cwd="/")


def fallback():
    """The replica stops: pages still work, from the primary, and it is not asked each time."""
    team, manager, member, operation, clients = world()
    url = operation.get_absolute_url()
    with override_settings(DATABASE_REPLICA_RETRY_SECONDS=2, DATABASE_REPLICA_CHECK_SECONDS=0):
        response, queries = served(clients["member"], url)
        check(queries[REPLICA] and not queries[PRIMARY], "the replica was not read before")
        run("REPLICA_STOP")
        try:
            probes = replica.state.probes
            for attempt in range(3):
                response, queries = served(clients["member"], url)
                check(
                    response.status_code == 200 and operation.name in response.content.decode(),
                    "a page failed with the replica down",
                    attempt=attempt,
                    status=response.status_code,
                )
                check(
                    queries[PRIMARY] and not queries[REPLICA],
                    "the stopped replica was read",
                    sql=queries[REPLICA],
                    state=replica.state.as_dict(),
                )
            check(replica.state.as_dict()["down"], "the replica is not known to be down")
            check(
                replica.state.probes - probes == 1,
                "the down replica was asked again and again",
                probes=replica.state.probes - probes,
            )

            # The replica looked fit but fails under the page: the page is served again
            # from the primary.
            replica.state.reset()
            usable = replica.replica_usable
            replica.replica_usable = lambda: True
            try:
                response, queries = served(clients["member"], url)
            finally:
                replica.replica_usable = usable
            check(
                response.status_code == 200 and operation.name in response.content.decode(),
                "a page whose replica failed half-way was not served again",
                status=response.status_code,
            )
            check(replica.state.as_dict()["down"], "a replica failing half-way is not set aside")
        finally:
            run("REPLICA_START")
        # It comes back on its own once the retry time has passed.
        wait_until(
            lambda: replica.state.down_until <= time.monotonic(), "the retry time", seconds=5
        )
        # Streaming again: a restarted replica lags until it has caught up with the primary.
        # (A minute: the replica replays whatever the server wrote meanwhile, other
        # databases' included, and a busy machine replays slowly.)
        wait_until(
            lambda: replica_sql(replica.LAG_SQL) == 0, "the replica to stream again", seconds=60
        )
        response, queries = served(clients["member"], url)
        check(
            queries[REPLICA] and not queries[PRIMARY],
            "the restarted replica was not read again",
            state=replica.state.as_dict(),
        )
    return {"conn_max_age": connections[REPLICA].settings_dict["CONN_MAX_AGE"]}


CHECKS = {f.__name__: f for f in (routing, read_your_writes, lag, fallback)}

if __name__ == "__main__":
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        facts = CHECKS[sys.argv[1]]()
    print(json.dumps({"ok": sys.argv[1], **(facts or {})}))
