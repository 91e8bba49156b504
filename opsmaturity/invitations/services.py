"""Inviting people to a team, and their joining it: each a transaction with its record.

An email leaves only once its transaction has committed: a change that rolled back
sends nothing, and an email that fails leaves the invitation in place, to resend.
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib import emails
from opsmaturity.lib.people import display_name
from opsmaturity.lib.urls import absolute
from opsmaturity.teams import services as team_services
from opsmaturity.teams.models import ChangeKind, Membership, Role, Team

from .models import Invitation, new_nonce
from .tokens import make_token, read_token

log = logging.getLogger(__name__)
User = get_user_model()

MAX_BATCH = 100
MAX_ADDRESS = 254  # what an address field holds (RFC 5321's path limit)
SEPARATORS = re.compile(r"[\s,;]+")


class InvitationRefused(Exception):
    pass


# --- the addresses pasted ------------------------------------------------------------


def split_addresses(text):
    """(good addresses, bad entries) from text separated by commas, spaces or lines;
    each address once, compared ignoring case, in the order given."""
    good, bad, seen = [], [], set()
    for raw in SEPARATORS.split(text or ""):
        entry = raw.strip().strip("<>")
        if not entry:
            continue
        try:
            if len(entry) > MAX_ADDRESS:
                raise ValidationError("too long")
            validate_email(entry)
        except ValidationError:
            bad.append(raw[:MAX_ADDRESS] + ("…" if len(raw) > MAX_ADDRESS else ""))
            continue
        local, _at, domain = entry.rpartition("@")
        address = f"{local}@{domain.lower()}"
        if address.lower() not in seen:
            seen.add(address.lower())
            good.append(address)
    return good, bad


# --- outcomes ------------------------------------------------------------------------

SENT, RESENT, ADDED, ALREADY, LEFT, FAILED = (
    "sent",
    "resent",
    "added",
    "already",
    "left",
    "failed",
)


@dataclass
class Outcome:
    email: str
    result: str


def expiry(now=None):
    return (now or timezone.now()) + dt.timedelta(days=settings.INVITATION_DAYS)


def accept_url(invitation):
    from django.urls import reverse

    return absolute(reverse("invitations:accept", args=[make_token(invitation)]))


def _send(name, to, context):
    """Send one email after the transaction commits; False when it could not go."""
    try:
        emails.make(name, to, context).send()
    except Exception:  # an SMTP server down must not lose the invitation
        log.exception("could not send %s to %s", name, to)
        return False
    return True


def _send_invitation(invitation):
    context = {
        "invitation": invitation,
        "team": invitation.team,
        "inviter": display_name(invitation.invited_by),
        "role": invitation.get_role_display(),
        "url": accept_url(invitation),
        "days": settings.INVITATION_DAYS,
        "expires_at": invitation.expires_at,
    }
    return _send("invitations/emails/invitation", invitation.email, context)


def _send_added(person, team, role, by):
    from django.urls import reverse

    context = {
        "name": display_name(person),
        "team": team,
        "inviter": display_name(by),
        "role": Role(role).label,
        "url": absolute(reverse("teams:detail", args=[team.pk])),
    }
    return _send("invitations/emails/added", person.email, context)


# --- inviting ------------------------------------------------------------------------


def _account_for(email):
    """The account with this address: an active one first."""
    return User.objects.filter(email__iexact=email).order_by("-is_active", "pk").first()


def _renew(invitation, *, role, by):
    invitation.role = role
    invitation.invited_by = by
    invitation.nonce = new_nonce()
    invitation.sent_at = timezone.now()
    invitation.expires_at = expiry(invitation.sent_at)
    invitation.send_count += 1
    invitation.save(
        update_fields=["role", "invited_by", "nonce", "sent_at", "expires_at", "send_count"]
    )


def invite(team, email, *, role, by):
    """Invite one address to a team, or add the person who already has an account."""
    with transaction.atomic():
        current = Team.objects.select_for_update().get(pk=team.pk)
        person = _account_for(email)
        if person is not None:
            if not person.is_active:
                return Outcome(email, LEFT)
            if Membership.objects.filter(team=current, user=person).exists():
                return Outcome(email, ALREADY)
            team_services.add_member(current, person=person, role=role, by=by)
            added = (person, current, role, by)
        else:
            added = None
            existing = Invitation.objects.open().filter(team=current, email__iexact=email).first()
            if existing is not None:
                _renew(existing, role=role, by=by)
                invitation, result = existing, RESENT
            else:
                now = timezone.now()
                invitation = Invitation.objects.create(
                    team=current,
                    email=email,
                    role=role,
                    invited_by=by,
                    sent_at=now,
                    expires_at=expiry(now),
                )
                result = SENT
            team_services.record(current, ChangeKind.INVITED, by, email=email, to_role=role)
    if added:
        _send_added(*added)
        return Outcome(email, ADDED)
    if not _send_invitation(invitation):
        return Outcome(email, FAILED)
    return Outcome(email, result)


def invite_many(team, addresses, *, role, by):
    return [invite(team, address, role=role, by=by) for address in addresses[:MAX_BATCH]]


def _lock_open(invitation):
    current = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    if current.accepted_at or current.revoked_at:
        raise InvitationRefused(_("This invitation is no longer open."))
    return current


def resend(invitation, *, by):
    with transaction.atomic():
        current = _lock_open(invitation)
        _renew(current, role=current.role, by=by)
    return _send_invitation(current)


def revoke(invitation, *, by):
    with transaction.atomic():
        current = _lock_open(invitation)
        current.revoked_at = timezone.now()
        current.revoked_by = by
        current.save(update_fields=["revoked_at", "revoked_by"])
        team_services.record(current.team, ChangeKind.REVOKED, by, email=current.email)
    return current


# --- following the link ----------------------------------------------------------------

INVALID, EXPIRED, USED, REVOKED, OPEN = "invalid", "expired", "used", "revoked", "open"


def look_up(token):
    """(state, invitation or None) for the token of a link."""
    read = read_token(token)
    if read is None:
        return INVALID, None
    pk, nonce = read
    invitation = Invitation.objects.select_related("team", "invited_by").filter(pk=pk).first()
    if invitation is None or invitation.nonce != nonce:
        return INVALID, None
    return _state(invitation), invitation


def _state(invitation):
    if invitation.accepted_at:
        return USED
    if invitation.revoked_at:
        return REVOKED
    if invitation.expires_at <= timezone.now():
        return EXPIRED
    return OPEN


def _username_for(email):
    base = email.lower()[:150]
    if not User.objects.filter(username__iexact=base).exists():
        return base
    stem = base.split("@", 1)[0][:140]
    n = 2
    while User.objects.filter(username__iexact=f"{stem}{n}").exists():
        n += 1
    return f"{stem}{n}"


def _close(invitation, person):
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = person
    invitation.save(update_fields=["accepted_at", "accepted_by"])


def _join(invitation, person):
    """Put the person in the invitation's team (unless they are in it already)."""
    team = invitation.team
    if not Membership.objects.filter(team=team, user=person).exists():
        team_services.add_member(
            team, person=person, role=invitation.role, by=person, kind=ChangeKind.JOINED
        )
    _close(invitation, person)


def _lock_for_accepting(invitation):
    current = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    state = _state(current)
    if state != OPEN or current.nonce != invitation.nonce:
        raise InvitationRefused(state if current.nonce == invitation.nonce else INVALID)
    return current


def accept_new(invitation, *, first_name, last_name, password):
    """Make the invitee's account and put them in the team. Raises InvitationRefused
    (its message a state) when the link was used, revoked or expired meanwhile."""
    try:
        with transaction.atomic():
            current = _lock_for_accepting(invitation)
            if User.objects.filter(email__iexact=current.email).exists():
                # Made meanwhile (single sign-on, an admin): sign in and accept there.
                raise InvitationRefused("account_exists")
            person = User(
                username=_username_for(current.email),
                email=current.email,
                first_name=first_name,
                last_name=last_name,
            )
            person.set_password(password)
            person.save()
            _join(current, person)
    except IntegrityError as exc:
        raise InvitationRefused(USED) from exc
    return person


def accept_existing(invitation, person):
    """A signed-in person whose address the invitation names joins the team."""
    with transaction.atomic():
        current = _lock_for_accepting(invitation)
        if current.email.lower() != (person.email or "").lower():
            raise InvitationRefused(INVALID)
        _join(current, person)
    return current


# --- people an import names (transfer, "create what is missing") --------------------


def make_account(person):
    """Save a new person an import names by their address: an account with no password
    yet (welcome() mails them how to sign in), under a username of its own."""
    person.username = _username_for(person.email)
    person.set_unusable_password()
    person.save()
    return person


def add_to_team(team, person, *, role, by, notify=True):
    """Put a person in a team (teams.services.add_member); ``notify`` mails them once the
    change commits, as inviting someone who has an account does."""
    membership = team_services.add_member(team, person=person, role=role, by=by)
    if notify and person.email:
        transaction.on_commit(lambda: _send_added(person, team, role, by))
    return membership


def sign_in_url(person):
    """Where a new person starts: a link to choose their password (the reset link,
    valid PASSWORD_RESET_TIMEOUT), or the sign-in page when sign-in is by SSO only."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if not settings.PASSWORD_LOGIN:
        return absolute(reverse("login"))
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return absolute(reverse("password_reset_confirm", args=[uid, token]))


def welcome(person, teams, *, by):
    """Mail a person an import gave an account: who added them, to which teams, and
    how to sign in; once the import commits."""
    context = {
        "inviter": display_name(by),
        "teams": ", ".join(team.name for team in teams),
        "password_login": settings.PASSWORD_LOGIN,
        "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
    }

    def send():
        context["url"] = sign_in_url(person)
        _send("invitations/emails/welcome", person.email, context)

    transaction.on_commit(send)
