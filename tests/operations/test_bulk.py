"""Bulk changes from the list: review what will change, then confirm; all or nothing,
through the same services (and so the same history) as the one-by-one pages."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opsmaturity.maturity import exemptions
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption, FlagKind
from opsmaturity.operations import bulk, services
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from opsmaturity.webhooks.models import Delivery, Endpoint
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

BULK = reverse("operations:bulk")
DONE = reverse("operations:bulk_done")
NOTE = "Runbooks written in the November push"


@pytest.fixture
def world():
    """Billing (its manager, a member, staff), and Risk (another team and its manager)."""
    billing, risk = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "outsider": UserFactory(username="outsider", first_name="Zed", last_name="Other"),
        "member": UserFactory(username="member", first_name="Ann", last_name="Lee"),
        "manager": UserFactory(username="manager", first_name="Mika", last_name="Morita"),
        "staff": UserFactory(username="staff", is_staff=True),
        "newcomer": UserFactory(username="newcomer", first_name="Noa", last_name="Ito"),
    }
    MembershipFactory(user=users["outsider"], team=risk, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=billing, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=billing, role=Role.MANAGER)
    MembershipFactory(user=users["newcomer"], team=billing, role=Role.MEMBER)
    owner = users["member"]
    ops = [OperationFactory(name=f"Billing op {i}", team=billing, owner=owner) for i in range(3)]
    other = OperationFactory(name="Risk op", team=risk, owner=users["outsider"])
    return {"billing": billing, "risk": risk, "users": users, "ops": ops, "other": other}


def ids(*ops):
    return [f"{op.pk}:{op.version}" for op in ops]


def review(client, action, selected, **fields):
    return client.post(BULK, {"action": action, "ids": selected, "filters": "scope=all", **fields})


def confirm_data(response):
    """What the review page's confirm form sends: the reviewed change, as hidden fields."""
    context = response.context
    plan = context["plan"]
    data = {
        "action": context["action"],
        "filters": context["filters"],
        "confirm": "1",
        "ids": [line.token for line in plan.lines],
        "confirmed": [str(line.pk) for line in plan.changes],
    }
    data.update({name: str(value) for name, value in context["hidden"]})
    return data


def review_and_confirm(client, action, selected, **fields):
    response = review(client, action, selected, **fields)
    assert response.status_code == 200, response.content.decode()[:500]
    return client.post(BULK, confirm_data(response))


def moved(op):
    return Operation.objects.get(pk=op.pk).phase


# --- moves -----------------------------------------------------------------------------


def test_a_move_is_reviewed_first_and_nothing_changes_before_confirming(client, world):
    a, b, c = world["ops"]
    client.force_login(world["users"]["manager"])
    response = review(client, "move", ids(a, b), to_phase="standardize", note=NOTE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Move them to Standardize" in html and "Change these 2 operations" in html
    assert [line.name for line in response.context["plan"].changes] == [
        "Billing op 0",
        "Billing op 1",
    ]
    assert moved(a) == Phase.LAUNCH and not PhaseTransition.objects.filter(note=NOTE).exists()

    response = client.post(BULK, confirm_data(response))
    assert response.status_code == 302 and response["Location"] == DONE
    assert moved(a) == moved(b) == Phase.STANDARDIZE and moved(c) == Phase.LAUNCH
    done = client.get(DONE).content.decode()
    assert "<strong>2</strong> operations changed" in done and "Billing op 1" in done
    assert 'href="/ops/?scope=all"' in done  # back to the list as it was filtered


def test_a_bulk_move_writes_the_same_history_as_a_move_one_by_one(client, world):
    a, b, _c = world["ops"]
    manager = world["users"]["manager"]
    services.move_phase(b, "standardize", by=manager, note=NOTE)
    client.force_login(manager)
    review_and_confirm(client, "move", ids(a), to_phase="standardize", note=NOTE)
    fields = ["from_phase", "to_phase", "by", "note", "team", "monthly_cost", "monthly_value"]
    one, many = (
        PhaseTransition.objects.filter(operation=op, to_phase="standardize").values(*fields).get()
        for op in (b, a)
    )
    assert one == many
    bulk_row = PhaseTransition.objects.get(operation=a, to_phase="standardize")
    assert bulk_row.from_phase_entered_at == a.phase_entered_at
    assert Operation.objects.get(pk=a.pk).version == a.version + 1


def test_a_move_that_needs_a_note_is_refused_without_one(client, world):
    a, b, _c = world["ops"]
    Operation.objects.filter(pk=b.pk).update(phase=Phase.AUTOMATE)
    client.force_login(world["users"]["member"])
    response = review(client, "move", ids(a, b), to_phase="automate")
    plan = response.context["plan"]
    (refused,) = plan.refused
    assert refused.pk == a.pk and refused.why == "Skipping Standardize: say why it is not needed."
    (skipped,) = plan.skipped
    assert skipped.pk == b.pk and skipped.why == "It is in Automate already."
    assert not plan.changes and "There is nothing to change." in response.content.decode()


def test_a_phase_must_be_chosen(client, world):
    a = world["ops"][0]
    client.force_login(world["users"]["member"])
    response = review(client, "move", ids(a))
    assert response.status_code == 400
    assert "Choose the phase they move to." in response.content.decode()
    assert "Move to a phase</strong> · 1 operation selected" in response.content.decode()
    # the selection is kept, to send again once the phase is chosen
    assert f'name="ids" value="{a.pk}:{a.version}"' in response.content.decode()


# --- all or nothing, and conflicts ----------------------------------------------------------


def test_an_operation_changed_since_the_review_stops_the_whole_change(client, world):
    a, b, _c = world["ops"]
    manager = world["users"]["manager"]
    client.force_login(manager)
    response = review(client, "move", ids(a, b), to_phase="standardize", note=NOTE)
    data = confirm_data(response)
    # someone edits b meanwhile
    services.update_operation(b, by=manager, changes={"monthly_volume": 7}, expected_version=1)
    response = client.post(BULK, data)
    assert response.status_code == 409
    assert "Nothing was changed" in response.content.decode()
    assert moved(a) == moved(b) == Phase.LAUNCH
    assert not PhaseTransition.objects.filter(note=NOTE).exists()
    # the change as it stands now: b marked as changed meanwhile, and confirmable again
    plan = response.context["plan"]
    assert [line.pk for line in plan.stale] == [b.pk]
    assert "changed by someone else since you selected it" in response.content.decode()
    response = client.post(BULK, confirm_data(response))
    assert response.status_code == 302
    assert moved(a) == moved(b) == Phase.STANDARDIZE


def test_a_list_shown_before_an_edit_is_said_so_on_the_review(client, world):
    a = world["ops"][0]
    stale = ids(a)
    services.update_operation(a, by=world["users"]["member"], changes={}, expected_version=1)
    client.force_login(world["users"]["member"])
    response = review(client, "move", stale, to_phase="standardize", note=NOTE)
    assert response.status_code == 200
    (line,) = response.context["plan"].changes
    assert line.stale and line.token == f"{a.pk}:2"


def test_tampered_ids_are_refused_with_a_reason_and_change_nothing(client, world):
    a = world["ops"][0]
    client.force_login(world["users"]["member"])
    selected = [*ids(a, world["other"]), "999999:1"]
    response = review(client, "move", selected, to_phase="standardize", note=NOTE)
    why = {line.name: line.why for line in response.context["plan"].refused}
    assert why == {
        "Risk op": "You are not in Risk, which runs it.",
        "#999999": "There is no operation with this number (any more).",
    }
    # confirming anyway (a hand-made form): only what was allowed changes
    data = confirm_data(response)
    data["confirmed"] += [str(world["other"].pk), "999999"]
    response = client.post(BULK, data)
    assert response.status_code == 409
    assert moved(a) == Phase.LAUNCH and moved(world["other"]) == Phase.LAUNCH


@pytest.mark.parametrize("selected", [["abc"], ["1:2:3"], ["-4"], ["9" * 40]])
def test_a_selection_that_is_not_ours_is_refused_clearly(client, world, selected):
    client.force_login(world["users"]["member"])
    response = review(client, "move", selected, to_phase="standardize", note=NOTE)
    assert response.status_code == 302 and response["Location"] == "/ops/?scope=all"
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "The selection was not understood: go back to the list and select again."


def test_nothing_selected_says_so(client, world):
    client.force_login(world["users"]["member"])
    response = review(client, "move", [], to_phase="standardize", note=NOTE)
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "Select at least one operation first."


def test_every_operation_matching_the_filters(client, world):
    a, b, c = world["ops"]
    Operation.objects.filter(pk=c.pk).update(phase=Phase.AUTOMATE)
    client.force_login(world["users"]["manager"])
    data = {
        "action": "move",
        "everything": "on",
        "filters": f"scope=all&phase=launch&team={world['billing'].pk}",
        "to_phase": "standardize",
        "note": NOTE,
    }
    response = client.post(BULK, data)
    assert {line.pk for line in response.context["plan"].lines} == {a.pk, b.pk}
    client.post(BULK, confirm_data(response))
    assert moved(a) == moved(b) == Phase.STANDARDIZE
    assert moved(c) == Phase.AUTOMATE and moved(world["other"]) == Phase.LAUNCH


def test_at_most_a_thousand_at_once(client, world, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_OPERATIONS", 2)
    client.force_login(world["users"]["staff"])
    data = {"action": "move", "everything": "on", "filters": "scope=all", "to_phase": "retire"}
    response = client.post(BULK, {**data, "note": NOTE})
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (
        "At most 2 operations can be changed at once, and 4 are selected: narrow the "
        "filters and change them in parts."
    )
    response = review(client, "move", ids(*world["ops"]), to_phase="retire", note=NOTE)
    assert response.status_code == 302
    assert not Operation.objects.filter(phase=Phase.RETIRE).exists()


# --- owners and teams -----------------------------------------------------------------------


def test_a_manager_gives_operations_a_new_owner(client, world, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    Endpoint.objects.create(
        url="http://127.0.0.1:9/", events=["operation.changed"], secret="s" * 32
    )
    a, b, _c = world["ops"]
    newcomer = world["users"]["newcomer"]
    client.force_login(world["users"]["manager"])
    response = review(client, "owner", ids(a, b, world["other"]), owner=newcomer.username)
    plan = response.context["plan"]
    assert [line.after for line in plan.changes] == ["Noa Ito", "Noa Ito"]
    (refused,) = plan.refused
    assert refused.why == "Only a manager of Risk can reassign its owner."
    client.post(BULK, confirm_data(response))
    assert set(Operation.objects.filter(owner=newcomer).values_list("name", flat=True)) == {
        "Billing op 0",
        "Billing op 1",
    }
    # the same event as an edit's, one per operation
    payloads = [d.payload for d in Delivery.objects.filter(event="operation.changed")]
    assert sorted(p["operation"]["name"] for p in payloads) == ["Billing op 0", "Billing op 1"]
    assert all(p["fields"] == ["owner"] and p["by"]["name"] == "Mika Morita" for p in payloads)


def test_a_new_owner_outside_the_team_is_refused(client, world):
    client.force_login(world["users"]["staff"])
    response = review(client, "owner", ids(world["other"]), owner=world["users"]["member"].username)
    (refused,) = response.context["plan"].refused
    assert refused.why == "Ann Lee is not in Risk; choose someone from the team."


def test_an_owner_the_person_may_not_name_is_refused_at_the_field(client, world):
    client.force_login(world["users"]["manager"])
    response = review(client, "owner", ids(world["ops"][0]), owner="outsider")
    assert response.status_code == 400
    assert "Nobody you may choose has the username or email “outsider”" in response.content.decode()


def test_a_move_to_another_team_checks_owners_and_names(client, world):
    a, b, c = world["ops"]
    staff, outsider = world["users"]["staff"], world["users"]["outsider"]
    risk = world["risk"]
    Operation.objects.filter(pk=c.pk).update(name="Risk op")
    c.refresh_from_db()
    client.force_login(staff)
    response = review(client, "team", ids(a, c), team=risk.pk)
    why = {line.name: line.why for line in response.context["plan"].refused}
    assert why == {
        "Billing op 0": "Its owner, Ann Lee, is not in Risk: choose an owner in the new team too.",
        "Risk op": "Risk already has an operation called “Risk op”.",
    }
    response = review_and_confirm(
        client, "team", ids(a, b), team=risk.pk, team_owner=outsider.username
    )
    assert response.status_code == 302
    assert set(Operation.objects.filter(team=risk).values_list("name", "owner")) == {
        ("Risk op", outsider.pk),
        ("Billing op 0", outsider.pk),
        ("Billing op 1", outsider.pk),
    }
    # their history moved with them, as when one operation changes team
    assert set(PhaseTransition.objects.filter(operation=a).values_list("team", flat=True)) <= {
        risk.pk
    }


# --- snoozes ---------------------------------------------------------------------------------


def in_days(days):
    return timezone.localdate() + dt.timedelta(days=days)


def test_a_member_asks_and_a_manager_grants_in_bulk(client, world):
    a, b, c = world["ops"]
    flags = [Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED) for op in (a, b)]
    client.force_login(world["users"]["member"])
    response = review_and_confirm(
        client, "snooze", ids(a, b, c), until=in_days(20).isoformat(), reason="New contract"
    )
    assert response.status_code == 302
    summary = client.get(DONE).context["summary"]
    assert [name for _pk, name, _why in summary["skipped"]] == ["Billing op 2"]
    asked = FlagExemption.objects.filter(action=ExemptionAction.REQUESTED)
    assert sorted(asked.values_list("flag_id", flat=True)) == sorted(f.pk for f in flags)
    assert all(Flag.objects.get(pk=f.pk).snooze_requested for f in flags)
    assert not Flag.objects.snoozed().exists()

    client.force_login(world["users"]["manager"])
    review_and_confirm(client, "grant", ids(a, b, c))
    for flag in Flag.objects.filter(pk__in=[f.pk for f in flags]):
        assert flag.snoozed_until == in_days(20) and flag.snooze_reason == "New contract"
        assert not flag.snooze_requested
    assert FlagExemption.objects.filter(action=ExemptionAction.GRANTED).count() == 2


def test_a_manager_snoozes_at_once(client, world):
    a = world["ops"][0]
    flag = Flag.objects.create(operation=a, kind=FlagKind.UNJUSTIFIED)
    client.force_login(world["users"]["manager"])
    review_and_confirm(client, "snooze", ids(a), until=in_days(9).isoformat(), reason="Audit")
    flag.refresh_from_db()
    assert flag.snoozed_until == in_days(9) and flag.snoozed_by == world["users"]["manager"]


def test_a_snooze_wants_a_day_and_a_reason(client, world):
    client.force_login(world["users"]["manager"])
    response = review(client, "snooze", ids(world["ops"][0]), until=in_days(500).isoformat())
    assert response.status_code == 400
    html = response.content.decode()
    assert "A snooze lasts a year at most" in html and "Say why these flags can wait." in html


# --- who may do what ------------------------------------------------------------------------

# action: (fields, what shows it happened)
ACTIONS = {
    "move": (
        {"to_phase": "standardize", "note": NOTE},
        lambda w: moved(w["ops"][0]) == Phase.STANDARDIZE,
    ),
    "retire": (
        {"to_phase": "retire", "note": NOTE},
        lambda w: moved(w["ops"][0]) == Phase.RETIRE,
    ),
    "owner": (
        {"owner": "newcomer"},
        lambda w: Operation.objects.get(pk=w["ops"][0].pk).owner == w["users"]["newcomer"],
    ),
    "snooze": (
        {"until": "in 10 days", "reason": "Audit"},
        lambda w: FlagExemption.objects.exists(),
    ),
}
#            anonymous outsider member manager staff
EXPECTED = {
    "move": ("login", False, True, True, True),
    "retire": ("login", False, False, True, True),
    "owner": ("login", False, False, True, True),
    "snooze": ("login", False, True, True, True),
}
ROLES = ["anonymous", "outsider", "member", "manager", "staff"]


@pytest.mark.parametrize(
    "action,role,expected",
    [(a, r, e) for a, row in EXPECTED.items() for r, e in zip(ROLES, row, strict=True)],
)
def test_who_may_change_in_bulk(client, world, action, role, expected):
    Flag.objects.create(operation=world["ops"][0], kind=FlagKind.STALLED)
    fields, happened = ACTIONS[action]
    fields = dict(fields)
    if "owner" in fields:
        fields["owner"] = world["users"]["newcomer"].username
    if "until" in fields:
        fields["until"] = in_days(10).isoformat()
    name = "move" if action == "retire" else action
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = review(client, name, ids(world["ops"][0]), **fields)
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not happened(world)
        return
    if response.status_code == 400:  # a field the person may not use (an owner)
        assert not expected
        assert not happened(world)
        return
    assert response.status_code == 200
    plan = response.context["plan"]
    assert bool(plan.changes) == expected, [line.why for line in plan.refused]
    response = client.post(BULK, confirm_data(response))
    assert happened(world) == expected


def test_the_bulk_bar_offers_each_person_what_they_may_do(client, world):
    OperationFactory(team=world["billing"], owner=world["users"]["member"])
    client.force_login(world["users"]["member"])
    html = client.get(reverse("operations:list")).content.decode()
    assert 'name="action" value="move"' in html and 'name="action" value="snooze"' in html
    assert 'name="action" value="owner"' not in html and 'value="grant"' not in html
    client.force_login(world["users"]["manager"])
    html = client.get(reverse("operations:list")).content.decode()
    assert 'name="action" value="owner"' in html and 'name="action" value="team"' in html
    assert 'name="action" value="grant"' in html
    # the owners are typed, with suggestions from the search (test_people_search.py),
    # not listed in the page
    assert '<input type="text" name="owner"' in html and "Noa Ito" not in html


# --- queries per batch, not per row ---------------------------------------------------------


def queries(client, data):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(BULK, data)
    return len(captured), response


@pytest.mark.parametrize("action", ["move", "owner", "team", "snooze"])
def test_the_queries_do_not_grow_with_the_operations(client, world, action):
    manager, newcomer = world["users"]["manager"], world["users"]["newcomer"]
    elsewhere = TeamFactory(name="Collections")
    MembershipFactory(user=manager, team=elsewhere, role=Role.MANAGER)
    fields = {
        "move": {"to_phase": "standardize", "note": NOTE},
        "owner": {"owner": newcomer.username},
        "team": {"team": elsewhere.pk, "team_owner": manager.username},
        "snooze": {"until": in_days(10).isoformat(), "reason": "Audit"},
    }[action]
    client.force_login(manager)

    def measure(count, start):
        ops = [
            OperationFactory(name=f"Batch {start + i}", team=world["billing"], owner=manager)
            for i in range(count)
        ]
        for op in ops:
            Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)
        data = {"action": action, "ids": ids(*ops), "filters": "", **fields}
        reviewed, response = queries(client, data)
        applied, done = queries(client, confirm_data(response))
        assert done.status_code == 302
        return reviewed, applied

    measure(2, 0)  # once-only reads (the first session write, cached criteria) out of the way
    assert measure(5, 100) == measure(50, 200)


def test_the_list_with_the_bulk_bar_runs_a_fixed_number_of_queries(client, world):
    client.force_login(world["users"]["manager"])
    url = reverse("operations:list") + "?scope=all"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(20):
        OperationFactory(team=world["billing"], owner=world["users"]["member"])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_the_bulk_pages_read_in_japanese(client, world):
    client.force_login(world["users"]["manager"])
    html = client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "選択した業務をまとめて変更" in html
    response = client.post(
        BULK,
        {"action": "move", "ids": ids(world["ops"][0]), "to_phase": "standardize", "note": NOTE},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    html = response.content.decode()
    assert "変更内容の確認" in html and "Review the change" not in html


def test_exemptions_in_bulk_check_what_one_by_one_checks(world):
    flag = Flag.objects.create(operation=world["ops"][0], kind=FlagKind.STALLED)
    manager = world["users"]["manager"]
    with pytest.raises(exemptions.ExemptionError):
        exemptions.request_snoozes([flag], by=manager, until=timezone.localdate(), reason="x")
    Flag.objects.filter(pk=flag.pk).update(resolved_at=timezone.now())
    with pytest.raises(exemptions.ExemptionError):
        exemptions.grant_snoozes([(flag, in_days(3), "x")], by=manager)
    assert not FlagExemption.objects.exists()


def test_bulk_snoozes_and_moves_send_the_events_one_by_one_sends(client, world, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    events = ["snooze.asked", "snooze.decided", "operation.moved"]
    Endpoint.objects.create(url="http://127.0.0.1:9/", events=events, secret="s" * 32)
    a, b, c = world["ops"]
    member, manager = world["users"]["member"], world["users"]["manager"]
    one = Flag.objects.create(operation=c, kind=FlagKind.STALLED)
    exemptions.request_snooze(one, by=member, until=in_days(5), reason="Vendor")
    single = Delivery.objects.get(event="snooze.asked").payload
    for op in (a, b):
        Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    client.force_login(member)
    review_and_confirm(client, "snooze", ids(a, b), until=in_days(5).isoformat(), reason="Vendor")
    asked = Delivery.objects.filter(event="snooze.asked").exclude(payload=single)
    assert asked.count() == 2
    for delivery in asked:
        assert set(delivery.payload) == set(single)
        assert delivery.payload["request"] == single["request"]
    client.force_login(manager)
    review_and_confirm(client, "grant", ids(a, b, c))
    assert Delivery.objects.filter(event="snooze.decided").count() == 3
    review_and_confirm(client, "move", ids(a), to_phase="standardize", note=NOTE)
    (moved_event,) = Delivery.objects.filter(event="operation.moved")
    assert moved_event.payload["note"] == NOTE and moved_event.payload["to_phase"] == "standardize"
