"""The permission tables' shared parts: who asks, what may happen, and the one check.

A table maps each data-changing action to the expected outcome per role. An action
takes the test's world and returns (url, POST data, a function that says whether the
change happened).
"""

import pytest
from django.urls import reverse

ROLES = ["anonymous", "outsider", "member", "manager", "staff"]
ALLOWED = "allowed"
LOGIN = "login"
DENIED = 403
REFUSED = "refused"  # the form answers with a message at the field and saves nothing


def cases(table):
    """One pytest case per action and role."""
    return [
        pytest.param(action, role, expected, id=f"{action.__name__}-{role}")
        for action, row in table.items()
        for role, expected in zip(ROLES, row, strict=True)
    ]


def assert_outcome(client, world, action, role, expected):
    """Post the action as the role and assert the outcome, and that nothing changed
    unless it was allowed."""
    if role != "anonymous":
        client.force_login(world["users"][role])
    url, data, happened = action(world)
    response = client.post(url, data)
    if expected == ALLOWED:
        assert response.status_code == 302, response.content.decode()[:800]
        assert happened()
    elif expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert not happened()
    elif expected == REFUSED:
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not happened()
    else:
        assert response.status_code == expected
        assert not happened()
