"""The Teams and invitation pages, and the invitation email, in Japanese; the two apps'
catalogues complete, with their placeholders, and compiled."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from opsmaturity.teams.models import Membership, Role
from tests.invitations.helpers import link_in, parts, path_of

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
APPS = ["teams", "invitations"]


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.deactivate()


@pytest.mark.django_db
def test_a_team_page_and_an_invitation_in_japanese(client, team, manager, member):
    client.force_login(manager)
    membership = Membership.objects.get(user=member, team=team)
    client.post(
        reverse("teams:member_role", args=[team.pk, membership.pk]), {"role": Role.MANAGER}, **JA
    )
    html = client.get(reverse("teams:detail", args=[team.pk]), **JA).content.decode()
    assert "このチームのメンバー" in html and "招待を送る" in html
    assert (
        "Mika Moritaさんが" in html and "の役割をメンバーからマネージャーに変更しました。" in html
    )
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": "noa@example.com", "invite-role": Role.MEMBER},
        **JA,
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Mika MoritaさんからOps MaturityのBillingへの招待"
    text, html = parts(message)
    assert "7日間、1回だけ使えます" in text and "招待を承諾する" in html
    client.logout()
    accept = client.get(path_of(link_in(message)), **JA).content.decode()
    assert "Billingに参加" in accept and "パスワード（確認）" in accept
    refused = client.get("/invitations/accept/nonsense/", **JA).content.decode()
    assert "この招待リンクは無効です" in refused


def entries(po):
    text = po.read_text()
    entry = r'\nmsgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n?)+)'
    return re.findall(entry, text)


@pytest.mark.parametrize("app", APPS)
def test_every_string_is_translated_keeps_its_placeholders_and_is_compiled(app, tmp_path):
    po = Path(settings.BASE_DIR) / "opsmaturity" / app / "locale/ja/LC_MESSAGES/django.po"
    text = po.read_text()
    assert "#, fuzzy" not in text
    found = entries(po)
    assert len(found) > 50
    for msgid, msgstr in found:
        source = "".join(re.findall(r'"(.*)"', msgid))
        target = "".join(re.findall(r'"(.*)"', msgstr))
        if not source:
            continue
        assert target, source
        assert sorted(re.findall(r"%\(\w+\)[sd]", source)) == sorted(
            re.findall(r"%\(\w+\)[sd]", target)
        ), source
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), "compile the .mo again"
