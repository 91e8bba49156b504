"""Where a webhook may be sent: public addresses only, unless a setting allows others.

An endpoint's host is resolved when it is saved and again at every delivery (a name
can be pointed at 127.0.0.1 after it was accepted), and every address it resolves to
must be public: not loopback, private, link-local (the cloud metadata service at
169.254.169.254), multicast, reserved or unspecified.
``OPS_WEBHOOKS_ALLOW_PRIVATE`` lifts that, for tests and for receivers inside a
private network.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class RefusedAddress(ValueError):
    pass


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url):
    """Raise RefusedAddress unless the URL is http(s) to a host that resolves to
    addresses a delivery may reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress(_("Use an http:// or https:// address."))
    if settings.OPS_WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        raise RefusedAddress(_("This host name does not resolve.")) from None
    if not infos or not all(_is_public(info[4][0]) for info in infos):
        raise RefusedAddress(
            _("This address is inside a private network; webhooks go to public addresses.")
        )
