"""Profiles for the accounts tests."""

import factory

from opsmaturity.accounts.models import Profile
from tests.teams.factories import UserFactory


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    display_name = ""
    language = ""
    time_zone = ""
