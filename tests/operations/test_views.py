"""The registry's pages as a team member uses them: lists, forms, moves, reviews."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import (
    Operation,
    PhaseTransition,
)
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def form_data(team, owner, **overrides):
    data = {
        "name": "Refund approvals",
        "team": team.pk,
        "owner": owner.pk,
        "purpose": "Customers get their refund within two days.",
        "runbook_url": "https://wiki.example.com/refunds",
        "launched_at": "2026-10-01",
        "monthly_volume": "320",
        "monthly_cost": "340000",
        "monthly_value": "900000",
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------


def test_anonymous_users_go_to_sign_in(client):
    response = client.get(reverse("operations:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_shows_mine_by_default_and_all_on_request(member_client, member, team):
    OperationFactory(name="Team op", team=team)
    OperationFactory(name="Owned elsewhere", owner=member)
    OperationFactory(name="Performed elsewhere", performers=[member])
    OperationFactory(name="Not mine")
    page = member_client.get(reverse("operations:list")).content.decode()
    for name in ("Team op", "Owned elsewhere", "Performed elsewhere"):
        assert name in page
    assert "Not mine" not in page
    assert (
        "Not mine"
        in member_client.get(reverse("operations:list"), {"scope": "all"}).content.decode()
    )


def test_someone_in_no_team_opens_the_list_on_every_operation(client, staff, team):
    """Staff in no team would open "Mine" on nothing: the list opens on all instead,
    and says so in its filter."""
    OperationFactory(name="Billing run", team=team)
    client.force_login(staff)
    response = client.get(reverse("operations:list"))
    assert "Billing run" in response.content.decode()
    assert response.context["filters"]["scope"].value() == "all"


def test_list_filters_by_phase_team_owner_flag_and_text(member_client, team, member):
    a = OperationFactory(name="KYC checks", team=team, phase=Phase.STANDARDIZE)
    b = OperationFactory(name="Invoice matching", team=team, purpose="請求書の照合を毎日行う")
    Flag.objects.create(operation=a, kind=FlagKind.PERSON_DEPENDENT)
    url = reverse("operations:list")

    def names(**params):
        page = member_client.get(url, params).content.decode()
        return {op for op in ("KYC checks", "Invoice matching") if op in page}

    assert names(phase="standardize") == {"KYC checks"}
    assert names(flag="person_dependent") == {"KYC checks"}
    assert names(flag="any") == {"KYC checks"}
    assert names(q="照合") == {"Invoice matching"}
    assert names(q="kyc") == {"KYC checks"}
    assert names(team=team.pk, owner=b.owner.pk) == {"Invoice matching"}
    assert names(team=999999) == {"KYC checks", "Invoice matching"}  # bad value dropped


def test_retired_hidden_unless_asked(member_client, team):
    OperationFactory(name="Fax intake", team=team, phase=Phase.RETIRE)
    url = reverse("operations:list")
    assert "Fax intake" not in member_client.get(url).content.decode()
    assert "Fax intake" in member_client.get(url, {"retired": "on"}).content.decode()
    assert "Fax intake" in member_client.get(url, {"phase": "retire"}).content.decode()


def test_list_sorts(member_client, team):
    OperationFactory(name="Alpha", team=team, monthly_cost=Decimal("10"))
    OperationFactory(name="Beta", team=team, monthly_cost=Decimal("99"))
    page = member_client.get(reverse("operations:list"), {"sort": "-cost"}).content.decode()
    assert page.index("Beta") < page.index("Alpha")
    page = member_client.get(reverse("operations:list"), {"sort": "name"}).content.decode()
    assert page.index("Alpha") < page.index("Beta")


def test_htmx_gets_only_the_results(member_client, team):
    OperationFactory(name="Alpha", team=team)
    response = member_client.get(reverse("operations:list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and "Alpha" in body


def test_list_paginates(member_client, team):
    for i in range(55):
        OperationFactory(name=f"Op {i:02d}", team=team)
    page1 = member_client.get(reverse("operations:list")).content.decode()
    assert "55 operations" in page1 and "Page 1 of 2" in page1
    page2 = member_client.get(reverse("operations:list"), {"page": 2}).content.decode()
    assert "Op 54" in page2 and "Op 00" not in page2


def test_large_counts_are_written_with_grouped_digits(member_client, team, member):
    Operation.objects.bulk_create(
        Operation(name=f"Op {i:04d}", team=team, owner=member, purpose="p") for i in range(1234)
    )
    page = member_client.get(reverse("operations:list")).content.decode()
    assert "1,234 operations" in page and "Page 1 of 25" in page
    ja = member_client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "1,234" in ja and "1234" not in ja


def make_ops(n, team, member):
    others = UserFactory.create_batch(2)
    for i in range(n):
        op = OperationFactory(
            name=f"Bulk {n}-{i}", team=team, phase=Phase.STANDARDIZE, performers=[member, *others]
        )
        Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)


@pytest.mark.parametrize("n", [10, 60])
def test_list_query_count_does_not_grow(member_client, team, member, django_assert_num_queries, n):
    make_ops(n, team, member)
    # session, user, the user's teams and the operations they perform ("mine"), count,
    # can-create, team and campaign choices, page, open flags, and the user's team
    # roles (the nav's admin link); the owners are typed, not listed
    with django_assert_num_queries(11):
        response = member_client.get(reverse("operations:list"))
    assert response.status_code == 200


def test_list_and_detail_query_counts_same_for_10_and_500(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team, member, performer = TeamFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=member, team=team)
    client.force_login(member)

    def add(count, start):
        ops = Operation.objects.bulk_create(
            Operation(name=f"Op {i}", team=team, owner=member, purpose="p", phase=Phase.AUTOMATE)
            for i in range(start, start + count)
        )
        Operation.performers.through.objects.bulk_create(
            Operation.performers.through(operation_id=op.pk, user_id=performer.pk) for op in ops
        )
        Flag.objects.bulk_create(Flag(operation=op, kind=FlagKind.PERSON_DEPENDENT) for op in ops)
        for op in ops[:3]:
            PhaseTransition.objects.create(operation=op, from_phase="", to_phase="automate")
        return ops

    def measure(op):
        with CaptureQueriesContext(connection) as listed:
            assert client.get(reverse("operations:list"), {"sort": "-cost"}).status_code == 200
        with CaptureQueriesContext(connection) as shown:
            assert client.get(op.get_absolute_url()).status_code == 200
        return len(listed), len(shown)

    first = add(10, 0)[0]
    at_10 = measure(first)
    add(490, 10)
    assert Operation.objects.count() == 500
    assert measure(first) == at_10


# --- detail -------------------------------------------------------------------------


def test_detail_shows_everything_a_member_needs(member_client, team, member):
    op = OperationFactory.days_in_phase(
        73,
        name="KYC checks",
        team=team,
        phase=Phase.LAUNCH,
        purpose="本人確認を二営業日以内に完了する",
        performers=[member],
    )
    run_scan()
    PhaseTransition.objects.create(
        operation=op,
        from_phase="",
        to_phase="launch",
        note="Recorded",
        at=timezone.now() - dt.timedelta(days=73),
    )
    page = member_client.get(op.get_absolute_url()).content.decode()
    assert "本人確認を二営業日以内に完了する" in page
    assert "Speed: ship the customer-facing service on time" in page  # phase guidance
    assert "Purpose written down" in page  # exit checklist
    assert "in launch for 73 days" in page
    assert "Ann Lee" in page
    assert "Recorded" in page  # history


def test_unknown_operation_is_404(member_client):
    assert member_client.get(reverse("operations:detail", args=[999999])).status_code == 404


# --- create and edit ----------------------------------------------------------------


def test_member_records_an_operation(member_client, team, member):
    response = member_client.post(reverse("operations:create"), form_data(team, member))
    op = Operation.objects.get(name="Refund approvals")
    assert response.status_code == 302 and response["Location"] == op.get_absolute_url()
    assert op.phase == Phase.LAUNCH and op.monthly_cost == Decimal("340000")
    assert op.transitions.get().by == member


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "   \u3000 ", "white space alone is not a purpose"),
        ("monthly_cost", "-5", "This cannot be negative."),
        ("monthly_cost", "9" * 13, "check the number of zeros"),
        ("monthly_value", "lots", "Enter an amount"),
        ("runbook_url", "not a url", "Enter a full web address"),
        ("name", "", "Give the operation a name."),
    ],
)
def test_bad_input_gets_a_message_at_its_field_and_nothing_is_saved(
    member_client, team, member, field, value, message
):
    data = form_data(team, member, **{field: value})
    response = member_client.post(reverse("operations:create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert not Operation.objects.exists()
    assert not PhaseTransition.objects.exists()
    # what else the user typed is kept
    page = response.content.decode()
    if field != "purpose":
        assert "Customers get their refund within two days." in page


def test_owner_must_be_in_the_team(member_client, team, member):
    outsider = UserFactory(first_name="Olaf", last_name="Out")
    MembershipFactory(user=outsider, team=TeamFactory(name="Customer Support"))
    MembershipFactory(user=member, team=outsider.memberships.get().team)  # so he is selectable
    response = member_client.post(reverse("operations:create"), form_data(team, outsider))
    assert "Olaf Out is not in Billing" in " ".join(response.context["form"].errors["owner"])
    assert not Operation.objects.exists()


def test_duplicate_name_in_team_is_a_field_error(member_client, team, member):
    OperationFactory(name="Refund approvals", team=team)
    response = member_client.post(
        reverse("operations:create"), form_data(team, member, name="refund  approvals")
    )
    assert "already has an operation called" in " ".join(response.context["form"].errors["name"])


def test_inline_validation_returns_the_fields_errors_only(member_client, team, member):
    data = form_data(team, member, monthly_cost="-1", _validate="monthly_cost")
    response = member_client.post(
        reverse("operations:create"), data, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.startswith('<div id="err-monthly_cost"')
    assert "This cannot be negative." in body
    assert not Operation.objects.exists()
    ok = member_client.post(
        reverse("operations:create"),
        form_data(team, member, _validate="name"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert '<div id="err-name"' in ok and '<p class="error">' not in ok


def test_member_edits_and_version_moves_on(member_client, team, member):
    op = OperationFactory(team=team, owner=member)
    data = form_data(team, member, name="Refunds", version=op.version)
    response = member_client.post(reverse("operations:edit", args=[op.pk]), data)
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.name == "Refunds" and op.version == 2


def test_second_save_is_refused_and_shows_what_changed(client, team, member):
    op = OperationFactory(team=team, owner=member, name="Refunds", monthly_cost=Decimal("100"))
    colleague = UserFactory(first_name="Ken", last_name="Ito")
    MembershipFactory(user=colleague, team=team)
    started_at = op.version
    client.force_login(colleague)
    client.post(
        reverse("operations:edit", args=[op.pk]),
        form_data(team, member, name="Refunds", monthly_cost="200", version=started_at),
    )
    client.force_login(member)
    response = client.post(
        reverse("operations:edit", args=[op.pk]),
        form_data(team, member, name="Refunds", monthly_cost="300", version=started_at),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this operation" in page
    assert ("Monthly cost", "200.00", "300") in [
        tuple(map(str, r)) for r in response.context["conflict"]
    ]
    op.refresh_from_db()
    assert op.monthly_cost == Decimal("200")  # the first save stands
    # the form now carries the current version: saving again is a deliberate overwrite
    assert response.context["form"].data["version"] == op.version


def test_member_cannot_reassign_owner(member_client, team, member):
    op = OperationFactory(team=team, owner=member)
    other = UserFactory()
    MembershipFactory(user=other, team=team)
    member_client.post(
        reverse("operations:edit", args=[op.pk]), form_data(team, other, version=op.version)
    )
    op.refresh_from_db()
    assert op.owner == member
