"""What the invitation tests share: the link in an email, and the parts of a message."""

import email
import email.policy
import re

from django.core import mail

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/accept/[^\s\"<>/]+/")


def parts(message):
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def link_in(message):
    text, html = parts(message)
    found = LINK.search(text)
    assert found, text
    assert found.group(0) in html
    return found.group(0)


def path_of(url):
    return "/" + url.split("/", 3)[3]


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]
