"""The admin is usable by a staff ops manager: filters, search, history, nothing deleted."""

import pytest
from django.urls import reverse

from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_operation_list_filters_by_phase_and_team_and_searches(admin_client):
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support")
    OperationFactory(name="Invoice matching", team=billing, phase=Phase.AUTOMATE)
    OperationFactory(name="Refund approvals", team=support, phase=Phase.LAUNCH)
    url = reverse("admin:operations_operation_changelist")

    page = admin_client.get(url, {"phase__exact": Phase.AUTOMATE}).content.decode()
    assert "Invoice matching" in page and "Refund approvals" not in page

    page = admin_client.get(url, {"team__id__exact": support.pk}).content.decode()
    assert "Refund approvals" in page and "Invoice matching" not in page

    page = admin_client.get(url, {"q": "invoice"}).content.decode()
    assert "Invoice matching" in page and "Refund approvals" not in page


def test_admin_lists_write_amounts_as_money_and_still_sort_by_them(admin_client):
    from decimal import Decimal

    OperationFactory(name="Big", monthly_cost=Decimal("1100000"))
    OperationFactory(name="Small", monthly_cost=Decimal("900"))
    url = reverse("admin:operations_operation_changelist")
    page = admin_client.get(url).content.decode()
    assert "1,100,000 JPY" in page and "1100000.00" not in page
    ordered = admin_client.get(url, {"o": f"-{column_of(admin_client, url, 'monthly_cost')}"})
    assert [op.name for op in ordered.context["cl"].result_list] == ["Big", "Small"]


def test_read_only_amounts_are_money_too(client, admin_client):
    """A manager's view-only page of an operation, and the history's read-only rows."""
    from decimal import Decimal

    from opsmaturity.teams.models import Role

    team = TeamFactory(name="Billing")
    manager = UserFactory(username="boss")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    op = OperationFactory(name="Big", team=team, monthly_cost=Decimal("1100000"))
    move_phase(op, Phase.STANDARDIZE, by=manager, note="Runbook written")
    url = reverse("admin:operations_operation_change", args=[op.pk])
    history = admin_client.get(url).content.decode()  # staff edit the amount in its input
    assert "1,100,000 JPY" in history, "the history's read-only row"
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200
    assert "1,100,000 JPY" in page.content.decode()
    assert "1100000.00" not in page.content.decode()


def column_of(client, url, name):
    """The admin's column number of a field, for its ?o= sort parameter."""
    names = [getattr(c, "__name__", c) for c in client.get(url).context["cl"].list_display]
    return names.index(name)


def test_operation_page_shows_history_read_only(admin_client):
    op = OperationFactory(name="KYC checks")
    move_phase(op, Phase.RETIRE, by=UserFactory(), note="Moved to the vendor's platform.")
    page = admin_client.get(reverse("admin:operations_operation_change", args=[op.pk]))
    assert page.status_code == 200
    assert "Moved to the vendor&#x27;s platform." in page.content.decode()


def test_history_cannot_be_added_changed_or_deleted(admin_client):
    op = OperationFactory()
    t = move_phase(op, Phase.RETIRE, by=UserFactory(), note="done")
    assert admin_client.get(reverse("admin:operations_phasetransition_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:operations_phasetransition_change", args=[t.pk]), {"note": "rewritten"}
    )
    assert response.status_code == 403
    assert (
        admin_client.post(
            reverse("admin:operations_phasetransition_delete", args=[t.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    t.refresh_from_db()
    assert t.note == "done"


def test_operations_are_never_deleted_from_the_admin(admin_client):
    op = OperationFactory()
    response = admin_client.post(
        reverse("admin:operations_operation_delete", args=[op.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Operation.objects.filter(pk=op.pk).exists()


def test_creating_an_operation_in_the_admin_starts_its_history(admin_client):
    team, owner = TeamFactory(), UserFactory()
    MembershipFactory(team=team, user=owner)
    response = admin_client.post(
        reverse("admin:operations_operation_add"),
        {
            "name": "Chargeback disputes",
            "team": team.pk,
            "owner": owner.pk,
            "purpose": "Win back money lost to unfair chargebacks.",
            "monthly_volume": 40,
            "monthly_cost": "120000",
            "monthly_value": "300000",
            "checks-TOTAL_FORMS": 0,
            "checks-INITIAL_FORMS": 0,
            "flags-TOTAL_FORMS": 0,
            "flags-INITIAL_FORMS": 0,
            "transitions-TOTAL_FORMS": 0,
            "transitions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    op = Operation.objects.get(name="Chargeback disputes")
    assert PhaseTransition.objects.filter(operation=op, from_phase="", to_phase="launch").exists()


@pytest.mark.parametrize(
    "name",
    [
        "teams_team",
        "teams_membership",
        "operations_operation",
        "operations_phasetransition",
        "operations_phasecriterion",
        "maturity_flag",
        "maturity_snapshot",
        "digests_digestdelivery",
    ],
)
def test_every_admin_list_opens(admin_client, name):
    OperationFactory()
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_exit_criteria_ship_with_the_app(admin_client):
    page = admin_client.get(reverse("admin:operations_phasecriterion_changelist")).content.decode()
    assert "Runbook written and linked" in page
    assert "Two people can run it" in page


# --- ops managers browse the admin, read-only, for their teams -----------------------


@pytest.fixture
def manager_client(client):
    from opsmaturity.teams.models import Role

    manager = UserFactory(username="mgr")
    MembershipFactory(user=manager, team=TeamFactory(name="Billing"), role=Role.MANAGER)
    client.force_login(manager)
    return client


def test_a_manager_browses_their_teams_operations_read_only(manager_client):
    from opsmaturity.teams.models import Team

    mine = OperationFactory(name="Invoice matching", team=Team.objects.get(name="Billing"))
    other = OperationFactory(name="KYC checks", team=TeamFactory(name="Risk"))
    index = manager_client.get(reverse("admin:index"))
    assert index.status_code == 200 and "Operations" in index.content.decode()
    listing = manager_client.get(reverse("admin:operations_operation_changelist")).content.decode()
    assert "Invoice matching" in listing and "KYC checks" not in listing
    page = manager_client.get(reverse("admin:operations_operation_change", args=[mine.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert manager_client.get(
        reverse("admin:operations_operation_change", args=[other.pk])
    ).status_code in (302, 403, 404)
    # and changes nothing
    response = manager_client.post(
        reverse("admin:operations_operation_change", args=[mine.pk]), {"name": "x"}
    )
    assert response.status_code == 403
    assert manager_client.get(reverse("admin:operations_operation_add")).status_code == 403
    assert manager_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_a_member_who_manages_nothing_is_sent_to_sign_in(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_anonymous_admin_goes_to_the_apps_sign_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login")) or response[
        "Location"
    ].startswith(reverse("login"))
