"""The bounds on the database and on Redis come from the environment, with
defaults that keep a request short and a worker patient."""

import copy
import json

import pytest
from celery import Celery, signals

import opsmaturity.celery  # noqa: F401 - connects the worker's signal handler
from tests.core.test_settings import settings_in_subprocess

PG = "postgres://ops:pw@db.internal:5432/ops"


def read(env, expr):
    result = settings_in_subprocess(
        {"SECRET_KEY": "test-only-secret-key-never-used-in-production-0123456789", **env},
        f"__import__('json').dumps({expr})",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgresql_connections_get_a_connect_and_a_statement_timeout_by_default():
    options = read({"DATABASE_URL": PG}, "s.DATABASES['default']['OPTIONS']")
    assert options["connect_timeout"] == 5
    assert options["options"] == "-c statement_timeout=30000"
    assert read({"DATABASE_URL": PG}, "s.DATABASE_JOB_STATEMENT_TIMEOUT") == 300


def test_the_timeouts_come_from_the_environment_and_keep_the_urls_own_options():
    env = {
        "DATABASE_URL": PG + "?options=-c%20search_path%3Dops",
        "DATABASE_CONNECT_TIMEOUT": "3",
        "DATABASE_STATEMENT_TIMEOUT": "0",
    }
    options = read(env, "s.DATABASES['default']['OPTIONS']")
    assert options["connect_timeout"] == 3
    assert options["options"] == "-c search_path=ops -c statement_timeout=0"


def test_a_bad_timeout_stops_the_app_with_a_message():
    for name, value, message in [
        ("DATABASE_STATEMENT_TIMEOUT", "soon", "must be a whole number"),
        ("DATABASE_CONNECT_TIMEOUT", "1", "must be at least 2"),
        ("CELERY_REDIS_SOCKET_TIMEOUT", "0", "must be at least 0.1"),
    ]:
        result = settings_in_subprocess(
            {
                "SECRET_KEY": "test-only-secret-key-never-used-in-production-0123456789",
                "DATABASE_URL": PG,
                name: value,
            },
            "1",
        )
        assert result.returncode != 0
        assert name in result.stderr and message in result.stderr


def test_sqlite_keeps_its_busy_timeout_and_gets_no_postgresql_options():
    options = read({"DEBUG": "true"}, "s.DATABASES['default']['OPTIONS']")
    assert options == {"timeout": 20, "transaction_mode": "IMMEDIATE"}


def test_redis_is_bounded_for_the_broker_and_for_the_results():
    env = {"REDIS_URL": "redis://cache.internal:6379/2"}
    got = read(
        env,
        "[s.CELERY_BROKER_TRANSPORT_OPTIONS, s.CELERY_REDIS_SOCKET_TIMEOUT, "
        "s.CELERY_REDIS_SOCKET_CONNECT_TIMEOUT, s.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS]",
    )
    broker, socket_timeout, connect_timeout, results = got
    assert broker["socket_timeout"] == 0.5 and broker["socket_connect_timeout"] == 1.0
    assert socket_timeout == 0.5 and connect_timeout == 1.0
    assert results["retry_policy"]["max_retries"] == 1
    env["CELERY_REDIS_SOCKET_TIMEOUT"] = "0.3"
    assert read(env, "s.CELERY_BROKER_TRANSPORT_OPTIONS['socket_timeout']") == 0.3


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_a_worker_gets_the_job_statement_timeout_and_waits_longer_on_redis(settings):
    settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}},
        "other": {"ENGINE": "django.db.backends.sqlite3", "OPTIONS": {"timeout": 20}},
    }
    settings.DATABASES["default"]["OPTIONS"]["options"] = "-c statement_timeout=30000"
    before_sqlite = copy.deepcopy(settings.DATABASES["other"])
    conf = Celery("probe", set_as_current=False).conf
    conf.update(
        broker_url="redis://127.0.0.1:6379/0",
        broker_transport_options={"socket_timeout": 0.5, "visibility_timeout": 3600},
        redis_socket_timeout=0.5,
        result_backend_transport_options={"retry_policy": {"max_retries": 1}},
    )
    signals.celeryd_init.send(sender="celery@probe", instance=None, conf=conf, options={})
    assert settings.DATABASES["default"]["OPTIONS"]["options"] == "-c statement_timeout=300000"
    assert settings.DATABASES["other"] == before_sqlite
    assert conf.broker_transport_options == {"socket_timeout": 30.0, "visibility_timeout": 3600}
    assert conf.redis_socket_timeout == 30.0
    assert conf.result_backend_transport_options == {}  # Celery's own twenty retries
