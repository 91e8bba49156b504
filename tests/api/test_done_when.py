"""Issue 17's "done when", as a script would do it over HTTP with a token: list the
stalled operations of a team, move one with its version, get the 409 on a stale one."""

import json
import urllib.error
import urllib.request

import pytest

from opsmaturity.api.models import ApiToken, Scope
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory


def call(method, url, token, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_a_script_lists_stalled_moves_one_and_is_told_of_a_stale_version(live_server, team, member):
    for name, days in (("Invoice chase", 90), ("Refund check", 80), ("New thing", 3)):
        operation = OperationFactory.days_in_phase(days, name=name, team=team, owner=member)
        operation.launched_at = operation.phase_entered_at.date()
        operation.save()
    OperationFactory.days_in_phase(90, name="Elsewhere", owner=member)  # another team
    run_scan()
    _row, token = ApiToken.issue(member, name="script", scope=Scope.READ_WRITE)
    api = f"{live_server.url}/api/v1"

    status, _headers, body = call(
        "GET", f"{api}/operations/?scope=all&flag=stalled&team={team.pk}&sort=since", token
    )
    assert status == 200
    assert [row["name"] for row in body["results"]] == ["Invoice chase", "Refund check"]
    first = body["results"][0]

    move = {"to_phase": Phase.STANDARDIZE, "note": "Runbook written, two people trained"}
    status, headers, moved = call(
        "POST",
        f"{api}/operations/{first['id']}/move/",
        token,
        move,
        {"If-Match": f'"{first["version"]}"'},
    )
    assert status == 200, moved
    assert moved["phase"] == Phase.STANDARDIZE
    assert headers["ETag"] == f'"{first["version"] + 1}"'
    assert Operation.objects.get(pk=first["id"]).phase == Phase.STANDARDIZE

    status, _headers, stale = call(
        "PATCH",
        f"{api}/operations/{first['id']}/",
        token,
        {"monthly_volume": 5, "version": first["version"]},
    )
    assert status == 409
    assert stale["current_version"] == first["version"] + 1
    assert "Someone else changed this" in stale["detail"]
