"""Every endpoint × every role, with a read-and-write token: exactly the pages' rights.

Reads: everyone signed in reads every operation, flag and team (snapshots: their own
teams'). Writes: the operation's team edits, moves and asks for snoozes; its managers
(and staff) retire, reinstate and decide. Nothing changes unless allowed.
"""

import datetime as dt

import pytest
from django.utils import timezone

from opsmaturity.api.models import ApiToken, Scope
from opsmaturity.maturity import exemptions
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory, TransitionFactory
from tests.permission_table import ROLES

pytestmark = pytest.mark.django_db

OK, CREATED, UNAUTH, DENIED, REFUSED = 200, 201, 401, 403, 400


@pytest.fixture
def world(team, member, manager, outsider, staff):
    operation = OperationFactory(
        name="Refund check", team=team, owner=member, performers=[member, manager]
    )
    TransitionFactory(operation=operation, from_phase="", to_phase=Phase.LAUNCH, by=member)
    flag = Flag.objects.create(operation=operation, kind=FlagKind.UNJUSTIFIED)
    users = {"outsider": outsider, "member": member, "manager": manager, "staff": staff}
    return {"team": team, "operation": operation, "flag": flag, "users": users, "member": member}


def later(days=20):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def as_role(api, world, role, scope=Scope.READ_WRITE):
    if role != "anonymous":
        _token, raw = ApiToken.issue(world["users"][role], name="t", scope=scope)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")


READS = {
    "operations": lambda w: "/api/v1/operations/?scope=all",
    "operation": lambda w: f"/api/v1/operations/{w['operation'].pk}/",
    "history": lambda w: f"/api/v1/operations/{w['operation'].pk}/history/",
    "flags": lambda w: "/api/v1/flags/",
    "flag": lambda w: f"/api/v1/flags/{w['flag'].pk}/",
    "teams": lambda w: "/api/v1/teams/",
    "team": lambda w: f"/api/v1/teams/{w['team'].pk}/",
    "snapshots": lambda w: "/api/v1/snapshots/",
}
PUBLIC = {"schema": "/api/schema/", "docs": "/api/docs/"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", READS)
def test_reads(api, world, read, role):
    as_role(api, world, role)
    response = api.get(READS[read](world))
    assert response.status_code == (UNAUTH if role == "anonymous" else OK)
    assert response.json()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PUBLIC.values())
def test_the_schema_and_its_docs_are_public(api, world, path, role):
    """They say what exists, never what is in it: nothing to hide from a stranger."""
    as_role(api, world, role)
    assert api.get(path).status_code == OK


# --- writes: (method, url, body, happened) per action; then the expected code per role


def create(w):
    body = {"name": "Payroll", "team": w["team"].pk, "owner": w["member"].pk, "purpose": "Pay."}
    return "post", "/api/v1/operations/", body, Operation.objects.filter(name="Payroll").exists


def edit(w):
    op = w["operation"]
    body = {"monthly_volume": 7, "version": op.version}

    def happened():
        return Operation.objects.get(pk=op.pk).monthly_volume == 7

    return "patch", f"/api/v1/operations/{op.pk}/", body, happened


def _moved_to(op, phase):
    return lambda: Operation.objects.get(pk=op.pk).phase == phase


def move(w):
    op = w["operation"]
    body = {"to_phase": Phase.STANDARDIZE, "note": "Written", "version": op.version}
    return "post", f"/api/v1/operations/{op.pk}/move/", body, _moved_to(op, Phase.STANDARDIZE)


def retire(w):
    op = w["operation"]
    body = {"to_phase": Phase.RETIRE, "note": "Nobody needs it", "version": op.version}
    return "post", f"/api/v1/operations/{op.pk}/move/", body, _moved_to(op, Phase.RETIRE)


def review(w):
    op = w["operation"]
    body = {"reason": "Still asked for", "monthly_value": "10", "monthly_cost": "1"}
    body["version"] = op.version

    def happened():
        return Operation.objects.get(pk=op.pk).purpose_reviewed_at is not None

    return "post", f"/api/v1/operations/{op.pk}/review/", body, happened


def snooze(w):
    flag = w["flag"]

    def happened():
        current = Flag.objects.get(pk=flag.pk)
        return current.snooze_requested or current.snoozed_until is not None

    body = {"until": later(), "reason": "Vendor"}
    return "post", f"/api/v1/flags/{flag.pk}/snooze/", body, happened


def decide(w):
    flag = w["flag"]
    exemptions.request_snooze(
        flag, by=w["member"], until=dt.date.fromisoformat(later()), reason="x"
    )

    def happened():
        return Flag.objects.get(pk=flag.pk).snoozed_until is not None

    return "post", f"/api/v1/flags/{flag.pk}/decide/", {"decision": "grant"}, happened


def lift(w):
    flag = w["flag"]
    exemptions.grant_snooze(flag, by=w["member"], until=dt.date.fromisoformat(later()), reason="x")

    def happened():
        return Flag.objects.get(pk=flag.pk).snoozed_until is None

    return "post", f"/api/v1/flags/{flag.pk}/lift/", {}, happened


#          anonymous outsider member   manager  staff
WRITES = {
    create: [UNAUTH, REFUSED, CREATED, CREATED, CREATED],
    edit: [UNAUTH, DENIED, OK, OK, OK],
    move: [UNAUTH, DENIED, OK, OK, OK],
    retire: [UNAUTH, DENIED, DENIED, OK, OK],
    review: [UNAUTH, DENIED, OK, OK, OK],
    snooze: [UNAUTH, DENIED, OK, OK, OK],
    decide: [UNAUTH, DENIED, DENIED, OK, OK],
    lift: [UNAUTH, DENIED, DENIED, OK, OK],
}


def write_cases():
    return [
        pytest.param(action, role, expected, id=f"{action.__name__}-{role}")
        for action, row in WRITES.items()
        for role, expected in zip(ROLES, row, strict=True)
    ]


@pytest.mark.parametrize(("action", "role", "expected"), write_cases())
def test_writes(api, world, action, role, expected):
    as_role(api, world, role)
    method, url, body, happened = action(world)
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == expected, response.content.decode()[:500]
    assert happened() == (expected in (OK, CREATED))
    if expected in (DENIED, UNAUTH):
        assert response.json()["detail"]


@pytest.mark.parametrize("action", list(WRITES), ids=lambda a: a.__name__)
def test_a_read_only_token_changes_nothing(api, world, action):
    as_role(api, world, "staff", scope=Scope.READ)
    method, url, body, happened = action(world)
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == DENIED
    assert "may only read" in response.json()["detail"]
    assert not happened()
