"""“We have always done it” is not a purpose (the article's 昔からあるOpsだし): such a
purpose is refused with the reason, in either language; a short one gets a hint."""

import pytest
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.operations.purposes import hint, is_only_tradition
from tests.operations.test_views import form_data

REFUSED = [
    "We have always done it.",
    "we've always done this",
    "It has always been there",
    "Legacy",
    "For historical reasons",
    "That's just how we do it",
    "昔からあるOpsだし",
    "昔からやっているので",
    "以前からある業務です",
    "慣例",
    "ＬＥＧＡＣＹ",  # full-width, as a Japanese keyboard may type it
]
ACCEPTED = [
    "Customers get their refund within two days; without it chargebacks double.",
    "We have always done it by hand, but finance needs the totals by the 5th to close.",
    "昔からある業務だが、監査で毎月の照合結果の提出が求められている。",
    "Legacy customers on the old plan need their invoices reissued monthly.",
]


@pytest.mark.parametrize("text", REFUSED)
def test_a_purpose_that_only_says_it_has_always_been_done_is_refused(text):
    assert is_only_tradition(text)


@pytest.mark.parametrize("text", ACCEPTED)
def test_a_purpose_that_says_why_passes_even_when_it_mentions_the_past(text):
    assert not is_only_tradition(text)
    assert hint(text) is None


def test_a_short_purpose_gets_a_hint_not_a_refusal():
    assert hint("Refunds") is not None
    assert not is_only_tradition("Refunds")


@pytest.mark.django_db
def test_the_form_refuses_it_with_the_reason_and_saves_nothing(client, member, team):
    client.force_login(member)
    data = form_data(team, member, purpose="昔からあるOpsだし")
    response = client.post(reverse("operations:create"), data)
    assert response.status_code == 200
    assert "is not a purpose" in response.content.decode()
    assert not Operation.objects.exists()


@pytest.mark.django_db
def test_the_live_check_shows_the_hint_for_a_short_purpose(client, member, team):
    client.force_login(member)
    data = {**form_data(team, member, purpose="Refunds"), "_validate": "purpose"}
    response = client.post(reverse("operations:create"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'class="hint"' in html and "who needs the result" in html
    assert 'class="error"' not in html
    # a short purpose is still saved: the hint advises, it does not refuse
    response = client.post(reverse("operations:create"), form_data(team, member, purpose="Refunds"))
    assert response.status_code == 302
    assert Operation.objects.get().purpose == "Refunds"


@pytest.mark.django_db
def test_an_old_purpose_kept_as_it_was_does_not_block_other_edits(client, member, team):
    """Saved before the rule, "Legacy" does not stop someone fixing the cost; changing
    the purpose to another such excuse is refused."""
    from tests.operations.factories import OperationFactory

    op = OperationFactory(team=team, owner=member, purpose="Legacy")
    client.force_login(member)
    url = reverse("operations:edit", args=[op.pk])
    data = {**form_data(team, member, purpose="Legacy"), "version": op.version}
    data["name"] = op.name
    assert client.post(url, data).status_code == 302
    op.refresh_from_db()
    data = {**data, "purpose": "昔からあるOpsだし", "version": op.version}
    response = client.post(url, data)
    assert response.status_code == 200 and "is not a purpose" in response.content.decode()
