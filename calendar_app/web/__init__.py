"""The web application: units sign in, see their tasks, report what happened, print their
month; the coordinator sees every unit. A Flask app factory with one blueprint per audience.

Thin like the CLI: a view parses the request, checks who may do it, calls the same records,
sheets and views the commands call, and renders through the one Jinja environment of
`render` (autoescape on). It writes no SQL and no file itself: reports go through `Recorder`,
files under exports/ through `publish` (refreshed in the background, see `Refresher`),
evidence through `evidence.Files`. Feeds, the subscription page and (when the coordinator
turns it on) the printed months are served from exports/ as static files to anyone; every
other page needs a signed-in account.
"""

from .app import create_app
from .site import Site

__all__ = ["Site", "create_app"]
