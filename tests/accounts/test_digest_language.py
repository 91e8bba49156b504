"""The weekly digest speaks each reader's language, and tells times in their zone."""

import datetime as dt
import email
import email.policy

import pytest
import time_machine

from opsmaturity.digests import sending
from opsmaturity.digests.models import DigestSubscription, Mode
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from tests.accounts.factories import ProfileFactory
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

SUNDAY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "https://ops.example.com"
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "en"


def reader(username, language="", time_zone="", display_name=""):
    user = UserFactory(username=username)
    ProfileFactory(user=user, language=language, time_zone=time_zone, display_name=display_name)
    op = OperationFactory(owner=user, team=TeamFactory(), phase=Phase.STANDARDIZE)
    Flag.objects.create(
        operation=op, kind=FlagKind.PERSON_DEPENDENT, facts={"performers": 0, "runbook": True}
    )
    return user


def parts(message):
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def test_a_japanese_and_an_english_reader_each_get_their_language_in_one_run(mailoutbox):
    ja = reader("kenji", language="ja", display_name="佐藤 健二")
    en = reader("emma")
    with time_machine.travel(SUNDAY, tick=False):
        sending.dispatch()
    with time_machine.travel(MONDAY_9, tick=False):
        sending.dispatch()
    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {ja.email, en.email}

    ja_text, ja_html = parts(by_address[ja.email])
    assert "今週" in by_address[ja.email].subject
    assert "佐藤 健二" in ja_text and 'lang="ja"' in ja_html
    en_text, en_html = parts(by_address[en.email])
    assert by_address[en.email].subject == "1 operation needs you this week"
    assert 'lang="en"' in en_html
    assert "今週" not in en_text


def test_an_english_reader_in_a_japanese_installation_gets_english(settings, mailoutbox):
    settings.LANGUAGE_CODE = "ja"
    en = reader("emma", language="en")
    ja = reader("kenji")  # no language of their own: the installation's
    with time_machine.travel(SUNDAY, tick=False):
        sending.dispatch()
    with time_machine.travel(MONDAY_9, tick=False):
        sending.dispatch()
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[en.email] == "1 operation needs you this week"
    assert "今週" in subjects[ja.email]


def test_the_first_digest_comes_on_the_morning_of_the_profiles_zone(mailoutbox):
    tokyo = reader("kenji", language="ja", time_zone="Asia/Tokyo")
    with time_machine.travel(SUNDAY, tick=False):
        sending.dispatch()
    sub = DigestSubscription.objects.get(user=tokyo)
    assert sub.next_digest_at == dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # 09:00 Tokyo
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC), tick=False):
        sending.dispatch()
    assert [m.to[0] for m in mailoutbox] == [tokyo.email]


def test_the_digests_own_zone_wins_over_the_profiles(mailoutbox):
    user = reader("kenji", time_zone="Asia/Tokyo")
    DigestSubscription.objects.create(user=user, time_zone="Europe/Paris", mode=Mode.ALWAYS)
    sub = DigestSubscription.objects.get(user=user)
    assert sub.zone_name == "Europe/Paris"
    sub.time_zone = ""
    assert sub.zone_name == "Asia/Tokyo"


def test_changing_the_profiles_zone_moves_the_next_digest(client):
    user = reader("kenji")
    with time_machine.travel(SUNDAY, tick=False):
        sending.dispatch()
        assert DigestSubscription.objects.get(user=user).next_digest_at == MONDAY_9
        client.force_login(user)
        response = client.post(
            "/account/", {"display_name": "", "language": "", "time_zone": "Asia/Tokyo"}
        )
        assert response.status_code == 302, response.content.decode()[-3000:]
    moved = DigestSubscription.objects.get(user=user).next_digest_at
    assert moved == dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)


def test_the_preview_speaks_the_readers_language(client):
    user = reader("kenji", language="ja")
    client.force_login(user)
    page = client.get("/digests/preview/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "今週" in page


def test_the_digest_preferences_say_an_empty_zone_follows_the_profile(client, settings):
    settings.LANGUAGE_CODE = "en"
    user = reader("kenji", time_zone="Asia/Tokyo")
    client.force_login(user)
    page = client.get("/digests/preferences/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "empty for your profile&#x27;s, Asia/Tokyo" in page
    other = reader("emma")
    client.force_login(other)
    page = client.get("/digests/preferences/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "empty for the installation&#x27;s, UTC" in page
    ja = reader("yui", language="ja", time_zone="Asia/Tokyo")
    client.force_login(ja)
    page = client.get("/digests/preferences/").content.decode()
    assert "プロフィールの設定（Asia/Tokyo）" in page
