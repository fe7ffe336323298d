"""A TCP port on loopback in front of the PostgreSQL server's Unix socket: stopping it is the
database going away for the application behind it, and for nothing else (the other tests
share the server); starting it again on the same port is the database coming back."""

from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit


class Proxy:
    def __init__(self, url: str):
        """`url`: a postgresql:// URL whose `host=` is the server's socket folder."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        port = query.pop("port", "5432")
        self.socket = f"{query.pop('host')}/.s.PGSQL.{port}"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        user = parts.netloc.split("@")[0]
        self.url = f"postgresql://{user}@127.0.0.1:{self.port}{parts.path}" + \
            (f"?{urlencode(query)}" if query else "")
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self._serve()

    def _serve(self) -> None:
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket)
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def stop(self) -> None:
        """The database goes away: no new connection, and those open are cut."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (close alone does not)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for sock in self.open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.open = []

    def start(self) -> None:
        """The database is back, at the same address."""
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._serve()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
