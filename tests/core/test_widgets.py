"""QuickSelect writes the same HTML as Django's Select, only faster."""

import pytest
from django import forms
from django.db import connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext

from opsmaturity.lib.people import person_label
from opsmaturity.lib.widgets import QuickSelect
from opsmaturity.operations.forms import OperationFilterForm
from opsmaturity.operations.lists import owners_matching
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

CHOICES = [("", "Anyone"), ("1", "Ada <Lovelace>"), ("2", 'Bob "the builder" & Co'), ("3", "Zoë")]


@pytest.mark.parametrize("value", [None, "", "2", "9"])
def test_same_html_as_djangos_select(value):
    attrs = {"id": "id_owner", "aria-describedby": "help"}
    quick = QuickSelect(choices=CHOICES).render("owner", value, attrs)
    django = forms.Select(choices=CHOICES).render("owner", value, attrs)
    assert parse_html(quick) == parse_html(django)
    assert "&lt;Lovelace&gt;" in quick and "&amp; Co" in quick


@pytest.mark.django_db
def test_the_lists_owner_filter_keeps_the_chosen_person_and_marks_who_left():
    # The owner filter is a typed box now (20,000 owners at a million operations):
    # the chosen person stays in it, and its suggestions say who left.
    ada = UserFactory(first_name="Ada", last_name="Lovelace")
    gone = UserFactory(first_name="Old", last_name="Timer", is_active=False)
    OperationFactory(owner=ada)
    OperationFactory(owner=gone)
    html = str(OperationFilterForm({"owner": str(ada.pk)})["owner"])
    assert f'value="{ada.username}"' in html
    suggested = [person_label(p) for p in owners_matching("Timer")]
    assert suggested == ["Old Timer (left)"]


@pytest.mark.django_db
def test_a_model_select_read_as_pairs_writes_what_the_option_by_option_one_writes():
    from opsmaturity.teams.models import Team
    from tests.teams.factories import TeamFactory

    for name in ("Billing", "<b>R&D</b>", "Support"):
        TeamFactory(name=name)

    class Pick(forms.Form):
        by_model = forms.ModelChoiceField(
            Team.objects.all(), required=False, empty_label="Any", widget=QuickSelect
        )
        by_pairs = forms.ModelChoiceField(
            Team.objects.all(),
            required=False,
            empty_label="Any",
            widget=QuickSelect(label_field="name"),
        )

    chosen = Team.objects.get(name="Support").pk
    for data in ({}, {"by_model": chosen, "by_pairs": chosen}, {"by_model": "x", "by_pairs": "x"}):
        form = Pick(data)
        form.is_valid()
        model = str(form["by_model"]).replace("by_model", "F")
        pairs = str(form["by_pairs"]).replace("by_pairs", "F")
        assert pairs == model
        assert "&lt;b&gt;R&amp;D&lt;/b&gt;" in pairs
    with CaptureQueriesContext(connection) as queries:
        str(Pick()["by_pairs"])
    assert len(queries) == 1 and '"teams_team"."name"' in queries[0]["sql"]
    assert '"teams_team"."description"' not in queries[0]["sql"]
