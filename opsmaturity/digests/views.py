from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opsmaturity.lib.forms import parse_id
from opsmaturity.teams import access

from . import sending, tokens
from .forms import PreferencesForm, PreviewPersonForm
from .models import DigestSubscription, Mode


def get_digest_user_or_deny(request):
    """Whose digest a preview shows: mine, or with ``?user=<id>`` anyone's for staff.

    Someone else's, for a non-staff user, is a 403 whether or not that user exists.
    """
    raw = request.GET.get("user", "")
    if not raw or raw == str(request.user.pk):
        return request.user
    person_id = parse_id(raw)
    access.require(
        access.can_preview_digest(request.user, person_id),
        _("You can only preview your own digest."),
    )
    if person_id is None:
        raise Http404
    return get_object_or_404(get_user_model(), pk=raw)


# The email's HTML alone, served from the app's origin: it may style itself inline and
# show data: images, and nothing else. No script runs (none may, and the sandbox makes it a
# page of no origin, so it could not use the reader's session either), no form is sent, and
# only the app's own preview may frame it. Its links open in a new tab, as in a mail client.
EMAIL_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox allow-popups "
    "allow-popups-to-escape-sandbox"
)
# The text part is text: a browser must never read it as anything else.
EMAIL_TEXT_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; sandbox"


def email_part_response(content, content_type, policy):
    """One part of an email as a response of its own, with the policy it needs.

    The Content-Security-Policy is set here, for this response only: django-csp
    (4.0) leaves a response that already carries the header as it is, so the
    site's policy, which allows no inline style, does not replace it.
    """
    response = HttpResponse(content, content_type=content_type)
    response["Content-Security-Policy"] = policy
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@never_cache
@login_required
def preview(request):
    """The digest as it would be sent now: subject, headers, HTML and text.

    Every part is shown as text a user typed may be in it: the page escapes the
    subject and the text part (plain strings, lib.emails), the HTML sits escaped in
    a sandboxed frame of the HTML part alone, and the parts alone come with a policy of their own.
    """
    user = get_digest_user_or_deny(request)
    subscription = DigestSubscription.for_user(user)
    rendered = sending.render_digest(user, subscription)
    fmt = request.GET.get("format")
    if fmt == "html":
        return email_part_response(rendered.html, "text/html; charset=utf-8", EMAIL_HTML_POLICY)
    if fmt == "text":
        return email_part_response(rendered.text, "text/plain; charset=utf-8", EMAIL_TEXT_POLICY)
    return render(
        request,
        "digests/preview.html",
        {
            "target": user,
            "is_self": user.pk == request.user.pk,
            "rendered": rendered,
            "subscription": subscription,
            "headers": rendered.message.extra_headers,
            "person_form": PreviewPersonForm(initial={"user": user.pk})
            if request.user.is_staff
            else None,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    subscription = DigestSubscription.for_user(request.user)
    was = (subscription.mode, subscription.time_zone)
    form = PreferencesForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        subscription = form.save(commit=False)
        now = timezone.now()
        fields = ["mode", "time_zone", "unsubscribed_at", "resubscriptions"]
        changed = (subscription.mode, subscription.time_zone) != was
        if changed or subscription.next_digest_at is None or subscription.pk is None:
            subscription.reschedule(now)
            fields.append("next_digest_at")
        subscription.follow_mode(was[0], now)
        if subscription.pk is None:
            # created here, unless the dispatcher created it a moment ago
            subscription, _created = DigestSubscription.objects.update_or_create(
                user=request.user, defaults={f: getattr(subscription, f) for f in fields}
            )
        else:
            # only what the form changed: the dispatcher may have moved next_digest_at on
            subscription.save(update_fields=[*fields, "updated_at"])
        if subscription.mode == Mode.NEVER:
            messages.success(request, _("Saved. You will get no weekly digest."))
        else:
            when = timezone.localtime(subscription.next_digest_at, subscription.zone)
            messages.success(
                request,
                _("Saved. Your next digest: %(when)s (%(zone)s).")
                % {
                    "when": date_format(when, "DATETIME_FORMAT"),
                    "zone": subscription.zone_name,
                },
            )
        return redirect("digests:preferences")
    return render(
        request,
        "digests/preferences.html",
        {"form": form, "subscription": subscription, "zones": PreferencesForm.zone_names()},
        status=400 if form.errors else 200,
    )


def invalid_link(request, exc):
    context = {
        "expired": isinstance(exc, tokens.ExpiredToken),
        "stale": isinstance(exc, tokens.StaleToken),
        "days": tokens.max_age().days,
    }
    return render(request, "digests/unsubscribe_invalid.html", context, status=400)


@never_cache
@csrf_exempt  # mail clients POST the RFC 8058 one-click body with no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a confirmation with a button, so that link scanners unsubscribe nobody.
    POST (the button, or a mail client's one-click): unsubscribe at once."""
    try:
        subscription = tokens.subscription_from_token(token)
    except tokens.InvalidToken as exc:
        return invalid_link(request, exc)
    user = subscription.user
    if request.method == "GET":
        return render(request, "digests/unsubscribe.html", {"target": user, "token": token})
    if subscription.pk is None:
        subscription, _created = DigestSubscription.objects.get_or_create(user=user)
    now = timezone.now()
    # Compared and set: only the state the link was made for, not a re-subscription
    # saved since it was read.
    changed = (
        DigestSubscription.objects.filter(
            pk=subscription.pk, resubscriptions=subscription.resubscriptions
        )
        .exclude(mode=Mode.NEVER)
        .update(mode=Mode.NEVER, unsubscribed_at=now, next_digest_at=None, updated_at=now)
    )
    if not changed:
        subscription.refresh_from_db()
        if subscription.is_active:
            return invalid_link(request, tokens.StaleToken())
    return render(request, "digests/unsubscribed.html", {"target": user})
