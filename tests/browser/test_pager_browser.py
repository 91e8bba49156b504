"""The list's pager and its owner boxes in a real browser: First / Previous / Next / Last
swapped in place by htmx with the address following, the owner boxes suggesting people
as one types, on a phone and a laptop, in English and Japanese."""

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import ORDER
from opsmaturity.teams.models import Role
from tests.accounts.factories import ProfileFactory
from tests.browser.conftest import signed_in
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGE_WIDER = "document.documentElement.scrollWidth - window.innerWidth"
SHOTS = Path("/tmp/keyset-shots")


@pytest.fixture
def world():
    """A manager of two teams with 130 operations (three pages of 50), and people."""
    teams = [TeamFactory(name="Finance Back-office"), TeamFactory(name="Customer Support")]
    manager = UserFactory(username="mika", first_name="Mika", last_name="Morita-Vandenberghe")
    for team in teams:
        MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    for username, first, last in (
        ("kenji", "Kenji", "Sato"),
        ("kei", "Kei", "Sasaki"),
        ("bea", "Beatriz", "Costa"),
    ):
        MembershipFactory(
            user=UserFactory(username=username, first_name=first, last_name=last), team=teams[0]
        )
    ProfileFactory(
        user=UserFactory._meta.model.objects.get(username="kenji"), display_name="佐藤 健二"
    )
    old = timezone.now() - dt.timedelta(days=100)
    Operation.objects.bulk_create(
        Operation(
            name=f"Consumption tax filing preparation {n:03d}",
            team=teams[n % 2],
            owner=manager,
            purpose="File on time.",
            phase=ORDER[n % 4],
            phase_entered_at=old,
            monthly_cost=Decimal(1000 + n),
            monthly_value=Decimal(2000),
        )
        for n in range(130)
    )
    return manager


def names(page):
    return page.locator("table.ops td.col-name a").all_inner_texts()


def test_walking_the_pages_in_place(browser, live_server, world):
    context, page = signed_in(browser, live_server, 1280)
    page.goto(f"{live_server.url}/ops/?scope=all&sort=name")
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager).to_contain_text("Page 1 of 3")
    first = names(page)
    assert first[0].endswith("000") and len(first) == 50
    pager.get_by_role("link", name="Next").click()
    expect(pager).to_contain_text("Page 2 of 3")
    # the new page is read from its top, not from the pager at the bottom of the old one
    expect(page.locator("table.ops tbody tr").first).to_be_in_viewport()
    assert names(page)[0].endswith("050") and "cursor=" in page.url and "sort=name" in page.url
    pager.get_by_role("link", name="Last").click()
    expect(pager).to_contain_text("Page 3 of 3")
    assert names(page)[-1].endswith("129") and len(names(page)) == 50  # a full last page
    expect(pager.get_by_role("link", name="Next")).to_have_count(0)
    pager.get_by_role("link", name="Previous").click()
    expect(pager).to_contain_text("Page 2 of 3")
    assert names(page)[-1].endswith("079")
    pager.get_by_role("link", name="First").click()
    expect(pager).to_contain_text("Page 1 of 3")
    assert names(page) == first
    page.go_back()  # the address was pushed at each step
    expect(pager).to_contain_text("Page 2 of 3")
    context.close()


def test_the_owner_boxes_suggest_people_as_one_types(browser, live_server, world):
    context, page = signed_in(browser, live_server, 1280)
    page.goto(f"{live_server.url}/ops/?scope=all&phase=launch")
    page.locator('table.ops input[name="ids"]').nth(0).check()
    page.get_by_text("Change the selected operations…").click()
    box = page.get_by_label("New owner")
    box.press_sequentially("sa", delay=30)
    options = page.locator("#bulk_owner_people option")
    expect(options).to_have_count(2)  # Kenji Sato and Kei Sasaki, by name
    assert options.evaluate_all("os => os.map(o => o.value)") == ["kei", "kenji"]
    assert "佐藤 健二" in options.all_text_contents()
    box.fill("kenji")  # what choosing the suggestion puts in the box
    page.locator('button[name="action"][value="owner"]').click()
    expect(page.locator(".bulk-what, h2, .bulk-review").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Give them to 佐藤 健二 as owner")
    # The owner filter: the same box, among those who own an operation.
    page.goto(f"{live_server.url}/ops/?scope=all")
    owner = page.locator("#id_owner")
    owner.press_sequentially("mor", delay=30)
    expect(page.locator("#id_owner_people option")).to_have_count(1)
    owner.fill("mika")
    owner.dispatch_event("change")
    expect(page).to_have_url(re.compile(r"owner=mika"))
    expect(page.locator("#results .count")).to_contain_text("130 operations")
    assert "/ops/people/" not in page.url  # the suggestions never take the address
    context.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_pager_and_the_owner_boxes_fit(browser, live_server, world, lang, width, screenshot):
    context, page = signed_in(browser, live_server, width, lang)
    page.goto(f"{live_server.url}/ops/?scope=all&sort=-cost")
    pager = page.locator("nav.pager")
    pager.locator('a[rel="next"]').click()
    expect(pager.locator('a[rel="first"]')).to_be_visible()
    page.locator(".bulk-bar summary").click()
    page.locator("#bulk_owner").press_sequentially("k", delay=30)
    expect(page.locator("#bulk_owner_people option")).to_have_count(3)  # Kei, Kenji, Mika
    path = screenshot(page, f"pager-{width}-{lang}")
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"pager-{width}-{lang}-top.png"))
    pager.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"pager-{width}-{lang}-view.png"))
    assert page.evaluate(PAGE_WIDER) <= 0
    links = pager.locator("a")
    expect(links).to_have_count(4)
    for i in range(4):  # each link a target a thumb can hit (WCAG 2.5.8: 24 px)
        box = links.nth(i).bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24, (i, box)
    context.close()
