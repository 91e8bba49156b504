"""Text a user typed is escaped everywhere it is shown (issue 12, the escaping deliverable).

A payload is stored in every text field a user can type, then every page and partial
of the project is fetched with real ids (its URL patterns are walked: a page added
later without an entry here fails ``test_every_url_pattern_is_walked``), as staff, as
the team's manager and as the member who owns the operation, and every admin page of
every registered model; both parts of the digest are rendered for a manager and a
member. In HTML the payload never appears as it was typed, and no element comes of it;
it appears as text. In the CSV it is neutralised against formulas; in plain text (the
email's text part) it is as typed.
"""

import csv
import io
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from opsmaturity.digests import sending, tokens
from opsmaturity.digests.models import DigestSubscription
from opsmaturity.lib.text import normalize_name
from opsmaturity.operations.phases import Phase
from tests.core.hostile import FORMULA_LEADS, PAYLOADS, assert_escaped, build_world, typed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.SITE_URL = "https://ops.example.com"
    return build_world()


# --- the pages -----------------------------------------------------------------------------


@dataclass
class Visit:
    name: str  # the URL pattern's name
    args: tuple = ()
    params: dict = field(default_factory=dict)
    method: str = "get"
    data: dict = field(default_factory=dict)
    htmx: bool = False


def reset_link(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return uid, default_token_generator.make_token(user)


def visits(w):
    """Every page and partial of the app, with real ids and the filters that change them."""
    op, flag, role, skill, team = w["operation"], w["flag"], w["role"], w["skill"], w["team"]
    for_list = [
        {},
        {"scope": "all"},
        {"scope": "me"},
        {"scope": "managed", "flag": "any", "sort": "-cost"},
        {"team": team.pk, "owner": w.member.pk, "phase": Phase.LAUNCH, "scope": "all"},
        {"flag": "snooze_requested", "scope": "all"},
        {"q": PAYLOADS["operation.name"][:60], "scope": "all"},  # typed into the search box
    ]
    token = tokens.make_token(w.member)
    dashboards = [{}, {"team": team.pk}, {"scope": "my_teams", "period": "90d", "teams": "all"}]
    return [
        Visit("home"),
        Visit("login"),
        *[Visit("operations:list", params=p, htmx=h) for p in for_list for h in (False, True)],
        # every column shown, the table sent back for the filters typed on the page
        Visit(
            "operations:list_settings",
            method="post",
            htmx=True,
            data={
                "columns": ["team", "owner", "flags", "volume", "launched", "updated"],
                "page_size": "25",
                "scope": "all",
                "q": PAYLOADS["operation.name"][:60],
            },
        ),
        # a bulk change reviewed (names and reasons shown), then one confirmed that
        # changes nothing (no snooze was asked for), and its summary
        Visit(
            "operations:bulk",
            method="post",
            data={"action": "move", "ids": [str(op.pk)], "to_phase": "standardize"},
        ),
        Visit(
            "operations:bulk",
            method="post",
            data={"action": "grant", "ids": [str(op.pk)], "confirm": "1", "filters": "q=<b>"},
        ),
        Visit("operations:bulk_done"),
        # the owner boxes' suggestions: those one may name owner; those who own one
        Visit("operations:people_search", htmx=True),
        Visit(
            "operations:people_search",
            params={"among": "owners", "owner": w.member.get_username()[:10]},
            htmx=True,
        ),
        Visit("operations:create"),
        Visit("operations:detail", (op.pk,)),
        Visit("operations:detail", (w["stalled"].pk,)),
        Visit("operations:edit", (op.pk,)),
        Visit("operations:move", (op.pk,)),
        Visit("operations:review", (op.pk,)),
        # a form sent back with what was typed, and the inline validation partial
        Visit(
            "operations:edit",
            (op.pk,),
            method="post",
            data={"name": PAYLOADS["operation.name"], "runbook_url": "javascript:alert(1)"},
        ),
        Visit(
            "operations:edit",
            (op.pk,),
            method="post",
            htmx=True,
            data={"_validate": "name", "name": PAYLOADS["operation.name"] * 3},
        ),
        Visit(
            "operations:check",
            (op.pk, w["criterion"].pk),
            method="post",
            htmx=True,
            data={"checked": "on", "evidence": PAYLOADS["check.evidence"]},
        ),
        *[Visit("dashboard:index", params=p, htmx=h) for p in dashboards for h in (False, True)],
        Visit("maturity:snooze", (flag.pk,)),
        Visit("digests:preview"),
        Visit("digests:preview", params={"format": "html"}),
        Visit("digests:preview", params={"format": "text"}),
        Visit("digests:preview", params={"user": w.member.pk}),
        Visit("digests:preview", params={"user": w.member.pk, "format": "html"}),
        Visit("digests:preview", params={"user": w.member.pk, "format": "text"}),
        Visit("digests:preview", params={"user": w["performer"].pk}),
        Visit("digests:preferences"),
        Visit("digests:unsubscribe", (token,)),
        Visit("digests:unsubscribe", (tokens.make_token(w["performer"]),)),
        # API tokens: a name typed into the form, shown back in the list of tokens
        Visit(
            "api:tokens",
            method="post",
            data={"name": PAYLOADS["operation.name"][:90], "scope": "read"},
        ),
        Visit("api:tokens"),
        Visit("webhooks:index"),
        Visit("webhooks:webhook_new"),
        Visit("webhooks:chat_new", params={"team": team.pk}),
        Visit("webhooks:detail", (w["webhook"].pk,)),
        Visit("webhooks:detail", (w["channel"].pk,)),
        Visit("webhooks:detail", (w["channel"].pk,), params={"page": 1}, htmx=True),
        # typed text sent back by a refused form (the address is no address)
        Visit(
            "webhooks:detail",
            (w["channel"].pk,),
            method="post",
            data={"url": "x", "description": PAYLOADS["channel.description"], "kind": "slack"},
        ),
        Visit("webhooks:secret", (w["webhook"].pk,), method="post"),
        Visit("organization:index"),
        Visit("organization:team_gap", (team.pk,)),
        Visit("organization:team_gap", (team.pk,), htmx=True),
        Visit("organization:team_gap_csv", (team.pk,)),
        Visit("organization:my_skills"),
        Visit("organization:skills"),
        Visit("organization:skill_edit", (skill.pk,)),
        Visit("organization:roles"),
        Visit("organization:role_create", params={"team": team.pk}),
        Visit("organization:role_detail", (role.pk,)),
        Visit("organization:role_edit", (role.pk,)),
        Visit("campaigns:list"),
        Visit("campaigns:detail", (w["campaign"].pk,)),
        Visit("campaigns:create"),
        Visit(
            "campaigns:create",
            params={"team": team.pk, "phase": Phase.LAUNCH, "q": PAYLOADS["operation.name"][:60]},
        ),
        Visit(
            "campaigns:create",
            method="post",
            data={"name": PAYLOADS["operation.name"], "goal": "phase", "teams": [team.pk]},
        ),
        Visit(
            "campaigns:add",
            (w["campaign"].pk,),
            method="post",
            data={"name": PAYLOADS["operation.name"], "note": PAYLOADS["operation.name"]},
        ),
        Visit("campaigns:remove", (w["campaign"].pk,), method="post", data={"operation": "x"}),
        Visit("campaigns:future", (team.pk,)),
        Visit(
            "campaigns:future_propose",
            (team.pk,),
            method="post",
            data={"title": PAYLOADS["operation.name"], "kind": "goal", "horizon_years": "9"},
        ),
        Visit("campaigns:future_comment", (w["future_goal"].pk,), method="post", data={}),
        Visit(
            "campaigns:future_decide",
            (w["future_goal"].pk,),
            method="post",
            data={"decision": "accept", "reason": ""},
        ),
        Visit(
            "organization:requirement_set",
            (role.pk,),
            method="post",
            htmx=True,
            data={"skill": w["other_skill"].pk, "level": 3},
        ),
        Visit("organization:plan_create", params={"user": w.member.pk, "skill": skill.pk}),
        Visit("organization:plan_edit", (w["plan"].pk,)),
        Visit("teams:list"),
        Visit("teams:detail", (team.pk,)),
        # forms sent back with what was typed: too long a name, addresses that are not
        Visit("teams:rename", (team.pk,), method="post", data={"name": PAYLOADS["team.name"] * 3}),
        Visit(
            "teams:member_add",
            (team.pk,),
            method="post",
            data={"add-person": PAYLOADS["team.name"], "add-role": "manager"},
        ),
        Visit(
            "invitations:invite",
            (team.pk,),
            method="post",
            data={"invite-emails": PAYLOADS["team.name"], "invite-role": "member"},
        ),
        Visit("invitations:accept", (invitation_token(w),)),
        Visit("accounts:profile"),
        # sent back with what was typed: an unknown zone is named in its message; nothing saved
        Visit(
            "accounts:profile",
            method="post",
            data={"display_name": PAYLOADS["member.first_name"], "time_zone": PAYLOADS["sub.tz"]},
        ),
        Visit("password_change"),
        Visit("password_change_done"),
        Visit("password_reset"),
        Visit("password_reset_done"),
        Visit("password_reset_confirm", reset_link(w.member)),
        Visit("password_reset_confirm", ("MQ", "tampered-token")),
        Visit("password_reset_complete"),
        Visit("offboarding:people"),
        Visit("offboarding:people", params={"q": PAYLOADS["operation.name"][:60]}, htmx=True),
        Visit("offboarding:leave", (w.member.pk,)),
        Visit("offboarding:reassign", (w.member.pk,)),
        Visit(
            "offboarding:reassign",
            (w.member.pk,),
            method="post",
            data={"all_owner": PAYLOADS["operation.name"], f"owner-{op.pk}": "x"},
        ),
        # last: confirming changes the gap (a second confirmation is told it changed)
        Visit(
            "organization:level_confirm",
            (team.pk, w["pending"].pk),
            method="post",
            htmx=True,
            data={"level": 3, "version": w["pending"].version},
        ),
    ]


# Patterns that are not walked, and why: none of them shows what a user typed.
NOT_PAGES = {
    "healthz": "JSON: the state of the database and the broker",
    "logout": "POST only; redirects",
    "campaigns:close": "POST only; redirects to the campaign's page (walked)",
    "maturity:decide": "POST only; redirects to the operation's page (walked)",
    "maturity:lift": "POST only; redirects to the operation's page (walked)",
    "maturity:check-operation": "publishes a scan; answers with the check's state only",
    "maturity:check-team": "publishes a scan; answers with the check's state only",
    "maturity:check-status": "a scan task's state: no user text",
    "organization:requirement_remove": "answers with the partial of requirement_set (walked)",
    # an uploaded file's own text, walked with hostile files in tests/transfer/test_escaping.py
    "transfer:import": "walked in tests/transfer/test_escaping.py",
    "transfer:preview": "walked in tests/transfer/test_escaping.py",
    "transfer:confirm": "walked in tests/transfer/test_escaping.py",
    "transfer:export": "streamed CSV/XLSX, checked for formulas in tests/transfer/test_export.py",
    "transfer:template": "a fixed example row (tests/transfer/test_export.py)",
    "transfer:progress": "an import's counts and state, numbers only (tests/transfer)",
    "teams:archive": "POST only; redirects to the team's page (walked)",
    "teams:member_role": "POST only; shows the team's page (walked)",
    "teams:member_remove": "POST only; shows the team's page (walked)",
    "invitations:resend": "POST only; redirects to the team's page (walked)",
    "invitations:revoke": "POST only; redirects to the team's page (walked)",
    "offboarding:reactivate": "POST only; redirects to the people list (walked)",
    "sso:login": "redirects to the identity provider",
    "sso:callback": "redirects, or a refusal in words of its own (tests/sso)",
    "api:revoke-token": "POST only; redirects to the tokens page (walked)",
    "webhooks:resume": "POST only; redirects to the endpoint's page (walked)",
    "webhooks:test": "POST only; redirects to the endpoint's page (walked)",
    "webhooks:delete": "POST only; redirects to the integrations page (walked)",
    "webhooks:redeliver": "POST only; redirects to the endpoint's page (walked)",
    "api:docs": "Swagger UI: the schema's text only, no user text",
    "api:schema": "the OpenAPI schema: no user text",
    "api:not-found": "JSON 404",
    **{
        f"api:{name}": "JSON (the API): encoded as JSON, never HTML (tests/api)"
        for name in (
            "operation-list",
            "operation-detail",
            "operation-move",
            "operation-review",
            "operation-history",
            "flag-list",
            "flag-detail",
            "flag-snooze",
            "flag-decide",
            "flag-lift",
            "team-list",
            "team-detail",
            "snapshot-list",
            "campaign-list",
            "campaign-detail",
            "webhook-list",
            "webhook-detail",
            "webhook-deliveries",
            "chat-channel-list",
            "chat-channel-detail",
            "chat-channel-deliveries",
        )
    },
}


def invitation_token(w):
    from opsmaturity.invitations.models import Invitation
    from opsmaturity.invitations.services import expiry
    from opsmaturity.invitations.tokens import make_token

    invitation, _created = Invitation.objects.get_or_create(
        team=w["team"],
        email="newcomer@example.com",
        defaults={"invited_by": w.manager, "expires_at": expiry()},
    )
    return make_token(invitation)


def app_pattern_names():
    """Every named URL pattern of the project outside the admin (walked per model below)."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_pattern_is_walked(world):
    walked = {visit.name for visit in visits(world)}
    assert app_pattern_names() - walked - set(NOT_PAGES) == set()
    assert not walked & set(NOT_PAGES)


def fetch(client, visit):
    headers = {"HTTP_HX_REQUEST": "true"} if visit.htmx else {}
    url = reverse(visit.name, args=visit.args)
    if visit.method == "post":
        return client.post(url, visit.data, **headers)
    return client.get(url, visit.params, **headers)


def check_response(response, where):
    """The labels a response shows as text; CSV cells checked against formulas."""
    content_type = response.get("Content-Type", "")
    body = response.content.decode()
    if content_type.startswith("text/html"):
        return assert_escaped(body, where)
    if content_type.startswith("text/csv"):
        return check_csv(body, where)
    if content_type.startswith("text/plain"):
        # text, as typed; the browser is told not to read it as anything else
        assert response["X-Content-Type-Options"] == "nosniff", where
        assert "sandbox" in response["Content-Security-Policy"], where
        return set()
    raise AssertionError(f"{where}: unexpected {content_type}")


def check_csv(body, where):
    shown = set()
    for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))):
        for cell in row:
            assert not cell.startswith(FORMULA_LEADS), f"{where}: a formula cell {cell!r}"
            for label, payload in PAYLOADS.items():
                if cell == "'" + payload:
                    shown.add(label)
    return shown


ROLES = ["staff", "manager", "member"]
# Shown in the admin only (test_the_admin_shows_typed_text_escaped): what the jobs write,
# groups, a team's description, and the usernames of people the pages call by their name.
ADMIN_ONLY = {
    "delivery.last_error",
    "delivery.subject",
    "scanrun.error",
    "group.name",
    "team.description",
    "manager.username",
    "member.username",
    # sign-in records, for staff in the admin
    "attempt.username",
    "attempt.user_agent",
    "attempt.post_data",
    "failure.username",
    "failure.user_agent",
    "log.username",
    "log.user_agent",
}
# Kept, shown nowhere yet: the reason a manager gave when declining a snooze (its history
# has no page and no admin); it is still checked never to come out unescaped.
STORED_ONLY = {"decision.reason"}
# Staff keep the signed webhooks; a team's managers its chat channel (and its log).
WEBHOOKS = {"webhook.description", "webhook.paused_reason"}
CHAT = {"channel.description", "webhook_delivery.excerpt", "webhook_delivery.error"}
WEBHOOK_PAGES = {"webhooks:webhook_new", "webhooks:secret"}
NOT_SHOWN = {
    # a person's level history is on their own page, and their digest preferences
    "staff": ADMIN_ONLY | STORED_ONLY | {"change.note"},
    "manager": ADMIN_ONLY | STORED_ONLY | WEBHOOKS | {"change.note", "sub.tz"},
    "member": ADMIN_ONLY | STORED_ONLY | WEBHOOKS | CHAT,
}
# What a role may not open: everything else answers 200 (or sends to another page).
REFUSED = {
    "staff": set(),
    # someone else's digest: staff only; so are the signed webhooks
    "manager": {"digests:preview", "teams:rename", "webhooks:detail"} | WEBHOOK_PAGES,
    "member": {
        "digests:preview",  # someone else's
        "operations:people_search",  # whom one may name owner: managers and staff
        "teams:rename",
        "teams:member_add",
        "invitations:invite",
        "organization:skill_edit",
        "organization:role_create",
        "organization:role_edit",
        "organization:requirement_set",
        "organization:level_confirm",
        "offboarding:people",  # managers and staff
        "offboarding:leave",
        "offboarding:reassign",
        "campaigns:create",  # managers start campaigns
        "campaigns:future_decide",  # managers decide
        "campaigns:add",  # managers change a campaign's operations
        "campaigns:remove",
        "webhooks:index",  # staff and managers keep integrations
        "webhooks:chat_new",
        "webhooks:detail",
    }
    | WEBHOOK_PAGES,
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_and_partial_shows_typed_text_escaped(client, world, role):
    client.force_login(getattr(world, role))
    shown, refused = set(), set()
    for visit in visits(world):
        response = fetch(client, visit)
        where = f"{role} {visit.method.upper()} {visit.name} {visit.params or visit.data}"
        assert response.status_code in (200, 302, 403, 404), where
        if response.status_code in (403, 404):
            refused.add(visit.name)
        if response.status_code == 200:
            shown |= check_response(response, where)
    assert refused == REFUSED[role]
    # every field was shown somewhere, as text
    assert set(PAYLOADS) - shown - NOT_SHOWN[role] == set()


# --- the admin -----------------------------------------------------------------------------


def admin_urls(world, model):
    """The admin's pages of a model that staff may open (no one adds or deletes some rows)."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = world.staff
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    row = world.row_of(model)
    yield reverse(f"{prefix}_changelist"), {}
    yield reverse(f"{prefix}_changelist"), {"q": PAYLOADS["team.name"][:40]}
    if model_admin.has_add_permission(request):
        yield reverse(f"{prefix}_add"), {}
    yield reverse(f"{prefix}_change", args=[row.pk]), {}
    yield reverse(f"{prefix}_history", args=[row.pk]), {}
    if model_admin.has_delete_permission(request, row):
        yield reverse(f"{prefix}_delete", args=[row.pk]), {}


def test_every_registered_model_has_a_row_with_the_payload(world):
    for model in admin.site._registry:
        assert world.row_of(model) is not None, model


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_the_admin_shows_typed_text_escaped(client, world, role):
    client.force_login(getattr(world, role))
    shown = set()
    for model in admin.site._registry:
        for url, params in admin_urls(world, model):
            response = client.get(url, params)
            where = f"{role} {url} {params}"
            assert response.status_code < 500, where
            if role == "staff":
                assert response.status_code == 200, where
            if response.status_code == 200:
                shown |= assert_escaped(response.content.decode(), where)
    if role == "staff":
        assert ADMIN_ONLY <= shown
    else:  # the rows of the teams they manage, read-only
        assert {"team.name", "operation.name", "transition.note"} <= shown


# --- a URL field refuses javascript: ---------------------------------------------------------


def test_a_runbook_url_of_javascript_is_refused(client, world):
    operation = world["operation"]
    client.force_login(world.manager)
    data = {"name": "x", "runbook_url": "javascript:alert(1)"}
    response = client.post(reverse("operations:edit", args=[operation.pk]), data)
    assert response.status_code == 200
    assert "Enter a full web address" in response.content.decode()
    operation.refresh_from_db()
    assert operation.name == normalize_name(PAYLOADS["operation.name"])
    client.force_login(world.staff)
    url = reverse("admin:operations_operation_change", args=[operation.pk])
    form = client.get(url).context["adminform"].form
    post = {**form.initial, **data, "performers": [u.pk for u in form.initial["performers"]]}
    response = client.post(url, {k: v for k, v in post.items() if v is not None})
    assert "Enter a full web address" in response.content.decode()
    operation.refresh_from_db()
    assert operation.runbook_url.startswith("https://")


# --- the digest, both parts ----------------------------------------------------------------


@pytest.mark.parametrize(
    "who, names",
    [("manager", "stalled.name"), ("member", "operation.name")],  # the stalled list, my flags
)
def test_both_parts_of_the_digest(world, who, names):
    user = getattr(world, who)
    rendered = sending.render_digest(user, DigestSubscription.for_user(user))
    shown = assert_escaped(rendered.html, f"digest html of the {who}")
    assert {names, "team.name", f"{who}.first_name"} <= shown
    assert type(rendered.text) is str and type(rendered.subject) is str
    # the text part says what was typed, as typed: it is text
    for label in (names, "team.name", f"{who}.first_name"):
        assert PAYLOADS[label].strip() in rendered.text, label
    assert "&lt;" not in rendered.text and "&quot;" not in rendered.text


# --- the spreadsheet -------------------------------------------------------------------------


def test_the_gap_csv_neutralises_formulas(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("organization:team_gap_csv", args=[world["team"].pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    cells = {cell for row in rows[1:] for cell in row}
    for label in ("team.name", "role.name", "skill.name", "skill2.name"):
        assert "'" + PAYLOADS[label] in cells, label  # kept whole, behind a quote
    assert not any(cell.startswith(FORMULA_LEADS) for cell in cells)


# --- the check itself ------------------------------------------------------------------------


@pytest.fixture
def one_payload():
    PAYLOADS.clear()
    return typed("t")


@pytest.mark.parametrize(
    "html",
    [
        lambda p: f"<p>{p}</p>",  # printed as typed
        lambda p: f"<a title={escape(p)}>x</a>",  # escaped, in an unquoted attribute
        lambda p: f'<a title="{p}">x</a>',  # in a quoted attribute, unescaped
        lambda p: "<p>" + escape(p).replace("&lt;script&gt;", "<script>") + "</p>",
    ],
)
def test_the_check_fails_on_what_a_browser_would_run(one_payload, html):
    with pytest.raises(AssertionError):
        assert_escaped(html(one_payload), "a page")


def test_the_check_passes_text_and_attributes_escaped(one_payload):
    html = f'<p title="{escape(one_payload)}">{escape(one_payload)}</p>'
    assert assert_escaped(html, "a page") == {"t"}
    with pytest.raises(AssertionError):
        check_csv(f"{one_payload}\n", "a CSV")
