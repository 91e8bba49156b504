"""Staff may have an import make what its file names and nobody has: the teams, an
account for each unknown address (mailed how to sign in), and the memberships."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import ChangeKind, Membership, MembershipChange, Team
from opsmaturity.transfer import importing
from opsmaturity.transfer.models import ImportRecord
from tests.transfer.files import csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db
User = get_user_model()

NEWCOMER = "Kaito.Mori@Example.com"


def new_team_rows():
    return [
        row("Fraud review", team="Risk", owner=NEWCOMER, performers=f"ann; {NEWCOMER}"),
        row("Chargebacks", team="Risk", owner="ann", performers=""),
    ]


def preview(user, data, create_missing=True, name="ops.csv"):
    record = importing.store_upload(user, name, data, create_missing=create_missing)
    return record, importing.preview(record, user)


def test_the_preview_lists_what_would_be_made_and_makes_nothing(people, staff):
    record, plan = preview(staff, csv_bytes(new_team_rows()))
    assert plan.errors == []
    assert plan.counts["create"] == 2
    assert [t.name for t in plan.new_teams] == ["Risk"]
    assert [p.email for p in plan.new_people] == ["Kaito.Mori@example.com"]
    joins = sorted((t.name, p.email or p.username) for t, p in plan.new_members)
    assert joins == [("Risk", "Kaito.Mori@example.com"), ("Risk", "ann@example.com")]
    assert not Team.objects.filter(name="Risk").exists()
    assert not User.objects.filter(email__iexact=NEWCOMER).exists()


def test_confirming_makes_teams_accounts_and_memberships_then_the_operations(
    people, staff, mailoutbox, client, django_capture_on_commit_callbacks
):
    record, plan = preview(staff, xlsx(new_team_rows()), name="ops.xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        importing.run_import(record, staff, fingerprint=plan.fingerprint())
    risk = Team.objects.get(name="Risk")
    newcomer = User.objects.get(email__iexact=NEWCOMER)
    assert not newcomer.has_usable_password() and newcomer.is_active
    members = set(Membership.objects.filter(team=risk).values_list("user__username", "role"))
    assert members == {(newcomer.username, "member"), ("ann", "member")}
    fraud = Operation.objects.get(name="Fraud review")
    assert (fraud.team, fraud.owner) == (risk, newcomer)
    assert set(fraud.performers.all()) == {newcomer, people["member"]}
    assert Operation.objects.get(name="Chargebacks").owner == people["member"]
    kinds = set(MembershipChange.objects.filter(team=risk).values_list("kind", flat=True))
    assert {ChangeKind.CREATED, ChangeKind.ADDED} <= kinds
    record.refresh_from_db()
    assert (record.created, record.teams_created, record.people_added) == (2, 1, 2)

    to = {m.to[0]: m for m in mailoutbox}
    assert set(to) == {"Kaito.Mori@example.com", "ann@example.com"}
    welcome = to["Kaito.Mori@example.com"]
    assert "Ada Admin added you to Ops Maturity" in welcome.subject
    assert "Risk" in welcome.body
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", welcome.body).group(0)
    answer = client.get(urlsplit(link).path, follow=True)
    assert answer.status_code == 200
    assert "new_password1" in answer.content.decode(), "the link lets them choose a password"
    assert "Risk" in to["ann@example.com"].subject


def test_the_same_file_twice_makes_nothing_more(people, staff):
    data = csv_bytes(new_team_rows())
    record, plan = preview(staff, data)
    importing.run_import(record, staff, fingerprint=plan.fingerprint())
    again, plan = preview(staff, data)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    assert not plan.creates_missing
    assert User.objects.filter(email__iexact=NEWCOMER).count() == 1


def test_a_bad_row_anywhere_makes_nothing_at_all(people, staff):
    rows = [*new_team_rows(), row("Broken", team="Ledger", owner="ann", monthly_cost="lots")]
    record, plan = preview(staff, csv_bytes(rows))
    assert [(n, k) for n, k, _m in plan.errors] == [(4, "monthly_cost")]
    assert [t.name for t in plan.new_teams] == ["Risk"], "a bad row's team is not planned"
    with pytest.raises(importing.ImportFailed):
        importing.run_import(record, staff)
    assert not Team.objects.filter(name__in=["Risk", "Ledger"]).exists()
    assert not User.objects.filter(email__iexact=NEWCOMER).exists()


def test_a_write_refused_late_rolls_back_the_teams_and_accounts(people, staff, monkeypatch):
    from opsmaturity.operations import services

    record, plan = preview(staff, csv_bytes(new_team_rows()))

    def refuse(*args, **kwargs):
        from django.core.exceptions import ValidationError

        exc = ValidationError({"name": "taken meanwhile"})
        exc.row_index = 0
        raise exc

    monkeypatch.setattr(services, "create_operations", refuse)
    with pytest.raises(importing.ImportFailed, match="taken meanwhile"):
        importing.run_import(record, staff)
    assert not Team.objects.filter(name="Risk").exists()
    assert not User.objects.filter(email__iexact=NEWCOMER).exists()


def test_a_username_nobody_has_is_still_an_error(people, staff):
    _record, plan = preview(staff, csv_bytes([row("Fraud", owner="kaito")]))
    assert [(k, m) for _n, k, m in plan.errors] == [("owner", "No person with the username kaito.")]


def test_without_the_choice_what_is_missing_is_an_error(people, staff):
    _record, plan = preview(staff, csv_bytes(new_team_rows()), create_missing=False)
    messages = {k: m for _n, k, m in plan.errors}
    assert messages["team"] == "No team called “Risk”."
    assert not plan.creates_missing


def test_a_manager_cannot_choose_it(people, client, django_capture_on_commit_callbacks):
    manager = people["manager"]
    record, plan = preview(manager, csv_bytes(new_team_rows()))
    assert record.create_missing is False
    assert {k for _n, k, _m in plan.errors} == {"team"}
    client.force_login(manager)
    page = client.get(reverse("transfer:import")).content.decode()
    assert 'name="create_missing"' not in page
    upload = _upload(new_team_rows())
    client.post(reverse("transfer:import"), {"file": upload, "create_missing": "on"})
    assert ImportRecord.objects.filter(by=manager, create_missing=True).count() == 0


def _upload(rows):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("ops.csv", csv_bytes(rows), content_type="text/csv")


def test_staff_choose_it_on_the_page_and_the_preview_says_what_it_makes(people, staff, client):
    client.force_login(staff)
    page = client.get(reverse("transfer:import")).content.decode()
    assert 'name="create_missing"' in page
    response = client.post(
        reverse("transfer:import"), {"file": _upload(new_team_rows()), "create_missing": "on"}
    )
    preview_page = client.get(response["Location"]).content.decode()
    assert "A new team: Risk" in preview_page
    assert "An account, mailed how to sign in: Kaito.Mori@example.com" in preview_page
    assert "Joining Risk as members: Kaito.Mori@example.com, ann@example.com" in preview_page


def test_with_single_sign_on_only_the_welcome_says_sign_in(
    people, staff, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PASSWORD_LOGIN = False
    record, plan = preview(staff, csv_bytes(new_team_rows()[:1]))
    with django_capture_on_commit_callbacks(execute=True):
        importing.run_import(record, staff, fingerprint=plan.fingerprint())
    welcome = next(m for m in mailoutbox if m.to == ["Kaito.Mori@example.com"])
    assert "single sign-on" in welcome.body
    assert "/accounts/login/" in welcome.body and "password/reset" not in welcome.body


def test_the_command_makes_them_too_for_staff_only(people, staff, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "ops.csv"
    path.write_bytes(csv_bytes(new_team_rows()))
    with pytest.raises(CommandError, match="for staff"):
        call_command("import_ops", str(path), "--as", "boss", "--create-missing", "--dry-run")
    call_command("import_ops", str(path), "--as", staff.username, "--create-missing")
    assert Team.objects.filter(name="Risk").exists()


def test_a_new_team_name_too_long_is_refused_at_its_cell(people, staff):
    _record, plan = preview(staff, csv_bytes([row("Fraud", team="R" * 121, performers="")]))
    assert [(k, m) for _n, k, m in plan.errors] == [
        ("team", "A new team's name has at most 120 characters.")
    ]
