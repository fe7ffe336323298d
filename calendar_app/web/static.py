"""Serving exports/ over HTTP: a plain WSGI function (`server` runs it under waitress).

Calendar clients poll feeds every few hours, so the answers are made for caching: a strong
ETag from the body, a Last-Modified that never moves backwards, and 304 for If-None-Match or
(when that is absent) If-Modified-Since. Text is sent gzip-compressed to clients that accept
it, as its own representation: `Vary: Accept-Encoding` and an ETag of its own (RFC 9110
8.8.3), both stable, since the compressed bytes are. Nothing outside the exports folder can be
reached: dot segments, encoded slashes, backslashes, hidden files and symlinks leading out
are all 404.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from ..limits import ServeLimits
from .server import ServeError, listen, shutdown

__all__ = ["ServeError", "ServeLimits", "application", "listen", "make_server", "resolve",
           "shutdown"]

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
COMPRESSIBLE = {".ics", ".html", ".css", ".txt", ".csv", ".json"}  # PDF and XLSX are zipped
GZIP_MIN = 1024  # bytes: below this, gzip's own header and trailer eat what it saves


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


def accepts_gzip(header: str | None) -> bool:
    """Whether Accept-Encoding allows gzip: named with q > 0, or `*` when gzip is not named."""
    named = star = None
    for item in (header or "").split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            key, _, number = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        coding = coding.lower()
        if coding in ("gzip", "x-gzip"):
            named = q
        elif coding == "*":
            star = q
    chosen = named if named is not None else star
    return chosen is not None and chosen > 0  # NaN is not > 0


class _Gzipped:
    """Compressed bodies by the ETag of their plain body, so each is compressed once."""

    def __init__(self, size: int = 256):
        self.lock = threading.Lock()
        self.size = size
        self.bodies: dict[str, bytes] = {}

    def get(self, etag: str, body: bytes) -> bytes:
        with self.lock:
            found = self.bodies.get(etag)
        if found is None:
            found = gzip.compress(body, compresslevel=6, mtime=0)  # mtime=0: stable bytes
            with self.lock:
                if len(self.bodies) >= self.size:
                    self.bodies.clear()
                self.bodies[etag] = found
        return found


def application(root: Path, clock: Callable[[], float] = time.time) -> Callable:
    """A WSGI app serving the files under `root` (read on every request: always current)."""
    root = Path(root)
    stamps = _Clock()
    compressed = _Gzipped()

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
        headers = [("Last-Modified", formatdate(stamp, usegmt=True)),
                   ("Cache-Control", "no-cache")]  # keep a copy, but ask (cheaply, by 304)
        assert target is not None  # found above: a file inside exports/
        suffix = target.suffix.lower()
        if suffix in COMPRESSIBLE and len(body) >= GZIP_MIN:
            headers.append(("Vary", "Accept-Encoding"))
            if accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING")):
                body = compressed.get(etag, body)
                etag = etag[:-1] + '-gzip"'
                headers.append(("Content-Encoding", "gzip"))
        headers.insert(0, ("ETag", etag))
        inm = environ.get("HTTP_IF_NONE_MATCH")
        ims = environ.get("HTTP_IF_MODIFIED_SINCE")
        if inm is not None:
            fresh = _etag_matches(inm, etag)  # when present, If-Modified-Since is ignored
        else:
            fresh = ims is not None and _not_modified_since(ims, stamp)
        if fresh:
            start_response("304 Not Modified",
                           [h for h in headers if h[0] != "Content-Encoding"])
            return [b""]
        kind = TYPES.get(suffix) or mimetypes.guess_type(target.name)[0]
        headers += [("Content-Type", kind or "application/octet-stream"),
                    ("Content-Length", str(len(body))),
                    ("X-Content-Type-Options", "nosniff")]
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else body]

    return app


def exports_folder(root: Path) -> Path:
    """`root`, or ServeError when there is no such folder: nothing is built yet."""
    root = Path(root)
    if not root.is_dir():
        raise ServeError(f"no exports folder at {root}; run `calendar-app build` first")
    return root


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000,
                limits: ServeLimits | None = None, app: Callable | None = None,
                refusals: dict[int, bytes] | None = None, **adjustments):
    """A server for the files under `root` (or for the WSGI `app` that serves them with
    the web application, `refusals` its pages for what the server refuses itself),
    listening but not yet running (call `.run()`)."""
    root = exports_folder(root)
    return listen(app or application(root), host, port, limits or ServeLimits(), refusals,
                  **adjustments)
