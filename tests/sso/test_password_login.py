"""The sign-in page with single sign-on, and with password sign-in turned off."""

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from tests.sso.flow import sign_in
from tests.teams.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client):
    return client.get(reverse("digests:preferences")).wsgi_request.user.is_authenticated


def test_without_single_sign_on_the_page_has_no_sso_button(client, settings):
    settings.OIDC_ENABLED = False
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with SSO" not in page
    assert 'name="password"' in page


def test_with_single_sign_on_the_page_offers_both(client, sso):
    page = client.get(reverse("login"), {"next": "/ops/?phase=launch"}).content.decode()
    assert 'name="password"' in page
    assert "Sign in with SSO" in page
    assert f"{reverse('sso:login')}?next=/ops/%3Fphase%3Dlaunch" in page


def test_passwords_still_work_beside_single_sign_on(client, sso, member):
    response = client.post(reverse("login"), {"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)


@pytest.fixture
def sso_only(sso, settings):
    settings.PASSWORD_LOGIN = False
    return sso


def test_with_password_sign_in_off_the_form_is_gone(client, sso_only):
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' not in page
    assert "Sign in with SSO" in page


def test_with_password_sign_in_off_a_posted_password_is_refused(client, sso_only, member):
    response = client.post(reverse("login"), {"username": "ann", "password": PASSWORD})
    assert response.status_code == 200
    assert "Password sign-in is turned off here" in response.content.decode()
    assert not signed_in(client)


def test_with_password_sign_in_off_no_door_takes_a_password(client, sso_only, staff, rf):
    # The admin sends people to the app's sign-in page; any other caller asks Django.
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert not signed_in(client)
    assert authenticate(rf.post("/"), username="root", password=PASSWORD) is None


def test_with_password_sign_in_off_single_sign_on_still_signs_in(client, sso_only):
    sign_in(client, sso_only.person("abe cho", "abe@example.com"))
    assert signed_in(client)


def test_a_person_signed_in_by_sso_is_signed_out_once_they_leave(client, sso):
    sign_in(client, sso.person("bea dal", "bea@example.com"))
    assert signed_in(client)
    user = client.get(reverse("digests:preferences")).wsgi_request.user
    user.is_active = False
    user.save()
    assert not signed_in(client)


def test_the_sso_parts_speak_japanese(client, sso):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "SSOでログイン" in page
    refused = client.get(reverse("sso:callback"), {"code": "x"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert "シングルサインオンできませんでした" in refused.content.decode()
