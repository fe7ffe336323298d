"""Services that receive reminders, on loopback: a JSON webhook (what Apprise's json:// posts)
and an SMTP server (aiosmtpd). Real sockets, real protocols; the tests read what arrived."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hook:
    """A JSON webhook on 127.0.0.1: every post that arrives (its path, title and message),
    answered with `status` after `delay` seconds. `stop` and `start` take it down and bring
    it back on the same port, as a group robot's service going away and coming back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def start(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(hook.delay)
                if hook.status == 200:
                    with hook.lock:
                        hook.received.append({"path": self.path.lstrip("/"), **body})
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def titles(self, path: str | None = None) -> list[str]:
        return [r["title"] for r in self.received if path is None or r["path"] == path]

    def messages(self, title: str) -> list[str]:
        return [r["message"] for r in self.received if r["title"] == title]


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd): each mail as (from, to, subject, text). With a
    `password`, it asks for a login (AUTH, as a mail provider does) and takes only that one."""

    def __init__(self, password: str | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.received: list[tuple[str, list[str], str, str]] = []
        self.password = password
        self.logins: list[tuple[str, bool]] = []  # who tried to sign in, and whether taken
        # AUTH offered without TLS: loopback only (the client logs in when it has a login)
        login = {"authenticator": self._authenticate, "auth_require_tls": False} \
            if password else {}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **login)
        self.controller.start()

    def url(self, to: str, login: str = "", password: str = "") -> str:
        user = f"{login}:{password}@" if login else ""
        return f"mailto://{user}127.0.0.1:{self.port}?to={to}&from=kx@cy.example"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        taken = auth_data.password.decode() == self.password
        self.logins.append((auth_data.login.decode(), taken))
        return AuthResult(success=taken, handled=False)  # the server answers 235 or 535

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content)
        text = next(part.get_payload(decode=True).decode()
                    for part in message.walk() if part.get_content_type() == "text/plain")
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              str(make_header(decode_header(message["Subject"]))), text))
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()
