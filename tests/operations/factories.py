"""Factories for the registry, with sensible defaults: a healthy operation in launch."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from tests.teams.factories import TeamFactory, UserFactory


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
