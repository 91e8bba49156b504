"""A manager brings a spreadsheet in, in a real browser: upload, preview, confirm, see them."""

import pytest
from playwright.sync_api import expect

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory
from tests.transfer.files import JA_HEADER, csv_bytes, row, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How wide the page's own content is (the shared navigation bar is measured elsewhere).
MAIN_WIDTH = "document.querySelector('main').scrollWidth"


@pytest.fixture
def manager():
    team = TeamFactory(name="Billing")
    boss = UserFactory(username="boss", first_name="Mika", last_name="Morita")
    ann = UserFactory(username="ann", first_name="Ann", last_name="Lee")
    MembershipFactory(user=boss, team=team, role=Role.MANAGER)
    MembershipFactory(user=ann, team=team, role=Role.MEMBER)
    return boss


def test_upload_preview_confirm_and_see_the_operations(page, live_server, manager, tmp_path):
    bad = tmp_path / "ops.xlsx"
    bad.write_bytes(xlsx([row(), row("Ledger close", owner="nobody@example.com")]))
    good = tmp_path / "業務.csv"
    good.write_bytes(
        csv_bytes([row("請求書の照合"), row("Ledger close")], header=JA_HEADER, encoding="cp932")
    )
    sign_in(page, live_server, "boss", PASSWORD)
    page.goto(f"{live_server.url}/ops/?scope=all")
    page.get_by_role("link", name="Import a spreadsheet").click()
    expect(page.get_by_role("heading", name="Bring your spreadsheet")).to_be_visible()

    page.get_by_label("Spreadsheet").set_input_files(str(bad))
    page.get_by_role("button", name="Preview the import").click()
    expect(
        page.get_by_text("Row 3, owner: No person with the address nobody@example.com.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Import")).to_have_count(0)

    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("Spreadsheet").set_input_files(str(good))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("cell", name="請求書の照合")).to_be_visible()
    assert not Operation.objects.exists()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling
    page.screenshot(path="/tmp/import-phone.png", full_page=True)
    assert page.evaluate(MAIN_WIDTH) <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Import 2 operations").click()
    expect(page.get_by_text("2 created, 0 updated, 0 unchanged")).to_be_visible()

    page.get_by_role("link", name="See the operations").click()
    expect(page.get_by_role("link", name="請求書の照合")).to_be_visible()
    page.get_by_role("link", name="請求書の照合").click()
    expect(
        page.get_by_text("Recorded on import as already in Standardize since March 1, 2025")
    ).to_be_visible()
    expect(page.get_by_text("Created from row 2 of “業務.csv”")).to_be_visible()
    assert Operation.objects.count() == 2
