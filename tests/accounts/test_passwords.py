"""Password reset by email and password change, in the app's look and both languages."""

import email
import email.policy
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.accounts.factories import ProfileFactory
from tests.teams.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"  # noqa: S105 - tests only


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://ops.example.com"


@pytest.fixture
def mika():
    return UserFactory(username="mika", email="mika@example.com", first_name="Mika")


def bodies(message):
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def reset_link(message):
    text, html = bodies(message)
    links = re.findall(r"https://ops\.example\.com(/accounts/password/reset/[^\s\"<]+/)", text)
    assert len(links) == 1, text
    assert links[0] in html
    return links[0]


def ask_for_reset(client, address, **headers):
    return client.post(reverse("password_reset"), {"email": address}, **headers)


def sign_in(client, password, username="mika"):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_whole_reset_flow(client, mika, mailoutbox):
    response = ask_for_reset(client, "MIKA@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "Check your email" in client.get(response["Location"]).content.decode()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["mika@example.com"]
    assert message.subject == "Choose a new password for Ops Maturity"
    text, html = bodies(message)
    assert "Hello Mika" in text and "“mika”" in text and "<style" not in html

    link = reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert "Password changed" in client.get(done["Location"]).content.decode()

    assert sign_in(client, PASSWORD).status_code == 200, "the old password no longer works"
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_a_used_link_gives_a_page_saying_so(client, mika, mailoutbox):
    ask_for_reset(client, "mika@example.com")
    link = reset_link(mailoutbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = client.get(link, follow=True)
    assert again.status_code == 200 and not again.context["validlink"]
    page = again.content.decode()
    assert "This link does not work" in page and reverse("password_reset") in page
    posted = client.post(set_url, {"new_password1": "x-other-pass-99", "new_password2": "x"})
    assert posted.status_code == 200 and not posted.context["validlink"]


@pytest.mark.parametrize(
    "uid, token",
    [
        ("MQ", "bad-token"),
        ("zzzz", "set-password"),
        ("!!", "abc-def"),
        ("9" * 200, "abc-def"),
        ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "abc-def"),  # 10**30, past any id
        ("LTE", "abc-def"),  # "-1"
    ],
)
def test_a_tampered_link_gives_a_page_not_an_error(client, mika, uid, token):
    response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()


def test_a_link_for_one_account_does_not_open_another(client, mika):
    other = UserFactory(username="other")
    token = default_token_generator.make_token(mika)
    uid = urlsafe_base64_encode(force_bytes(other.pk))
    response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert not response.context["validlink"]


def test_an_expired_link_is_refused(client, mika, settings, mailoutbox):
    import datetime as dt

    import time_machine

    ask_for_reset(client, "mika@example.com")
    link = reset_link(mailoutbox[0])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        response = client.get(link, follow=True)
    assert not response.context["validlink"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mika, mailoutbox):
    response = ask_for_reset(client, "nobody@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_someone_who_left_gets_no_reset_mail(client, mika, mailoutbox):
    mika.is_active = False
    mika.save()
    ask_for_reset(client, "mika@example.com")
    assert mailoutbox == []


def test_a_bad_address_is_refused_at_the_field(client, mailoutbox):
    for value in ["not-an-address", "", "a" * 300 + "@example.com"]:
        response = ask_for_reset(client, value)
        assert response.status_code == 200 and "email" in response.context["form"].errors
    assert mailoutbox == []


def test_the_reset_mail_speaks_the_readers_language(client, mika, mailoutbox):
    ProfileFactory(user=mika, language="ja", display_name="森田 美香")
    ask_for_reset(client, "mika@example.com", HTTP_ACCEPT_LANGUAGE="en")
    message = mailoutbox[0]
    assert message.subject == "Ops Maturity の新しいパスワードを設定してください"
    text, html = bodies(message)
    assert "森田 美香 さん" in text and 'lang="ja"' in html


def test_the_reset_pages_speak_japanese(client, mika, mailoutbox):
    page = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "パスワードの再設定" in page and "リンクを送信" in page
    ask_for_reset(client, "mika@example.com")
    link = reset_link(mailoutbox[0])
    page = client.get(link, follow=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "新しいパスワードを設定" in page
    bad = reverse("password_reset_confirm", args=["MQ", "bad-token"])
    assert "このリンクは使えません" in client.get(bad, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_a_weak_new_password_is_refused_at_the_field(client, mika, mailoutbox):
    ask_for_reset(client, "mika@example.com")
    set_url = client.get(reset_link(mailoutbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    assert sign_in(client, PASSWORD).status_code == 302, "the password stays as it was"


# --- changing one's password ----------------------------------------------------------


def test_a_person_changes_their_password_and_stays_signed_in(client, mika):
    client.force_login(mika)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("password_change") in profile
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    done = client.get(response["Location"])
    assert done.status_code == 200 and done.wsgi_request.user == mika, "still signed in"
    mika.refresh_from_db()
    assert mika.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(client, mika):
    client.force_login(mika)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200 and "old_password" in response.context["form"].errors
    mika.refresh_from_db()
    assert mika.check_password(PASSWORD)


def test_a_password_is_taken_as_typed(client, mika):
    """Spaces and unusual characters are part of a password: nothing is tidied away."""
    odd = "  spaced\u200b out passphrase  "
    client.force_login(mika)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": odd, "new_password2": odd},
    )
    mika.refresh_from_db()
    assert mika.check_password(odd)
    client.logout()
    assert sign_in(client, odd).status_code == 302


def test_changing_a_password_needs_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_new_password_signs_out_the_other_devices(client, mika, mailoutbox):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(mika)
    assert elsewhere.get(reverse("accounts:profile")).status_code == 200
    client.force_login(mika)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.get(reverse("accounts:profile")).status_code == 200, "here: still signed in"
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302, "elsewhere: signed out"


def test_a_reset_signs_out_every_session(client, mika, mailoutbox):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(mika)
    ask_for_reset(client, "mika@example.com")
    set_url = client.get(reset_link(mailoutbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
