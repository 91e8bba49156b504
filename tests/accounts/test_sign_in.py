"""Sign in with a username or an email address; throttling holds for both."""

import pytest
from django.urls import reverse

from tests.teams.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, username, password=PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def signed_in_as(client):
    return client.get(reverse("accounts:profile")).wsgi_request.user.username or None


@pytest.fixture
def mika():
    return UserFactory(username="mika", email="Mika.Morita@example.com")


def test_the_sign_in_page_asks_for_a_username_or_email_and_offers_a_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert "Username or email" in page
    assert reverse("password_reset") in page and "Forgot your password?" in page
    ja = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "ユーザー名またはメールアドレス" in ja and "パスワードを忘れた場合" in ja


def test_sign_in_with_the_username(client, mika):
    assert sign_in(client, "mika").status_code == 302
    assert signed_in_as(client) == "mika"


@pytest.mark.parametrize(
    "typed", ["Mika.Morita@example.com", "mika.morita@example.com", " MIKA.MORITA@EXAMPLE.COM "]
)
def test_sign_in_with_the_email_in_any_case(client, mika, typed):
    assert sign_in(client, typed).status_code == 302
    assert signed_in_as(client) == "mika"


def test_a_wrong_password_with_the_email_is_refused(client, mika):
    response = sign_in(client, "mika.morita@example.com", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert signed_in_as(client) is None


def test_an_address_two_accounts_share_signs_nobody_in(client, mika):
    UserFactory(username="mika2", email="mika.morita@EXAMPLE.com")
    assert sign_in(client, "mika.morita@example.com").status_code == 200
    assert signed_in_as(client) is None
    assert sign_in(client, "mika").status_code == 302, "the username still works"


def test_someone_who_left_cannot_sign_in_by_email(client, mika):
    mika.is_active = False
    mika.save()
    assert sign_in(client, "mika.morita@example.com").status_code == 200
    assert signed_in_as(client) is None


def test_a_username_that_looks_like_an_email_is_a_username_first(client, mika):
    UserFactory(username="mika.morita@example.com", email="other@example.com")
    response = sign_in(client, "mika.morita@example.com")
    assert response.status_code == 302
    assert signed_in_as(client) == "mika.morita@example.com"


def test_an_unknown_address_is_refused_like_a_wrong_password(client, mika):
    response = sign_in(client, "nobody@example.com")
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_a_very_long_or_odd_login_gets_the_form_again(client):
    for typed in ["x" * 5000 + "@example.com", "a\x00b@example.com", "@", ""]:
        assert sign_in(client, typed).status_code == 200, typed


def test_guessing_through_the_email_in_every_spelling_is_paused(client, mika, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for typed in ["mika.morita@example.com", "MIKA.morita@example.com", "Mika.Morita@Example.com"]:
        sign_in(client, typed, "guess")
    response = sign_in(client, "mika.morita@EXAMPLE.com")
    assert response.status_code == 429
    assert "mika.morita@example.com" in response.content.decode()
    assert signed_in_as(client) is None
    # the username is its own count: the person themselves is not locked out by a guesser
    assert sign_in(client, "mika").status_code == 302


def test_a_successful_email_sign_in_starts_the_count_over(client, mika, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "mika.morita@example.com", "guess")
    sign_in(client, "mika.morita@example.com", "guess")
    assert sign_in(client, "Mika.Morita@example.com").status_code == 302
    assert not AccessAttempt.objects.filter(username="mika.morita@example.com").exists()
