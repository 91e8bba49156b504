"""Staff edit operations in the admin through the app's own form and services."""

import pytest
from django.urls import reverse

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

EMPTY_INLINES = {
    f"{prefix}-{key}": 0
    for prefix in ("checks", "flags", "transitions")
    for key in ("TOTAL_FORMS", "INITIAL_FORMS")
}


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def operation():
    team = TeamFactory(name="Billing")
    owner, other = UserFactory(username="ann"), UserFactory(username="bo")
    MembershipFactory(team=team, user=owner)
    MembershipFactory(team=team, user=other)
    return OperationFactory(
        name="Invoice matching",
        team=team,
        owner=owner,
        phase=Phase.STANDARDIZE,
        performers=[owner, other],
    )


def form_data(op, **changes):
    data = {
        "name": op.name,
        "team": op.team_id,
        "owner": op.owner_id,
        "purpose": op.purpose,
        "performers": [u.pk for u in op.performers.all()],
        "runbook_url": op.runbook_url,
        "launched_at": op.launched_at.isoformat(),
        "monthly_volume": op.monthly_volume,
        "monthly_cost": op.monthly_cost,
        "monthly_value": op.monthly_value,
        "opened_version": op.version,
        **EMPTY_INLINES,
    }
    data.update(changes)
    return data


def change_url(op):
    return reverse("admin:operations_operation_change", args=[op.pk])


def test_an_admin_edit_is_saved_by_the_service_and_rescans_the_flags(staff_client, operation):
    response = staff_client.post(change_url(operation), form_data(operation, runbook_url=""))
    assert response.status_code == 302, response.content.decode()[:3000]
    operation.refresh_from_db()
    assert operation.runbook_url == ""
    assert operation.version == 2
    # The flag opened at once, as after an edit on the app's page.
    assert Flag.objects.open().filter(operation=operation, kind=FlagKind.PERSON_DEPENDENT).exists()


def test_an_admin_edit_from_a_stale_page_is_refused(staff_client, operation):
    data = form_data(operation, name="Renamed")
    Operation.objects.filter(pk=operation.pk).update(version=5)
    response = staff_client.post(change_url(operation), data, follow=True)
    assert "Someone else saved this operation" in response.content.decode()
    operation.refresh_from_db()
    assert operation.name == "Invoice matching"


def test_the_admin_holds_the_same_limits_as_the_page(staff_client, operation):
    outsider = UserFactory(username="zed")
    response = staff_client.post(change_url(operation), form_data(operation, owner=outsider.pk))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["owner"]
    response = staff_client.post(change_url(operation), form_data(operation, monthly_cost="-1"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["monthly_cost"] == ["This cannot be negative."]
    operation.refresh_from_db()
    assert operation.owner.username == "ann" and operation.monthly_cost >= 0


def test_a_purpose_review_cannot_be_faked_in_the_admin(staff_client, operation):
    data = form_data(operation, purpose_reviewed_at="2099-01-01 00:00:00")
    staff_client.post(change_url(operation), data)
    operation.refresh_from_db()
    assert operation.purpose_reviewed_at is None
