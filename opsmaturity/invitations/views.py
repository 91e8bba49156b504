"""Inviting (from a team's page), resending, revoking, and following the link."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from opsmaturity.teams import access
from opsmaturity.teams.models import Team

from . import services
from .forms import AcceptForm, InviteForm
from .models import Invitation

# The backend a password sign-in uses (settings.AUTHENTICATION_BACKENDS), named on login.
PASSWORD_BACKEND = "opsmaturity.accounts.backends.UsernameOrEmailBackend"


def team_section(request, team, invite_form=None):
    """What the team's page shows of its invitations (teams.views asks)."""
    user = request.user
    if not access.can_manage_members(user, team):
        return {"can_invite": False, "invite_form": None, "invitations": []}
    can_invite = access.can_invite(user, team)
    roles = access.invitable_roles(user, team)
    if invite_form is None and can_invite:
        invite_form = InviteForm(roles=roles)
    invitations = list(
        Invitation.objects.open().filter(team=team).select_related("invited_by").order_by("email")
    )
    return {"can_invite": can_invite, "invite_form": invite_form, "invitations": invitations}


def _summary(outcomes):
    """One line per kind of outcome, naming the addresses."""
    groups = {}
    for outcome in outcomes:
        groups.setdefault(outcome.result, []).append(outcome.email)
    words = {
        services.SENT: (
            messages.SUCCESS,
            lambda n: ngettext("Invitation sent to %(who)s.", "Invitations sent to %(who)s.", n),
        ),
        services.RESENT: (
            messages.SUCCESS,
            lambda n: ngettext(
                "Invitation sent again to %(who)s.", "Invitations sent again to %(who)s.", n
            ),
        ),
        services.ADDED: (
            messages.SUCCESS,
            lambda n: ngettext(
                "%(who)s already had an account: added to the team and told by email.",
                "%(who)s already had accounts: added to the team and told by email.",
                n,
            ),
        ),
        services.ALREADY: (
            messages.INFO,
            lambda n: ngettext(
                "%(who)s is already in the team.", "%(who)s are already in the team.", n
            ),
        ),
        services.LEFT: (
            messages.WARNING,
            lambda n: ngettext(
                "%(who)s belongs to someone who has left; not invited.",
                "%(who)s belong to people who have left; not invited.",
                n,
            ),
        ),
        services.FAILED: (
            messages.ERROR,
            lambda n: ngettext(
                "The email to %(who)s could not be sent; resend it from the list.",
                "The emails to %(who)s could not be sent; resend them from the list.",
                n,
            ),
        ),
    }
    for result, (level, text) in words.items():
        if result in groups:
            who = ", ".join(groups[result])
            yield level, text(len(groups[result])) % {"who": who}


@login_required
@require_POST
def invite(request, team_pk):
    team = access.get_or_deny(Team.objects.all(), team_pk, access.can_invite, request.user)
    roles = access.invitable_roles(request.user, team)
    form = InviteForm(request.POST, roles=roles)
    if form.is_valid():
        outcomes = services.invite_many(
            team, form.cleaned_data["emails"], role=form.cleaned_data["role"], by=request.user
        )
        for level, text in _summary(outcomes):
            messages.add_message(request, level, text)
        if not form.bad:
            return redirect("teams:detail", pk=team.pk)
        # The good ones are sent; the bad ones stay in the field, to be corrected.
        form = InviteForm(
            {"invite-emails": "\n".join(form.bad), "invite-role": form.cleaned_data["role"]},
            roles=roles,
        )
        form.is_valid()
        form.add_error(
            "emails",
            ngettext(
                "This is not an email address: %(bad)s",
                "These are not email addresses: %(bad)s",
                len(form.bad),
            )
            % {"bad": ", ".join(form.bad)},
        )
    from opsmaturity.teams.views import render_team

    return render_team(request, team, invite_form=form)


def _invitation(request, pk):
    invitations = Invitation.objects.select_related("team")
    return access.get_or_deny(invitations, pk, access.can_handle_invitation, request.user)


@login_required
@require_POST
def resend(request, pk):
    invitation = _invitation(request, pk)
    try:
        sent = services.resend(invitation, by=request.user)
    except services.InvitationRefused as exc:
        messages.error(request, str(exc))
    else:
        if sent:
            text = _("The invitation to %(who)s is sent again, with a new link.")
            messages.success(request, text % {"who": invitation.email})
        else:
            messages.error(request, _("The email could not be sent; try again later."))
    return redirect("teams:detail", pk=invitation.team_id)


@login_required
@require_POST
def revoke(request, pk):
    invitation = _invitation(request, pk)
    try:
        services.revoke(invitation, by=request.user)
    except services.InvitationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The invitation to %(who)s is revoked; its link no longer works.")
            % {"who": invitation.email},
        )
    return redirect("teams:detail", pk=invitation.team_id)


def sso_url(next_path):
    """The single sign-on button's link, when OIDC is configured (the sso app's)."""
    if not getattr(settings, "OIDC_ENABLED", False):
        return None
    for name in ("oidc_authentication_init", "sso:login"):
        try:
            return f"{reverse(name)}?{urlencode({'next': next_path})}"
        except NoReverseMatch:
            continue
    return None


def refused(request, state, invitation=None, status=200):
    return render(
        request,
        "invitations/refused.html",
        {"state": state, "invitation": invitation},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request, token):
    state, invitation = services.look_up(token)
    if state != services.OPEN:
        return refused(request, state, invitation, status=404 if state == services.INVALID else 410)
    user = request.user
    if user.is_authenticated:
        return _accept_signed_in(request, invitation)
    form = AcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.accept_new(
                invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationRefused as exc:
            reason = str(exc)
            if reason == "account_exists":
                return _sign_in_first(request, invitation)
            return refused(request, reason, invitation, status=410)
        login(request, person, backend=PASSWORD_BACKEND)
        messages.success(
            request,
            _("Welcome! You are in %(team)s. You sign in with your email address.")
            % {"team": invitation.team.name},
        )
        return redirect("teams:detail", pk=invitation.team_id)
    context = {
        "invitation": invitation,
        "form": form,
        "sso_url": sso_url(request.path),
    }
    return render(request, "invitations/accept.html", context)


def _sign_in_first(request, invitation):
    login_url = f"{reverse('login')}?{urlencode({'next': request.path})}"
    messages.info(
        request,
        _("An account with %(email)s exists: sign in with it to join %(team)s.")
        % {"email": invitation.email, "team": invitation.team.name},
    )
    return redirect(login_url)


def _accept_signed_in(request, invitation):
    user = request.user
    matches = (user.email or "").lower() == invitation.email.lower()
    if request.method == "POST" and matches:
        try:
            services.accept_existing(invitation, user)
        except services.InvitationRefused as exc:
            return refused(request, str(exc), invitation, status=410)
        messages.success(request, _("You are in %(team)s.") % {"team": invitation.team.name})
        return redirect("teams:detail", pk=invitation.team_id)
    context = {"invitation": invitation, "matches": matches}
    return render(request, "invitations/accept_signed_in.html", context)
