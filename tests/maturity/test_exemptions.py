"""Snoozing flags: who may, what it hides, and that it comes back by itself."""

import datetime as dt
import time

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from opsmaturity.dashboard.metrics import Scope, flag_counts
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption, FlagKind
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.permission_table import ROLES
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TASK_ID = "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77"


@pytest.fixture
def world():
    team = TeamFactory(name="Billing")
    users = {
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=TeamFactory(name="Risk"), role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    op = OperationFactory(name="Invoice matching", team=team)
    flag = Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    return {"team": team, "users": users, "op": op, "flag": flag}


def in_future(days):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def snooze(client, flag, days=10, reason="Waiting for the new vendor contract"):
    return client.post(
        reverse("maturity:snooze", args=[flag.pk]), {"until": in_future(days), "reason": reason}
    )


def test_manager_snoozes_and_the_flag_leaves_lists_and_dashboard(client, world):
    manager, flag = world["users"]["manager"], world["flag"]
    client.force_login(manager)
    response = snooze(client, flag)
    assert response.status_code == 302
    # the message writes the day as every page does, not as 2026-03-12
    until = timezone.localdate() + dt.timedelta(days=10)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == f"Snoozed until {date_format(until, 'DATE_FORMAT')}."
    assert until.isoformat() not in message
    flag.refresh_from_db()
    assert flag.is_snoozed and flag.snoozed_by == manager
    assert not Flag.objects.current().exists()
    page = client.get(reverse("operations:list"), {"scope": "all", "flag": "stalled"})
    assert "0 operations" in page.content.decode()
    assert flag_counts(Scope(manager, "managed"))[FlagKind.STALLED] == 0
    # the operation's page still shows it, snoozed, with who and why
    page = client.get(world["op"].get_absolute_url()).content.decode()
    assert "Snoozed until" in page and "Waiting for the new vendor contract" in page
    history = FlagExemption.objects.get()
    assert (history.action, history.by) == (ExemptionAction.GRANTED, manager)


def test_a_snooze_ends_by_itself_the_day_after(client, world):
    flag = world["flag"]
    client.force_login(world["users"]["manager"])
    snooze(client, flag, days=3)
    last_day = timezone.localdate() + dt.timedelta(days=3)
    with time_machine.travel(dt.datetime.combine(last_day, dt.time(18)).astimezone(), tick=False):
        assert not Flag.objects.current().exists()
    with time_machine.travel(
        dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(8)).astimezone(), tick=False
    ):
        assert Flag.objects.current().get() == flag


def test_member_asks_and_manager_grants(client, world):
    flag = world["flag"]
    client.force_login(world["users"]["member"])
    assert snooze(client, flag, days=20, reason="Regulator review pending").status_code == 302
    flag.refresh_from_db()
    assert flag.snooze_requested and not flag.is_snoozed
    assert Flag.objects.current().get() == flag  # still shown until a manager decides
    client.force_login(world["users"]["manager"])
    client.post(reverse("maturity:decide", args=[flag.pk]), {"decision": "grant"})
    flag.refresh_from_db()
    assert flag.is_snoozed and flag.snoozed_until.isoformat() == in_future(20)
    assert flag.snooze_reason == "Regulator review pending"
    assert list(FlagExemption.objects.values_list("action", flat=True)) == [
        ExemptionAction.REQUESTED,
        ExemptionAction.GRANTED,
    ]


def test_manager_declines_a_request(client, world):
    flag = world["flag"]
    client.force_login(world["users"]["member"])
    snooze(client, flag)
    client.force_login(world["users"]["manager"])
    client.post(
        reverse("maturity:decide", args=[flag.pk]),
        {"decision": "decline", "reason": "Standardize it instead"},
    )
    flag.refresh_from_db()
    assert not flag.snooze_requested and not flag.is_snoozed
    assert FlagExemption.objects.last().reason == "Standardize it instead"


def test_lifting_a_snooze_brings_the_flag_back(client, world):
    flag = world["flag"]
    client.force_login(world["users"]["manager"])
    snooze(client, flag)
    client.post(reverse("maturity:lift", args=[flag.pk]))
    assert Flag.objects.current().get() == flag
    assert FlagExemption.objects.last().action == ExemptionAction.LIFTED


@pytest.mark.parametrize(
    ("until", "reason", "field", "message"),
    [
        (-1, "x", "until", "Choose a day after today."),
        (0, "x", "until", "Choose a day after today."),
        (400, "x", "until", "a year at most"),
        (10, "   ", "reason", "Say why this flag can wait."),
    ],
)
def test_bad_snooze_input_gets_a_message(client, world, until, reason, field, message):
    client.force_login(world["users"]["manager"])
    response = client.post(
        reverse("maturity:snooze", args=[world["flag"].pk]),
        {"until": in_future(until), "reason": reason},
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not FlagExemption.objects.exists()
    world["flag"].refresh_from_db()
    assert not world["flag"].is_snoozed


def do_snooze(client, world):
    return snooze(client, world["flag"]), lambda: FlagExemption.objects.exists()


def do_lift(client, world):
    flag = world["flag"]
    Flag.objects.filter(pk=flag.pk).update(
        snoozed_until=timezone.localdate() + dt.timedelta(days=5)
    )
    return (
        client.post(reverse("maturity:lift", args=[flag.pk])),
        lambda: FlagExemption.objects.filter(action="lifted").exists(),
    )


def do_decide(client, world):
    flag = world["flag"]
    Flag.objects.filter(pk=flag.pk).update(snooze_requested=True)
    FlagExemption.objects.create(
        flag=flag,
        action="requested",
        until=timezone.localdate() + dt.timedelta(days=5),
        reason="please",
    )
    return (
        client.post(reverse("maturity:decide", args=[flag.pk]), {"decision": "grant"}),
        lambda: FlagExemption.objects.filter(action="granted").exists(),
    )


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (do_snooze, ["login", 403, "ok", "ok", "ok"]),
        (do_lift, ["login", 403, 403, "ok", "ok"]),
        (do_decide, ["login", 403, 403, "ok", "ok"]),
    ],
)
@pytest.mark.parametrize("role_index", range(len(ROLES)))
def test_exemption_permissions(client, world, action, expected, role_index):
    role = ROLES[role_index]
    if role != "anonymous":
        client.force_login(world["users"][role])
    response, happened = action(client, world)
    outcome = expected[role_index]
    if outcome == "ok":
        assert response.status_code == 302 and happened()
    elif outcome == "login":
        assert response["Location"].startswith(reverse("login")) and not happened()
    else:
        assert response.status_code == outcome and not happened()


# --- check now -------------------------------------------------------------------


def test_check_now_sends_the_scan_and_polls_for_it(client, world, monkeypatch):
    sent = {}

    class Result:
        id = "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77"

    def fake_publish(task, **kwargs):
        sent.update(task=task.name, **kwargs)
        return Result()

    monkeypatch.setattr("opsmaturity.maturity.views.publish", fake_publish)
    client.force_login(world["users"]["member"])
    response = client.post(
        reverse("maturity:check-operation", args=[world["op"].pk]), headers={"HX-Request": "true"}
    )
    assert sent == {
        "task": "opsmaturity.maturity.scan_operations",
        "operation_ids": [world["op"].pk],
    }
    body = response.content.decode()
    assert "Checking…" in body and reverse("maturity:check-status", args=[Result.id]) in body


def test_check_status_refreshes_the_page_when_done(client, world, monkeypatch):
    def done(task_id):
        return "SUCCESS", {"opened": 2, "resolved": 1}

    monkeypatch.setattr("opsmaturity.maturity.views.task_outcome", done)
    client.force_login(world["users"]["member"])
    response = client.get(
        reverse("maturity:check-status", args=[TASK_ID]), headers={"HX-Request": "true"}
    )
    assert response["HX-Refresh"] == "true"
    page = client.get(world["op"].get_absolute_url()).content.decode()
    assert "Checked: 2 flags opened, 1 resolved." in page


def test_check_now_when_the_broker_is_down_answers_fast_and_the_rest_works(
    client, world, dead_broker
):
    client.force_login(world["users"]["manager"])
    started = time.monotonic()
    response = client.post(
        reverse("maturity:check-operation", args=[world["op"].pk]), headers={"HX-Request": "true"}
    )
    assert time.monotonic() - started < 2
    assert "cannot be reached" in response.content.decode()
    started = time.monotonic()
    response = client.post(reverse("maturity:check-team", args=[world["team"].pk]))
    assert time.monotonic() - started < 2
    assert response.status_code == 302
    for url in (
        reverse("operations:list"),
        world["op"].get_absolute_url(),
        reverse("dashboard:index"),
        reverse("operations:edit", args=[world["op"].pk]),
    ):
        assert client.get(url).status_code == 200


def test_check_now_needs_edit_rights(client, world):
    client.force_login(world["users"]["outsider"])
    assert (
        client.post(reverse("maturity:check-operation", args=[world["op"].pk])).status_code == 403
    )
    assert client.post(reverse("maturity:check-team", args=[world["team"].pk])).status_code == 404


def test_a_snoozed_flag_stays_out_of_the_owners_digest(client, world):
    from opsmaturity.digests.building import build_digest

    owner = world["op"].owner
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert build_digest(owner, monday).operation_count == 1
    client.force_login(world["users"]["manager"])
    snooze(client, world["flag"])
    assert build_digest(owner, monday).operation_count == 0


def test_check_status_gives_up_polling_when_no_worker_answers(client, world):
    client.force_login(world["users"]["member"])
    url = reverse("maturity:check-status", args=[TASK_ID])
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200 and f"{url}?poll=1" in first.content.decode()
    last = client.get(url, {"poll": "39"}, headers={"HX-Request": "true"})
    assert last.status_code == 286  # htmx: stop polling
    assert "the worker may not be running" in last.content.decode()


def test_a_task_id_that_is_not_one_is_404(client, world):
    client.force_login(world["users"]["member"])
    assert client.get(f"/maturity/checks/{'x' * 300}/").status_code == 404


def test_managers_see_snooze_requests_on_the_dashboard_the_list_and_the_digest(client, world):
    from opsmaturity.digests.building import build_digest

    flag = world["flag"]
    client.force_login(world["users"]["member"])
    snooze(client, flag, days=14, reason="Vendor migration in December")
    manager = world["users"]["manager"]
    client.force_login(manager)
    page = client.get(world["op"].get_absolute_url()).content.decode()
    assert "asked to snooze it until" in page and "Vendor migration in December" in page
    dashboard = client.get(reverse("dashboard:index"))
    assert dashboard.context["counts"]["snooze_requested"] == 1
    assert "1 snooze request waits for a decision" in dashboard.content.decode()
    listed = client.get(
        reverse("operations:list"), {"scope": "managed", "flag": "snooze_requested"}
    )
    assert "1 operation" in listed.content.decode()
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    assert build_digest(manager, monday).teams.snooze_requests == 1


def test_snoozed_flags_can_be_listed(client, world):
    client.force_login(world["users"]["manager"])
    snooze(client, world["flag"])
    listed = client.get(reverse("operations:list"), {"scope": "all", "flag": "snoozed"})
    assert "Invoice matching" in listed.content.decode()
    dashboard = client.get(reverse("dashboard:index"))
    assert dashboard.context["counts"]["snoozed"] == 1
    # a snoozed stalled operation still has not moved on
    assert dashboard.context["conversion"]["base"] == 1


def test_a_too_long_decision_reason_is_refused_with_a_message(client, world):
    flag = world["flag"]
    client.force_login(world["users"]["member"])
    snooze(client, flag)
    client.force_login(world["users"]["manager"])
    response = client.post(
        reverse("maturity:decide", args=[flag.pk]),
        {"decision": "decline", "reason": "x" * 501},
        follow=True,
    )
    assert "at most 500 characters" in response.content.decode()
    flag.refresh_from_db()
    assert flag.snooze_requested  # nothing decided
