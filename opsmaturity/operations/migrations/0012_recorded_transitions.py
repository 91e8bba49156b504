"""The first line of each history becomes structured: its kind, not a note in its writer's
language ("Recorded as already in Automate since 2024-06-01" read by a Japanese reader).

Notes written by the app, in English or Japanese, are recognised and cleared, the kind
saying the same; the page words it in the reader's language. A note that says a day other
than the one the line is at (the time zone changed since, say) is kept as written.
Going back writes the English notes again.
"""

import re

from django.db import migrations
from django.utils import timezone, translation
from django.utils.translation import gettext

LANGUAGES = ("en", "ja")
PHASES = ("launch", "standardize", "automate", "cost_optimize", "retire")
CHUNK = 500
DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"


def _labels():
    from opsmaturity.operations.phases import Phase

    return {key: Phase(key).label for key in PHASES}


def _patterns():
    """{kind: [compiled pattern]} in both languages. The phase is any text (the line's
    own phase says which; its label may have been reworded since), the day a date."""
    patterns = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts = {
                "recorded": gettext("Recorded as already in %(phase)s since %(date)s"),
                "imported": gettext("Recorded on import as already in %(phase)s since %(date)s"),
            }
        for kind, text in texts.items():
            parts = re.split("([\x00\x01])", text % {"phase": "\x00", "date": "\x01"})
            regex = "".join(
                ".+?" if part == "\x00" else DATE if part == "\x01" else re.escape(part)
                for part in parts
            )
            patterns.setdefault(kind, []).append(re.compile(f"^{regex}$"))
    return patterns


def _created_notes():
    notes = set()
    for language in LANGUAGES:
        with translation.override(language):
            notes.add(gettext("Recorded"))
    return sorted(notes)


def _update(model, ids, **values):
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        model.objects.filter(pk__in=ids[start : start + CHUNK]).update(**values)


def structure(apps, schema_editor):
    Transition = apps.get_model("operations", "PhaseTransition")
    first = Transition.objects.filter(from_phase="")
    first.update(kind="created")
    first.filter(note__in=_created_notes()).update(note="")
    patterns = _patterns()
    zone = timezone.get_default_timezone()
    cleared = {"recorded": [], "imported": []}
    kept = {"recorded": [], "imported": []}
    rows = first.exclude(note="").values_list("pk", "at", "note")
    for pk, at, note in rows.iterator(chunk_size=2000):
        text = note.strip()
        for kind in ("imported", "recorded"):
            match = next((m for p in patterns[kind] if (m := p.match(text))), None)
            if match is None:
                continue
            same_day = match["date"] == timezone.localdate(at, zone).isoformat()
            (cleared if same_day else kept)[kind].append(pk)
            break
    for kind in cleared:
        _update(Transition, cleared[kind], kind=kind, note="")
        _update(Transition, kept[kind], kind=kind)


def destructure(apps, schema_editor):
    Transition = apps.get_model("operations", "PhaseTransition")
    labels = _labels()
    zone = timezone.get_default_timezone()
    Transition.objects.filter(kind="created", note="").update(note="Recorded")
    texts = {
        "recorded": "Recorded as already in %(phase)s since %(date)s",
        "imported": "Recorded on import as already in %(phase)s since %(date)s",
    }
    with translation.override("en"):
        rows = Transition.objects.filter(kind__in=list(texts), note="")
        for row in rows.only("pk", "kind", "to_phase", "at").iterator(chunk_size=2000):
            note = texts[row.kind] % {
                "phase": str(labels[row.to_phase]),
                "date": timezone.localdate(row.at, zone).isoformat(),
            }
            Transition.objects.filter(pk=row.pk).update(note=note)


class Migration(migrations.Migration):
    dependencies = [("operations", "0011_transition_kind")]
    operations = [migrations.RunPython(structure, destructure)]
