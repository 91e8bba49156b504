"""Factories for the domain, with sensible defaults: a healthy operation in launch."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership, Role, Team

PASSWORD = "correct-horse-battery"  # noqa: S105 - test users only


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.MEMBER


class OperationFactory(factory.django.DjangoModelFactory):
    """An operation in launch since today, with a purpose and no flags to raise."""

    class Meta:
        model = Operation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Operation {n}")
    team = factory.SubFactory(TeamFactory)
    owner = factory.SubFactory(UserFactory)
    purpose = "Customers get their refund within two days."
    phase = Phase.LAUNCH
    phase_entered_at = factory.LazyFunction(timezone.now)
    launched_at = factory.LazyFunction(timezone.localdate)
    runbook_url = "https://wiki.example.com/runbook"
    monthly_volume = 100
    monthly_cost = Decimal("1000")
    monthly_value = Decimal("5000")
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def performers(self, create, extracted, **kwargs):
        if create and extracted:
            self.performers.set(extracted)

    @classmethod
    def days_in_phase(cls, days, **kwargs):
        """An operation that entered its phase ``days`` local days ago, at noon."""
        noon = timezone.make_aware(
            dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days), dt.time(12))
        )
        return cls(phase_entered_at=noon, **kwargs)


class TransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhaseTransition

    operation = factory.SubFactory(OperationFactory)
    from_phase = Phase.LAUNCH
    to_phase = Phase.STANDARDIZE
    at = factory.LazyFunction(timezone.now)
