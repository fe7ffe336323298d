"""Running a WSGI app under waitress with limits that outlast slow clients; the only waitress user.

waitress on its own lets any client keep a connection as long as it sends a byte now and
then (its `channel_timeout` counts idleness, not progress) and stops accepting at 100
connections, so a hundred clients trickling a request line lock everyone else out. Here:

- `header_timeout`: a request's line and headers must arrive within this many seconds of
  the connection opening, or of its first byte on a kept-alive connection; its body (an
  upload) must then keep coming at `min_body_rate` on average (after a grace of
  `header_timeout` again) and be whole within `body_timeout`, however large it says it is;
- `channel_timeout`: a connection idle between requests is closed after this many seconds;
- `connection_limit`: at most this many connections at once (poll(), not select(), so more
  than 1024 descriptors work), the process's file limit raised to fit when it can be.

Also: a 304 answer keeps the connection open (waitress closes any answer without a
Content-Length, though a 304 never has a body); what waitress refuses itself (a body over
`max_body`, a malformed request) is answered with a page in Chinese, not its English text;
and `shutdown` stops a server run in a thread.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask

from ..errors import CalendarAppError
from ..limits import ServeLimits


class ServeError(CalendarAppError):
    """The server cannot start: no exports folder, the address is taken, a limit is impossible."""


SPARE_FILES = 64  # descriptors kept for everything but connections (the files served, logs)


class _Task(WSGITask):
    def set_close_on_finish(self) -> None:
        # waitress closes after every answer without Content-Length, including 304, which
        # has no body by definition (RFC 9112 6.3), so the client knows where it ends.
        if (self.status.startswith("304") and self.version == "1.1"
                and self.request.headers.get("CONNECTION", "").lower() != "close"):
            return
        super().set_close_on_finish()


# What waitress refuses before the application sees the request, as people read it.
REFUSALS = {
    400: ("请求无法识别", "浏览器发来的请求格式不对，没有保存任何内容。请返回上一页，刷新后重试。"),
    413: ("提交的内容太大", "提交的内容超过上限，没有保存任何内容。照片请压缩后分次上传。"),
    431: ("请求太大", "浏览器发来的请求过大，没有保存任何内容。请清除本站的浏览数据后重试。"),
    500: ("服务器出错", "服务器处理时出错，本次操作没有保存。请稍后再试。"),
    501: ("无法处理", "服务器无法处理这种请求，没有保存任何内容。"),
}


def refusal_page(code: int) -> bytes:
    title, message = REFUSALS.get(code, REFUSALS[400])
    return ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title></head><body style=\"font-family:sans-serif;margin:2rem\">"
            f'<h1>{title}</h1><p>{message}</p><p><a href="/">返回首页</a></p></body></html>'
            ).encode()


class _ErrorTask(ErrorTask):
    def execute(self) -> None:
        code = self.request.error.code
        body = self.channel.server.refusals.get(code) or refusal_page(code)
        self.status = f"{code} {self.request.error.reason}"
        self.response_headers.extend([("Content-Type", "text/html; charset=utf-8")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    task_class = _Task
    error_task_class = _ErrorTask

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading_since: float | None = self.creation_time  # when this request began
        self.bytes_read = 0  # of this request, so far

    def received(self, data: bytes) -> bool:
        if self.reading_since is None and data:
            self.reading_since = time.time()
        self.bytes_read += len(data)
        try:
            return super().received(data)
        finally:
            if self.request is None:  # every request received so far is complete
                self.reading_since = None
                self.bytes_read = 0


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, app: Callable, limits: ServeLimits, dispatcher,
                 refusals: dict[int, bytes] | None = None, **adjustments):
        self.limits = limits
        self.refusals = refusals or {}
        try:
            super().__init__(app, dispatcher=dispatcher,
                             connection_limit=limits.connection_limit,
                             max_request_body_size=limits.max_body,
                             asyncore_use_poll=True, **adjustments)
        except BaseException:
            # Not listening (the address is taken...): release the threads and the trigger
            # pipe that waitress made before it tried to bind.
            dispatcher.shutdown(timeout=1)
            if getattr(self, "trigger", None) is not None:
                self.trigger.close()
            if getattr(self, "socket", None) is not None:
                self.socket.close()
            raise
        # waitress takes whole seconds; its attributes take fractions. The timeouts are
        # checked at every tick, a second for timeouts of seconds and finer for shorter ones.
        tick = min(1.0, limits.header_timeout / 4, limits.channel_timeout / 4,
                   limits.body_timeout / 4)
        self.adj.channel_timeout = limits.channel_timeout
        self.adj.cleanup_interval = self.adj.asyncore_loop_timeout = tick

    next_channel_cleanup: float  # waitress's, set in its __init__

    def readable(self) -> bool:
        # waitress's own version, without its log line each time the limit is reached (under
        # a flood that is a line per loop pass), and with shedding at the limit.
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        if len(self._map) < self.adj.connection_limit:
            return True
        self._shed()
        return False

    def _shed(self) -> None:
        """At the limit, the connection that has spent longest sending its request gives way
        (closed by the loop on this pass), so a new one can be accepted on the next. Clients
        whose requests arrive at once are never the longest: a flood of slow ones cannot
        keep them out for longer than it takes to cycle through the flood."""
        oldest = None
        for channel in self.active_channels.values():
            since = getattr(channel, "reading_since", None)
            if since is None or channel.requests:
                continue
            if channel.will_close:
                return  # one is closing already
            if oldest is None or since < oldest.reading_since:
                oldest = channel
        if oldest is not None:
            oldest.will_close = True

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections (channel_timeout)
        for channel in list(self.active_channels.values()):
            since = getattr(channel, "reading_since", None)
            if since is not None and not channel.requests and self.too_slow(channel, now - since):
                channel.will_close = True  # closed by the loop on its next pass

    def too_slow(self, channel: _Channel, elapsed: float) -> bool:
        """A request `elapsed` seconds in the arriving is cut: its line and headers get
        `header_timeout`; its body then, after as long again, must have come at
        `min_body_rate` on average, and whole within `body_timeout`, whatever length it
        declares (a photo from a slow phone is fine, a body trickled a byte at a time or
        one that would take a day is not)."""
        limits = self.limits
        request = channel.request
        if request is None or not request.headers_finished:
            return elapsed > limits.header_timeout
        if elapsed > limits.header_timeout + limits.body_timeout:
            return True
        return channel.bytes_read < limits.min_body_rate * (elapsed - limits.header_timeout)


def listen(app: Callable, host: str, port: int, limits: ServeLimits | None = None,
           refusals: dict[int, bytes] | None = None, **adjustments):
    """A server for `app` bound to host:port, not yet running (call `.run()`).

    `refusals`: the pages (by status) of what waitress refuses itself, in the application's
    frame (`web.app.refusal_pages`); `refusal_page` otherwise. `adjustments` go to waitress
    as they are (tests use them to shrink buffers)."""
    limits = limits or ServeLimits()
    for name in ("connection_limit", "threads"):
        if getattr(limits, name) < 1:
            raise ServeError(f"{name.replace('_', '-')} must be 1 or more")
    for name in ("header_timeout", "channel_timeout", "body_timeout"):
        if not getattr(limits, name) > 0:
            raise ServeError(f"{name.replace('_', '-')} must be more than 0 seconds")
    _make_room(limits.connection_limit)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(limits.threads)
    try:
        return _Server(app, limits, dispatcher, refusals, host=host, port=port, **adjustments)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _make_room(connections: int) -> None:
    """Raise the soft limit on open files to fit `connections`, or say why it cannot."""
    need = connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        raise ServeError(f"connection-limit {connections} needs {need} open files, but this "
                         f"process may open at most {hard} (ulimit -n); lower the limit")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def shutdown(server, timeout: float = 5.0) -> None:
    """Stop a server whose `.run()` loop is in another thread, and wait for its workers.

    A worker thread that finishes a response writes a byte to the loop's trigger (a pipe) to
    wake the loop. Closing that pipe while any thread may still write to it fails with EBADF
    (one test_serve run in four), or writes into whatever file took its number next. So the
    pipe is closed last, by this thread: first the loop, woken once, closes the listening
    socket and every connection (waking workers blocked on a slow client) and lets go of
    the trigger, which ends it; then the workers are joined; then the pipe is closed.
    """
    stopped = threading.Event()

    def stop_loop() -> None:
        for channel in list(server._map.values()):
            if channel is server.trigger:
                channel.del_channel()  # out of the loop, still open for late writers
            elif channel is server:
                wasyncore.dispatcher.close(server)  # its own close() would close the trigger
            else:
                channel.handle_close()  # also wakes a worker waiting to send to this client
        stopped.set()

    server.trigger.pull_trigger(stop_loop)
    if not stopped.wait(timeout):
        stop_loop()  # the loop is not running: nothing else touches the map
    server.task_dispatcher.shutdown()
    server.trigger.close()
