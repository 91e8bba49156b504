"""Performers are chosen in a picker: a checkbox per person, the chosen first, named as
they chose, so a click adds or removes one person and never drops the others. The page
works as a plain form; tests/browser/test_people_picker_browser.py drives the script."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsmaturity.operations.models import Operation
from tests.accounts.factories import ProfileFactory
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(team, member, manager):
    """Ann (the member, who signs in), Mika (the manager) and two more of the team."""
    extra = {}
    for username, first, last in (("kenji", "Kenji", "Sato"), ("bea", "Beatriz", "Costa")):
        extra[username] = UserFactory(username=username, first_name=first, last_name=last)
        MembershipFactory(user=extra[username], team=team)
    ProfileFactory(user=extra["kenji"], display_name="佐藤 健二")
    return {"ann": member, "mika": manager, **extra}


def picker(page):
    start = page.index("data-people-picker")
    return page[start : page.index("data-picker-status", start)]


def names(html):
    return re.findall(r"<span>([^<]+)</span></label>", html)


def checked(html):
    return re.findall(r'value="(\d+)" id="id_performers_\d+" checked>', html)


def test_the_chosen_come_first_named_as_they_chose(client, team, people):
    op = OperationFactory(team=team, owner=people["ann"], performers=[people["kenji"]])
    client.force_login(people["ann"])
    html = picker(client.get(reverse("operations:edit", args=[op.pk])).content.decode())
    assert names(html) == ["佐藤 健二", "Ann Lee", "Beatriz Costa", "Mika Morita"]
    assert checked(html) == [str(people["kenji"].pk)]
    # A group of checkboxes, named by its legend; the search and the chips wait for the script.
    page = client.get(reverse("operations:edit", args=[op.pk])).content.decode()
    assert '<fieldset class="field people-field" id="row-performers"' in page
    assert "<legend>Performers</legend>" in page
    assert "data-picker-search hidden" in html and "<select" not in html
    assert 'src="/static/js/people-picker.js"' in page


def test_a_plain_post_keeps_everyone_ticked(client, team, people):
    client.force_login(people["ann"])
    data = {
        "name": "Refund approvals",
        "team": team.pk,
        "owner": people["ann"].pk,
        "purpose": "Customers get their refund within two days.",
        "performers": [people["kenji"].pk, people["bea"].pk],
        "monthly_volume": "10",
        "monthly_cost": "100",
        "monthly_value": "200",
    }
    response = client.post(reverse("operations:create"), data)
    assert response.status_code == 302
    op = Operation.objects.get(name="Refund approvals")
    assert set(op.performers.all()) == {people["kenji"], people["bea"]}
    # Edited: Beatriz unticked, Ann ticked; Kenji stays.
    data.update(version=op.version, performers=[people["kenji"].pk, people["ann"].pk])
    assert client.post(reverse("operations:edit", args=[op.pk]), data).status_code == 302
    assert set(op.performers.all()) == {people["kenji"], people["ann"]}


def test_a_form_sent_back_with_an_error_keeps_the_ticks(client, team, people):
    client.force_login(people["ann"])
    data = {"name": "", "team": team.pk, "owner": people["ann"].pk, "purpose": "Why it runs."}
    data["performers"] = [people["bea"].pk, people["mika"].pk]
    html = picker(client.post(reverse("operations:create"), data).content.decode())
    assert sorted(checked(html)) == sorted([str(people["bea"].pk), str(people["mika"].pk)])
    assert names(html)[:2] == ["Beatriz Costa", "Mika Morita"]


def test_someone_who_left_stays_where_they_are_marked_so(client, team, people):
    op = OperationFactory(team=team, owner=people["ann"], performers=[people["bea"]])
    people["bea"].is_active = False
    people["bea"].save()
    client.force_login(people["ann"])
    html = picker(client.get(reverse("operations:edit", args=[op.pk])).content.decode())
    assert names(html)[0] == "Beatriz Costa (left)"


def test_the_japanese_page_speaks_japanese(client, team, people):
    client.force_login(people["ann"])
    from django.utils import translation

    try:
        page = client.get(reverse("operations:create"), HTTP_ACCEPT_LANGUAGE="ja")
    finally:
        translation.deactivate()
    html = picker(page.content.decode())
    assert "人を探す" in html and "選択中：" in html and "%(name)sを外す" in html


def test_the_form_costs_the_same_queries_for_many_people(client, team, people):
    client.force_login(people["ann"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("operations:create")).status_code == 200
        return len(queries)

    before = count()
    for i in range(30):
        user = UserFactory(username=f"p{i}")
        MembershipFactory(user=user, team=team)
        ProfileFactory(user=user, display_name=f"Person {i}")
    assert count() == before
