"""How a request reached the application: directly, or through the county's reverse proxy.

Staff on the office network open `http://SERVER:8080/`; the public, or a county that puts
nginx in front, reach it over https. Whether the connection was https decides whether the
session cookie is marked Secure (a browser drops a Secure cookie over plain http, and then no
one can sign in), so it must be the request's own scheme, never a guess from `base_url`.

A proxy says what it saw in X-Forwarded-Proto and X-Forwarded-For. Anyone can send those
headers, so they are believed only from the addresses `settings.proxy` names (werkzeug's
ProxyFix, one hop); from anywhere else they are dropped and the request is taken as it
arrived. The client address they give is also what sign-in failures are counted against.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from ..model import proxy_networks

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .site import Site

FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST",
             "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


def trusted(address: str | None, proxy: str) -> bool:
    """Whether `address` (the connection's peer) is the reverse proxy `proxy` names."""
    if not address or not proxy:
        return False
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(peer in network for network in proxy_networks(proxy))


class BehindProxy:
    """WSGI middleware: the forwarded scheme, client and host from the named proxy, and no
    forwarded header at all from anyone else."""

    def __init__(self, app: WSGIApplication, proxy: Callable[[], str]):
        self.app = app
        self.proxy = proxy  # read per request: the plan file may change under a running server
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if trusted(environ.get("REMOTE_ADDR"), self.proxy()):
            return self.fixed(environ, start_response)
        for key in FORWARDED:
            environ.pop(key, None)
        return self.app(environ, start_response)


class Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure exactly when this request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def install(app: Flask, site: Site) -> None:
    app.session_interface = Sessions()
    app.wsgi_app = BehindProxy(app.wsgi_app, lambda: site.plan().settings.proxy)  # type: ignore[method-assign]
