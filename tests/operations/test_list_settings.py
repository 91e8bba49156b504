"""The list's columns and page size, chosen from the list itself and remembered per person."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsmaturity.accounts.models import Profile
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.lists import DEFAULT_COLUMNS, DEFAULT_PAGE_SIZE, columns_of
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db

LIST = reverse("operations:list")
SETTINGS = reverse("operations:list_settings")
HTMX = {"HX-Request": "true"}


def headers(html):
    import re

    head = html[html.index("<thead>") : html.index("</thead>")]
    return re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', head)


def test_a_new_person_sees_the_default_columns(client, member, team):
    OperationFactory(team=team, owner=member)
    client.force_login(member)
    html = client.get(LIST).content.decode()
    assert headers(html) == [
        "Operation",
        "Team",
        "Phase",
        "Days in phase",
        "Owner",
        "Performers",
        "Monthly cost",
        "Monthly value",
        "Open flags",
    ]
    assert "Columns and page size" in html
    assert columns_of(member) == DEFAULT_COLUMNS


def test_chosen_columns_and_page_size_are_remembered_without_javascript(client, member, team):
    for i in range(30):
        OperationFactory(name=f"Op {i:02d}", team=team, owner=member, monthly_volume=1234)
    client.force_login(member)
    data = {
        "columns": ["volume", "team", "flags"],
        "page_size": "25",
        "next": "scope=all&phase=launch&page=2",
    }
    response = client.post(SETTINGS, data)
    # back to the same filters, on the first page (the pages are others now)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?scope=all&phase=launch"
    profile = Profile.objects.get(user=member)
    assert profile.list_columns == ["volume", "team", "flags"]
    assert profile.list_page_size == 25
    html = client.get(response["Location"]).content.decode()
    # the table's own order, whatever order they were sent in; the name always first
    assert headers(html) == ["Operation", "Team", "Open flags", "Monthly volume"]
    assert "1,234" in html and "Page 1 of 2" in html
    assert html.count('<td class="col-name">') == 25
    # the form says what is chosen
    assert 'value="volume" id="id_columns_8" checked' in html
    assert 'value="cost" id="id_columns_5" checked' not in html
    assert '<option value="25" selected>' in html


def test_the_name_is_shown_whatever_is_unticked(client, member, team):
    OperationFactory(name="Refund approvals", team=team, owner=member)
    client.force_login(member)
    client.post(SETTINGS, {"page_size": "50"})
    html = client.get(LIST).content.decode()
    assert headers(html) == ["Operation"]
    assert "Refund approvals" in html


def test_with_htmx_the_table_comes_back_for_the_filters_on_the_page(client, member, team):
    OperationFactory(name="Refund approvals", team=team, owner=member, monthly_volume=77)
    OperationFactory(name="Other team's", monthly_volume=88)
    client.force_login(member)
    # the filters as they are on the page (hx-include), not the stale query string
    data = {"columns": ["volume"], "page_size": "100", "next": "scope=all", "scope": "mine"}
    response = client.post(SETTINGS, data, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert headers(body) == ["Operation", "Monthly volume"]
    assert "Refund approvals" in body and "Other team" not in body
    assert response["HX-Push-Url"] == f"{LIST}?scope=mine"
    assert Profile.objects.get(user=member).list_page_size == 100


def test_the_pages_of_a_table_sent_back_keep_the_filters(client, member, team):
    for i in range(30):
        OperationFactory(name=f"Op {i:02d}", team=team, owner=member)
    client.force_login(member)
    data = {"page_size": "25", "scope": "my_teams", "sort": "-name"}
    body = client.post(SETTINGS, data, headers=HTMX).content.decode()
    assert 'rel="next" href="/ops/?scope=my_teams&amp;sort=-name&amp;cursor=' in body


def test_a_page_size_not_offered_is_refused_and_nothing_saved(client, member, team):
    client.force_login(member)
    response = client.post(SETTINGS, {"columns": ["team"], "page_size": "100000"}, follow=True)
    assert "Choose one of the page sizes offered." in response.content.decode()
    assert not Profile.objects.filter(user=member).exists()
    response = client.post(SETTINGS, {"columns": ["nope"], "page_size": "25"}, headers=HTMX)
    assert response.status_code == 200
    assert not Profile.objects.filter(user=member).exists()


def test_a_stored_column_the_list_no_longer_knows_is_ignored(client, member, team):
    OperationFactory(team=team, owner=member)
    Profile.objects.create(user=member, list_columns=["gone", "team"], list_page_size=7)
    client.force_login(member)
    response = client.get(LIST)
    assert headers(response.content.decode()) == ["Operation", "Team"]
    assert response.context["page"].size == DEFAULT_PAGE_SIZE


def test_the_next_address_stays_on_the_list(client, member):
    client.force_login(member)
    response = client.post(SETTINGS, {"page_size": "25", "next": "https://evil.example.com/?x=1"})
    assert response["Location"].startswith(f"{LIST}?")


@pytest.mark.parametrize("role", ["member", "manager", "outsider", "staff"])
def test_everyone_signed_in_keeps_their_own_settings(client, request, role, team):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.post(SETTINGS, {"columns": ["team"], "page_size": "200"}).status_code == 302
    assert Profile.objects.get(user=user).list_page_size == 200
    assert Profile.objects.exclude(user=user).filter(list_page_size=200).count() == 0


def test_anonymous_people_are_sent_to_sign_in(client, member):
    response = client.post(SETTINGS, {"page_size": "25"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(member)
    assert client.get(SETTINGS).status_code == 405


def test_hidden_columns_cost_no_query_and_the_count_stays_flat(client, member, team):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    op = OperationFactory(team=team, owner=member)
    Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)
    client.force_login(member)
    all_shown = queries()
    client.post(SETTINGS, {"columns": ["team", "volume"], "page_size": "200"})
    fewer = queries()
    assert fewer == all_shown - 1  # the open flags are not read
    for _ in range(20):
        OperationFactory(team=team, owner=member)
    assert queries() == fewer


def test_the_settings_read_in_japanese(client, member, team):
    OperationFactory(team=team, owner=member)
    client.force_login(member)
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "表示する列と件数" in html and "Columns and page size" not in html
