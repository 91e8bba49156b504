"""The operations endpoints: the list page's filters, the page's forms, the services."""

import pytest

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/operations/"


def test_list_filters_as_the_list_page(api, member, operation, stalled):
    api.force_authenticate(member)
    names = [row["name"] for row in api.get(LIST).json()["results"]]
    assert names == ["Invoice chase", "Refund check"]
    rows = api.get(LIST, {"flag": "stalled", "team": operation.team_id}).json()["results"]
    assert [row["name"] for row in rows] == ["Invoice chase"]
    assert rows[0]["open_flags"][0]["kind"] == FlagKind.STALLED
    assert [r["name"] for r in api.get(LIST, {"q": "chase"}).json()["results"]] == ["Invoice chase"]


def test_list_pages_with_a_cursor(api, member, team, settings):
    settings.OPS_API_PAGE_SIZE = 2
    for n in range(5):
        OperationFactory(name=f"Op {n}", team=team, owner=member)
    api.force_authenticate(member)
    seen, url = [], LIST + "?sort=-name"
    while url:
        body = api.get(url).json()
        seen += [row["name"] for row in body["results"]]
        url = body["next"]
    assert seen == [f"Op {n}" for n in reversed(range(5))]


@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI2LTEyLTAy", "cD1hYmM="])
def test_a_tampered_cursor_is_never_a_500(api, member, operation, cursor):
    api.force_authenticate(member)
    for sort in ("since", "cost", "phase", "team"):
        response = api.get(LIST, {"cursor": cursor, "sort": sort})
        assert response.status_code in (200, 404)


def test_retrieve_gives_the_version_as_etag(api, outsider, operation):
    api.force_authenticate(outsider)
    response = api.get(f"{LIST}{operation.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{operation.version}"'
    assert response.json()["owner"] == {"id": operation.owner_id, "name": "Ann Lee"}
    assert api.get(f"{LIST}999999/").status_code == 404


def test_create_validates_through_the_page_form(api, member, team):
    api.force_authenticate(member)
    body = {"name": "  Payroll   run ", "team": team.pk, "owner": member.pk, "purpose": " "}
    response = api.post(LIST, body, format="json")
    assert response.status_code == 400
    assert "white space alone is not a purpose" in response.json()["purpose"][0]
    body["purpose"] = "Staff are paid on the 25th."
    response = api.post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Payroll run"
    created = Operation.objects.get(pk=response.json()["id"])
    assert created.transitions.count() == 1
    again = api.post(LIST, body, format="json")
    assert again.status_code == 400
    assert "already has an operation" in again.json()["name"][0]


def test_wrong_json_types_are_refused_at_the_field(api, member, team):
    api.force_authenticate(member)
    body = {"name": ["x"], "team": "abc", "owner": member.pk, "purpose": {"a": 1}}
    errors = api.post(LIST, body, format="json").json()
    assert set(errors) == {"name", "team", "purpose"}
    assert api.post(LIST, [1, 2], format="json").status_code == 400


def test_update_needs_the_version_and_conflicts_on_a_stale_one(api, member, operation):
    api.force_authenticate(member)
    url = f"{LIST}{operation.pk}/"
    missing = api.patch(url, {"monthly_volume": 7}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    fresh = api.patch(url, {"monthly_volume": 7}, format="json", HTTP_IF_MATCH='"1"')
    assert fresh.status_code == 200, fresh.json()
    assert fresh.json()["monthly_volume"] == 7 and fresh["ETag"] == '"2"'
    stale = api.patch(url, {"monthly_volume": 8, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    operation.refresh_from_db()
    assert operation.monthly_volume == 7


def test_a_member_cannot_reassign_the_owner(api, member, manager, operation):
    api.force_authenticate(member)
    url = f"{LIST}{operation.pk}/"
    response = api.patch(url, {"owner": manager.pk, "version": 1}, format="json")
    assert response.status_code == 400
    assert "manager of the team can reassign" in response.json()["owner"][0]
    api.force_authenticate(manager)
    response = api.patch(url, {"owner": manager.pk, "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == manager.pk


def test_move_follows_the_rules_of_the_page(api, member, manager, operation):
    api.force_authenticate(member)
    url = f"{LIST}{operation.pk}/move/"
    skip = api.post(url, {"to_phase": Phase.AUTOMATE, "version": 1}, format="json")
    assert skip.status_code == 400 and skip.json()["note"]
    retire = api.post(url, {"to_phase": Phase.RETIRE, "note": "x", "version": 1}, format="json")
    assert retire.status_code == 403
    assert "Only a manager" in retire.json()["detail"]
    body = {"to_phase": Phase.STANDARDIZE, "note": "Runbook written", "version": 1}
    moved = api.post(url, body, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["phase"] == Phase.STANDARDIZE and moved.json()["version"] == 2
    again = api.post(url, body, format="json")
    assert again.status_code == 409
    history = api.get(f"{LIST}{operation.pk}/history/").json()
    assert [(h["from_phase"], h["to_phase"]) for h in history][-1] == ("launch", "standardize")
    assert PhaseTransition.objects.filter(operation=operation).count() == 1


def test_review_records_a_purpose_review(api, member, operation):
    api.force_authenticate(member)
    url = f"{LIST}{operation.pk}/review/"
    body = {"reason": " ", "monthly_value": "9000", "monthly_cost": "100", "version": 1}
    assert "reason" in api.post(url, body, format="json").json()
    body["reason"] = "Customers still ask for it."
    response = api.post(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["monthly_value"] == "9000.00"
    assert response.json()["purpose_reviewed_at"]


def test_snooze_asked_by_a_member_and_decided_by_a_manager(api, member, manager, stalled):
    flag = Flag.objects.get(operation=stalled, kind=FlagKind.STALLED)
    api.force_authenticate(member)
    listed = api.get("/api/v1/flags/", {"operation": stalled.pk}).json()["results"]
    assert [f["id"] for f in listed] == [flag.pk]
    assert api.post(f"/api/v1/flags/{flag.pk}/decide/", {"decision": "grant"}).status_code == 403
    body = {"until": "2100-01-01", "reason": "Waiting for the vendor."}
    response = api.post(f"/api/v1/flags/{flag.pk}/snooze/", body, format="json")
    assert response.status_code == 400 and "year at most" in response.json()["until"][0]
    import datetime as dt

    body["until"] = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    response = api.post(f"/api/v1/flags/{flag.pk}/snooze/", body, format="json")
    assert response.json()["outcome"] == "requested"
    api.force_authenticate(manager)
    decided = api.post(f"/api/v1/flags/{flag.pk}/decide/", {"decision": "grant"}, format="json")
    assert decided.status_code == 200 and decided.json()["outcome"] == "snoozed"
    assert decided.json()["flag"]["snoozed_until"] == body["until"]


def test_teams_and_snapshots(api, member, outsider, team, manager):
    from opsmaturity.maturity.snapshots import take_snapshot

    OperationFactory(team=team, owner=member)
    take_snapshot()
    api.force_authenticate(member)
    teams = api.get("/api/v1/teams/").json()["results"]
    billing = next(t for t in teams if t["name"] == "Billing")
    assert {(m["name"], m["role"]) for m in billing["members"]} == {
        ("Ann Lee", "member"),
        ("Mika Morita", "manager"),
    }
    rows = api.get("/api/v1/snapshots/").json()["results"]
    assert [(r["team"], r["phase"], r["count"]) for r in rows] == [(team.pk, "launch", 1)]
    api.force_authenticate(outsider)
    assert api.get("/api/v1/snapshots/", {"team": team.pk}).json()["results"] == []
