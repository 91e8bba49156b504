"""A person leaves: signed out everywhere, refused at sign-in, kept in history, recorded;
each operation they own flagged "owner has left" at once; staff may bring them back."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.rules import reason_of
from opsmaturity.offboarding import services
from opsmaturity.offboarding.models import EventKind, PersonEvent
from opsmaturity.operations import services as operation_services
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def owner_left_flags(op):
    return Flag.objects.open().filter(operation=op, kind=FlagKind.OWNER_LEFT)


def sign_in(browser, username):
    """The sign-in form, as a person fills it in; whether it let them in."""
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    return response.status_code == 302


def signed_in_client(user):
    browser = Client()
    assert sign_in(browser, user.username)
    assert browser.get(reverse("operations:list")).status_code == 200
    return browser


def test_leaving_ends_their_sessions_and_refuses_sign_in(client, manager, leaver, member):
    laptop, phone = signed_in_client(leaver), signed_in_client(leaver)
    colleague = signed_in_client(member)
    assert Session.objects.count() == 3

    client.force_login(manager)
    response = client.post(reverse("offboarding:leave", args=[leaver.pk]))
    assert response.status_code == 302

    for device in (laptop, phone):
        answer = device.get(reverse("operations:list"))
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert colleague.get(reverse("operations:list")).status_code == 200
    # the manager's own session and the colleague's are left alone
    assert Session.objects.count() == 2

    page = Client().post(reverse("login"), {"username": "leo", "password": PASSWORD})
    assert page.status_code == 200 and page.context["form"].errors


def test_leaving_is_recorded_and_the_confirmation_says_what_happens(client, manager, leaver):
    OperationFactory(owner=leaver, team=manager.teams.get())
    client.force_login(manager)
    page = client.get(reverse("offboarding:leave", args=[leaver.pk])).content.decode()
    assert "Deactivate Leo Park" in page
    assert "1 operation they own is flagged" in page

    response = client.post(reverse("offboarding:leave", args=[leaver.pk]))
    assert response["Location"] == reverse("offboarding:reassign", args=[leaver.pk])
    event = PersonEvent.objects.get(person=leaver)
    assert (event.kind, event.by) == (EventKind.LEFT, manager)
    # twice is once
    client.post(reverse("offboarding:leave", args=[leaver.pk]))
    assert PersonEvent.objects.filter(person=leaver).count() == 1


def test_each_operation_they_own_is_flagged_at_once_and_stays_in_history(
    client, manager, leaver, team
):
    owned = OperationFactory(name="Refunds", owner=leaver, team=team)
    retired = OperationFactory(name="Fax", owner=leaver, team=team, phase=Phase.RETIRE)
    performed = OperationFactory(name="Payouts", owner=manager, team=team, performers=[leaver])

    services.deactivate(leaver, by=manager)

    flag = owner_left_flags(owned).get()
    assert flag.facts["owner"] == "Leo Park"
    assert not owner_left_flags(retired).exists()
    assert not owner_left_flags(performed).exists()
    client.force_login(manager)
    detail = client.get(owned.get_absolute_url()).content.decode()
    assert "its owner, Leo Park, has left" in detail
    edit = client.get(reverse("operations:edit", args=[owned.pk])).content.decode()
    assert "Leo Park (left)" in edit


def test_staff_reactivate_and_the_flag_resolves(client, staff, manager, leaver, team):
    op = OperationFactory(owner=leaver, team=team)
    services.deactivate(leaver, by=manager)
    assert owner_left_flags(op).exists()

    client.force_login(staff)
    assert client.post(reverse("offboarding:reactivate", args=[leaver.pk])).status_code == 302

    leaver.refresh_from_db()
    assert leaver.is_active
    assert not owner_left_flags(op).exists()
    assert sign_in(Client(), "leo")
    kinds = list(PersonEvent.objects.filter(person=leaver).values_list("kind", flat=True))
    assert kinds == [EventKind.RETURNED, EventKind.LEFT]


def test_the_admin_action_goes_through_the_same_service(client, leaver, team):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    op = OperationFactory(owner=leaver, team=team)
    session = signed_in_client(leaver)
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate", ACTION_CHECKBOX_NAME: [leaver.pk, root.pk]},
    )
    assert response.status_code == 302
    leaver.refresh_from_db()
    root.refresh_from_db()
    assert not leaver.is_active and root.is_active
    assert PersonEvent.objects.get(person=leaver).by == root
    assert owner_left_flags(op).exists()
    assert session.get(reverse("operations:list")).status_code == 302


def test_unticking_active_in_the_admin_is_leaving_too(client, leaver, team):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    op = OperationFactory(owner=leaver, team=team)
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[leaver.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        username=leaver.username,
        first_name=leaver.first_name,
        last_name=leaver.last_name,
        email=leaver.email,
        date_joined_0=leaver.date_joined.date().isoformat(),
        date_joined_1="00:00:00",
    )
    data.pop("is_active", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("password", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert PersonEvent.objects.get(person=leaver).kind == EventKind.LEFT
    assert owner_left_flags(op).exists()


def test_pages_name_them_as_having_left(client, manager, member, leaver, team):
    op = OperationFactory(name="Refunds", team=team, owner=leaver, performers=[leaver, member])
    services.deactivate(leaver, by=manager)
    client.force_login(member)
    detail = client.get(op.get_absolute_url()).content.decode()
    assert detail.count("Leo Park (left)") == 2  # owner and performer
    listed = client.get(reverse("operations:list"), {"scope": "all"}).content.decode()
    assert "Leo Park (left)" in listed


def test_a_new_owner_chosen_on_the_edit_form_resolves_the_flag(
    client, manager, member, leaver, team
):
    op = OperationFactory(name="Refunds", team=team, owner=leaver)
    services.deactivate(leaver, by=manager)
    assert owner_left_flags(op).exists()
    client.force_login(manager)
    form = client.get(reverse("operations:edit", args=[op.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(owner=member.pk, performers=[])
    response = client.post(reverse("operations:edit", args=[op.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert not owner_left_flags(op).exists()


def test_a_performer_who_leaves_no_longer_counts_as_one(manager, member, leaver, team):
    """Two performers and a runbook is no dependency on one person; when one of the two
    leaves, the operation depends on one person again, at once."""
    op = OperationFactory(
        name="Payouts",
        owner=manager,
        team=team,
        phase=Phase.STANDARDIZE,
        runbook_url="https://wiki.example.com/payouts",
        performers=[member, leaver],
    )
    operation_services.refresh_flags(op)
    assert not Flag.objects.open().filter(operation=op, kind=FlagKind.PERSON_DEPENDENT).exists()

    services.deactivate(leaver, by=manager)

    flag = Flag.objects.open().get(operation=op, kind=FlagKind.PERSON_DEPENDENT)
    assert reason_of(flag) == "1 performer"
    services.reactivate(leaver, by=UserFactory(is_staff=True))
    assert not Flag.objects.open().filter(operation=op, kind=FlagKind.PERSON_DEPENDENT).exists()
