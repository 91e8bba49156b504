"""Emails built from their templates by naming convention (the habit of hc/lib/emails.py).

An email called ``digests/emails/digest`` is made of

- ``digests/emails/digest-subject.txt``: its subject, put on one line whatever the
  template's white space;
- ``digests/emails/digest-body.txt``: the plain-text part;
- ``digests/emails/digest-body.html``: the HTML part;
- ``digests/emails/digest.css``, when there is one: the email's stylesheet, itself a
  template. It is written once, with classes, and inlined here into the ``style``
  attribute of each element it styles (css-inline), because many mail clients drop
  ``<style>`` and read only inline styles.

Text parts leave here as plain ``str``. Django marks whatever a template renders as
safe, and the text templates run with autoescape off (a plain-text email must not say
``&amp;``), so a text part that kept the mark would carry a user's ``<script>`` into
any page that showed it, unescaped: the digest preview did, to staff. A plain ``str``
is escaped by every template that shows it. The HTML part is a plain ``str`` too: a
page that embeds it (an ``<iframe srcdoc>``) escapes it as well.
"""

from dataclasses import dataclass

import css_inline
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string

# A header line may be 998 characters long (RFC 5322).
SUBJECT_LIMIT = 998


def plain(text):
    """The same characters as a plain ``str``, without Django's "safe" mark.

    ``str(safe_string)`` would return the SafeString itself; ``str.__str__`` copies
    a subclass of str into a plain one.
    """
    return str.__str__(text)


@dataclass(frozen=True)
class Parts:
    subject: str
    text: str
    html: str


def stylesheet(name, context):
    """The email's own stylesheet, rendered, or "" when it has none."""
    try:
        template = get_template(f"{name}.css")
    except TemplateDoesNotExist:
        return ""
    return template.render(context)


def inline_css(html, css=""):
    """Move the stylesheet (and any ``<style>`` of the template) into style attributes.

    Mail clients know no CSS variables: they are replaced by their values. Nothing
    is fetched: an email is never built from a remote stylesheet.
    """
    return css_inline.inline(
        html,
        extra_css=css or None,
        load_remote_stylesheets=False,
        resolve_css_variables=True,
        minify_css=True,
    )


def render(name, context):
    """The subject, text and HTML of the email ``name``, for one reader."""
    subject = " ".join(render_to_string(f"{name}-subject.txt", context).split())
    text = render_to_string(f"{name}-body.txt", context)
    html = render_to_string(f"{name}-body.html", context)
    return Parts(
        subject=plain(subject[:SUBJECT_LIMIT]),
        text=plain(text),
        html=plain(inline_css(html, stylesheet(name, context))),
    )


def make(name, to, context, *, headers=None, connection=None, from_email=None):
    """An email ready to send: both parts, to one address."""
    parts = render(name, context)
    message = EmailMultiAlternatives(
        parts.subject,
        parts.text,
        from_email=from_email,
        to=[to],
        headers=headers or {},
        connection=connection,
    )
    message.attach_alternative(parts.html, "text/html")
    return message
