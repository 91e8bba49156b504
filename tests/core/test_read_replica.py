"""The read replica for real: a PostgreSQL primary and its streaming replica of the
test's own (tests/core/replica_cluster.py), and the app pointed at them in a
process of its own (tests/core/replica_checks.py, whose docstrings say what each
check holds to).

Only on a PostgreSQL run (DATABASE_URL=postgres://…): the servers are started
with the tools of the PostgreSQL installed on the machine, and the tests are
skipped with the reason where those cannot run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .replica_cluster import Clusters, Unavailable

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the read replica is PostgreSQL's streaming replication: needs a PostgreSQL run "
    "(DATABASE_URL=postgres://…)",
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    try:
        clusters = Clusters()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        clusters.start()
    except Unavailable as exc:
        clusters.stop()
        pytest.skip(str(exc))
    except BaseException:
        clusters.stop()
        raise
    var = tmp_path_factory.mktemp("replica-var")
    clusters.env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DATABASE_URL": clusters.url("primary"),
        "DATABASE_REPLICA_URL": clusters.url("replica"),
        "SECRET_KEY": "test-only-secret-key-never-used-in-production-0123456789",
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "OPS_VAR_DIR": str(var),
        "EMAIL_URL": "locmem://",
        "LOG_LEVEL": "ERROR",
        "REPLICA_STOP": json.dumps(clusters.server_command("stop", "replica")),
        "REPLICA_START": json.dumps(clusters.server_command("start", "replica")),
    }
    try:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT,
            env=clusters.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        yield clusters
    finally:
        clusters.stop()


def run_check(servers, name, **env):
    done = subprocess.run(
        [sys.executable, "-m", "tests.core.replica_checks", name],
        cwd=ROOT,
        env={**servers.env, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_migrations_ran_on_the_primary_and_reached_the_replica_by_streaming(servers):
    rows = servers.sql("replica", "SELECT count(*) FROM django_migrations")
    assert rows[0][0] > 0
    assert servers.sql("replica", "SELECT pg_is_in_recovery()") == [(True,)]


def test_read_only_pages_and_the_digest_read_from_the_replica_and_the_rest_from_the_primary(
    servers,
):
    facts = run_check(servers, "routing")
    assert facts["digest_queries"] > 0


def test_who_saved_reads_their_save_from_the_primary_for_a_few_seconds(servers):
    run_check(servers, "read_your_writes")


def test_a_replica_too_far_behind_is_not_read_until_it_catches_up(servers):
    facts = run_check(servers, "lag")
    assert facts["lag_seen"] > 1


@pytest.mark.parametrize("conn_max_age", ["0", "60"])
def test_a_stopped_replica_sends_the_reads_to_the_primary_and_is_read_again_once_back(
    servers, conn_max_age
):
    facts = run_check(servers, "fallback", DATABASE_CONN_MAX_AGE=conn_max_age)
    assert facts["conn_max_age"] == int(conn_max_age)
