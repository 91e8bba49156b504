"""A real Celery worker process reads tasks from the configured broker.

Without REDIS_URL that is the default broker that needs no server (files in a
folder); with REDIS_URL set, it is Redis. Either way a separate process must
pick the task up and answer, as it does on a laptop and in production.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from opsmaturity.celery import ping

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_queue():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "OPS_VAR_DIR": str(settings.VAR_DIR),
        "DJANGO_SETTINGS_MODULE": "opsmaturity.settings",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "opsmaturity",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield queue
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_broker_is_the_one_configured():
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
        assert Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).is_dir()


def test_a_worker_process_runs_a_task_sent_through_the_broker(worker_queue):
    result = ping.apply_async(queue=worker_queue)
    assert result.get(timeout=60) == "pong"
