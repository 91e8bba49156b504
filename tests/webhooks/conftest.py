import pytest
from rest_framework.test import APIClient

from opsmaturity.celery import app
from opsmaturity.webhooks.models import Endpoint


@pytest.fixture
def eager():
    """Tasks run at once, in the test, as a worker would run them (a retry's countdown
    is not waited for)."""
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def loopback(settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OPS_WEBHOOK_RETRY_SECONDS = 1
    settings.OPS_WEBHOOK_TIMEOUT = 2


def endpoint_for(url, events=("operation.moved",), **kwargs):
    return Endpoint.objects.create(url=url, events=list(events), secret="s" * 32, **kwargs)


@pytest.fixture
def api():
    return APIClient()
