"""The integrations pages: staff keep the signed webhooks, a team's managers its chat
channels; every change by the page, refused to whom it is not for; the delivery log."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.webhooks import services
from opsmaturity.webhooks.models import Delivery, Endpoint, Kind, Status
from opsmaturity.webhooks.tasks import prune
from tests.permission_table import ROLES
from tests.teams.factories import TeamFactory

from .receiver import Receiver

pytestmark = pytest.mark.django_db

ANON, OUTSIDER, MEMBER, MANAGER, STAFF = ROLES


@pytest.fixture(autouse=True)
def public_hosts(monkeypatch):
    """The example hosts resolve to a public address (no DNS here); others as they do."""
    import socket

    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host.endswith(("example.com", "slack.com", "office.com")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("opsmaturity.webhooks.addresses.socket.getaddrinfo", resolve)


@pytest.fixture
def users(manager, member, outsider, staff):
    return {OUTSIDER: outsider, MEMBER: member, MANAGER: manager, STAFF: staff}


def sign_in(client, users, role):
    if role != ANON:
        client.force_login(users[role])


def webhook(url="https://hooks.example.com/ops", **kwargs):
    kwargs.setdefault("events", ["operation.moved"])
    return Endpoint.objects.create(url=url, secret="s" * 32, **kwargs)


def chat(team, url="https://hooks.slack.com/services/T000/B000/XXXXSECRET", **kwargs):
    kwargs.setdefault("events", ["operation.moved"])
    return Endpoint.objects.create(kind=Kind.SLACK, team=team, url=url, **kwargs)


def failed_delivery(endpoint, **kwargs):
    values = {"event": "operation.moved", "payload": {}, "status": Status.FAILED, "attempts": 6}
    return Delivery.objects.create(endpoint=endpoint, **{**values, **kwargs})


# --- who may do what --------------------------------------------------------------------

# per role: anonymous, outsider, member, manager (of the channel's team), staff
WEBHOOK_CHANGES = ["login", 403, 403, 403, "done"]
CHAT_CHANGES = ["login", 403, 403, "done", "done"]
# a manager of another team is offered only their own teams: refused at the field
CONNECT = ["login", "refused", 403, "done", "done"]


def add_webhook(team):
    data = {"url": "https://hooks.example.com/new", "events": ["flag.opened"], "is_active": "on"}
    return (
        reverse("webhooks:webhook_new"),
        data,
        lambda: Endpoint.objects.filter(url="https://hooks.example.com/new").exists(),
    )


def add_channel(team):
    data = {
        "kind": "teams",
        "team": team.pk,
        "url": "https://example.webhook.office.com/webhookb2/abc",
        "events": ["operation.moved"],
        "is_active": "on",
    }
    return (
        reverse("webhooks:chat_new"),
        data,
        lambda: Endpoint.objects.filter(kind=Kind.TEAMS, team=team).exists(),
    )


def edit(endpoint_of):
    def action(team):
        endpoint = endpoint_of(team)
        data = {"url": endpoint.url, "description": "edited", "events": ["flag.opened"]}
        if endpoint.kind != Kind.WEBHOOK:
            data.update(kind=endpoint.kind, team=team.pk)
        url = reverse("webhooks:detail", args=[endpoint.pk])
        return url, data, lambda: Endpoint.objects.filter(description="edited").exists()

    return action


def resume(endpoint_of):
    def action(team):
        endpoint = endpoint_of(team)
        Endpoint.objects.filter(pk=endpoint.pk).update(
            paused_at=timezone.now(), paused_reason="15 failed", failures=15
        )
        url = reverse("webhooks:resume", args=[endpoint.pk])
        return url, {}, lambda: Endpoint.objects.get(pk=endpoint.pk).paused_at is None

    return action


def delete(endpoint_of):
    def action(team):
        endpoint = endpoint_of(team)
        url = reverse("webhooks:delete", args=[endpoint.pk])
        return url, {}, lambda: not Endpoint.objects.filter(pk=endpoint.pk).exists()

    return action


def ping(endpoint_of):
    def action(team):
        endpoint = endpoint_of(team)
        url = reverse("webhooks:test", args=[endpoint.pk])
        return url, {}, lambda: Delivery.objects.filter(endpoint=endpoint, event="ping").exists()

    return action


def redeliver(endpoint_of):
    def action(team):
        endpoint = endpoint_of(team)
        delivery = failed_delivery(endpoint)
        url = reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk])
        return url, {}, lambda: Delivery.objects.get(pk=delivery.pk).status == Status.PENDING

    return action


def new_secret(team):
    endpoint = webhook()
    url = reverse("webhooks:secret", args=[endpoint.pk])
    return url, {}, lambda: Endpoint.objects.get(pk=endpoint.pk).secret != "s" * 32


TABLE = {
    "add a webhook": (add_webhook, WEBHOOK_CHANGES),
    "edit a webhook": (edit(lambda team: webhook()), WEBHOOK_CHANGES),
    "resume a webhook": (resume(lambda team: webhook()), WEBHOOK_CHANGES),
    "delete a webhook": (delete(lambda team: webhook()), WEBHOOK_CHANGES),
    "test a webhook": (ping(lambda team: webhook()), WEBHOOK_CHANGES),
    "send a webhook delivery again": (redeliver(lambda team: webhook()), WEBHOOK_CHANGES),
    "make a webhook's new secret": (new_secret, WEBHOOK_CHANGES),
    "connect a channel": (add_channel, CONNECT),
    "edit a channel": (edit(chat), CHAT_CHANGES),
    "resume a channel": (resume(chat), CHAT_CHANGES),
    "delete a channel": (delete(chat), CHAT_CHANGES),
    "test a channel": (ping(chat), CHAT_CHANGES),
    "send a channel delivery again": (redeliver(chat), CHAT_CHANGES),
}


@pytest.mark.parametrize(
    "name,role,expected",
    [
        pytest.param(name, role, outcome, id=f"{name}-{role}")
        for name, (_action, row) in TABLE.items()
        for role, outcome in zip(ROLES, row, strict=True)
    ],
)
def test_who_may_change_integrations(
    client, users, team, name, role, expected, django_capture_on_commit_callbacks
):
    action = TABLE[name][0]
    url, data, happened = action(team)
    sign_in(client, users, role)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, data)
    if expected == "done":
        assert response.status_code in (200, 302), response.content.decode()[:600]
        assert happened()
    elif expected == "refused":
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not happened()
    elif expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert not happened()
    else:
        assert response.status_code == expected
        assert not happened()


@pytest.mark.parametrize(
    "role,status", [(OUTSIDER, 200), (MEMBER, 403), (MANAGER, 200), (STAFF, 200)]
)
def test_the_page_is_for_staff_and_managers(client, users, team, role, status):
    """A member keeps no integration; a manager of another team sees only theirs."""
    chat(team)
    webhook(description="All teams' events")
    sign_in(client, users, role)
    response = client.get(reverse("webhooks:index"))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert ("https://hooks.slack.com/services/…" in page) == (role != OUTSIDER)
        assert "XXXXSECRET" not in page, "a channel's address is as good as a password"
        assert ("All teams&#x27; events" in page) == (role == STAFF)


def test_a_manager_keeps_only_their_own_teams_channels(client, manager, team):
    other = TeamFactory(name="Risk")
    theirs = chat(other, url="https://hooks.slack.com/services/OTHER/TEAM/X")
    client.force_login(manager)
    page = client.get(reverse("webhooks:index")).content.decode()
    assert "OTHER" not in page
    assert client.get(reverse("webhooks:detail", args=[theirs.pk])).status_code == 403
    data = {
        "kind": "slack",
        "team": other.pk,
        "url": "https://hooks.slack.com/services/MINE/X/Y",
        "events": ["operation.moved"],
    }
    response = client.post(reverse("webhooks:chat_new"), data)
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Endpoint.objects.filter(url__contains="MINE").exists()


# --- the forms -------------------------------------------------------------------------


def test_a_new_webhook_shows_its_secret_once(client, staff):
    client.force_login(staff)
    data = {"url": "https://hooks.example.com/ops", "events": ["flag.opened", "operation.moved"]}
    response = client.post(reverse("webhooks:webhook_new"), data)
    endpoint = Endpoint.objects.get()
    assert endpoint.created_by == staff
    assert endpoint.events == ["flag.opened", "operation.moved"]
    assert endpoint.secret in response.content.decode()
    later = client.get(reverse("webhooks:detail", args=[endpoint.pk]))
    assert endpoint.secret not in later.content.decode()


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"url": "not an address", "events": ["flag.opened"]}, "url", "full web address"),
        ({"url": "http://127.0.0.1:9/x", "events": ["flag.opened"]}, "url", ""),
        ({"url": "https://hooks.example.com/x"}, "events", "at least one event"),
        ({"url": "https://hooks.example.com/x", "events": ["ping"]}, "events", ""),
        (
            {"url": "https://hooks.example.com/x", "events": ["flag.opened"], "secret": "short"},
            "secret",
            "",
        ),
    ],
)
def test_a_bad_webhook_is_refused_at_its_field(client, staff, data, field, message):
    client.force_login(staff)
    response = client.post(reverse("webhooks:webhook_new"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Endpoint.objects.exists()


def test_a_bad_edit_keeps_what_is_saved(client, staff):
    endpoint = webhook(description="Saved")
    client.force_login(staff)
    url = reverse("webhooks:detail", args=[endpoint.pk])
    response = client.post(url, {"url": "ftp://nowhere", "description": "Typed", "events": []})
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.description == "Saved" and endpoint.url == "https://hooks.example.com/ops"
    assert 'value="Typed"' in response.content.decode(), "what was typed is shown back"


def test_a_channel_needs_events_or_the_summary(client, manager, team):
    client.force_login(manager)
    data = {"kind": "slack", "team": team.pk, "url": "https://hooks.slack.com/services/A/B/C"}
    response = client.post(reverse("webhooks:chat_new"), data)
    assert response.status_code == 200
    assert "weekly summary" in " ".join(response.context["form"].errors["events"])
    data["weekly_summary"] = "on"
    assert client.post(reverse("webhooks:chat_new"), data).status_code == 302
    assert Endpoint.objects.get().created_by == manager


def test_the_channel_form_starts_on_the_team_asked_for(client, manager, team):
    client.force_login(manager)
    form = client.get(reverse("webhooks:chat_new"), {"team": team.pk}).context["form"]
    assert form.initial["team"] == team.pk
    foreign = TeamFactory().pk
    form = client.get(reverse("webhooks:chat_new"), {"team": foreign}).context["form"]
    assert "team" not in form.initial
    assert client.get(reverse("webhooks:chat_new"), {"team": "x'"}).status_code == 200


# --- using it --------------------------------------------------------------------------


def test_a_test_delivery_reaches_a_real_receiver_signed(
    eager, loopback, client, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with Receiver("s" * 32) as receiver:
        endpoint = webhook(url=receiver.url, events=["flag.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("webhooks:test", args=[endpoint.pk]))
        response = client.get(reverse("webhooks:detail", args=[endpoint.pk]))
        assert len(receiver.requests) == 1
        headers, body, valid = receiver.requests[0]
    assert valid, "signed with the endpoint's secret"
    assert headers["X-Ops-Event"] == "ping"
    delivery = Delivery.objects.get()
    assert delivery.status == Status.DELIVERED and delivery.event == "ping"
    page = response.content.decode()
    assert "Test delivery" in page and "Delivered" in page


def test_a_test_message_reaches_a_channel_in_words(
    eager, loopback, client, manager, team, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with Receiver("unused") as receiver:
        channel = chat(team, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("webhooks:test", args=[channel.pk]))
        body = receiver.requests[0][1].decode()
    assert "this channel is connected" in body


def test_a_paused_endpoint_says_why_and_sends_no_test(client, staff):
    endpoint = webhook()
    Endpoint.objects.filter(pk=endpoint.pk).update(
        paused_at=timezone.now(), paused_reason="15 failed attempts in a row; the last: 500"
    )
    client.force_login(staff)
    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "15 failed attempts in a row; the last: 500" in page and "Resume" in page
    response = client.post(reverse("webhooks:test", args=[endpoint.pk]), follow=True)
    assert "resume it" in response.content.decode()
    assert not Delivery.objects.exists()


def test_a_failed_delivery_is_sent_again_once(client, staff, django_capture_on_commit_callbacks):
    endpoint = webhook()
    delivery = failed_delivery(endpoint, error="no answer within 5 s")
    client.force_login(staff)
    url = reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk])
    with django_capture_on_commit_callbacks(execute=False) as started:
        client.post(url)
        client.post(url)  # a double click: it is under way, not failed, any more
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (Status.PENDING, 0, "")
    assert len(started) == 1
    other = webhook(url="https://hooks.example.com/other")
    assert (
        client.post(reverse("webhooks:redeliver", args=[other.pk, delivery.pk])).status_code == 404
    ), "a delivery of another endpoint"


def test_the_log_pages_and_the_partial(client, staff):
    endpoint = webhook()
    for i in range(30):
        failed_delivery(endpoint, response_status=500, response_excerpt=f"answer {i}")
    client.force_login(staff)
    url = reverse("webhooks:detail", args=[endpoint.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 2" in first
    partial = client.get(url, {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card" id="log"')
    assert partial.count("<tr>") == 1 + 5


def test_deleting_takes_the_log_along(client, staff):
    endpoint = webhook()
    failed_delivery(endpoint)
    client.force_login(staff)
    response = client.post(reverse("webhooks:delete", args=[endpoint.pk]), follow=True)
    assert not Delivery.objects.exists()
    assert "is deleted, with its log" in response.content.decode()


def test_the_log_keeps_what_is_still_to_be_sent(settings):
    settings.OPS_WEBHOOK_KEEP_DAYS = 30
    endpoint = webhook()
    old = timezone.now() - dt.timedelta(days=31)
    for status in (Status.DELIVERED, Status.FAILED, Status.SKIPPED):
        failed_delivery(endpoint, status=status, created_at=old)
    waiting = failed_delivery(endpoint, status=Status.RETRYING, created_at=old)
    recent = failed_delivery(endpoint, status=Status.DELIVERED)
    assert services.prune(batch=2) == 3
    assert set(Delivery.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert prune() == 0, "run again, nothing more"


def test_the_prune_runs_every_day(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-prune"]
    assert entry["task"] == prune.name
