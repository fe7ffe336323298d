"""Where a running server can be reached, and whether `settings.base_url` is one of those
places: what `serve` prints when it starts.

`base_url` is written into every feed, the subscription page and the QR codes; when it still
is the shipped placeholder, or names a host or port this server does not answer on (and no
reverse proxy in front is named in `settings.proxy`), every one of those links leads nowhere,
and nothing else would say so.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from ..feeds.view import placeholder_warning
from ..model import Plan

WILDCARDS = ("", "0.0.0.0", "::")
_SOMEWHERE = ("192.0.2.1", 9)  # TEST-NET-1: connecting a UDP socket to it sends nothing


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses that others may reach it at, loopback first."""
    found = {"127.0.0.1"}
    try:
        found.update(str(info[4][0]) for info in socket.getaddrinfo(
            socket.gethostname(), None, socket.AF_INET))
    except OSError:
        pass
    # The address the machine sends from towards other hosts (its office network's).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_SOMEWHERE)
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    others = sorted((a for a in found if not a.startswith("127.")),
                    key=lambda a: ipaddress.ip_address(a))
    return ["127.0.0.1", *others]


def listening(host: str, port: int, local: Callable[[], list[str]] = local_addresses
              ) -> list[str]:
    """The addresses (http://HOST:PORT/) a server bound to `host` answers on."""
    hosts = local() if host in WILDCARDS else [host]
    return [f"http://{f'[{h}]' if ':' in h else h}:{port}/" for h in hosts]


def _resolve(name: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except (OSError, UnicodeError):
        return set()


def base_url_warning(plan: Plan, urls: list[str],
                     resolve: Callable[[str], set[str]] = _resolve) -> str:
    """One line when `base_url` is the placeholder, or (with no proxy named) is not one of
    `urls`; "" when it is fine."""
    placeholder = placeholder_warning(plan)
    if placeholder:
        return placeholder
    settings = plan.settings
    if settings.proxy:
        return ""  # reached through the proxy, which this server cannot see past
    wanted = urlsplit(settings.base_url)
    port = wanted.port or (443 if wanted.scheme == "https" else 80)
    hosts = {urlsplit(u).hostname or "" for u in urls}
    ports = {urlsplit(u).port for u in urls}
    name = wanted.hostname or ""
    here = name in hosts or bool(resolve(name) & hosts) or (
        name.lower() in {"localhost", socket.gethostname().lower()} and "127.0.0.1" in hosts)
    if wanted.scheme == "http" and here and port in ports and wanted.path in ("", "/"):
        return ""
    why = ("this server speaks plain http; put a reverse proxy in front for https and name it "
           "in settings.proxy" if wanted.scheme == "https" else
           "the feeds are served at the root of this server" if here and port in ports else
           "it names another host or port")
    return (f"settings.base_url {settings.base_url} is not where this server is reached "
            f"({', '.join(urls)}): the feed links, QR codes and subscription page point "
            f"there ({why}); set it to the address units open, then `calendar-app build`")
