"""The feed server on loopback: waitress in a thread, a real HTTP client, real files."""

import gzip
import http.client
import logging
import os
import shutil
import socket
import threading
import time
from email.utils import formatdate, parsedate_to_datetime

import pytest

from calendar_app.limits import ServeLimits
from calendar_app.web import static

FEED = "BEGIN:VCALENDAR\r\nNAME:县科协\r\nEND:VCALENDAR\r\n".encode()
MTIME = 1_700_000_000
BIG = ("BEGIN:VCALENDAR\r\n" + "".join(
    f"BEGIN:VEVENT\r\nUID:m19-tv-weekly-2025-W{w:02d}\r\nSUMMARY:崇阳电视台科普知识栏目（牵头）\r\n"
    "END:VEVENT\r\n" for w in range(1, 53)) + "END:VCALENDAR\r\n").encode()


@pytest.fixture
def exports(tmp_path):
    root = tmp_path / "exports"
    (root / "feeds").mkdir(parents=True)
    (root / "feeds" / "kexie.ics").write_bytes(FEED)
    (root / "feeds" / "xuanchuan.ics").write_bytes(BIG)
    (root / "print").mkdir()
    (root / "print" / "county.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 4096)
    (root / "index.html").write_text("<!doctype html><p>订阅</p>", encoding="utf-8")
    (root / "feeds" / ".kexie.ics.x.tmp").write_bytes(b"half a file")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "feeds" / "out.ics").symlink_to(tmp_path / "secret.txt")
    for path in (root / "feeds" / "kexie.ics", root / "feeds" / "xuanchuan.ics",
                 root / "index.html"):
        os.utime(path, (MTIME, MTIME))
    return root


@pytest.fixture
def server(exports, caplog):
    srv = static.make_server(exports, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv
    static.shutdown(srv)
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
    assert "Content-Encoding" not in headers and "Vary" not in headers  # too small to gzip
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

    srv = static.listen(big, "127.0.0.1", 0, outbuf_high_watermark=len(chunk))
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
        static.shutdown(srv)
        loop.join(5)
        assert time.monotonic() - began < 2 and not loop.is_alive()
    finally:
        client.close()
    assert srv.task_dispatcher.threads == set() and srv.trigger._closed
    # waitress.queue notes a request that arrived before a fresh worker thread was waiting
    # (a busy machine): load, not a fault of the shutdown.
    complaints = [r.getMessage() for r in caplog.records
                  if r.levelno >= logging.WARNING and r.name != "waitress.queue"]
    assert complaints == []


def test_text_is_gzipped_for_clients_that_ask_as_its_own_representation(server):
    plain = fetch(server, "/feeds/xuanchuan.ics")
    zipped = fetch(server, "/feeds/xuanchuan.ics", **{"Accept-Encoding": "gzip, deflate"})
    assert plain[0] == zipped[0] == 200
    assert plain[2] == BIG and "Content-Encoding" not in plain[1]
    assert zipped[1]["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped[2]) == BIG and len(zipped[2]) < len(BIG) / 4
    assert zipped[1]["Content-Length"] == str(len(zipped[2]))
    assert plain[1]["Vary"] == zipped[1]["Vary"] == "Accept-Encoding"  # caches keep both
    assert plain[1]["Content-Type"] == zipped[1]["Content-Type"] == "text/calendar; charset=utf-8"
    assert plain[1]["ETag"] != zipped[1]["ETag"]  # RFC 9110 8.8.3: one tag per representation
    assert plain[1]["Last-Modified"] == zipped[1]["Last-Modified"]
    again = fetch(server, "/feeds/xuanchuan.ics", **{"Accept-Encoding": "gzip"})
    assert again[2] == zipped[2] and again[1]["ETag"] == zipped[1]["ETag"]  # stable bytes


@pytest.mark.parametrize("accept, gzipped", [
    ("gzip", True), ("GZIP", True), ("x-gzip", True), ("*", True), ("br, gzip;q=0.5", True),
    ("gzip;q=0", False), ("gzip;q=0.000", False), ("*, gzip;q=0", False), ("identity", False),
    ("deflate, br", False), ("gzip;q=nan", False), ("gzip;q=oops", False), ("", False),
])
def test_what_accept_encoding_allows(server, accept, gzipped):
    _, headers, body = fetch(server, "/feeds/xuanchuan.ics", **{"Accept-Encoding": accept})
    assert (headers.get("Content-Encoding") == "gzip") is gzipped
    assert (gzip.decompress(body) if gzipped else body) == BIG


def test_head_and_304_for_the_gzipped_representation(server):
    gz = {"Accept-Encoding": "gzip"}
    _, headers, body = fetch(server, "/feeds/xuanchuan.ics", **gz)
    status, head, nothing = fetch(server, "/feeds/xuanchuan.ics", "HEAD", **gz)
    assert (status, nothing) == (200, b"")
    assert head["Content-Length"] == str(len(body)) and head["ETag"] == headers["ETag"]
    status, fresh, _ = fetch(server, "/feeds/xuanchuan.ics", **gz,
                             **{"If-None-Match": headers["ETag"]})
    assert status == 304 and fresh["ETag"] == headers["ETag"]
    assert fresh["Vary"] == "Accept-Encoding"
    # The plain body's tag does not validate the gzipped one, nor the other way round.
    plain_tag = fetch(server, "/feeds/xuanchuan.ics")[1]["ETag"]
    assert fetch(server, "/feeds/xuanchuan.ics", **gz, **{"If-None-Match": plain_tag})[0] == 200
    assert fetch(server, "/feeds/xuanchuan.ics", **{"If-None-Match": headers["ETag"]})[0] == 200


def test_pdfs_and_small_files_are_sent_as_they_are(server):
    _, headers, body = fetch(server, "/print/county.pdf", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers and body.startswith(b"%PDF")


def test_a_304_keeps_the_connection_open(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=5)
    try:
        conn.request("GET", "/feeds/xuanchuan.ics")
        first = conn.getresponse()
        first.read()
        etag, sock = first.headers["ETag"], conn.sock
        for _ in range(3):
            conn.request("GET", "/feeds/xuanchuan.ics", headers={"If-None-Match": etag})
            answer = conn.getresponse()
            assert answer.status == 304 and answer.read() == b""
            assert answer.headers.get("Connection") is None and not answer.will_close
        conn.request("GET", "/feeds/kexie.ics")
        last = conn.getresponse()
        assert last.status == 200 and last.read() == FEED
        assert conn.sock is sock  # the same connection all along, never reopened
    finally:
        conn.close()


def test_a_304_still_closes_when_the_client_asks(server):
    etag = fetch(server, "/feeds/kexie.ics")[1]["ETag"]
    headers = fetch(server, "/feeds/kexie.ics", **{"If-None-Match": etag, "Connection": "close"})[1]
    assert headers["Connection"] == "close"


def _closed_by_server(sock, within):
    """Whether the server closes `sock` within `within` seconds (reads EOF or a reset)."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _limited(exports, **limits):
    srv = static.make_server(exports, "127.0.0.1", 0, ServeLimits(**limits))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    return srv, thread


# The timing tests take timeouts of a fraction of a second (the command line takes whole
# seconds) so they wait little, and allow several times the timeout so a busy machine passes.

def test_a_client_that_sends_nothing_or_trickles_is_cut_at_the_header_timeout(exports):
    srv, thread = _limited(exports, header_timeout=0.4)
    try:
        silent = socket.create_connection(("127.0.0.1", int(srv.effective_port)))
        trickle = socket.create_connection(("127.0.0.1", int(srv.effective_port)))
        trickle.sendall(b"GET /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\n")
        began = time.monotonic()
        cut = None
        while cut is None and time.monotonic() - began < 3:  # a byte every 0.1 s: never idle
            try:
                trickle.send(b"X")
            except OSError:
                cut = time.monotonic() - began
            time.sleep(0.1)
        assert cut is not None and cut < 1.5
        assert _closed_by_server(silent, 0.5)
        assert fetch(srv, "/feeds/kexie.ics")[0] == 200  # the server itself is fine
    finally:
        static.shutdown(srv)
        thread.join(5)


def test_an_idle_kept_alive_connection_is_closed_at_the_channel_timeout(exports):
    srv, thread = _limited(exports, channel_timeout=0.6, header_timeout=30)
    try:
        conn = socket.create_connection(("127.0.0.1", int(srv.effective_port)))
        conn.sendall(b"GET /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        assert not _closed_by_server(conn, 0.3)  # kept alive for a while
        assert _closed_by_server(conn, 2)
    finally:
        static.shutdown(srv)
        thread.join(5)


class Slowloris:
    """`count` connections on loopback that each send a request line and then one byte of
    header every `pace` seconds, never finishing; a connection the server cuts is reopened."""

    def __init__(self, port: int, count: int, pace: float = 0.15):
        self.port, self.count, self.pace = port, count, pace
        self.cuts = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self) -> socket.socket:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", self.port))
        return sock

    def run(self) -> None:
        socks = [self.open() for _ in range(self.count)]
        started = [False] * self.count
        while not self.stop.is_set():
            for i, sock in enumerate(socks):
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        raise ConnectionResetError  # EOF: the server closed it
                except BlockingIOError:
                    pass  # nothing to read: still open (or still connecting)
                except OSError:
                    sock.close()
                    socks[i], started[i] = self.open(), False
                    self.cuts += 1
                    continue
                try:
                    sock.send(b"X" if started[i] else b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    started[i] = True
                except OSError:
                    pass  # not connected yet (the server is at its limit), or just cut
            self.stop.wait(self.pace)
        for sock in socks:
            sock.close()


def test_normal_requests_are_answered_through_a_slowloris(exports):
    """300 slow clients against a limit of 100 connections: with waitress alone they held
    every connection for as long as they trickled, and nobody else was answered."""
    srv, thread = _limited(exports, header_timeout=0.6, connection_limit=100)
    attack = Slowloris(int(srv.effective_port), 300)
    attack.thread.start()
    waits = []
    try:
        time.sleep(0.3)  # the attack fills every connection the server allows
        began = time.monotonic()
        while time.monotonic() - began < 2.4:
            asked = time.monotonic()
            status, _, body = fetch(srv, "/feeds/kexie.ics")
            assert (status, body) == (200, FEED)
            waits.append(time.monotonic() - asked)
            time.sleep(0.1)
    finally:
        attack.stop.set()
        attack.thread.join(5)
        static.shutdown(srv)
        thread.join(5)
    assert len(waits) >= 5 and max(waits) < 1.5, (len(waits), max(waits))
    assert attack.cuts >= 300  # every slow client was cut at least once


def test_serve_takes_its_limits_as_options(built_small):
    result = built_small.run("serve", "--help")
    for option in ("--threads", "--header-timeout", "--channel-timeout", "--connection-limit"):
        assert option in result.output
    result = built_small.run("serve", "--port", "0", "--connection-limit", "100000000", ok=False)
    assert result.exit_code == 1
    assert result.output.startswith("connection-limit 100000000 needs 100000064 open files")
    result = built_small.run("serve", "--header-timeout", "0", ok=False)
    assert result.exit_code == 2 and "--header-timeout" in result.output


def test_a_body_trickled_a_byte_at_a_time_is_cut_and_a_steady_upload_is_not(exports):
    srv, thread = _limited(exports, header_timeout=0.3)
    try:
        port = int(srv.effective_port)
        trickle = socket.create_connection(("127.0.0.1", port))
        trickle.sendall(b"POST /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n")
        steady = socket.create_connection(("127.0.0.1", port))
        body = b"x" * 60_000
        steady.sendall(b"POST /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(body))
        began, cut = time.monotonic(), None
        for i in range(12):  # 1.2 s: the steady upload at 50 KB/s, the trickle at 10 bytes/s
            steady.sendall(body[i * 5000:(i + 1) * 5000])
            try:
                trickle.send(b"x")
            except OSError:
                cut = cut or time.monotonic() - began
            time.sleep(0.1)
        # 0.3 s for the headers and 0.3 s for 300 bytes at 1 KB/s, then the next check
        assert cut is not None and cut < 1.2 or _closed_by_server(trickle, 1)
        steady.settimeout(5)
        assert steady.recv(65536).startswith(b"HTTP/1.1 405")  # answered, not cut
    finally:
        static.shutdown(srv)
        thread.join(5)


def test_a_large_body_trickled_is_cut_soon_whatever_length_it_declares(exports):
    """100 MB declared, 100 bytes a second sent: at 1 KB/s for the length it declares, it was
    given 27 hours; the rate is now measured on what arrives."""
    srv, thread = _limited(exports, header_timeout=0.3, max_body=200 * 1024 * 1024)
    try:
        trickle = socket.create_connection(("127.0.0.1", int(srv.effective_port)))
        trickle.sendall(b"POST /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Length: 104857600\r\n\r\n")
        began, cut = time.monotonic(), None
        while cut is None and time.monotonic() - began < 4:
            try:
                trickle.send(b"x" * 10)
            except OSError:
                cut = time.monotonic() - began
            time.sleep(0.1)
        assert cut is not None and cut < 2.5 or _closed_by_server(trickle, 1)
    finally:
        static.shutdown(srv)
        thread.join(5)


def test_a_body_is_whole_within_the_body_timeout_however_steady(exports):
    srv, thread = _limited(exports, header_timeout=0.3, body_timeout=0.8,
                           max_body=200 * 1024 * 1024)
    try:
        steady = socket.create_connection(("127.0.0.1", int(srv.effective_port)))
        steady.sendall(b"POST /feeds/kexie.ics HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 104857600\r\n\r\n")
        began, cut = time.monotonic(), None
        while cut is None and time.monotonic() - began < 5:  # 50 KB/s, well above the rate
            try:
                steady.send(b"x" * 5000)
            except OSError:
                cut = time.monotonic() - began
            time.sleep(0.1)
        assert cut is not None and 0.9 < cut < 3, cut
    finally:
        static.shutdown(srv)
        thread.join(5)


def test_what_waitress_refuses_itself_is_a_chinese_page(exports):
    srv, thread = _limited(exports, max_body=1000)
    try:
        conn = socket.create_connection(("127.0.0.1", int(srv.effective_port)), timeout=5)
        conn.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413") and b"text/html; charset=utf-8" in head
        text = body.decode()
        assert "提交的内容超过上限，没有保存任何内容" in text and "waitress" not in text
    finally:
        static.shutdown(srv)
        thread.join(5)
