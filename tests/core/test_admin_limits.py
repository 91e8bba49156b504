"""The admin does not go around the rules: history and job records are read-only, people
are deactivated rather than deleted, snoozes are made where they are recorded."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests.models import DigestDelivery
from opsmaturity.maturity.models import Flag, FlagKind, ScanRun
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_a_flag_cannot_be_snoozed_from_the_admin(client, staff):
    flag = Flag.objects.create(operation=OperationFactory(), kind=FlagKind.STALLED)
    url = reverse("admin:maturity_flag_change", args=[flag.pk])
    response = client.post(url, {"snoozed_until": "2099-12-31", "snooze_reason": "never"})
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.snoozed_until is None
    assert not flag.exemptions.exists()


def test_people_are_deactivated_not_deleted(client, staff):
    author = UserFactory(username="ann")
    move_phase(OperationFactory(), Phase.RETIRE, by=author, note="Replaced by the portal.")
    response = client.post(reverse("admin:auth_user_delete", args=[author.pk]), {"post": "yes"})
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", "_selected_action": [author.pk]},
    )
    assert response.status_code == 302
    author.refresh_from_db()
    assert not author.is_active
    assert get_user_model().objects.filter(pk=author.pk).exists()


def test_a_sent_digest_cannot_be_deleted_to_send_it_again(client, staff):
    delivery = DigestDelivery.objects.create(
        user=staff, period=timezone.localdate(), status="sent", sent_at=timezone.now()
    )
    url = reverse("admin:digests_digestdelivery_delete", args=[delivery.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert DigestDelivery.objects.filter(pk=delivery.pk).exists()


def test_scan_records_are_kept_as_written(client, staff):
    run = ScanRun.objects.create(started_at=timezone.now() - dt.timedelta(days=1))
    url = reverse("admin:maturity_scanrun_delete", args=[run.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ScanRun.objects.filter(pk=run.pk).exists()


@pytest.mark.parametrize(
    "name",
    ["auth_user", "maturity_flag", "maturity_scanrun", "digests_digestdelivery"],
)
def test_the_read_only_pages_still_open(client, staff, name):
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_an_inline_row_repeating_a_saved_one_is_refused_at_the_row(client, staff):
    """A stale or tampered form (INITIAL_FORMS=0) adds again a membership that is saved
    but not shown: the row is refused with the rule's message, never a 500."""
    from opsmaturity.teams.models import Membership, Role
    from tests.teams.factories import MembershipFactory, TeamFactory

    team = TeamFactory(name="Billing")
    ann = UserFactory(username="ann")
    MembershipFactory(user=ann, team=team, role=Role.MEMBER)
    data = {
        "name": "Billing",
        "description": "",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": str(ann.pk),
        "memberships-0-role": Role.MANAGER,
        "memberships-0-team": str(team.pk),
    }
    response = client.post(reverse("admin:teams_team_change", args=[team.pk]), data)
    assert response.status_code == 200
    assert "This person is already in this team." in response.content.decode()
    assert list(Membership.objects.values_list("user__username", "role")) == [("ann", "member")]
