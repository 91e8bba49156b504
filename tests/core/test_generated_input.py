"""Generated input against every form that changes data, as every role (Hypothesis).

Each case is one view (or one admin add/change page) and one role. Hypothesis posts
generated bodies to it: each field kept valid, replaced by a valid value of its kind, by
a hostile one (control and invisible characters, emoji, very long text, SQL and HTML,
numbers such as "sNaN" or 10**40, dates such as "2026-02-30", ids of other teams'
objects), left out, or sent several times; to one of the view's objects or another
team's; as multipart or urlencoded; with or without htmx. For every answer:

- never a 5xx (the test client raises the view's exception, which Hypothesis shrinks);
- a refusal (400, 403, 404, 405, 409, a redirect to sign in, an error at a field, in
  the page or in a message) leaves every table as it was;
- whatever was saved keeps the model's limits: money 0..10**11, volume 0..10**9, no
  control characters, names in their one spelling, dates 1970–2100, each field valid;
- a redirect never leaves the site.

Each example runs in a savepoint inside the test's transaction and is rolled back, so
every example starts from the same world. Profiles (HYPOTHESIS_PROFILE): ``dev`` (the
default, 15 examples per case, 5 before sign-in, random, failures replayed from
var/hypothesis), ``ci`` (the default when CI is set: the same numbers, derandomized, so
that a red run is the same run again) and ``long`` (400 examples per case, random).
About two minutes on SQLite with ``dev`` or ``ci``; the request is most of each example.
"""

import datetime as dt
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.forms.formsets import BaseFormSet, ManagementForm
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from opsmaturity.lib.forms import EARLIEST_DATE, LATEST_DATE
from opsmaturity.lib.text import CONTROL, normalize_name
from opsmaturity.operations.models import MAX_MONEY, MAX_VOLUME
from opsmaturity.teams.models import Team
from tests.core.generated_views import MISSING_ID, SPECS, make_world, today
from tests.permission_table import ROLES

pytestmark = pytest.mark.django_db

_COMMON = {
    "deadline": None,
    # The world and the person signed in are set up once per case, in function-scoped
    # fixtures: each example runs in a savepoint rolled back after it, so none needs a
    # fresh one. Large generated bodies and admin pages are slow on purpose.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
settings.register_profile(
    "dev",
    max_examples=15,
    database=DirectoryBasedExampleDatabase(Path(django_settings.VAR_DIR) / "hypothesis"),
    **_COMMON,
)
settings.register_profile("ci", max_examples=15, derandomize=True, database=None, **_COMMON)
settings.register_profile("long", max_examples=400, database=None, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
EXAMPLES = settings.get_profile(PROFILE)
ANONYMOUS_EXAMPLES = settings(EXAMPLES, max_examples=min(EXAMPLES.max_examples, 5))

MISSING = object()

# --- values -------------------------------------------------------------------------------

HOSTILE_TEXT = [
    *["", " ", "\x00", "a\x00b", "\x07bell", "\x1b[31mred", "\x7f", "next\x85line", "null"],
    *["\u200b", "\u200b\u200e\u2060\ufeff \u3164", "\u202eevil\u202c", "\u2066isolate\u2069"],
    *["ＫＹＣ　ｃｈｅｃｋｓ", "e\u0301te\u0301", "🙂" * 40, "👩‍👩‍👧‍👦", "مرحبا بالعالم"],
    *["x" * 201, "x" * 501, "x" * 10_001, "../../etc/passwd", "\r\n\r\nX-Injected: 1"],
    *["'; DROP TABLE operations_operation; --", '" OR 1=1 --', "%(name)s %s %d"],
    *["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{ 7|add:7 }}{% debug %}"],
]
HOSTILE_NUMBERS = [
    *"NaN -NaN sNaN Infinity -Infinity inf 1e999 -1e999 1e-999 -0 -0.00 -1 -0.01".split(),
    *"0.001 1.005 1,5 1_000 +5 .5 0x10 ١٢ ² 1e11 1E+11 99999999999999.99".split(),
    *(str(n) for n in (MAX_MONEY, MAX_MONEY + 1, MAX_VOLUME, MAX_VOLUME + 1, 2**31, 2**63)),
    f"{MAX_MONEY}.01",
    "9" * 19,
    "9" * 40,
    "-" + "9" * 40,
]
HOSTILE_DATES = [
    *"0001-01-01 9999-12-31 2026-02-30 2026-13-01 2026-00-10 1969-12-31 1970-01-01".split(),
    *"2100-12-31 2101-01-01 10000-01-01 -2026-01-01 2026-1-1 01/02/2026 20260101".split(),
    "２０２６-０１-０１",
    "2026-01-01T00:00:00",
]
HOSTILE_TIMES = ["25:00", "23:59:60", "-1:00", "12:00:00.9999999", "noon", "００:００"]
# How many forms a formset says it holds. Large counts stay out: Django builds up to
# 2,000 forms for one, seconds of work each time (staff only, and bounded by Django).
HOSTILE_COUNTS = [*"-1 NaN 1.5 ² abc".split(), " 1", ""]
HOSTILE_IDS = [*"0 -1 1.0 1e3 ² ٣ 0x1".split(), " 1", "9" * 18, "9" * 19, "9" * 40]
HOSTILE_URLS = [
    *"javascript:alert(1) http://[::1 //evil.example/x ftp://files.example/x".split(),
    *["data:text/html,<script>alert(1)</script>", "https://" + "a" * 600 + ".example"],
    *["https://例え.jp/手順", "http://localhost:99999/"],
]
HOSTILE_NEXT = [
    *"https://evil.example/ //evil.example/ /\\evil.example javascript:alert(1)".split(),
    *"http://testserver/ops/ /ops/ ops dashboard:index".split(),
]


def day_strategy():
    near = st.integers(-400, 400).map(lambda days: today() + dt.timedelta(days=days))
    anywhere = st.dates(EARLIEST_DATE, LATEST_DATE)
    return st.one_of(near, anywhere).map(dt.date.isoformat)


def valid_values(kind):
    """Values a person could well type or pick, for a field of this kind."""
    if kind.name == "number":
        return st.one_of(
            st.integers(0, 10**4).map(str),
            st.decimals(0, MAX_MONEY, places=2, allow_nan=False).map(str),
            st.integers().map(str),
        )
    if kind.name == "date":
        return day_strategy()
    if kind.name == "time":
        return st.times().map(lambda t: t.strftime("%H:%M:%S"))
    if kind.name in ("id", "ids", "choice"):
        return st.sampled_from(kind.values or [""])
    if kind.name == "bool":
        return st.sampled_from(["on", "off", "true", "false", "1", "0", ""])
    if kind.name == "url":
        return st.sampled_from(["https://wiki.example.com/runbook", "wiki.example.com/a b", ""])
    if kind.name == "email":
        return st.sampled_from(["ann@example.com", "アン@例え.jp", "a@b", "not-an-address"])
    if kind.name == "next":
        return st.sampled_from(HOSTILE_NEXT)
    if kind.name == "count":
        return st.integers(0, 3).map(str)
    return st.text(min_size=1 if kind.name == "name" else 0, max_size=60)


HOSTILE = {
    "number": HOSTILE_NUMBERS,
    "date": HOSTILE_DATES,
    "time": HOSTILE_TIMES,
    "id": HOSTILE_IDS + HOSTILE_NUMBERS,
    "ids": HOSTILE_IDS,
    "choice": HOSTILE_IDS,
    "url": HOSTILE_URLS,
    "next": HOSTILE_NEXT,
    "count": HOSTILE_COUNTS,
}


def field_values(kind, baseline):
    """One field's value: kept, valid of its kind, hostile of its kind, or any text.
    The kept value comes first, so that Hypothesis shrinks towards the valid body."""
    value = st.one_of(
        st.just(baseline) if baseline is not MISSING else st.just(""),
        valid_values(kind),
        st.sampled_from(HOSTILE.get(kind.name, HOSTILE_TEXT)),
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=30),
    )
    many = st.lists(valid_values(kind) | st.sampled_from(HOSTILE_TEXT), min_size=2, max_size=4)
    if kind.name == "count":
        many = st.lists(valid_values(kind), min_size=2, max_size=3)
    if kind.name == "ids":
        return st.one_of(
            st.just(baseline), many, value, st.just(MISSING), st.lists(value, max_size=3)
        )
    return st.one_of(value, st.just(MISSING), many)


# --- what a form asks for -----------------------------------------------------------------


def pks(model):
    return [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]


def kind_of(form, name, field):
    """The kind of value a form field reads, and the valid ones where there is a list.
    Model choices offer every row of the model: other teams' ones too."""
    kind = SimpleNamespace(name="text", values=[])
    if isinstance(field, forms.ModelMultipleChoiceField):
        kind.name, kind.values = "ids", pks(field.queryset.model) + [str(MISSING_ID)]
    elif isinstance(field, forms.ModelChoiceField):
        kind.name, kind.values = "id", pks(field.queryset.model) + [str(MISSING_ID), ""]
    elif isinstance(field, forms.ChoiceField):
        kind.name = "choice"
        kind.values = [str(value) for value, _label in field.choices] + ["retire", "manager"]
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        kind.name = "date"
    elif isinstance(field, forms.IntegerField | forms.FloatField):  # DecimalField too
        kind.name = "number"
    elif isinstance(field, forms.BooleanField):
        kind.name = "bool"
    elif isinstance(field, forms.URLField):
        kind.name = "url"
    elif isinstance(field, forms.EmailField):
        kind.name = "email"
    elif isinstance(field, forms.CharField) and name in getattr(form, "name_fields", ()):
        kind.name = "name"
    return kind


def form_fields(form):
    """{key in the POST body: kind} for a form (its enabled fields, each key of a
    widget that reads several) and for the management form of a formset."""
    fields = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key = form.add_prefix(name)
        if isinstance(field, forms.SplitDateTimeField):
            fields[f"{key}_0"] = SimpleNamespace(name="date", values=[])
            fields[f"{key}_1"] = SimpleNamespace(name="time", values=[])
        elif isinstance(form, ManagementForm):
            fields[key] = SimpleNamespace(name="count", values=[])
        else:
            fields[key] = kind_of(form, name, field)
    return fields


def bound_values(form):
    """The POST body a browser sends for an unbound form as rendered: its initial values."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key, value = form.add_prefix(name), form[name].value()
        if isinstance(field, forms.SplitDateTimeField):
            day, moment = field.widget.decompress(value)
            data[f"{key}_0"] = day.isoformat() if day else ""
            data[f"{key}_1"] = moment.strftime("%H:%M:%S") if moment else ""
        elif isinstance(field, forms.BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = "" if value is None else str(value)
    return data


@pytest.fixture
def world():
    return make_world()


# --- what an answer says, and what the tables hold ------------------------------------------

TRACKED_APPS = {
    "accounts",
    "admin",
    "auth",
    "campaigns",
    "digests",
    "maturity",
    "operations",
    "organization",
    "teams",
}
UNTRACKED = {"auth.permission"}  # rows of the code, not of the users
NAMES = {
    "operations.operation": ["name"],
    "teams.team": ["name"],
    "campaigns.campaign": ["name"],
    "campaigns.futuregoal": ["title"],
    "organization.skill": ["name"],
    "organization.jobrole": ["name"],
    "auth.user": ["first_name", "last_name"],
    "accounts.profile": ["display_name"],
}
LIMITS = {"monthly_cost": MAX_MONEY, "monthly_value": MAX_MONEY, "monthly_volume": MAX_VOLUME}


TRACKED = [
    model
    for model in apps.get_models(include_auto_created=True)
    if model._meta.app_label in TRACKED_APPS and model._meta.label_lower not in UNTRACKED
]
SELECT_ALL = {
    model: "SELECT {} FROM {} ORDER BY {}".format(
        ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields),
        connection.ops.quote_name(model._meta.db_table),
        connection.ops.quote_name(model._meta.pk.column),
    )
    for model in TRACKED
}


def fingerprint():
    """Every row of every table a person's input can reach, as comparable text. Plain SQL:
    the ORM's own work, table by table, took longer than most requests."""
    with connection.cursor() as cursor:
        found = {}
        for model in TRACKED:
            cursor.execute(SELECT_ALL[model])
            found[model] = [repr(row) for row in cursor.fetchall()]
    return found


def changed_rows(before, after):
    """{model: [the rows, as objects, that are new or different]} (deleted rows: [])."""
    changed = {}
    for model, texts in after.items():
        if texts == before[model]:
            continue
        old = set(before[model])
        at = [f.column for f in model._meta.concrete_fields].index(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(SELECT_ALL[model])
            new = [row[at] for row in cursor.fetchall() if repr(row) not in old]
        changed[model] = list(model._base_manager.filter(pk__in=new))
    return changed


def limit_errors(model, obj):
    """What a saved row holds past the model's limits."""
    errors = []
    label = model._meta.label_lower
    for field in model._meta.concrete_fields:
        value = getattr(obj, field.attname)
        where = f"{label}.{field.name}={value!r:.80}"
        if isinstance(value, str) and CONTROL.search(value):
            errors.append(f"{where}: control characters")
        if field.name in NAMES.get(label, ()) and value != normalize_name(value):
            errors.append(f"{where}: not in its one spelling")
        if field.name in LIMITS and value is not None and not 0 <= value <= LIMITS[field.name]:
            errors.append(f"{where}: past 0..{LIMITS[field.name]}")
        if isinstance(value, Decimal) and not value.is_finite():
            errors.append(f"{where}: not a number")
        if type(value) is dt.date and not EARLIEST_DATE <= value <= LATEST_DATE:
            errors.append(f"{where}: outside {EARLIEST_DATE}..{LATEST_DATE}")
        if model._meta.app_label != "admin" and not field.primary_key:
            try:
                field.clean(value, obj)
            except (ValidationError, InvalidOperation) as exc:
                errors.append(f"{where}: {exc}")
    return errors


def context_values(response):
    if response.context is None:
        return []
    contexts = response.context if isinstance(response.context, list) else [response.context]
    return [value for context in contexts for value in context.flatten().values()]


def has_form_errors(value):
    if isinstance(value, forms.BaseForm):
        return value.is_bound and bool(value.errors)
    if isinstance(value, BaseFormSet):
        return value.is_bound and (value.total_error_count() > 0 or bool(value.non_form_errors()))
    for attr in ("form", "formset"):  # the admin's AdminForm and InlineAdminFormSet
        inner = getattr(value, attr, None)
        if isinstance(inner, forms.BaseForm | BaseFormSet):
            return has_form_errors(inner)
    return False


def refusal(response):
    """Why the answer is a refusal, or None when it is not one."""
    status = response.status_code
    if status in (400, 403, 404, 405, 409):
        return f"status {status}"
    location = response.headers.get("Location", "")
    if status == 302 and location.startswith((reverse("login"), reverse("admin:login"))):
        return "sign in"
    values = context_values(response)
    if any(has_form_errors(value) for value in values):
        return "form errors"
    context = {} if response.context is None else response.context
    if "error" in context and context["error"]:
        return "error in the page"
    if any(m.level >= messages.ERROR for m in get_messages(response.wsgi_request)):
        return "error message"
    return None


# --- the test -------------------------------------------------------------------------------


def staff_page(w, spec_):
    """For an admin page: the fields the page offers staff, and the body it would send."""
    client = Client()
    client.force_login(w.users["staff"])
    response = client.get(spec_.urls(w)[0])
    assert response.status_code == 200, response.status_code
    adminform = response.context["adminform"]
    fields, body = form_fields(adminform.form), bound_values(adminform.form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        fields.update(form_fields(management))
        body.update(bound_values(management))
        for form in formset.forms:
            fields.update(form_fields(form))
            body.update(bound_values(form))
    body.update(spec_.body(w))
    return fields, body


@st.composite
def request_bodies(draw, fields, body, urls):
    """A request: one of the URLs, and the valid body with a few of its fields changed
    (so that one odd value meets a form that is otherwise right), or all of them."""
    keys = sorted(fields)
    changed = st.sets(st.sampled_from(keys), max_size=3) if keys else st.just(set())
    chosen = draw(st.one_of(changed, st.just(set(keys))))
    data = {key: value for key, value in body.items() if key not in chosen}
    for key in sorted(chosen):
        value = draw(field_values(fields[key], body.get(key, MISSING)), label=key)
        if value is not MISSING:
            data[key] = value
    return {
        "url": draw(st.sampled_from(urls)),
        "data": data,
        "urlencoded": draw(st.booleans()),
        "htmx": draw(st.booleans()),
    }


def post(client, sent):
    headers = {"HX-Request": "true"} if sent["htmx"] else {}
    if sent["urlencoded"]:
        body = urlencode(sent["data"], doseq=True)
        return client.post(
            sent["url"], body, content_type="application/x-www-form-urlencoded", headers=headers
        )
    return client.post(sent["url"], sent["data"], headers=headers)


@pytest.fixture
def case(client, world, spec_, role, monkeypatch):
    """One view and one role, set up once for all of its examples: the world, the person
    signed in, the fields and their values, and the tables as they are before."""
    published = []

    class Sent:
        id = "5b8e2c1e-2f4a-4c55-9a31-1f0c3d1e9a77"

    def fake_publish(task, **kwargs):
        published.append(kwargs)
        return Sent()

    # Check-now sends to the broker: recorded here instead, so that nothing is queued.
    monkeypatch.setattr("opsmaturity.maturity.views.publish", fake_publish)
    if spec_.admin:
        fields, body = staff_page(world, spec_)
    else:
        fields, body = form_fields(spec_.form(world)), spec_.body(world)
        for key, kind in spec_.extra.items():
            fields[key] = SimpleNamespace(name=kind.name, values=kind.values or pks(Team))
    if role != "anonymous":
        client.force_login(world.users[role])
    return SimpleNamespace(
        client=client,
        requests=request_bodies(fields, body, spec_.urls(world)),
        before=fingerprint(),
        published=published,
    )


def answer_is_clean(case, sent):
    """Post one generated request and check the answer, in a savepoint rolled back after."""
    case.client.cookies.pop("messages", None)  # an earlier example's messages are not ours
    case.published.clear()
    before = case.before
    with transaction.atomic():
        response = post(case.client, sent)
        assert response.status_code < 500
        location = response.headers.get("Location", "")
        assert urlsplit(location).netloc in ("", "testserver"), location
        why = refusal(response)
        after = fingerprint()
        if why is not None:
            changed = {m._meta.label_lower for m, rows in after.items() if rows != before[m]}
            assert not changed, f"refused ({why}) yet {sorted(changed)} changed"
            assert not case.published, f"refused ({why}) yet a check was sent"
        else:
            problems = [
                problem
                for model, objects in changed_rows(before, after).items()
                for obj in objects
                for problem in limit_errors(model, obj)
            ]
            assert problems == []
        transaction.set_rollback(True)


SIGNED_IN = [role for role in ROLES if role != "anonymous"]
SPEC_IDS = [s.name for s in SPECS]


@pytest.mark.parametrize("role", SIGNED_IN)
@pytest.mark.parametrize("spec_", SPECS, ids=SPEC_IDS)
@EXAMPLES
@given(data=st.data())
def test_generated_input_is_refused_cleanly_or_saved_within_limits(case, data):
    answer_is_clean(case, data.draw(case.requests, label="request"))


@pytest.mark.parametrize("role", ["anonymous"])
@pytest.mark.parametrize("spec_", SPECS, ids=SPEC_IDS)
@ANONYMOUS_EXAMPLES
@given(data=st.data())
def test_generated_input_before_sign_in_changes_nothing(case, data):
    """Sent to sign in before any field is read: a few examples say so."""
    answer_is_clean(case, data.draw(case.requests, label="request"))
