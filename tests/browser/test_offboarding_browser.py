"""A manager deactivates someone who left and hands their operations over, in a browser."""

import pytest
from playwright.sync_api import expect

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing():
    team = TeamFactory(name="Billing")
    people = {}
    for username, first, last, role in [
        ("mika", "Mika", "Morita", Role.MANAGER),
        ("ann", "Ann", "Lee", Role.MEMBER),
        ("leo", "Leo", "Park", Role.MEMBER),
    ]:
        people[username] = UserFactory(username=username, first_name=first, last_name=last)
        MembershipFactory(user=people[username], team=team, role=role)
    leo, ann = people["leo"], people["ann"]
    OperationFactory(name="Refunds", team=team, owner=leo, performers=[leo, ann])
    OperationFactory(
        name="Audit", team=team, owner=ann, phase=Phase.STANDARDIZE, performers=[leo, ann]
    )
    return people


def test_a_manager_deactivates_and_reassigns_in_one_step(page, live_server, billing, screenshot):
    sign_in(page, live_server, "mika", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Leo Park")
    row.get_by_role("link", name="Deactivate…").click()

    expect(page.get_by_role("heading", name="Deactivate Leo Park")).to_be_visible()
    page.get_by_role("button", name="Deactivate").click()

    expect(page.get_by_text("Leo Park is deactivated")).to_be_visible()
    expect(page.get_by_role("heading", name="Reassign the operations of Leo Park")).to_be_visible()
    assert Flag.objects.open().filter(kind=FlagKind.OWNER_LEFT).count() == 1
    reassign_url = page.url
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Owner has left")).to_be_visible()
    screenshot(page, "offboarding-dashboard")
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("row").filter(has_text="Leo Park")).to_contain_text("Left")
    screenshot(page, "offboarding-people")
    page.goto(reassign_url)
    page.get_by_label("New owner of all").select_option(label="Ann Lee")
    page.get_by_label("Their place as performer, everywhere").select_option(label="Remove Leo Park")
    screenshot(page, "offboarding-reassign")
    page.get_by_role("button", name="Hand them over").click()

    expect(page.get_by_text("2 operations handed over.")).to_be_visible()
    refunds = Operation.objects.get(name="Refunds")
    assert refunds.owner.username == "ann"
    assert not Operation.performers.through.objects.filter(user=billing["leo"]).exists()
    assert not Flag.objects.open().filter(kind=FlagKind.OWNER_LEFT).exists()
    # Audit is down to one performer: the person-dependent rule says so at once
    audit = Operation.objects.get(name="Audit")
    assert Flag.objects.open().filter(operation=audit, kind=FlagKind.PERSON_DEPENDENT).exists()


@pytest.mark.parametrize("path", ["/people/", "leave", "reassign"])
def test_the_pages_fit_a_phone(browser, live_server, billing, path):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "mika", PASSWORD)
    leo = billing["leo"].pk
    url = path if path.startswith("/") else f"/people/{leo}/{path}/"
    page.goto(f"{live_server.url}{url}")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
    context.close()
