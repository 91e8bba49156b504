"""Events worded for a team's chat: Slack blocks and Microsoft Teams cards, with a link
back to the page, in the installation's language (LANGUAGE_CODE), as the digest is."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from opsmaturity.maturity.models import FlagKind
from opsmaturity.operations.phases import Phase

from .models import Kind


def _phase(key):
    return str(Phase(key).label) if key in Phase.values else key


def _kind(key):
    return str(FlagKind(key).label) if key in FlagKind.values else key


def _name(data):
    operation = data.get("operation") or (data.get("flag") or {}).get("operation") or {}
    return {
        "name": operation.get("name", ""),
        "team": (operation.get("team") or {}).get("name", ""),
    }, operation.get("url")


def sentence(event, data):
    """(text, link) of an event, worded for people."""
    who = (data.get("by") or {}).get("name") or _("Someone")
    about, link = _name(data)
    values = {"who": who, **about}
    if event == "operation.created":
        return _("%(who)s recorded “%(name)s” (%(team)s).") % values, link
    if event == "operation.changed":
        return _("%(who)s changed “%(name)s” (%(team)s).") % values, link
    if event == "operation.moved":
        values.update(source=_phase(data.get("from_phase")), target=_phase(data.get("to_phase")))
        text = _("%(who)s moved “%(name)s” (%(team)s) from %(source)s to %(target)s.") % values
        if data.get("note"):
            text += "\n" + data["note"]
        return text, link
    if event in ("flag.opened", "flag.resolved", "snooze.asked", "snooze.decided"):
        values["flag"] = _kind((data.get("flag") or {}).get("kind"))
    if event == "flag.opened":
        return _("“%(name)s” (%(team)s) is flagged: %(flag)s.") % values, link
    if event == "flag.resolved":
        return _("“%(name)s” (%(team)s) is no longer flagged: %(flag)s.") % values, link
    if event == "snooze.asked":
        request = data.get("request") or {}
        values.update(until=request.get("until"), reason=request.get("reason", ""))
        text = _(
            "%(who)s asks to snooze “%(flag)s” on “%(name)s” (%(team)s) until %(until)s: %(reason)s"
        )
        return text % values, link
    if event == "snooze.decided":
        decision = data.get("decision") or {}
        values["until"] = decision.get("until")
        if decision.get("action") == "granted":
            text = _("%(who)s snoozed “%(flag)s” on “%(name)s” (%(team)s) until %(until)s.")
        else:
            text = _("%(who)s declined to snooze “%(flag)s” on “%(name)s” (%(team)s).")
        return text % values, link
    if event == "summary.weekly":
        return summary_sentence(data), data.get("url")
    if event in ("campaign.deadline_near", "campaign.closed"):
        return campaign_sentence(event, data)
    if event == "ping":
        return _("A test message from Ops Maturity: this channel is connected."), None
    return event, link


def campaign_sentence(event, data):
    campaign = data.get("campaign") or {}
    done = (campaign.get("progress") or {}).get("done", 0)
    total = (campaign.get("progress") or {}).get("total", 0)
    values = {
        "name": campaign.get("name", ""),
        "done": done,
        "total": total,
        "deadline": campaign.get("deadline", ""),
        "days": data.get("days_left", 0),
    }
    if event == "campaign.deadline_near":
        text = _(
            "Campaign “%(name)s”: %(days)s days to the deadline (%(deadline)s), "
            "%(done)s of %(total)s operations done."
        )
    else:
        text = _("Campaign “%(name)s” is closed: %(done)s of %(total)s operations done.")
    return text % values, campaign.get("url")


def summary_sentence(data):
    counts = data.get("counts") or {}
    parts = [f"{_kind(kind)}: {count}" for kind, count in counts.items() if count]
    values = {"team": (data.get("team") or {}).get("name", "")}
    if not parts:
        return _("This week in %(team)s: no operation needs attention.") % values
    values["counts"] = ", ".join(parts)
    return _("This week in %(team)s: %(counts)s.") % values


def _slack_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(text, link):
    section = {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)}}
    if link:
        section["accessory"] = {
            "type": "button",
            "text": {"type": "plain_text", "text": _("Open")},
            "url": link,
        }
    return {"text": text, "blocks": [section]}


def teams(text, link):
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": _("Open"), "url": link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def message(kind, event, data):
    with translation.override(settings.LANGUAGE_CODE):
        text, link = sentence(event, data)
        return slack(text, link) if kind == Kind.SLACK else teams(text, link)
