"""The reminder channels as the pages show them: a unit's channels on its home, and the
dashboard's part (催办与提醒渠道) with 一键催办 and the channels in trouble. The pages that
show them (web/unit.py, web/coordinator.py) and the forms that change them (web/reminders.py)
all stand on this module, so none of them needs another to draw a channel.
"""

from __future__ import annotations

from typing import Any

from flask import g, get_flashed_messages
from markupsafe import Markup

from ..remind.channels import SERVICE_CN
from ..remind.due import COORDINATOR
from ..remind.wording import who
from ..supervision.lights import Review
from .site import page, site

# What the channel forms (web/reminders.py) flash, kept apart from other pages' messages:
# shown beside the channels.
TOLD = ["channel", "channel-error"]


def channel_context(unit: str, url: str = "", error: str = "") -> dict[str, Any]:
    """What web/_channels.html shows for `unit` (COORDINATOR: the coordinator's own): its
    channels, masked, with their state, and the form to add one (what was typed, and why it
    was refused)."""
    return {"channels": g.store.channels(unit), "channel_for": unit, "channel_url": url,
            "channel_error": error, "service_cn": SERVICE_CN,
            "channel_flashes": get_flashed_messages(with_categories=True, category_filter=TOLD)}


def panel(review: Review, url: str = "", error: str = "") -> Markup:
    """The dashboard's part (催办与提醒渠道): 一键催办 for the red units, the channels in
    trouble, how many units have one, and the coordinator's own channels."""
    plan = site().plan()
    channels = g.store.channels()
    reached = {c.unit for c in channels}
    red = [s for s in review.units if s.light == "red"]
    return Markup(page("web/_remind.html", red=red, reached=reached,
                       failing=[c for c in channels if c.failing],
                       covered=len(reached & set(plan.units)), units=len(plan.units),
                       names={c.unit: who(plan, c.unit) for c in channels},
                       **channel_context(COORDINATOR, url, error)))
