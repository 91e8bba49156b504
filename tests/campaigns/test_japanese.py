import pytest
from django.urls import reverse

from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


def test_the_campaign_pages_speak_japanese(client, manager, team):
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team])
    client.force_login(manager)
    page = client.get(campaign.get_absolute_url(), **JA).content.decode()
    assert "見通し" in page and "バーンアップ" in page and "均一化以降" in page
    assert "まだ見通しはありません" in page
    listing = client.get(reverse("campaigns:list"), **JA).content.decode()
    assert "進行中" in listing and "キャンペーンを開始" in listing
    form = client.get(reverse("campaigns:create"), **JA).content.decode()
    assert "到達するフェーズ" in form


def test_the_dashboard_forecast_speaks_japanese(client, manager, team):
    OperationFactory(team=team)
    client.force_login(manager)
    page = client.get(reverse("dashboard:index"), **JA).content.decode()
    assert "立ち上げ期にある1件の業務の見通しはまだ出せません" in page


def test_the_future_page_speaks_japanese(client, member, team):
    client.force_login(member)
    page = client.get(reverse("campaigns:future", args=[team.pk]), **JA).content.decode()
    assert "Billingの将来" in page and "みんなで議論しましょう" in page and "1年後" in page
