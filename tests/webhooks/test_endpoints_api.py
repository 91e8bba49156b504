"""Staff keep webhook endpoints through the API; addresses inside a private network
are refused unless a setting allows them."""

import pytest

from opsmaturity.webhooks.addresses import RefusedAddress, check_url
from opsmaturity.webhooks.models import Delivery, Endpoint
from tests.permission_table import ROLES

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


@pytest.fixture
def people(manager, member, outsider, staff):
    return {"outsider": outsider, "member": member, "manager": manager, "staff": staff}


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_keep_webhooks(api, people, role, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = Endpoint.objects.create(url="http://127.0.0.1:9/x", events=["flag.opened"])
    if role != "anonymous":
        api.force_authenticate(people[role])
    body = {"url": "http://127.0.0.1:9/new", "events": ["operation.moved"]}
    expected = {"anonymous": 401, "staff": None}.get(role, 403)
    codes = [
        api.get(URL).status_code,
        api.get(f"{URL}{endpoint.pk}/").status_code,
        api.get(f"{URL}{endpoint.pk}/deliveries/").status_code,
        api.post(URL, body, format="json").status_code,
        api.patch(f"{URL}{endpoint.pk}/", {"events": ["flag.resolved"]}, format="json").status_code,
    ]
    if expected:
        assert codes == [expected] * 5
        assert Endpoint.objects.count() == 1
        assert Endpoint.objects.get().events == ["flag.opened"]
    else:
        assert codes == [200, 200, 200, 201, 200]
        assert Endpoint.objects.get(pk=endpoint.pk).events == ["flag.resolved"]


def test_the_secret_is_shown_on_creation_only(api, staff, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    api.force_authenticate(staff)
    created = api.post(
        URL, {"url": "http://127.0.0.1:9/", "events": ["flag.opened"]}, format="json"
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert len(secret) >= 32 and Endpoint.objects.get().secret == secret
    assert "secret" not in api.get(f"{URL}{created.json()['id']}/").json()


def test_bad_input_is_refused_at_the_field(api, staff, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = False
    api.force_authenticate(staff)
    body = {"url": "http://127.0.0.1:8000/hook", "events": ["no.such"], "secret": "short"}
    errors = api.post(URL, body, format="json").json()
    assert "private network" in errors["url"][0]
    assert set(errors) == {"url", "events", "secret"}
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
    ],
)
def test_private_and_odd_addresses_are_refused(url, settings):
    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(RefusedAddress):
        check_url(url)


def test_a_paused_endpoint_resumes(api, staff, settings):
    from django.utils import timezone

    settings.OPS_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = Endpoint.objects.create(
        url="http://127.0.0.1:9/", events=["flag.opened"], failures=15, paused_at=timezone.now()
    )
    Delivery.objects.create(endpoint=endpoint, event="flag.opened", payload={}, status="failed")
    api.force_authenticate(staff)
    assert api.get(f"{URL}{endpoint.pk}/deliveries/").json()["results"][0]["status"] == "failed"
    response = api.patch(f"{URL}{endpoint.pk}/", {"resume": True}, format="json")
    assert response.status_code == 200
    assert response.json()["paused_at"] is None and response.json()["failures"] == 0
