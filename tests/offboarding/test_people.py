"""The people list: who is active, who left, and what each one owns and runs."""

import pytest
from django.urls import reverse

from opsmaturity.offboarding import services
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def rows(response):
    return {p.username: p for p in response.context["page"]}


def test_it_shows_who_left_and_what_they_own(client, manager, member, leaver, team):
    OperationFactory(team=team, owner=leaver, performers=[member])
    OperationFactory(team=team, owner=leaver)
    OperationFactory(team=team, owner=leaver, phase=Phase.RETIRE)  # not counted
    services.deactivate(leaver, by=manager)
    client.force_login(manager)

    response = client.get(reverse("offboarding:people"))

    people = rows(response)
    assert (people["leo"].owned, people["leo"].performed) == (2, 0)
    assert (people["ann"].owned, people["ann"].performed) == (0, 1)
    assert people["leo"].may_reassign and not people["leo"].may_leave
    assert people["ann"].may_leave and people["ann"].may_reassign  # she runs one
    assert not people["boss"].may_leave  # never oneself
    assert not people["boss"].may_reassign  # nothing to hand over
    page = response.content.decode()
    assert "Left" in page and "by Mika Morita" in page
    assert reverse("offboarding:reassign", args=[leaver.pk]) in page
    assert reverse("offboarding:leave", args=[member.pk]) in page
    # a manager does not reactivate: staff do
    assert reverse("offboarding:reactivate", args=[leaver.pk]) not in page


def test_staff_see_everyone_and_may_reactivate(client, staff, manager, leaver):
    services.deactivate(leaver, by=manager)
    client.force_login(staff)
    response = client.get(reverse("offboarding:people"), {"status": "left"})
    assert list(rows(response)) == ["leo"]
    assert reverse("offboarding:reactivate", args=[leaver.pk]) in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "lee"}, {"ann"}),
        ({"status": "active"}, {"ann", "boss"}),
        ({"status": "nonsense", "page": "²"}, {"ann", "boss", "leo"}),
        ({"q": "\x00"}, {"ann", "boss", "leo"}),
    ],
)
def test_filters_and_odd_values(client, manager, member, leaver, params, expected):
    services.deactivate(leaver, by=manager)
    client.force_login(manager)
    response = client.get(reverse("offboarding:people"), params)
    assert response.status_code == 200
    assert set(rows(response)) == expected


def test_the_htmx_answer_is_the_results_alone(client, manager, member):
    client.force_login(manager)
    response = client.get(reverse("offboarding:people"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"') and "<html" not in body


def test_the_nav_links_to_it_for_managers_only(client, manager, member):
    client.force_login(manager)
    assert 'href="/people/"' in client.get(reverse("operations:list")).content.decode()
    client.force_login(member)
    assert 'href="/people/"' not in client.get(reverse("operations:list")).content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(
    client, manager, team, n, django_assert_max_num_queries
):
    for i in range(n):
        person = UserFactory(username=f"p{i}")
        MembershipFactory(user=person, team=team, role=Role.MEMBER)
        OperationFactory(team=team, owner=person, performers=[person])
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("offboarding:people")).status_code == 200
