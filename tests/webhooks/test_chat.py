"""A team's Slack and Microsoft Teams channels: messages for people, with links back,
only about the team's own operations; a weekly summary, once a week."""

import json

import pytest

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations import services
from opsmaturity.operations.phases import Phase
from opsmaturity.webhooks.models import Delivery, Endpoint, Kind, Status
from opsmaturity.webhooks.summaries import send_weekly_summaries
from tests.operations.factories import OperationFactory
from tests.permission_table import ROLES
from tests.teams.factories import TeamFactory

from .receiver import Receiver

pytestmark = pytest.mark.django_db
URL = "/api/v1/chat-channels/"


def channel(team, url, kind=Kind.SLACK, **kwargs):
    kwargs.setdefault("events", ["operation.moved"])
    return Endpoint.objects.create(kind=kind, team=team, url=url, secret="s" * 32, **kwargs)


@pytest.mark.parametrize("kind", [Kind.SLACK, Kind.TEAMS])
def test_a_move_is_worded_for_the_teams_chat(
    kind, eager, loopback, team, member, django_capture_on_commit_callbacks
):
    operation = OperationFactory(name="Refund <check>", team=team, owner=member)
    elsewhere = OperationFactory(name="Risk review", team=TeamFactory(name="Risk"), owner=member)
    with Receiver("s" * 32) as receiver:
        channel(team, receiver.url, kind=kind)
        with django_capture_on_commit_callbacks(execute=True):
            services.move_phase(operation, Phase.STANDARDIZE, by=member, note="Runbook")
            services.move_phase(elsewhere, Phase.STANDARDIZE, by=member, note="Runbook")
        assert len(receiver.requests) == 1, "only the team's own operations"
        message = json.loads(receiver.requests[0][1])
    link = f"/ops/{operation.pk}/"
    if kind == Kind.SLACK:
        text = message["text"]
        block = message["blocks"][0]
        assert "Refund &lt;check&gt;" in block["text"]["text"]
        assert block["accessory"]["url"].endswith(link)
    else:
        card = message["attachments"][0]["content"]
        assert card["type"] == "AdaptiveCard"
        text = card["body"][0]["text"]
        assert card["actions"][0]["url"].endswith(link)
    assert "Ann Lee moved “Refund <check>” (Billing) from Launch to Standardize." in text
    assert Delivery.objects.get().status == Status.DELIVERED


def test_messages_speak_the_installations_language(
    eager, loopback, settings, team, member, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "ja"
    operation = OperationFactory(name="返金確認", team=team, owner=member)
    with Receiver("s" * 32) as receiver:
        channel(team, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            services.move_phase(operation, Phase.STANDARDIZE, by=member, note="手順書あり")
        text = json.loads(receiver.requests[0][1])["text"]
    assert "返金確認" in text and "手順書あり" in text
    assert "moved" not in text and "Standardize" not in text


def test_the_weekly_summary_goes_out_once_a_week(eager, loopback, team, member):
    stalled = OperationFactory.days_in_phase(90, team=team, owner=member)
    Flag.objects.create(operation=stalled, kind=FlagKind.STALLED)
    with Receiver("s" * 32) as receiver:
        channel(team, receiver.url, events=[], weekly_summary=True)

        assert send_weekly_summaries() == 1
        assert send_weekly_summaries() == 0, "claimed: the same week is not sent twice"
        from opsmaturity.webhooks.tasks import deliver

        deliver(Delivery.objects.get().pk)
        text = json.loads(receiver.requests[0][1])["text"]
    assert text.startswith("This week in Billing:") and "Stalled in launch: 1" in text


@pytest.fixture
def people(manager, member, outsider, staff):
    return {"outsider": outsider, "member": member, "manager": manager, "staff": staff}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_teams_managers_keep_its_channels(api, people, team, role, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    existing = channel(team, "http://127.0.0.1:9/a")
    if role != "anonymous":
        api.force_authenticate(people[role])
    body = {
        "kind": "teams",
        "team": team.pk,
        "url": "http://127.0.0.1:9/b",
        "events": ["flag.opened"],
    }
    created = api.post(URL, body, format="json").status_code
    edited = api.patch(f"{URL}{existing.pk}/", {"weekly_summary": True}, format="json")
    listed = api.get(URL)
    expected = {
        "anonymous": (401, 401, 401),
        "outsider": (400, 403, 200),  # manages another team: Billing is not a choice
        "member": (403, 403, 200),
        "manager": (201, 200, 200),
        "staff": (201, 200, 200),
    }[role]
    assert (created, edited.status_code, listed.status_code) == expected
    allowed = role in ("manager", "staff")
    assert Endpoint.objects.count() == (2 if allowed else 1)
    assert Endpoint.objects.get(pk=existing.pk).weekly_summary == allowed
    if role in ("outsider", "member"):
        assert listed.json()["results"] == []


def test_a_channel_needs_events_or_the_summary(api, manager, team, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    api.force_authenticate(manager)
    body = {"kind": "slack", "team": team.pk, "url": "http://127.0.0.1:9/", "events": []}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400 and "weekly summary" in response.json()["events"][0]
