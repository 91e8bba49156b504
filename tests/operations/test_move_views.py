"""Moving an operation, ticking its checklist and reviewing its purpose, from the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.maturity.models import FlagKind
from opsmaturity.operations.models import (
    CriterionCheck,
    Operation,
    PhaseCriterion,
    PurposeReview,
)
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, UserFactory

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


# --- moves, checklist and reviews ---------------------------------------------------


def test_move_forward_through_the_checklist(member_client, team, member):
    op = OperationFactory(team=team)  # a purpose, an owner and a volume: the data says so
    for criterion in PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key=""):
        member_client.post(
            reverse("operations:check", args=[op.pk, criterion.pk]), {"checked": "on"}
        )
    assert CriterionCheck.objects.filter(operation=op).count() == 1
    response = member_client.post(
        reverse("operations:move", args=[op.pk]),
        {"to_phase": "standardize", "note": "", "version": op.version},
    )
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.phase == Phase.STANDARDIZE


def test_move_with_unmet_criteria_asks_for_a_note(member_client, team):
    op = OperationFactory(team=team)
    response = member_client.post(
        reverse("operations:move", args=[op.pk]),
        {"to_phase": "standardize", "note": "", "version": op.version},
    )
    assert response.status_code == 400
    assert "1 exit criterion is not met" in " ".join(response.context["form"].errors["note"])
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH


def test_checklist_toggle_with_htmx_returns_the_checklist(member_client, team):
    op = OperationFactory(team=team)
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key="").first()
    url = reverse("operations:check", args=[op.pk, criterion.pk])
    body = member_client.post(
        url, {"checked": "on"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert body.startswith('<div class="checklist-box" id="checklist">')
    assert ">Undo</button>" in body
    member_client.post(url, {"checked": "off"})
    assert not CriterionCheck.objects.current().exists()
    # Unticking keeps who ticked it, when, and who took it back.
    taken_back = CriterionCheck.objects.get()
    assert taken_back.checked_by is not None and taken_back.unchecked_by == taken_back.checked_by


def test_purpose_review_records_who_and_when(member_client, team, member):
    op = OperationFactory(team=team, monthly_value=Decimal("10"), monthly_cost=Decimal("50"))
    response = member_client.post(
        reverse("operations:review", args=[op.pk]),
        {
            "reason": "Regulators require it.",
            "monthly_value": "80",
            "monthly_cost": "50",
            "version": op.version,
        },
    )
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.purpose_reviewed_by == member and op.purpose_reviewed_at is not None
    assert op.monthly_value == Decimal("80")
    review = PurposeReview.objects.get()
    assert review.reason == "Regulators require it." and review.by == member


def test_purpose_review_needs_a_reason(member_client, team):
    op = OperationFactory(team=team)
    response = member_client.post(
        reverse("operations:review", args=[op.pk]),
        {"reason": "  ", "monthly_value": "80", "monthly_cost": "50", "version": op.version},
    )
    assert response.status_code == 200
    assert "Say why it is still needed." in " ".join(response.context["form"].errors["reason"])
    assert not PurposeReview.objects.exists()


def test_an_operation_recorded_late_counts_its_launch_from_its_launch_day(
    member_client, team, member
):
    launched = timezone.localdate() - dt.timedelta(days=90)
    member_client.post(
        reverse("operations:create"), form_data(team, member, launched_at=launched.isoformat())
    )
    op = Operation.objects.get(name="Refund approvals")
    assert timezone.localdate(op.phase_entered_at) == launched
    assert op.flags.filter(kind=FlagKind.STALLED, resolved_at=None).exists()


def test_a_launch_date_in_the_future_is_refused(member_client, team, member):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = member_client.post(
        reverse("operations:create"), form_data(team, member, launched_at=tomorrow.isoformat())
    )
    assert "cannot be in the future" in " ".join(response.context["form"].errors["launched_at"])
    assert not Operation.objects.exists()


def test_operations_of_someone_who_left_can_still_be_saved(member_client, team, member):
    leaver = UserFactory(first_name="Haruto", last_name="Ito")
    MembershipFactory(user=leaver, team=team)
    op = OperationFactory(team=team, owner=leaver, performers=[leaver, member])
    leaver.is_active = False
    leaver.save()
    page = member_client.get(reverse("operations:edit", args=[op.pk])).content.decode()
    assert "Haruto Ito (left)" in page
    data = form_data(team, leaver, name="Refunds", version=op.version)
    data["performers"] = [member.pk]  # replace the leaver
    response = member_client.post(reverse("operations:edit", args=[op.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    op.refresh_from_db()
    assert op.name == "Refunds" and list(op.performers.all()) == [member]


def test_a_move_after_someone_elses_change_is_told_and_can_be_sent_again(member_client, team):
    op = OperationFactory(team=team, phase=Phase.STANDARDIZE)
    stale = op.version
    Operation.objects.filter(pk=op.pk).update(version=stale + 1, monthly_cost=Decimal("1"))
    data = {"to_phase": "launch", "note": "Back to the drawing board", "version": stale}
    response = member_client.post(reverse("operations:move", args=[op.pk]), data)
    assert response.status_code == 409
    assert "Someone else changed this operation" in response.content.decode()
    assert response.context["form"].data["version"] == stale + 1
    data["version"] = response.context["form"].data["version"]
    assert member_client.post(reverse("operations:move", args=[op.pk]), data).status_code == 302
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH


def test_a_review_after_someone_elses_change_is_409_then_goes_through(member_client, team):
    op = OperationFactory(team=team)
    Operation.objects.filter(pk=op.pk).update(version=op.version + 1)
    data = {
        "reason": "Still required",
        "monthly_value": "9",
        "monthly_cost": "1",
        "version": op.version,
    }
    response = member_client.post(reverse("operations:review", args=[op.pk]), data)
    assert response.status_code == 409
    data["version"] = response.context["form"].data["version"]
    assert member_client.post(reverse("operations:review", args=[op.pk]), data).status_code == 302


def test_a_criterion_is_ticked_with_its_evidence(member_client, team):
    op = OperationFactory(team=team)
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key="").first()
    url = reverse("operations:check", args=[op.pk, criterion.pk])
    body = member_client.post(
        url,
        {"checked": "on", "evidence": "https://wiki.example.com/volume"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert CriterionCheck.objects.get().evidence == "https://wiki.example.com/volume"
    assert 'href="https://wiki.example.com/volume"' in body


def test_too_long_evidence_is_refused_with_a_message(member_client, team):
    op = OperationFactory(team=team)
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH, key="").first()
    response = member_client.post(
        reverse("operations:check", args=[op.pk, criterion.pk]),
        {"checked": "on", "evidence": "x" * 501},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200  # htmx swaps only a 2xx answer in
    assert "Evidence is at most 500 characters" in response.content.decode()
    assert not CriterionCheck.objects.exists()


def test_saving_stamps_updated_at_and_bulk_imports_keep_theirs(member_client, team, member):
    long_ago = timezone.now() - dt.timedelta(days=300)
    (imported,) = Operation.objects.bulk_create(
        [Operation(name="Imported", team=team, owner=member, purpose="p", updated_at=long_ago)]
    )
    imported.refresh_from_db()
    assert imported.updated_at == long_ago
    member_client.post(
        reverse("operations:edit", args=[imported.pk]),
        form_data(team, member, name="Imported", version=imported.version),
    )
    imported.refresh_from_db()
    assert imported.updated_at > long_ago + dt.timedelta(days=299)


def test_a_filter_that_is_not_understood_is_left_out_and_said(member_client, team):
    OperationFactory(name="Alpha", team=team)
    page = member_client.get(reverse("operations:list"), {"phase": "someday"}).content.decode()
    assert "Alpha" in page
    assert "were not understood and were left out" in page and "Phase" in page
