"""The first line of an operation's history reads in the reader's language, whoever
recorded it and in whichever language they worked."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import translation

from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import PhaseTransition, TransitionKind
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import create_operation
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.deactivate()


def record(member, team, **extra):
    return create_operation(
        by=member,
        name="Ledger close",
        team=team,
        owner=member,
        purpose="Books close on time.",
        **extra,
    )


def history(client, op, **headers):
    page = client.get(op.get_absolute_url(), **headers).content.decode()
    return page[page.index('id="history-h"') :]


def test_recorded_in_japanese_reads_in_english_for_an_english_reader(client, member, team):
    with translation.override("ja"):  # the recorder works in Japanese
        op = record(member, team, phase=Phase.AUTOMATE, since=dt.date(2024, 6, 1))
    first = op.transitions.get()
    assert (first.kind, first.note) == (TransitionKind.RECORDED, "")
    client.force_login(member)
    english = history(client, op)
    assert "Recorded as already in Automate since June 1, 2024" in english
    assert "業務として登録" not in english


def test_recorded_in_english_reads_in_japanese_for_a_japanese_reader(client, member, team):
    op = record(member, team, phase=Phase.STANDARDIZE, since=dt.date(2025, 3, 1))
    client.force_login(member)
    japanese = history(client, op, **JA)
    assert "2025年3月1日 から均一化にある業務として登録" in japanese
    assert "Recorded" not in japanese


def test_an_import_and_a_new_operation_in_both_languages(client, member, team):
    imported = record(
        member, team, phase=Phase.STANDARDIZE, since=dt.date(2025, 1, 15), imported=True
    )
    new = create_operation(by=member, name="New", team=team, owner=member, purpose="Why it runs.")
    client.force_login(member)
    assert "Recorded on import as already in Standardize since Jan. 15, 2025" in history(
        client, imported
    )
    assert "取り込みにより、2025年1月15日 から均一化にある業務として登録" in history(
        client, imported, **JA
    )
    assert '<p class="note">Recorded</p>' in history(client, new)
    assert '<p class="note">登録</p>' in history(client, new, **JA)


def test_a_moves_note_stays_as_its_author_wrote_it(client, member, team):
    op = OperationFactory(team=team)
    PhaseTransition.objects.create(
        operation=op, from_phase=Phase.LAUNCH, to_phase=Phase.AUTOMATE, note="飛ばして自動化"
    )
    move = op.transitions.get()
    assert (move.kind, move.summary()) == (TransitionKind.MOVE, "")
    client.force_login(member)
    assert "飛ばして自動化" in history(client, op)


def test_the_api_says_the_kind_of_each_line(client, member, team):
    op = record(member, team, phase=Phase.AUTOMATE, since=dt.date(2024, 6, 1))
    client.force_login(member)
    lines = client.get(f"/api/v1/operations/{op.pk}/history/").json()
    assert [(line["kind"], line["note"]) for line in lines] == [("recorded", "")]


# --- the migration that structured the notes written before -------------------------


def structure():
    migration = importlib.import_module(
        "opsmaturity.operations.migrations.0012_recorded_transitions"
    )
    migration.structure(apps, None)


def test_notes_written_before_in_either_language_become_kinds(team):
    op = OperationFactory(team=team)
    june = day_start(dt.date(2024, 6, 1))
    rows = {
        "new en": ("Recorded", june),
        "new ja": ("登録", june),
        "since en": ("Recorded as already in Automate since 2024-06-01", june),
        "since ja": ("2024-06-01 から自動化にある業務として登録", june),
        "import en": ("Recorded on import as already in Standardize since 2024-06-01", june),
        "import ja": ("取り込みにより、2024-06-01 から均一化にある業務として登録", june),
        # the day does not match the line's: kept as written
        "other day": ("Recorded as already in Automate since 2024-05-31", june),
        "own words": ("Brought over from the old wiki", june),
    }
    made = PhaseTransition.objects.bulk_create(
        PhaseTransition(
            operation=op, team=team, from_phase="", to_phase=Phase.AUTOMATE, note=note, at=at
        )
        for note, at in rows.values()
    )
    move = PhaseTransition.objects.create(
        operation=op, from_phase=Phase.LAUNCH, to_phase=Phase.AUTOMATE, note="Recorded"
    )
    assert {t.kind for t in made} == {TransitionKind.MOVE}
    structure()
    after = {name: PhaseTransition.objects.get(pk=t.pk) for name, t in zip(rows, made, strict=True)}
    got = {name: (t.kind, t.note) for name, t in after.items()}
    assert got == {
        "new en": ("created", ""),
        "new ja": ("created", ""),
        "since en": ("recorded", ""),
        "since ja": ("recorded", ""),
        "import en": ("imported", ""),
        "import ja": ("imported", ""),
        "other day": ("recorded", "Recorded as already in Automate since 2024-05-31"),
        "own words": ("created", "Brought over from the old wiki"),
    }
    move.refresh_from_db()
    assert (move.kind, move.note) == ("move", "Recorded")  # a move's note is its author's
    with translation.override("ja"):
        assert after["since en"].summary() == "2024年6月1日 から自動化にある業務として登録"


def test_going_back_writes_the_english_notes_again(team):
    op = OperationFactory(team=team)
    record_ = PhaseTransition.objects.create(
        operation=op,
        from_phase="",
        to_phase=Phase.AUTOMATE,
        kind=TransitionKind.RECORDED,
        at=day_start(dt.date(2024, 6, 1)),
    )
    migration = importlib.import_module(
        "opsmaturity.operations.migrations.0012_recorded_transitions"
    )
    with translation.override("ja"):
        migration.destructure(apps, None)
    record_.refresh_from_db()
    assert record_.note == "Recorded as already in Automate since 2024-06-01"
