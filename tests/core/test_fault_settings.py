"""The bounds on Redis come from the environment, with defaults that keep a
request short and a worker patient."""

import json

from celery import Celery, signals

import opsmaturity.celery  # noqa: F401 - connects the worker's signal handler
from tests.core.test_settings import settings_in_subprocess


def read(env, expr):
    result = settings_in_subprocess({"SECRET_KEY": "k", **env}, f"__import__('json').dumps({expr})")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


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


def test_a_worker_waits_longer_on_redis():
    conf = Celery("probe", set_as_current=False).conf
    conf.update(
        broker_url="redis://127.0.0.1:6379/0",
        broker_transport_options={"socket_timeout": 0.5, "visibility_timeout": 3600},
        redis_socket_timeout=0.5,
        result_backend_transport_options={"retry_policy": {"max_retries": 1}},
    )
    signals.celeryd_init.send(sender="celery@probe", instance=None, conf=conf, options={})
    assert conf.broker_transport_options == {"socket_timeout": 30.0, "visibility_timeout": 3600}
    assert conf.redis_socket_timeout == 30.0
    assert conf.result_backend_transport_options == {}  # Celery's own twenty retries
