"""Deliveries to a real HTTP receiver on loopback: signed, retried, logged, paused."""

import json
import time

import pytest
from django.db import transaction

from opsmaturity.operations import services
from opsmaturity.operations.phases import Phase
from opsmaturity.webhooks import sending
from opsmaturity.webhooks.models import Delivery, Status
from tests.operations.factories import OperationFactory

from .conftest import endpoint_for
from .receiver import Receiver

pytestmark = pytest.mark.django_db


def move(operation, by, to=Phase.STANDARDIZE):
    services.move_phase(operation, to, by=by, note="Runbook written")


def test_a_move_reaches_the_receiver_signed(
    eager, loopback, team, member, django_capture_on_commit_callbacks
):
    operation = OperationFactory(name="Refund check", team=team, owner=member)
    with Receiver("s" * 32) as receiver:
        endpoint = endpoint_for(receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member)
        headers, body, valid = receiver.requests[0]
    assert valid
    assert headers["X-Ops-Event"] == "operation.moved"
    event = json.loads(body)
    assert event["event"] == "operation.moved"
    assert event["data"]["to_phase"] == Phase.STANDARDIZE
    assert event["data"]["operation"]["name"] == "Refund check"
    assert event["data"]["operation"]["url"].endswith(f"/ops/{operation.pk}/")
    assert event["data"]["by"]["name"] == "Ann Lee"
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == Status.DELIVERED and delivery.response_status == 200
    assert delivery.response_excerpt == "ok" and delivery.duration_ms is not None
    assert headers["X-Ops-Delivery"] == str(delivery.uid)


def test_only_the_events_an_endpoint_wants(
    eager, loopback, team, member, django_capture_on_commit_callbacks
):
    operation = OperationFactory(team=team, owner=member)
    with Receiver("s" * 32) as receiver:
        endpoint_for(receiver.url, events=["operation.created"])
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member)
        assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_change_rolled_back_sends_nothing(
    eager, loopback, team, member, django_capture_on_commit_callbacks
):
    operation = OperationFactory(team=team, owner=member)
    with Receiver("s" * 32) as receiver:
        endpoint_for(receiver.url)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                move(operation, member)
                raise RuntimeError("something after the move failed")
        assert callbacks == [] and receiver.requests == []
    assert not Delivery.objects.exists()


def test_a_receiver_that_fails_then_recovers(
    eager, loopback, team, member, django_capture_on_commit_callbacks
):
    operation = OperationFactory(team=team, owner=member)
    with Receiver("s" * 32, answers=[500, 503, 200]) as receiver:
        endpoint = endpoint_for(receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member)
        assert len(receiver.requests) == 3
        uids = {headers["X-Ops-Delivery"] for headers, _body, _valid in receiver.requests}
    assert len(uids) == 1, "one delivery, retried: the receiver can tell a retry"
    delivery = Delivery.objects.get()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 3
    endpoint.refresh_from_db()
    assert endpoint.failures == 0 and endpoint.paused_at is None


def test_retries_back_off(settings):
    settings.OPS_WEBHOOK_RETRY_SECONDS = 30
    assert [sending.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_a_receiver_that_hangs_times_out(eager, loopback, settings, team, member):
    settings.OPS_WEBHOOK_TIMEOUT = 0.5
    settings.OPS_WEBHOOK_MAX_ATTEMPTS = 1
    operation = OperationFactory(team=team, owner=member)
    with Receiver("s" * 32, answers=["hang"]) as receiver:
        endpoint = endpoint_for(receiver.url)
        delivery = Delivery.objects.create(
            endpoint=endpoint, event="operation.moved", payload={"id": operation.pk}
        )
        started = time.monotonic()
        delivery = sending.attempt(delivery.pk)
        took = time.monotonic() - started
    assert took < 2
    assert delivery.status == Status.FAILED
    assert "no answer within 0.5 s" in delivery.error
    assert delivery.response_status is None


def test_an_endpoint_is_paused_after_repeated_failures(
    eager, loopback, settings, team, member, django_capture_on_commit_callbacks
):
    settings.OPS_WEBHOOK_MAX_ATTEMPTS = 2
    settings.OPS_WEBHOOK_PAUSE_AFTER = 3
    operation = OperationFactory(team=team, owner=member)
    with Receiver("s" * 32, answers=[500]) as receiver:
        endpoint = endpoint_for(receiver.url, events=["operation.moved", "operation.changed"])
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member)
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member, to=Phase.AUTOMATE)
        endpoint.refresh_from_db()
        assert endpoint.paused_at is not None
        assert "3 failed attempts in a row" in endpoint.paused_reason
        sent = len(receiver.requests)
        assert sent == 3, "the fourth attempt is skipped: the endpoint is paused"
        with django_capture_on_commit_callbacks(execute=True):
            move(operation, member, to=Phase.COST_OPTIMIZE)
        assert len(receiver.requests) == sent
    statuses = list(Delivery.objects.order_by("id").values_list("status", flat=True))
    assert statuses == [Status.FAILED, Status.SKIPPED]


def test_a_loopback_address_is_refused_at_delivery_unless_allowed(team, member, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = False
    settings.OPS_WEBHOOK_MAX_ATTEMPTS = 1
    with Receiver("s" * 32) as receiver:
        endpoint = endpoint_for(receiver.url)
        delivery = Delivery.objects.create(endpoint=endpoint, event="operation.moved", payload={})
        delivery = sending.attempt(delivery.pk)
        assert receiver.requests == []
    assert delivery.status == Status.FAILED and "private network" in delivery.error


def test_a_delivery_whose_endpoint_was_deleted_is_let_go(team, member):
    """A task for a delivery deleted since (its endpoint removed, or a queue left from
    another run) sends nothing and does not fail the worker."""
    from opsmaturity.webhooks.tasks import deliver

    assert deliver(987654321) == "gone"
