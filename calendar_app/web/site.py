"""What every page of the web application stands on: the site it serves (plan, database,
exports, evidence), the app's refresher, and `page`, which renders a template with the frame
every page needs."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import current_app, g, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..exports import Exports
from ..formats import render
from ..formats.words import account_unit
from ..model import ONE_DAY, TZ, Account, Plan
from ..plan.reader import load_plan
from ..reports.evidence import Files
from ..store.location import private
from .refresh import Refresher


def _now() -> datetime:
    return datetime.now(TZ)


@dataclass
class Site:
    """What the application serves: the plan, its database, exports and evidence folder."""

    plan_path: Path
    db: str | Path  # a SQLite file, or a postgresql:// URL
    exports: Path
    clock: Callable[[], datetime] = _now  # tests pass a fixed one
    pause: Callable[[float], None] = time.sleep  # how a wrong password is held back
    training: bool = False  # a copy to practise on (`training.prepare`): every page says so
    archive: bool = False  # an ended period shown read-only beside the current one (periods)
    _plan: tuple[float, Plan] | None = field(default=None, repr=False)

    def plan(self) -> Plan:
        """The plan, read again when its file changed."""
        stamp = self.plan_path.stat().st_mtime
        if self._plan is None or self._plan[0] != stamp:
            self._plan = (stamp, load_plan(self.plan_path))
        return self._plan[1]

    def out(self) -> Exports:
        return Exports(self.exports, self.plan().settings.base_url)

    def files(self) -> Files:
        return Files(self.private(".files"), self.plan().settings.evidence_mb)

    def private(self, suffix: str) -> Path:
        return private(self.db, self.plan_path, suffix)


def secret_key(path: Path) -> bytes:
    """The key that signs session cookies: made once, kept beside the database (not in
    exports/, which is public), readable by its owner alone."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "xb") as handle:  # two processes starting at once keep one key
            path.chmod(0o600)
            handle.write(key)
    except FileExistsError:
        return path.read_bytes()
    return key


def site() -> Site:
    return current_app.extensions["site"]


def refresher() -> Refresher:
    return current_app.extensions["refresher"]


def _frame() -> dict[str, Any]:
    """What the frame of every page (`web/_menu.html`) is drawn from."""
    plan = site().plan()
    account = g.get("account")
    return {"plan_name": plan.name, "plan": plan, "account": account,
            "unit_name": _unit_name(plan, account), "path": request.path,
            "csrf_token": Markup(generate_csrf()), "training": site().training,
            "archive": site().archive}


def refused(status: int, title: str, message: str) -> tuple[str, int]:
    """A page saying in a sentence what was refused and why, with its status."""
    return page("web/error.html", title=title, message=message), status


def page(template: str, **context: Any) -> str:
    """A page through the one Jinja environment, with what every page's frame needs."""
    return render.render(template, **_frame(), one_day=ONE_DAY, **context)


_BODY = re.compile(r"<body[^>]*>")


def framed(html: str, below: str = "") -> str:
    """A page that is a document of its own (the dashboard, a circular, the subscription
    page) with the application's frame put in at the top of its body, and `below` it what
    the application adds (the reports awaiting review, on the dashboard)."""
    found = _BODY.search(html)
    if found is None:
        return html
    menu = render.render("web/_menu.html", **_frame())
    return html[:found.end()] + menu + below + html[found.end():]


def download(name: str, fallback: str, inline: bool = False) -> str:
    """A Content-Disposition whose Chinese file name every current browser keeps (RFC 6266's
    filename*), with an ASCII name that still says what it is for the others."""
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; " \
           f"filename*=UTF-8''{quote(name)}"


def _unit_name(plan: Plan, account: Account | None) -> str:
    return "" if account is None else account_unit(plan, account.unit)
