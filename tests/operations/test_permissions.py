"""Every view that changes data, against every role. One table, one truth."""

import pytest
from django.urls import reverse

from opsmaturity.operations.models import CriterionCheck, Operation, PhaseCriterion
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.permission_table import ALLOWED, DENIED, LOGIN, REFUSED, ROLES, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, other_team = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other_team, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    owner = users["member"]
    op = OperationFactory(name="Invoice matching", team=team, owner=owner, performers=[owner])
    retired = OperationFactory(name="Fax intake", team=team, owner=owner, phase=Phase.RETIRE)
    return {"team": team, "users": users, "op": op, "retired": retired}


def op_form(world, **extra):
    op = world["op"]
    return {
        "name": "Invoice matching v2",
        "team": op.team_id,
        "owner": op.owner_id,
        "purpose": "Match every invoice to a payment.",
        "monthly_volume": 10,
        "monthly_cost": "100",
        "monthly_value": "200",
        "version": op.version,
        **extra,
    }


def create(world):
    data = op_form(world, name="Brand new")
    return (
        reverse("operations:create"),
        data,
        lambda: Operation.objects.filter(name="Brand new").exists(),
    )


def edit(world):
    op = world["op"]
    changed = lambda: Operation.objects.filter(pk=op.pk, name="Invoice matching v2").exists()  # noqa: E731
    return reverse("operations:edit", args=[op.pk]), op_form(world), changed


def move_forward(world):
    op = world["op"]
    data = {"to_phase": "standardize", "note": "Runbook agreed", "version": op.version}
    return (
        reverse("operations:move", args=[op.pk]),
        data,
        lambda: Operation.objects.get(pk=op.pk).phase == Phase.STANDARDIZE,
    )


def retire(world):
    op = world["op"]
    data = {"to_phase": "retire", "note": "Replaced by the bank feed", "version": op.version}
    return (
        reverse("operations:move", args=[op.pk]),
        data,
        lambda: Operation.objects.get(pk=op.pk).phase == Phase.RETIRE,
    )


def reinstate(world):
    op = world["retired"]
    data = {"to_phase": "launch", "note": "Needed again", "version": op.version}
    return (
        reverse("operations:move", args=[op.pk]),
        data,
        lambda: Operation.objects.get(pk=op.pk).phase == Phase.LAUNCH,
    )


def check(world):
    op = world["op"]
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key="").first()
    return (
        reverse("operations:check", args=[op.pk, criterion.pk]),
        {"checked": "on"},
        lambda: CriterionCheck.objects.filter(operation=op).exists(),
    )


def uncheck(world):
    op = world["op"]
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key="").first()
    CriterionCheck.objects.create(operation=op, criterion=criterion)
    return (
        reverse("operations:check", args=[op.pk, criterion.pk]),
        {"checked": "off", "from": "detail"},
        lambda: not CriterionCheck.objects.current().filter(operation=op).exists(),
    )


def link_runbook(world):
    """The runbook criterion is answered by the data; its link fills the runbook URL."""
    op = world["op"]
    Operation.objects.filter(pk=op.pk).update(phase=Phase.STANDARDIZE, runbook_url="")
    criterion = PhaseCriterion.objects.get(phase=Phase.STANDARDIZE, key="runbook_linked")
    return (
        reverse("operations:check", args=[op.pk, criterion.pk]),
        {"checked": "on", "evidence": "https://wiki.example.com/invoices", "from": "detail"},
        lambda: Operation.objects.get(pk=op.pk).runbook_url == "https://wiki.example.com/invoices",
    )


def review(world):
    op = world["op"]
    data = {
        "reason": "Auditors ask",
        "monthly_value": "5",
        "monthly_cost": "1",
        "version": op.version,
    }
    return (
        reverse("operations:review", args=[op.pk]),
        data,
        lambda: Operation.objects.get(pk=op.pk).purpose_reviewed_at is not None,
    )


TABLE = {
    #              anonymous outsider  member   manager  staff
    create: [LOGIN, REFUSED, ALLOWED, ALLOWED, ALLOWED],
    edit: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    move_forward: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    retire: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    reinstate: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    check: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    uncheck: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    link_runbook: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    review: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
}
CASES = cases(TABLE)


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_table(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_signed_in_user_can_read(client, world, role):
    client.force_login(world["users"][role])
    assert client.get(reverse("operations:list"), {"scope": "all"}).status_code == 200
    assert client.get(world["op"].get_absolute_url()).status_code == 200


def test_someone_in_no_team_cannot_open_the_create_form(client):
    client.force_login(UserFactory())
    assert client.get(reverse("operations:create")).status_code == 403


@pytest.mark.parametrize("name", ["edit", "move", "review"])
def test_missing_operation_is_404_not_500(client, world, name):
    client.force_login(world["users"]["staff"])
    assert client.get(reverse(f"operations:{name}", args=[987654])).status_code == 404


def test_manager_can_reassign_the_owner(client, world):
    manager = world["users"]["manager"]
    client.force_login(manager)
    response = client.post(
        reverse("operations:edit", args=[world["op"].pk]), op_form(world, owner=manager.pk)
    )
    assert response.status_code == 302
    assert Operation.objects.get(pk=world["op"].pk).owner == manager
