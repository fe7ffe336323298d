"""The coordinator's pages: every unit at a glance, each linking to that unit's own pages."""

from __future__ import annotations

from flask import Blueprint, g

from .. import model
from . import page, site
from .auth import coordinator_only

blueprint = Blueprint("coordinator", __name__)


@blueprint.route("/units")
@coordinator_only
def units():
    plan = site().plan()
    today = site().clock().date()
    days = plan.settings.overdue_days
    counts = {u: {"overdue": 0, "done": 0, "due": 0} for u in plan.units}
    for entry in g.store.entries(end=today, include_removed=False):
        if not entry.live or model.days(entry.start, entry.end)[1] > today:
            continue  # cancelled, or not over yet: nothing is due
        for unit in dict.fromkeys(entry.units):
            tally = counts.get(unit)
            if tally is not None:
                tally["due"] += 1
                tally["done"] += entry.status == "done"
                tally["overdue"] += entry.overdue(today, days)
    rows = [{"unit": u, "name": plan.units[u].name, "kind": plan.units[u].kind, **counts[u]}
            for u in plan.units]
    return page("web/units.html", title="各单位", rows=rows, today=today)
