"""The offboarding pages and the new flag in Japanese; the app's catalogue complete."""

import gettext
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from opsmaturity.maturity.models import FlagKind
from opsmaturity.offboarding import services
from tests.core.test_japanese import parse_po
from tests.operations.factories import OperationFactory

CATALOGUE = Path(services.__file__).parent / "locale" / "ja" / "LC_MESSAGES"


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


def test_every_message_of_the_app_is_translated_and_compiled():
    entries = parse_po(CATALOGUE / "django.po")[1:]
    assert entries
    assert [e["msgid"] for e in entries if not all(e["msgstr"].values())] == []
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    assert len(compiled) >= len(entries)


@pytest.mark.django_db
def test_the_people_list_and_the_flag_read_in_japanese(client, manager, leaver, team):
    op = OperationFactory(team=team, owner=leaver)
    services.deactivate(leaver, by=manager)
    client.force_login(manager)
    people = client.get(reverse("offboarding:people"), HTTP_ACCEPT_LANGUAGE="ja").content
    people = people.decode()
    assert "メンバー" in people and "退職" in people
    detail = client.get(op.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "責任者が退職" in detail
    assert "責任者のLeo Parkが退職済み" in detail
    reassign = client.get(
        reverse("offboarding:reassign", args=[leaver.pk]), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "Leo Parkの業務を引き継ぐ" in reassign
    with translation.override("ja"):
        assert str(FlagKind.OWNER_LEFT.label) == "責任者が退職"
