"""Training: the same application on a copy, so that staff can practise reporting without
touching what is real (`serve --training`, or `serve --today DAY`).

The copy is made when the server starts, in a folder beside the database
(`calendar.training/`, made afresh each time): the database (SQLite's backup, or PostgreSQL's
rows read into a SQLite file), the evidence files and the exports. The server then opens
nothing but the copy: reports land in its database, the refresh after them rewrites its
feeds and pages, new evidence goes into its folder, and sessions are signed with a key of
its own (a training sign-in is no sign-in on the live server). Every page says
培训模式（数据不会保存到正式系统）. No reminders are sent.

Evidence files are linked rather than copied where the file system allows: they are kept by
digest and never written in place (a new file is written beside and renamed), so the copy
cannot change the live one, and a county's years of photos take no space twice. The exports
are copied, and what in them depends on the day (feeds, subscription page, dashboard) is
written again as of the training day: the live ones are as of the last build, which after the
plan's end has every feed empty and the subscription page saying the period is over, where
training on a day inside the plan expects that day's calendars.
"""

from __future__ import annotations

import os
import shutil

from ..store.store import Store
from .site import Site

FOLDER = ".training"  # beside the database: calendar.training/


def prepare(live: Site) -> Site:
    """A copy of `live` to practise on, made afresh, its published files as of the day its
    clock gives (`serve --today`'s); the Site that serves it."""
    folder = live.private(FOLDER)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "calendar.db"
    with Store.open(live.db) as store:
        store.snapshot(db)
    evidence = live.private(".files")
    if evidence.is_dir():
        shutil.copytree(evidence, folder / "calendar.files", copy_function=_link,
                        ignore=shutil.ignore_patterns(".lock", "*.tmp", ".*.part"))
    shutil.copytree(live.exports, folder / "exports", ignore=shutil.ignore_patterns("*.tmp"))
    site = Site(live.plan_path, db, folder / "exports", clock=live.clock, pause=live.pause,
                training=True)
    _as_of_today(site)
    return site


def _as_of_today(site: Site) -> None:
    """The copy's day-dependent files as of the training day; it is the day later reports
    in training refresh them as of (`exports/.day`)."""
    from .. import publish
    from ..feeds.view import feed_domain

    plan = site.plan()
    with Store.open(site.db) as store:
        entries, reports = store.entries(), store.reports()
        domain = feed_domain(plan, store.uid_domain)
    publish.dated(plan, entries, site.out(), site.clock().date(), domain, reports)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without links
        shutil.copy2(source, target)
