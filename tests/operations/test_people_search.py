"""The bulk bar's owner boxes: typed, with at most twenty suggestions from a search of
the people one may name owner (never more people than that), and without JavaScript a
username or an email that names exactly one of them."""

import re

import pytest
from django.urls import reverse

from opsmaturity.lib import people as lib_people
from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from tests.accounts.factories import ProfileFactory
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("operations:people_search")
BULK = reverse("operations:bulk")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world():
    """Billing (Mika manages, Ann and Kenji are in it, Old left), Risk (Zed manages,
    Rui is in it), staff in no team, and Nobody in no team at all."""
    billing, risk = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "mika": UserFactory(username="mika", first_name="Mika", last_name="Morita"),
        "ann": UserFactory(username="ann", first_name="Ann", last_name="Lee", email="ann@x.jp"),
        "kenji": UserFactory(username="kenji", first_name="Kenji", last_name="Sato"),
        "old": UserFactory(username="old", first_name="Olga", last_name="Sato", is_active=False),
        "zed": UserFactory(username="zed", first_name="Zed", last_name="Other"),
        "rui": UserFactory(username="rui", first_name="Rui", last_name="Sato"),
        "staff": UserFactory(username="root", first_name="Ada", last_name="Admin", is_staff=True),
        "nobody": UserFactory(username="nobody", first_name="No", last_name="Team"),
    }
    ProfileFactory(user=users["kenji"], display_name="佐藤 健二")
    for name, team, role in (
        ("mika", billing, Role.MANAGER),
        ("ann", billing, Role.MEMBER),
        ("kenji", billing, Role.MEMBER),
        ("old", billing, Role.MEMBER),
        ("zed", risk, Role.MANAGER),
        ("rui", risk, Role.MEMBER),
    ):
        MembershipFactory(user=users[name], team=team, role=role)
    ops = [
        OperationFactory(name=f"Billing op {i}", team=billing, owner=users["ann"]) for i in (1, 2)
    ]
    return {"billing": billing, "risk": risk, "users": users, "ops": ops}


def suggested(client, text="", name="owner"):
    response = client.get(SEARCH, {name: text}, headers=HTMX)
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]+)">', response.content.decode())


@pytest.mark.parametrize(
    "role,expected",
    [
        ("mika", ["ann", "kenji", "mika"]),  # the people of the teams Mika manages
        ("zed", ["rui", "zed"]),
        ("staff", ["ann", "kenji", "mika", "rui", "zed"]),  # everyone in a team
    ],
)
def test_the_search_offers_only_whom_one_may_name_owner(client, world, role, expected):
    client.force_login(world["users"][role])
    assert suggested(client) == expected  # by first name; who left is never offered
    assert suggested(client, "sato") == [p for p in expected if p in ("kenji", "rui")]


def test_a_member_and_someone_signed_out_get_no_one(client, world):
    response = client.get(SEARCH, {"owner": "a"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world["users"]["ann"])  # a member, who may not reassign
    response = client.get(SEARCH, {"owner": "a"}, headers=HTMX)
    assert response.status_code == 403 and "<option" not in response.content.decode()


def test_people_are_found_by_any_of_their_names_and_named_as_they_chose(client, world):
    client.force_login(world["users"]["mika"])
    assert suggested(client, "健二") == ["kenji"]  # the display name they chose
    assert suggested(client, "ann@x") == ["ann"]
    assert suggested(client, "lee ann") == ["ann"]  # every word, in any order
    assert suggested(client, "kenji", name="team_owner") == ["kenji"]
    html = client.get(SEARCH, {"owner": "kenji"}).content.decode()
    assert '<option value="kenji">佐藤 健二</option>' in html
    assert suggested(client, "<script>") == []


def test_the_search_returns_at_most_twenty(client, world):
    for i in range(30):
        MembershipFactory(user=UserFactory(username=f"p{i:02d}"), team=world["billing"])
    client.force_login(world["users"]["staff"])
    assert len(suggested(client)) == lib_people.SEARCH_LIMIT == 20


def test_the_list_page_names_nobody_in_the_owner_boxes(client, world):
    for i in range(40):
        MembershipFactory(user=UserFactory(username=f"p{i:02d}"), team=world["billing"])
    client.force_login(world["users"]["mika"])
    html = client.get(reverse("operations:list"), {"scope": "all"}).content.decode()
    box = re.search(r'<input type="text" name="owner"[^>]*id="bulk_owner"[^>]*>', html).group(0)
    assert f'hx-get="{SEARCH}"' in box and 'list="bulk_owner_people"' in box
    assert 'aria-describedby="bulk_owner_help"' in box
    assert '<datalist id="bulk_owner_people"></datalist>' in html
    assert '<datalist id="bulk_team_owner_people"></datalist>' in html
    assert "p39" not in html


# --- the plain form: a username or an email ---------------------------------------------


def review(client, ops, **fields):
    ids = [f"{op.pk}:{op.version}" for op in ops]
    return client.post(BULK, {"ids": ids, "filters": "scope=all", **fields})


def confirm(client, response):
    context = response.context
    data = {
        "action": context["action"],
        "filters": context["filters"],
        "confirm": "1",
        "ids": [line.token for line in context["plan"].lines],
        "confirmed": [str(line.pk) for line in context["plan"].changes],
    }
    data.update({name: str(value) for name, value in context["hidden"]})
    return client.post(BULK, data)


@pytest.mark.parametrize("typed", ["kenji", "KENJI", " kenji "])
def test_a_bulk_change_of_owner_by_username_without_javascript(client, world, typed):
    client.force_login(world["users"]["mika"])
    response = review(client, world["ops"], action="owner", owner=typed)
    assert response.status_code == 200
    assert response.context["what"] == "Give them to 佐藤 健二 as owner"
    assert ("owner", "kenji") in response.context["hidden"]  # confirmed by username
    assert confirm(client, response).status_code == 302
    kenji = world["users"]["kenji"]
    assert set(Operation.objects.values_list("owner", flat=True)) == {kenji.pk}


def test_a_move_to_another_team_with_its_owner_typed_by_email(client, world):
    client.force_login(world["users"]["staff"])
    world["users"]["rui"].email = "Rui@Risk.example"
    world["users"]["rui"].save()
    response = review(
        client, world["ops"], action="team", team=world["risk"].pk, team_owner="rui@risk.example"
    )
    assert response.status_code == 200, response.content.decode()[:300]
    assert confirm(client, response).status_code == 302
    assert set(Operation.objects.values_list("team", "owner")) == {
        (world["risk"].pk, world["users"]["rui"].pk)
    }


@pytest.mark.parametrize(
    "typed,message",
    [
        ("nobody", "Nobody you may choose has the username or email “nobody”"),
        ("rui", "Nobody you may choose has the username or email “rui”"),  # not Mika's
        ("old", "Nobody you may choose has the username or email “old”"),  # left
        ("Kenji Sato", "Nobody you may choose has the username or email “Kenji Sato”"),
        ("shared@x.jp", "Several people have the email “shared@x.jp”"),
    ],
)
def test_a_person_the_form_cannot_name_is_refused_with_a_clear_message(
    client, world, typed, message
):
    for name in ("ann", "kenji"):
        world["users"][name].email = "shared@x.jp"
        world["users"][name].save()
    client.force_login(world["users"]["mika"])
    response = review(client, world["ops"], action="owner", owner=typed)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # the box keeps what was typed, and says how to fill it
    assert f'<input type="text" name="owner" value="{typed}"' in html
    assert "Type part of a name and pick from the suggestions" in html
    assert set(Operation.objects.values_list("owner", flat=True)) == {world["users"]["ann"].pk}


def test_a_confirm_naming_someone_else_than_reviewed_changes_nothing(client, world):
    """The confirm form carries the username; edited to someone one may not name, it is
    refused at the field and nothing is written, not half of it."""
    client.force_login(world["users"]["mika"])
    response = review(client, world["ops"], action="owner", owner="kenji")
    data = {
        "action": "owner",
        "filters": "scope=all",
        "confirm": "1",
        "ids": [line.token for line in response.context["plan"].lines],
        "confirmed": [str(line.pk) for line in response.context["plan"].changes],
        "owner": "zed",
    }
    response = client.post(BULK, data)
    assert response.status_code == 400
    assert set(Operation.objects.values_list("owner", flat=True)) == {world["users"]["ann"].pk}


# --- the list's owner filter: the same box, among those who own an operation ----------


def test_the_owner_filter_suggests_owners_to_anyone_signed_in(client, world):
    client.force_login(world["users"]["ann"])  # a member: she may filter, not reassign
    # Ann owns the two operations; Kenji and Rui own none.
    assert suggested_owners(client, "a") == ["ann"]
    OperationFactory(team=world["risk"], owner=world["users"]["rui"])
    assert suggested_owners(client, "sato") == ["rui"]
    assert suggested_owners(client, "") == []  # nothing typed: nobody, not 20 of 20,000
    client.logout()
    assert client.get(SEARCH, {"among": "owners", "owner": "a"}).status_code == 302


def suggested_owners(client, text):
    response = client.get(SEARCH, {"among": "owners", "owner": text}, headers=HTMX)
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]+)">', response.content.decode())


def test_the_owner_filter_takes_a_username_an_email_or_an_id(client, world):
    ann = world["users"]["ann"]
    OperationFactory(name="Risk op", team=world["risk"], owner=world["users"]["rui"])
    client.force_login(ann)
    for typed in ("ann", "ANN", "ann@x.jp", str(ann.pk)):
        html = client.get(reverse("operations:list"), {"scope": "all", "owner": typed})
        html = html.content.decode()
        assert "Billing op 1" in html and "Risk op" not in html, typed
        # the box names her by username, whatever the address said
        assert '<input type="text" name="owner" value="ann"' in html, typed
    html = client.get(reverse("operations:list"), {"scope": "all", "owner": "nobody"})
    html = html.content.decode()
    assert "Risk op" in html and "Billing op 1" in html  # left out, and said so
    warning = re.search(r"were not understood and were left out: ([^<]*)</p>", html).group(1)
    assert warning == "Owner."  # the one field, no stray comma after it
    html = client.get(
        reverse("operations:list"),
        {"scope": "all", "owner": "nobody", "phase": "bogus"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    warning = re.search(r"were not understood and were left out: ([^<]*)</p>", html).group(1)
    assert warning == "Phase, Owner."
    html = client.get(
        reverse("operations:list"),
        {"scope": "all", "owner": "nobody", "phase": "bogus"},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).content.decode()
    assert "除外しました：フェーズ、責任者。</p>" in html
