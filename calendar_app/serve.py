"""Serving exports/ over HTTP: a plain WSGI function, run by waitress.

Calendar clients poll feeds every few hours, so the answers are made for caching: a strong
ETag from the body, a Last-Modified that never moves backwards, and 304 for If-None-Match or
(when that is absent) If-Modified-Since. Nothing outside the exports folder can be reached:
dot segments, encoded slashes, backslashes, hidden files and symlinks leading out are all 404.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import waitress.server
from waitress import wasyncore

from .errors import CalendarAppError

TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ServeError(CalendarAppError):
    """The server cannot start: no exports folder, or the address is taken."""


class _Clock:
    """The Last-Modified each path was last served with, so it only ever moves forward."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen: dict[str, tuple[str, int]] = {}  # path -> (etag, last-modified seconds)

    def stamp(self, path: str, etag: str, mtime: float, now: float) -> int:
        # Never later than the Date header (RFC 9110 8.8.2.1).
        stamp = int(min(mtime, now))
        with self.lock:
            old = self.seen.get(path)
            if old is not None:
                old_etag, old_stamp = old
                if old_etag == etag:
                    stamp = max(stamp, old_stamp)
                elif stamp <= old_stamp:
                    # New bytes with an older mtime (a restored file, a clock set back): a
                    # client holding the old date must still see that the body changed.
                    stamp = old_stamp + 1
            self.seen[path] = (etag, stamp)
        return stamp


def resolve(root: Path, raw_path: str, path_info: str) -> Path | None:
    """The file under `root` a request names, or None when it names nothing servable."""
    lowered = raw_path.lower()
    if "%2f" in lowered or "%5c" in lowered or "%00" in lowered:
        return None  # an encoded slash would let one path segment act as several
    if path_info in ("", "/"):
        path_info = "/index.html"
    if not path_info.startswith("/") or "\\" in path_info or "\0" in path_info:
        return None
    parts = path_info[1:].split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None  # dot segments, empty segments, hidden (and temporary) files
    base = root.resolve()
    try:
        target = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None  # a symlink out of exports/, or a folder
    return target


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2)."""
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return any(t.removeprefix("W/") == etag for t in tags)


def _not_modified_since(header: str, stamp: int) -> bool:
    try:
        since = parsedate_to_datetime(header)
        if since is None or since.tzinfo is None:
            return False
        return stamp <= since.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        # Any unreadable date (twenty-digit years overflow) is ignored: RFC 9110 13.1.3.
        return False


def application(root: Path, clock: Callable[[], float] = time.time) -> Callable:
    """A WSGI app serving the files under `root` (read on every request: always current)."""
    root = Path(root)
    stamps = _Clock()

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [
                ("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", "0")])
            return [b""]
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
        target = resolve(root, raw.split("?", 1)[0], environ.get("PATH_INFO", ""))
        body = None
        if target is not None:
            try:
                body = target.read_bytes()
                mtime = target.stat().st_mtime
            except OSError:
                body = None
        if body is None:
            text = b"404 Not Found\n"
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(text)))])
            return [b"" if method == "HEAD" else text]
        now = clock()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        stamp = stamps.stamp(str(target), etag, mtime, now)
        headers = [
            ("ETag", etag),
            ("Last-Modified", formatdate(stamp, usegmt=True)),
            ("Cache-Control", "no-cache"),  # keep a copy, but ask (cheaply, by 304) each time
        ]
        inm = environ.get("HTTP_IF_NONE_MATCH")
        ims = environ.get("HTTP_IF_MODIFIED_SINCE")
        if inm is not None:
            fresh = _etag_matches(inm, etag)  # when present, If-Modified-Since is ignored
        else:
            fresh = ims is not None and _not_modified_since(ims, stamp)
        if fresh:
            start_response("304 Not Modified", headers)
            return [b""]
        kind = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
        headers += [("Content-Type", kind or "application/octet-stream"),
                    ("Content-Length", str(len(body))),
                    ("X-Content-Type-Options", "nosniff")]
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else body]

    return app


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000, app=None, **options):
    """A waitress server for `root` (or for the WSGI `app` that serves it), listening but
    not yet running (call `.run()`)."""
    root = Path(root)
    if not root.is_dir():
        raise ServeError(f"no exports folder at {root}; run `calendar-app build` first")
    return listen(app or application(root), host, port, **options)


def listen(app: Callable, host: str, port: int, **options):
    """A waitress server for any WSGI app, listening but not yet running."""
    try:
        return waitress.server.create_server(app, host=host, port=port, **options)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def shutdown(server) -> None:
    """Stop a server whose `.run()` loop is in another thread, and wait for its workers.

    The order matters. A worker thread that finishes a response pulls the loop's trigger (a
    pipe) to wake the loop; closing the trigger while a worker may still pull it makes that
    worker write to a closed descriptor (EBADF) or, worse, to whatever file was opened next
    under the same number. So: first the loop closes the listening socket and every
    connection (waking workers blocked on a slow client), then the workers are joined, and
    only then is the trigger closed, from the loop's own thread, which ends the loop at once.
    """
    def close_connections() -> None:
        for channel in list(server._map.values()):
            if channel is server:
                wasyncore.dispatcher.close(server)  # its own close() would close the trigger
            elif channel is not server.trigger:
                channel.handle_close()  # also wakes a worker waiting to send to this client

    def close_trigger() -> None:
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_connections)
    server.task_dispatcher.shutdown()
    server.trigger.pull_trigger(close_trigger)
