"""The operations list on a laptop and a phone: its table fits its box at 1280 px, no
filter is cut, nothing scrolls sideways, and the columns and page size a person picks
on the list itself are kept (with htmx and without JavaScript)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import signed_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    """What widens the table: long names, big sums, and every flag at once."""
    team = TeamFactory(name="Finance Back-office")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Morita-Vandenberghe")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    old = timezone.now() - dt.timedelta(days=430)
    for n in range(30):
        op = OperationFactory(
            name=f"Consumption tax filing preparation {n:02d}",
            team=team,
            owner=manager,
            phase=[Phase.LAUNCH, Phase.COST_OPTIMIZE, Phase.STANDARDIZE][n % 3],
            phase_entered_at=old,
            monthly_cost=Decimal("11000000"),
            monthly_value=Decimal("16000000"),
        )
        if n < 3:
            for kind in (FlagKind.STALLED, FlagKind.UNJUSTIFIED, FlagKind.PERSON_DEPENDENT):
                Flag.objects.create(operation=op, kind=kind)
    return manager


PAGE_WIDER = "document.documentElement.scrollWidth - window.innerWidth"
TABLE_WIDER = """() => {
  const wrap = document.querySelector('.table-wrap');
  return wrap.scrollWidth - wrap.clientWidth;
}"""
# Flags whose right edge passes the table's box: cut, or reachable only by scrolling.
FLAGS_CUT = """() => {
  const box = document.querySelector('.table-wrap').getBoundingClientRect();
  return [...document.querySelectorAll('.table-wrap .flag')]
    .filter(f => f.getBoundingClientRect().right > box.right + 0.5).length;
}"""
# Selects of the filters whose choice is wider than the room the select gives it.
SELECTS_CUT = """(everyOption) => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('#list-filters select')].filter(s => {
    const style = getComputedStyle(s);
    ctx.font = style.font;
    const options = everyOption ? [...s.options] : [s.options[s.selectedIndex]];
    const widest = Math.max(...options.map(o => ctx.measureText(o.text).width));
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = s.clientWidth - padding - 14;  // the arrow
    return widest > room;
  }).map(s => s.name);
}"""


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_on_a_laptop_the_table_and_the_filters_fit(browser, live_server, world, lang, screenshot):
    context, page = signed_in(browser, live_server, 1280, lang)
    page.goto(f"{live_server.url}/ops/?scope=all&flag=any")
    page.wait_for_selector(".table-wrap")
    screenshot(page, f"list-1280-{lang}")
    assert page.evaluate(PAGE_WIDER) <= 0
    assert page.evaluate(TABLE_WIDER) <= 0, "the table is wider than its box"
    assert page.evaluate(FLAGS_CUT) == 0
    assert page.evaluate(SELECTS_CUT, True) == []
    context.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_on_a_phone_nothing_scrolls_sideways(browser, live_server, world, lang, screenshot):
    context, page = signed_in(browser, live_server, 390, lang)
    page.goto(f"{live_server.url}/ops/?scope=all")
    page.wait_for_selector(".table-wrap")
    screenshot(page, f"list-390-{lang}")
    assert page.evaluate(PAGE_WIDER) <= 0
    assert page.evaluate(SELECTS_CUT, False) == []
    context.close()


def test_columns_and_page_size_are_chosen_on_the_list_and_kept(
    browser, live_server, world, screenshot
):
    context, page = signed_in(browser, live_server, 1280)
    page.goto(f"{live_server.url}/ops/?scope=all&sort=-name")
    table = page.locator("table.ops")
    expect(table.locator("thead th")).to_have_count(10)  # and the ticks
    page.get_by_text("Columns and page size").click()
    page.get_by_label("Monthly value").uncheck()  # htmx: the table follows at once
    expect(table.locator("thead th", has_text="Monthly value")).to_have_count(0)
    page.get_by_label("Monthly volume").check()
    expect(table.locator("thead th", has_text="Monthly volume")).to_have_count(1)
    page.get_by_label("Operations per page").select_option("25")
    expect(table.locator("tbody tr")).to_have_count(25)
    screenshot(page, "list-columns-open")
    # the filters on the page were kept, and the choice is there on the next visit
    assert "sort=-name" in page.url
    page.goto(f"{live_server.url}/ops/?scope=all")
    expect(table.locator("thead th", has_text="Monthly volume")).to_have_count(1)
    expect(table.locator("thead th", has_text="Monthly value")).to_have_count(0)
    expect(table.locator("tbody tr")).to_have_count(25)
    context.close()


def test_without_javascript_the_columns_form_still_saves(browser, live_server, world):
    context, page = signed_in(browser, live_server, 1280, java_script_enabled=False)
    page.goto(f"{live_server.url}/ops/?scope=all&phase=launch")
    page.get_by_text("Columns and page size").click()
    page.get_by_label("Owner", exact=True).last.uncheck()
    page.get_by_role("button", name="Save").click()
    assert page.url.endswith("/ops/?scope=all&phase=launch")
    expect(page.locator("table.ops thead th", has_text="Owner")).to_have_count(0)
    expect(page.locator("table.ops thead th")).to_have_count(9)
    context.close()


def test_a_manager_moves_several_operations_at_once(browser, live_server, world, screenshot):
    context, page = signed_in(browser, live_server, 1280)
    page.goto(f"{live_server.url}/ops/?scope=all&phase=launch")
    rows = page.locator('table.ops input[name="ids"]')
    expect(rows).to_have_count(10)
    # the head's checkbox (JavaScript) ticks the whole page, then none
    every = page.get_by_label("Select every operation of this page")
    every.check()
    assert all(rows.nth(i).is_checked() for i in range(10))
    every.uncheck()
    rows.nth(0).check()
    rows.nth(1).check()
    page.get_by_text("Change the selected operations…").click()
    page.get_by_label("Move to", exact=True).select_option("standardize")
    page.get_by_label("Note").fill("Runbooks written in the November push")
    page.get_by_role("button", name="Review the moves").click()
    expect(page.get_by_role("heading", name="Review the change")).to_be_visible()
    expect(page.locator(".bulk-review")).to_contain_text("2 operations will change")
    assert page.evaluate(PAGE_WIDER) <= 0
    screenshot(page, "bulk-review-1280")
    page.get_by_role("button", name="Change these 2 operations").click()
    expect(page.get_by_role("heading", name="Changes made")).to_be_visible()
    expect(page.locator(".bulk-review")).to_contain_text("2 operations changed")
    screenshot(page, "bulk-done-1280")
    page.get_by_role("link", name="Back to the list").first.click()
    expect(page.locator("table.ops tbody tr")).to_have_count(8)
    context.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_on_a_phone_without_javascript_a_bulk_change_goes_through(
    browser, live_server, world, lang, screenshot
):
    context, page = signed_in(browser, live_server, 390, lang, java_script_enabled=False)
    page.goto(f"{live_server.url}/ops/?scope=all&phase=launch")
    page.locator('table.ops input[name="ids"]').nth(0).check()
    page.locator(".bulk-bar summary").click()
    page.locator("#bulk_owner").fill("mika")  # no script: the username, typed
    page.locator('button[name="action"][value="owner"]').click()
    # every one is owned by Mika already: nothing to change, and it says so
    expect(page.locator(".bulk-review")).to_contain_text(
        "There is nothing to change." if lang == "en" else "変更するものはありません。"
    )
    assert page.evaluate(PAGE_WIDER) <= 0  # once the review has loaded, not while it loads
    screenshot(page, f"bulk-review-390-{lang}")
    page.go_back()
    page.locator('table.ops input[name="ids"]').nth(0).check()
    page.locator(".bulk-bar summary").click()
    page.locator("#bulk_to_phase").select_option("retire")
    page.locator("#bulk_note").fill("Replaced by the tax office's own service")
    page.locator('button[name="action"][value="move"]').click()
    page.locator(".bulk-review button.primary").click()
    assert page.evaluate(PAGE_WIDER) <= 0
    screenshot(page, f"bulk-done-390-{lang}")
    expect(page.locator(".bulk-lines")).to_contain_text("Consumption tax filing preparation")
    context.close()


def test_the_list_its_disclosures_and_the_review_pass_axe(browser, live_server, world):
    from tests.browser.test_accessibility import AXE, violations

    if not AXE.exists():
        pytest.skip("needs axe-core: `make test` installs it with npm")
    context, page = signed_in(browser, live_server, 1280)
    page.goto(f"{live_server.url}/ops/?scope=all&flag=any")
    page.get_by_text("Columns and page size").click()
    page.get_by_text("Change the selected operations…").click()
    assert violations(page) == []
    page.locator('table.ops input[name="ids"]').nth(0).check()
    page.locator('button[name="action"][value="grant"]').click()
    expect(page.get_by_role("heading", name="Review the change")).to_be_visible()
    assert violations(page) == []
    context.close()
