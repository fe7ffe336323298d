"""Files the web application hands out: evidence (to those who may see its event) and the
public part of exports/ (to anyone).

Public are the feeds, the subscription page and, when `settings.public_print` is on, the
printed months: they are served from exports/ by `static.application`, with its ETags and
304s, before Flask sees the request. The subscription page asked for with a session cookie,
or in training, is the application's own page instead: the same page with the menu (and the
training banner) at its top. The gap report and the report sheets under exports/
are not served; the coordinator reaches the gap report through the application.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g

from .. import exports as layout
from ..reports.evidence import MEDIA
from . import static
from .auth import signed_in
from .site import download, framed, site

blueprint = Blueprint("files", __name__)
SESSION_COOKIE = "calendar_session"  # the app's SESSION_COOKIE_NAME


@blueprint.route("/evidence/<sha256>")
@blueprint.route("/evidence/<sha256>/<variant>")
@signed_in
def evidence(sha256: str, variant: str = "file"):
    """A file to those who may see an event it is attached to. To anyone else it does not
    exist: the same 404 as a digest no event holds, so no one can probe for other units'
    files."""
    if variant not in ("file", "thumb"):
        abort(404)
    found = [f for f in _rows(sha256)
             if (entry := g.store.entry(f.uid)) and g.account.may_report(entry)]
    if not found:
        abort(404)
    file = found[0]
    files = site().files()
    path = files.thumbnail(sha256) if variant == "thumb" else files.path(sha256, file.kind)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        abort(404)
    media = "image/jpeg" if variant == "thumb" else MEDIA[file.kind]
    # Documents are downloaded, never shown inline: a file's content must not act on the site.
    inline = variant == "thumb" or file.kind in ("jpeg", "png")
    ascii_name = f"evidence-{sha256[:12]}.{'jpg' if variant == 'thumb' else file.kind}"
    return Response(data, mimetype=media, headers={
        "Content-Disposition": download(file.name or ascii_name, ascii_name, inline),
        "Cache-Control": "private, max-age=86400",
        "Content-Security-Policy": "default-src 'none'"})


@blueprint.route("/" + layout.INDEX)
def subscription() -> Response:
    """The subscription page, in the application's frame (see `PublicFiles.public`)."""
    try:
        html = site().out().path(layout.INDEX).read_text(encoding="utf-8")
    except FileNotFoundError:
        abort(404)
    return Response(framed(html) if g.account is not None or site().training else html,
                    mimetype="text/html")


def _rows(sha256: str) -> list:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    return g.store.evidence_of(sha256)


class PublicFiles:
    """WSGI middleware: the public files of exports/ straight from disk, the rest to Flask."""

    def __init__(self, app, site):
        self.app = app
        self.site = site
        self.files = static.application(site.exports)

    def public(self, path: str, cookies: str) -> bool:
        if path == "/" + layout.INDEX:
            # Someone signed in, or a trainee, gets it with the menu, from the application.
            return not self.site.training and SESSION_COOKIE + "=" not in cookies
        if path.startswith(f"/{layout.FEEDS}/"):
            return True
        return path.startswith("/print/") and self.site.plan().settings.public_print

    def __call__(self, environ, start_response):
        if self.public(environ.get("PATH_INFO", ""), environ.get("HTTP_COOKIE", "")):
            return self.files(environ, start_response)
        return self.app(environ, start_response)
