"""Generated requests against the API's own schema, on a live server, with a token:
no answer is a 500, and every answer matches what the schema says of it.

A few examples per endpoint and method keep it to seconds; every role's rights are
the permission table's business (test_permission_table.py), here a manager of the
team writes, so that generated bodies reach the forms and the services.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import Phase as HypothesisPhase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from opsmaturity.api.models import ApiToken, Scope
from opsmaturity.api.throttling import PerTokenThrottle
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.snapshots import take_snapshot
from tests.operations.factories import OperationFactory, TransitionFactory

# More for a longer hunt: API_FUZZ_EXAMPLES=200 (and API_FUZZ_RANDOM=1 for new seeds).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
DERANDOMIZE = not os.environ.get("API_FUZZ_RANDOM")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.django_db(transaction=True)
def test_no_500_and_every_answer_matches_the_schema(
    live_server, team, manager, member, monkeypatch
):
    # Throttled answers (429) would hide what the generated requests reach.
    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"api": "100000/minute"})
    operation = OperationFactory(id=1, team=team, owner=member, performers=[member])
    TransitionFactory(operation=operation, from_phase="", to_phase="launch", by=member)
    Flag.objects.create(id=1, operation=operation, kind=FlagKind.UNJUSTIFIED)
    take_snapshot()
    _token, raw = ApiToken.issue(manager, name="fuzz", scope=Scope.READ_WRITE)
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    tried = []
    for result in schema.get_all_operations():
        api_operation = result.ok()
        tried.append(api_operation.label)

        @given(case=api_operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
            phases=[HypothesisPhase.explicit, HypothesisPhase.generate],
        )
        def run(case):
            case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)

        run()
    assert "PATCH /api/v1/operations/{id}/" in tried
    assert "POST /api/v1/operations/{id}/move/" in tried
