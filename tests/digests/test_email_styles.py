"""The digest's one stylesheet, inlined: mail clients get inline styles, and the colours
come from one table, the app's own."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from opsmaturity.digests import sending
from opsmaturity.digests.models import DigestSubscription
from opsmaturity.digests.templatetags import digest_email
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


class Elements(HTMLParser):
    """(tag, attributes) of every element, in order."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def styles(value):
    return dict(
        (part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip())
        for part in (value or "").split(";")
        if ":" in part
    )


@pytest.fixture
def html():
    """The HTML part for a manager who also owns an operation with a flag."""
    team = TeamFactory(name="Billing")
    user = UserFactory()
    MembershipFactory(user=user, team=team, role=Role.MANAGER)
    operation = OperationFactory(owner=user, team=team, phase=Phase.AUTOMATE)
    Flag.objects.create(operation=operation, kind=FlagKind.PERSON_DEPENDENT)
    return sending.render_digest(user, DigestSubscription.for_user(user)).html


def test_the_app_and_the_email_use_the_same_colours():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text(encoding="utf-8")
    root = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css.split("}", 1)[0]))
    for name, value in {**digest_email.COLOURS, **digest_email.PHASE_COLOURS}.items():
        assert root.get(name, "").lower() == value, name


def test_every_element_the_stylesheet_names_carries_its_style_inline(html):
    elements = Elements(html).elements
    assert "<style" not in html and "var(--" not in html and "<link" not in html
    body = next(attrs for tag, attrs in elements if tag == "body")
    assert styles(body["style"])["background-color"] == digest_email.COLOURS["bg"]
    classed = [(tag, attrs) for tag, attrs in elements if attrs.get("class")]
    assert len(classed) > 50
    unstyled = [(tag, attrs["class"]) for tag, attrs in classed if not attrs.get("style")]
    assert unstyled == []
    # a phase's colour, in the operation's line and in the manager's table
    spans = [attrs for tag, attrs in elements if "phase-text-automate" in attrs.get("class", "")]
    assert styles(spans[0]["style"])["color"] == digest_email.PHASE_COLOURS["automate"]
    dots = [attrs for tag, attrs in elements if "phase-dot-" in attrs.get("class", "")]
    assert [styles(d["style"])["background-color"] for d in dots] == list(
        digest_email.PHASE_COLOURS.values()
    )


def test_a_colour_changed_in_the_table_changes_the_email(monkeypatch, html):
    monkeypatch.setitem(digest_email.PHASE_COLOURS, "automate", "#123456")
    user = UserFactory()
    OperationFactory(owner=user, phase=Phase.AUTOMATE).flags.create(kind=FlagKind.PERSON_DEPENDENT)
    changed = sending.render_digest(user, DigestSubscription.for_user(user)).html
    assert "color:#123456" in changed.replace(": ", ":")


@pytest.mark.parametrize(
    "value, good_when, tone",
    [(None, "down", "tone-none"), (0, "down", "tone-none"), (5, "down", "tone-bad")]
    + [(-5, "down", "tone-good"), (5, "up", "tone-good"), (-5, "up", "tone-bad")],
)
def test_a_change_is_toned_by_class(value, good_when, tone):
    assert digest_email.change_tone(value, good_when) == tone
