"""Errors speak the app's language and keep its layout, with DEBUG off."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_403_explains_why(client):
    client.force_login(UserFactory())  # in no team
    response = client.get(reverse("operations:create"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You are not in a team yet: ask a manager to add you." in page
    assert 'class="topbar"' in page


def test_404_page(client):
    client.force_login(UserFactory())
    response = client.get("/ops/987654/")
    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


def test_expired_form_page():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory()
    client.force_login(user)
    op = OperationFactory()
    response = client.post(reverse("operations:review", args=[op.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    assert "Something went wrong on our side" in render_to_string("500.html")
