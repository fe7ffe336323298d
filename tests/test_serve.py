"""The feed server on loopback: waitress in a thread, a real HTTP client, real files."""

import http.client
import logging
import os
import shutil
import socket
import threading
import time
from email.utils import formatdate, parsedate_to_datetime

import pytest

from calendar_app import serve

FEED = "BEGIN:VCALENDAR\r\nNAME:县科协\r\nEND:VCALENDAR\r\n".encode()
MTIME = 1_700_000_000


@pytest.fixture
def exports(tmp_path):
    root = tmp_path / "exports"
    (root / "feeds").mkdir(parents=True)
    (root / "feeds" / "kexie.ics").write_bytes(FEED)
    (root / "index.html").write_text("<!doctype html><p>订阅</p>", encoding="utf-8")
    (root / "feeds" / ".kexie.ics.x.tmp").write_bytes(b"half a file")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "feeds" / "out.ics").symlink_to(tmp_path / "secret.txt")
    for path in (root / "feeds" / "kexie.ics", root / "index.html"):
        os.utime(path, (MTIME, MTIME))
    return root


@pytest.fixture
def server(exports, caplog):
    srv = serve.make_server(exports, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv
    serve.shutdown(srv)
    thread.join(timeout=5)
    assert not thread.is_alive()
    # waitress logs what goes wrong in its threads instead of raising it
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def fetch(server, path, method="GET", **headers):
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()  # any header case
    finally:
        conn.close()


def test_a_feed_is_served_with_its_type_etag_and_date(server):
    status, headers, body = fetch(server, "/feeds/kexie.ics", **{"Accept-Encoding": "gzip"})
    assert (status, body) == (200, FEED)
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Content-Length"] == str(len(FEED))
    assert headers["Last-Modified"] == formatdate(MTIME, usegmt=True)
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert "Content-Encoding" not in headers  # feeds are never compressed
    assert fetch(server, "/feeds/kexie.ics")[1]["ETag"] == etag  # from the body: stable


def test_the_root_is_the_index_page(server):
    status, headers, body = fetch(server, "/")
    assert status == 200 and "订阅" in body.decode()
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_head_answers_headers_only(server):
    status, headers, body = fetch(server, "/feeds/kexie.ics", "HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(FEED))


def test_if_none_match_gives_304(server):
    etag = fetch(server, "/feeds/kexie.ics")[1]["ETag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        status, headers, body = fetch(server, "/feeds/kexie.ics", **{"If-None-Match": header})
        assert (status, body) == (304, b""), header
        assert headers["ETag"] == etag
    assert fetch(server, "/feeds/kexie.ics", **{"If-None-Match": '"other"'})[0] == 200


def test_if_modified_since_compares_dates(server):
    def status(since):
        return fetch(server, "/feeds/kexie.ics", **{"If-Modified-Since": since})[0]

    assert status(formatdate(MTIME, usegmt=True)) == 304
    assert status(formatdate(MTIME + 3600, usegmt=True)) == 304
    assert status(formatdate(MTIME - 1, usegmt=True)) == 200
    # the same instant written in another zone and in the obsolete RFC 850 form
    assert status(formatdate(MTIME, localtime=False).replace("-0000", "+0000")) == 304
    assert status(parsedate_to_datetime(formatdate(MTIME, usegmt=True))
                  .strftime("%A, %d-%b-%y %H:%M:%S GMT")) == 304
    assert status("not a date") == 200


@pytest.mark.parametrize("since", [
    "Mon, 01 Jan 12345678901234567890 00:00:00 GMT",  # OverflowError in the parser
    "Mon, 31 Feb 2024 00:00:00 GMT", "Mon, 01 Jan 2024 25:00:00 GMT", "Mon, 01 Jan 2024",
    "", "2024-01-01T00:00:00Z", "Mon, 01 Jan 2024 00:00:00 +99999999999999999999",
])
def test_an_unreadable_if_modified_since_is_treated_as_absent(server, since):
    status, _, body = fetch(server, "/feeds/kexie.ics", **{"If-Modified-Since": since})
    assert (status, body) == (200, FEED)


def test_if_none_match_wins_over_if_modified_since(server):
    later = formatdate(MTIME + 3600, usegmt=True)
    headers = {"If-None-Match": '"other"', "If-Modified-Since": later}
    assert fetch(server, "/feeds/kexie.ics", **headers)[0] == 200


def test_last_modified_never_moves_backwards(server, exports):
    first = fetch(server, "/feeds/kexie.ics")[1]["Last-Modified"]
    feed = exports / "feeds" / "kexie.ics"
    feed.write_bytes(FEED.replace("县科协".encode(), "县教育局".encode()))
    os.utime(feed, (MTIME - 86400, MTIME - 86400))  # new bytes, an older mtime
    status, headers, body = fetch(server, "/feeds/kexie.ics", **{"If-Modified-Since": first})
    assert status == 200 and "县教育局".encode() in body
    assert parsedate_to_datetime(headers["Last-Modified"]) > parsedate_to_datetime(first)


@pytest.mark.parametrize("path", [
    "/nope.ics", "/feeds/", "/feeds", "/../secret.txt", "/feeds/../../secret.txt",
    "/%2e%2e/secret.txt", "/feeds/%2e%2e/%2e%2e/secret.txt", "/feeds%2f..%2f..%2fsecret.txt",
    "/feeds/%2E%2E%2F%2E%2E%2Fsecret.txt", "/..%5csecret.txt", "//etc/passwd", "/etc/passwd",
    "/feeds/out.ics", "/feeds/.kexie.ics.x.tmp", "/feeds/kexie.ics%00", "/%00",
])
def test_nothing_outside_exports_and_nothing_unknown(server, path):
    status, _, body = fetch(server, path)
    assert status == 404, path
    assert b"secret" not in body and b"root:" not in body


def test_an_absolute_url_as_the_target_is_still_confined(server):
    status, _, _ = fetch(server, "http://127.0.0.1/../secret.txt")
    assert status == 404


def test_only_get_and_head(server):
    status, headers, _ = fetch(server, "/feeds/kexie.ics", "POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_serve_on_a_port_in_use_is_one_clean_line(server, built_small):
    result = built_small.run("serve", "--port", str(server.effective_port), ok=False)
    assert result.exit_code == 1
    assert result.output == f"cannot listen on 127.0.0.1:{server.effective_port}: " \
                            "Address already in use\n"


def test_serve_without_a_database_or_exports_says_what_to_do(built_small):
    shutil.rmtree(built_small.exports)
    result = built_small.run("serve", ok=False)
    assert result.exit_code == 1
    assert result.output == f"no exports folder at {built_small.exports}; " \
                            "run `calendar-app build` first\n"
    built_small.db.unlink()
    result = built_small.run("serve", ok=False)
    assert result.exit_code == 1
    assert result.output == f"no database at {built_small.db}; run `calendar-app build` first\n"


def test_shutdown_is_prompt_with_a_client_that_stopped_reading(caplog):
    """A worker blocked sending to a client that stopped reading is woken and ends, and the
    loop's trigger is closed only after every worker is gone (a worker pulling a closed
    trigger failed with EBADF in one teardown in four)."""
    chunk, sent, done = b"x" * 65536, threading.Event(), []

    def big(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        for i in range(256):  # 16 MiB, far more than the socket buffers hold
            if i == 2:
                sent.set()
            yield chunk
        done.append(True)

    srv = serve.listen(big, "127.0.0.1", 0, outbuf_high_watermark=len(chunk))
    loop = threading.Thread(target=srv.run, daemon=True)
    loop.start()
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", int(srv.effective_port)))
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read the answer
    try:
        assert sent.wait(5)
        time.sleep(0.3)  # the worker is now waiting for the client to read
        assert not done
        began = time.monotonic()
        serve.shutdown(srv)
        loop.join(5)
        assert time.monotonic() - began < 2 and not loop.is_alive()
    finally:
        client.close()
    assert srv.task_dispatcher.threads == set() and srv.trigger._closed
    complaints = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert complaints == []
