"""With DEBUG off, a weak SECRET_KEY stops the app at start (Django's W009 rule)."""

import secrets

import pytest

from tests.core.test_settings import settings_in_subprocess

GOOD = secrets.token_urlsafe(50)


@pytest.mark.parametrize(
    "key",
    [
        "k",
        "secret-from-the-operators-shell",  # 31 characters
        "x" * 49,
        "a" * 49 + "b",  # 50 characters, 2 different ones
        "abcd" * 20,  # 80 characters, 4 different ones
        "django-insecure-" + GOOD,  # what startproject writes for development
    ],
)
def test_a_weak_key_is_refused_with_debug_off(key):
    result = settings_in_subprocess({"SECRET_KEY": key}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is too weak" in result.stderr
    assert "at least 50 characters and 5 different ones" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr, "the message says how to make one"
    if len(key) > 8:
        assert key not in result.stderr, "the key itself is never printed"


# The README's recipe (secrets.token_urlsafe(50)), and the least the rule accepts.
@pytest.mark.parametrize("key", [GOOD, "abcde" * 10])
def test_a_key_of_fifty_characters_and_five_different_ones_starts(key):
    result = settings_in_subprocess({"SECRET_KEY": key}, "len(s.SECRET_KEY)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(key))


def test_a_laptop_with_debug_on_may_use_any_key():
    result = settings_in_subprocess({"DEBUG": "true", "SECRET_KEY": "k"}, "s.SECRET_KEY")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k"
