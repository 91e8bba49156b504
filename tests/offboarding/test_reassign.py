"""All of one person's operations handed over in one step, in one transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.offboarding import services
from opsmaturity.offboarding.models import EventKind, PersonEvent
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def open_kinds(op):
    return set(Flag.objects.open().filter(operation=op).values_list("kind", flat=True))


@pytest.fixture
def gone(client, manager, member, leaver, team):
    """Leo left, owning two operations of Billing and running a third with Ann."""
    ops = {
        "refunds": OperationFactory(name="Refunds", team=team, owner=leaver),
        "payouts": OperationFactory(name="Payouts", team=team, owner=leaver, performers=[leaver]),
        "audit": OperationFactory(
            name="Audit",
            team=team,
            owner=manager,
            phase=Phase.STANDARDIZE,
            performers=[leaver, member],
        ),
    }
    services.deactivate(leaver, by=manager)
    client.force_login(manager)
    return ops


def post(client, leaver, **data):
    """The reassign form as the page sends it: each row with the version it was shown."""
    body = {f"version-{op.pk}": op.version for op in Operation.objects.run_by(leaver)}
    body.update(data)
    return client.post(reverse("offboarding:reassign", args=[leaver.pk]), body)


def test_one_new_owner_for_all_clears_the_flags(client, gone, leaver, member):
    assert open_kinds(gone["refunds"]) == {FlagKind.OWNER_LEFT}
    page = client.get(reverse("offboarding:reassign", args=[leaver.pk])).content.decode()
    for name in ("Refunds", "Payouts", "Audit"):
        assert name in page

    response = post(client, leaver, all_owner=member.pk)
    assert response.status_code == 302

    for key in ("refunds", "payouts"):
        op = Operation.objects.get(pk=gone[key].pk)
        assert op.owner == member
        assert op.version == gone[key].version + 1
        assert FlagKind.OWNER_LEFT not in open_kinds(op)
    # kept as performer, as asked by default
    assert leaver in Operation.objects.get(pk=gone["payouts"].pk).performers.all()
    event = PersonEvent.objects.get(person=leaver, kind=EventKind.HANDED_OVER)
    assert event.operations == 2


def test_a_choice_per_operation_wins_over_the_one_for_all(client, gone, leaver, member, manager):
    refunds, payouts = gone["refunds"], gone["payouts"]
    response = post(
        client,
        leaver,
        all_owner=member.pk,
        **{f"owner-{refunds.pk}": manager.pk, f"owner-{payouts.pk}": "keep"},
    )
    assert response.status_code == 302
    assert Operation.objects.get(pk=refunds.pk).owner == manager
    assert Operation.objects.get(pk=payouts.pk).owner == leaver


def test_removing_a_performer_rescans_the_person_dependent_rule(client, gone, leaver):
    audit = gone["audit"]
    # Leo and Ann ran it; with Leo gone only Ann does: it depends on one person already
    flag = Flag.objects.open().get(operation=audit, kind=FlagKind.PERSON_DEPENDENT)
    assert flag.facts["performers"] == 1
    response = post(client, leaver, all_performer="remove")
    assert response.status_code == 302
    assert list(
        Operation.objects.get(pk=audit.pk).performers.values_list("username", flat=True)
    ) == ["ann"]
    assert FlagKind.PERSON_DEPENDENT in open_kinds(audit)
    flag = Flag.objects.open().get(operation=audit, kind=FlagKind.PERSON_DEPENDENT)
    assert flag.facts["performers"] == 1


def test_replacing_a_performer_keeps_the_operation_safe(client, gone, leaver, manager):
    audit = gone["audit"]
    response = post(client, leaver, **{f"performer-{audit.pk}": manager.pk})
    assert response.status_code == 302
    performers = set(
        Operation.objects.get(pk=audit.pk).performers.values_list("username", flat=True)
    )
    assert performers == {"ann", "boss"}
    assert FlagKind.PERSON_DEPENDENT not in open_kinds(audit)


def test_a_bad_row_saves_nothing(client, gone, leaver, member, manager, team):
    """Leo also owned an operation of Risk: Ann, chosen for all, is not in Risk. The page
    says so at that row, and none of the other rows is saved either."""
    risk = TeamFactory(name="Risk")
    MembershipFactory(user=leaver, team=risk)
    MembershipFactory(user=manager, team=risk, role=Role.MANAGER)
    kyc = OperationFactory(name="KYC", team=risk, owner=leaver)
    before = {op.pk: (op.owner_id, op.version) for op in Operation.objects.run_by(leaver)}

    response = post(client, leaver, all_owner=member.pk, all_performer="remove")

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[f"owner-{kyc.pk}"] == [
        "Ann Lee is not in Risk: choose someone from the team for this one."
    ]
    assert "Ann Lee is not in Risk" in response.content.decode()
    after = {op.pk: (op.owner_id, op.version) for op in Operation.objects.run_by(leaver)}
    assert after == before
    assert not PersonEvent.objects.filter(kind=EventKind.HANDED_OVER).exists()


def test_a_conflict_half_way_rolls_every_row_back(gone, leaver, member, manager):
    """The service, as the page calls it: the second operation was saved by someone else
    since the page was opened; the first, already handed over, is put back too."""
    refunds, payouts = gone["refunds"], gone["payouts"]
    handovers = [
        services.HandOver(refunds, refunds.version, new_owner=member),
        services.HandOver(payouts, payouts.version - 1, new_owner=member),
    ]
    with pytest.raises(EditConflict):
        services.reassign(leaver, handovers, by=manager)
    assert Operation.objects.get(pk=refunds.pk).owner == leaver
    assert Operation.objects.get(pk=refunds.pk).version == refunds.version
    assert FlagKind.OWNER_LEFT in open_kinds(refunds)


def test_a_stale_page_is_told_and_nothing_is_saved(client, gone, leaver, member):
    refunds = gone["refunds"]
    shown = {f"version-{refunds.pk}": refunds.version}
    Operation.objects.filter(pk=refunds.pk).update(version=refunds.version + 5)
    response = post(client, leaver, all_owner=member.pk, **shown)
    assert response.status_code == 409
    assert "Someone else changed “Refunds”" in response.content.decode()
    assert not Operation.objects.filter(owner=member).exists()
    # the page now carries the version saved: sending it again goes through
    body = dict(response.context["form"].data.items())
    again = client.post(reverse("offboarding:reassign", args=[leaver.pk]), body)
    assert again.status_code == 302
    assert Operation.objects.filter(owner=member).count() == 2


def test_the_new_owner_must_be_an_active_member_of_the_team(client, gone, leaver, outsider):
    refunds = gone["refunds"]
    for tampered in (outsider.pk, leaver.pk, 10**40, "x"):
        response = post(client, leaver, **{f"owner-{refunds.pk}": tampered})
        assert response.status_code == 200
        assert response.context["form"].errors[f"owner-{refunds.pk}"]
    assert Operation.objects.get(pk=refunds.pk).owner == leaver


def test_someone_who_left_cannot_be_given_an_operation(gone, leaver, member, manager):
    services.deactivate(member, by=manager)
    refunds = gone["refunds"]
    with pytest.raises(ValidationError):
        services.reassign(
            leaver, [services.HandOver(refunds, refunds.version, new_owner=member)], by=manager
        )
    assert Operation.objects.get(pk=refunds.pk).owner == leaver


def test_nothing_chosen_is_a_message_not_a_save(client, gone, leaver):
    response = post(client, leaver)
    assert response.status_code == 200
    assert "Nothing to hand over" in response.content.decode()


def test_operations_of_teams_i_do_not_manage_are_shown_not_offered(client, gone, leaver, manager):
    other = TeamFactory(name="Treasury")
    MembershipFactory(user=leaver, team=other)
    cash = OperationFactory(name="Cash count", team=other, owner=leaver)
    response = client.get(reverse("offboarding:reassign", args=[leaver.pk]))
    assert "Cash count" in response.content.decode()
    assert f"owner-{cash.pk}" not in response.context["form"].fields
    # a forged field for it changes nothing
    post(client, leaver, **{f"owner-{cash.pk}": manager.pk, "all_owner": manager.pk})
    assert Operation.objects.get(pk=cash.pk).owner == leaver


def test_the_page_runs_a_constant_number_of_queries(
    client, gone, leaver, team, django_assert_max_num_queries
):
    for i in range(15):
        OperationFactory(name=f"More {i}", team=team, owner=leaver, performers=[leaver])
    with django_assert_max_num_queries(15):
        assert client.get(reverse("offboarding:reassign", args=[leaver.pk])).status_code == 200
