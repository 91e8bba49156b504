"""A real Celery worker process reads tasks from the configured broker.

Without REDIS_URL that is the default broker that needs no server (files in a
folder); with REDIS_URL set, it is Redis. Either way a separate process must
pick the task up and answer, as it does on a laptop and in production.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from opsmaturity.celery import ping
from tests.maturity.workers import celery_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    with celery_worker() as queue:
        yield queue


def test_broker_is_the_one_configured():
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
        assert Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).is_dir()


def test_a_worker_process_runs_a_task_sent_through_the_broker(worker_queue):
    result = ping.apply_async(queue=worker_queue)
    assert result.get(timeout=60) == "pong"
