"""The exit checklist reads the operation's data: what the data answers is checked from
it (and says so), only the rest is ticked by hand, from the operation's page or the move
page, and every "may it move on" counts the same way."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.maturity.models import FlagKind
from opsmaturity.maturity.moves import IllegalMove
from opsmaturity.operations import criteria
from opsmaturity.operations.models import CriterionCheck, Operation, PhaseCriterion
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import (
    NoteRequired,
    link_runbook,
    move_phase,
    move_phases,
    set_criterion_check,
)
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def criterion(phase, key=""):
    return PhaseCriterion.objects.filter(phase=phase, key=key).first()


def manual_steps():
    return criterion(Phase.LAUNCH)


def checklist_html(page):
    start = page.index('<div class="checklist-box" id="checklist">')
    return page[start : page.index("</ul>", start)]


# --- what a new operation shows ---------------------------------------------------------


def test_a_new_operation_shows_what_its_data_answers(member_client, member, team):
    op = OperationFactory(team=team, owner=member, monthly_volume=320)
    for url in (op.get_absolute_url(), reverse("operations:move", args=[op.pk])):
        html = checklist_html(member_client.get(url).content.decode())
        assert html.count('class="check-item done from-data"') == 3, url
        assert "from the data: purpose written" in html
        assert "from the data: owned by Ann Lee" in html
        assert "from the data: 320 times a month" in html
        # Only the criterion people tick has a button, and it reads as one.
        assert html.count("<button") == 1
        assert "Mark as done</button>" in html
        assert html.count("✓") == 3


def test_what_the_data_lacks_is_said_with_where_to_change_it(member_client, member, team):
    op = OperationFactory(team=team, owner=member, monthly_volume=0)
    Operation.objects.filter(pk=op.pk).update(purpose="")  # saved before purposes were asked
    html = checklist_html(member_client.get(op.get_absolute_url()).content.decode())
    assert "from the data: no purpose written" in html
    assert "from the data: no monthly volume entered" in html
    assert f'<a href="{reverse("operations:edit", args=[op.pk])}">Change it</a>' in html


def test_a_purpose_that_only_says_it_was_always_done_is_not_one(member, team):
    op = OperationFactory(team=team, owner=member)
    Operation.objects.filter(pk=op.pk).update(purpose="We have always done it.")
    op.refresh_from_db()
    item = next(i for i in criteria.checklist(op) if i.criterion.key == "purpose_written")
    assert not item.met
    assert item.says == "the purpose only says that it has always been done"


def test_an_owner_who_left_does_not_count_as_named(member, team):
    op = OperationFactory(team=team, owner=member)
    member.is_active = False
    member.save()
    op.refresh_from_db()
    item = next(i for i in criteria.checklist(op) if i.criterion.key == "owner_named")
    assert not item.met and item.says == "its owner, Ann Lee, has left"


def test_standardize_reads_runbook_performers_and_money(member, manager, team):
    op = OperationFactory(team=team, phase=Phase.STANDARDIZE, runbook_url="", performers=[member])
    said = {i.criterion.key: (i.met, i.says) for i in criteria.checklist(op) if i.from_data}
    assert said == {
        "runbook_linked": (False, "no runbook linked"),
        "performers_enough": (False, "1 performer listed, 2 needed"),
        "cost_value_measured": (True, "cost 1,000 and value 5,000 a month"),
    }
    op.performers.add(manager)
    Operation.objects.filter(pk=op.pk).update(runbook_url="https://wiki.example.com/r")
    op = Operation.objects.get(pk=op.pk)
    said = {i.criterion.key: i.met for i in criteria.checklist(op) if i.from_data}
    assert said == dict.fromkeys(said, True)


def test_cost_reviewed_against_value_reads_the_purpose_review(member, team):
    op = OperationFactory(team=team, phase=Phase.COST_OPTIMIZE)
    item = next(i for i in criteria.checklist(op) if i.from_data)
    assert (item.met, item.says) == (False, "purpose not reviewed yet")
    assert item.fix_url == reverse("operations:review", args=[op.pk])
    Operation.objects.filter(pk=op.pk).update(purpose_reviewed_at=timezone.now())
    op.refresh_from_db()
    item = next(i for i in criteria.checklist(op) if i.from_data)
    assert item.met and item.says.startswith("purpose reviewed on ")
    Operation.objects.filter(pk=op.pk).update(monthly_value=Decimal("10"))
    op.refresh_from_db()
    item = next(i for i in criteria.checklist(op) if i.from_data)
    assert (item.met, item.says) == (False, "value 10 < cost 1,000")  # the rule's own words


def test_the_data_speaks_the_readers_language(client, member, team):
    op = OperationFactory(team=team, owner=member, monthly_volume=320)
    client.force_login(member)
    try:
        page = client.get(op.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    finally:
        translation.deactivate()
    html = checklist_html(page)
    assert "データより：目的が記入済み" in html
    assert "データより：月320件" in html
    assert "完了にする</button>" in html


# --- ticking by hand, from either page ----------------------------------------------------


def test_a_criterion_the_data_answers_cannot_be_ticked(member_client, member, team):
    op = OperationFactory(team=team, owner=member, monthly_volume=0)
    volume = criterion(Phase.LAUNCH, "volume_measured")
    url = reverse("operations:check", args=[op.pk, volume.pk])
    body = member_client.post(url, {"checked": "on"}, headers=HTMX).content.decode()
    assert "The operation&#x27;s own data answers this criterion" in body
    assert not CriterionCheck.objects.exists()
    with pytest.raises(IllegalMove):
        set_criterion_check(op, volume, by=member, checked=True)
    assert criteria.unmet_count(op) == 2  # volume, and the manual steps


def test_ticked_from_the_operations_page_without_javascript(member_client, team):
    op = OperationFactory(team=team)
    url = reverse("operations:check", args=[op.pk, manual_steps().pk])
    response = member_client.post(url, {"checked": "on", "from": "detail", "evidence": "wiki"})
    assert response.status_code == 302
    assert response["Location"] == f"{op.get_absolute_url()}#exit-checklist"
    html = checklist_html(member_client.get(response["Location"]).content.decode())
    assert html.count('class="check-item done') == 4
    assert "Evidence: wiki" in html and "Undo</button>" in html


def test_ticked_from_the_move_page_with_htmx_updates_the_hint(member_client, team):
    op = OperationFactory(team=team)
    page = member_client.get(reverse("operations:move", args=[op.pk])).content.decode()
    assert "next phase: note needed, 1 criterion not met" in page
    url = reverse("operations:check", args=[op.pk, manual_steps().pk])
    body = member_client.post(url, {"checked": "on", "from": "move"}, headers=HTMX)
    body = body.content.decode()
    assert body.startswith('<div class="checklist-box" id="checklist">')
    assert 'id="forward-hint" hx-swap-oob="true">next phase</span>' in body
    assert 'name="from" value="move"' in body
    back = member_client.post(url, {"checked": "off", "from": "detail"}, headers=HTMX)
    assert "forward-hint" not in back.content.decode()  # the operation's page has no hint


def test_someone_who_may_not_edit_sees_the_checklist_without_buttons(client, outsider, team):
    op = OperationFactory(team=team)
    client.force_login(outsider)
    html = checklist_html(client.get(op.get_absolute_url()).content.decode())
    assert "from the data: purpose written" in html
    assert "<form" not in html and "<button" not in html and "Change it" not in html


# --- the runbook's link -----------------------------------------------------------------


def runbook_op(team, **extra):
    """In standardize, without a runbook: its criterion asks for the link."""
    return OperationFactory(team=team, phase=Phase.STANDARDIZE, runbook_url="", **extra)


def test_the_runbook_link_given_in_the_checklist_fills_the_runbook(member_client, member, team):
    op = runbook_op(team, performers=[member])
    from opsmaturity.maturity.scan import run_scan

    run_scan()
    flag = op.flags.get(kind=FlagKind.PERSON_DEPENDENT, resolved_at=None)
    assert not flag.facts["runbook"]
    page = member_client.get(op.get_absolute_url()).content.decode()
    assert 'type="url"' in checklist_html(page) and "Link the runbook</button>" in page
    runbook = criterion(Phase.STANDARDIZE, "runbook_linked")
    url = reverse("operations:check", args=[op.pk, runbook.pk])
    response = member_client.post(
        url,
        {"checked": "on", "evidence": " https://wiki.example.com/refunds ", "from": "detail"},
        headers=HTMX,
    )
    assert response.status_code == 200 and response.headers["HX-Refresh"] == "true"
    saved = Operation.objects.get(pk=op.pk)
    assert saved.runbook_url == "https://wiki.example.com/refunds"
    assert saved.version == op.version + 1  # an edit like any other
    assert not CriterionCheck.objects.exists()  # the data answers it now
    flag.refresh_from_db()
    assert flag.facts["runbook"]  # the flag was rescanned: only performers left
    html = checklist_html(member_client.get(op.get_absolute_url()).content.decode())
    assert "from the data: runbook linked" in html and 'type="url"' not in html


def test_a_runbook_already_linked_is_kept(member, team):
    op = runbook_op(team)
    Operation.objects.filter(pk=op.pk).update(runbook_url="https://wiki.example.com/first")
    saved = link_runbook(op, "https://wiki.example.com/second", by=member)
    assert saved.runbook_url == "https://wiki.example.com/first"
    assert saved.version == op.version


@pytest.mark.parametrize("link", ["wiki page", "ftp://files/runbook", "", "javascript:alert(1)"])
def test_a_runbook_link_that_is_no_web_address_is_refused(member_client, team, link):
    op = runbook_op(team)
    runbook = criterion(Phase.STANDARDIZE, "runbook_linked")
    url = reverse("operations:check", args=[op.pk, runbook.pk])
    response = member_client.post(url, {"checked": "on", "evidence": link}, headers=HTMX)
    body = response.content.decode()
    assert "Give the runbook&#x27;s full web address" in body
    assert 'aria-invalid="true"' in body  # what was typed is kept, marked
    assert Operation.objects.get(pk=op.pk).runbook_url == ""
    # Without JavaScript: the same message, on the move page.
    response = member_client.post(url, {"checked": "on", "evidence": link}, follow=True)
    assert "Give the runbook&#x27;s full web address" in response.content.decode()


# --- one count for every "may it move on" -----------------------------------------------


def test_a_new_operation_moves_on_once_its_one_manual_criterion_is_ticked(member, team):
    op = OperationFactory(team=team, owner=member)
    with pytest.raises(NoteRequired, match="1 exit criterion is not met"):
        move_phase(op, Phase.STANDARDIZE, by=member)
    set_criterion_check(op, manual_steps(), by=member, checked=True)
    move_phase(op, Phase.STANDARDIZE, by=member)
    assert Operation.objects.get(pk=op.pk).phase == Phase.STANDARDIZE


def test_a_tick_left_on_a_criterion_the_data_answers_counts_for_nothing(member, team):
    op = OperationFactory(team=team, owner=member, monthly_volume=0)
    CriterionCheck.objects.create(  # ticked before the data answered it
        operation=op, criterion=criterion(Phase.LAUNCH, "volume_measured"), checked_by=member
    )
    set_criterion_check(op, manual_steps(), by=member, checked=True)
    assert criteria.unmet_count(op) == 1
    with pytest.raises(NoteRequired):
        move_phase(op, Phase.STANDARDIZE, by=member)


def test_the_page_the_service_the_batch_and_the_import_count_alike(member, manager, team):
    ops = [
        OperationFactory(team=team, owner=member),
        OperationFactory(team=team, owner=member, monthly_volume=0),
        OperationFactory(team=team, phase=Phase.STANDARDIZE, runbook_url="", performers=[member]),
        OperationFactory(team=team, phase=Phase.STANDARDIZE, performers=[member, manager]),
        OperationFactory(team=team, phase=Phase.COST_OPTIMIZE),
    ]
    set_criterion_check(ops[0], manual_steps(), by=member, checked=True)
    from opsmaturity.maturity.rules import with_performer_count
    from opsmaturity.transfer.plan import _Planner

    by_phase = criteria.active_criteria()
    ticked = criteria.ticked_criteria([op.pk for op in ops])
    counted = with_performer_count(Operation.objects.select_related("owner")).in_bulk(
        [op.pk for op in ops]
    )
    for op in ops:
        page = sum(1 for item in criteria.checklist(op) if not item.met)
        batch = criteria.unmet_of(counted[op.pk], by_phase[op.phase], ticked.get(op.pk, set()))
        plan = _Planner.__new__(_Planner)
        plan.criteria, plan.ticked = by_phase, ticked
        assert criteria.unmet_count(op) == page == batch == plan.unmet(op), op
    assert [criteria.unmet_count(op) for op in ops] == [0, 2, 3, 1, 2]
    # The batch moves (an import) move the one with nothing unmet without a note.
    move_phases([(ops[0], Phase.STANDARDIZE, "", None)], by=member)
    with pytest.raises(NoteRequired):
        move_phases([(ops[1], Phase.STANDARDIZE, "", None)], by=member)


def test_the_import_judges_a_move_after_the_rows_edits(member, manager, team):
    from opsmaturity.transfer.plan import edited

    op = OperationFactory(team=team, phase=Phase.STANDARDIZE, runbook_url="", performers=[member])
    assert criteria.unmet_count(op) == 3  # runbook, performers, and the manual one
    after = edited(op, {"runbook_url": "https://wiki.example.com/r"}, [member, manager])
    assert criteria.unmet_of(after, criteria.phase_criteria(op.phase), set()) == 1
    assert Operation.objects.get(pk=op.pk).runbook_url == ""  # a copy: nothing saved


def test_a_move_page_costs_the_same_queries_whatever_is_ticked(
    member_client, member, team, django_assert_max_num_queries
):
    op = OperationFactory(team=team, phase=Phase.STANDARDIZE, performers=[member])
    with django_assert_max_num_queries(20):
        member_client.get(reverse("operations:move", args=[op.pk]))


# --- the data migration that linked the shipped criteria ---------------------------------


def test_the_shipped_criteria_are_linked_and_a_reworded_one_is_left_alone():
    PhaseCriterion.objects.update(key="")
    PhaseCriterion.objects.filter(label="Owner named").update(label="Owner and deputy named")
    migration = importlib.import_module(
        "opsmaturity.operations.migrations.0014_link_default_criteria"
    )
    migration.link(apps, None)
    keys = dict(PhaseCriterion.objects.exclude(key="").values_list("label", "key"))
    assert keys == {
        "Purpose written down": "purpose_written",
        "Monthly volume measured": "volume_measured",
        "Runbook written and linked": "runbook_linked",
        "Two people can run it": "performers_enough",
        "Cost and value measured": "cost_value_measured",
        "Cost reviewed against value": "purpose_reviewed",
    }
    assert PhaseCriterion.objects.get(label="Owner and deputy named").key == ""


def test_a_criterion_ticked_by_hand_before_the_rule_stays_in_the_history(member, team):
    op = OperationFactory(team=team)
    old = CriterionCheck.objects.create(
        operation=op,
        criterion=criterion(Phase.LAUNCH, "purpose_written"),
        checked_by=member,
        checked_at=timezone.now() - dt.timedelta(days=3),
    )
    assert CriterionCheck.objects.current().get() == old  # not erased
    assert criteria.unmet_count(op) == 1
