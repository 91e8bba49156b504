"""DATABASE_REPLICA_URL adds the replica, its router and its middleware; nothing without it."""

import pytest

from tests.core.test_fault_settings import PG, read
from tests.core.test_settings import settings_in_subprocess

REPLICA_PG = "postgres://ops:pw@replica.internal:5432/ops"
KEY = "test-only-secret-key-never-used-in-production-0123456789"


def test_without_a_replica_there_is_one_database_no_router_and_no_replica_middleware():
    databases, routers, middleware = read(
        {"DATABASE_URL": PG}, "[list(s.DATABASES), s.DATABASE_ROUTERS, s.MIDDLEWARE]"
    )
    assert databases == ["default"]
    assert routers == []
    assert not [m for m in middleware if "replica" in m]


def test_a_replica_url_adds_the_replica_with_a_short_connect_timeout_and_the_router():
    env = {"DATABASE_URL": PG, "DATABASE_REPLICA_URL": REPLICA_PG, "DATABASE_CONN_MAX_AGE": "60"}
    replica, routers, middleware = read(
        env, "[s.DATABASES['replica'], s.DATABASE_ROUTERS, s.MIDDLEWARE]"
    )
    assert replica["HOST"] == "replica.internal"
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["OPTIONS"]["options"] == "-c statement_timeout=30000"
    assert replica["CONN_MAX_AGE"] == 60 and replica["CONN_HEALTH_CHECKS"] is True
    # The test runner makes no database on a replica: it reads the test database.
    assert replica["TEST"] == {"MIRROR": "default"}
    assert routers == ["opsmaturity.core.replica.ReplicaRouter"]
    at = middleware.index("opsmaturity.core.replica.ReplicaMiddleware")
    # Before the session and everything else that reads: after the static files.
    assert middleware[at - 1] == "whitenoise.middleware.WhiteNoiseMiddleware"
    assert at < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "true", "DATABASE_REPLICA_URL": REPLICA_PG}, "both must be PostgreSQL"),
        (
            {"DATABASE_URL": PG, "DATABASE_REPLICA_URL": "sqlite:///x.db"},
            "both must be PostgreSQL",
        ),
        (
            {
                "DATABASE_URL": PG,
                "DATABASE_REPLICA_URL": REPLICA_PG,
                "DATABASE_REPLICA_PIN_SECONDS": "4",
                "DATABASE_REPLICA_MAX_LAG": "3",
            },
            "DATABASE_REPLICA_PIN_SECONDS must be at least",
        ),
        (
            {
                "DATABASE_URL": PG,
                "DATABASE_REPLICA_URL": REPLICA_PG,
                "DATABASE_REPLICA_CONNECT_TIMEOUT": "1",
            },
            "DATABASE_REPLICA_CONNECT_TIMEOUT must be at least 2",
        ),
    ],
)
def test_a_replica_that_cannot_work_stops_the_app_with_a_message(env, message):
    result = settings_in_subprocess({"SECRET_KEY": KEY, **env}, "1")
    assert result.returncode != 0
    assert message in result.stderr


def test_without_a_replica_the_digest_builder_and_the_router_stay_on_the_primary():
    from opsmaturity.core import replica

    assert not replica.enabled()
    with replica.reads_from_replica():
        assert replica.current_alias() == "default"
    router = replica.ReplicaRouter()
    assert router.allow_migrate("default", "operations")
    assert not router.allow_migrate("replica", "operations")
