"""One's own profile: name, language and zone; refused input; the pages that follow it."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.accounts.middleware import ProfileMiddleware
from opsmaturity.accounts.models import Profile
from opsmaturity.lib.people import display_name
from tests.accounts.factories import ProfileFactory
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/"


def save(client, **fields):
    data = {"display_name": "", "language": "", "time_zone": "", **fields}
    return client.post(URL, data)


def test_the_profile_page_is_behind_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert save(client, display_name="Intruder").status_code == 302
    assert not Profile.objects.exists()


def test_a_person_saves_their_name_language_and_zone(client, member):
    client.force_login(member)
    page = client.get(URL).content.decode()
    assert 'list="time-zones"' in page and '<option value="Asia/Tokyo">' in page
    response = save(client, display_name="  Ann  L. ", language="ja", time_zone="asia/tokyo")
    assert response.status_code == 302 and response["Location"] == URL
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.language, profile.time_zone) == (
        "Ann L.",
        "ja",
        "Asia/Tokyo",
    )
    page = client.get(URL).content.decode()
    assert "プロフィールを保存しました" in page, "the message in the language just chosen"
    assert "Ann L." in page


def test_a_first_visit_writes_nothing(client, member):
    client.force_login(member)
    assert client.get(URL).status_code == 200
    assert not Profile.objects.exists()


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "is not a time zone we know"),
        ({"time_zone": "x" * 65}, "time_zone", "at most 64 characters"),
        ({"language": "fr"}, "language", "Select a valid choice"),
        ({"language": "ja' OR 1=1"}, "language", "Select a valid choice"),
        ({"display_name": "x" * 151}, "display_name", "at most 150 characters"),
        ({"display_name": "Ann\x00Lee"}, "display_name", ""),
    ],
)
def test_bad_input_is_refused_at_the_field_and_nothing_is_saved(
    client, member, fields, field, message
):
    ProfileFactory(user=member, display_name="Ann", time_zone="Europe/Paris")
    client.force_login(member)
    response = save(client, **{"display_name": "Changed", **fields})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    profile = Profile.objects.get(user=member)
    assert (profile.display_name, profile.time_zone) == ("Ann", "Europe/Paris")


def test_nobody_edits_someone_elses_profile(client, member, manager):
    """There is no id to change: whatever is posted, one's own profile is the one saved."""
    ProfileFactory(user=member, display_name="Ann")
    client.force_login(manager)
    response = client.post(
        URL,
        {"display_name": "Boss", "language": "", "time_zone": "", "user": member.pk, "id": 1},
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=member).display_name == "Ann"
    assert Profile.objects.get(user=manager).display_name == "Boss"
    assert client.get(f"{URL}?user={member.pk}").context["form"].instance.user == manager


def test_wrong_methods_are_refused(client, member):
    client.force_login(member)
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405


# --- the name the app shows ----------------------------------------------------------


def test_the_display_name_is_shown_in_the_bar_and_on_operations(client, member, manager):
    ProfileFactory(user=member, display_name="Annie")
    op = OperationFactory(name="Invoice matching", team=member.memberships.get().team, owner=member)
    op.performers.add(member)
    client.force_login(manager)
    listing = client.get(reverse("operations:list")).content.decode()
    assert "Annie" in listing
    detail = client.get(reverse("operations:detail", args=[op.pk])).content.decode()
    assert detail.count("Annie") >= 2, "owner and performer"
    client.force_login(member)
    assert 'class="who" href="/account/"' in client.get(URL).content.decode()
    assert ">Annie</a>" in client.get(URL).content.decode()


def test_without_a_display_name_the_full_name_or_username_shows(member):
    ProfileFactory(user=member, display_name="")
    loaded = type(member).objects.select_related("profile").get(pk=member.pk)
    assert display_name(loaded) == "Ann Lee"
    nameless = UserFactory(username="nameless", first_name="", last_name="")
    assert display_name(nameless) == "nameless"


def test_naming_a_person_never_costs_a_query(member, django_assert_num_queries):
    ProfileFactory(user=member, display_name="Annie")
    plain = type(member).objects.get(pk=member.pk)
    loaded = type(member).objects.select_related("profile").get(pk=member.pk)
    with django_assert_num_queries(0):
        assert display_name(plain) == "Ann Lee"  # not loaded: the full name, no query
        assert display_name(loaded) == "Annie"


# --- language and zone of the pages -------------------------------------------------


def test_pages_speak_the_profiles_language_over_the_browsers(client, member):
    ProfileFactory(user=member, language="ja")
    client.force_login(member)
    response = client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert '<html lang="ja">' in page and response["Content-Language"] == "ja"


def test_without_a_language_of_ones_own_the_browser_decides(client, member):
    ProfileFactory(user=member, language="")
    client.force_login(member)
    page = client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in page
    page = client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page


def test_an_english_profile_gets_english_from_a_japanese_browser(client, member):
    ProfileFactory(user=member, language="en")
    client.force_login(member)
    page = client.get(reverse("operations:list"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="en">' in page


def run_middleware(rf, user):
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        seen["language"] = translation.get_language()
        return None

    request = rf.get("/")
    request.user = user
    request.LANGUAGE_CODE = "en"
    translation.activate("en")
    ProfileMiddleware(view)(request)
    return seen


def test_times_are_shown_in_the_profiles_zone_and_only_for_that_request(rf, member, settings):
    settings.TIME_ZONE = "UTC"
    ProfileFactory(user=member, time_zone="Asia/Tokyo", language="ja")
    loaded = type(member).objects.select_related("profile").get(pk=member.pk)
    assert run_middleware(rf, loaded) == {"zone": "Asia/Tokyo", "language": "ja"}
    assert timezone.get_current_timezone_name() == "UTC", "put back after the request"
    other = UserFactory(username="other")
    assert run_middleware(rf, other)["zone"] == "UTC"


def test_a_zone_gone_from_tzdata_falls_back_to_the_installations(rf, member, settings):
    settings.TIME_ZONE = "UTC"
    Profile.objects.create(user=member)
    Profile.objects.filter(user=member).update(time_zone="Gone/Away")
    loaded = type(member).objects.select_related("profile").get(pk=member.pk)
    assert run_middleware(rf, loaded)["zone"] == "UTC"


def test_the_signed_in_persons_profile_costs_no_extra_query(client, member):
    """The profile comes with the user, in one query (backends.get_user)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ProfileFactory(user=member, language="ja", display_name="Annie")
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    profile_queries = [q["sql"] for q in queries if "accounts_profile" in q["sql"]]
    assert len(profile_queries) == 1 and "auth_user" in profile_queries[0]


def test_people_are_named_as_they_chose_on_the_team_plan(client, member, manager, team):
    from opsmaturity.organization.models import SkillLevel
    from tests.organization.factories import SkillFactory

    ProfileFactory(user=member, display_name="Annie")
    SkillLevel.objects.create(user=member, skill=SkillFactory(name="SQL"), proposed_level=3)
    client.force_login(manager)
    for name in ("organization:index", "organization:team_gap"):
        args = [team.pk] if name == "organization:team_gap" else []
        page = client.get(reverse(name, args=args)).content.decode()
        assert "Annie" in page, name


def test_clearing_the_language_says_saved_in_the_browsers_language(client, member):
    ProfileFactory(user=member, language="ja")
    client.force_login(member)
    response = save(client, language="")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
